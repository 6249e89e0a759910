"""``diffmm evaluate images``: FID, IS and precision/recall of a samples file
(``diffmm.metrics.score_images``); ``diffmm evaluate pointclouds``: CD, EMD, MMD, COV, 1-NNA
and JSD of point clouds (``diffmm.metrics.score_pointclouds``)."""

from __future__ import annotations

import argparse

from diffmm.metrics import score_images, score_pointclouds


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
    clouds = kinds.add_parser(
        "pointclouds",
        help="CD/EMD (auto-encoding) or MMD, COV, 1-NNA, JSD (generation) of point clouds",
        description=score_pointclouds.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score_pointclouds.add_arguments(clouds)
    clouds.set_defaults(run=score_pointclouds.run)
