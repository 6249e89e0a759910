"""Audio I/O: round trips, resampling and downmix warnings, errors naming the file, levels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf

from diffmm.audio.io import (
    load_audio,
    loudness_normalize,
    peak_normalize,
    rms_dbfs,
    save_audio,
)
from diffmm.errors import DiffmmError

LSB = 1.0 / 32767


def sine(freq: float, sr: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_round_trip_is_16_bit_quantisation(tmp_path, suffix):
    wav = sine(440.0, 16000, 0.25)
    path = save_audio(tmp_path / f"x{suffix}", wav, 16000)
    loaded, sr = load_audio(path, sample_rate=16000)
    assert sr == 16000 and loaded.dtype == np.float32 and loaded.shape == wav.shape
    assert np.max(np.abs(loaded - wav)) <= LSB
    assert sf.info(str(path)).subtype == "PCM_16"


def test_other_rate_is_resampled_with_a_warning_naming_the_file(tmp_path):
    path = save_audio(tmp_path / "tone16k.wav", sine(440.0, 16000, 1.0), 16000)
    with pytest.warns(UserWarning, match=r"tone16k\.wav.*16000 Hz -> 22050 Hz"):
        wav, sr = load_audio(path, sample_rate=22050)
    assert sr == 22050 and abs(len(wav) - 22050) <= 1
    spectrum = np.abs(np.fft.rfft(wav * np.hanning(len(wav))))
    assert abs(np.argmax(spectrum) * sr / len(wav) - 440.0) < 2.0  # the tone keeps its pitch


def test_other_rate_is_an_error_when_resampling_is_disabled(tmp_path):
    path = save_audio(tmp_path / "tone16k.wav", sine(440.0, 16000, 0.1), 16000)
    with pytest.raises(DiffmmError, match=r"tone16k\.wav.*16000 Hz, expected 22050"):
        load_audio(path, sample_rate=22050, allow_resample=False)


def test_stereo_is_downmixed_with_a_warning(tmp_path):
    left, right = sine(300.0, 8000, 0.1), sine(500.0, 8000, 0.1, amp=0.25)
    path = tmp_path / "stereo.wav"
    sf.write(str(path), np.stack([left, right], axis=1), 8000, subtype="PCM_16")
    with pytest.warns(UserWarning, match=r"stereo\.wav: 2 channels"):
        mono, _ = load_audio(path)
    assert np.max(np.abs(mono - (left + right) / 2)) <= LSB
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both, _ = load_audio(path, mono=False)
    assert both.shape == (len(left), 2)


def test_empty_corrupt_and_missing_files_are_errors_naming_the_file(tmp_path):
    empty = tmp_path / "empty.wav"
    sf.write(str(empty), np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    with pytest.raises(DiffmmError, match=r"empty\.wav is empty"):
        load_audio(empty)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x01garbage" * 10)
    with pytest.raises(DiffmmError, match=r"cannot read audio file .*corrupt\.wav"):
        load_audio(corrupt)
    with pytest.raises(DiffmmError, match=r"not found: .*missing\.flac"):
        load_audio(tmp_path / "missing.flac")


def test_save_rejects_bad_suffix_and_non_finite_samples(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        save_audio(tmp_path / "x.mp3", np.zeros(10), 16000)
    with pytest.raises(ValueError, match="NaN"):
        save_audio(tmp_path / "x.wav", np.array([0.0, np.nan]), 16000)


def test_peak_normalize():
    wav = np.array([0.1, -0.4, 0.2], dtype=np.float32)
    out = peak_normalize(wav, 0.95)
    assert np.max(np.abs(out)) == pytest.approx(0.95)
    np.testing.assert_allclose(out / out[1], wav / wav[1], rtol=1e-6)  # shape kept
    assert not peak_normalize(np.zeros(4)).any()
    with pytest.raises(ValueError, match="peak"):
        peak_normalize(wav, 1.5)


def test_rms_level_and_loudness_normalize():
    full_scale_sine = sine(1000.0, 48000, 1.0, amp=1.0)
    assert rms_dbfs(full_scale_sine) == pytest.approx(-10 * np.log10(2), abs=1e-3)  # -3.01 dB
    out = loudness_normalize(sine(200.0, 16000, 0.5, amp=0.01), target_dbfs=-20.0)
    assert rms_dbfs(out) == pytest.approx(-20.0, abs=1e-4)
    assert not loudness_normalize(np.zeros(8)).any()
