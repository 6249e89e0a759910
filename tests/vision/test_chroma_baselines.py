"""Chroma-from-luma colourisation baselines: exact grey level, known conditional means."""

from __future__ import annotations

import torch

from diffmm.vision.chroma import ChromaByLuma, luma


def test_luma_is_the_601_weighted_sum() -> None:
    pixel = torch.tensor([0.5, -0.25, 1.0]).reshape(1, 3, 1, 1)
    assert torch.allclose(luma(pixel), torch.tensor(0.299 * 0.5 - 0.587 * 0.25 + 0.114))


def test_chroma_that_is_a_function_of_luma_is_recovered_exactly() -> None:
    # two colours whose lumas fall in different halves of [−1, 1]
    dark, light = torch.tensor([-0.2, -0.6, -0.9]), torch.tensor([0.9, 0.5, 0.1])
    choose = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0)) < 0.5
    images = torch.where(choose, dark.reshape(1, 3, 1, 1), light.reshape(1, 3, 1, 1))
    model = ChromaByLuma.fit(images, num_bins=2)
    assert torch.allclose(model.colourize(luma(images)), images, atol=1e-6)


def test_one_bin_adds_the_mean_chroma_and_keeps_the_grey_level() -> None:
    generator = torch.Generator().manual_seed(1)
    train = torch.rand(6, 3, 5, 5, generator=generator) * 2 - 1
    mean_chroma = (train - luma(train)).mean((0, 2, 3))
    grey = torch.rand(2, 1, 5, 5, generator=generator) * 2 - 1
    coloured = ChromaByLuma.fit(train, num_bins=1).colourize(grey)
    assert torch.allclose(coloured, grey + mean_chroma.reshape(1, 3, 1, 1), atol=1e-6)
    assert torch.allclose(luma(coloured), grey, atol=1e-6)  # Σ w_c = 1: chroma has no luma
    # a bin no training pixel fell in takes the overall mean
    sparse = ChromaByLuma.fit(train.clamp(-1, -0.5), num_bins=4)
    overall = (train.clamp(-1, -0.5) - luma(train.clamp(-1, -0.5))).mean((0, 2, 3))
    assert torch.allclose(sparse.table[-1], overall, atol=1e-6)
