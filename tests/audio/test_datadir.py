"""Kaldi data dirs: round trip, validation errors naming FILE:LINE, segments and pipes."""

from __future__ import annotations

import numpy as np
import pytest

from diffmm.audio.datadir import (
    DataDir,
    load_utterance,
    read_kaldi_map,
    validate_data_dir,
)
from diffmm.audio.io import load_audio
from diffmm.errors import DiffmmError

A07 = "tests/data/speech/arctic_a0007.wav"  # 4.000 s, 16 kHz
A09 = "tests/data/speech/arctic_a0009.wav"  # 3.095 s, 16 kHz


def write(directory, files: dict[str, str]):
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content)
    return directory


def valid_files(repo_root) -> dict[str, str]:
    return {
        "wav.scp": f"slt-a07 {repo_root / A07}\nslt-a09 {repo_root / A09}\n",
        "text": "slt-a07 And you always want\nslt-a09 He turned sharply\n",
        "utt2spk": "slt-a07 slt\nslt-a09 slt\n",
        "spk2utt": "slt slt-a07 slt-a09\n",
    }


def test_round_trip_writes_sorted_byte_order(tmp_path, repo_root):
    data = DataDir(
        wav_scp={"b": str(repo_root / A09), "B": str(repo_root / A07), "a": str(repo_root / A07)},
        utt2spk={"b": "s2", "B": "s1", "a": "s2"},
        text={"b": "two words", "B": "one", "a": ""},
        extras={"utt2category": {"b": "real", "B": "real", "a": "synthetic"}},
    )
    data.write(tmp_path / "d")
    # LC_ALL=C order: upper case before lower case
    assert (tmp_path / "d/wav.scp").read_text().split("\n")[0].startswith("B ")
    assert (tmp_path / "d/spk2utt").read_text() == "s1 B\ns2 a b\n"
    assert (tmp_path / "d/text").read_text() == "B one\na\nb two words\n"
    loaded = validate_data_dir(tmp_path / "d")
    assert loaded.wav_scp == data.wav_scp and loaded.utt2spk == data.utt2spk
    assert loaded.text == data.text and loaded.spk2utt == {"s1": ["B"], "s2": ["a", "b"]}
    assert loaded.utt_ids == ["B", "a", "b"]
    assert read_kaldi_map(tmp_path / "d/utt2category")["a"] == "synthetic"


def test_read_kaldi_map_duplicate_names_line(tmp_path):
    (tmp_path / "text").write_text("u1 hello\nu2 x\nu1 again\n")
    with pytest.raises(DiffmmError, match=r"text:3: duplicate key 'u1' \(first at line 1\)"):
        read_kaldi_map(tmp_path / "text")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("utt2spk", "slt-a09 slt\nslt-a07 slt\n", r"utt2spk:2: not sorted: 'slt-a07' after 'slt-a09'"),
        ("text", "slt-a07 x\nslt-a07 y\nslt-a09 z\n", r"text:2: duplicate key 'slt-a07'"),
        ("spk2utt", "slt slt-a07\n", r"utt2spk:2: 'slt-a09' \(speaker 'slt'\) not in spk2utt"),
        ("spk2utt", "other slt-a07 slt-a09\n", r"spk2utt:1: 'slt-a07' listed under speaker 'other'"),
        ("text", "slt-a07 x\n", r"utt2spk:2: 'slt-a09' is missing from text"),
        ("wav.scp", "slt-a07 /nonexistent/a.wav\nslt-a09 /nonexistent/b.wav\n",
         r"wav.scp:1: 'slt-a07': file not found: /nonexistent/a.wav"),
        ("utt2spk", "slt-a07 slt\nslt-a09 slt\nslt-a10 slt\n", r"utt2spk:3: 'slt-a10' is missing from wav.scp"),
    ],
)  # fmt: skip
def test_validation_errors_name_file_and_line(tmp_path, repo_root, name, content, message):
    files = valid_files(repo_root)
    validate_data_dir(write(tmp_path / "ok", files))
    files[name] = content
    with pytest.raises(DiffmmError, match=message):
        validate_data_dir(write(tmp_path / "bad", files))


def test_missing_required_file_and_unchecked_files(tmp_path, repo_root):
    files = valid_files(repo_root)
    del files["spk2utt"]
    with pytest.raises(DiffmmError, match=r"spk2utt: required file missing"):
        validate_data_dir(write(tmp_path / "a", files))
    files = valid_files(repo_root)
    files["wav.scp"] = "slt-a07 sox in.wav -t wav - |\nslt-a09 /nonexistent/b.wav\n"
    with pytest.raises(DiffmmError, match=r"wav\.scp:2") as error:
        validate_data_dir(write(tmp_path / "b", files))
    assert "wav.scp:1" not in str(error.value)  # pipes are allowed and not run
    validate_data_dir(tmp_path / "b", check_files=False)


def test_segments_cut_the_recording(tmp_path, repo_root):
    files = {
        "wav.scp": f"rec1 {repo_root / A07}\n",
        "segments": "rec1-part1 rec1 0.500 1.250\nrec1-part2 rec1 2.000 4.000\n",
        "utt2spk": "rec1-part1 slt\nrec1-part2 slt\n",
        "spk2utt": "slt rec1-part1 rec1-part2\n",
    }
    data = validate_data_dir(write(tmp_path / "seg", files))
    assert data.segments["rec1-part1"] == ("rec1", 0.5, 1.25)
    whole, _ = load_audio(repo_root / A07)
    np.testing.assert_array_equal(load_utterance(data, "rec1-part1", 16000), whole[8000:20000])
    np.testing.assert_array_equal(
        load_utterance(tmp_path / "seg", "rec1-part2", 16000), whole[32000:]
    )
    with pytest.warns(UserWarning, match="resampling"):
        assert len(load_utterance(data, "rec1-part1", 22050)) == round(1.25 * 22050) - round(
            0.5 * 22050
        )
    with pytest.raises(DiffmmError, match="'nope' not in"):
        load_utterance(data, "nope", 16000)


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ("rec1-part1 rec1 3.000 4.500\n", r"segments:1: 'rec1-part1' ends at 4.5 s, after the end of 'rec1' \(4.000 s\)"),
        ("rec1-part1 rec1 1.000 0.500\n", r"segments:1: 'rec1-part1' needs 0 <= start < end"),
        ("rec1-part1 rec9 0.000 0.500\n", r"segments:1: recording 'rec9' of 'rec1-part1' not in wav.scp"),
        ("rec1-part1 rec1 0.000\n", r"segments:1: expected '<utt> <recording> <start> <end>'"),
    ],
)  # fmt: skip
def test_segment_errors(tmp_path, repo_root, segments, message):
    files = {
        "wav.scp": f"rec1 {repo_root / A07}\n",
        "segments": segments,
        "utt2spk": "rec1-part1 slt\n",
        "spk2utt": "slt rec1-part1\n",
    }
    with pytest.raises(DiffmmError, match=message):
        validate_data_dir(write(tmp_path / "seg", files))


def test_pipe_entries_are_read_from_stdout(tmp_path, repo_root):
    data = DataDir(wav_scp={"u": f"cat {repo_root / A09} |"}, utt2spk={"u": "s"})
    direct, _ = load_audio(repo_root / A09)
    np.testing.assert_array_equal(load_utterance(data, "u", 16000), direct)
    broken = DataDir(wav_scp={"u": "exit 3 |"}, utt2spk={"u": "s"})
    with pytest.raises(DiffmmError, match=r"u: pipe 'exit 3 ' failed \(3\)"):
        load_utterance(broken, "u", 16000)
