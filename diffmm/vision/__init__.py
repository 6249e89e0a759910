"""Image data: CIFAR-10 batches, IDX (MNIST/Fashion-MNIST), image folders, LSUN lmdb, tar shards.

``load_images(path)`` recognises any of these sources from the path. Every loader returns
``LabelledImages`` (uint8 NHWC); ``ImageDataset`` maps them to the
model's x ∈ [−1, 1] with ``uint8_to_signed``, the levels of the discretized Gaussian decoder.
The tar-shard functions need the optional ``webdataset`` package and LSUN the optional
``lmdb`` package, only when called.
"""

from diffmm.vision.cifar10 import load_cifar10
from diffmm.vision.dataset import ImageDataset
from diffmm.vision.flip import random_horizontal_flip
from diffmm.vision.grid import image_grid, save_image_grid
from diffmm.vision.idx import (
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    load_idx_images,
    load_idx_split,
    read_idx,
)
from diffmm.vision.image_folder import load_image_folder
from diffmm.vision.labelled_images import LabelledImages
from diffmm.vision.lsun import centre_crop_resize, iter_lsun, load_lsun
from diffmm.vision.padding import pad_images
from diffmm.vision.pixels import signed_to_uint8, uint8_to_signed
from diffmm.vision.shards import ImageShards, write_image_shards
from diffmm.vision.sources import load_image_arrays, load_images, save_image_arrays

__all__ = [
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "ImageDataset",
    "ImageShards",
    "LabelledImages",
    "centre_crop_resize",
    "image_grid",
    "iter_lsun",
    "load_cifar10",
    "load_idx_images",
    "load_idx_split",
    "load_image_arrays",
    "load_image_folder",
    "load_images",
    "load_lsun",
    "pad_images",
    "random_horizontal_flip",
    "read_idx",
    "save_image_arrays",
    "save_image_grid",
    "signed_to_uint8",
    "uint8_to_signed",
    "write_image_shards",
]
