"""The stage-7 scorer end to end on temporary directories of real speech."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest
import soundfile as sf

from diffmm.errors import DiffmmError
from diffmm.metrics.audio import METRICS
from diffmm.metrics.score_speech import main

SR = 16000
CHUNK = int(1.0 * SR)
UTTS = ("utt_a", "utt_b", "utt_c")


@pytest.fixture(scope="module")
def recording(repo_root) -> np.ndarray:
    """Three 1 s chunks of a real ARCTIC clip, as int16 so that files round-trip exactly."""
    wav, sr = sf.read(repo_root / "tests/data/speech/arctic_a0009.wav", dtype="int16")
    assert sr == SR
    return wav[int(0.1 * SR) : int(0.1 * SR) + 3 * CHUNK]


def png_size(png) -> tuple[int, int]:
    height, width, _ = matplotlib.image.imread(png).shape
    return height, width


def write_pairs(tmp_path, recording, snrs_db=(30.0, 20.0, 10.0)):
    ref_dir, gen_dir = tmp_path / "ref", tmp_path / "gen"
    ref_dir.mkdir()
    gen_dir.mkdir()
    rng = np.random.default_rng(0)
    for k, (utt, snr) in enumerate(zip(UTTS, snrs_db)):
        clean = recording[k * CHUNK : (k + 1) * CHUNK].astype(np.float64) / 32768
        noise = rng.standard_normal(clean.size)
        noise *= np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10 ** (snr / 10))
        generated = (clean + noise)[: clean.size - 50 * k]  # utt_b, utt_c shorter
        sf.write(ref_dir / f"{utt}.wav", clean, SR, subtype="PCM_16")
        sf.write(gen_dir / f"{utt}.flac", generated, SR, subtype="PCM_16")
    return ref_dir, gen_dir


def test_scorer_writes_json_table_and_png(tmp_path, recording):
    ref_dir, gen_dir = write_pairs(tmp_path, recording)
    out = tmp_path / "scores"
    with pytest.warns(UserWarning, match="trimmed to"):
        assert (
            main(["--ref-dir", str(ref_dir), "--gen-dir", str(gen_dir), "--out-dir", str(out)]) == 0
        )

    result = json.loads((out / "scores.json").read_text())
    assert result["sample_rate"] == SR and result["num_utterances"] == 3
    assert result["mel_preset"]["name"] == "hifigan" and result["mel_preset"]["sample_rate"] == SR
    assert set(result["utterances"]) == set(UTTS)
    for k, utt in enumerate(UTTS):
        entry = result["utterances"][utt]
        extra = {"log_f0_rmse_dtw_cents", "duration_error", "length_difference_samples", "plot"}
        assert set(entry) == {*METRICS, *extra}
        assert entry["length_difference_samples"] == -50 * k
        reference_length = len(recording[k * CHUNK : (k + 1) * CHUNK])
        assert entry["duration_error"] == pytest.approx(50 * k / reference_length, rel=1e-12)
        assert png_size(out / entry["plot"]) == (260, 1200)  # one pair per utterance
        assert all(math.isfinite(entry[name]) for name in METRICS)
    for name in METRICS:
        per_utt = [result["utterances"][utt][name] for utt in UTTS]
        assert result["mean"][name] == pytest.approx(np.mean(per_utt), rel=1e-12)
        assert result["metrics"][name]["count"] == 3
    # the utterances were made 30, 20, 10 dB SNR: PESQ and MR-STFT must rank them so
    pesq = [result["utterances"][utt]["pesq_wb"] for utt in UTTS]
    mr_stft = [result["utterances"][utt]["mr_stft"] for utt in UTTS]
    assert pesq[0] > pesq[1] > pesq[2] and mr_stft[0] < mr_stft[1] < mr_stft[2]

    table = (out / "scores.md").read_text().splitlines()
    assert table[0].startswith("| utterance | log-mel L1")
    assert [row.split("|")[1].strip() for row in table[2:]] == [*UTTS, "**mean**"]
    assert f"{result['mean']['stoi']:.4g}" in table[-1]

    png = out / "spectrograms.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_size(png) == (3 * 260, 1200)  # one row of two panels per utterance


def test_scp_with_segments_scores_identical_cuts_as_perfect(tmp_path, recording):
    sf.write(tmp_path / "rec1.wav", recording, SR, subtype="PCM_16")
    data = tmp_path / "data"
    data.mkdir()
    (data / "wav.scp").write_text(f"rec1 {tmp_path / 'rec1.wav'}\n")
    (data / "segments").write_text(
        "".join(f"{utt} rec1 {k:.3f} {k + 1:.3f}\n" for k, utt in enumerate(UTTS))
    )
    gen_dir = tmp_path / "gen"
    gen_dir.mkdir()
    for k, utt in enumerate(UTTS):
        sf.write(gen_dir / f"{utt}.wav", recording[k * CHUNK : (k + 1) * CHUNK], SR)
    out = tmp_path / "out"
    main(["--ref-scp", str(data / "wav.scp"), "--gen-dir", str(gen_dir), "--out-dir", str(out),
          "--plot-utterances", "1"])  # fmt: skip
    result = json.loads((out / "scores.json").read_text())
    for utt in UTTS:
        assert result["utterances"][utt]["log_mel_l1"] == 0.0
        assert result["utterances"][utt]["mcd_db"] == 0.0
        assert result["utterances"][utt]["pesq_wb"] >= 4.4
    assert png_size(out / "spectrograms.png") == (260, 1200)


def test_mismatched_ids_name_them(tmp_path, recording):
    ref_dir, gen_dir = write_pairs(tmp_path, recording)
    (gen_dir / "utt_b.flac").rename(gen_dir / "utt_x.flac")
    args = ["--ref-dir", str(ref_dir), "--gen-dir", str(gen_dir), "--out-dir", str(tmp_path / "o")]
    with pytest.raises(DiffmmError, match=r"no generated file: utt_b.*no reference: utt_x"):
        main(args)
    assert not (tmp_path / "o").exists()

    # as a program: one line on stderr, exit code 2
    done = subprocess.run(
        [sys.executable, "-m", "diffmm.metrics.score_speech", *args], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith(
        "diffmm.metrics.score_speech: error: reference and generated"
    )
    assert len(done.stderr.strip().splitlines()) == 1


def test_empty_generated_dir_is_an_error(tmp_path, recording):
    ref_dir, _ = write_pairs(tmp_path, recording)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiffmmError, match=r"no \.wav/\.flac files"):
        main(["--ref-dir", str(ref_dir), "--gen-dir", str(tmp_path / "empty"), "--out-dir",
              str(tmp_path / "o")])  # fmt: skip
