"""Checking a (reference, generated) waveform pair before an audio metric compares them.

Every audio metric takes two mono float waveforms at one sample rate. A generated waveform is
often a few samples longer or shorter than its reference (a vocoder emits hop × frames
samples), so both are trimmed to the shorter length, with a warning that says by how much.
"""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

import numpy as np


class MetricUnavailableError(RuntimeError):
    """An optional package a metric needs is not importable; the metric is skipped, not failed."""


def require(module: str, pip_name: str, metric: str) -> ModuleType:
    """Import ``module`` or raise MetricUnavailableError telling how to install it."""
    try:
        with warnings.catch_warnings():
            # pyworld and pysptk import pkg_resources, which warns that it is deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            return importlib.import_module(module)
    except ImportError as error:
        hint = (
            " (it imports pkg_resources: pip install 'setuptools<82')"
            if ("pkg_resources" in str(error))
            else ""
        )
        raise MetricUnavailableError(
            f"{metric} needs the '{pip_name}' package, which cannot be imported: {error}{hint}; "
            f"pip install {pip_name}"
        ) from error


def check_sample_rate(sample_rate: int) -> int:
    """A positive integer sample rate in Hz."""
    if isinstance(sample_rate, bool) or int(sample_rate) != sample_rate or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer in Hz, got {sample_rate!r}")
    return int(sample_rate)


def as_waveform(wav: np.ndarray, name: str) -> np.ndarray:
    """A non-empty, finite, mono float64 waveform (T,)."""
    wav = np.asarray(wav)
    if wav.ndim != 1:
        raise ValueError(f"{name} waveform must be mono with shape (T,), got shape {wav.shape}")
    if wav.size == 0:
        raise ValueError(f"{name} waveform is empty")
    if not np.issubdtype(wav.dtype, np.floating):
        raise ValueError(f"{name} waveform must be floating point in [-1, 1], got {wav.dtype}")
    if not np.all(np.isfinite(wav)):
        raise ValueError(f"{name} waveform contains NaN or inf")
    return wav.astype(np.float64)


def prepare_pair(
    reference: np.ndarray, generated: np.ndarray, sample_rate: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate both waveforms and trim them to the shorter length (warning when lengths differ)."""
    sample_rate = check_sample_rate(sample_rate)
    reference = as_waveform(reference, "reference")
    generated = as_waveform(generated, "generated")
    if reference.size != generated.size:
        length = min(reference.size, generated.size)
        warnings.warn(
            f"reference has {reference.size} samples and generated {generated.size}: both "
            f"trimmed to {length} ({abs(reference.size - generated.size) / sample_rate:.4f} s "
            "dropped from the longer)",
            stacklevel=3,
        )
        reference, generated = reference[:length], generated[:length]
    return reference, generated, sample_rate
