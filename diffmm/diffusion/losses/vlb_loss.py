"""L_vlb alone, iDDPM's likelihood objective (Nichol & Dhariwal 2021 §3.3).

Unlike the hybrid loss, the VLB term here trains the mean as well as the learned variance.
Its per-step terms differ by orders of magnitude, so it is noisy with t drawn uniformly; the
paper pairs it with :class:`LossSecondMomentResampler` (importance-sampled t and 1/p weights)
for its best NLL (2.94 bits/dim on CIFAR-10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses.output import LossOutput
from diffmm.diffusion.losses.simple import noise_batch
from diffmm.diffusion.losses.vlb import vlb_term_bits_per_dim
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.process import GaussianDiffusion
from diffmm.diffusion.schedules.discrete import DiscreteSchedule


def vlb_loss(
    denoiser: Denoiser,
    x0: Tensor,
    schedule: DiscreteSchedule,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    t: Tensor | None = None,
    noise: Tensor | None = None,
    mask: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> LossOutput:
    """Per-example T · L_t (bits/dim), an unbiased estimate of Σ_t L_t for uniform t;
    ``terms["vlb"]`` is L_t. x0 must be 8-bit data scaled to [−1, 1] (the t = 0 decoder)."""
    if not isinstance(schedule, DiscreteSchedule):
        raise ValueError("the VLB loss needs a DiscreteSchedule (its VLB is a sum over steps)")
    if not denoiser.learns_variance:
        raise ValueError(
            f"the VLB loss trains a learned variance; the denoiser's is {denoiser.variance!r}"
        )
    batch = noise_batch(x0, schedule, prior=prior, t=t, noise=noise, generator=generator)
    term, _ = vlb_term_bits_per_dim(
        GaussianDiffusion(schedule),
        denoiser,
        x0,
        prior.unwhiten(batch.z_t),
        batch.t,
        prior=prior,
        cond=cond,
        mask=mask,
    )
    return LossOutput(loss=schedule.num_steps * term, t=batch.t, terms={"vlb": term})
