"""Colour from the grey level alone: the chroma a training set shows, as colourisation baselines.

A colour image x ∈ [−1, 1]^(3×H×W) splits into its luma y = Σ_c w_c x_c (ITU-R 601 weights,
the measurement of ``diffmm.vision.restoration``'s ``colorize``) and its chroma c = x − y·1,
with Σ_c w_c c_c = 0 because Σ_c w_c = 1. An estimate y·1 + ĉ whose ĉ has that property
keeps the grey image exactly, so only the chroma is guessed:

- ĉ = 0: the grey image itself as RGB;
- ``ChromaByLuma.fit(train, num_bins=1)``: the training pixels' mean chroma everywhere;
- ``ChromaByLuma.fit(train, num_bins=B)``: E[c | y] per pixel, the mean chroma of the
  training pixels whose luma falls in the same of B equal bins (the global mean where a bin
  is empty): the best per-pixel guess from the grey level alone, in squared error.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from diffmm.diffusion.inverse import ChannelMeanOperator
from diffmm.vision.restoration import LUMA_WEIGHTS


def luma(images: Tensor) -> Tensor:
    """y = Σ_c w_c x_c of (N, 3, H, W) images, kept as (N, 1, H, W): ``colorize``'s
    measurement."""
    return ChannelMeanOperator(3, LUMA_WEIGHTS).forward(images)


@dataclass(frozen=True)
class ChromaByLuma:
    """``table`` (B, 3): the mean chroma of the training pixels in each of B luma bins of
    [−1, 1]."""

    table: Tensor

    @classmethod
    def fit(cls, images: Tensor, num_bins: int = 32) -> ChromaByLuma:
        """The table from (N, 3, H, W) training images in [−1, 1]."""
        grey = luma(images.double())
        chroma = (images.double() - grey).permute(1, 0, 2, 3).reshape(3, -1)
        bins = _bin(grey.reshape(-1), num_bins)
        sums = torch.zeros(num_bins, 3, dtype=torch.float64).index_add_(0, bins, chroma.T)
        counts = torch.bincount(bins, minlength=num_bins).double()[:, None]
        overall = chroma.mean(1).expand(num_bins, 3)
        return cls(torch.where(counts > 0, sums / counts.clamp_min(1), overall).float())

    def colourize(self, grey: Tensor) -> Tensor:
        """y·1 + ĉ(y) for (N, 1, H, W) grey images in [−1, 1]: (N, 3, H, W), luma exactly y."""
        chroma = self.table.to(grey)[_bin(grey[:, 0], len(self.table))]  # (N, H, W, 3)
        return grey + chroma.permute(0, 3, 1, 2)


def _bin(values: Tensor, num_bins: int) -> Tensor:
    return ((values + 1) / 2 * num_bins).long().clamp(0, num_bins - 1)
