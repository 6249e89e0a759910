"""Guidance: steering a denoiser towards a condition y. Both wrappers are denoisers themselves
(they implement ``predict``), so every sampler accepts them unchanged.

- Classifier-free guidance (Ho & Salimans 2022): ε̂ = ε̂_u + w (ε̂_c − ε̂_u), with ε̂_u the same
  network given a "null" condition. w = 1 is the conditional model, w = 0 the unconditional.
- Classifier guidance (Dhariwal & Nichol 2021; Song et al. 2021 §5): with score −ε̂/σ,
  ε̂' = ε̂ − σ s ∇_z log p_φ(y | x_t). At s = 1 and an exact classifier this is Bayes' rule:
  ∇log p_t(z) + ∇log p_t(y | z) = ∇log p_t(z | y).

Gradients are taken in whitened coordinates z, the ones ε̂ lives in; the classifier itself is
handed x_t in data coordinates and the network's time, like the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike, Prediction, expand_as
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.common import variance_type

ClassifierLogProb = Callable[[Tensor, Tensor, Any], Tensor]
"""(x_t in data coordinates, model time (B,), label y) -> log p(y | x_t), shape (B,)."""


def _prediction_from_eps(
    eps: Tensor, z_t: Tensor, alpha: Tensor | float, sigma: Tensor | float, base: Prediction
) -> Prediction:
    """ẑ_0 = (z_t − σ ε̂)/α for a guided ε̂; the variance output is the conditional pass's."""
    a, s = expand_as(alpha, z_t), expand_as(sigma, z_t)
    return Prediction(eps=eps, x0=(z_t - s * eps) / a, variance_output=base.variance_output)


class ClassifierFreeGuidance:
    """ε̂ = ε̂(z, ∅) + w (ε̂(z, c) − ε̂(z, ∅)).

    ``null_cond`` holds the entries that make the unconditional pass (e.g. ``{"label": None}``
    or a learned null token); it overrides the same keys of ``cond`` and leaves the rest
    (e.g. a mel spectrogram the model always sees) untouched.
    """

    def __init__(self, denoiser: DenoiserLike, scale: float, null_cond: Mapping[str, Any]) -> None:
        self.denoiser = denoiser
        self.scale = float(scale)
        self.null_cond = dict(null_cond)

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
        conditional = self.denoiser.predict(z_t, alpha, sigma, model_time, prior=prior, cond=cond)
        unconditional = self.denoiser.predict(
            z_t, alpha, sigma, model_time, prior=prior, cond={**(cond or {}), **self.null_cond}
        )
        eps = unconditional.eps + self.scale * (conditional.eps - unconditional.eps)
        return _prediction_from_eps(eps, z_t, alpha, sigma, conditional)


class ClassifierGuidance:
    """ε̂' = ε̂ − σ s ∇_z log p(y | x_t), the label y read from ``cond[label_key]``.

    The label is removed from the condition the denoiser sees unless ``denoiser_sees_label``
    (an unconditional diffusion model guided by a classifier, as in ADM, or a conditional one).
    """

    def __init__(
        self,
        denoiser: DenoiserLike,
        classifier_log_prob: ClassifierLogProb,
        scale: float,
        *,
        label_key: str = "y",
        denoiser_sees_label: bool = False,
    ) -> None:
        self.denoiser = denoiser
        self.classifier_log_prob = classifier_log_prob
        self.scale = float(scale)
        self.label_key = label_key
        self.denoiser_sees_label = denoiser_sees_label

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
        if cond is None or self.label_key not in cond:
            raise ValueError(f"classifier guidance needs the label in cond[{self.label_key!r}]")
        label = cond[self.label_key]
        denoiser_cond = (
            cond
            if self.denoiser_sees_label
            else {k: v for k, v in cond.items() if k != self.label_key}
        )
        base = self.denoiser.predict(z_t, alpha, sigma, model_time, prior=prior, cond=denoiser_cond)
        grad = self.log_prob_gradient(z_t, model_time, label, prior)
        eps = base.eps - expand_as(sigma, z_t) * self.scale * grad
        return _prediction_from_eps(eps, z_t, alpha, sigma, base)

    def log_prob_gradient(
        self, z_t: Tensor, model_time: Tensor | float, label: Any, prior: GaussianPrior
    ) -> Tensor:
        """∇_z log p(y | x_t) with x_t = μ + σ_prior z, per example."""
        time = torch.as_tensor(model_time, device=z_t.device, dtype=z_t.dtype)
        if time.ndim == 0:
            time = time.expand(z_t.shape[0])
        with torch.enable_grad():
            z = z_t.detach().requires_grad_(True)
            log_prob = self.classifier_log_prob(prior.unwhiten(z), time, label)
            if log_prob.shape != (z_t.shape[0],):
                raise ValueError(
                    f"classifier_log_prob must return one value per example, shape "
                    f"({z_t.shape[0]},), got {tuple(log_prob.shape)}"
                )
            (grad,) = torch.autograd.grad(log_prob.sum(), z)
        return grad
