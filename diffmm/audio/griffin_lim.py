"""Waveform from a log-mel without a neural vocoder: the mel inverted to a magnitude
spectrogram through the filterbank's pseudo-inverse (clipped at 0), then Griffin–Lim phase
reconstruction (Griffin & Lim 1984) with torch's STFT.

A poor vocoder, but one that always works: ``diffmm tts`` falls back to it without
``--vocoder``, so a text always becomes audio. (librosa's ``griffinlim`` computes the same
but compiles with numba on first use: seconds that every short call would pay.)
"""

from __future__ import annotations

import math

import numpy as np
import torch

from diffmm.audio.mel import MelPreset, decompress, mel_filterbank
from diffmm.errors import DiffmmError

GRIFFIN_LIM_ITERATIONS = 32  # librosa's default


def griffin_lim(
    log_mel: np.ndarray, preset: MelPreset, iterations: int = GRIFFIN_LIM_ITERATIONS, seed: int = 0
) -> np.ndarray:
    """(n_mels, frames) log-mel of ``preset`` → float32 waveform of frames × hop samples."""
    log_mel = np.asarray(log_mel, dtype=np.float64)
    if log_mel.ndim != 2 or not np.isfinite(log_mel).all():
        raise DiffmmError("Griffin-Lim needs a finite (n_mels, frames) mel")
    if preset.log == "natural":
        # no frame of audio in [-1, 1] has a bin above n_fft: larger values only overflow
        log_mel = np.minimum(log_mel, math.log(preset.n_fft))
    mel = np.asarray(decompress(log_mel, preset))
    inverse = np.linalg.pinv(mel_filterbank(preset))
    magnitude = torch.from_numpy(np.maximum(inverse @ mel, 0.0) ** (1 / preset.power)).float()
    frames = magnitude.shape[1]
    window = torch.hann_window(preset.win_length)
    stft = dict(
        n_fft=preset.n_fft, hop_length=preset.hop_length, win_length=preset.win_length,
        window=window, center=True,
    )  # fmt: skip
    length = (frames - 1) * preset.hop_length
    generator = torch.Generator().manual_seed(seed)
    phase = torch.exp(2j * math.pi * torch.rand(magnitude.shape, generator=generator))
    for _ in range(iterations):
        wav = torch.istft(magnitude * phase, length=length, **stft)
        rebuilt = torch.stft(wav, return_complex=True, **stft)
        phase = rebuilt / rebuilt.abs().clamp_min(1e-8)
    wav = torch.istft(magnitude * phase, length=length, **stft).numpy()
    # centred frame k is centred on sample k·hop; the preset's own frame k (reflect padding
    # of ``padding`` samples, no centring) on k·hop + n_fft/2 − padding
    shift = 0 if preset.center else preset.n_fft // 2 - preset.padding
    samples = frames * preset.hop_length
    wav = np.concatenate([np.zeros(shift, dtype=wav.dtype), wav])
    wav = np.pad(wav, (0, max(samples - wav.shape[0], 0)))[:samples]
    return np.clip(wav, -1.0, 1.0).astype(np.float32)
