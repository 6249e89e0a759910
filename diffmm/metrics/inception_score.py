"""Inception Score (Salimans et al. 2016) from a classifier's class probabilities.

IS = exp(E_x KL(p(y|x) ‖ p(y))), p(y) the mean prediction over the split. It is 1 when every
sample gets the same prediction and K when K classes are predicted confidently and equally
often. As in the original code, the samples are cut in order into ``splits`` parts and the
mean and (population) standard deviation over the parts are reported.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from diffmm.errors import DiffmmError

# Softmax outputs in float32 sum to 1 only to about 1e-6 per row; 1e-3 tells logits from
# probabilities without rejecting honest round-off.
ROW_SUM_TOLERANCE = 1e-3


def inception_score(probabilities: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """(mean, std) of IS over ``splits`` consecutive parts of (N, K) class probabilities p(y|x)."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < splits or splits < 1:
        raise DiffmmError(f"IS needs (N ≥ splits={splits}, K) probabilities, got {p.shape}")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=ROW_SUM_TOLERANCE):
        raise DiffmmError(
            "IS needs class probabilities (non-negative rows summing to 1), not logits"
        )
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        # xlogy makes 0·log 0 = 0, so confident one-hot predictions are exact.
        kl = (xlogy(part, part) - xlogy(part, marginal)).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
