"""``diffmm demo [-o OUTDIR] [--part P ...]``: the toolkit's showcase (``diffmm.demo``).

Runs the shipped bundles on real held-out data (vocoding, text to speech, forecasting, image
sampling) and writes OUTDIR/report.html, OUTDIR/scores.json and each part's raw outputs in
OUTDIR/<part>/. Existing outputs are kept unless ``--overwrite``.
"""

from __future__ import annotations

import argparse

from diffmm.cli.options import add_precision_option, check_writable
from diffmm.cli.outputs import add_overwrite_option


def add_parser(sub: argparse._SubParsersAction) -> None:
    from diffmm.demo.parts import PARTS

    parser = sub.add_parser("demo", help="showcase: vocode, speak, forecast, sample; HTML report")
    parser.add_argument("-o", "--output-dir", default="demo_out", help="default: demo_out")
    parser.add_argument(
        "--part", nargs="+", choices=list(PARTS), default=list(PARTS), help="default: all"
    )
    parser.add_argument(
        "--bundle-dir", help="a folder of bundles named as the shipped ones (default: those)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    add_precision_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from diffmm.demo import run_demo

    check_writable(f"{args.output_dir}/report.html")
    report = run_demo(
        args.output_dir,
        parts=args.part,
        dtype=args.dtype,
        overwrite=args.overwrite,
        bundle_dir=args.bundle_dir,
        seed=args.seed,
        device=args.device,
    )
    print(f"wrote {report}: open it in a browser")
    return 0
