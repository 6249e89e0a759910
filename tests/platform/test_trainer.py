"""The Accelerate trainer: exact resume, NaN guard, LR schedule, pruning, logs, val/sample hooks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from tiny_training import assert_same_training_state, loss_fn, make_trainer

from diffmm.errors import DiffmmError
from diffmm.training import lr_factor
from diffmm.training.checkpoint import list_checkpoints, verify
from diffmm.training.trainer import usable_mixed_precision

pytestmark = pytest.mark.platform


def _checkpoint_steps(exp_dir: Path) -> list[int]:
    return [step for step, _ in list_checkpoints(exp_dir / "checkpoints")]


# 40 items, batch 8: 5 batches per epoch, so step 10 with accumulation 3 resumes mid-epoch
# and the accumulation groups straddle epoch ends.
@pytest.mark.parametrize("grad_accum_steps", [1, 3])
def test_resume_reproduces_an_uninterrupted_run_exactly(tmp_path: Path, grad_accum_steps) -> None:
    whole = make_trainer(tmp_path / "whole", 20, grad_accum_steps=grad_accum_steps)
    assert whole.train().step == 20

    first = make_trainer(tmp_path / "split", 10, grad_accum_steps=grad_accum_steps)
    first.train()
    del first
    resumed = make_trainer(tmp_path / "split", 20, grad_accum_steps=grad_accum_steps)
    assert resumed.step == 10
    result = resumed.train()
    assert result.step == 20
    assert_same_training_state(whole, resumed)
    # the logs read as one run: one line per log step, the same values as the unbroken run
    whole_lines = (tmp_path / "whole/logs/train.jsonl").read_text().splitlines()
    split_lines = (tmp_path / "split/logs/train.jsonl").read_text().splitlines()
    drop_time = [{k: v for k, v in json.loads(x).items() if k != "time"} for x in whole_lines]
    assert drop_time == [
        {k: v for k, v in json.loads(x).items() if k != "time"} for x in split_lines
    ]


def test_training_reduces_the_loss(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, 60, log_every=10, save_every=0)
    trainer.train()
    lines = [json.loads(x) for x in (tmp_path / "logs/train.jsonl").read_text().splitlines()]
    assert lines[-1]["loss"] < 0.5 * lines[0]["loss"]


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    calls = {"n": 0}

    def nan_at_step_8(model, batch, generator):
        calls["n"] += 1
        loss, logs = loss_fn(model, batch, generator)
        return (loss * math.nan if calls["n"] == 8 else loss), logs

    trainer = make_trainer(tmp_path, 20, loss=nan_at_step_8)
    with pytest.raises(DiffmmError, match=r"diverged at step 8: loss=nan"):
        trainer.train()
    assert _checkpoint_steps(tmp_path) == [5]
    verify(tmp_path / "checkpoints/step_00000005")
    assert make_trainer(tmp_path, 20).step == 5


def test_infinite_gradient_is_caught_even_with_a_finite_loss(tmp_path: Path) -> None:
    def inf_grad(model, batch, generator):
        loss, logs = loss_fn(model, batch, generator)
        weight = next(model.parameters())
        # forward adds 0; backward: d sqrt(u)/du at u = 0 is inf, times d|w - w|/dw = 0 → nan
        return loss + (weight - weight.detach()).abs().sqrt().sum(), logs

    trainer = make_trainer(tmp_path, 5, loss=inf_grad)
    with pytest.raises(DiffmmError, match="diverged at step 1"):
        trainer.train()
    assert _checkpoint_steps(tmp_path) == []


def test_keep_last_prunes_and_log_has_one_line_per_log_step(tmp_path: Path) -> None:
    make_trainer(tmp_path, 20, keep_last=2, log_every=4).train()
    assert _checkpoint_steps(tmp_path) == [15, 20]
    lines = [json.loads(x) for x in (tmp_path / "logs/train.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [4, 8, 12, 16, 20]
    assert {"loss", "lr", "grad_norm", "time", "mse"} <= set(lines[0])
    assert (tmp_path / "logs/tb").is_dir()
    assert (tmp_path / "checkpoints/step_00000020/config.yaml").is_file()


def test_lr_schedule_follows_warmup_then_cosine() -> None:
    warmup, total = 4, 20
    factors = [
        lr_factor(k, warmup_steps=warmup, max_steps=total, schedule="cosine") for k in range(21)
    ]
    assert factors[:5] == [0.25, 0.5, 0.75, 1.0, 1.0]
    for k in range(warmup, total + 1):
        expected = 0.5 * (1 + math.cos(math.pi * (k - warmup) / (total - warmup)))
        assert factors[k] == pytest.approx(expected, abs=1e-15)
    assert factors[12] == pytest.approx(0.5)
    assert factors[20] == pytest.approx(0.0, abs=1e-15)
    linear = lr_factor(12, warmup_steps=warmup, max_steps=total, schedule="linear")
    assert linear == pytest.approx(0.5)


def test_trainer_uses_the_scheduled_lr_at_each_step(tmp_path: Path) -> None:
    make_trainer(tmp_path, 12, warmup_steps=3, lr_schedule="cosine", log_every=1).train()
    lines = [json.loads(x) for x in (tmp_path / "logs/train.jsonl").read_text().splitlines()]
    for line in lines:  # step k is taken with the factor after k - 1 completed steps
        factor = lr_factor(line["step"] - 1, warmup_steps=3, max_steps=12, schedule="cosine")
        assert line["lr"] == pytest.approx(1e-2 * factor, rel=1e-12)


def test_val_and_sample_hooks_see_the_ema_model(tmp_path: Path) -> None:
    seen = []

    def val_fn(model, step):
        seen.append(("val", step, model.training))
        return {"score": float(step)}

    def sample_fn(model, step, out_dir):
        seen.append(("sample", step, model.training))
        (out_dir / "done.txt").write_text("ok")

    hooks = {"val_fn": val_fn, "sample_fn": sample_fn}
    make_trainer(tmp_path, 10, hooks=hooks, save_every=0, val_every=4, sample_every=5).train()
    assert seen == [
        ("val", 4, False),
        ("sample", 5, False),
        ("val", 8, False),
        ("sample", 10, False),
    ]
    assert (tmp_path / "samples/step_00000010/done.txt").is_file()
    val_lines = [json.loads(x) for x in (tmp_path / "logs/val.jsonl").read_text().splitlines()]
    assert val_lines == [{"step": 4, "score": 4.0}, {"step": 8, "score": 8.0}]


def test_ema_model_holds_the_ema_weights_in_a_separate_copy(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, 5, save_every=0)
    trainer.train()
    ema_slow = trainer.ema_model(0.99)
    for name, value in ema_slow.state_dict().items():
        assert torch.equal(value, trainer.ema.state_for(0.99)[name])
    raw = dict(trainer.model.named_parameters())
    assert not any(torch.equal(p, raw[n]) for n, p in ema_slow.named_parameters() if p.ndim > 1)
    assert not ema_slow.training and not any(p.requires_grad for p in ema_slow.parameters())
    with pytest.raises(ValueError, match=r"no EMA with rate 0\.5"):
        trainer.ema_model(0.5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="fp16 is usable with a GPU")
def test_fp16_without_a_gpu_falls_back_to_float32_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="fp16"):
        assert usable_mixed_precision("fp16") == "no"
    assert usable_mixed_precision("no") == "no"


def test_dataset_smaller_than_a_batch_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DiffmmError, match="fewer than batch_size=64"):
        make_trainer(tmp_path, 5, batch_size=64)


def test_stateful_objects_resume_with_the_checkpoint(tmp_path: Path) -> None:
    """iDDPM's loss-aware timestep sampler: its loss history, hence p(t), survives a resume."""
    from diffmm.diffusion.losses import LossSecondMomentResampler

    def importance_loss(sampler):
        def loss(model, batch, generator):
            x, y = batch
            t, weights = sampler.sample(len(x), generator=generator)
            per_item = ((model(x) - y) ** 2).mean(1) * (1.0 + t)  # a loss that depends on t
            sampler.update(t, per_item)
            return (weights * per_item).mean(), {}

        return loss

    def run(exp_dir: Path, max_steps: int):
        sampler = LossSecondMomentResampler(4, history_per_term=3)
        trainer = make_trainer(
            exp_dir, max_steps, loss=importance_loss(sampler), hooks={"stateful": [sampler]}
        )
        return trainer, sampler

    whole, whole_sampler = run(tmp_path / "whole", 20)
    whole.train()
    first, _ = run(tmp_path / "split", 10)
    first.train()
    del first
    resumed, resumed_sampler = run(tmp_path / "split", 20)
    assert resumed_sampler.warmed_up  # restored before the first resumed step
    resumed.train()
    assert torch.equal(resumed_sampler.loss_history, whole_sampler.loss_history)
    assert torch.equal(resumed_sampler.probabilities(), whole_sampler.probabilities())
    assert_same_training_state(whole, resumed)
