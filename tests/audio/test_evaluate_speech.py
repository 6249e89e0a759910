"""``diffmm evaluate speech`` end to end on real ARCTIC clips, and its one-line errors."""

from __future__ import annotations

import json
import math
import sys

import matplotlib.image
import numpy as np
import pytest
import soundfile as sf

from diffmm.cli.main import main
from diffmm.metrics.duration_alignment import read_lab
from diffmm.metrics.mcd import mel_cepstral_distortion
from diffmm.metrics.pitch import f0_metrics
from diffmm.metrics.pitch_alignment import dtw_mcd_and_log_f0_rmse

SR = 16000
HOP = 256  # the hifigan preset's hop, kept when it is re-targeted to 16 kHz
SHIFT_FRAMES = 12
TEXTS = {
    "arctic_a0007": "And you always want to see it in the superlative degree.",
    "arctic_a0009": "He turned sharply, and faced Gregson across the table.",
}


def with_noise(wav: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(wav.size)
    return wav + noise * np.sqrt(np.mean(wav**2) / np.mean(noise**2) / 10 ** (snr_db / 10))


@pytest.fixture(scope="module")
def clips(repo_root) -> dict[str, np.ndarray]:
    speech = repo_root / "tests/data/speech"
    clips = {utt: sf.read(speech / f"{utt}.wav", dtype="float64")[0] for utt in TEXTS}
    clips["arctic_a0007"] = clips["arctic_a0007"][: 3 * SR // 2]  # 1.5 s keeps the test short
    return clips


@pytest.fixture
def pairs(tmp_path, clips, repo_root):
    """References, and generated audio: a0007 at 20 dB SNR, a0009 delayed by 12 frames of
    digital silence (so only its first phone, the leading pause, is longer)."""
    ref, gen, labs = tmp_path / "ref", tmp_path / "gen", tmp_path / "labs"
    for folder in (ref, gen, labs):
        folder.mkdir()
    for utt, wav in clips.items():
        sf.write(ref / f"{utt}.wav", wav, SR, subtype="FLOAT")
    sf.write(gen / "arctic_a0007.wav", with_noise(clips["arctic_a0007"], 20.0), SR, subtype="FLOAT")
    delayed = np.concatenate([np.zeros(SHIFT_FRAMES * HOP), clips["arctic_a0009"]])
    sf.write(gen / "arctic_a0009.wav", delayed, SR, subtype="FLOAT")
    lab = repo_root / "tests/data/speech/arctic_a0009_phone.lab"
    (labs / "arctic_a0009.lab").write_text(lab.read_text())
    (tmp_path / "text").write_text("".join(f"{u} {t}\n" for u, t in TEXTS.items()))
    return ref, gen, labs


def test_mcd_is_zero_for_a_copy_and_grows_with_noise(clips):
    wav = clips["arctic_a0009"][: SR * 3 // 2]
    mcd = [mel_cepstral_distortion(wav, with_noise(wav, snr), SR) for snr in (30.0, 15.0, 0.0)]
    assert mel_cepstral_distortion(wav, wav.copy(), SR) == 0.0
    assert 0.0 < mcd[0] < mcd[1] < mcd[2]


def test_dtw_pitch_error_ignores_a_delay_that_frame_by_frame_scoring_punishes(clips):
    wav = clips["arctic_a0009"]
    delayed = np.concatenate([np.zeros(40 * 80), wav])  # 40 WORLD frames of 5 ms
    mcd, f0_rmse = dtw_mcd_and_log_f0_rmse(wav, delayed, SR)
    # measured: 0.36 dB (the silent lead-in) and 3e-11 cents; frame by frame 225 cents
    assert mcd < 1.0 and f0_rmse < 1e-6
    assert f0_metrics(wav, delayed[: wav.size], SR).log_f0_rmse_cents > 100.0
    assert dtw_mcd_and_log_f0_rmse(wav, wav.copy(), SR) == (0.0, 0.0)


def test_round_trip_writes_scores_table_and_plots(tmp_path, pairs, repo_root):
    ref, gen, labs = pairs
    out = tmp_path / "out"
    argv = ["evaluate", "speech", "--gen-dir", str(gen), "--ref-dir", str(ref), "-o", str(out),
            "--durations", str(labs)]  # fmt: skip
    assert main(argv) == 0
    result = json.loads((out / "scores.json").read_text())
    utts = result["utterances"]
    assert result["num_utterances"] == 2 and set(utts) == set(TEXTS)
    assert result["mel_preset"]["hop_length"] == HOP

    # a0009: every phone but the leading pause keeps its length, which grows by 12 frames
    phones = len(read_lab(labs / "arctic_a0009.lab").labels)
    frame_ms = 1000.0 * HOP / SR
    assert utts["arctic_a0009"]["phone_duration_mae_ms"] == pytest.approx(
        SHIFT_FRAMES * frame_ms / phones, abs=1e-9
    )
    assert utts["arctic_a0009"]["duration_error"] == pytest.approx(
        SHIFT_FRAMES * HOP / len(sf.read(ref / "arctic_a0009.wav")[0]), rel=1e-12
    )
    # a0007 has no segmentation: no phone error, and the mean counts one utterance
    assert utts["arctic_a0007"]["phone_duration_mae_ms"] is None
    assert result["metrics"]["phone_duration_mae_ms"]["count"] == 1
    assert utts["arctic_a0007"]["duration_error"] == 0.0 and utts["arctic_a0007"]["mcd_db"] > 0

    table = (out / "scores.md").read_text().splitlines()
    assert "phone duration error ms ↓" in table[0] and "WER" not in table[0]
    assert [row.split("|")[1].strip() for row in table[2:]] == [*sorted(TEXTS), "**mean**"]
    # one PNG per utterance: the phone alignment figure where phones are known (its width
    # grows with the frames), the reference/generated pair otherwise
    frames = 1 + len(sf.read(gen / "arctic_a0009.wav")[0]) // HOP
    height, width, _ = matplotlib.image.imread(out / utts["arctic_a0009"]["plot"]).shape
    assert (height, width) == (320, round(100 * max(6.0, frames / 40)))
    assert matplotlib.image.imread(out / utts["arctic_a0007"]["plot"]).shape[:2] == (260, 1200)

    # a rerun refuses to replace the scores unless asked (--overwrite)
    assert main(argv) == 2


def test_dnsmos_and_wer_through_the_cli(tmp_path, pairs, clips):
    pytest.importorskip("onnxruntime", reason="DNSMOS needs onnxruntime (pip install onnxruntime)")
    pytest.importorskip("speechmos", reason="DNSMOS needs speechmos (pip install speechmos)")
    pytest.importorskip("pocketsphinx", reason="WER needs pocketsphinx (pip install pocketsphinx)")
    ref, gen, _ = pairs
    # a0009 only, with 1.5 s of silence: DNSMOS repeats a clip until it fills its 9.01 s
    # window, and 4.6 s needs one window where 3.1 s needs three
    for folder in (ref, gen):
        (folder / "arctic_a0007.wav").unlink()
    padded = np.concatenate([clips["arctic_a0009"], np.zeros(3 * SR // 2)])
    sf.write(ref / "arctic_a0009.wav", padded, SR, subtype="FLOAT")
    sf.write(gen / "arctic_a0009.wav", padded, SR, subtype="FLOAT")
    out = tmp_path / "out"
    assert main(["evaluate", "speech", "--gen-dir", str(gen), "--ref-dir", str(ref), "-o",
                 str(out), "--dnsmos", "--wer", "--text", str(tmp_path / "text")]) == 0  # fmt: skip
    result = json.loads((out / "scores.json").read_text())
    entry = result["utterances"]["arctic_a0009"]
    assert entry["transcript"] == "he turned sharply and faced gregson across the table"
    assert entry["wer"] == 0.0 and result["corpus_wer"]["reference_words"] == 9
    assert 2.5 < entry["dnsmos_ovrl"] < 4.0 and math.isfinite(entry["dnsmos_p808"])
    assert "DNSMOS OVRL ↑" in (out / "scores.md").read_text()


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_bad_input_is_a_one_line_error(tmp_path, pairs, capsys, monkeypatch):
    ref, gen, _ = pairs
    base = ["evaluate", "speech", "--ref-dir", str(ref), "-o", str(tmp_path / "o")]
    err = one_line_error(capsys, [*base, "--gen-dir", str(tmp_path / "missing")])
    assert "audio directory not found" in err
    (gen / "arctic_a0009.wav").rename(gen / "other.wav")
    err = one_line_error(capsys, [*base, "--gen-dir", str(gen)])
    assert "no generated file: arctic_a0009" in err and "no reference: other" in err
    (gen / "other.wav").rename(gen / "arctic_a0009.wav")
    err = one_line_error(capsys, [*base, "--gen-dir", str(gen), "--wer"])
    assert "--wer needs --text" in err
    (tmp_path / "short_text").write_text("arctic_a0007 only one of them\n")
    err = one_line_error(capsys, [*base, "--gen-dir", str(gen), "--wer", "--text",
                                  str(tmp_path / "short_text")])  # fmt: skip
    assert "the text has no entry for 1 utterance(s): arctic_a0009" in err
    # without the packages: the pip command, or with --extras-if-installed a warning
    monkeypatch.setitem(sys.modules, "speechmos", None)
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)
    err = one_line_error(capsys, [*base, "--gen-dir", str(gen), "--dnsmos"])
    assert "pip install speechmos onnxruntime" in err
    err = one_line_error(capsys, [*base, "--gen-dir", str(gen), "--wer", "--text",
                                  str(tmp_path / "text")])  # fmt: skip
    assert "pip install pocketsphinx" in err
    assert not (tmp_path / "o").exists()
