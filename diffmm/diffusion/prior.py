"""The terminal (prior) distribution N(μ, diag σ²) of a Gaussian diffusion.

The standard case is μ = 0, σ = 1. PriorGrad takes σ from the data (frame energy,
phoneme statistics); Grad-TTS takes μ from the text encoder. The engine works in
whitened coordinates z = (x - μ) / σ, where every one of these cases is the standard
diffusion: the forward process is z_t = α_t z_0 + σ_t ε with ε ~ N(0, I). PriorGrad's
Σ⁻¹-weighted loss and Grad-TTS's mean-reverting SDE are the unweighted loss and the
plain VP SDE in z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class GaussianPrior:
    """N(mean, diag(std²)); ``mean`` and ``std`` are tensors (or floats) broadcastable to x."""

    mean: Tensor | float = 0.0
    std: Tensor | float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.std, Tensor):
            if bool((self.std <= 0).any()):
                raise ValueError("GaussianPrior.std must be strictly positive everywhere")
        elif self.std <= 0:
            raise ValueError(f"GaussianPrior.std must be positive, got {self.std}")

    def check_shape(self, x: Tensor) -> None:
        """Raise a clear error if the prior's tensors cannot broadcast to ``x``."""
        for name in ("mean", "std"):
            value = getattr(self, name)
            if isinstance(value, Tensor):
                try:
                    torch.broadcast_shapes(value.shape, x.shape)
                except RuntimeError as err:
                    raise ValueError(
                        f"prior {name} of shape {tuple(value.shape)} does not match a sample "
                        f"of shape {tuple(x.shape)}"
                    ) from err
                if torch.broadcast_shapes(value.shape, x.shape) != x.shape:
                    raise ValueError(
                        f"prior {name} of shape {tuple(value.shape)} would enlarge a sample "
                        f"of shape {tuple(x.shape)}"
                    )

    def whiten(self, x: Tensor) -> Tensor:
        """z = (x - μ) / σ."""
        self.check_shape(x)
        return (x - self.mean) / self.std

    def unwhiten(self, z: Tensor) -> Tensor:
        """x = μ + σ z."""
        self.check_shape(z)
        return self.mean + self.std * z

    def sample(
        self,
        shape: tuple[int, ...] | torch.Size,
        *,
        scale: float = 1.0,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> Tensor:
        """Draw x = μ + σ · scale · ε. ``scale`` is the terminal noise level in z (1 for VP, σ_max for VE)."""
        eps = torch.randn(shape, generator=generator, device=device, dtype=dtype)
        return self.unwhiten(scale * eps)

    def log_prob(self, x: Tensor) -> Tensor:
        """Log-density of x under N(μ, diag σ²), summed over all but the batch dimension."""
        z = self.whiten(x)
        log_std = torch.log(torch.as_tensor(self.std, dtype=x.dtype, device=x.device))
        per_elem = -0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi)
        return per_elem.flatten(1).sum(1)


STANDARD_NORMAL = GaussianPrior()
