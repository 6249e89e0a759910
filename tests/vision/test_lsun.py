"""LSUN lmdb folders: a tiny category written by the test in the released layout (image-id
keys, WebP or JPEG values), read back through the ADM crop-and-resize."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from diffmm.errors import DiffmmError
from diffmm.vision import centre_crop_resize, iter_lsun, load_images, load_lsun

lmdb = pytest.importorskip("lmdb")


def _encoded(pixels: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = {"lossless": True} if fmt == "WEBP" else {"quality": 95}
    Image.fromarray(pixels).save(buffer, fmt, **options)
    return buffer.getvalue()


def _write_lmdb(folder: Path, records: dict[bytes, bytes]) -> Path:
    folder.mkdir()
    with lmdb.open(str(folder), map_size=1 << 24) as environment:
        with environment.begin(write=True) as transaction:
            for key, value in records.items():
                transaction.put(key, value)
    return folder


@pytest.fixture(scope="module")
def exact_images() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(3)]


@pytest.fixture(scope="module")
def bedroom(tmp_path_factory, exact_images) -> Path:
    keys = [b"0a1b", b"3f00", b"7c2e"]  # LSUN keys are hex image ids, read in key order
    records = {key: _encoded(pixels, "WEBP") for key, pixels in zip(keys, exact_images)}
    records[b"ffff"] = _encoded(np.full((24, 40, 3), 200, np.uint8), "JPEG")
    return _write_lmdb(tmp_path_factory.mktemp("lsun") / "bedroom_train_lmdb", records)


def test_records_in_key_order_and_lossless_webp_exact(bedroom, exact_images) -> None:
    records = list(iter_lsun(bedroom, resolution=16))
    assert [key for key, _ in records] == ["0a1b", "3f00", "7c2e", "ffff"]
    for (_, pixels), expected in zip(records, exact_images):
        assert np.array_equal(pixels, expected)  # already 16×16: no resampling at all
    jpeg = records[-1][1]
    assert jpeg.shape == (16, 16, 3) and np.abs(jpeg.astype(int) - 200).max() <= 3


def test_load_images_recognises_the_folder(bedroom) -> None:
    data = load_images(bedroom, lsun_resolution=16)
    assert data.images.shape == (4, 16, 16, 3) and data.class_names == ("bedroom",)
    assert data.labels.tolist() == [0, 0, 0, 0]
    assert len(load_lsun(bedroom, resolution=16, max_images=2)) == 2


def test_halvings_average_blocks() -> None:
    # 64 → 32 → 16 by box halvings, then no resize: each pixel is the mean of a 4×4 block
    pixels = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    out = centre_crop_resize(Image.fromarray(pixels), 16)
    block_means = pixels.reshape(16, 4, 16, 4, 3).astype(float).mean((1, 3))
    # PIL's fixed-point box filter lands within one level of the exact mean per halving
    assert np.abs(out - block_means).max() <= 2.0


def test_landscape_keeps_the_centre() -> None:
    thirds = np.zeros((100, 300, 3), np.uint8)
    thirds[:, :100, 0] = thirds[:, 100:200, 1] = thirds[:, 200:, 2] = 255
    out = centre_crop_resize(Image.fromarray(thirds), 32)
    assert out.shape == (32, 32, 3)
    inner = out[:, 2:-2].astype(int)  # away from the resampled colour edges
    assert (inner[..., 1] >= 250).all() and (inner[..., [0, 2]] <= 5).all()


def test_bad_folders_and_records(tmp_path) -> None:
    with pytest.raises(DiffmmError, match="not an LSUN lmdb folder"):
        list(iter_lsun(tmp_path))
    broken = _write_lmdb(tmp_path / "church_lmdb", {b"00": b"not an image"})
    with pytest.raises(DiffmmError, match="record 00 is not an image") as error:
        load_lsun(broken, resolution=8)
    assert "\n" not in str(error.value)
