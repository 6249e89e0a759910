"""The pluggable feature network behind FID, IS and precision/recall.

Which network embeds the images changes every number, so an extractor carries a ``name`` that
is written beside every result and into every statistics cache; FID's Inception network and
the project's own offline classifier are both just extractors.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import torch
from torch import Tensor

from diffmm.errors import DiffmmError


@runtime_checkable
class FeatureExtractor(Protocol):
    """``name`` and ``dim`` describe it; calling it maps uint8 (B, C, H, W) to (B, dim) features.

    It receives CPU uint8 pixels, as the FID tools do, and does its own resizing, scaling and
    device placement, so that preprocessing is part of what its name stands for.
    """

    name: str
    dim: int

    def __call__(self, images: Tensor) -> Tensor: ...


def extract_features(
    extractor: FeatureExtractor, images: np.ndarray, *, batch_size: int = 250
) -> np.ndarray:
    """(N, dim) float64 features of uint8 NHWC images (the layout of sample ``.npz`` files)."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise DiffmmError(
            f"images must be uint8 (N, H, W, C) with 1 or 3 channels, as sample files store "
            f"them; got {images.dtype} {images.shape}"
        )
    features = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(images[start : start + batch_size]).permute(0, 3, 1, 2)
            out = extractor(batch.contiguous())
            if tuple(out.shape) != (len(batch), extractor.dim):
                raise DiffmmError(
                    f"extractor {extractor.name!r} returned {tuple(out.shape)} for {len(batch)} "
                    f"images, expected ({len(batch)}, {extractor.dim})"
                )
            features.append(out.double().cpu().numpy())
    return np.concatenate(features)
