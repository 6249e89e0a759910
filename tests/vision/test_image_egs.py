"""The Fashion-MNIST egs in a tmp dir on a tiny IDX folder written by the test: stages 0-8
through egs/TEMPLATE/image/image.sh (data, classifier extractor, training, sampling, scoring
of the trained and the one-step model, export)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
from test_idx import write_split

TINY = (
    "model.model_channels=8 model.channel_mult=[1,2] model.num_res_blocks=1 "
    "model.attention_resolutions=[2] trainer.max_steps=3 trainer.batch_size=8 "
    "trainer.save_every=3 trainer.sample_every=0 trainer.log_every=1"
)
TINY_CLASSIFIER = (
    "model.width=8 model.feature_dim=16 trainer.max_steps=3 trainer.batch_size=8 "
    "trainer.val_every=0 trainer.log_every=1"
)


def test_fashion_mnist_egs_all_stages(repo_root: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    idx = tmp_path / "fashion"
    for prefix, count in (("train", 48), ("t10k", 24)):
        pixels = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = np.arange(count, dtype=np.uint8) % 10
        write_split(idx, prefix, pixels, labels, gz=True)
    recipe = tmp_path / "egs"
    recipe.mkdir()
    source = repo_root / "egs/fashion_mnist/ddpm"
    for name in ("run.sh", "image.sh", "path.sh", "cmd.sh", "utils", "conf"):
        (recipe / name).symlink_to(source / name)
    (recipe / "local").symlink_to(repo_root / "egs/fashion_mnist/local")
    args = [
        "--local-data-opts", f"--fashion-dir {idx}", "--train-args", TINY,
        "--classifier-args", TINY_CLASSIFIER, "--num-samples", "20", "--steps", "2",
        "--batch-size", "10", "--tag", "t", "--threads", "1",
    ]  # fmt: skip
    done = subprocess.run(
        ["bash", recipe / "run.sh", *args], capture_output=True, text=True, env=os.environ.copy()
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert (recipe / "downloads/SOURCE").read_text().split()[0] == "fashion-mnist"
    for model in ("t", "t_untrained"):
        scores = json.loads((recipe / f"exp/{model}/decode_ddim_2steps/scores.json").read_text())
        assert scores["num_samples"] == 20 and scores["num_reference"] == 24
        assert scores["extractor"].startswith("diffmm-classifier-") and scores["fid"] > 0
        assert scores["precision"] is not None and scores["inception_score"] >= 1.0
    assert (recipe / "exp/t/decode_ddim_2steps/samples_grid.png").is_file()
    assert (recipe / "exp/reference_stats.npz").is_file()
    assert "family: image" in log and (recipe / "exp/export/t/model.safetensors").is_file()
