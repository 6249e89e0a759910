"""Objective speech metrics of a generated waveform against its reference.

Each metric is a function of (reference, generated, sample_rate) with mono float waveforms;
lengths that differ are trimmed to the shorter with a warning (``prepare_pair``).

- ``log_mel_l1``: mean |log-mel_ref − log-mel_gen| with a mel preset (default ``hifigan``:
  natural log of the magnitude mel clamped at 1e-5), the L1 that HiFi-GAN reports;
  ``log_mel_l1_to_mel`` scores a waveform against the mel it was vocoded from.
- ``mr_stft_distance``: the multi-resolution STFT loss of Parallel WaveGAN (Yamamoto et al.
  2020): spectral convergence ‖|S_ref| − |S_gen|‖_F / ‖|S_ref|‖_F plus the mean absolute
  log-magnitude difference, averaged over (n_fft, hop, win) = (1024, 120, 600),
  (2048, 240, 1200), (512, 50, 240); Hann windows, centred frames, |S| = sqrt(max(|S|², 1e-7)).
- ``pesq_wideband``: ITU-T P.862.2 wide-band PESQ (MOS-LQO, −0.5..4.64) at 16 kHz, through the
  ``pesq`` package; other rates are resampled to 16 kHz (rates below 16 kHz are refused).
- ``stoi_score``: short-time objective intelligibility (Taal et al. 2011) through ``pystoi``.
- MCD and the F0 metrics live in ``diffmm.metrics.mcd`` and ``diffmm.metrics.pitch``;
  ``score_pair`` computes all of them, extracting each waveform's F0 once.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from diffmm.audio.io import resample
from diffmm.audio.mel import MelPreset, MelSpectrogram, get_mel_preset
from diffmm.metrics.mcd import align_cepstra, mcd_from_cepstra, mel_cepstra
from diffmm.metrics.pitch import extract_f0, f0_metrics_from_contours
from diffmm.metrics.waveform_pair import MetricUnavailableError, prepare_pair, require

STFT_RESOLUTIONS: tuple[tuple[int, int, int], ...] = (
    (1024, 120, 600),
    (2048, 240, 1200),
    (512, 50, 240),
)
STFT_MAGNITUDE_FLOOR = 1e-7  # on |S|², as Parallel WaveGAN
PESQ_SAMPLE_RATE = 16000

# name -> True when a higher value is better
METRICS: dict[str, bool] = {
    "log_mel_l1": False,
    "mr_stft": False,
    "mcd_db": False,
    "log_f0_rmse_cents": False,
    "vuv_error": False,
    "pesq_wb": True,
    "stoi": True,
}


def mel_preset_for(preset: MelPreset | str, sample_rate: int) -> MelPreset:
    """A preset object at ``sample_rate``: a name is re-targeted to it, an object must match it."""
    if isinstance(preset, MelPreset):
        if preset.sample_rate != sample_rate:
            raise ValueError(
                f"mel preset '{preset.name}' is for {preset.sample_rate} Hz but the audio is "
                f"{sample_rate} Hz"
            )
        return preset
    fmax = get_mel_preset(preset).fmax
    if fmax is not None and fmax > sample_rate / 2:
        fmax = None  # the band ends at Nyquist
    return get_mel_preset(preset, sample_rate=sample_rate, fmax=fmax)


def log_mel(wav: np.ndarray, preset: MelPreset) -> np.ndarray:
    """(n_mels, frames) log-mel of a waveform with the given preset."""
    with torch.no_grad():
        return MelSpectrogram(preset)(torch.from_numpy(np.asarray(wav, dtype=np.float32)))[
            0
        ].numpy()


def log_mel_l1(
    reference: np.ndarray,
    generated: np.ndarray,
    sample_rate: int,
    preset: MelPreset | str = "hifigan",
) -> float:
    """Mean absolute difference of the two log-mel spectrograms."""
    reference, generated, sample_rate = prepare_pair(reference, generated, sample_rate)
    preset = mel_preset_for(preset, sample_rate)
    return log_mel_l1_to_mel(log_mel(reference, preset), generated, preset)


def log_mel_l1_to_mel(reference_mel: np.ndarray, generated: np.ndarray, preset: MelPreset) -> float:
    """Mean |reference log-mel − log-mel of ``generated``| over the frames both have.

    The reference is a (n_mels, frames) log-mel made with ``preset``: a vocoder's output scored
    against its input, whose centred STFT gives the waveform one frame more.
    """
    generated_mel = log_mel(generated, preset)
    frames = min(reference_mel.shape[-1], generated_mel.shape[-1])
    return float(np.mean(np.abs(reference_mel[:, :frames] - generated_mel[:, :frames])))


def stft_magnitude(wav: torch.Tensor, n_fft: int, hop: int, win: int) -> torch.Tensor:
    """|STFT| (frames, bins) with a periodic Hann window of ``win`` centred in ``n_fft``."""
    if wav.numel() <= n_fft // 2:
        raise ValueError(
            f"waveform of {wav.numel()} samples is too short for an STFT with n_fft={n_fft} "
            "(centred frames need more than n_fft/2 samples)"
        )
    window = torch.hann_window(win, periodic=True, dtype=wav.dtype)
    spec = torch.stft(wav, n_fft, hop, win, window=window, center=True, return_complex=True)
    return spec.abs().square().clamp(min=STFT_MAGNITUDE_FLOOR).sqrt().T


def mr_stft_distance(
    reference: np.ndarray,
    generated: np.ndarray,
    sample_rate: int,
    resolutions: tuple[tuple[int, int, int], ...] = STFT_RESOLUTIONS,
) -> dict[str, float]:
    """Parallel WaveGAN's multi-resolution STFT distance.

    Returns ``spectral_convergence`` and ``log_magnitude`` (each averaged over resolutions) and
    ``total``, their sum.
    """
    reference, generated, _ = prepare_pair(reference, generated, sample_rate)
    if not resolutions:
        raise ValueError("need at least one (n_fft, hop, win) resolution")
    ref, gen = torch.from_numpy(reference), torch.from_numpy(generated)
    convergence, log_magnitude = [], []
    for n_fft, hop, win in resolutions:
        if not (0 < hop and 0 < win <= n_fft):
            raise ValueError(f"bad STFT resolution (n_fft, hop, win) = {(n_fft, hop, win)}")
        mag_ref, mag_gen = (
            stft_magnitude(ref, n_fft, hop, win),
            stft_magnitude(gen, n_fft, hop, win),
        )
        convergence.append(float(torch.linalg.norm(mag_ref - mag_gen) / torch.linalg.norm(mag_ref)))
        log_magnitude.append(float((mag_ref.log() - mag_gen.log()).abs().mean()))
    sc, mag = float(np.mean(convergence)), float(np.mean(log_magnitude))
    return {"spectral_convergence": sc, "log_magnitude": mag, "total": sc + mag}


def pesq_wideband(reference: np.ndarray, generated: np.ndarray, sample_rate: int) -> float:
    """Wide-band PESQ MOS-LQO at 16 kHz (resampled from higher rates)."""
    reference, generated, sample_rate = prepare_pair(reference, generated, sample_rate)
    if sample_rate < PESQ_SAMPLE_RATE:
        raise ValueError(f"wide-band PESQ needs audio at >= 16 kHz, got {sample_rate} Hz")
    pesq = require("pesq", "pesq", "PESQ")
    reference = resample(reference, sample_rate, PESQ_SAMPLE_RATE)
    generated = resample(generated, sample_rate, PESQ_SAMPLE_RATE)
    try:
        return float(pesq.pesq(PESQ_SAMPLE_RATE, reference, generated, "wb"))
    except pesq.PesqError as error:  # e.g. no speech detected in the reference
        raise ValueError(f"PESQ failed: {type(error).__name__}: {error}") from error


def stoi_score(reference: np.ndarray, generated: np.ndarray, sample_rate: int) -> float:
    """STOI (0..1, higher is more intelligible); pystoi resamples to 10 kHz itself."""
    reference, generated, sample_rate = prepare_pair(reference, generated, sample_rate)
    pystoi = require("pystoi", "pystoi", "STOI")
    return float(pystoi.stoi(reference, generated, sample_rate, extended=False))


def score_pair(
    reference: np.ndarray,
    generated: np.ndarray,
    sample_rate: int,
    *,
    mel_preset: MelPreset | str = "hifigan",
    f0_method: str = "dio",
    mcd_align: str = "dtw",
) -> dict[str, float]:
    """Every metric of ``METRICS`` for one pair.

    A metric whose package is missing, or that fails on this pair (PESQ finding no speech), is
    NaN with a warning naming the reason, so that one bad utterance does not stop the scoring.
    """
    reference, generated, sample_rate = prepare_pair(reference, generated, sample_rate)
    scores = dict.fromkeys(METRICS, math.nan)

    def attempt(names: tuple[str, ...], compute) -> None:
        try:
            values = compute()
        except (MetricUnavailableError, ValueError) as error:
            warnings.warn(f"{', '.join(names)} skipped: {error}", stacklevel=3)
            return
        scores.update(zip(names, values if isinstance(values, tuple) else (values,)))

    attempt(("log_mel_l1",), lambda: log_mel_l1(reference, generated, sample_rate, mel_preset))
    attempt(("mr_stft",), lambda: mr_stft_distance(reference, generated, sample_rate)["total"])

    def world_metrics() -> tuple[float, float, float]:
        f0_ref, times = extract_f0(reference, sample_rate, method=f0_method)
        f0_gen, _ = extract_f0(generated, sample_rate, method=f0_method)
        pitch = f0_metrics_from_contours(f0_ref, f0_gen)
        cepstra_ref = mel_cepstra(reference, sample_rate, f0=f0_ref, times=times)
        cepstra_gen = mel_cepstra(generated, sample_rate, f0=f0_gen, times=times)
        mcd = mcd_from_cepstra(*align_cepstra(cepstra_ref, cepstra_gen, mcd_align))
        return mcd, pitch.log_f0_rmse_cents, pitch.vuv_error

    attempt(("mcd_db", "log_f0_rmse_cents", "vuv_error"), world_metrics)
    attempt(("pesq_wb",), lambda: pesq_wideband(reference, generated, sample_rate))
    attempt(("stoi",), lambda: stoi_score(reference, generated, sample_rate))
    return scores
