"""Pseudo-inverse guided diffusion (ΠGDM; Song, Vahdat, Mardani & Kautz 2023).

p(x₀ | x_t) is taken to be N(x̂₀, r_t² I), which makes the measurement likelihood Gaussian,
p(y | x_t) ≈ N(A x̂₀, r_t² A Aᵀ + σ_y² I), and its score a vector-Jacobian product through
the network:
    ∇_{x_t} log p(y | x_t) = (∂x̂₀/∂x_t)ᵀ Aᵀ (r_t² A Aᵀ + σ_y² I)⁻¹ (y − A x̂₀),
r_t² is the variance of p(x₀ | x_t):

- σ_y > 0: r_t² = σ_t² / (α_t² + σ_t²), the posterior variance of a unit-variance Gaussian x₀
  (the paper's σ_t²/(1 + σ_t²) in variance-exploding units). For whitened data N(m, I) the
  approximation is exact, so the guided sampler draws from the exact posterior.
- σ_y = 0: r_t² = σ_t² / α_t², the variance-exploding σ_t² (a flat prior on x₀), which is what
  the authors' public code does (NVlabs/RED-diff ``algos/pgdm.py``): it adds
  (√ᾱ_s − c₂√ᾱ_t/√(1 − ᾱ_t)) √ᾱ_t · (∂x̂₀/∂x_t)ᵀ (A†y − A†A x̂₀) to the DDIM step t → s, the
  paper's (A†y − A†A x̂₀) form with no 1/r_t². That is exactly this file's guided DDIM step
  with r_t² = σ_t²/α_t²; the unit-variance r_t² makes the step 1/α_t² larger. The factor
  matters: ∂x̂₀/∂x_t = (I − σ_t ∂ε̂/∂x_t)/α_t multiplies a trained network's error in ∂ε̂/∂x_t
  by σ_t/α_t (≈ 150 at the first levels of a T = 1000 linear schedule), and α_t² cancels it;
  with the exact denoiser of N(m, I) data the noiseless measurement fixes only A x, whose
  posterior is the same either way (``tests/engine/test_pigdm_weight.py``).

The guided score enters as classifier guidance does: ε̂' = ε̂ − σ_t ∇_z log p(y | z_t), so
every sampler uses it unchanged.
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


class PseudoInverseGuidance:
    """ΠGDM as a denoiser wrapper, ``scale`` multiplying the likelihood score (paper: 1)."""

    def __init__(
        self, denoiser: DenoiserLike, measurement: Measurement, scale: float = 1.0
    ) -> None:
        self.operator = measurement.linear_operator("pigdm")
        self.denoiser, self.measurement, self.scale = denoiser, measurement, float(scale)

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
        prior_var = torch.as_tensor(prior.std, dtype=torch.float64) ** 2
        if prior_var.numel() != 1:
            raise ValueError("pigdm needs a prior with one std for all elements")
        a, s = (
            float(torch.as_tensor(alpha).flatten()[0]),
            float(torch.as_tensor(sigma).flatten()[0]),
        )
        noise_var = self.measurement.noise_std**2
        r2 = s**2 / (a**2 + s**2 if noise_var > 0 else a**2) * float(prior_var)
        with torch.enable_grad():
            z = z_t.detach().requires_grad_(True)
            pred = self.denoiser.predict(z, alpha, sigma, model_time, prior=prior, cond=cond)
            measured = self.operator(prior.unwhiten(pred.x0))
            residual = (self.measurement.y.to(measured) - measured).detach()
            weights = self.operator.gram_solve(residual, r2, noise_var)
            (grad,) = torch.autograd.grad((weights * measured).sum(), z)
        eps = pred.eps.detach() - expand_as(sigma, z_t) * self.scale * grad
        x0 = (z_t - expand_as(sigma, z_t) * eps) / expand_as(alpha, z_t)
        return Prediction(eps=eps, x0=x0, variance_output=pred.variance_output)
