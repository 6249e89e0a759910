"""Crops of colour photographs: block means, disjoint held-out strips, the real files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from diffmm.errors import DiffmmError
from diffmm.vision.labelled_images import LabelledImages, concatenate_images
from diffmm.vision.photo_patches import box_downscale, photo_patches, read_photo
from diffmm.vision.sources import load_image_arrays


def coordinate_photo(path: Path, height: int = 64, width: int = 200) -> Path:
    """A PNG whose red channel is the column index and green channel the row index."""
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    pixels = np.stack([cols, rows, np.full_like(cols, 7)], axis=-1).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_box_downscale_is_the_rounded_block_mean() -> None:
    photo = np.array([[0, 1, 10, 30, 5], [2, 3, 20, 41, 5], [9, 9, 9, 9, 9]], np.uint8)[..., None]
    small = box_downscale(photo, 2)  # the last row and column do not fill a block
    assert small[..., 0].tolist() == [[2, 25]]  # means 1.5 → 2 (half to even), 25.25 → 25
    assert box_downscale(photo, 1) is photo


def test_training_and_test_crops_come_from_disjoint_columns(tmp_path: Path) -> None:
    photo = coordinate_photo(tmp_path / "coords.png")
    options = {"scales": (1, 2), "test_fraction": 0.25, "gap": 0.02, "size": 16}
    train = photo_patches([photo], "train", 50, **options)
    test = photo_patches([photo], "test", 50, seed=1, **options)
    assert train.images.shape == (100, 16, 16, 3) and test.images.shape == (100, 16, 16, 3)
    # red = column (a mean of columns at scale 2): training left of 146 = 0.73·200,
    # test from 150 = 0.75·200 on, and both strips are reached
    assert train.images[..., 0].max() <= 145 and train.images[..., 0].min() == 0
    assert test.images[..., 0].min() >= 150 and test.images[..., 0].max() >= 190
    # each crop is a contiguous window: columns step by 1 (scale 1) or 2 (scale 2)
    steps = np.diff(train.images[:, 0, :, 0].astype(int), axis=1)
    assert set(np.unique(steps[:50])) == {1} and set(np.unique(steps[50:])) <= {1, 2, 3}
    everywhere = photo_patches([photo], "all", 200, **options)
    assert everywhere.images[..., 0].min() == 0 and everywhere.images[..., 0].max() >= 195


def test_labels_name_the_photographs(tmp_path: Path) -> None:
    first = coordinate_photo(tmp_path / "first.png")
    second = tmp_path / "second.jpg"
    Image.open(first).convert("RGB").save(second, quality=90)
    crops = photo_patches([first, second], "train", 3, scales=(1,), size=8)
    assert crops.class_names == ("first", "second")
    assert crops.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert read_photo(second).shape == (64, 200, 3)


def test_the_photographs_scikit_learn_ships() -> None:
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    china = Path(sklearn_datasets.__file__).parent / "images" / "china.jpg"
    photo = read_photo(china)
    assert photo.shape == (427, 640, 3) and photo.dtype == np.uint8
    crops = photo_patches([china], "test", 2, scales=(4,))
    # ×4: 160 columns, the test strip from column 120 on
    assert crops.images.shape == (2, 32, 32, 3)


def test_bad_input_is_a_one_line_error(tmp_path: Path) -> None:
    photo = coordinate_photo(tmp_path / "narrow.png", height=40, width=60)
    with pytest.raises(DiffmmError, match="no room"):
        photo_patches([photo], "test", 1, scales=(1,))  # a 15-column strip, 32-pixel crops
    with pytest.raises(DiffmmError, match="not found"):
        read_photo(tmp_path / "missing.png")
    with pytest.raises(DiffmmError, match="test_fraction"):
        photo_patches([photo], "train", 1, test_fraction=0.99)


def test_concatenation_shifts_labels_past_the_earlier_class_names() -> None:
    first = LabelledImages(np.zeros((2, 4, 4, 3), np.uint8), np.array([1, 0]), ("a", "b"))
    second = LabelledImages(np.ones((3, 4, 4, 3), np.uint8), np.array([0, 0, 1]), ("b", "c"))
    both = concatenate_images([first, second])
    assert both.class_names == ("a", "b", "b", "c")
    assert both.labels.tolist() == [1, 0, 2, 2, 3]
    assert both.images[:2].max() == 0 and both.images[2:].min() == 1
    with pytest.raises(DiffmmError, match="no image sets"):
        concatenate_images([])


def test_photographs_used_whole_add_training_crops_only(repo_root: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "data_prep_colour_patches", repo_root / "data_prep" / "colour_patches.py"
    )
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script
    spec.loader.exec_module(script)
    split = str(coordinate_photo(tmp_path / "split.png", height=96, width=400))
    whole = str(coordinate_photo(tmp_path / "whole.png", height=96, width=250))
    common = ["--photos", split, "--scales", "1", "--size", "16", "--train-crops", "20"]
    assert script.main([*common, "--out-dir", str(tmp_path / "plain")]) == 0
    more = ["--train-whole", whole, "--train-whole-crops", "300"]
    assert script.main([*common, *more, "--out-dir", str(tmp_path / "more")]) == 0
    # the held-out crops, and the split photograph's training crops, are unchanged byte for byte
    plain_test = (tmp_path / "plain" / "test.npz").read_bytes()
    assert (tmp_path / "more" / "test.npz").read_bytes() == plain_test
    plain = load_image_arrays(tmp_path / "plain" / "train.npz")
    extended = load_image_arrays(tmp_path / "more" / "train.npz")
    assert np.array_equal(extended.images[:20], plain.images)
    assert (
        extended.class_names == ("split", "whole")
        and extended.labels.tolist() == [0] * 20 + [1] * 300
    )
    # the whole photograph is cropped up to its last column (red = column, 250 − 1)
    assert extended.images[20:, ..., 0].max() == 249 and plain.images[..., 0].max() < 0.73 * 400
