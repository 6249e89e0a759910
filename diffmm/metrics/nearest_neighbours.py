"""The memorisation check: each sample's nearest training images in feature space.

A model that copies its training set puts samples much closer to training images than unseen
images of the same distribution are. So the distances from samples to their nearest training
image are compared with the distances from held-out (reference) images to theirs, as two
histograms, and a panel shows samples beside their closest training images.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import torch

from diffmm.vision.grid import image_grid
from diffmm.vision.pixels import uint8_to_signed


def nearest_neighbours(
    queries: np.ndarray, keys: np.ndarray, k: int = 1, batch_size: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """(N, k) Euclidean distances (float64, ascending) and indices of each query's k nearest keys."""
    keys_t = torch.as_tensor(keys, dtype=torch.float64)
    distances, indices = [], []
    for start in range(0, len(queries), batch_size):
        batch = torch.as_tensor(queries[start : start + batch_size], dtype=torch.float64)
        found = torch.cdist(batch, keys_t).topk(k, dim=1, largest=False)
        distances.append(found.values)
        indices.append(found.indices)
    return torch.cat(distances).numpy(), torch.cat(indices).numpy()


def memorisation_report(
    sample_features: np.ndarray,
    reference_features: np.ndarray,
    train_features: np.ndarray,
) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Median nearest-training distances of samples and of held-out images, and their ratio
    (well below 1: samples sit closer to the training set than new data does), with the
    samples' and the held-out images' nearest distances."""
    to_train, _ = nearest_neighbours(sample_features, train_features)
    held_out, _ = nearest_neighbours(reference_features, train_features)
    medians = float(np.median(to_train)), float(np.median(held_out))
    summary = {
        "nn_median_sample_to_train": medians[0],
        "nn_median_reference_to_train": medians[1],
        "nn_ratio": medians[0] / medians[1] if medians[1] > 0 else float("inf"),
    }
    return summary, to_train[:, 0], held_out[:, 0]


def save_panel(
    path: str | Path,
    samples: np.ndarray,
    train_images: np.ndarray,
    neighbour_indices: np.ndarray,
) -> Path:
    """One row per sample: the sample (uint8 NHWC), then its nearest training images in order."""
    rows = [
        np.concatenate([samples[i : i + 1], train_images[neighbour_indices[i]]])
        for i in range(len(samples))
    ]
    tiles = uint8_to_signed(np.concatenate(rows)).permute(0, 3, 1, 2).numpy()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    matplotlib.image.imsave(path, image_grid(tiles, ncols=1 + neighbour_indices.shape[1]))
    return path


def save_histogram(path: str | Path, to_train: np.ndarray, held_out: np.ndarray) -> Path:
    """Histograms of nearest-training distances for samples and for held-out images."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(6, 4))
    bins = np.histogram_bin_edges(np.concatenate([to_train, held_out]), bins=40)
    axis.hist(held_out, bins=bins, alpha=0.6, density=True, label="held-out images")
    axis.hist(to_train, bins=bins, alpha=0.6, density=True, label="samples")
    axis.set_xlabel("distance to the nearest training image (feature space)")
    axis.set_ylabel("density")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
