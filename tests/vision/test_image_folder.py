"""Image folders written as PNG files: class subfolders, a flat folder, and what is refused."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from diffmm.errors import DiffmmError
from diffmm.vision import load_image_folder


def _save(path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def test_class_subfolders_are_sorted_into_labels(tmp_path) -> None:
    rng = np.random.default_rng(0)
    pictures = {
        ("zebra", "b.png"): rng.integers(0, 256, (6, 5, 3), dtype=np.uint8),
        ("zebra", "a.png"): rng.integers(0, 256, (6, 5, 3), dtype=np.uint8),
        ("ant", "x.PNG"): rng.integers(0, 256, (6, 5, 3), dtype=np.uint8),
    }
    for (cls, name), pixels in pictures.items():
        _save(tmp_path / cls / name, pixels)
    (tmp_path / "ant" / "notes.txt").write_text("not an image")
    data = load_image_folder(tmp_path)
    assert data.class_names == ("ant", "zebra")
    assert data.labels.tolist() == [0, 1, 1]
    assert data.images.shape == (3, 6, 5, 3)  # (N, H, W, C): PNG rows are H
    for got, key in zip(data.images, [("ant", "x.PNG"), ("zebra", "a.png"), ("zebra", "b.png")]):
        assert np.array_equal(got, pictures[key])


def test_flat_folder_is_one_class_and_grey_mode_keeps_one_channel(tmp_path) -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    _save(tmp_path / "faces" / "0.png", grey)
    data = load_image_folder(tmp_path / "faces", mode="L")
    assert data.class_names == ("faces",) and data.labels.tolist() == [0]
    assert np.array_equal(data.images[0, ..., 0], grey)
    assert np.array_equal(load_image_folder(tmp_path / "faces").images[0], np.stack([grey] * 3, -1))


def test_mixed_sizes_and_unreadable_files_are_named(tmp_path) -> None:
    _save(tmp_path / "mixed" / "a.png", np.zeros((4, 4, 3), np.uint8))
    _save(tmp_path / "mixed" / "b.png", np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(
        DiffmmError, match=r"b\.png is 5×4, the folder's first image 4×4: images of mixed sizes"
    ):
        load_image_folder(tmp_path / "mixed")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "c.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DiffmmError, match=r"cannot read image .*c\.png"):
        load_image_folder(tmp_path / "broken")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiffmmError, match="no images"):
        load_image_folder(tmp_path / "empty")
    _save(tmp_path / "both" / "cls" / "a.png", np.zeros((4, 4, 3), np.uint8))
    _save(tmp_path / "both" / "loose.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DiffmmError, match="mixes class subfolders with loose images"):
        load_image_folder(tmp_path / "both")
