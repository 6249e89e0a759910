"""PSNR and SSIM against their definitions and torchmetrics' independent implementation."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.metrics.image_quality import psnr, ssim


def test_psnr_of_a_known_error() -> None:
    reference = torch.zeros(2, 1, 8, 8)
    estimate = reference + 0.1  # MSE 0.01 on a range of 2: 10 log10(4 / 0.01)
    torch.testing.assert_close(
        psnr(reference, estimate), torch.full((2,), 10 * math.log10(400.0), dtype=torch.float64)
    )


def test_ssim_matches_torchmetrics() -> None:
    metrics = pytest.importorskip("torchmetrics.functional.image")
    g = torch.Generator().manual_seed(0)
    reference = torch.rand(3, 3, 32, 32, generator=g) * 2 - 1
    estimate = (reference + 0.3 * torch.randn(3, 3, 32, 32, generator=g)).clamp(-1, 1)
    ours = ssim(reference, estimate)
    # torchmetrics averages a reflect-padded map; Wang et al.'s reference code (and ours) the
    # valid part, 5 pixels in from each edge of the 11 × 11 window
    _, full_map = metrics.structural_similarity_index_measure(
        estimate.double(), reference.double(), data_range=2.0, return_full_image=True
    )
    theirs = full_map[..., 5:-5, 5:-5].flatten(1).mean(1)
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    assert torch.allclose(ssim(reference, reference), torch.ones(3, dtype=torch.float64))
