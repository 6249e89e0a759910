"""Feature dumps and stage-3 statistics on real clips; PriorGrad's frame energy by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from diffmm.audio.datadir import DataDir, load_utterance, read_kaldi_map
from diffmm.audio.features import (
    compute_stats,
    dump_features,
    load_stats,
    main,
    read_feats_scp,
    save_stats,
)
from diffmm.audio.mel import MEL_PRESETS, MelSpectrogram, frame_energy, get_mel_preset
from diffmm.errors import DiffmmError, run_entry_point

# 16 kHz preset so that the real 16 kHz clips need no resampling
PRESET = get_mel_preset("hifigan", sample_rate=16000, hop_length=200)


@pytest.fixture
def three_clips(tmp_path, repo_root):
    """Two ARCTIC clips and one line of the LibriVox sonnet (through segments)."""
    speech = repo_root / "tests/data/speech"
    return DataDir(
        wav_scp={
            "a07": str(speech / "arctic_a0007.wav"),
            "a09": str(speech / "arctic_a0009.wav"),
            "sonnet": str(speech / "sonnet001.flac"),
        },
        segments={
            "a07": ("a07", 0.0, 4.0),
            "a09": ("a09", 0.0, 3.09),
            "s02": ("sonnet", 2.68, 5.88),
        },
        utt2spk={"a07": "slt", "a09": "slt", "s02": "librivox"},
    ).write(tmp_path / "data")


def test_frame_energy_by_hand_natural_log():
    # two frames of a 3-bin mel: magnitudes (1, 3, 5) and (0.25, 0.5, 0.25)
    magnitude = np.array([[1.0, 0.25], [3.0, 0.5], [5.0, 0.25]])
    energy = frame_energy(np.log(magnitude), MEL_PRESETS["hifigan"])
    np.testing.assert_allclose(energy, [3.0, 1.0])  # sqrt(9), sqrt(1)
    as_torch = frame_energy(
        torch.log(torch.from_numpy(magnitude)).unsqueeze(0), MEL_PRESETS["hifigan"]
    )
    torch.testing.assert_close(as_torch, torch.tensor([[3.0, 1.0]], dtype=torch.float64))


def test_frame_energy_by_hand_db_unit():
    # db_unit x = (20·log10 m − 20 + 100) / 100: x = 0.8 is m = 1, x = 1.0 is m = 10, 0.6 is 0.1
    x = np.array([[0.8, 0.6], [1.0, 0.6], [0.8, 0.6]])
    np.testing.assert_allclose(
        frame_energy(x, MEL_PRESETS["diffwave_lmnt"]), [math.sqrt(12), math.sqrt(0.3)]
    )


def test_dump_and_stats_on_real_clips(tmp_path, three_clips):
    scp = dump_features(three_clips, tmp_path / "dump", PRESET)
    entries = read_feats_scp(scp)
    assert list(entries) == ["a07", "a09", "s02"]
    frames = read_kaldi_map(tmp_path / "dump/utt2num_frames")
    module = MelSpectrogram(PRESET)
    mels = []
    for utt, path in entries.items():
        mel = np.load(path)
        wav = load_utterance(three_clips, utt, 16000)
        assert mel.dtype == np.float32 and mel.shape == (80, len(wav) // 200) == (
            80,
            int(frames[utt]),
        )
        np.testing.assert_array_equal(mel, module(torch.from_numpy(wav))[0].numpy())
        mels.append(mel.astype(np.float64))
    stats = compute_stats(scp)  # preset read back from dump/mel_preset.json
    every_frame = np.concatenate(mels, axis=1)
    np.testing.assert_allclose(stats["mel_mean"], every_frame.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(stats["mel_std"], every_frame.std(axis=1), rtol=1e-5)
    energy = np.sqrt(np.exp(every_frame).sum(axis=0))
    assert stats["energy_min"] == pytest.approx(energy.min()) and stats[
        "energy_max"
    ] == pytest.approx(energy.max())
    assert stats["energy_max"] > 10 * stats["energy_min"]  # speech and pauses

    npz, js = save_stats(stats, tmp_path / "dump/stats")
    assert npz.name == "stats.npz" and js.is_file()
    loaded = load_stats(tmp_path / "dump/stats.npz")
    np.testing.assert_array_equal(loaded["mel_std"], stats["mel_std"])
    assert loaded["energy_max"] == stats["energy_max"]


def test_rerun_resumes_and_refuses_another_preset(tmp_path, three_clips):
    scp = dump_features(three_clips, tmp_path / "dump", PRESET)
    first = np.load(read_feats_scp(scp)["a09"])
    assert dump_features(three_clips, tmp_path / "dump", PRESET) == scp
    np.testing.assert_array_equal(np.load(read_feats_scp(scp)["a09"]), first)
    with pytest.raises(DiffmmError, match=r"dump .* hop_length: 200 \(expected 256\)"):
        dump_features(three_clips, tmp_path / "dump", get_mel_preset("hifigan", sample_rate=16000))


def test_parallel_dump_equals_serial(tmp_path, three_clips):
    serial = read_feats_scp(dump_features(three_clips, tmp_path / "one", PRESET, nj=1))
    parallel = read_feats_scp(dump_features(three_clips, tmp_path / "two", PRESET, nj=2))
    for utt in serial:
        np.testing.assert_array_equal(np.load(serial[utt]), np.load(parallel[utt]))


def test_cli_dump_and_stats(tmp_path, three_clips, capsys):
    argv = ["dump", "--data-dir", str(three_clips), "--out-dir", str(tmp_path / "dump"),
            "--mel", "sample_rate=16000", "--mel", "hop_length=200"]  # fmt: skip
    assert main(argv) == 0
    assert (
        main(
            [
                "stats",
                "--feats-scp",
                str(tmp_path / "dump/feats.scp"),
                "--out",
                str(tmp_path / "st"),
            ]
        )
        == 0
    )
    assert load_stats(tmp_path / "st")["mel_mean"].shape == (80,)
    bad_mel = [
        "dump",
        "--data-dir",
        str(three_clips),
        "--out-dir",
        str(tmp_path / "x"),
        "--mel",
        "hop",
    ]
    assert run_entry_point("features", lambda: main(bad_mel)) == 2
    assert "--mel expects key=value" in capsys.readouterr().err
    no_scp = ["stats", "--feats-scp", str(tmp_path / "nothing.scp"), "--out", str(tmp_path / "st")]
    assert run_entry_point("features", lambda: main(no_scp)) == 2
    assert "mel_preset.json not found" in capsys.readouterr().err
