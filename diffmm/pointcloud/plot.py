"""A PNG of point clouds: one row per cloud, three 3-D scatter views (front, side, top-ish)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from diffmm.atomic import atomic_file

VIEWS = ((20, -60), (20, 30), (70, -90))  # (elevation, azimuth) in degrees


def save_cloud_views(path: str | Path, clouds: np.ndarray, max_clouds: int = 8) -> Path:
    """Draw the first ``max_clouds`` clouds of (M, N, 3) ``clouds`` from three views."""
    clouds = np.asarray(clouds)[:max_clouds]
    if clouds.ndim != 3 or clouds.shape[2] != 3:
        raise ValueError(f"expected clouds of shape (M, N, 3), got {clouds.shape}")
    rows = len(clouds)
    fig = plt.figure(figsize=(3 * len(VIEWS), 3 * rows))
    for i, cloud in enumerate(clouds):
        centre = (cloud.max(axis=0) + cloud.min(axis=0)) / 2
        radius = (cloud.max(axis=0) - cloud.min(axis=0)).max() / 2 or 1.0
        for j, (elevation, azimuth) in enumerate(VIEWS):
            ax = fig.add_subplot(rows, len(VIEWS), i * len(VIEWS) + j + 1, projection="3d")
            # ShapeNet is y-up: plot (x, z, y) so that up is up
            ax.scatter(cloud[:, 0], cloud[:, 2], cloud[:, 1], s=1, c=cloud[:, 1], cmap="viridis")
            ax.view_init(elev=elevation, azim=azimuth)
            for set_limits, axis in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), (0, 2, 1)):
                set_limits(centre[axis] - radius, centre[axis] + radius)
            ax.set_axis_off()
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1, wspace=0, hspace=0)
    with atomic_file(path) as file:
        fig.savefig(file, format="png", dpi=80)
    plt.close(fig)
    return Path(path)
