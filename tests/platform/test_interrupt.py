"""Ctrl-C and SIGTERM during training: a checkpoint of the step reached, one line, and a resume
that says where it starts and continues exactly as if never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_training import assert_same_training_state, loss_fn, make_trainer

from diffmm.training import checkpoint
from diffmm.training.interrupt import TrainingInterrupted

pytestmark = pytest.mark.platform

CHILD = """
import sys, time
from pathlib import Path
from tiny_training import loss_fn, make_trainer
from diffmm.errors import run_entry_point

exp = Path(sys.argv[1])

def slow_loss(model, batch, generator):
    (exp / "training").touch()  # the handlers are installed once the loop runs
    time.sleep(0.01)
    return loss_fn(model, batch, generator)

sys.exit(run_entry_point("tiny", lambda: make_trainer(exp, 100_000, slow_loss, save_every=0).train() and 0))
"""


def steps_saved(exp: Path) -> list[int]:
    return [step for step, _ in checkpoint.list_checkpoints(exp / "checkpoints")]


def test_sigint_saves_a_checkpoint_exits_in_one_line_and_resumes_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    exp = tmp_path / "exp"
    exp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    env.pop("DIFFMM_DEBUG", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(exp)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while not (exp / "training").exists() and child.poll() is None:
        assert time.monotonic() < deadline, "the child never started training"
        time.sleep(0.05)
    time.sleep(0.2)  # a few steps past the first
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)

    (step,) = steps_saved(exp)  # save_every=0: only the interrupt saved
    assert child.returncode == 128 + signal.SIGINT, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == (
        f"tiny: error: stopped by SIGINT at step {step}: saved "
        f"{exp / 'checkpoints' / checkpoint.step_dir_name(step)}; run the same command again "
        "to resume"
    )

    capsys.readouterr()
    resumed = make_trainer(exp, step + 3, save_every=0)
    assert capsys.readouterr().out.startswith(f"resuming from step {step} (")
    reference = make_trainer(tmp_path / "uninterrupted", step, save_every=0)
    reference.train()
    assert_same_training_state(resumed, reference)  # the interrupt lost no step
    assert resumed.train().step == step + 3


def test_sigterm_stops_after_the_step_and_saves_it(tmp_path: Path) -> None:
    def terminating_loss(model, batch, generator):
        if trainer.step == 4:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of step 5
        return loss_fn(model, batch, generator)

    trainer = make_trainer(tmp_path, 50, terminating_loss, save_every=0)
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TrainingInterrupted, match="stopped by SIGTERM at step 5") as stopped:
        trainer.train()
    assert stopped.value.exit_status == 128 + signal.SIGTERM
    assert steps_saved(tmp_path) == [5]
    assert signal.getsignal(signal.SIGTERM) is previous  # the handler is put back
