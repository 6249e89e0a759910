"""Waveform inverse problems as measurements: filling gaps and extending the bandwidth.

A model of fixed-length clips (unconditional DiffWave, ``data_shape`` [1, L]) restores a
longer waveform in consecutive L-sample segments, each one measurement; the last segment is
padded with known silence.

- ``gap-fill``: y = m ⊙ x, the gaps (seconds, "start-end" pairs) unknown;
- ``bandwidth``: a recording at a lower rate, resampled to the model's, keeps only the band
  below its Nyquist: y = P x with P the DFT low-pass at input rate / model rate of Nyquist.
"""

from __future__ import annotations

import numpy as np
import torch

from diffmm.audio.io import resample
from diffmm.diffusion.inverse import LowPassOperator, MaskOperator, Measurement
from diffmm.errors import DiffmmError

AUDIO_TASKS = ("gap-fill", "bandwidth")


def parse_gaps(text: str) -> list[tuple[float, float]]:
    """ "0.5-0.7,1.2-1.25" → [(0.5, 0.7), (1.2, 1.25)] in seconds."""
    gaps = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            start, end = (float(v) for v in part.split("-"))
        except ValueError:
            raise DiffmmError(f"a gap must be START-END in seconds, got {part!r}") from None
        if not 0 <= start < end:
            raise DiffmmError(f"a gap needs 0 ≤ start < end, got {part!r}")
        gaps.append((start, end))
    if not gaps:
        raise DiffmmError("no gaps given (--gaps START-END[,START-END...] in seconds)")
    return gaps


def segments(wave: np.ndarray, length: int, fill: float = 0.0) -> torch.Tensor:
    """(N, 1, length) float32: ``wave`` cut into consecutive segments, the last padded with
    ``fill``."""
    count = max(1, -(-len(wave) // length))
    padded = np.full(count * length, fill, dtype=np.float32)
    padded[: len(wave)] = wave
    return torch.from_numpy(padded).reshape(count, 1, length)


def join_segments(samples: torch.Tensor, num_samples: int) -> np.ndarray:
    """The waveform of ``num_samples`` samples from consecutive (N, 1, L) segments."""
    return samples.reshape(-1).numpy()[:num_samples]


def gap_measurement(
    wave: np.ndarray, sample_rate: int, gaps: list[tuple[float, float]], length: int
) -> Measurement:
    """Mask out ``gaps`` (seconds) of ``wave`` and cut it into model-length segments."""
    known = np.ones(len(wave), dtype=np.float32)
    for start, end in gaps:
        first, last = round(start * sample_rate), round(end * sample_rate)
        if first >= len(wave):
            raise DiffmmError(
                f"gap {start}-{end} s starts after the end ({len(wave) / sample_rate:.2f} s)"
            )
        known[first:last] = 0
    operator = MaskOperator(segments(known, length, fill=1.0))
    return Measurement(operator, operator(segments(wave, length)))


def bandwidth_measurement(
    wave: np.ndarray, input_rate: int, model_rate: int, length: int
) -> tuple[Measurement, int]:
    """The low-band measurement of a ``input_rate`` recording for a ``model_rate`` model, and
    the length of the resampled waveform."""
    if input_rate >= model_rate:
        raise DiffmmError(
            f"bandwidth extension needs input below the model's rate: {input_rate} ≥ {model_rate} Hz"
        )
    upsampled = resample(wave.astype(np.float32), input_rate, model_rate)
    operator = LowPassOperator(input_rate / model_rate)
    return Measurement(operator, operator(segments(upsampled, length))), len(upsampled)
