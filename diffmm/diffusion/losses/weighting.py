"""Min-SNR-γ loss weighting (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR
Weighting Strategy").

The weight is defined on the x_0-regression loss as min(SNR, γ), SNR = α²/σ². In whitened
units ‖ẑ_0 − z_0‖² = (σ²/α²)‖ε̂ − ε‖² and ‖v̂ − v‖² = ((α² + σ²)²/α²)‖ε̂ − ε‖², so the same
weighting expressed for the other targets is

    eps:   min(SNR, γ) / SNR
    x0:    min(SNR, γ)
    v:     min(SNR, γ) · α² / ((α² + σ²)² SNR)     (= min(SNR, γ) / (SNR + 1) when α² + σ² = 1)
    score: min(SNR, γ) · σ² / SNR                   (‖ŝ − s‖² = ‖ε̂ − ε‖² / σ² for a standard prior)

and all four weighted losses are the same number for the same prediction.
"""

from __future__ import annotations

import torch
from torch import Tensor


def min_snr_weight(alpha: Tensor, sigma: Tensor, gamma: float, target: str) -> Tensor:
    """Per-example min-SNR-γ weight for a loss regressing ``target`` (eps | x0 | v | score)."""
    if gamma <= 0:
        raise ValueError(f"min-SNR γ must be positive, got {gamma}")
    alpha = torch.as_tensor(alpha, dtype=torch.float64)
    sigma = torch.as_tensor(sigma, dtype=torch.float64)
    snr = alpha**2 / sigma**2
    clipped = torch.clamp(snr, max=gamma)
    if target == "x0":
        return clipped
    if target == "eps":
        return clipped / snr
    if target == "v":
        return clipped * alpha**2 / ((alpha**2 + sigma**2) ** 2 * snr)
    if target == "score":
        return clipped * sigma**2 / snr
    raise ValueError(f"unknown loss target {target!r}; known: eps, x0, v, score")
