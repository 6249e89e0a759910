"""A measurement y = A(x) + n, n ~ N(0, σ_y² I): what every inverse-problem method conditions on."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from diffmm.diffusion.inverse.operators import LinearOperator, MeasurementOperator


@dataclass(frozen=True)
class Measurement:
    """The observation ``y`` of samples through ``operator`` with noise of std ``noise_std`` (σ_y)."""

    operator: MeasurementOperator
    y: Tensor
    noise_std: float = 0.0

    def __post_init__(self) -> None:
        if not bool(torch.isfinite(self.y).all()):
            raise ValueError("the measurement y holds NaN or infinite values; mark them unobserved")
        if self.noise_std < 0:
            raise ValueError(f"measurement noise std must be ≥ 0, got {self.noise_std}")

    def check(self, x: Tensor) -> None:
        """Raise ValueError unless the operator takes samples like ``x`` and gives y's shape."""
        self.operator.check(x)
        with torch.no_grad():
            measured = self.operator(x[:1])
        if measured.shape[1:] != self.y.shape[1:] or self.y.shape[0] not in (1, x.shape[0]):
            raise ValueError(
                f"measurement of shape {tuple(self.y.shape)} does not match A(x) of shape "
                f"({x.shape[0]}, {', '.join(map(str, measured.shape[1:]))})"
            )

    def select(self, rows: slice) -> Measurement:
        """The measurement of examples ``rows`` (y and a per-example operator sliced)."""
        y = self.y if self.y.shape[0] == 1 else self.y[rows]
        return Measurement(self.operator.select(rows), y, self.noise_std)

    @property
    def num_examples(self) -> int:
        """Rows of y (1: one measurement shared by every sample)."""
        return self.y.shape[0]

    def residual(self, x: Tensor) -> Tensor:
        """y − A(x)."""
        return self.y.to(x) - self.operator(x)

    def linear_operator(self, method: str) -> LinearOperator:
        """The operator, which ``method`` needs to be linear (and to have A† for projections)."""
        op = self.operator
        if not isinstance(op, LinearOperator):
            raise ValueError(f"{method} needs a linear operator; use dps for {type(op).__name__}")
        if method != "pigdm" and not op.has_pinv:
            raise ValueError(f"{method} needs an operator with a pseudo-inverse A†")
        return op
