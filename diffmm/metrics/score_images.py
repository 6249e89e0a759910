"""Score image samples: FID, IS and precision/recall against a reference, in one extractor's
feature space (``diffmm.metrics.image_evaluation``). Stage 7 of the image egs, and the
``diffmm evaluate images`` command:

    python -m diffmm.metrics.score_images --samples S.npz --ref REF --extractor X [--out-dir DIR]

REF: image arrays (.npz), a CIFAR-10 or IDX path, an image folder, or a statistics .npz that
``--save-ref-stats`` wrote. X: a classifier bundle (``recipes/image_classifier.py``) or the FID
Inception weights file ``pt_inception-2015-12-05-6726825d.pth``. With ``--nll-bundle B`` the
NLL of the first ``--nll-images`` reference images under bundle B is added (bits/dim,
``diffmm.metrics.image_nll``); with ``--nn-train T`` the memorisation check against training
set T (``diffmm.metrics.nearest_neighbours``: DIR/nn_panel.png, DIR/nn_histogram.png).
Writes DIR/scores.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from diffmm.atomic import write_text_atomic
from diffmm.errors import DiffmmError, run_entry_point
from diffmm.metrics.feature_extractor import FeatureExtractor
from diffmm.metrics.image_evaluation import extract, load_reference, score_features
from diffmm.vision.sample_files import read_image_samples
from diffmm.vision.sources import load_images


def load_extractor(spec: str, device: str = "cpu") -> FeatureExtractor:
    """A classifier bundle directory, or a ``.pth`` file of the FID Inception weights."""
    path = Path(spec)
    if path.is_dir():
        from diffmm.models.image_classifier import FeatureClassifier

        return FeatureClassifier.from_bundle(path, device=device)
    if path.suffix == ".pth":
        from diffmm.metrics.fid_inception import FIDInceptionExtractor

        return FIDInceptionExtractor.from_weights(path, device=device)
    raise DiffmmError(
        f"extractor {spec!r} is neither a classifier bundle directory nor a .pth Inception "
        "weights file"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", required=True, help="samples .npz (uint8 NHWC 'arr_0')")
    parser.add_argument("--ref", required=True, help="reference data set or statistics .npz")
    parser.add_argument("--extractor", required=True, help="classifier bundle or Inception .pth")
    parser.add_argument("--ref-split", default="test", choices=["train", "test"])
    parser.add_argument("--save-ref-stats", help="also write the reference statistics here")
    parser.add_argument("--out-dir", help="write scores.json here")
    parser.add_argument("--nll-bundle", help="also the NLL (bits/dim) of the reference under it")
    parser.add_argument("--nll-images", type=int, default=100, help="reference images for NLL")
    parser.add_argument("--nn-train", help="training set for the nearest-neighbour panel")
    parser.add_argument("--nn-rows", type=int, default=8, help="samples in the panel")
    parser.add_argument("--nn-k", type=int, default=5, help="training images per panel row")
    parser.add_argument("--k", type=int, default=3, help="neighbours for precision/recall")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--device", default="cpu")


def run(args: argparse.Namespace) -> int:
    samples = read_image_samples(args.samples)
    extractor = load_extractor(args.extractor, args.device)
    reference = load_reference(
        args.ref, extractor, split=args.ref_split, batch_size=args.batch_size
    )
    if args.save_ref_stats:
        reference.statistics.save(args.save_ref_stats)
    features, probabilities = extract(extractor, samples, batch_size=args.batch_size)
    scores = score_features(features, probabilities, reference, extractor, k=args.k)
    scores["samples"] = str(args.samples)
    out = Path(args.out_dir) if args.out_dir else None
    if args.nll_bundle:
        scores.update(reference_nll(args))
    if args.nn_train:
        if out is None or reference.features is None:
            raise DiffmmError("--nn-train needs --out-dir and reference images (not statistics)")
        scores.update(memorisation(args, samples, features, reference, extractor, out))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "scores.json", json.dumps(scores, indent=2) + "\n")
    print(json.dumps(scores, indent=2))
    return 0


def memorisation(args, samples, features, reference, extractor, out: Path) -> dict:
    """Nearest training images of the samples: summary, panel and histogram in ``out``."""
    from diffmm.metrics import nearest_neighbours as nn

    train = load_images(args.nn_train, "train").images
    train_features, _ = extract(extractor, train, batch_size=args.batch_size)
    summary, to_train, held_out = nn.memorisation_report(
        features, reference.features, train_features
    )
    rows = min(args.nn_rows, len(samples))
    _, indices = nn.nearest_neighbours(features[:rows], train_features, k=args.nn_k)
    nn.save_panel(out / "nn_panel.png", samples[:rows], train, indices)
    nn.save_histogram(out / "nn_histogram.png", to_train, held_out)
    return summary


def reference_nll(args: argparse.Namespace) -> dict:
    from diffmm.metrics.image_nll import nll_bits_per_dim
    from diffmm.models.generation import DiffusionGenerator

    if Path(args.ref).suffix == ".npz" and "mean" in np.load(args.ref).files:
        raise DiffmmError("--nll-bundle needs reference images, not cached statistics")
    images = load_images(args.ref, args.ref_split).images[: args.nll_images]
    generator = DiffusionGenerator.from_bundle(args.nll_bundle, device=args.device)
    return nll_bits_per_dim(generator, images, batch_size=args.batch_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_entry_point("diffmm.metrics.score_images", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
