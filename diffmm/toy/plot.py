"""Scatter plots of 2-D samples against the data they should match."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def save_scatter(
    path: str | Path,
    samples: np.ndarray,
    reference: np.ndarray | None = None,
    title: str = "",
) -> Path:
    """Write a PNG scatter of (N, 2) samples, beside the reference data when given."""
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"a scatter plot needs (N, 2) points, got {samples.shape}")
    panels = [("generated", samples)] + (
        [("data", np.asarray(reference))] if reference is not None else []
    )
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False)
    everything = np.concatenate([p for _, p in panels])
    lo, hi = np.percentile(everything, [0.5, 99.5], axis=0)
    pad = 0.1 * (hi - lo)
    for ax, (name, points) in zip(axes[0], panels):
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5)
        ax.set_title(name)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        ax.set_aspect("equal")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
