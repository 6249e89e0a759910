"""LSUN scene categories as released: one lmdb folder per category and split
(``bedroom_train_lmdb/`` holding ``data.mdb``), each key an image id, each value the encoded
image (WebP as released; JPEG or any format PIL reads works too), of varying size.

Images are brought to a square of ``resolution`` as ADM does for LSUN 256 (Dhariwal & Nichol
2021, ``center_crop_arr`` in their code): box-filter halvings while the short side is at least
twice the target (cheap, alias-free), one bicubic resize of the short side to the target,
then a centre crop. The ``lmdb`` package is an optional dependency (extra ``vision``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from diffmm.errors import DiffmmError
from diffmm.vision.labelled_images import LabelledImages

LSUN_DATA_FILE = "data.mdb"


def _lmdb() -> Any:
    try:
        import lmdb
    except ImportError:
        raise DiffmmError("LSUN lmdb folders need the lmdb package: pip install lmdb") from None
    return lmdb


def centre_crop_resize(image: Image.Image, resolution: int) -> np.ndarray:
    """``image`` as uint8 (resolution, resolution, 3): halvings, bicubic resize, centre crop."""
    image = image.convert("RGB")
    while min(image.size) >= 2 * resolution:
        image = image.resize(tuple(side // 2 for side in image.size), Image.Resampling.BOX)
    scale = resolution / min(image.size)
    image = image.resize(
        tuple(round(side * scale) for side in image.size), Image.Resampling.BICUBIC
    )
    pixels = np.asarray(image, dtype=np.uint8)
    top = (pixels.shape[0] - resolution) // 2
    left = (pixels.shape[1] - resolution) // 2
    return pixels[top : top + resolution, left : left + resolution]


def iter_lsun(path: str | Path, resolution: int = 256) -> Iterator[tuple[str, np.ndarray]]:
    """(key, uint8 HWC image) for each record of an LSUN lmdb folder, in key order; streams,
    so a category of millions of images can be written to tar shards without holding it."""
    path = Path(path)
    if not (path / LSUN_DATA_FILE).is_file():
        raise DiffmmError(f"not an LSUN lmdb folder (no {LSUN_DATA_FILE}): {path}")
    lmdb = _lmdb()
    try:
        environment = lmdb.open(str(path), readonly=True, lock=False, readahead=False)
    except lmdb.Error as error:
        raise DiffmmError(f"cannot open LSUN lmdb {path}: {error}") from error
    with environment, environment.begin(write=False) as transaction:
        for key, value in transaction.cursor():
            name = key.decode("ascii", "replace")
            try:
                with Image.open(io.BytesIO(value)) as image:
                    pixels = centre_crop_resize(image, resolution)
            except (OSError, UnidentifiedImageError) as error:
                raise DiffmmError(f"{path}: record {name} is not an image: {error}") from error
            yield name, pixels


def load_lsun(
    path: str | Path, resolution: int = 256, max_images: int | None = None
) -> LabelledImages:
    """The first ``max_images`` (all by default) images of an LSUN lmdb folder, one class
    named after the category (the folder name without ``_train_lmdb``/``_val_lmdb``)."""
    path = Path(path)
    images = []
    records = iter_lsun(path, resolution)
    try:
        for _, pixels in tqdm(records, desc=f"LSUN {path.name}", unit="img", total=max_images):
            images.append(pixels)
            if max_images is not None and len(images) == max_images:
                break
    finally:
        records.close()  # closes the lmdb environment now, not at garbage collection
    if not images:
        raise DiffmmError(f"LSUN lmdb {path} holds no records")
    category = path.name.removesuffix("_lmdb").removesuffix("_train").removesuffix("_val")
    return LabelledImages(np.stack(images), np.zeros(len(images), np.int64), (category,))
