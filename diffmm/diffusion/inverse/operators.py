"""Measurement operators A of an inverse problem y = A(x) + n, n ~ N(0, σ_y² I).

A acts on a batch of samples in *data* coordinates and returns one measurement per example.
Three kinds, one interface:

- any differentiable function (``FunctionOperator``): all that DPS needs;
- a linear operator (``LinearOperator``): A and its adjoint Aᵀ, which ΠGDM needs, plus the
  solve (w A Aᵀ + s I)⁻¹ v of its Gram matrix;
- a linear operator with a pseudo-inverse A† (``has_pinv``): the range-null-space projection
  x ↦ x + A†(y − A x) of replacement, RePaint and DDNM.

The concrete linear operators here have A Aᵀ = c I or are orthogonal projections, so A† and
the Gram solve are closed forms; ``MatrixOperator`` holds any dense matrix (tests, small D).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional as F


class MeasurementOperator:
    """y = A(x). Subclasses implement ``forward``; ``check`` rejects samples it cannot take."""

    linear = False
    has_pinv = False

    def __call__(self, x: Tensor) -> Tensor:
        return self.forward(x)

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def check(self, x: Tensor) -> None:
        """Raise ValueError if this operator cannot act on samples shaped like ``x``."""

    def select(self, rows: slice) -> MeasurementOperator:
        """The operator for examples ``rows`` of the batch (the same one unless per-example)."""
        return self


class FunctionOperator(MeasurementOperator):
    """A(x) = fn(x) for any function differentiable by autograd (non-linear measurements)."""

    def __init__(self, fn: Callable[[Tensor], Tensor]) -> None:
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)


class LinearOperator(MeasurementOperator):
    """A linear A with its adjoint Aᵀ and, where ``has_pinv``, its pseudo-inverse A†."""

    linear = True

    def adjoint(self, y: Tensor) -> Tensor:
        raise NotImplementedError

    def pinv(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no pseudo-inverse")

    def gram_solve(self, v: Tensor, weight: float, shift: float) -> Tensor:
        """u with (w A Aᵀ + s I) u = v, for v in the range of A when s = 0."""
        raise NotImplementedError(f"{type(self).__name__} has no Gram solve")

    def project(self, x: Tensor, y: Tensor) -> Tensor:
        """x + A†(y − A x): x with its range component replaced by the one y dictates."""
        return x + self.pinv(y - self.forward(x))


class ScaledGramOperator(LinearOperator):
    """A Aᵀ = c I (block averaging, channel mean): A† = Aᵀ / c and the Gram solve is a division."""

    has_pinv = True
    gram_scale = 1.0

    def pinv(self, y: Tensor) -> Tensor:
        return self.adjoint(y) / self.gram_scale

    def gram_solve(self, v: Tensor, weight: float, shift: float) -> Tensor:
        return v / (weight * self.gram_scale + shift)


class ProjectionOperator(LinearOperator):
    """An orthogonal projection P (A = Aᵀ = A† = P): masks, band limits. y lives in x's space."""

    has_pinv = True

    def adjoint(self, y: Tensor) -> Tensor:
        return self.forward(y)

    def pinv(self, y: Tensor) -> Tensor:
        return self.forward(y)

    def gram_solve(self, v: Tensor, weight: float, shift: float) -> Tensor:
        # (wP + sI)⁻¹ = P/(w + s) + (I − P)/s; with s = 0, v in range(P) and the inverse is P/w
        in_range = self.forward(v)
        if shift == 0:
            return in_range / weight
        return in_range / (weight + shift) + (v - in_range) / shift


class MaskOperator(ProjectionOperator):
    """y = m ⊙ x with m ∈ {0, 1}: the observed entries (inpainting, imputation, gap filling).

    ``mask`` broadcasts to the sample's shape, e.g. (1, 1, H, W) for a batch of images.
    """

    def __init__(self, mask: Tensor) -> None:
        mask = torch.as_tensor(mask)
        values = mask.to(torch.float64)
        if not bool(((values == 0) | (values == 1)).all()):
            raise ValueError("a mask must hold only 0 (unknown) and 1 (observed)")
        self.mask = mask.to(torch.bool)

    def check(self, x: Tensor) -> None:
        shape = tuple(self.mask.shape)
        try:
            broadcast = torch.broadcast_shapes(self.mask.shape, x.shape)
        except RuntimeError:
            broadcast = None
        if broadcast != x.shape or self.mask.ndim > x.ndim:
            raise ValueError(
                f"mask of shape {shape} does not match samples of shape {tuple(x.shape)}"
            )

    def forward(self, x: Tensor) -> Tensor:
        return x * self.mask.to(device=x.device, dtype=x.dtype)

    def select(self, rows: slice) -> MaskOperator:
        return self if self.mask.shape[0] == 1 else MaskOperator(self.mask[rows])


class LowPassOperator(ProjectionOperator):
    """Keep the DFT bins below ``cutoff`` (a fraction of Nyquist) along the last axis.

    Bandwidth extension: a signal recorded at a lower rate, resampled to the model's, is
    P x for the true x; the model fills the band above the cut-off.
    """

    def __init__(self, cutoff: float) -> None:
        if not 0 < cutoff < 1:
            raise ValueError(f"cut-off must be a fraction of Nyquist in (0, 1), got {cutoff}")
        self.cutoff = float(cutoff)

    def forward(self, x: Tensor) -> Tensor:
        n = x.shape[-1]
        spectrum = torch.fft.rfft(x, dim=-1)
        kept = math.floor(self.cutoff * (spectrum.shape[-1] - 1)) + 1
        spectrum[..., kept:] = 0
        return torch.fft.irfft(spectrum, n=n, dim=-1)


class BlockAverageOperator(ScaledGramOperator):
    """Average non-overlapping ``factor`` blocks over the last ``dims`` axes (×factor
    super-resolution). Aᵀ spreads each value over its block / factor^dims, so A Aᵀ = I/factor^dims
    and A† is nearest-neighbour upsampling."""

    def __init__(self, factor: int, dims: int = 2) -> None:
        if factor < 1 or dims not in (1, 2):
            raise ValueError(
                f"block averaging needs factor ≥ 1 and dims 1 or 2, got {factor}, {dims}"
            )
        self.factor, self.dims = int(factor), dims
        self.gram_scale = 1.0 / self.factor**dims

    def check(self, x: Tensor) -> None:
        size = tuple(x.shape[-self.dims :])
        if any(n % self.factor for n in size):
            raise ValueError(f"sample size {size} is not a multiple of the factor {self.factor}")

    def forward(self, x: Tensor) -> Tensor:
        pool = F.avg_pool2d if self.dims == 2 else F.avg_pool1d
        return pool(x, self.factor)

    def adjoint(self, y: Tensor) -> Tensor:
        up = y
        for axis in range(-self.dims, 0):
            up = up.repeat_interleave(self.factor, dim=axis)
        return up * self.gram_scale


class ChannelMeanOperator(ScaledGramOperator):
    """y = Σ_c w_c x_c over channels (dim 1), kept as one channel: a grey image from a colour
    one. Equal weights by default; (0.299, 0.587, 0.114) is ITU-R 601 luma, PIL's "L"."""

    def __init__(self, channels: int, weights: tuple[float, ...] | None = None) -> None:
        self.channels = int(channels)
        self.weights = torch.as_tensor(
            weights if weights is not None else [1.0 / channels] * channels, dtype=torch.float64
        )
        if self.weights.shape != (self.channels,):
            raise ValueError(f"{self.channels} channels need {self.channels} weights")
        self.gram_scale = float((self.weights**2).sum())

    def check(self, x: Tensor) -> None:
        if x.ndim < 2 or x.shape[1] != self.channels:
            raise ValueError(
                f"samples of shape {tuple(x.shape)} do not have {self.channels} channels"
            )

    def _weights(self, like: Tensor) -> Tensor:
        return self.weights.to(like).reshape(1, -1, *([1] * (like.ndim - 2)))

    def forward(self, x: Tensor) -> Tensor:
        return (x * self._weights(x)).sum(dim=1, keepdim=True)

    def adjoint(self, y: Tensor) -> Tensor:
        return y * self._weights(y)


class MatrixOperator(LinearOperator):
    """y = H x on each flattened example, for a dense (M, D) matrix H."""

    has_pinv = True

    def __init__(self, matrix: Tensor) -> None:
        self.matrix = torch.as_tensor(matrix, dtype=torch.float64)
        self.matrix_pinv = torch.linalg.pinv(self.matrix)

    def check(self, x: Tensor) -> None:
        if x[0].numel() != self.matrix.shape[1]:
            raise ValueError(
                f"a ({self.matrix.shape[0]}, {self.matrix.shape[1]}) matrix cannot measure "
                f"samples of shape {tuple(x.shape)}"
            )

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(1) @ self.matrix.to(x).T

    def adjoint(self, y: Tensor) -> Tensor:
        return y @ self.matrix.to(y)

    def pinv(self, y: Tensor) -> Tensor:
        return y @ self.matrix_pinv.to(y).T

    def project(self, x: Tensor, y: Tensor) -> Tensor:
        flat = x.flatten(1)
        return (flat + self.pinv(y - self.forward(x))).reshape(x.shape)

    def gram_solve(self, v: Tensor, weight: float, shift: float) -> Tensor:
        h = self.matrix.to(torch.float64)
        gram = weight * h @ h.T + shift * torch.eye(h.shape[0], dtype=torch.float64)
        return torch.linalg.solve(gram, v.to(torch.float64).T).T.to(v)
