"""Inverse problems without retraining: sampling p(x | y) for y = A(x) + n from a model of p(x).

Operators (:mod:`.operators`) describe A; :class:`Measurement` holds y and σ_y;
:func:`solve_inverse` runs any engine sampler with one of the methods in ``METHODS``.
"""

from diffmm.diffusion.inverse.dps import DiffusionPosteriorSampling
from diffmm.diffusion.inverse.measurement import Measurement
from diffmm.diffusion.inverse.operators import (
    BlockAverageOperator,
    ChannelMeanOperator,
    FunctionOperator,
    LinearOperator,
    LowPassOperator,
    MaskOperator,
    MatrixOperator,
    MeasurementOperator,
)
from diffmm.diffusion.inverse.pigdm import PseudoInverseGuidance
from diffmm.diffusion.inverse.projection import RangeProjection
from diffmm.diffusion.inverse.solve import METHODS, solve_inverse

__all__ = [
    "METHODS",
    "BlockAverageOperator",
    "ChannelMeanOperator",
    "DiffusionPosteriorSampling",
    "FunctionOperator",
    "LinearOperator",
    "LowPassOperator",
    "MaskOperator",
    "MatrixOperator",
    "Measurement",
    "MeasurementOperator",
    "PseudoInverseGuidance",
    "RangeProjection",
    "solve_inverse",
]
