"""One entry point for every image source a recipe, data preparation or ``diffmm evaluate`` is
given a path to, recognised from what is at the path:

- ``*.npz`` with ``images`` (uint8 NHWC), ``labels`` and ``class_names``: the project's image
  arrays (``save_image_arrays``; what ``data_prep/images.py`` writes);
- ``*.npz`` with ``arr_0`` only: a samples file (``diffmm sample``, the FID tools' layout),
  one unnamed class;
- the CIFAR-10 python tarball, its ``cifar-10-batches-py`` folder or that folder's parent;
- a folder of IDX files (``train-images-idx3-ubyte[.gz]`` …: MNIST, Fashion-MNIST);
- an LSUN lmdb folder (``data.mdb``), centre-cropped and resized to ``lsun_resolution``;
- any other folder: image files, with class subfolders or flat.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.vision.atomic_npz import save_npz_atomic
from diffmm.vision.cifar10 import FOLDER_NAME, load_cifar10
from diffmm.vision.idx import FASHION_MNIST_CLASSES, load_idx_split
from diffmm.vision.image_folder import IMAGE_SUFFIXES, load_image_folder
from diffmm.vision.labelled_images import LabelledImages
from diffmm.vision.lsun import LSUN_DATA_FILE, load_lsun
from diffmm.vision.sample_files import SAMPLES_KEY, check_image_samples

Split = Literal["train", "test"]


def load_images(
    path: str | Path,
    split: Split = "train",
    idx_class_names: tuple[str, ...] = FASHION_MNIST_CLASSES,
    lsun_resolution: int = 256,
) -> LabelledImages:
    """The images at ``path`` (see the module docstring); ``split`` picks the part of sources
    that hold both (CIFAR-10, IDX folders) and is ignored by the others."""
    path = Path(path)
    if path.suffix == ".npz":
        return load_image_arrays(path)
    if path.is_file() or (path / FOLDER_NAME).is_dir() or (path / "data_batch_1").is_file():
        return load_cifar10(path, split)
    if not path.is_dir():
        raise DiffmmError(f"image source not found: {path}")
    if (path / LSUN_DATA_FILE).is_file():
        return load_lsun(path, lsun_resolution)
    if any(path.glob("*-images-idx3-ubyte*")):
        return load_idx_split(path, split, idx_class_names)
    return load_image_folder(path, "L" if _grey_folder(path) else "RGB")


def save_image_arrays(path: str | Path, images: LabelledImages) -> Path:
    """Write ``images`` as the project's ``.npz`` image arrays, atomically."""
    return save_npz_atomic(
        path,
        images=images.images,
        labels=images.labels,
        class_names=np.asarray(images.class_names, dtype=np.str_),
    )


def load_image_arrays(path: str | Path) -> LabelledImages:
    """Image arrays or a samples file (``arr_0``); anything else is a one-line error."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise DiffmmError(f"image file not found: {path}") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DiffmmError(f"cannot read image arrays {path}: {error}") from error
    if "images" in arrays:
        images = arrays["images"]
        labels = arrays.get("labels", np.zeros(len(images), np.int64)).astype(np.int64)
        names = tuple(str(name) for name in arrays.get("class_names", [path.stem]))
    elif SAMPLES_KEY in arrays:
        images, labels, names = arrays[SAMPLES_KEY], None, (path.stem,)
    else:
        raise DiffmmError(
            f"{path} holds neither image arrays ('images') nor samples ('{SAMPLES_KEY}'): "
            f"keys {', '.join(sorted(arrays)) or 'none'}"
        )
    check_image_samples(images, str(path))
    if labels is None:
        labels = np.zeros(len(images), np.int64)
    return LabelledImages(images, labels, names)


def _grey_folder(path: Path) -> bool:
    """Whether an image of the folder is single-channel: then all are read as grey, so that
    a grey data set stays one channel (the loader checks that sizes agree, not modes)."""
    from PIL import Image

    for file in path.rglob("*"):
        if file.suffix.lower() in IMAGE_SUFFIXES:
            with Image.open(file) as image:
                return image.mode in ("L", "1", "I;16")
    return False
