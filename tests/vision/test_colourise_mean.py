"""``diffmm restore BUNDLE colorize --num-samples K``: the mean of K posterior samples per image.

On a tiny random-weight RGB bundle: every raw DDNM sample measures as the grey image it was
drawn for (so the K repeats stay aligned with their inputs), and the written image is the
mean of that image's K samples, not of another image's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from image_bundles import tiny_image_generator
from PIL import Image

from diffmm.cli.main import main
from diffmm.diffusion.inverse import ChannelMeanOperator
from diffmm.vision.pixels import uint8_to_signed
from diffmm.vision.restoration import LUMA_WEIGHTS


def test_colorize_writes_the_mean_of_k_samples_of_each_image(tmp_path: Path) -> None:
    bundle = tiny_image_generator(num_classes=None, channels=3).export(tmp_path / "bundle")
    folder = tmp_path / "grey"
    folder.mkdir()
    greys = np.stack([np.full((8, 8), 40, np.uint8), np.full((8, 8), 200, np.uint8)])
    greys[1, :4] = 120  # two different images
    for i, grey in enumerate(greys):
        Image.fromarray(grey).save(folder / f"grey_{i}.png")
    out, raw = tmp_path / "colour.npz", tmp_path / "raw.npy"
    argv = ["restore", str(bundle), "colorize", "-i", str(folder), "-o", str(out)]
    argv += ["--method", "ddnm", "--steps", "4", "--num-samples", "3", "--samples-npy", str(raw)]
    assert main(argv) == 0
    samples = torch.from_numpy(np.load(raw))  # (K·N, 3, 8, 8): sample k of image i at k·N + i
    assert samples.shape == (6, 3, 8, 8)
    grey = uint8_to_signed(torch.from_numpy(greys)).unsqueeze(1).float()
    measured = ChannelMeanOperator(3, LUMA_WEIGHTS)(samples)
    torch.testing.assert_close(measured, grey.repeat(3, 1, 1, 1), atol=1e-5, rtol=0)
    written = np.load(out)["arr_0"]
    assert written.shape == (2, 8, 8, 3)
    mean = samples.reshape(3, 2, 3, 8, 8).mean(0).clamp(-1, 1).permute(0, 2, 3, 1)
    assert np.abs(written.astype(float) - (mean.numpy() + 1) * 127.5).max() <= 0.51
