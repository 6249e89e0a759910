"""Dynamic time warping of two feature sequences (Sakoe & Chiba 1978, symmetric unit steps).

D[i, j] = C[i, j] + min(D[i-1, j], D[i, j-1], D[i-1, j-1]) with D[0, 0] = C[0, 0]; the optimal
monotone path from (0, 0) to (N-1, M-1) is read back from D. Cells on one anti-diagonal
(i + j = k) depend only on the two previous anti-diagonals, so each is filled in one vectorised
step: N + M - 1 numpy operations instead of N·M Python ones.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist


def euclidean_cost(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances (N, M) between the rows of x (N, D) and y (M, D).

    scipy's cdist needs only the (N, M) output, not an (N, M, D) difference array (0.8 GB for
    two 10 s utterances at 5 ms frames), and gives exact zeros for equal rows.
    """
    return cdist(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))


def accumulated_cost(cost: np.ndarray) -> np.ndarray:
    """D (N, M): the smallest sum of ``cost`` along a monotone path from (0, 0) to each cell."""
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2 or cost.shape[0] == 0 or cost.shape[1] == 0:
        raise ValueError(f"DTW needs a non-empty (N, M) cost matrix, got shape {cost.shape}")
    n, m = cost.shape
    # padded[i + 1, j + 1] = D[i, j]; the padding row/column is +inf except the origin
    padded = np.full((n + 1, m + 1), np.inf)
    padded[0, 0] = 0.0
    for k in range(n + m - 1):
        i = np.arange(max(0, k - m + 1), min(n - 1, k) + 1)
        j = k - i
        best = np.minimum(np.minimum(padded[i, j + 1], padded[i + 1, j]), padded[i, j])
        padded[i + 1, j + 1] = cost[i, j] + best
    return padded[1:, 1:]


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Optimal alignment (rows of x, rows of y, total cost) for a cost matrix (N, M).

    Ties are broken towards the diagonal step, then the step in i.
    """
    total = accumulated_cost(cost)
    i, j = total.shape[0] - 1, total.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
            i, j = min(steps, key=lambda cell: total[cell])
        path.append((i, j))
    rows, cols = np.asarray(path[::-1]).T
    return rows, cols, float(total[-1, -1])
