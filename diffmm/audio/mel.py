"""Log-mel spectrograms in pure torch, with named presets that bundles store and check.

Presets
-------
``hifigan`` (the default; HiFi-GAN's meldataset, shared by Grad-TTS and PriorGrad):
    22050 Hz, n_fft 1024, window 1024 (periodic Hann), hop 256, 80 mels over 0–8000 Hz on the
    Slaney mel scale with Slaney (area) normalisation, magnitude spectrum, natural log of
    max(mel, 1e-5). center=False with reflect padding of (n_fft − hop)//2 on each side, so an
    input of T samples gives T // hop frames whenever n_fft − hop is even.
``diffwave_lmnt`` (lmnt-com/diffwave's preprocess.py, torchaudio MelSpectrogram defaults):
    22050 Hz, n_fft 1024, window 4·hop = 1024, hop 256, 80 mels over 20 Hz–sr/2 on the HTK mel
    scale without normalisation, STFT divided by sqrt(Σ window²) (torchaudio normalized=True),
    center=True (reflect padding n_fft//2, 1 + T // hop frames), magnitude mel m, then
    x = 20·log10(max(m, 1e-5)) − 20 and clamp((x + 100) / 100, 0, 1).

Any sample rate / hop is a preset with overrides: ``get_mel_preset("hifigan", hop_length=200)``.
HiFi-GAN adds 1e-9 under the magnitude's square root; we do not, so the module equals
librosa's STFT magnitude exactly (the difference is below the 1e-5 clamp except in digital
silence).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from diffmm.errors import DiffmmError

LOG_SCALES = ("natural", "db_unit")
MEL_SCALES = ("slaney", "htk")
# db_unit constants of DiffWave LMNT: 20·log10(m) − REF_DB, then (x − MIN_DB) / −MIN_DB in [0, 1]
DB_UNIT_REF_DB = 20.0
DB_UNIT_MIN_DB = -100.0


@dataclass(frozen=True)
class MelPreset:
    """Everything that defines a log-mel feature; two mels are comparable iff presets are equal."""

    name: str
    sample_rate: int
    n_fft: int
    win_length: int
    hop_length: int
    n_mels: int
    fmin: float
    fmax: float | None  # None: the Nyquist frequency sample_rate / 2
    log: str
    clamp_min: float = 1e-5
    center: bool = False
    power: float = 1.0
    mel_scale: str = "slaney"
    mel_norm: str | None = "slaney"
    normalized: bool = False  # divide the STFT by sqrt(Σ window²) (torchaudio normalized=True)

    def __post_init__(self) -> None:
        for key in ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels"):
            if int(getattr(self, key)) <= 0:
                raise ValueError(f"mel preset '{self.name}': {key} must be positive")
        if self.win_length > self.n_fft:
            raise ValueError(
                f"mel preset '{self.name}': win_length {self.win_length} > n_fft {self.n_fft}"
            )
        if self.hop_length > self.n_fft:
            raise ValueError(f"mel preset '{self.name}': hop_length {self.hop_length} > n_fft")
        if not 0.0 <= self.fmin < self.max_frequency <= self.sample_rate / 2:
            raise ValueError(
                f"mel preset '{self.name}': need 0 <= fmin < fmax <= sample_rate/2, got "
                f"fmin={self.fmin}, fmax={self.max_frequency}, sample_rate={self.sample_rate}"
            )
        if self.log not in LOG_SCALES:
            raise ValueError(f"mel preset '{self.name}': log must be one of {LOG_SCALES}")
        if self.mel_scale not in MEL_SCALES:
            raise ValueError(f"mel preset '{self.name}': mel_scale must be one of {MEL_SCALES}")
        if self.mel_norm not in (None, "slaney"):
            raise ValueError(f"mel preset '{self.name}': mel_norm must be 'slaney' or None")
        if self.clamp_min <= 0 or self.power <= 0:
            raise ValueError(f"mel preset '{self.name}': clamp_min and power must be positive")

    @property
    def max_frequency(self) -> float:
        return self.sample_rate / 2 if self.fmax is None else float(self.fmax)

    @property
    def padding(self) -> int:
        """Reflect padding added on each side before framing."""
        return self.n_fft // 2 if self.center else (self.n_fft - self.hop_length) // 2

    def num_frames(self, num_samples: int) -> int:
        """Frames produced for ``num_samples`` input samples."""
        return 1 + (num_samples + 2 * self.padding - self.n_fft) // self.hop_length

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MelPreset:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown mel preset keys {unknown}; known: {sorted(known)}")
        return cls(**data)


MEL_PRESETS: dict[str, MelPreset] = {
    "hifigan": MelPreset(
        name="hifigan",
        sample_rate=22050,
        n_fft=1024,
        win_length=1024,
        hop_length=256,
        n_mels=80,
        fmin=0.0,
        fmax=8000.0,
        log="natural",
    ),
    "diffwave_lmnt": MelPreset(
        name="diffwave_lmnt",
        sample_rate=22050,
        n_fft=1024,
        win_length=1024,
        hop_length=256,
        n_mels=80,
        fmin=20.0,
        fmax=None,
        log="db_unit",
        center=True,
        mel_scale="htk",
        mel_norm=None,
        normalized=True,
    ),
}


def get_mel_preset(name: str, **overrides: Any) -> MelPreset:
    """A named preset, with any field overridden (``sample_rate=16000, hop_length=200``)."""
    if name not in MEL_PRESETS:
        raise ValueError(f"unknown mel preset '{name}'; available: {sorted(MEL_PRESETS)}")
    unknown = sorted(set(overrides) - {f.name for f in fields(MelPreset)})
    if unknown:
        raise ValueError(f"unknown mel preset fields {unknown}")
    return replace(MEL_PRESETS[name], **overrides)


def check_same_preset(expected: MelPreset, got: MelPreset, what: str = "mel") -> None:
    """Raise DiffmmError listing the fields where ``got`` differs from ``expected``."""
    diffs = [
        f"{f.name}: {getattr(got, f.name)!r} (expected {getattr(expected, f.name)!r})"
        for f in fields(MelPreset)
        if f.name != "name" and getattr(got, f.name) != getattr(expected, f.name)
    ]
    if diffs:
        raise DiffmmError(
            f"{what} was made with another mel preset ('{got.name}' vs '{expected.name}'): "
            + "; ".join(diffs)
        )


def mel_filterbank(preset: MelPreset) -> np.ndarray:
    """(n_mels, n_fft//2 + 1) triangular filters from librosa.filters.mel."""
    import librosa  # only at construction: the module itself is pure torch

    return librosa.filters.mel(
        sr=preset.sample_rate,
        n_fft=preset.n_fft,
        n_mels=preset.n_mels,
        fmin=preset.fmin,
        fmax=preset.max_frequency,
        htk=preset.mel_scale == "htk",
        norm=preset.mel_norm,
        dtype=np.float64,
    )


def compress(mel: Tensor, preset: MelPreset) -> Tensor:
    """Magnitude (or power) mel -> the preset's log scale."""
    mel = mel.clamp(min=preset.clamp_min)
    if preset.log == "natural":
        return mel.log()
    db = 20.0 * mel.log10() - DB_UNIT_REF_DB
    return ((db - DB_UNIT_MIN_DB) / -DB_UNIT_MIN_DB).clamp(0.0, 1.0)


def log_mel_range(preset: MelPreset) -> tuple[float, float]:
    """The lowest and highest log-mel value any waveform in [−1, 1] can give under ``preset``.

    The lowest is the clamp floor. For the highest, each STFT bin X_k of a frame is at most
    Σ_n w_n, and by Parseval the one-sided bins hold Σ_k |X_k|² ≤ N Σ_n w_n²; so band m
    (filter row W_m) is at most Σ_k W_mk (Σ_n w_n)^p and, for p = 1, ‖W_m‖₂ (N Σ_n w_n²)^½
    (Cauchy–Schwarz), for p = 2, max_k W_mk N Σ_n w_n². A value outside the range comes from no
    audio at all.
    """
    window = torch.hann_window(preset.win_length, periodic=True, dtype=torch.float64)
    scale = 1.0 / math.sqrt(float(window.pow(2).sum())) if preset.normalized else 1.0
    amplitude = float(window.sum()) * scale
    energy = preset.n_fft * float(window.pow(2).sum()) * scale**2
    filters = mel_filterbank(preset)
    top = float(filters.sum(axis=1).max()) * amplitude**preset.power
    if preset.power == 1.0:
        top = min(top, float(np.sqrt((filters**2).sum(axis=1)).max()) * math.sqrt(energy))
    elif preset.power == 2.0:
        top = min(top, float(filters.max()) * energy)
    low, high = compress(torch.tensor([preset.clamp_min, top], dtype=torch.float64), preset)
    return float(low), float(high)


def decompress(log_mel: Tensor | np.ndarray, preset: MelPreset) -> Tensor | np.ndarray:
    """Inverse of ``compress`` (up to its clamps): the linear mel magnitude (or power)."""
    if preset.log == "natural":
        return np.exp(log_mel) if isinstance(log_mel, np.ndarray) else log_mel.exp()
    db = log_mel * -DB_UNIT_MIN_DB + DB_UNIT_MIN_DB + DB_UNIT_REF_DB
    return 10.0 ** (db / 20.0)


def frame_energy(log_mel: Tensor | np.ndarray, preset: MelPreset) -> Tensor | np.ndarray:
    """PriorGrad's per-frame energy e_t = sqrt(Σ_k m_{k,t}) of a log-mel (..., n_mels, frames).

    m = ``decompress(log_mel)`` is the linear mel magnitude: exp(log_mel) for natural-log presets
    (PriorGrad's sqrt(Σ exp(logmel))), 10^((100·x − 80)/20) for db_unit presets. Returns (..., frames).
    """
    magnitude = decompress(log_mel, preset)
    if isinstance(magnitude, np.ndarray):
        return np.sqrt(magnitude.sum(axis=-2))
    return magnitude.sum(dim=-2).sqrt()


class MelSpectrogram(nn.Module):
    """wav (T,) or (B, T) -> log-mel (B, n_mels, frames), float32, on the input's device.

    The filterbank and window are buffers built once; ``forward`` is torch.stft + matmul, so it
    runs batched on any device and is differentiable.
    """

    def __init__(self, preset: MelPreset | str = "hifigan") -> None:
        super().__init__()
        self.preset = get_mel_preset(preset) if isinstance(preset, str) else preset
        p = self.preset
        self.register_buffer(
            "mel_basis", torch.from_numpy(mel_filterbank(p)).float(), persistent=False
        )
        window = torch.hann_window(p.win_length, periodic=True, dtype=torch.float64)
        self.register_buffer("window", window.float(), persistent=False)
        self.stft_scale = 1.0 / math.sqrt(float(window.pow(2).sum())) if p.normalized else 1.0

    def num_frames(self, num_samples: int) -> int:
        return self.preset.num_frames(num_samples)

    def magnitude(self, wav: Tensor) -> Tensor:
        """Linear mel (B, n_mels, frames) before log compression."""
        if wav.dim() == 1:
            wav = wav.unsqueeze(0)
        if wav.dim() != 2:
            raise ValueError(f"expected a waveform (T,) or (B, T), got shape {tuple(wav.shape)}")
        p = self.preset
        if wav.shape[-1] <= p.padding:
            raise ValueError(
                f"waveform of {wav.shape[-1]} samples is too short for reflect padding of "
                f"{p.padding} (preset '{p.name}')"
            )
        wav = wav.float()
        padded = nn.functional.pad(wav.unsqueeze(1), (p.padding, p.padding), mode="reflect")
        spec = torch.stft(
            padded.squeeze(1),
            n_fft=p.n_fft,
            hop_length=p.hop_length,
            win_length=p.win_length,
            window=self.window,
            center=False,
            return_complex=True,
        ).abs()
        if self.stft_scale != 1.0:
            spec = spec * self.stft_scale
        if p.power != 1.0:
            spec = spec.pow(p.power)
        return torch.matmul(self.mel_basis, spec)

    def forward(self, wav: Tensor) -> Tensor:
        return compress(self.magnitude(wav), self.preset)
