"""Turning a network's raw output into the engine's predictions.

A network is called as ``net(x_t, model_time, **cond)`` with x_t in *data* coordinates
(x = μ + σ_prior · z) and the time in the form it was trained with. What it returns is read
according to its parameterization:

- ``eps``:   ε̂, the standard-normal noise in whitened coordinates (z_t = α z_0 + σ ε);
- ``eps_x``: ε̂_x = σ_prior ε̂, the same noise in data units (PriorGrad, Lee et al. 2022:
  ε_x ~ N(0, Σ), Σ = diag σ_prior²). The denoiser divides by the σ_prior of the prior it is
  handed, so the network never sees σ_prior but through x_t. Its loss target is usually
  ``eps``: L_simple on ε̂ = ε̂_x / σ_prior is the paper's ‖ε_x − ε̂_x‖²_{Σ⁻¹};
- ``x0``:    x̂_0 in data coordinates;
- ``v``:     v̂ = α ε − σ z_0 (Salimans & Ho 2022), whitened;
- ``score``: ∇_x log p_t(x_t) in data coordinates (NCSN, Grad-TTS);
- ``flow``:  û = ε − z_0, whitened: the velocity dz/dt of the straight path z_t = (1 − t) z_0
  + t ε (flow matching, rectified flow). It converts on any schedule (z_t and u determine ε
  and z_0 whenever α + σ > 0), and never divides by α, so it is defined at pure noise.

With ``variance="learned_range"`` (iDDPM) or ``"learned"`` the network returns twice the
channels of x along dim 1; the second half is the variance output v (interpolation weight in
[−1, 1], or a log-variance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import torch
from torch import Tensor

from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior

Parameterization = Literal["eps", "eps_x", "x0", "v", "score", "flow"]
VarianceType = Literal["fixed_small", "fixed_large", "learned", "learned_range"]
PARAMETERIZATIONS = ("eps", "eps_x", "x0", "v", "score", "flow")
VARIANCE_TYPES = ("fixed_small", "fixed_large", "learned", "learned_range")


def expand_as(values: Tensor | float, x: Tensor) -> Tensor:
    """Broadcast a scalar or per-example (B,) tensor of coefficients over x's shape, in x's dtype."""
    # a Python float goes through float64, not float32, on its way to x's dtype
    v = values if isinstance(values, Tensor) else torch.tensor(values, dtype=torch.float64)
    v = v.to(device=x.device, dtype=x.dtype)
    if v.ndim == 0:
        return v
    return v.reshape(v.shape[0], *([1] * (x.ndim - 1)))


def prior_std_like(prior: GaussianPrior, x: Tensor) -> Tensor:
    """σ_prior as a tensor on x's device and in x's dtype (a scalar or broadcastable to x)."""
    return torch.as_tensor(prior.std, device=x.device, dtype=x.dtype)


@dataclass
class Prediction:
    """What a denoiser says about z_0 given z_t, in whitened coordinates."""

    eps: Tensor  # ε̂
    x0: Tensor  # ẑ_0 (whitened)
    variance_output: Tensor | None = None  # raw variance channels when the variance is learned


class DenoiserLike(Protocol):
    def predict(
        self,
        z_t: Tensor,
        alpha: Tensor | float,
        sigma: Tensor | float,
        model_time: Tensor | float,
        *,
        prior: GaussianPrior = STANDARD_NORMAL,
        cond: Mapping[str, Any] | None = None,
    ) -> Prediction: ...


def eps_x0_from_output(
    output: Tensor,
    z_t: Tensor,
    alpha: Tensor,
    sigma: Tensor,
    parameterization: str,
    prior: GaussianPrior,
) -> tuple[Tensor, Tensor]:
    """(ε̂, ẑ_0) from a network output under any parameterization (α, σ already broadcast)."""
    if parameterization in ("eps", "eps_x"):
        eps = output if parameterization == "eps" else output / prior_std_like(prior, output)
        return eps, (z_t - sigma * eps) / alpha
    if parameterization == "x0":
        z0 = prior.whiten(output)
        return (z_t - alpha * z0) / sigma, z0
    if parameterization == "v":
        norm = alpha**2 + sigma**2
        return (sigma * z_t + alpha * output) / norm, (alpha * z_t - sigma * output) / norm
    if parameterization == "score":
        # score in x is score in z divided by σ_prior; score in z is −ε/σ_t.
        eps = -sigma * output * prior_std_like(prior, output)
        return eps, (z_t - sigma * eps) / alpha
    if parameterization == "flow":
        # z_t = α z_0 + σ ε and u = ε − z_0, solved for ε and z_0
        norm = alpha + sigma
        return (z_t + alpha * output) / norm, (z_t - sigma * output) / norm
    raise ValueError(f"unknown parameterization {parameterization!r}; known: {PARAMETERIZATIONS}")


def output_from_eps_x0(
    eps: Tensor,
    z0: Tensor,
    alpha: Tensor,
    sigma: Tensor,
    parameterization: str,
    prior: GaussianPrior,
) -> Tensor:
    """The network output that a perfect model of this parameterization would give (training target)."""
    if parameterization == "eps":
        return eps
    if parameterization == "eps_x":
        return eps * prior_std_like(prior, eps)
    if parameterization == "x0":
        return prior.unwhiten(z0)
    if parameterization == "v":
        return alpha * eps - sigma * z0
    if parameterization == "score":
        return -eps / (sigma * prior_std_like(prior, eps))
    if parameterization == "flow":
        return eps - z0
    raise ValueError(f"unknown parameterization {parameterization!r}; known: {PARAMETERIZATIONS}")


class Denoiser:
    """A network plus how to read it: the one object samplers, losses and guidance call."""

    def __init__(
        self,
        net: Callable[..., Tensor],
        parameterization: Parameterization = "eps",
        variance: VarianceType = "fixed_small",
        clip_x0: tuple[float, float] | None = None,
    ) -> None:
        if parameterization not in PARAMETERIZATIONS:
            raise ValueError(
                f"unknown parameterization {parameterization!r}; known: {PARAMETERIZATIONS}"
            )
        if variance not in VARIANCE_TYPES:
            raise ValueError(f"unknown variance type {variance!r}; known: {VARIANCE_TYPES}")
        self.net = net
        self.parameterization = parameterization
        self.variance = variance
        self.clip_x0 = clip_x0

    @property
    def learns_variance(self) -> bool:
        return self.variance in ("learned", "learned_range")

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
        """Call the network at (z_t, t) and return ε̂, ẑ_0 (whitened) and any variance output.

        ``alpha``, ``sigma`` and ``model_time`` are scalars or per-example (B,) tensors.
        """
        output, variance_output = self.network_output(z_t, model_time, prior=prior, cond=cond)
        a, s = expand_as(alpha, z_t), expand_as(sigma, z_t)
        eps, z0 = eps_x0_from_output(output, z_t, a, s, self.parameterization, prior)
        if self.clip_x0 is not None:
            z0 = prior.whiten(prior.unwhiten(z0).clamp(*self.clip_x0))
            eps = (z_t - a * z0) / s
        return Prediction(eps=eps, x0=z0, variance_output=variance_output)

    def network_output(
        self,
        z_t: Tensor,
        model_time: Tensor | float,
        *,
        prior: GaussianPrior = STANDARD_NORMAL,
        cond: Mapping[str, Any] | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """The raw output in the network's own parameterization, and its variance channels.

        Losses regress this output directly (no x_0 clipping, which is a sampling-time device).
        """
        x_t = prior.unwhiten(z_t)
        time = torch.as_tensor(model_time, device=z_t.device, dtype=z_t.dtype)
        if time.ndim == 0:
            time = time.expand(z_t.shape[0])
        output = self.net(x_t, time, **(cond or {}))
        variance_output = None
        if self.learns_variance:
            if output.shape[1] != 2 * z_t.shape[1]:
                raise ValueError(
                    f"a learned-variance network must return {2 * z_t.shape[1]} channels, "
                    f"got {output.shape[1]}"
                )
            output, variance_output = output.chunk(2, dim=1)
        if output.shape != z_t.shape:
            raise ValueError(
                f"network returned shape {tuple(output.shape)} for input {tuple(z_t.shape)}"
            )
        return output, variance_output
