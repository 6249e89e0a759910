"""A folder of image files: class subfolders (the ImageNet layout) or one flat folder (FFHQ, CelebA).

Classes are the subfolder names in sorted order, as torchvision's ``ImageFolder`` numbers
them, so label indices agree with models trained elsewhere on the same folder. Files are read
in sorted order for the same reason. Every image must have the size of the first: silent
resizing would change the data distribution the FID is measured against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from diffmm.errors import DiffmmError
from diffmm.vision.labelled_images import LabelledImages

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})


def load_image_folder(root: str | Path, mode: Literal["RGB", "L"] = "RGB") -> LabelledImages:
    """Every image under ``root`` as uint8 NHWC (3 channels for RGB, 1 for L).

    With class subfolders, labels index their sorted names; a flat folder is one class named
    after it. Files beside class subfolders, unreadable files and a size that differs from
    the first image's are one-line ``DiffmmError``s naming the file.
    """
    root = Path(root)
    if not root.is_dir():
        raise DiffmmError(f"image folder not found: {root}")
    loose_files = _image_files(root)
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and _image_files(d))
    if class_dirs and loose_files:
        raise DiffmmError(
            f"{root} mixes class subfolders with loose images such as {loose_files[0]}"
        )
    groups = [(d.name, _image_files(d)) for d in class_dirs] or [(root.name, loose_files)]
    if not groups[0][1]:
        raise DiffmmError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {root}")
    images, labels = [], []
    for label, (_, files) in enumerate(groups):
        for path in files:
            images.append(_read(path, mode, images[0].shape if images else None))
            labels.append(label)
    return LabelledImages(
        np.stack(images), np.asarray(labels, np.int64), tuple(g[0] for g in groups)
    )


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _read(path: Path, mode: str, expected_shape: tuple[int, ...] | None) -> np.ndarray:
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert(mode), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as error:
        raise DiffmmError(f"cannot read image {path}: {error}") from error
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if expected_shape is not None and pixels.shape != expected_shape:
        raise DiffmmError(
            f"{path} is {pixels.shape[1]}×{pixels.shape[0]}, the folder's first image "
            f"{expected_shape[1]}×{expected_shape[0]}: images of mixed sizes"
        )
    return pixels
