"""The toy recipe end to end: data prep, training, bundle, CLI sampling, scoring, egs stages."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.samplers import generate
from diffmm.metrics import sliced_wasserstein
from diffmm.models.toy import ToyMLP, ToyModelConfig

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BIN = Path(sys.executable).parent


def sh(*args: str | Path, cwd: Path | None = None, env: dict | None = None) -> str:
    out = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or os.environ.copy(),
    )
    assert out.returncode == 0, f"{args} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout + out.stderr


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    data = tmp_path_factory.mktemp("toy_data")
    sh(
        PYTHON,
        repo_root / "data_prep/toy.py",
        "--dataset",
        "eight_gaussians",
        "--num-train",
        "4000",
        "--num-valid",
        "2000",
        "--out-dir",
        data,
    )
    return data


def train(repo_root: Path, data: Path, exp: Path, *overrides: str, launcher: tuple = ()) -> str:
    return sh(
        *launcher,
        repo_root / "recipes/toy.py",
        "--config",
        repo_root / "recipes/configs/toy/mini.yaml",
        f"exp_dir={exp}",
        f"data.train={data / 'train/points.npy'}",
        f"data.valid={data / 'valid/points.npy'}",
        *overrides,
    )


def test_toy_recipe_learns_and_cli_samples_its_bundle(
    tmp_path: Path, toy_data: Path, repo_root: Path
) -> None:
    exp = tmp_path / "exp"
    train(
        repo_root,
        toy_data,
        exp,
        "trainer.max_steps=800",
        "trainer.save_every=400",
        "model.hidden=64",
        "trainer.learning_rate=3e-3",
        launcher=(PYTHON,),
    )
    bundle = exp / "bundle"
    assert (bundle / "config.yaml").is_file() and (bundle / "model.safetensors").is_file()

    out = tmp_path / "samples.npy"
    sh(
        BIN / "diffmm",
        "sample",
        bundle,
        "-o",
        out,
        "-n",
        "2000",
        "--sampler",
        "ddpm",
        "--seed",
        "3",
    )
    trained = torch.from_numpy(np.load(out))
    reference = torch.from_numpy(np.load(toy_data / "valid/points.npy"))

    # The same network untrained, sampled the same way, is the baseline to beat.
    cfg = DiffusionConfig(schedule="linear", num_steps=100, beta_start=1e-4, beta_end=0.2)
    torch.manual_seed(0)
    untrained_net = ToyMLP(ToyModelConfig(dim=2, hidden=64, num_layers=2, time_embed_dim=16))
    with torch.no_grad():
        untrained = generate(
            build_denoiser(untrained_net, cfg),
            build_schedule(cfg),
            (2000, 2),
            generator=torch.Generator().manual_seed(3),
        )

    def swd(a: torch.Tensor) -> float:
        return sliced_wasserstein(a, reference, generator=torch.Generator().manual_seed(0))

    floor = sliced_wasserstein(
        reference[:1000], reference[1000:], generator=torch.Generator().manual_seed(0)
    )
    print(
        f"SWD trained {swd(trained):.3f}, untrained {swd(untrained):.3f}, noise floor {floor:.3f}"
    )
    assert swd(trained) < 0.3 * swd(untrained)
    assert swd(trained) < 1.5 * floor  # measured 0.129 against a floor of 0.121

    png = tmp_path / "samples.png"
    sh(
        BIN / "diffmm",
        "sample",
        bundle,
        "-o",
        png,
        "-n",
        "200",
        "--sampler",
        "dpmpp_2m",
        "--steps",
        "10",
    )
    assert png.stat().st_size > 1000
    info = sh(BIN / "diffmm", "info", bundle)
    assert "family: toy" in info and "sample shape: (2,)" in info


def test_user_errors_are_one_line(tmp_path: Path, toy_data: Path, repo_root: Path) -> None:
    cases = [
        ("trainer.no_such_key=1", "no_such_key"),
        ("trainer.max_steps=lots", "max_steps"),
        (f"data.train={tmp_path / 'missing.npy'}", "missing.npy"),
    ]
    for override, named in cases:
        out = subprocess.run(
            [
                PYTHON,
                repo_root / "recipes/toy.py",
                "--config",
                repo_root / "recipes/configs/toy/mini.yaml",
                f"exp_dir={tmp_path / 'exp'}",
                f"data.valid={toy_data / 'valid/points.npy'}",
                f"data.train={toy_data / 'train/points.npy'}",
                override,
            ],
            capture_output=True,
            text=True,
        )
        assert out.returncode != 0
        assert named in out.stderr
        assert "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr

    missing = subprocess.run(
        [BIN / "diffmm", "sample", tmp_path / "nope", "-o", tmp_path / "x.npy"],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "nope" in missing.stderr


@pytest.fixture
def egs_dir(tmp_path: Path, repo_root: Path) -> Path:
    """A recipe directory outside the repository whose entries link to egs/toy/ddpm."""
    recipe = tmp_path / "egs_toy"
    recipe.mkdir()
    for name in ("run.sh", "path.sh", "cmd.sh", "utils", "conf"):
        (recipe / name).symlink_to(repo_root / "egs/toy/ddpm" / name)
    return recipe


def test_egs_stages_run_selectively_and_training_resumes(egs_dir: Path) -> None:
    common = [
        "--train-config",
        "conf/mini.yaml",
        "--tag",
        "t",
        "--num-train",
        "2000",
        "--num-valid",
        "500",
        "--num-samples",
        "100",
        "--sampler",
        "ddim",
        "--steps",
        "10",
    ]
    sh("bash", egs_dir / "run.sh", "--stage", "1", "--stop-stage", "1", *common)
    assert (egs_dir / "data/train/points.npy").is_file()
    assert not (egs_dir / "exp").exists()

    sh("bash", egs_dir / "run.sh", "--stage", "5", "--stop-stage", "6", *common)
    exp = egs_dir / "exp/t"
    assert (exp / "bundle/model.safetensors").is_file()
    assert (exp / "decode_ddim_10steps/samples.npy").is_file()
    assert not (exp / "decode_ddim_10steps/scores.json").exists()  # stage 7 was not asked for

    first = [
        json.loads(line)["step"] for line in (exp / "logs/train.jsonl").read_text().splitlines()
    ]
    sh(
        "bash",
        egs_dir / "run.sh",
        "--stage",
        "5",
        "--stop-stage",
        "5",
        *common,
        "--train-args",
        "trainer.max_steps=60",
    )
    steps = [
        json.loads(line)["step"] for line in (exp / "logs/train.jsonl").read_text().splitlines()
    ]
    assert max(first) == 40 and max(steps) == 60
    assert steps[len(first) :] == [50, 60]  # resumed after step 40, not restarted

    sh("bash", egs_dir / "run.sh", "--stage", "7", "--stop-stage", "8", *common)
    scores = json.loads((exp / "decode_ddim_10steps/scores.json").read_text())
    assert scores["num_samples"] == 100
    assert (egs_dir / "exp/export/t/config.yaml").is_file()


@pytest.mark.slow
def test_two_rank_training_exports_the_same_bundle_structure(
    tmp_path: Path, toy_data: Path, repo_root: Path
) -> None:
    single, double = tmp_path / "single", tmp_path / "double"
    train(repo_root, toy_data, single, "trainer.max_steps=20", launcher=(PYTHON,))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    sh(
        PYTHON,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(free_port()),
        repo_root / "recipes/toy.py",
        "--config",
        repo_root / "recipes/configs/toy/mini.yaml",
        f"exp_dir={double}",
        f"data.train={toy_data / 'train/points.npy'}",
        f"data.valid={toy_data / 'valid/points.npy'}",
        "trainer.max_steps=20",
        env=env,
    )

    def structure(bundle: Path) -> dict[str, tuple]:
        with safe_open(bundle / "model.safetensors", "pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}

    assert structure(single / "bundle") == structure(double / "bundle")
    assert (single / "bundle/config.yaml").read_text() == (
        double / "bundle/config.yaml"
    ).read_text()


def test_one_config_gives_one_run(tmp_path: Path, toy_data: Path, repo_root: Path) -> None:
    """Two runs of the same config export bit-identical weights; another seed does not."""

    def weights(name: str, *overrides: str) -> dict[str, torch.Tensor]:
        exp = tmp_path / name
        train(repo_root, toy_data, exp, "trainer.max_steps=5", *overrides, launcher=(PYTHON,))
        with safe_open(exp / "bundle/model.safetensors", "pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}

    first, second, reseeded = weights("a"), weights("b"), weights("c", "trainer.seed=1")
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], reseeded[k]) for k in first)
