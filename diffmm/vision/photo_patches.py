"""Small square crops of a few large colour photographs, with a held-out strip of each.

Offline, the only real colour images are a handful of photographs shipped inside packages
(DESIGN.md §7: scikit-learn's china/flower, matplotlib's grace_hopper, the scikit-image
wheel's astronaut, chelsea, coffee, …). A data set of 32 × 32 RGB images is made from them by
random crops of each photograph box-downscaled by a few factors s (each pixel the mean of an
s × s block, so a crop covers 32·s original pixels: different scales of the same scenes).

Held out: the right ``test_fraction`` of each photograph's columns. A training crop lies in
the columns left of (1 − test_fraction − gap)·W, a test crop in those right of
(1 − test_fraction)·W, measured in original pixels at every scale, so no test pixel (nor a
``gap`` band next to it) is ever averaged into a training crop. Disjoint regions, not whole
photographs, because with so few scenes a whole held-out photograph tests colours the model
never saw (a portrait's skin, a cat's fur), not colourisation; ``photo_patches(…, "all")``
crops anywhere, for photographs held out whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from diffmm.errors import DiffmmError
from diffmm.vision.labelled_images import LabelledImages

Region = Literal["train", "test", "all"]


def read_photo(path: str | Path) -> np.ndarray:
    """A photograph as uint8 (H, W, 3) RGB; a missing or unreadable file is a one-line error."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except FileNotFoundError:
        raise DiffmmError(f"photograph not found: {path}") from None
    except (UnidentifiedImageError, OSError) as error:
        raise DiffmmError(f"cannot read photograph {path}: {error}") from None


def box_downscale(photo: np.ndarray, factor: int) -> np.ndarray:
    """Each output pixel the rounded mean of a ``factor`` × ``factor`` block (the last rows and
    columns that do not fill a block are dropped), so block j covers pixels [j·s, (j + 1)·s)."""
    if factor == 1:
        return photo
    rows, cols = photo.shape[0] // factor, photo.shape[1] // factor
    blocks = photo[: rows * factor, : cols * factor].astype(np.float64)
    blocks = blocks.reshape(rows, factor, cols, factor, photo.shape[2])
    return np.round(blocks.mean(axis=(1, 3))).astype(np.uint8)


def region_columns(
    width: int, factor: int, region: Region, test_fraction: float, gap: float
) -> tuple[int, int]:
    """[start, stop) columns of the ``factor``-downscaled photo (of original ``width``) whose
    blocks lie wholly inside ``region``."""
    cols = width // factor
    if region == "train":
        return 0, int(np.floor((1 - test_fraction - gap) * width / factor))
    if region == "test":
        return int(np.ceil((1 - test_fraction) * width / factor)), cols
    return 0, cols


def random_patches(
    photo: np.ndarray,
    count: int,
    size: int,
    columns: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """``count`` uniform random ``size`` × ``size`` crops with all columns in [start, stop)."""
    start, stop = columns
    if stop - start < size or photo.shape[0] < size:
        raise DiffmmError(
            f"a {photo.shape[0]}×{stop - start} region has no room for {size}×{size} crops"
        )
    tops = rng.integers(0, photo.shape[0] - size + 1, count)
    lefts = rng.integers(start, stop - size + 1, count)
    return np.stack([photo[t : t + size, c : c + size] for t, c in zip(tops, lefts)])


def photo_patches(
    paths: Sequence[str | Path],
    region: Region,
    count: int,
    *,
    size: int = 32,
    scales: Sequence[int] = (2, 4),
    test_fraction: float = 0.25,
    gap: float = 0.02,
    seed: int = 0,
) -> LabelledImages:
    """``count`` crops per photograph and scale from ``region`` of each, labelled by
    photograph (class names: the file stems)."""
    if not paths:
        raise DiffmmError("no photographs given")
    if not 0 < test_fraction < 1 or gap < 0 or test_fraction + gap >= 1:
        raise DiffmmError("test_fraction must be in (0, 1) and leave room for the gap")
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, path in enumerate(paths):
        photo = read_photo(path)
        for factor in scales:
            columns = region_columns(photo.shape[1], factor, region, test_fraction, gap)
            small = box_downscale(photo, factor)
            images.append(random_patches(small, count, size, columns, rng))
            labels.append(np.full(count, label, np.int64))
    names = tuple(Path(p).stem for p in paths)
    return LabelledImages(np.concatenate(images), np.concatenate(labels), names)
