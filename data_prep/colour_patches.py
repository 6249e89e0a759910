"""Write 32 × 32 RGB crops of colour photographs as image arrays: train.npz (crops from the
left part of each photograph), test.npz (from its held-out right strip) and, with --unseen,
unseen.npz (crops of photographs held out whole). See ``diffmm.vision.photo_patches``.
--train-whole adds photographs cropped anywhere for train.npz only (more scenes for the prior,
while test.npz and unseen.npz stay those of the other photographs, byte for byte).

python data_prep/colour_patches.py --bundled --photos DIR/astronaut.png ... --out-dir data

--bundled adds the colour photographs already installed with the project's dependencies:
scikit-learn's china.jpg and flower.jpg (``sklearn.datasets.load_sample_images``) and
matplotlib's grace_hopper.jpg. More come from the scikit-image wheel without installing it:
``pip download --no-deps scikit-image -d DIR`` and unzip its ``skimage/data/*``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffmm.errors import run_entry_point
from diffmm.vision.labelled_images import concatenate_images
from diffmm.vision.photo_patches import photo_patches
from diffmm.vision.sources import save_image_arrays


def bundled_photographs() -> list[Path]:
    """china.jpg and flower.jpg from scikit-learn, grace_hopper.jpg from matplotlib."""
    import matplotlib
    import sklearn.datasets

    sklearn_images = Path(sklearn.datasets.__file__).parent / "images"
    sample_data = Path(matplotlib.get_data_path()) / "sample_data"
    return [
        sklearn_images / "china.jpg",
        sklearn_images / "flower.jpg",
        sample_data / "grace_hopper.jpg",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", nargs="*", default=[], help="colour photographs (any size)")
    parser.add_argument("--bundled", action="store_true", help="add the installed photographs")
    parser.add_argument("--unseen", nargs="*", default=[], help="photographs held out whole")
    parser.add_argument(
        "--train-whole", nargs="*", default=[], help="photographs used whole, for training only"
    )
    parser.add_argument("--train-crops", type=int, default=2000, help="per photograph and scale")
    parser.add_argument(
        "--train-whole-crops", type=int, default=None, help="per --train-whole photograph and scale"
    )
    parser.add_argument("--test-crops", type=int, default=2, help="per photograph and scale")
    parser.add_argument("--unseen-crops", type=int, default=8, help="per photograph and scale")
    parser.add_argument("--scales", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--test-fraction", type=float, default=0.25)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="data")
    args = parser.parse_args(argv)
    unseen = [Path(p) for p in args.unseen]
    photos = [Path(p) for p in args.photos]
    if args.bundled:
        photos += [p for p in bundled_photographs() if p.name not in {u.name for u in unseen}]
    common = {"size": args.size, "scales": args.scales, "test_fraction": args.test_fraction}
    train = photo_patches(photos, "train", args.train_crops, seed=args.seed, **common)
    if args.train_whole:
        whole_crops = args.train_whole_crops or args.train_crops
        # its own seed, so the other photographs' training crops stay as without it
        whole = photo_patches(args.train_whole, "all", whole_crops, seed=args.seed + 3, **common)
        train = concatenate_images([train, whole])
    splits = {
        "train": train,
        "test": photo_patches(photos, "test", args.test_crops, seed=args.seed + 1, **common),
    }
    if unseen:
        splits["unseen"] = photo_patches(
            unseen, "all", args.unseen_crops, seed=args.seed + 2, **common
        )
    for name, crops in splits.items():
        path = save_image_arrays(Path(args.out_dir) / f"{name}.npz", crops)
        print(f"{name}: {len(crops)} crops of {', '.join(crops.class_names)} → {path}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/colour_patches.py", main))
