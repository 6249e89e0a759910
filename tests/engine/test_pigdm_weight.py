"""ΠGDM's guidance weight for a noiseless measurement, checked against its closed forms.

1. The authors' public code (NVlabs/RED-diff ``algos/pgdm.py``, η = 0, ``awd`` off) takes the
   DDIM step t → s as
       x_s = α_s x̂₀ + σ_s ε̂ + (α_s − σ_s α_t/σ_t) α_t Jᵀ (A†y − A†A x̂₀),   J = ∂x̂₀/∂x_t,
   (its √ᾱ are our α, its c₂ = σ_s). The guided DDIM step of ``PseudoInverseGuidance`` must be
   that, to float round-off, for any denoiser (here a perturbed, non-exact one) at every noise
   level: with r_t² = σ_t²/(α_t² + σ_t²) instead it is (α_t² + σ_t²)/α_t² times larger
   (2.8e4 at the first level of a T = 1000 linear schedule), which blew up trained models.
2. For N(m, I) data and a noiseless y = A x, the exact posterior is N(m + A†(y − A m), I − A†A);
   the flat-prior r_t² still samples it (only A x is measured, and it is pinned at the end).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import torch
from torch import Tensor

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser, Prediction
from diffmm.diffusion.inverse import (
    MatrixOperator,
    Measurement,
    PseudoInverseGuidance,
    solve_inverse,
)
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.schedules import DiscreteSchedule

pytestmark = pytest.mark.engine

SCHEDULE = DiscreteSchedule.from_name("linear", 1000)
GRID = SCHEDULE.grid()  # every level, noisiest first


class PerturbedDenoiser:
    """ε̂ = z σ + 0.1 tanh(W z): not the exact denoiser of any data, a non-trivial Jacobian."""

    def __init__(self, dim: int) -> None:
        self.weight = torch.randn(dim, dim, generator=torch.Generator().manual_seed(1))

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
        eps = z_t * sigma + 0.1 * torch.tanh(z_t @ self.weight.T)
        return Prediction(eps=eps, x0=(z_t - sigma * eps) / alpha)


@pytest.mark.parametrize("index", [0, 500, 900, 990])
def test_noiseless_guided_ddim_step_is_the_reference_codes(index: int) -> None:
    a_t, s_t = float(GRID.alphas[index]), float(GRID.sigmas[index])
    a_s, s_s = float(GRID.alphas[index + 5]), float(GRID.sigmas[index + 5])
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(3, 6, generator=generator, dtype=torch.float64)
    matrix = torch.randn(2, 6, generator=generator, dtype=torch.float64)
    y = torch.randn(3, 2, generator=generator, dtype=torch.float64)
    operator = MatrixOperator(matrix)
    denoiser = PerturbedDenoiser(6)
    denoiser.weight = denoiser.weight.double()

    guided = PseudoInverseGuidance(denoiser, Measurement(operator, y)).predict(z, a_t, s_t, 0.0)
    ours = a_s * guided.x0 + s_s * guided.eps

    # the reference step, written from the code with J by autograd and A† = pinv(A)
    x = z.clone().requires_grad_(True)
    plain = denoiser.predict(x, a_t, s_t, 0.0)
    pinv = torch.linalg.pinv(matrix)
    direction = ((y - plain.x0 @ matrix.T) @ pinv.T).detach()
    (vjp,) = torch.autograd.grad((direction * plain.x0).sum(), x)
    coeff = (a_s - s_s * a_t / s_t) * a_t
    reference = a_s * plain.x0 + s_s * plain.eps + coeff * vjp
    scale = float(reference.detach().abs().max())
    assert float((ours - reference.detach()).abs().max()) < 1e-7 * scale


def test_noiseless_pigdm_samples_the_exact_gaussian_posterior() -> None:
    generator = torch.Generator().manual_seed(3)
    mean = torch.tensor([0.5, -1.0, 0.3, 1.0], dtype=torch.float64)
    matrix = torch.randn(2, 4, generator=generator, dtype=torch.float64)
    truth = mean + torch.randn(4, generator=generator, dtype=torch.float64)
    y = (matrix @ truth)[None]
    pinv = torch.linalg.pinv(matrix)
    post_mean = mean + pinv @ (y[0] - matrix @ mean)
    post_cov = torch.eye(4, dtype=torch.float64) - pinv @ matrix
    data = GaussianMixture([1.0], mean[None], torch.eye(4, dtype=torch.float64)[None])
    x = torch.randn(3000, 4, generator=generator)
    samples = solve_inverse(
        Denoiser(ExactMixtureNet(data, SCHEDULE)),
        x,
        SCHEDULE.grid(250),
        Measurement(MatrixOperator(matrix.float()), y.float()),
        method="pigdm",
        sampler="ddim",
    ).double()
    # s.e. at N = 3000: mean 0.02, covariance 0.03; y itself to float round-off
    assert float((samples @ matrix.T - y).abs().max()) < 1e-3
    assert float((samples.mean(0) - post_mean).abs().max()) < 0.06
    assert float((torch.cov(samples.T) - post_cov).abs().max()) < 0.06
