"""Phone durations of generated speech, read off a DTW alignment with its reference recording.

A reference phone segmentation (HTK/HTS ``.lab`` files, or per-phone durations in seconds) gives
each phone's span in the recording. The generated utterance has no segmentation of its own (a
vocoder's output has none; a TTS model's durations are not the recording's), so each reference
boundary is carried across the DTW path between the two log-mel spectrograms (Euclidean frame
distance, the same DTW as MCD's): boundary frame r of the reference maps to the first generated
frame paired with r. The generated phone durations d̂_i are the differences of the mapped
boundaries, and

    duration error = mean_i |d̂_i − d_i|   (ms)

compares the timing of the two utterances phone by phone; ``duration_error`` (relative length
error |T̂ − T| / T of the whole utterance) needs no segmentation.

Formats: a directory of ``<utterance id>.lab`` files, lines ``start end [label]`` in 100 ns
units (HTS full-context labels are reduced to the current phone, the one between ``-`` and
``+``); or a text file of lines ``<utterance id> d_1 d_2 ...`` with durations in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffmm.audio.datadir import read_kaldi_map
from diffmm.errors import DiffmmError
from diffmm.metrics.dtw import dtw_path, euclidean_cost

HTK_TIME_UNIT_S = 1e-7


@dataclass(frozen=True)
class PhoneSegmentation:
    durations_s: np.ndarray  # (phones,) seconds
    labels: tuple[str, ...]  # one per phone ("" when the format has none)


def _phone_of(label: str) -> str:
    """The current phone of an HTS full-context label (``a^b-c+d=e@...`` → ``c``), else itself."""
    if "-" in label and "+" in label:
        return label.split("-", 1)[1].split("+", 1)[0]
    return label


def read_lab(path: str | Path) -> PhoneSegmentation:
    """An HTK/HTS label file: ``start end [label]`` per line, times in 100 ns units."""
    path = Path(path)
    durations, labels = [], []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        try:
            start, end = int(fields[0]), int(fields[1])
        except (ValueError, IndexError):
            raise DiffmmError(f"{path}:{number}: expected 'start end [label]'") from None
        if end < start:
            raise DiffmmError(f"{path}:{number}: segment ends ({end}) before it starts ({start})")
        durations.append((end - start) * HTK_TIME_UNIT_S)
        labels.append(_phone_of(fields[2]) if len(fields) > 2 else "")
    if not durations:
        raise DiffmmError(f"{path}: no segments")
    return PhoneSegmentation(np.asarray(durations), tuple(labels))


def read_reference_durations(path: str | Path) -> dict[str, PhoneSegmentation]:
    """Utterance id → reference phone segmentation, from a .lab directory or a durations file."""
    path = Path(path)
    if path.is_dir():
        segmentations = {lab.stem: read_lab(lab) for lab in sorted(path.glob("*.lab"))}
        if not segmentations:
            raise DiffmmError(f"--durations {path}: no .lab files in the directory")
        return segmentations
    if not path.is_file():
        raise DiffmmError(f"--durations {path} does not exist")
    segmentations = {}
    for utt, values in read_kaldi_map(path).items():
        try:
            durations = np.asarray([float(v) for v in values.split()])
        except ValueError:
            raise DiffmmError(f"{path}: '{utt}': expected '<utt> <seconds> ...'") from None
        if durations.size == 0 or np.any(durations < 0) or not np.all(np.isfinite(durations)):
            raise DiffmmError(f"{path}: '{utt}': durations must be finite seconds >= 0")
        segmentations[utt] = PhoneSegmentation(durations, ("",) * durations.size)
    return segmentations


def boundary_frames(durations_s: np.ndarray, frame_s: float, frames: int) -> np.ndarray:
    """Phone boundaries (phones + 1,) as frame indices of a spectrogram with ``frames`` frames."""
    boundaries = np.rint(np.concatenate([[0.0], np.cumsum(durations_s)]) / frame_s).astype(int)
    if boundaries[-1] > frames + 1:  # one frame of slack for rounding and the centred STFT
        raise DiffmmError(
            f"the phone durations add up to {float(np.sum(durations_s)):.3f} s, longer than "
            f"the reference audio ({frames * frame_s:.3f} s)"
        )
    return np.minimum(boundaries, frames)


def project_durations(
    reference_features: np.ndarray, generated_features: np.ndarray, boundaries: np.ndarray
) -> np.ndarray:
    """Generated phone durations in frames: reference ``boundaries`` carried along the DTW path.

    Features are (frames, dims); a boundary at the reference's last frame + 1 maps to the end
    of the generated utterance.
    """
    rows, cols, _ = dtw_path(euclidean_cost(reference_features, generated_features))
    first_col = np.full(len(reference_features) + 1, len(generated_features))
    # the path visits rows in order, so the first visit of each row is its first column
    visited, first_index = np.unique(rows, return_index=True)
    first_col[visited] = cols[first_index]
    return np.diff(first_col[boundaries])


def phone_duration_error_ms(
    reference_features: np.ndarray,
    generated_features: np.ndarray,
    segmentation: PhoneSegmentation,
    frame_s: float,
) -> tuple[float, np.ndarray]:
    """(mean |d̂_i − d_i| in ms, generated durations in frames) for one utterance.

    The reference durations are rounded to the same frame grid first, so a perfect copy scores
    exactly 0.
    """
    boundaries = boundary_frames(segmentation.durations_s, frame_s, len(reference_features))
    generated = project_durations(reference_features, generated_features, boundaries)
    error_frames = np.abs(generated - np.diff(boundaries))
    return float(np.mean(error_frames) * frame_s * 1000.0), generated
