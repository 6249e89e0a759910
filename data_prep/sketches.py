"""Write a sketch data set: sequences for the sketch recipe and bitmaps for the feature network.

python data_prep/sketches.py --quickdraw DIR [--max-per-class N] [--length 96] --out-dir data
python data_prep/sketches.py --shapes 600 --num-test 100 --out-dir data

--quickdraw: a folder of QuickDraw class files, sketch-rnn ``<class>.npz`` or simplified
``<class>.ndjson`` (``diffmm.sketch.sources``). --shapes N: N script-drawn shapes per class
(``diffmm.sketch.shapes``; an offline stand-in, not QuickDraw). For each split writes
``sketches_<split>.npz`` (``SketchArrays``: (N, L, 3) [x, y, pen] with labels) and
``<split>.npz``, the same sequences rasterised into image arrays (what the project classifier
trains on and FID compares samples with; keep --raster-* equal to the recipe's ``raster:``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from diffmm.errors import run_entry_point
from diffmm.sketch import (
    SHAPE_CLASSES,
    RasterSettings,
    SketchArrays,
    class_name,
    draw_shapes,
    load_class_drawings,
    quickdraw_class_files,
    save_sketch_arrays,
    strokes_to_sequences,
)
from diffmm.vision import LabelledImages, save_image_arrays


def quickdraw_split(args: argparse.Namespace, split: str) -> tuple[list, np.ndarray, tuple]:
    files = quickdraw_class_files(args.quickdraw)
    drawings, labels = [], []
    limit = args.max_per_class if split == "train" else args.num_test
    for label, path in enumerate(tqdm(files, desc=f"reading {split}", unit="class")):
        found = load_class_drawings(path, split, max_drawings=limit, num_test=args.num_test)
        drawings += found
        labels += [label] * len(found)
    return drawings, np.asarray(labels, np.int64), tuple(class_name(f) for f in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--quickdraw", help="folder of QuickDraw .npz or .ndjson class files")
    source.add_argument("--shapes", type=int, help="script-drawn shapes per class (offline)")
    parser.add_argument("--max-per-class", type=int, default=None, help="training drawings")
    parser.add_argument(
        "--num-test",
        type=int,
        default=250,
        help="test drawings per class (the first ones of "
        "an .ndjson file; the head of sketch-rnn's test split)",
    )
    parser.add_argument("--length", type=int, default=96, help="points per sequence")
    parser.add_argument("--on-overflow", choices=["truncate", "drop", "error"], default="drop")
    parser.add_argument("--raster-size", type=int, default=RasterSettings.size)
    parser.add_argument("--raster-margin", type=int, default=RasterSettings.margin)
    parser.add_argument("--raster-line-width", type=int, default=RasterSettings.line_width)
    parser.add_argument("--seed", type=int, default=0, help="--shapes: the drawing seed")
    parser.add_argument("--out-dir", default="data")
    args = parser.parse_args(argv)
    raster = RasterSettings(args.raster_size, args.raster_margin, args.raster_line_width)
    for offset, split in enumerate(("train", "test")):
        if args.shapes:
            count = args.shapes if split == "train" else args.num_test
            drawings, labels = draw_shapes(count, args.seed + offset)
            names = SHAPE_CLASSES
        else:
            drawings, labels, names = quickdraw_split(args, split)
        sequences, kept = strokes_to_sequences(drawings, args.length, args.on_overflow)
        sketches = SketchArrays(sequences, labels[kept], names)
        out = Path(args.out_dir)
        save_sketch_arrays(out / f"sketches_{split}.npz", sketches)
        bitmaps = raster.rasterise(sequences)
        save_image_arrays(out / f"{split}.npz", LabelledImages(bitmaps, labels[kept], names))
        print(
            f"wrote {len(sequences)} {split} drawings of {args.length} points, {len(names)} "
            f"classes, to {out}/sketches_{split}.npz and as {raster.size}×{raster.size} "
            f"bitmaps to {out}/{split}.npz"
        )
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("data_prep/sketches.py", main))
