"""Replacement and DDNM: enforcing y = A x exactly through the range-null-space decomposition
x = A†A x + (I − A†A) x, whose range part the measurement fixes (noiseless y only).

- DDNM (Wang, Yu & Zhang 2023): at every step the denoised estimate is corrected,
  x̂₀ ← A†y + (I − A†A) x̂₀, before the sampler's own update.
- Replacement (Song et al. 2021, App. I; the conditioning step of RePaint, Lugmayr et al.
  2022): in addition the network sees the known part re-noised to the current level,
  z_t ← (I − A†A) z_t + A†(α_t y + σ_t A ξ), ξ ~ N(0, I) drawn afresh at each call.

Both are denoiser wrappers: ε̂ is recomputed from the corrected x̂₀ against the sampler's own
z_t, so every sampler carries the correction and its known part ends at y (a grid ending at
the data returns x̂₀ itself). They act in whitened coordinates on the whitened measurement
A(whiten(A†y)), which is exact when A commutes with whitening: any operator under the
standard prior, a mask or other elementwise operator under any prior.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike, Prediction, expand_as
from diffmm.diffusion.inverse.measurement import Measurement
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.common import variance_type


def whitened_measurement(measurement: Measurement, prior: GaussianPrior, like: Tensor) -> Tensor:
    """y_z = A(whiten(A†y)): the measurement of the whitened sample."""
    op = measurement.linear_operator("a projection")
    return op(prior.whiten(op.pinv(measurement.y.to(like))))


class RangeProjection:
    """A denoiser whose x̂₀ satisfies A x̂₀ = y: DDNM, or replacement with ``renoise``."""

    def __init__(
        self,
        denoiser: DenoiserLike,
        measurement: Measurement,
        *,
        renoise: bool,
        generator: torch.Generator | None = None,
    ) -> None:
        method = "replacement" if renoise else "ddnm"
        self.operator = measurement.linear_operator(method)
        if measurement.noise_std > 0:
            raise ValueError(f"{method} needs a noiseless measurement; use pigdm or dps for noise")
        self.denoiser, self.measurement = denoiser, measurement
        self.renoise, self.generator = renoise, generator

    @property
    def variance(self) -> str:
        return variance_type(self.denoiser)

    def predict(
        self,
        z_t: Tensor,
        alpha: Tensor | float,
        sigma: Tensor | float,
        model_time: Tensor | float,
        *,
        prior: GaussianPrior = STANDARD_NORMAL,
        cond: Mapping[str, Any] | None = None,
    ) -> Prediction:
        a, s = expand_as(alpha, z_t), expand_as(sigma, z_t)
        y_z = whitened_measurement(self.measurement, prior, z_t)
        z_in = z_t
        if self.renoise:
            xi = torch.randn(
                z_t.shape, generator=self.generator, device=z_t.device, dtype=z_t.dtype
            )
            noisy_y = expand_as(alpha, y_z) * y_z + expand_as(sigma, y_z) * self.operator(xi)
            z_in = self.operator.project(z_t, noisy_y)
        pred = self.denoiser.predict(z_in, alpha, sigma, model_time, prior=prior, cond=cond)
        z0 = self.operator.project(pred.x0, y_z)
        return Prediction(eps=(z_t - a * z0) / s, x0=z0, variance_output=pred.variance_output)
