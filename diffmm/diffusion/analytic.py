"""Exact denoisers for Gaussian-mixture data: ground truth for testing samplers and likelihoods.

If z_0 ~ Σ_k w_k N(m_k, C_k) then z_t = α z_0 + σ ε ~ Σ_k w_k N(α m_k, α² C_k + σ² I), so the
score ∇ log p_t, the optimal ε̂ = −σ ∇ log p_t and every other parameterization have closed
forms at every noise level. A sampler fed this exact model must reproduce the mixture; the
probability-flow likelihood of a single Gaussian must match its true log-density.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from diffmm.diffusion.denoiser import output_from_eps_x0
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.schedules.base import NoiseSchedule


class GaussianMixture:
    """A mixture of full-covariance Gaussians in R^D (float64 throughout)."""

    def __init__(self, weights: Sequence[float], means: Tensor, covariances: Tensor) -> None:
        w = torch.as_tensor(weights, dtype=torch.float64)
        self.weights = w / w.sum()
        self.means = torch.as_tensor(means, dtype=torch.float64)
        self.covariances = torch.as_tensor(covariances, dtype=torch.float64)
        k, d = self.means.shape
        if self.weights.shape != (k,) or self.covariances.shape != (k, d, d):
            raise ValueError("weights (K,), means (K, D) and covariances (K, D, D) must agree")

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        comp = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        chol = torch.linalg.cholesky(self.covariances)
        eps = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        return self.means[comp] + torch.einsum("nij,nj->ni", chol[comp], eps)

    def affine(self, shift: Tensor | float, scale: Tensor | float) -> GaussianMixture:
        """The law of (x − shift) / scale for x from this mixture (scale diagonal, per dimension)."""
        scale = torch.as_tensor(scale, dtype=torch.float64).reshape(-1).expand(self.dim)
        shift = torch.as_tensor(shift, dtype=torch.float64).reshape(-1).expand(self.dim)
        inv = torch.diag(1 / scale)
        return GaussianMixture(
            self.weights, (self.means - shift) / scale, inv @ self.covariances @ inv
        )

    def whitened(self, prior: GaussianPrior) -> GaussianMixture:
        """The data law in the prior's whitened coordinates z = (x − μ)/σ."""
        return self.affine(prior.mean, prior.std)

    def noised(self, alpha: float, sigma: float) -> GaussianMixture:
        """The law of α z + σ ε."""
        eye = torch.eye(self.dim, dtype=torch.float64)
        return GaussianMixture(
            self.weights, alpha * self.means, alpha**2 * self.covariances + sigma**2 * eye
        )

    def log_prob(self, x: Tensor) -> Tensor:
        return torch.logsumexp(self._component_log_probs(x.to(torch.float64)), dim=1)

    def score(self, x: Tensor) -> Tensor:
        """∇_x log p(x)."""
        x = x.to(torch.float64)
        resp = torch.softmax(self._component_log_probs(x), dim=1)  # (N, K)
        prec = torch.linalg.inv(self.covariances)  # (K, D, D)
        diff = x[:, None, :] - self.means[None]  # (N, K, D)
        comp_scores = -torch.einsum("kij,nkj->nki", prec, diff)
        return (resp[..., None] * comp_scores).sum(1)

    def _component_log_probs(self, x: Tensor) -> Tensor:
        diff = x[:, None, :] - self.means[None]
        prec = torch.linalg.inv(self.covariances)
        maha = torch.einsum("nki,kij,nkj->nk", diff, prec, diff)
        logdet = torch.logdet(self.covariances)
        return torch.log(self.weights)[None] - 0.5 * (
            maha + logdet[None] + self.dim * math.log(2 * math.pi)
        )


def exact_eps(mixture: GaussianMixture, z_t: Tensor, alpha: Tensor, sigma: Tensor) -> Tensor:
    """ε̂(z_t) = −σ ∇ log p_t(z_t) for data z_0 ~ ``mixture``; α, σ scalar or per example (B,)."""
    alpha = torch.as_tensor(alpha, dtype=torch.float64).reshape(-1)
    sigma = torch.as_tensor(sigma, dtype=torch.float64).reshape(-1)
    # samplers hand the whole batch one time: skip the per-row grouping (a sort of the batch)
    if bool((alpha == alpha[0]).all()) and bool((sigma == sigma[0]).all()):
        alpha, sigma = alpha[:1], sigma[:1]
    if alpha.numel() == 1:
        return (-float(sigma) * mixture.noised(float(alpha), float(sigma)).score(z_t)).to(z_t.dtype)
    out = torch.empty(z_t.shape, dtype=torch.float64)
    for value in torch.unique(torch.stack([alpha, sigma], 1), dim=0):
        rows = (alpha == value[0]) & (sigma == value[1])
        a, s = float(value[0]), float(value[1])
        out[rows] = -s * mixture.noised(a, s).score(z_t[rows])
    return out.to(z_t.dtype)


class ExactMixtureNet(nn.Module):
    """A "network" that returns the exact answer for mixture data in data coordinates.

    It decodes its time input with ``schedule.alpha_sigma_from_model_time``, so a sampler that
    passes the wrong time form gets wrong answers, just as a trained network would.
    """

    def __init__(
        self,
        data: GaussianMixture,
        schedule: NoiseSchedule,
        *,
        prior: GaussianPrior = STANDARD_NORMAL,
        parameterization: str = "eps",
    ) -> None:
        super().__init__()
        self.whitened_data = data.whitened(prior)
        self.schedule, self.prior, self.parameterization = schedule, prior, parameterization

    def forward(self, x_t: Tensor, model_time: Tensor) -> Tensor:
        alpha, sigma = self.schedule.alpha_sigma_from_model_time(model_time.to(torch.float64))
        z_t = self.prior.whiten(x_t)
        eps = exact_eps(self.whitened_data, z_t, alpha, sigma)
        a = alpha.to(z_t).reshape(-1, *([1] * (z_t.ndim - 1)))
        s = sigma.to(z_t).reshape(-1, *([1] * (z_t.ndim - 1)))
        z0 = (z_t - s * eps) / a
        return output_from_eps_x0(eps, z0, a, s, self.parameterization, self.prior)
