"""data_prep/speaker_split.py: one speaker's utterances, the last N held out."""

from __future__ import annotations

import importlib.util
import sys

import pytest
import soundfile as sf

from diffmm.audio.datadir import DataDir

pytestmark = pytest.mark.tts


def test_split_keeps_the_speakers_and_holds_out_the_last(tmp_path, repo_root):
    spec = importlib.util.spec_from_file_location(
        "speaker_split", repo_root / "data_prep" / "speaker_split.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    wav = tmp_path / "a.wav"
    sf.write(wav, [0.0] * 1600, 16000)
    utts = {f"u{i}": ("slt" if i % 2 else "awb") for i in range(7)}
    DataDir(
        wav_scp=dict.fromkeys(utts, str(wav)), utt2spk=utts, text={u: "Hello." for u in utts}
    ).write(tmp_path / "all")
    args = ["--data-dir", str(tmp_path / "all"), "--speakers", "slt", "--num-heldout", "1"]
    args += ["--train-out", str(tmp_path / "train"), "--heldout-out", str(tmp_path / "test")]
    assert module.main(args) == 0
    assert DataDir.load(tmp_path / "train").utt_ids == ["u1", "u3"]
    assert DataDir.load(tmp_path / "test").utt_ids == ["u5"]
    assert DataDir.load(tmp_path / "test").text == {"u5": "Hello."}
    with pytest.raises(Exception, match="too few"):
        module.main([*args[:4], "--num-heldout", "3", *args[6:]])
