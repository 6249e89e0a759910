"""The diffusion section of a recipe config, and building the engine objects from it.

A bundle stores this section, so inference rebuilds exactly the schedule, parameterization and
variance type the network was trained with. Fields that a schedule family does not use are
ignored by it (each is documented with the family it belongs to).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Literal

from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.schedules import (
    BETA_SCHEDULES,
    DiscreteSchedule,
    EDMSchedule,
    FlowMatchingSchedule,
    NoiseSchedule,
    SubVPSchedule,
    VESchedule,
    VPSchedule,
)

ScheduleName = Literal[
    "linear", "quadratic", "sigmoid", "cosine", "explicit", "vp", "subvp", "ve", "edm", "flow"
]


@dataclass
class DiffusionConfig:
    schedule: ScheduleName = "linear"
    num_steps: int = 1000  # T of a discrete schedule
    beta_start: float = 1e-4  # linear / quadratic / sigmoid
    beta_end: float = 0.02
    cosine_s: float = 0.008  # cosine (iDDPM)
    max_beta: float = 0.999
    betas: list[float] | None = None  # explicit: the β list itself
    beta_min: float = 0.1  # vp / subvp: β(t) = β_min + (β_max − β_min) t
    beta_max: float = 20.0
    t_min: float = 1e-3  # vp / subvp / ve: smallest training and sampling time
    time_scale: float = 1.0  # vp / subvp / flow: network time = t · time_scale
    sigma_min: float = 0.01  # ve / edm / flow (flow matching's σ_min: 1e-4 in Matcha-TTS)
    sigma_max: float = 50.0
    num_scales: int | None = None  # ve: NCSN's discrete ladder of noise levels
    ve_time_input: Literal["sigma", "log_sigma", "t", "index"] = "sigma"
    rho: float = 7.0  # edm grid
    # eps_x: PriorGrad; flow: the straight-path velocity ε − z_0 (flow matching)
    parameterization: Literal["eps", "eps_x", "x0", "v", "score", "flow"] = "eps"
    variance: Literal["fixed_small", "fixed_large", "learned", "learned_range"] = "fixed_small"
    clip_x0: list[float] | None = None  # [low, high] in data units, e.g. [-1, 1] for images

    @classmethod
    def from_dict(cls, values: dict) -> DiffusionConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown diffusion config keys: {', '.join(unknown)}")
        return cls(**values)


def build_schedule(cfg: DiffusionConfig) -> NoiseSchedule:
    """The noise schedule a config names."""
    name = cfg.schedule
    if name in BETA_SCHEDULES:
        if name == "cosine":
            return DiscreteSchedule.from_name(
                name, cfg.num_steps, s=cfg.cosine_s, max_beta=cfg.max_beta
            )
        return DiscreteSchedule.from_name(
            name, cfg.num_steps, beta_start=cfg.beta_start, beta_end=cfg.beta_end
        )
    if name == "explicit":
        if not cfg.betas:
            raise ValueError("schedule 'explicit' needs a non-empty `betas` list")
        return DiscreteSchedule(cfg.betas)
    if name in ("vp", "subvp"):
        cls = VPSchedule if name == "vp" else SubVPSchedule
        return cls(cfg.beta_min, cfg.beta_max, t_min=cfg.t_min, time_scale=cfg.time_scale)
    if name == "ve":
        return VESchedule(
            cfg.sigma_min,
            cfg.sigma_max,
            num_scales=cfg.num_scales,
            t_min=cfg.t_min,
            time_input=cfg.ve_time_input,
        )
    if name == "edm":
        return EDMSchedule(cfg.sigma_min, cfg.sigma_max, rho=cfg.rho)
    if name == "flow":
        return FlowMatchingSchedule(cfg.sigma_min, time_scale=cfg.time_scale)
    known = sorted([*BETA_SCHEDULES, "explicit", "vp", "subvp", "ve", "edm", "flow"])
    raise ValueError(f"unknown schedule {name!r}; known: {', '.join(known)}")


def build_denoiser(net: Callable[..., Tensor], cfg: DiffusionConfig) -> Denoiser:
    """Wrap a network with the parameterization, variance type and clipping of the config."""
    clip = None
    if cfg.clip_x0 is not None:
        if len(cfg.clip_x0) != 2 or cfg.clip_x0[0] >= cfg.clip_x0[1]:
            raise ValueError(f"clip_x0 must be [low, high] with low < high, got {cfg.clip_x0}")
        clip = (float(cfg.clip_x0[0]), float(cfg.clip_x0[1]))
    return Denoiser(net, cfg.parameterization, cfg.variance, clip)
