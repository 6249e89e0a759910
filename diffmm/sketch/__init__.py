"""Sketches: QuickDraw drawings as pen strokes, fixed-length sequences and bitmaps.

Loaders for both public QuickDraw formats (sketch-rnn ``.npz`` stroke-3 files, read without
unpickling anything but arrays, and simplified ``.ndjson``), the (L, 3) [x, y, pen] sequences
the 1-D UNet models, rasterisation, and hand-made shapes as an offline stand-in.
"""

from diffmm.sketch.arrays import SketchArrays, load_sketch_arrays, save_sketch_arrays
from diffmm.sketch.ndjson import NdjsonDrawing, load_ndjson
from diffmm.sketch.raster import rasterise, rasterise_sequences, save_bitmap_grid
from diffmm.sketch.samples import RasterSettings, write_sketch_samples
from diffmm.sketch.sequence import (
    Normalisation,
    normalise_strokes,
    sequence_to_strokes,
    strokes_to_sequence,
    strokes_to_sequences,
)
from diffmm.sketch.shapes import SHAPE_CLASSES, draw_shapes
from diffmm.sketch.sketchrnn_npz import load_sketchrnn_npz
from diffmm.sketch.sources import class_name, load_class_drawings, quickdraw_class_files
from diffmm.sketch.strokes import Strokes, stroke3_to_strokes, strokes_to_stroke3

__all__ = [
    "SHAPE_CLASSES",
    "NdjsonDrawing",
    "Normalisation",
    "RasterSettings",
    "SketchArrays",
    "Strokes",
    "class_name",
    "draw_shapes",
    "load_class_drawings",
    "load_ndjson",
    "load_sketch_arrays",
    "load_sketchrnn_npz",
    "normalise_strokes",
    "quickdraw_class_files",
    "rasterise",
    "rasterise_sequences",
    "save_bitmap_grid",
    "save_sketch_arrays",
    "sequence_to_strokes",
    "stroke3_to_strokes",
    "strokes_to_sequence",
    "strokes_to_sequences",
    "strokes_to_stroke3",
    "write_sketch_samples",
]
