"""One entry point for every inverse-problem method over every sampler."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.inverse.dps import DiffusionPosteriorSampling
from diffmm.diffusion.inverse.measurement import Measurement
from diffmm.diffusion.inverse.pigdm import PseudoInverseGuidance
from diffmm.diffusion.inverse.projection import RangeProjection, whitened_measurement
from diffmm.diffusion.inverse.resampling import sample_repaint, sample_stepwise
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers import get_sampler
from diffmm.diffusion.samplers.common import StepCallback

METHODS = ("replacement", "repaint", "ddnm", "pigdm", "dps")
PROJECTION_METHODS = ("replacement", "repaint", "ddnm")


def solve_inverse(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    measurement: Measurement,
    *,
    method: str = "replacement",
    sampler: str = "ddpm",
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
    scale: float = 1.0,
    jump_length: int = 10,
    resamplings: int = 10,
    **sampler_options: Any,
) -> Tensor:
    """Sample x ~ p(x | y) from ``x`` at grid point 0 with an unconditional (or otherwise
    conditioned) denoiser and ``sampler``, conditioning on ``measurement`` by ``method``:

    - ``replacement``: known part re-noised each step, x̂₀ projected onto A x = y;
    - ``repaint``: replacement with RePaint's resampling (``jump_length``, ``resamplings``);
    - ``ddnm``: x̂₀ projected onto A x = y (range-null-space decomposition);
    - ``pigdm``: pseudo-inverse guidance, noisy measurements allowed (``scale`` × its score);
    - ``dps``: diffusion posterior sampling, any differentiable A (``scale`` = ζ).

    The projection methods return samples with A x = y exactly.
    """
    if method not in METHODS:
        raise ValueError(f"unknown inverse-problem method {method!r}; known: {', '.join(METHODS)}")
    measurement.check(x)
    sample = get_sampler(sampler)
    common = {"prior": prior, "cond": cond, "generator": generator, **sampler_options}
    if method in PROJECTION_METHODS:
        wrapped = RangeProjection(
            denoiser, measurement, renoise=method != "ddnm", generator=generator
        )
        if method == "repaint":
            out = sample_repaint(
                sample,
                wrapped,
                x,
                grid,
                jump_length=jump_length,
                resamplings=resamplings,
                callback=callback,
                **common,
            )
        else:
            out = sample(wrapped, x, grid, callback=callback, **common)
        # a grid that stops short of the data leaves the known part at its last noise level
        z = prior.whiten(out)
        return prior.unwhiten(
            wrapped.operator.project(z, whitened_measurement(measurement, prior, z))
        )
    if method == "pigdm":
        guided = PseudoInverseGuidance(denoiser, measurement, scale)
        return sample(guided, x, grid, callback=callback, **common)
    posterior = DiffusionPosteriorSampling(denoiser, measurement, scale)

    def correct(_: int, x_next: Tensor) -> Tensor:
        correction = posterior.take_correction()
        if correction is None:
            return x_next
        return prior.unwhiten(prior.whiten(x_next) - correction)

    return sample_stepwise(sample, posterior, x, grid, correct, callback=callback, **common)
