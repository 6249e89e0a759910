"""The recipe end to end on meshes written here: a tiny auto-encoder trained briefly
reconstructs them with a lower Chamfer distance than the untrained one, and its bundle
goes through ``diffmm sample --reconstruct``."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from diffmm.cli.main import main as diffmm_main
from diffmm.diffusion.config import DiffusionConfig
from diffmm.metrics.pointcloud_distances import chamfer_distance
from diffmm.models.pointcloud import PointCloudModelConfig, build_point_cloud_model
from diffmm.models.pointcloud_generator import PointCloudGenerator, SamplingOptions
from diffmm.pointcloud import load_clouds, normalize

REPO = Path(__file__).resolve().parents[2]


def box_off(size: tuple[float, float, float]) -> str:
    corners = [(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
    vertices = "\n".join(" ".join(str(c * s / 2) for c, s in zip(v, size)) for v in corners)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    return f"OFF\n8 6 0\n{vertices}\n" + "\n".join(f"4 {a} {b} {c} {d}" for a, b, c, d in quads)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("ae")
    shapes = root / "shapes"
    shapes.mkdir()
    for i, size in enumerate(
        [(2, 2, 2), (4, 1, 1), (1, 3, 1), (1, 1, 4), (3, 2, 0.5), (0.5, 2, 3)]
    ):
        (shapes / f"box{i}.off").write_text(box_off(size))
    spec = importlib.util.spec_from_file_location(
        "pointcloud_recipe", REPO / "recipes/pointcloud.py"
    )
    recipe = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = recipe  # dataclasses look their module up
    spec.loader.exec_module(recipe)
    overrides = [
        "--config",
        str(REPO / "recipes/configs/pointcloud/cpu_ae.yaml"),
        f"exp_dir={root / 'exp'}",
        f"data.train={shapes}",
        "data.num_points=64",
        "model.latent_dim=16",
        "diffusion.num_steps=50",
        "trainer.max_steps=120",
        "trainer.batch_size=6",
        "trainer.learning_rate=2e-3",
        "trainer.ema_rates=[0.9]",
        "trainer.log_every=50",
        "trainer.save_every=0",
        "trainer.sample_every=0",
    ]
    assert recipe.main(overrides) == 0
    return root, shapes


def test_training_lowers_reconstruction_chamfer(trained):
    root, shapes = trained
    clouds = torch.from_numpy(
        normalize(load_clouds(shapes, num_points=64, seed=1).clouds, "shape_unit")
    )
    options = SamplingOptions("ddim", steps=20)
    trained_model = PointCloudGenerator.from_bundle(root / "exp/bundle")
    torch.manual_seed(1234)  # the recipe's initial weights
    diffusion = DiffusionConfig(num_steps=50, beta_end=0.05)
    untrained = PointCloudGenerator(
        build_point_cloud_model(
            PointCloudModelConfig(mode="autoencoder", latent_dim=16), diffusion
        ),
        diffusion,
    )
    cd_trained = chamfer_distance(trained_model.reconstruct(clouds, options=options), clouds).mean()
    cd_untrained = chamfer_distance(untrained.reconstruct(clouds, options=options), clouds).mean()
    print(f"reconstruction CD: trained {cd_trained:.4f}, untrained {cd_untrained:.4f}")
    assert cd_trained < 0.7 * cd_untrained


def test_sample_command_reconstructs_and_evaluates(trained, tmp_path: Path, capsys):
    root, shapes = trained
    out = tmp_path / "recon.npy"
    args = [
        "sample",
        str(root / "exp/bundle"),
        "-o",
        str(out),
        "--steps",
        "10",
        "--sampler",
        "ddim",
    ]
    assert diffmm_main([*args, "--reconstruct", str(shapes)]) == 0
    assert np.load(out).shape == (6, 64, 3) and (tmp_path / "recon_views.png").is_file()
    low = tmp_path / "recon_bf16.npy"
    bf16 = [*args[:3], str(low), *args[4:], "--reconstruct", str(shapes), "--dtype", "bf16"]
    assert diffmm_main(bf16) == 0
    # the precision reaches the network: same noise, bf16 rounding, no blow-up
    assert 0 < np.abs(np.load(low) - np.load(out)).max() < 0.5
    labelled = [*args[:3], str(tmp_path / "labelled.npy"), *args[4:], "--class-label", "1"]
    assert diffmm_main([*labelled, "--reconstruct", str(shapes)]) == 2
    assert "not class-conditional" in capsys.readouterr().err
    assert diffmm_main(args) == 2  # an auto-encoder cannot generate without --reconstruct
    np.save(
        tmp_path / "ref.npy", normalize(load_clouds(shapes, num_points=64).clouds, "shape_unit")
    )
    score = [
        "evaluate",
        "pointclouds",
        "--samples",
        str(out),
        "--reference",
        str(tmp_path / "ref.npy"),
    ]
    assert diffmm_main([*score, "--paired", "--num-points", "64", "--out-dir", str(tmp_path)]) == 0
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["emd_method"] == "exact" and scores["cd"] > 0 and scores["emd"] > 0
