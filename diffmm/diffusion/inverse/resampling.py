"""Running any sampler on pieces of a grid: one step at a time with a hook between steps
(DPS), or RePaint's resampling schedule (Lugmayr et al. 2022) of jumps back to noisier levels.

Samplers keep no state between calls, so a multistep solver (DPM-Solver++ 2M, UniPC) run on
one-step pieces restarts at first order on each; single-step samplers are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.samplers.common import StepCallback, gaussian_noise

Sampler = Callable[..., Tensor]


def grid_piece(grid: SamplingGrid, start: int, stop: int) -> SamplingGrid:
    """Grid points start … stop (inclusive)."""
    return SamplingGrid(
        grid.alphas[start : stop + 1],
        grid.sigmas[start : stop + 1],
        grid.model_times[start : stop + 1],
    )


def offset_callback(callback: StepCallback | None, offset: int, total: int) -> StepCallback | None:
    """A callback for a piece that reports steps numbered on the whole grid."""
    if callback is None:
        return None
    return lambda info: callback({**info, "i": info["i"] + offset, "num_steps": total})


def renoise(
    x: Tensor,
    grid: SamplingGrid,
    start: int,
    stop: int,
    prior: GaussianPrior,
    generator: torch.Generator | None,
) -> Tensor:
    """Draw z_start ~ q(z_start | z_stop) = N((α_s/α_e) z_e, σ_s² − (α_s/α_e)² σ_e²): back to a
    noisier grid point along the forward process."""
    a_s, s_s = float(grid.alphas[start]), float(grid.sigmas[start])
    a_e, s_e = float(grid.alphas[stop]), float(grid.sigmas[stop])
    ratio = a_s / a_e
    z = prior.whiten(x)
    std = max(s_s**2 - (ratio * s_e) ** 2, 0.0) ** 0.5
    return prior.unwhiten(ratio * z + std * gaussian_noise(z, generator))


def sample_stepwise(
    sampler: Sampler,
    denoiser: Any,
    x: Tensor,
    grid: SamplingGrid,
    after_step: Callable[[int, Tensor], Tensor],
    *,
    callback: StepCallback | None = None,
    **kwargs: Any,
) -> Tensor:
    """Run ``sampler`` one grid step at a time, calling ``after_step(i, x)`` after step i."""
    for i in range(grid.num_steps):
        piece_callback = offset_callback(callback, i, grid.num_steps)
        x = sampler(denoiser, x, grid_piece(grid, i, i + 1), callback=piece_callback, **kwargs)
        x = after_step(i, x)
    return x


def sample_repaint(
    sampler: Sampler,
    denoiser: Any,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior,
    generator: torch.Generator | None,
    jump_length: int = 10,
    resamplings: int = 10,
    callback: StepCallback | None = None,
    **kwargs: Any,
) -> Tensor:
    """RePaint: walk ``jump_length`` steps down, jump back up by re-noising, ``resamplings``
    times per block (the paper's j = 10, r = 10 on 250 steps), so the unknown part harmonises
    with the known one. Costs ``resamplings`` × the sampler's network evaluations."""
    if jump_length < 1 or resamplings < 1:
        raise ValueError("RePaint needs jump_length ≥ 1 and resamplings ≥ 1")
    start = 0
    while start < grid.num_steps:
        stop = min(start + jump_length, grid.num_steps)
        piece = grid_piece(grid, start, stop)
        for round_ in range(resamplings):
            x_stop = sampler(
                denoiser,
                x,
                piece,
                prior=prior,
                generator=generator,
                callback=offset_callback(callback, start, grid.num_steps),
                **kwargs,
            )
            if round_ < resamplings - 1:
                x = renoise(x_stop, grid, start, stop, prior, generator)
        x, start = x_stop, stop
    return x
