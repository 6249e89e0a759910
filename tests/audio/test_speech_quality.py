"""DNSMOS and the recogniser's WER on a real ARCTIC recording against degraded versions of it."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import soundfile as sf

from diffmm.metrics.wer import word_error_rate

TEXT = "And you always want to see it in the superlative degree."
UNRELATED = "He turned sharply, and faced Gregson across the table."


@pytest.fixture(scope="module")
def clip(repo_root) -> tuple[np.ndarray, int]:
    wav, rate = sf.read(repo_root / "tests/data/speech/arctic_a0007.wav", dtype="float32")
    return wav, rate


@pytest.fixture(scope="module")
def padded_clip(clip) -> tuple[np.ndarray, int]:
    """The 4.0 s clip with its first 0.6 s appended: DNSMOS repeats a clip until it fills its
    9.01 s window, so 4.6 s gives one window instead of seven (a seventh of the time)."""
    wav, rate = clip
    return np.concatenate([wav, wav[: int(0.6 * rate)]]), rate


def with_noise(wav: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(wav.size).astype(np.float32)
    noise *= np.sqrt(np.mean(wav**2) / np.mean(noise**2) / 10 ** (snr_db / 10))
    return np.clip(wav + noise, -1, 1)


def test_dnsmos_ranks_the_recording_above_noise_and_noisy_speech(padded_clip):
    pytest.importorskip("onnxruntime", reason="DNSMOS needs onnxruntime (pip install onnxruntime)")
    pytest.importorskip("speechmos", reason="DNSMOS needs speechmos (pip install speechmos)")
    from diffmm.metrics.dnsmos import dnsmos_scores

    wav, rate = padded_clip
    clean = dnsmos_scores(wav, rate)
    buried = dnsmos_scores(with_noise(wav, 0.0), rate)
    noise = dnsmos_scores(with_noise(np.zeros_like(wav) + 1e-3, -40.0), rate)
    # measured: OVRL 3.12 (SIG 3.44, BAK 3.94, P.808 3.90) clean, 1.62 buried at 0 dB SNR
    # (BAK 1.33), 1.12 white noise
    assert 2.8 < clean["dnsmos_ovrl"] < 3.5 and clean["dnsmos_bak"] > 3.5
    assert clean["dnsmos_ovrl"] > buried["dnsmos_ovrl"] + 1.0 > noise["dnsmos_ovrl"] + 1.0
    assert clean["dnsmos_bak"] > buried["dnsmos_bak"] + 1.5
    assert clean["dnsmos_p808"] > max(buried["dnsmos_p808"], noise["dnsmos_p808"]) + 1.0
    # the score of a 16 kHz clip does not depend on the rate it is handed over at
    resampled = dnsmos_scores(librosa.resample(wav, orig_sr=rate, target_sr=22050), 22050)
    assert resampled["dnsmos_ovrl"] == pytest.approx(clean["dnsmos_ovrl"], abs=0.1)


def test_recogniser_wer_is_lower_against_the_true_text(clip):
    pytest.importorskip("pocketsphinx", reason="WER needs pocketsphinx (pip install pocketsphinx)")
    from diffmm.metrics.speech_recognition import SpeechRecogniser

    wav, rate = clip
    recogniser = SpeechRecogniser()
    transcript = recogniser.transcribe(wav, rate)
    true_wer = word_error_rate(TEXT, transcript)
    assert true_wer <= 0.1  # measured: the 11 words exactly, WER 0
    assert word_error_rate(UNRELATED, transcript) >= 0.8  # measured: 10 / 9 words wrong
