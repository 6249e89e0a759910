"""iDDPM's hybrid objective L_hybrid = L_simple + λ L_vlb (Nichol & Dhariwal 2021 §3.1, λ = 0.001).

The network outputs the mean (ε, x_0 or v) and the learned-range variance v ∈ [−1, 1]. L_simple
trains the mean; L_vlb trains only the variance: the mean output enters the VLB term with its
gradient stopped, so the noisy VLB cannot disturb the mean. With t drawn uniformly, T · L_t is
an unbiased estimate of L_vlb = Σ_t L_t, so the per-example loss is L_simple + λ T L_t (for
T = 1000 that is L_simple + L_t, guided-diffusion's form).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses.output import LossOutput
from diffmm.diffusion.losses.simple import noise_batch, regression_loss
from diffmm.diffusion.losses.vlb_loss import vlb_loss
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.schedules.discrete import DiscreteSchedule


def hybrid_loss(
    denoiser: Denoiser,
    x0: Tensor,
    schedule: DiscreteSchedule,
    *,
    lambda_vlb: float = 0.001,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    t: Tensor | None = None,
    noise: Tensor | None = None,
    target: str | None = None,
    norm: Literal["l2", "l1"] = "l2",
    mask: Tensor | None = None,
    min_snr_gamma: float | None = None,
    generator: torch.Generator | None = None,
) -> LossOutput:
    """Per-example L_simple + λ T L_t; ``terms`` holds ``mse`` and ``vlb`` (L_t in bits/dim).

    x0 must be 8-bit data scaled to [−1, 1] (the t = 0 term is the discretized decoder). Feed
    ``terms["vlb"]`` to a :class:`LossSecondMomentResampler` for iDDPM's importance sampling.
    """
    if not isinstance(schedule, DiscreteSchedule):
        raise ValueError("the hybrid loss needs a DiscreteSchedule (its VLB is a sum over steps)")
    if not denoiser.learns_variance:
        raise ValueError(
            f"the hybrid loss trains a learned variance; the denoiser's is {denoiser.variance!r}"
        )
    batch = noise_batch(x0, schedule, prior=prior, t=t, noise=noise, generator=generator)
    output, variance_output = denoiser.network_output(
        batch.z_t, batch.model_time, prior=prior, cond=cond
    )
    mse = regression_loss(
        output,
        denoiser.parameterization,
        batch,
        prior=prior,
        target=target,
        norm=norm,
        mask=mask,
        min_snr_gamma=min_snr_gamma,
    )
    frozen = torch.cat([output.detach(), variance_output], dim=1)
    frozen_mean = Denoiser(
        lambda *args, **kwargs: frozen, denoiser.parameterization, denoiser.variance
    )
    vlb = vlb_loss(
        frozen_mean, x0, schedule, prior=prior, t=batch.t, noise=batch.noise, mask=mask
    ).terms["vlb"]
    loss = mse + lambda_vlb * schedule.num_steps * vlb
    return LossOutput(loss=loss, t=batch.t, terms={"mse": mse, "vlb": vlb})
