"""Mean scaling (TimeGrad / DeepAR): divide each series by its mean absolute observed value.

For a window with values x_t and observed mask m_t over the context (axis ``dim``):

    scale = max( Σ_t m_t |x_t| / max(Σ_t m_t, 1), minimum_scale )

as pytorch-ts's ``MeanScaler`` (minimum 1e-10). Where a series has no non-zero observed value
in the context, the scale is 1 (pytorch-ts falls back to the batch mean instead, which makes
one window's forecast depend on the others in its batch). Nothing is modified in place.
"""

from __future__ import annotations

import torch
from torch import Tensor

MINIMUM_SCALE = 1e-10


def mean_scale(
    target: Tensor, observed: Tensor, *, dim: int = 1, minimum_scale: float = MINIMUM_SCALE
) -> tuple[Tensor, Tensor]:
    """(target / scale, scale); ``scale`` keeps ``dim`` with size 1 (e.g. (B, 1, D))."""
    if target.shape != observed.shape:
        raise ValueError(
            f"target {tuple(target.shape)} and observed {tuple(observed.shape)} differ"
        )
    weights = observed.to(target.dtype)
    # where() rather than a product: a missing value may be stored as NaN
    observed_sum = torch.where(weights > 0, target.abs(), 0.0).sum(dim, keepdim=True)
    observed_count = weights.sum(dim, keepdim=True).clamp(min=1.0)
    scale = torch.where(
        observed_sum > 0, observed_sum / observed_count, torch.ones_like(observed_sum)
    ).clamp(min=minimum_scale)
    return target / scale, scale


def unscale(scaled: Tensor, scale: Tensor) -> Tensor:
    """The inverse of ``mean_scale``: ``scaled * scale`` (a new tensor)."""
    return scaled * scale
