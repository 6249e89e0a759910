"""Checkpoints: a crash while writing leaves the previous one in charge; damage is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_training import assert_same_training_state, loss_fn, make_dataset, make_trainer
from torch import nn

import diffmm.training.trainer as trainer_module
from diffmm.errors import DiffmmError
from diffmm.training import Trainer, TrainerConfig, checkpoint

pytestmark = pytest.mark.platform


def test_crash_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch) -> None:
    real_save_file = trainer_module.save_file
    calls = {"n": 0}

    def crash_on_second_checkpoint(tensors, path):
        calls["n"] += 1
        if calls["n"] == 2:  # Accelerate's files are already in the temp dir at this point
            raise OSError("disk full (simulated)")
        real_save_file(tensors, path)

    monkeypatch.setattr(trainer_module, "save_file", crash_on_second_checkpoint)
    crashing = make_trainer(tmp_path / "run", 10)
    with pytest.raises(OSError, match="simulated"):
        crashing.train()
    root = tmp_path / "run/checkpoints"
    temp = checkpoint.temp_dir_for(root, 10)
    assert (temp / "model.safetensors").is_file()  # really written half-way
    assert checkpoint.latest_checkpoint(root) == root / "step_00000005"
    monkeypatch.setattr(trainer_module, "save_file", real_save_file)

    resumed = make_trainer(tmp_path / "run", 10)
    assert resumed.step == 5
    assert not temp.exists()  # leftovers of the interrupted write are cleaned up
    resumed.train()
    whole = make_trainer(tmp_path / "whole", 10)
    whole.train()
    assert_same_training_state(whole, resumed)
    steps = [json.loads(x)["step"] for x in (tmp_path / "run/logs/train.jsonl").open()]
    assert steps == [5, 10]  # the log line of the crashed step 10 is not duplicated


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "no_manifest"])
def test_damaged_checkpoint_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    make_trainer(tmp_path, 10).train()
    newest = tmp_path / "checkpoints/step_00000010"
    weights = newest / "model.safetensors"
    data = weights.read_bytes()
    if damage == "truncate":
        weights.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        weights.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    elif damage == "delete":
        (newest / "optimizer.bin").unlink()
    else:
        (newest / checkpoint.MANIFEST).unlink()
    with pytest.raises(DiffmmError, match=r"checkpoint .*step_00000010 is corrupt or incomplete"):
        make_trainer(tmp_path, 20)


def test_unloadable_content_with_a_matching_manifest_is_a_clear_error(tmp_path: Path) -> None:
    make_trainer(tmp_path, 5).train()
    root = tmp_path / "checkpoints"
    newest = root / "step_00000005"
    # rebuild the checkpoint with a garbage optimizer file and a manifest that matches it
    temp = checkpoint.temp_dir_for(root, 5)
    newest.rename(temp)
    (temp / checkpoint.MANIFEST).unlink()
    (temp / "optimizer.bin").write_bytes(b"not a torch file")
    checkpoint.commit(temp, newest)
    with pytest.raises(
        DiffmmError, match=r"step_00000005 cannot be loaded into this run \(\w+Error"
    ):
        make_trainer(tmp_path, 10)


def test_discovery_ignores_temp_dirs_and_sorts_by_step(tmp_path: Path) -> None:
    for name in ["step_00000002", "step_00000010", ".tmp-step_00000020", "step_7", "notes"]:
        (tmp_path / name).mkdir()
    assert [s for s, _ in checkpoint.list_checkpoints(tmp_path)] == [2, 10]
    assert checkpoint.latest_checkpoint(tmp_path) == tmp_path / "step_00000010"
    checkpoint.remove_temp_dirs(tmp_path)
    assert not (tmp_path / ".tmp-step_00000020").exists()
    checkpoint.prune(tmp_path, keep_last=1)
    assert [s for s, _ in checkpoint.list_checkpoints(tmp_path)] == [10]


def test_commit_is_a_rename_with_a_manifest(tmp_path: Path) -> None:
    temp = tmp_path / ".tmp-step_00000001"
    temp.mkdir()
    (temp / "a.bin").write_bytes(b"abc")
    final = tmp_path / "step_00000001"
    checkpoint.commit(temp, final)
    assert not temp.exists()
    manifest = json.loads((final / checkpoint.MANIFEST).read_text())
    assert manifest["a.bin"]["size"] == 3
    checkpoint.verify(final)


def test_resuming_with_a_different_model_names_the_likely_cause(tmp_path: Path) -> None:
    make_trainer(tmp_path, 5).train()
    config = TrainerConfig(max_steps=10, batch_size=8, ema_rates=(0.9, 0.99))
    wider = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    with pytest.raises(DiffmmError, match="did the model or trainer config change"):
        Trainer(wider, loss_fn, make_dataset(), config, tmp_path)
