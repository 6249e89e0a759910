"""data_prep scripts: LJSpeech on a fake tree in the real format, wav folders, the mini corpus."""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sys

import numpy as np
import pytest
import soundfile as sf

from diffmm.audio.datadir import read_kaldi_map, validate_data_dir
from diffmm.errors import DiffmmError


def load_script(repo_root, name):
    spec = importlib.util.spec_from_file_location(
        f"data_prep_{name}", repo_root / "data_prep" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# Lines in the format of the real LJSpeech-1.1/metadata.csv (id|raw|normalized, unquoted)
METADATA = [
    "LJ001-0001|Printing, in the only sense with which we are at present concerned, differs from most if not from all the arts and crafts represented in the Exhibition|Printing, in the only sense with which we are at present concerned, differs from most if not from all the arts and crafts represented in the Exhibition",
    'LJ001-0002|in being comparatively modern.|in being comparatively "modern."',
    "LJ002-0001|In 1813 the prison was rebuilt.|In eighteen thirteen the prison was rebuilt.",
    "LJ003-0001|Mr. Neild paid £5|Mister Neild paid five pounds",
    "LJ050-0278|the recommendations we have here suggested would greatly advance the security of the office without any impairment of our fundamental liberties.|the recommendations we have here suggested would greatly advance the security of the office without any impairment of our fundamental liberties.",
]


def fake_ljspeech(root, lines=METADATA):
    (root / "wavs").mkdir(parents=True)
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rng = np.random.default_rng(0)
    for line in lines:
        utt = line.split("|")[0]
        sf.write(
            str(root / "wavs" / f"{utt}.wav"),
            0.1 * rng.standard_normal(5000),
            22050,
            subtype="PCM_16",
        )
    return root


def test_ljspeech_splits_and_texts(tmp_path, repo_root):
    ljspeech = load_script(repo_root, "ljspeech")
    root = fake_ljspeech(tmp_path / "LJSpeech-1.1")
    assert ljspeech.main(["--root", str(root), "--out-dir", str(tmp_path / "data")]) == 0
    splits = {
        name: validate_data_dir(tmp_path / "data" / name) for name in ("train", "valid", "test")
    }
    assert splits["valid"].utt_ids == ["LJ001-0001", "LJ001-0002"]
    assert splits["test"].utt_ids == ["LJ002-0001"]
    assert splits["train"].utt_ids == ["LJ003-0001", "LJ050-0278"]
    assert (
        splits["valid"].text["LJ001-0002"] == 'in being comparatively "modern."'
    )  # normalized field
    assert splits["train"].text["LJ003-0001"] == "Mister Neild paid five pounds"
    assert set(splits["train"].utt2spk.values()) == {"LJ"}
    assert splits["test"].wav_scp["LJ002-0001"] == str((root / "wavs/LJ002-0001.wav").resolve())


def test_ljspeech_errors_name_the_line(tmp_path, repo_root):
    ljspeech = load_script(repo_root, "ljspeech")
    root = fake_ljspeech(
        tmp_path / "a", [*METADATA[:2], "LJ002-0001|only two fields", *METADATA[3:]]
    )
    with pytest.raises(
        DiffmmError, match=r"metadata.csv:3: expected 'id\|raw text\|normalized text'"
    ):
        ljspeech.prepare(root, tmp_path / "out", ["LJ001-"], ["LJ002-"])
    root = fake_ljspeech(tmp_path / "b")
    (root / "wavs/LJ003-0001.wav").unlink()
    with pytest.raises(DiffmmError, match=r"LJ003-0001.wav listed in metadata.csv but missing"):
        ljspeech.prepare(root, tmp_path / "out", ["LJ001-"], ["LJ002-"])
    with pytest.raises(DiffmmError, match="nowhere"):
        ljspeech.main(["--root", str(tmp_path / "nowhere"), "--out-dir", str(tmp_path / "o")])


def test_wav_dir(tmp_path, repo_root):
    wav_dir = load_script(repo_root, "wav_dir")
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(repo_root / "tests/data/speech/arctic_a0007.wav", folder / "b_utt.wav")
    shutil.copy(repo_root / "tests/data/speech/alsa/Front_Left.flac", folder / "a_utt.flac")
    (folder / "notes.md").write_text("not audio")
    assert (
        wav_dir.main(
            ["--wav-dir", str(folder), "--out-dir", str(tmp_path / "d1"), "--speaker", "x"]
        )
        == 0
    )
    data = validate_data_dir(tmp_path / "d1")
    assert (
        data.utt_ids == ["a_utt", "b_utt"]
        and data.text is None
        and data.spk2utt == {"x": ["a_utt", "b_utt"]}
    )
    (folder / "a_utt.lab").write_text("Front\n left \n")
    (folder / "b_utt.txt").write_text("And you always want to see it.")
    assert wav_dir.main(["--wav-dir", str(folder), "--out-dir", str(tmp_path / "d2")]) == 0
    data = validate_data_dir(tmp_path / "d2")
    assert data.text == {"a_utt": "Front left", "b_utt": "And you always want to see it."}
    assert data.utt2spk["a_utt"] == "clips"
    shutil.copy(folder / "b_utt.wav", folder / "a_utt.wav")
    with pytest.raises(DiffmmError, match="'a_utt' is used by both"):
        wav_dir.build_data_dir(folder)


def test_mini_corpus_from_vendored_clips(tmp_path, repo_root):
    mini = load_script(repo_root, "mini_speech")
    counts = mini.prepare(tmp_path / "data", tmp_path / "dl", source="vendored", num_synthetic=0)
    assert counts == {"train": 21, "valid": 3}
    train, valid = (validate_data_dir(tmp_path / "data" / s) for s in ("train", "valid"))
    assert valid.utt_ids == sorted(mini.VALID_UTTS)
    assert (
        set(train.spk2utt) == {"alsa", "librivox", "slt"} and len(train.spk2utt["librivox"]) == 13
    )
    for data, split in ((train, "train"), (valid, "valid")):
        categories = read_kaldi_map(tmp_path / "data" / split / "utt2category")
        assert set(categories) == set(data.utt_ids) and set(categories.values()) == {"real"}
    with open(repo_root / "tests/data/speech/sonnet001.csv", newline="") as handle:
        line3 = list(csv.reader(handle))[2]  # f000003: line 2 of the sonnet
    assert (
        train.text["librivox-sonnet001_03"]
        == line3[3]
        == "That thereby beauty's rose might never die,"
    )
    wav, sr = sf.read(train.wav_scp["librivox-sonnet001_03"])
    assert sr == 22050 and abs(len(wav) / sr - (float(line3[2]) - float(line3[1]))) < 1e-3
    assert np.max(np.abs(wav)) == pytest.approx(0.95, abs=1 / 32767)
    assert train.text["alsa-front_left"] == "Front left"


def test_synthetic_sentences_are_distinct_and_seeded(repo_root):
    mini = load_script(repo_root, "mini_speech")
    sentences = mini.synthetic_sentences(300)
    assert len(set(sentences)) == 300 and sentences == mini.synthetic_sentences(300)
    assert all(s[0].isupper() and s.endswith(".") for s in sentences)


@pytest.mark.skipif(shutil.which("flite") is None, reason="Debian flite not installed")
def test_mini_corpus_labels_flite_speech_synthetic(tmp_path, repo_root):
    mini = load_script(repo_root, "mini_speech")
    counts = mini.prepare(
        tmp_path / "data", tmp_path / "dl", source="vendored", num_synthetic=2, sample_rate=16000
    )
    assert counts == {"train": 23, "valid": 3}
    categories = read_kaldi_map(tmp_path / "data/train/utt2category")
    synthetic = sorted(u for u, c in categories.items() if c == "synthetic")
    assert synthetic == ["flite_slt-0001", "flite_slt-0002"]
    data = validate_data_dir(tmp_path / "data/train")
    assert {data.utt2spk[u] for u in synthetic} == {"flite_slt"}
    assert sf.info(data.wav_scp["flite_slt-0001"]).samplerate == 16000
