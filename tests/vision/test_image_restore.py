"""``diffmm restore`` on images: the plumbing on a tiny random-weight UNet bundle.

Random weights restore nothing well; what is checked is what holds for any model: the
replacement methods return the known pixels exactly, the low-resolution / grey measurement of
a DDNM result is the input, shapes, and one-line errors for bad input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from image_bundles import tiny_image_generator
from PIL import Image

from diffmm.cli.main import main
from diffmm.diffusion.inverse import BlockAverageOperator, ChannelMeanOperator
from diffmm.models.restoration import Restorer
from diffmm.vision.pixels import uint8_to_signed
from diffmm.vision.restoration import LUMA_WEIGHTS, image_measurement

FAST = ["--steps", "4", "--resamplings", "2", "--jump-length", "2"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("restore_images")
    bundle = tiny_image_generator(num_classes=None, channels=3).export(work / "bundle")
    images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    (work / "images").mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(work / "images" / f"image_{i}.png")
    mask = np.full((8, 8), 255, np.uint8)
    mask[2:6, 3:7] = 0
    Image.fromarray(mask).save(work / "mask.png")
    Image.fromarray(mask[:7]).save(work / "mask_7x8.png")
    return {"work": work, "bundle": bundle, "mask": work / "mask.png", "images": images}


@pytest.mark.parametrize("method", ["replacement", "repaint", "ddnm"])
def test_inpainting_keeps_the_known_pixels(files, method: str) -> None:
    out = files["work"] / f"inpainted_{method}.npz"
    argv = ["restore", str(files["bundle"]), "inpaint", "-i", str(files["work"] / "images")]
    argv += ["--mask", str(files["mask"]), "-o", str(out), "--method", method, *FAST]
    assert main(argv) == 0
    restored = np.load(out)["arr_0"]
    known = np.asarray(Image.open(files["mask"])) >= 128
    assert restored.shape == (2, 8, 8, 3)
    assert (restored[:, known] == files["images"][:, known]).all()
    assert (out.parent / f"{out.stem}_grid.png").is_file()


def test_ddnm_results_measure_as_their_input(files) -> None:
    generator = tiny_image_generator(num_classes=None, channels=3)
    restorer = Restorer(generator)
    images = files["images"]
    small = images[:, ::2, ::2]
    grey = np.asarray([np.asarray(Image.fromarray(i).convert("L")) for i in images])[..., None]
    for task, observed, operator in [
        ("super-resolution", small, BlockAverageOperator(2)),
        ("colorize", grey, ChannelMeanOperator(3, LUMA_WEIGHTS)),
    ]:
        measurement = image_measurement(task, observed, (3, 8, 8), factor=2)
        restored = restorer.restore(measurement, method="ddnm", steps=4)
        assert restored.shape == (2, 3, 8, 8)
        expected = uint8_to_signed(torch.from_numpy(observed)).permute(0, 3, 1, 2)
        torch.testing.assert_close(operator(restored), expected, atol=1e-5, rtol=0)


def test_bad_image_input_is_a_one_line_error(files, capsys) -> None:
    bundle, image = str(files["bundle"]), str(files["work"] / "images/image_0.png")
    cases = [
        (["inpaint", "-i", image, "--mask", str(files["work"] / "mask_7x8.png")], "mask of shape"),
        (["inpaint", "-i", image], "needs a mask"),
        (["super-resolution", "-i", image, "--factor", "4"], "must be 2×2 pixels"),
        (["gap-fill", "-i", image], "does not apply to an image bundle"),
    ]
    for argv, message in cases:
        out = str(files["work"] / "bad.npz")
        assert main(["restore", bundle, *argv, "-o", out, *FAST]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err, err


def test_restore_dtype_reaches_the_network(files) -> None:
    """bf16 changes the samples (same seed, same noise) but not the data-consistency of DDNM."""
    restorer = Restorer(tiny_image_generator(num_classes=None, channels=3))
    small = files["images"][:, ::2, ::2]
    measurement = image_measurement("super-resolution", small, (3, 8, 8), factor=2)
    fp32 = restorer.restore(measurement, method="ddnm", steps=4)
    bf16 = restorer.restore(measurement, method="ddnm", steps=4, dtype="bf16")
    assert 0 < float((fp32 - bf16).abs().max()) < 0.5
    expected = uint8_to_signed(torch.from_numpy(small)).permute(0, 3, 1, 2)
    torch.testing.assert_close(BlockAverageOperator(2)(bf16), expected, atol=1e-5, rtol=0)
