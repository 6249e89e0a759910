"""The egs shell utilities keep Kaldi's semantics."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
stage=0
stop_stage=100
foo_bar=default
use_gpu=false
help_message="Usage: demo.sh [options] <arg>"
. {utils}/parse_options.sh
echo "stage=$stage stop_stage=$stop_stage foo_bar=$foo_bar use_gpu=$use_gpu args=$*"
"""


@pytest.fixture
def demo(tmp_path: Path, repo_root: Path) -> Path:
    script = tmp_path / "demo.sh"
    script.write_text(SCRIPT.format(utils=repo_root / "egs/TEMPLATE/utils"))
    return script


def run(script: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True)


def test_dashed_options_set_underscored_variables(demo: Path) -> None:
    out = run(
        demo, "--stage", "5", "--stop-stage=6", "--foo-bar", "a b", "--use-gpu", "true", "x", "y"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "stage=5 stop_stage=6 foo_bar=a b use_gpu=true args=x y"


def test_unknown_option_is_an_error(demo: Path) -> None:
    out = run(demo, "--no-such-thing", "1")
    assert out.returncode != 0
    assert "invalid option --no-such-thing" in out.stderr


def test_boolean_option_only_takes_true_or_false(demo: Path) -> None:
    out = run(demo, "--use-gpu", "maybe")
    assert out.returncode != 0
    assert "true or false" in out.stderr


def test_help_prints_message_and_succeeds(demo: Path) -> None:
    out = run(demo, "--help")
    assert out.returncode == 0
    assert "Usage: demo.sh" in out.stdout


def test_config_file_sets_defaults_before_later_options(demo: Path, tmp_path: Path) -> None:
    conf = tmp_path / "opts.conf"
    conf.write_text("stage=3\nfoo_bar=from_conf\n")
    out = run(demo, "--config", str(conf), "--stage", "4")
    assert "stage=4 " in out.stdout and "foo_bar=from_conf" in out.stdout


def test_run_pl_job_array_writes_one_log_per_job(tmp_path: Path, repo_root: Path) -> None:
    run_pl = repo_root / "egs/TEMPLATE/utils/run.pl"
    out = subprocess.run(
        [str(run_pl), "JOB=1:3", str(tmp_path / "log/job.JOB.log"), "echo", "task", "JOB"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    for job in (1, 2, 3):
        text = (tmp_path / f"log/job.{job}.log").read_text()
        assert f"task {job}\n" in text
        assert "# Ended (code 0)" in text


def test_run_pl_reports_failures(tmp_path: Path, repo_root: Path) -> None:
    run_pl = repo_root / "egs/TEMPLATE/utils/run.pl"
    out = subprocess.run(
        [str(run_pl), str(tmp_path / "fail.log"), "bash", "-c", "exit 3"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "1 / 1 jobs failed" in out.stderr
    assert "# Ended (code 3)" in (tmp_path / "fail.log").read_text()
