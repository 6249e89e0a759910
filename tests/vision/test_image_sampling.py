"""``diffmm sample`` for images: image i is the same whatever the batch size and the number of
processes; the .npz is what the FID tools read; bad samples files are one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
from image_bundles import tiny_image_generator

from diffmm.cli.main import main
from diffmm.errors import DiffmmError
from diffmm.models.sharded_sampling import ProcessShard, sample_sharded
from diffmm.vision.sample_files import read_image_samples, samples_to_uint8

OPTIONS = {"sampler": "ddpm", "steps": 8, "seed": 11}  # ancestral: fresh noise at every step


def test_batch_size_and_first_index_do_not_change_an_image() -> None:
    """The noise of image i is bit-identical in any batch; what remains is the network's own
    float32 rounding, which depends on the batch's size (CPU conv kernels): the images agree
    to 1e-5 and bit for bit when the batches have the same sizes."""
    generator = tiny_image_generator()  # class-conditional: random labels are keyed too
    by_three = generator.sample(7, batch_size=3, **OPTIONS)
    by_five = generator.sample(7, batch_size=5, **OPTIONS)
    torch.testing.assert_close(by_three, by_five, rtol=0, atol=1e-5)
    pixels = samples_to_uint8(by_three).astype(int) - samples_to_uint8(by_five)
    assert np.abs(pixels).max() <= 1 and (pixels == 0).mean() > 0.99
    shifted = generator.sample(4, batch_size=3, first_index=3, **OPTIONS)  # batches 3-5, 6
    torch.testing.assert_close(shifted, by_three[3:], rtol=0, atol=0)
    assert len({tuple(image.flatten()[:4].tolist()) for image in by_three}) == 7


def test_shards_cover_every_index_once_in_order() -> None:
    for n, world in ((10, 3), (2, 4), (7, 1)):
        slices = [ProcessShard(rank, world).indices(n) for rank in range(world)]
        assert [i for part in slices for i in part] == list(range(n))
    alone = sample_sharded(tiny_image_generator(), 3, ProcessShard(), batch_size=2, **OPTIONS)
    assert alone.shape == (3, 1, 8, 8)


def test_samples_npz_is_uint8_nhwc_with_a_grid(tmp_path: Path) -> None:
    bundle = tiny_image_generator(channels=3).export(tmp_path / "bundle")
    out = tmp_path / "samples.npz"
    args = ["sample", str(bundle), "-o", str(out), "-n", "5", "--steps", "4", "--seed", "1"]
    assert main([*args, "--class-label", "2", "--guidance-scale", "2.5"]) == 0
    images = read_image_samples(out)
    assert images.shape == (5, 8, 8, 3) and images.dtype == np.uint8
    assert (tmp_path / "samples_grid.png").stat().st_size > 100
    generated = tiny_image_generator(channels=3).sample(
        5, sampler="ddpm", steps=4, seed=1, class_label=2, guidance_scale=2.5
    )
    np.testing.assert_array_equal(images, samples_to_uint8(generated))


@pytest.mark.slow
@pytest.mark.skipif(not dist.is_gloo_available(), reason="needs torch.distributed with gloo")
def test_two_torchrun_processes_write_the_images_of_one(tmp_path: Path) -> None:
    bundle = tiny_image_generator().export(tmp_path / "bundle")
    common = ["sample", str(bundle), "-n", "5", "--steps", "4", "--batch-size", "2"]
    assert main([*common, "-o", str(tmp_path / "one.npz")]) == 0  # batches 0-1, 2-3, 4
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node"]
    # rank 0 draws images 0-1, rank 1 images 2-3 and 4: the same batches, so bit for bit
    command += ["2", "-m", "diffmm.cli.main", *common, "-o", str(tmp_path / "two.npz")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es)" in done.stdout
    np.testing.assert_array_equal(
        read_image_samples(tmp_path / "two.npz"), read_image_samples(tmp_path / "one.npz")
    )


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"arr_0": np.zeros((2, 8, 8, 3), np.float32)}, "uint8 pixels 0..255, got float32"),
        ({"arr_0": np.zeros((2, 3, 8, 8), np.uint8)}, "channels first"),
        ({"images": np.zeros((2, 8, 8, 3), np.uint8)}, "no 'arr_0'"),
    ],
)
def test_bad_samples_files_are_one_line_errors(tmp_path: Path, arrays, message) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DiffmmError, match=message) as error:
        read_image_samples(path)
    assert "\n" not in str(error.value) and "bad.npz" in str(error.value)


def test_sampler_options_reach_the_sampler(tmp_path: Path) -> None:
    bundle = tiny_image_generator().export(tmp_path / "bundle")
    common = ["sample", str(bundle), "-n", "2", "--sampler", "ddim", "--steps", "3"]
    assert main([*common, "-o", str(tmp_path / "a.npz")]) == 0
    assert main([*common, "-o", str(tmp_path / "b.npz"), "--sampler-option", "eta=1.0"]) == 0
    assert not np.array_equal(  # η = 1: DDPM-like fresh noise at each step
        read_image_samples(tmp_path / "a.npz"), read_image_samples(tmp_path / "b.npz")
    )
    assert main([*common, "-o", str(tmp_path / "c.npz"), "--sampler-option", "eta"]) == 2
