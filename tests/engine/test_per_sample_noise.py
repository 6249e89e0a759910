"""Noise keyed by sample index: Philox4x32-10 against Random123's known answers, Gaussian
moments, and the same sample noise whatever the batch it is drawn in."""

from __future__ import annotations

import pytest
import torch

from diffmm.diffusion.per_sample_noise import (
    PerSampleNoise,
    philox4x32,
    standard_normal,
    uniform_labels,
)

# Random123 tests/kat_vectors, "philox4x32 10": counter, key, result.
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize("counter, key, expected", KNOWN_ANSWERS)
def test_philox_matches_the_random123_known_answers(counter, key, expected) -> None:
    assert philox4x32(torch.tensor(counter), key).tolist() == list(expected)


def test_the_noise_is_standard_normal_and_independent_across_samples() -> None:
    z = standard_normal(7, torch.arange(400), 0, 1000, torch.float64)
    assert abs(float(z.mean())) < 0.01 and abs(float(z.std()) - 1) < 0.01
    assert abs(float((z**4).mean()) - 3) < 0.05  # Gaussian kurtosis, not uniform's 1.8
    correlation = torch.corrcoef(z[:, :200])  # samples as variables
    off_diagonal = correlation[~torch.eye(400, dtype=torch.bool)]
    assert float(off_diagonal.abs().max()) < 0.35  # |ρ| of 1000 independent pairs ≈ N(0, 1/1000)
    assert not torch.equal(standard_normal(8, torch.arange(2), 0, 10), z[:2, :10].float())


def test_a_samples_draws_do_not_depend_on_its_batch() -> None:
    noise = PerSampleNoise(seed=3)
    with noise.batch([4, 5, 6]):
        first = torch.randn((3, 2, 5), generator=noise.generator)
        second = torch.randn(3, 2, 5, generator=noise.generator)
    with noise.batch([5]):
        alone = torch.randn((1, 2, 5), generator=noise.generator, dtype=torch.float64)
        alone_second = torch.randn((1, 2, 5), generator=noise.generator)
    torch.testing.assert_close(alone.float()[0], first[1], rtol=0, atol=0)
    torch.testing.assert_close(alone_second[0], second[1], rtol=0, atol=0)
    assert not torch.equal(first, second)  # successive draws differ
    assert torch.randn(2, generator=noise.generator).shape == (2,)  # outside: a plain generator


def test_other_random_calls_with_the_generator_are_refused() -> None:
    noise = PerSampleNoise(seed=0)
    with noise.batch([0, 1]), pytest.raises(RuntimeError, match="randn only"):
        torch.rand((2, 3), generator=noise.generator)
    with noise.batch([0, 1]), pytest.raises(RuntimeError, match="batch of 2"):
        torch.randn((3, 3), generator=noise.generator)


def test_labels_are_uniform_and_keyed_by_index() -> None:
    labels = uniform_labels(1, torch.arange(20000), 10)
    counts = torch.bincount(labels, minlength=10).double()
    assert labels.min() >= 0 and labels.max() <= 9
    assert float(((counts - 2000) ** 2 / 2000).sum()) < 30  # χ² with 9 dof, p ≈ 0.0005
    assert torch.equal(uniform_labels(1, torch.tensor([17, 3]), 10), labels[[17, 3]])
