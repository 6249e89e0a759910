"""Noise schedules: discrete β lists and continuous SDE/EDM schedules behind one interface."""

from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.diffusion.schedules.betas import (
    BETA_SCHEDULES,
    cosine_betas,
    explicit_betas,
    linear_betas,
    named_betas,
    quadratic_betas,
    sigmoid_betas,
)
from diffmm.diffusion.schedules.continuous import (
    EDMSchedule,
    SubVPSchedule,
    VESchedule,
    VPSchedule,
    karras_sigmas,
)
from diffmm.diffusion.schedules.discrete import DiscreteSchedule
from diffmm.diffusion.schedules.flow import FlowMatchingSchedule

__all__ = [
    "BETA_SCHEDULES",
    "DiscreteSchedule",
    "EDMSchedule",
    "FlowMatchingSchedule",
    "NoiseSchedule",
    "SubVPSchedule",
    "VESchedule",
    "VPSchedule",
    "cosine_betas",
    "explicit_betas",
    "karras_sigmas",
    "linear_betas",
    "named_betas",
    "quadratic_betas",
    "sigmoid_betas",
]
