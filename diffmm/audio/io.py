"""Waveform I/O through soundfile (wav, flac), with resampling and level normalisation.

Waveforms are float32 numpy arrays of shape (T,) in [-1, 1] (mono) with their sample rate.
Every problem the user can fix (missing, empty or corrupt file, wrong sample rate when
resampling is disabled) is a ``DiffmmError`` naming the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from diffmm.errors import DiffmmError

WRITE_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16")}


def resample(wav: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling (librosa with the soxr 'high quality' backend)."""
    if orig_sr == target_sr:
        return wav
    import librosa  # deferred: librosa's import takes ~1 s and most loads need no resampling

    return librosa.resample(wav, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq").astype(
        np.float32
    )


def load_audio(
    path: str | Path,
    *,
    sample_rate: int | None = None,
    mono: bool = True,
    allow_resample: bool = True,
) -> tuple[np.ndarray, int]:
    """Read a wav/flac file as float32 samples and its sample rate.

    ``sample_rate``: the rate the caller needs; a file at another rate is resampled with a
    warning naming it (or rejected when ``allow_resample=False``). ``mono``: multi-channel files
    are averaged over channels with a warning; with ``mono=False`` the result is (T, C).
    """
    path = Path(path)
    if not path.is_file():
        raise DiffmmError(f"audio file not found: {path}")
    try:
        wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as error:
        raise DiffmmError(f"cannot read audio file {path}: {error}") from error
    if wav.shape[0] == 0:
        raise DiffmmError(f"audio file {path} is empty (0 samples)")
    if mono:
        if wav.shape[1] > 1:
            warnings.warn(
                f"{path}: {wav.shape[1]} channels, downmixed to mono (channel mean)", stacklevel=2
            )
        wav = wav.mean(axis=1)
    if sample_rate is not None and sr != sample_rate:
        if not allow_resample:
            raise DiffmmError(
                f"{path}: sample rate {sr} Hz, expected {sample_rate} Hz (resampling disabled)"
            )
        warnings.warn(f"{path}: resampling {sr} Hz -> {sample_rate} Hz", stacklevel=2)
        if wav.ndim == 1:
            wav = resample(wav, sr, sample_rate)
        else:
            wav = np.stack([resample(c, sr, sample_rate) for c in wav.T], axis=1)
        sr = sample_rate
    return np.ascontiguousarray(wav, dtype=np.float32), int(sr)


def save_audio(path: str | Path, wav: np.ndarray, sample_rate: int) -> Path:
    """Write 16-bit PCM wav or flac (chosen by the suffix); values are clipped to [-1, 1]."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_FORMATS:
        raise ValueError(f"cannot write {path}: suffix must be one of {sorted(WRITE_FORMATS)}")
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:
        raise ValueError(f"save_audio expects a mono waveform (T,), got shape {wav.shape}")
    if not np.all(np.isfinite(wav)):
        raise ValueError(f"cannot write {path}: waveform contains NaN or inf")
    path.parent.mkdir(parents=True, exist_ok=True)
    file_format, subtype = WRITE_FORMATS[suffix]
    sf.write(str(path), np.clip(wav, -1.0, 1.0), sample_rate, format=file_format, subtype=subtype)
    return path


def peak_normalize(wav: np.ndarray, peak: float = 0.95) -> np.ndarray:
    """Scale so that max |x| equals ``peak`` (all-zero input is returned unchanged)."""
    if not 0.0 < peak <= 1.0:
        raise ValueError(f"peak must be in (0, 1], got {peak}")
    max_abs = float(np.max(np.abs(wav))) if wav.size else 0.0
    if max_abs == 0.0:
        return wav.astype(np.float32, copy=True)
    return (wav * (peak / max_abs)).astype(np.float32)


def rms_dbfs(wav: np.ndarray) -> float:
    """Level in dB relative to full scale: 20·log10(RMS), RMS of a full-scale sine is -3.01 dB."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    return -np.inf if rms == 0.0 else 20.0 * np.log10(rms)


def loudness_normalize(wav: np.ndarray, target_dbfs: float = -23.0) -> np.ndarray:
    """Scale to a target RMS level in dBFS.

    A plain RMS level, not ITU-R BS.1770 loudness (no K-weighting, no gating): enough to bring
    clips to comparable levels. The result is not clipped; follow with ``peak_normalize`` when
    the target is loud enough for peaks to pass 1.
    """
    level = rms_dbfs(wav)
    if not np.isfinite(level):
        return wav.astype(np.float32, copy=True)
    return (wav * 10.0 ** ((target_dbfs - level) / 20.0)).astype(np.float32)
