"""``diffmm evaluate images``: FID, IS and precision/recall of a samples file
(``diffmm.metrics.score_images``)."""

from __future__ import annotations

import argparse

from diffmm.metrics import score_images


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evaluate", help="score generated samples")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    images = kinds.add_parser(
        "images",
        help="FID, IS, precision/recall against a reference set or statistics",
        description=score_images.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score_images.add_arguments(images)
    images.set_defaults(run=score_images.run)
