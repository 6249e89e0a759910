"""Plumbing every sampler shares: the network call at a grid point, Gaussian noise from the
caller's generator and the progress callback.

Samplers run in whitened coordinates z = (x − μ)/σ_prior; only the callback and the return
value are in data coordinates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike, Prediction
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.prior import GaussianPrior

StepCallback = Callable[[dict[str, Any]], None]


def predict_at(
    denoiser: DenoiserLike,
    z: Tensor,
    grid: SamplingGrid,
    i: int,
    *,
    prior: GaussianPrior,
    cond: Mapping[str, Any] | None,
) -> Prediction:
    """The denoiser at grid point i. The network always receives ``grid.model_times[i]``,
    the time in the form it was trained with, never the loop index."""
    return denoiser.predict(
        z,
        float(grid.alphas[i]),
        float(grid.sigmas[i]),
        float(grid.model_times[i]),
        prior=prior,
        cond=cond,
    )


def gaussian_noise(like: Tensor, generator: torch.Generator | None) -> Tensor:
    """ξ ~ N(0, I) shaped like ``like``, drawn from ``generator``."""
    return torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)


def report(
    callback: StepCallback | None,
    i: int,
    num_steps: int,
    z: Tensor,
    z0: Tensor,
    prior: GaussianPrior,
) -> None:
    """Hand the current sample and its x₀ estimate, in data coordinates, to ``callback``."""
    if callback is not None:
        callback(
            {
                "i": i,
                "num_steps": num_steps,
                "x": prior.unwhiten(z),
                "denoised": prior.unwhiten(z0),
            }
        )


def variance_type(denoiser: DenoiserLike) -> str:
    """The denoiser's reverse-variance type; wrappers without one behave as "fixed_small"."""
    return getattr(denoiser, "variance", "fixed_small")
