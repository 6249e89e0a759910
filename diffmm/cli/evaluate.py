"""``diffmm evaluate images``: FID, IS and precision/recall of a samples file
(``diffmm.metrics.score_images``); ``diffmm evaluate pointclouds``: CD, EMD, MMD, COV, 1-NNA
and JSD of point clouds (``diffmm.metrics.score_pointclouds``); ``diffmm evaluate speech``:
MCD, log-F0 RMSE, duration error, DNSMOS and WER of generated speech against references
(``diffmm.metrics.score_speech``); ``diffmm evaluate forecast``: CRPS-sum and the other
forecast metrics of sample paths (``diffmm.metrics.score_forecast``)."""

from __future__ import annotations

import argparse

from diffmm.metrics import score_forecast, score_images, score_pointclouds, score_speech

# KIND → (its scorer module: add_arguments(parser) and run(args), one-line help)
KINDS = {
    "images": (score_images, "FID, IS, precision/recall against a reference set or statistics"),
    "pointclouds": (
        score_pointclouds,
        "CD/EMD (auto-encoding) or MMD, COV, 1-NNA, JSD (generation) of point clouds",
    ),
    "speech": (
        score_speech,
        "MCD, log-F0 RMSE, duration error, DNSMOS, WER of generated speech vs references",
    ),
    "forecast": (score_forecast, "CRPS-sum, CRPS, ND, NRMSE, energy score of forecast paths"),
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evaluate", help="score generated samples")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    for name, (scorer, help_text) in KINDS.items():
        kind = kinds.add_parser(
            name,
            help=help_text,
            description=scorer.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        scorer.add_arguments(kind)
        kind.set_defaults(run=scorer.run)
