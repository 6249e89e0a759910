"""Options that every sampling command shares, spelled once."""

from __future__ import annotations

import argparse

from diffmm.models.precision import PRECISIONS


def add_precision_option(parser: argparse.ArgumentParser) -> None:
    """``--dtype {fp32,bf16,fp16}``: the network's precision (``diffmm.models.precision``)."""
    parser.add_argument(
        "--dtype", default="fp32", choices=PRECISIONS, help="network precision (fp16: GPU only)"
    )
