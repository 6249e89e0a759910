"""Samplers: small functions sharing one signature (in the spirit of k-diffusion).

    sample_x(denoiser, x, grid, *, prior, cond, generator, callback, **options) -> Tensor

``x`` is the initial sample in data coordinates at grid point 0; the result is in data
coordinates at the last grid point. Every sampler works in whitened coordinates, calls the
network with ``grid.model_times[i]`` and draws all randomness from ``generator``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.ancestral import sample_ddpm
from diffmm.diffusion.samplers.common import StepCallback
from diffmm.diffusion.samplers.ddim import ddim_invert, sample_ddim
from diffmm.diffusion.samplers.dpm_solver import sample_dpmpp_2m, sample_dpmpp_2m_sde
from diffmm.diffusion.samplers.langevin import sample_annealed_langevin
from diffmm.diffusion.samplers.ode import sample_euler, sample_heun
from diffmm.diffusion.samplers.predictor_corrector import sample_pc
from diffmm.diffusion.samplers.sde import sample_euler_maruyama
from diffmm.diffusion.samplers.unipc import sample_unipc
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.diffusion.schedules.discrete import DiscreteSchedule

SAMPLERS: dict[str, Callable[..., Tensor]] = {
    "ddpm": sample_ddpm,
    "ddim": sample_ddim,
    "dpmpp_2m": sample_dpmpp_2m,
    "dpmpp_2m_sde": sample_dpmpp_2m_sde,
    "euler": sample_euler,
    "heun": sample_heun,
    "euler_maruyama": sample_euler_maruyama,
    "pc": sample_pc,
    "annealed_langevin": sample_annealed_langevin,
    "unipc": sample_unipc,
}


# Grids a sampler is designed for; "default" is the schedule's own.
PREFERRED_SPACING: dict[str, str] = {
    "dpmpp_2m": "log_snr",
    "dpmpp_2m_sde": "log_snr",
    "unipc": "log_snr",
}
# On discrete (DDPM) schedules the deterministic multistep solvers walk angle-uniform points:
# at 5-10 steps they beat λ-uniform integer steps, which keep step 0 and merge duplicates, and
# diffusers' time-uniform steps (benchmarks/results/sampler_quality.md).
PREFERRED_DISCRETE_SPACING: dict[str, str] = {"dpmpp_2m": "angle", "unipc": "angle"}


def preferred_spacing(sampler: str, schedule: NoiseSchedule) -> str:
    """The grid ``generate`` gives ``sampler`` on ``schedule`` when none is asked for."""
    if isinstance(schedule, DiscreteSchedule) and sampler in PREFERRED_DISCRETE_SPACING:
        return PREFERRED_DISCRETE_SPACING[sampler]
    return PREFERRED_SPACING.get(sampler, "default")


def get_sampler(name: str) -> Callable[..., Tensor]:
    """The sampler registered under ``name``."""
    try:
        return SAMPLERS[name]
    except KeyError:
        known = ", ".join(sorted(SAMPLERS))
        raise ValueError(f"unknown sampler {name!r}; known: {known}") from None


def generate(
    denoiser: DenoiserLike,
    schedule: NoiseSchedule,
    shape: tuple[int, ...] | torch.Size,
    *,
    sampler: str = "ddpm",
    num_steps: int | None = None,
    spacing: str | None = None,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    **sampler_options: Any,
) -> Tensor:
    """Draw samples of ``shape`` from the prior at the grid's first point and run ``sampler``.

    The prior is scaled by the grid's ``prior_scale`` (σ_max for variance-exploding grids).
    """
    sample = get_sampler(sampler)
    grid = schedule.grid(num_steps, spacing or preferred_spacing(sampler, schedule))
    x_start = prior.sample(
        shape, scale=grid.prior_scale, generator=generator, device=device, dtype=dtype
    )
    return sample(
        denoiser,
        x_start,
        grid,
        prior=prior,
        cond=cond,
        generator=generator,
        callback=callback,
        **sampler_options,
    )


__all__ = [
    "SAMPLERS",
    "StepCallback",
    "ddim_invert",
    "generate",
    "get_sampler",
    "preferred_spacing",
    "sample_annealed_langevin",
    "sample_ddim",
    "sample_ddpm",
    "sample_dpmpp_2m",
    "sample_dpmpp_2m_sde",
    "sample_euler",
    "sample_euler_maruyama",
    "sample_heun",
    "sample_pc",
    "sample_unipc",
]
