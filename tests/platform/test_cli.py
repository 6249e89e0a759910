"""The ``diffmm`` command on small untrained bundles: outputs, class labels, user errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from diffmm.bundle import export_bundle, load
from diffmm.cli.main import main
from diffmm.errors import DiffmmError
from diffmm.models.toy import ToyMLP, ToyModelConfig

DIFFUSION = {"schedule": "linear", "num_steps": 50, "beta_start": 1e-4, "beta_end": 0.2}


def make_bundle(path: Path, num_classes: int | None = None) -> Path:
    model_cfg = ToyModelConfig(
        dim=2, hidden=16, num_layers=1, time_embed_dim=8, num_classes=num_classes
    )
    torch.manual_seed(0)
    net = ToyMLP(model_cfg)
    config = {"model": vars(model_cfg), "diffusion": DIFFUSION, "data_shape": [2]}
    return export_bundle(path, family="toy", config=config, model=net)


def test_sample_writes_npy_of_the_bundles_shape_and_is_seeded(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b")
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    assert (
        main(["sample", str(bundle), "-o", str(a), "-n", "10", "--batch-size", "4", "--seed", "7"])
        == 0
    )
    assert (
        main(["sample", str(bundle), "-o", str(b), "-n", "10", "--batch-size", "4", "--seed", "7"])
        == 0
    )
    first, second = np.load(a), np.load(b)
    assert first.shape == (10, 2) and np.isfinite(first).all()
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("sampler", ["ddim", "dpmpp_2m", "heun"])
def test_any_engine_sampler_at_any_step_count(tmp_path: Path, sampler: str) -> None:
    bundle = make_bundle(tmp_path / "b")
    out = tmp_path / f"{sampler}.npy"
    assert (
        main(
            ["sample", str(bundle), "-o", str(out), "-n", "5", "--sampler", sampler, "--steps", "7"]
        )
        == 0
    )
    assert np.load(out).shape == (5, 2)


def test_class_conditional_sampling_uses_the_label(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", num_classes=3)
    outs = []
    for label in (0, 2):
        out = tmp_path / f"c{label}.npy"
        assert (
            main(
                [
                    "sample",
                    str(bundle),
                    "-o",
                    str(out),
                    "-n",
                    "6",
                    "--class-label",
                    str(label),
                    "--seed",
                    "1",
                ]
            )
            == 0
        )
        outs.append(np.load(out))
    assert not np.allclose(outs[0], outs[1])


def test_user_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    plain, conditional = (
        make_bundle(tmp_path / "plain"),
        make_bundle(tmp_path / "cond", num_classes=3),
    )
    cases = [
        (
            ["sample", str(plain), "-o", str(tmp_path / "x.npy"), "--class-label", "1"],
            "unconditional",
        ),
        (
            ["sample", str(conditional), "-o", str(tmp_path / "x.npy"), "--class-label", "3"],
            "class-label",
        ),
        (["sample", str(plain), "-o", str(tmp_path / "x.txt")], ".npy or .png"),
        (["sample", str(plain), "-o", str(tmp_path / "x.npy"), "--steps", "51"], "51"),
        (["sample", str(tmp_path / "absent"), "-o", str(tmp_path / "x.npy")], "absent"),
    ]
    for argv, named in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert named in err and len(err.splitlines()) == 1, err


def test_info_describes_environment_and_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bundle = make_bundle(tmp_path / "b", num_classes=3)
    assert main(["info", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert f"torch {torch.__version__}" in out
    assert "family: toy" in out and "sample shape: (2,)" in out
    params = sum(p.numel() for p in ToyMLP(ToyModelConfig(2, 16, 1, 8, 3)).parameters())
    assert f"parameters: {params:,}" in out


def test_a_bundle_of_another_family_is_refused(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b")
    with pytest.raises(DiffmmError, match="toy"):
        load(bundle, expected_family="diffwave")
