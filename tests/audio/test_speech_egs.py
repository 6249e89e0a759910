"""The mini_speech egs end to end with tiny settings: every stage of both run.sh scripts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

TINY = (
    "trainer.max_steps=4 trainer.batch_size=2 trainer.val_every=0 trainer.save_every=0 "
    "model.residual_layers=2 model.residual_channels=4"
)


@pytest.mark.parametrize("recipe", ["diffwave", "priorgrad"])
def test_mini_speech_egs_runs_every_stage(tmp_path: Path, repo_root: Path, recipe: str) -> None:
    egs = tmp_path / recipe
    egs.mkdir()
    for name in ("run.sh", "vocoder.sh", "local", "path.sh", "cmd.sh", "utils", "conf"):
        (egs / name).symlink_to(repo_root / "egs/mini_speech" / recipe / name)
    out = subprocess.run(
        [
            "bash",
            str(egs / "run.sh"),
            "--local-data-opts",
            "--num-synthetic 0",
            "--train-args",
            TINY,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    tag = "mini" if recipe == "diffwave" else "mini_priorgrad"
    decode = egs / f"exp/{tag}/decode_valid_ddpm"
    valid = (egs / "data/valid/wav.scp").read_text().split("\n")
    assert len(list((decode / "wav").glob("*.wav"))) == len([x for x in valid if x]) == 3
    scores = json.loads((decode / "scores.json").read_text())
    assert scores, "stage 7 wrote no scores"
    assert (egs / f"exp/export/{tag}/model.safetensors").is_file()
    assert "real-time factor" in out.stdout + out.stderr


def fake_ljspeech_with_speech(root: Path, repo_root: Path) -> Path:
    """An LJSpeech-1.1 tree in the real layout (metadata.csv id|raw|normalized, wavs/ at 22.05 kHz)
    whose recordings are a real ARCTIC clip, so crops and scores see speech."""
    import librosa
    import soundfile as sf

    speech, rate = sf.read(repo_root / "tests/data/speech/arctic_a0007.wav", dtype="float32")
    speech = librosa.resample(speech, orig_sr=rate, target_sr=22050)
    ids = ["LJ001-0001", "LJ001-0002", "LJ002-0001", "LJ002-0002", "LJ003-0001", "LJ003-0002"]
    (root / "wavs").mkdir(parents=True)
    lines = [f"{utt}|And you always want to see it.|And you always want to see it." for utt in ids]
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for i, utt in enumerate(ids):
        sf.write(
            str(root / "wavs" / f"{utt}.wav"), np.roll(speech, 1000 * i), 22050, subtype="PCM_16"
        )
    return root


@pytest.mark.parametrize("recipe", ["diffwave", "priorgrad"])
def test_ljspeech_egs_runs_every_stage_on_a_corpus_in_the_real_layout(
    tmp_path: Path, repo_root: Path, recipe: str
) -> None:
    corpus = fake_ljspeech_with_speech(tmp_path / "LJSpeech-1.1", repo_root)
    egs = tmp_path / recipe
    egs.mkdir()
    for name in ("run.sh", "vocoder.sh", "local", "path.sh", "cmd.sh", "utils", "conf"):
        (egs / name).symlink_to(repo_root / "egs/ljspeech" / recipe / name)
    out = subprocess.run(
        [
            "bash",
            str(egs / "run.sh"),
            "--local-data-opts",
            f"--ljspeech-root {corpus}",
            "--nj",
            "1",
            "--tag",
            "t",
            "--train-args",
            TINY,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    test_ids = (egs / "data/test/wav.scp").read_text().split()[::2]
    assert test_ids == ["LJ002-0001", "LJ002-0002"]  # LJ002 held out as the test set
    decode = next((egs / "exp/t").glob("decode_test_*"))
    assert sorted(p.stem for p in (decode / "wav").glob("*.wav")) == test_ids
    assert json.loads((decode / "scores.json").read_text())
    assert (egs / "exp/export/t/model.safetensors").is_file()
