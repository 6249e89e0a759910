"""Speech metrics: exact values on constructed signals, hand computations, and monotonicity in noise."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from diffmm.audio.io import load_audio
from diffmm.audio.mel import get_mel_preset
from diffmm.metrics.audio import (
    METRICS,
    log_mel_l1,
    mr_stft_distance,
    pesq_wideband,
    score_pair,
    stoi_score,
)
from diffmm.metrics.dtw import dtw_path
from diffmm.metrics.mcd import mcd_from_cepstra, mel_cepstral_distortion
from diffmm.metrics.pitch import (
    extract_f0,
    f0_metrics,
    log_f0_rmse_cents,
    vuv_error_rate,
)

SR = 16000
EDGE_FRAMES = 2  # WORLD's first/last 10 ms see the zero padding
SNRS_DB = (30.0, 10.0, 0.0)


@pytest.fixture(scope="module")
def speech(repo_root) -> np.ndarray:
    wav, sr = load_audio(repo_root / "tests/data/speech/arctic_a0009.wav")
    assert sr == SR
    return wav.astype(np.float64)


def add_noise(wav: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(wav.size)
    noise *= np.sqrt(np.mean(wav**2) / np.mean(noise**2) / 10 ** (snr_db / 10))
    return wav + noise


def tone(frequency: float, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(int(seconds * SR)) / SR)


def test_identical_speech_scores_perfectly(speech):
    scores = score_pair(speech, speech.copy(), SR)
    for name in ("log_mel_l1", "mr_stft", "mcd_db", "log_f0_rmse_cents", "vuv_error"):
        assert scores[name] == 0.0, name
    assert scores["pesq_wb"] >= 4.4  # P.862.2 tops out at 4.64
    assert scores["stoi"] == pytest.approx(1.0, abs=1e-6)


def strictly_worse(values: list[float], higher_is_better: bool) -> bool:
    return all(b < a if higher_is_better else b > a for a, b in itertools.pairwise(values))


def test_every_metric_worsens_strictly_with_more_noise(speech):
    by_snr = [score_pair(speech, add_noise(speech, snr), SR) for snr in SNRS_DB]
    for name, higher_is_better in METRICS.items():
        values = [scores[name] for scores in by_snr]
        assert all(np.isfinite(values)), (name, values)
        if name != "log_f0_rmse_cents":
            assert strictly_worse(values, higher_is_better), (name, values)


def test_log_f0_rmse_worsens_with_noise_in_expectation(speech):
    # The RMSE only counts frames voiced in both contours, and at 0 dB the noisiest frames drop
    # out of that set, so for one noise draw 10 -> 0 dB can go either way (2 of 8 seeds here);
    # averaged over draws the order is strict.
    def mean_rmse(snr: float) -> float:
        draws = [add_noise(speech, snr, seed) for seed in range(8)]
        return float(np.mean([f0_metrics(speech, d, SR).log_f0_rmse_cents for d in draws]))

    rmse = [mean_rmse(snr) for snr in SNRS_DB]
    assert strictly_worse(rmse, higher_is_better=False), rmse


def test_scaling_by_two_gives_log_two(speech):
    # log is scale-covariant: every log-mel / log-magnitude bin moves by exactly ln 2, and
    # ‖2|S| − |S|‖ / ‖|S|‖ = 1, except in bins at the clamp floor; with white noise those are
    # a handful of real-valued DC/Nyquist bins among ~10⁵, hence the 1e-4 tolerance.
    noise = 0.1 * np.random.default_rng(1).standard_normal(SR)
    assert log_mel_l1(noise, 2 * noise, SR) == pytest.approx(math.log(2), abs=1e-5)
    distance = mr_stft_distance(noise, 2 * noise, SR)
    assert distance["spectral_convergence"] == pytest.approx(1.0, abs=1e-12)
    assert distance["log_magnitude"] == pytest.approx(math.log(2), abs=1e-4)
    assert distance["total"] == pytest.approx(1 + math.log(2), abs=1e-4)


def test_mr_stft_matches_a_hand_computed_dft():
    rng = np.random.default_rng(2)
    reference, generated = rng.standard_normal(40), rng.standard_normal(40)
    n_fft, hop, win = 16, 4, 8

    def magnitude(x):
        padded = np.pad(x, n_fft // 2, mode="reflect")
        window = np.zeros(n_fft)
        window[(n_fft - win) // 2 : (n_fft + win) // 2] = 0.5 - 0.5 * np.cos(
            2 * np.pi * np.arange(win) / win
        )
        frames = [padded[s : s + n_fft] * window for s in range(0, padded.size - n_fft + 1, hop)]
        dft = np.exp(-2j * np.pi * np.outer(np.arange(n_fft // 2 + 1), np.arange(n_fft)) / n_fft)
        power = np.abs(np.array([dft @ f for f in frames])) ** 2
        return np.sqrt(np.maximum(power, 1e-7))

    mag_ref, mag_gen = magnitude(reference), magnitude(generated)
    assert mag_ref.shape == (11, 9)
    sc = np.linalg.norm(mag_ref - mag_gen) / np.linalg.norm(mag_ref)
    log_mag = np.mean(np.abs(np.log(mag_ref) - np.log(mag_gen)))
    got = mr_stft_distance(reference, generated, SR, resolutions=((n_fft, hop, win),))
    assert got["spectral_convergence"] == pytest.approx(sc, rel=1e-10)
    assert got["log_magnitude"] == pytest.approx(log_mag, rel=1e-10)


def test_mcd_formula_on_given_cepstra():
    # c_0 differs wildly and must be ignored; frame distances are 1 and 2
    reference = np.array([[5.0, 1.0, 0.0, 0.0], [-3.0, 0.0, 0.0, 0.0]])
    generated = np.array([[0.0, 0.0, 0.0, 0.0], [7.0, 0.0, 2.0, 0.0]])
    expected = (10 / math.log(10)) * (math.sqrt(2 * 1.0) + math.sqrt(2 * 4.0)) / 2
    assert mcd_from_cepstra(reference, generated) == pytest.approx(expected, rel=1e-12)


def test_dtw_is_the_minimum_over_all_monotone_paths():
    cost = np.random.default_rng(3).random((4, 5))

    def best(i, j):
        if i == 0 and j == 0:
            return cost[0, 0]
        previous = [(i - 1, j), (i, j - 1), (i - 1, j - 1)]
        return cost[i, j] + min(best(a, b) for a, b in previous if a >= 0 and b >= 0)

    rows, cols, total = dtw_path(cost)
    assert total == pytest.approx(best(3, 4), rel=1e-12)
    assert cost[rows, cols].sum() == pytest.approx(total, rel=1e-12)
    assert (rows[0], cols[0], rows[-1], cols[-1]) == (0, 0, 3, 4)
    steps = set(zip(np.diff(rows), np.diff(cols)))
    assert steps <= {(1, 0), (0, 1), (1, 1)}


def test_dtw_undoes_a_time_stretch():
    sequence = np.random.default_rng(4).standard_normal((12, 3))
    stretched = np.repeat(sequence, [1, 2, 3] * 4, axis=0)
    cost = np.linalg.norm(sequence[:, None] - stretched[None], axis=-1)
    rows, cols, total = dtw_path(cost)
    assert total == 0.0
    np.testing.assert_array_equal(sequence[rows], stretched[cols])


@pytest.mark.parametrize("frequency", [123.4, 220.0, 440.0])
def test_dio_recovers_the_frequency_of_a_pure_tone(frequency):
    f0, times = extract_f0(tone(frequency), SR)
    assert times[1] - times[0] == pytest.approx(0.005)
    interior = f0[EDGE_FRAMES:-EDGE_FRAMES]
    assert np.all(interior > 0)
    assert np.max(np.abs(interior / frequency - 1)) < 0.01


def test_harvest_recovers_the_frequency_of_a_harmonic_tone():
    harmonic = sum(0.3 / k * tone(k * 150.0) for k in range(1, 8))
    f0, _ = extract_f0(harmonic, SR, method="harvest")
    interior = f0[EDGE_FRAMES:-EDGE_FRAMES]
    assert np.all(interior > 0)
    assert np.max(np.abs(interior / 150.0 - 1)) < 0.01


def test_octave_apart_tones_are_1200_cents_apart():
    metrics = f0_metrics(tone(220.0), tone(440.0), SR)
    assert metrics.log_f0_rmse_cents == pytest.approx(1200.0, abs=12.0)
    assert metrics.vuv_error == 0.0
    same = f0_metrics(tone(220.0), tone(220.0), SR)
    assert same.log_f0_rmse_cents == 0.0


def test_f0_metrics_on_given_contours():
    reference = np.array([100.0, 0.0, 200.0, 100.0, 0.0])
    generated = np.array([200.0, 100.0, 0.0, 100.0, 0.0])
    # voiced in both: frames 0 (one octave, 1200 cents) and 3 (0 cents)
    assert log_f0_rmse_cents(reference, generated) == pytest.approx(math.sqrt(1200.0**2 / 2))
    assert vuv_error_rate(reference, generated) == pytest.approx(2 / 5)
    with pytest.warns(UserWarning, match="no frame is voiced"):
        assert math.isnan(log_f0_rmse_cents(np.zeros(3), np.ones(3)))


def test_length_mismatch_trims_to_the_shorter_with_a_warning(speech):
    padded = np.concatenate([speech, np.full(300, 0.5)])
    with pytest.warns(UserWarning, match="trimmed to"):
        assert log_mel_l1(speech, padded, SR) == 0.0
    with pytest.warns(UserWarning, match="trimmed to"):
        assert mr_stft_distance(padded, speech, SR)["total"] == 0.0


def test_bad_inputs_are_value_errors(speech):
    with pytest.raises(ValueError, match="empty"):
        log_mel_l1(np.zeros(0), speech, SR)
    with pytest.raises(ValueError, match="mono"):
        mr_stft_distance(np.stack([speech, speech]), speech, SR)
    with pytest.raises(ValueError, match="sample_rate"):
        stoi_score(speech, speech, 0)
    with pytest.raises(ValueError, match="NaN"):
        log_mel_l1(speech, np.full_like(speech, np.nan), SR)
    with pytest.raises(ValueError, match="16 kHz"):
        pesq_wideband(speech[::2], speech[::2], 8000)
    with pytest.raises(ValueError, match="22050 Hz"):
        log_mel_l1(speech, speech, SR, preset=get_mel_preset("hifigan"))
    with pytest.raises(ValueError, match="too short"):
        mr_stft_distance(speech[:100], speech[:100], SR)
    with pytest.raises(ValueError, match="alignment"):
        mel_cepstral_distortion(speech, speech, SR, align="linear")
    with pytest.raises(ValueError, match="F0 method"):
        extract_f0(speech, SR, method="yin")


@pytest.mark.filterwarnings("ignore:no frame is voiced")
def test_silent_reference_gets_nan_pesq_and_f0_rmse_not_a_crash(speech):
    with pytest.warns(UserWarning, match="skipped"):
        scores = score_pair(np.zeros_like(speech), speech, SR)
    assert math.isnan(scores["pesq_wb"]) and math.isnan(scores["log_f0_rmse_cents"])
    assert scores["vuv_error"] > 0.0
    assert np.isfinite(scores["log_mel_l1"])
