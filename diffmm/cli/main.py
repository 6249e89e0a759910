"""``diffmm COMMAND ...``: one entry point, one module per command.

User errors (bad paths, bad bundles, bad options) end in a one-line message and exit code 2;
set DIFFMM_DEBUG=1 to see the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from diffmm.cli import demo, evaluate, forecast, info, restore, sample, tts, vocode
from diffmm.errors import run_entry_point

COMMANDS = (info, sample, evaluate, vocode, tts, forecast, restore, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffmm", description="Diffusion models for audio, time series and images."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_entry_point(f"diffmm {args.command}", lambda: args.run(args))


if __name__ == "__main__":
    sys.exit(main())
