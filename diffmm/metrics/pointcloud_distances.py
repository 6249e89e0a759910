"""Distances between point clouds: Chamfer (CD) and Earth Mover's (EMD), one pair at a time
or as the matrix between two sets of clouds.

- CD(X, Y) = mean_x min_y ‖x − y‖² + mean_y min_x ‖x − y‖² (squared distances, summed over the
  two directions: the convention of PointFlow and Luo & Hu, whose tables it reproduces).
- EMD(X, Y) = min over bijections π of mean_i ‖x_i − y_π(i)‖ for clouds of equal size.
  ``exact`` solves the assignment (scipy's ``linear_sum_assignment``, O(N³): 0.3 s at 1024
  points, 1.8 s at 2048 on one CPU core); ``sinkhorn`` is the entropic approximation
  (Cuturi 2013; log domain, ε in distance units), which tends to the exact value as ε → 0
  (within 1% at the default ε on unit-scale clouds) and runs batched on a GPU; ``auto`` is exact up to ``EXACT_MAX_POINTS`` points.
  The method used is part of every result, since the two differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor
from tqdm.auto import tqdm

from diffmm.errors import DiffmmError

EMD_METHODS = ("auto", "exact", "sinkhorn")
EXACT_MAX_POINTS = 1024
SINKHORN_EPSILON = 0.002
SINKHORN_ITERATIONS = 1000
SINKHORN_ANNEALING = 0.9  # ε shrinks by this factor per iteration down to SINKHORN_EPSILON


def check_same_size(a: Tensor, b: Tensor, what: str) -> None:
    if a.shape[-2] != b.shape[-2]:
        raise DiffmmError(
            f"{what} needs clouds of equal size, got {a.shape[-2]} and {b.shape[-2]} points"
        )


def chamfer_distance(a: Tensor, b: Tensor) -> Tensor:
    """CD of each pair (B,) for clouds a (B, N, 3) and b (B, M, 3)."""
    squared = torch.cdist(a.double(), b.double()) ** 2
    return squared.min(dim=2).values.mean(dim=1) + squared.min(dim=1).values.mean(dim=1)


def emd_exact(a: Tensor, b: Tensor) -> Tensor:
    """Exact EMD of each pair (B,) for clouds of equal size, by optimal assignment."""
    check_same_size(a, b, "EMD")
    costs = torch.cdist(a.double(), b.double()).cpu().numpy()
    values = []
    for cost in costs:
        rows, cols = linear_sum_assignment(cost)
        values.append(cost[rows, cols].mean())
    return torch.tensor(np.array(values), dtype=torch.float64)


def emd_sinkhorn(
    a: Tensor, b: Tensor, epsilon: float = SINKHORN_EPSILON, iterations: int = SINKHORN_ITERATIONS
) -> Tensor:
    """⟨P, C⟩ of the entropic transport plan P between uniform clouds of equal size (B,).

    ε is annealed from the largest cost down to ``epsilon`` (ε-scaling, Schmitzer 2019),
    the potentials carried over, so the final small ε converges in few iterations.
    """
    check_same_size(a, b, "EMD")
    cost = torch.cdist(a.double(), b.double())
    log_weight = -math.log(cost.shape[1])
    f = torch.zeros(cost.shape[:2], dtype=cost.dtype, device=cost.device)
    g = torch.zeros_like(f)
    eps = max(float(cost.max()), epsilon)
    for _ in range(iterations):
        f = -eps * torch.logsumexp((g[:, None, :] - cost) / eps + log_weight, dim=2)
        g_new = -eps * torch.logsumexp((f[:, :, None] - cost) / eps + log_weight, dim=1)
        converged = eps == epsilon and float((g_new - g).abs().max()) < 1e-3 * epsilon
        g = g_new
        if converged:
            break
        eps = max(eps * SINKHORN_ANNEALING, epsilon)
    plan = torch.exp((f[:, :, None] + g[:, None, :] - cost) / eps + 2 * log_weight)
    return (plan * cost).sum(dim=(1, 2)).cpu()


def emd_method_for(num_points: int, method: str) -> str:
    """The method ``auto`` resolves to for clouds of ``num_points`` points."""
    if method not in EMD_METHODS:
        raise DiffmmError(f"unknown EMD method {method!r}; known: {', '.join(EMD_METHODS)}")
    if method == "auto":
        return "exact" if num_points <= EXACT_MAX_POINTS else "sinkhorn"
    return method


def earth_movers_distance(a: Tensor, b: Tensor, method: str = "auto") -> Tensor:
    """EMD of each pair (B,) by ``method`` (see the module docstring)."""
    chosen = emd_method_for(a.shape[-2], method)
    return emd_exact(a, b) if chosen == "exact" else emd_sinkhorn(a, b)


def pair_distance(metric: str, emd_method: str = "auto") -> Callable[[Tensor, Tensor], Tensor]:
    """The per-pair distance function called ``metric`` (``cd`` or ``emd``)."""
    if metric == "cd":
        return chamfer_distance
    if metric == "emd":
        return lambda a, b: earth_movers_distance(a, b, emd_method)
    raise DiffmmError(f"unknown point-cloud distance {metric!r}; known: cd, emd")


def distance_matrix(
    rows: Tensor,
    columns: Tensor,
    distance: Callable[[Tensor, Tensor], Tensor],
    *,
    batch_size: int = 64,
    desc: str | None = None,
) -> Tensor:
    """D[i, j] = distance(rows[i], columns[j]) (R, C) float64, ``batch_size`` pairs at a time."""
    pairs = [(i, j) for i in range(len(rows)) for j in range(len(columns))]
    values = torch.empty(len(pairs), dtype=torch.float64)
    with tqdm(total=len(pairs), desc=desc, disable=desc is None, leave=False) as bar:
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start : start + batch_size]
            left = rows[torch.tensor([i for i, _ in chunk])]
            right = columns[torch.tensor([j for _, j in chunk])]
            values[start : start + len(chunk)] = distance(left, right).cpu()
            bar.update(len(chunk))
    return values.reshape(len(rows), len(columns))
