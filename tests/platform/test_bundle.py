"""Model bundles and the family registry: round trip, family checks, damaged bundles."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch
import yaml
from safetensors import safe_open
from torch import nn

import diffmm
from diffmm.bundle import copy_bundle, export_bundle, load
from diffmm.errors import DiffmmError
from diffmm.models import get_family, known_families, register_family

pytestmark = pytest.mark.platform


class TiedMLP(nn.Module):
    """An MLP with a BatchNorm buffer and a layer sharing the input layer's weight (tied tensors)."""

    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.inp = nn.Linear(width, hidden)
        self.tied = nn.Linear(width, hidden, bias=False)
        self.tied.weight = self.inp.weight
        self.out = nn.Linear(hidden, width)
        self.norm = nn.BatchNorm1d(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.norm(self.inp(x) + self.tied(x))))


@register_family("test-mlp")
def build_test_mlp(config: dict) -> nn.Module:
    return TiedMLP(config["width"], config["hidden"])


@register_family("test-other")
def build_test_other(config: dict) -> nn.Module:
    return nn.Linear(config["width"], config["width"])


def exported(tmp_path: Path, **kwargs) -> tuple[Path, nn.Module]:
    torch.manual_seed(0)
    model = TiedMLP(3, 5).eval()
    with torch.no_grad():
        model.norm.running_mean.uniform_()
    path = export_bundle(
        tmp_path / "bundle",
        family="test-mlp",
        config={"width": 3, "hidden": 5, "schedule": {"num_steps": 50}},
        model=model,
        **kwargs,
    )
    return path, model


def test_round_trip_gives_equal_outputs_tensors_and_files(tmp_path: Path) -> None:
    notes = tmp_path / "symbols.txt"
    notes.write_text("a b c\n")
    stats = {"prior_std": torch.linspace(0.1, 1.0, 7)}
    path, model = exported(tmp_path, tensors=stats, files={"symbols.txt": notes})
    bundle = diffmm.load(path, expected_family="test-mlp")
    assert bundle.family == "test-mlp" and bundle.diffmm_version == diffmm.__version__
    assert bundle.config == {"width": 3, "hidden": 5, "schedule": {"num_steps": 50}}
    assert not bundle.model.training
    x = torch.randn(4, 3)
    assert torch.equal(bundle.model(x), model(x))
    assert bundle.model.tied.weight is bundle.model.inp.weight
    assert torch.equal(bundle.tensors["prior_std"], stats["prior_std"])
    assert bundle.file("symbols.txt").read_text() == "a b c\n"
    header = yaml.safe_load((path / "config.yaml").read_text())
    assert header["family"] == "test-mlp" and "diffmm_version" in header


def test_export_overwrites_an_existing_bundle(tmp_path: Path) -> None:
    path, _ = exported(tmp_path, tensors={"old": torch.zeros(1)})
    path, _ = exported(tmp_path)
    assert load(path).tensors == {}
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no temp dirs left


def test_expected_family_mismatch(tmp_path: Path) -> None:
    path, _ = exported(tmp_path)
    with pytest.raises(
        DiffmmError, match=r"bundle .*bundle is a 'test-mlp' model, expected 'toy2'"
    ):
        load(path, expected_family="toy2")


def test_missing_directory_and_files(tmp_path: Path) -> None:
    with pytest.raises(DiffmmError, match=r"bundle directory .*nowhere does not exist"):
        load(tmp_path / "nowhere")
    path, _ = exported(tmp_path)
    (path / "model.safetensors").unlink()
    with pytest.raises(DiffmmError, match=r"has no model\.safetensors"):
        load(path)
    (path / "config.yaml").unlink()
    with pytest.raises(DiffmmError, match=r"has no config\.yaml"):
        load(path)


def test_corrupt_weights_are_a_clear_error(tmp_path: Path) -> None:
    path, _ = exported(tmp_path)
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])
    with pytest.raises(
        DiffmmError, match=r"cannot load .*model\.safetensors into a 'test-mlp' model"
    ):
        load(path)


def test_state_dict_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    path, _ = exported(tmp_path)
    config = yaml.safe_load((path / "config.yaml").read_text())
    config["hidden"] = 6
    (path / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(DiffmmError, match="cannot load"):
        load(path)


def test_registry_lists_known_families_and_rejects_duplicates() -> None:
    assert {"test-mlp", "test-other"} <= set(known_families())
    assert get_family("test-mlp") is build_test_mlp
    with pytest.raises(
        DiffmmError, match=r"unknown model family 'nope'; known families: .*test-mlp"
    ):
        get_family("nope")
    with pytest.raises(DiffmmError, match="already registered"):
        register_family("test-mlp", build_test_other)


def test_bundles_never_unpickle(tmp_path: Path) -> None:
    path, _ = exported(tmp_path)
    names = sorted(p.name for p in path.iterdir())
    assert names == ["config.yaml", "extras.safetensors", "model.safetensors"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_every_bundle_file_gets_the_umask_mode(tmp_path: Path, umask: int) -> None:
    extra = tmp_path / "symbols.txt"
    extra.write_text("a b c\n")
    extra.chmod(0o600)  # a private source file must not keep its mode inside the bundle
    previous = os.umask(umask)
    try:
        path, _ = exported(tmp_path, files={"symbols.txt": extra})
    finally:
        os.umask(previous)
    modes = {entry.name: stat.S_IMODE(entry.stat().st_mode) for entry in path.iterdir()}
    assert set(modes) == {"config.yaml", "model.safetensors", "extras.safetensors", "symbols.txt"}
    assert set(modes.values()) == {0o666 & ~umask}, {k: oct(v) for k, v in modes.items()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o777 & ~umask


def test_fp16_weights_halve_the_file_and_load_back_as_fp32(tmp_path: Path) -> None:
    full, model = exported(tmp_path / "fp32")
    half = copy_bundle(full, tmp_path / "fp16", weights_dtype=torch.float16)
    with safe_open(str(half / "model.safetensors"), "pt") as stored:
        dtypes = {name: stored.get_tensor(name).dtype for name in stored.keys()}
    assert dtypes["inp.weight"] == dtypes["out.bias"] == torch.float16
    assert dtypes["norm.running_mean"] == torch.float32
    loaded = load(half).model
    for name, parameter in loaded.named_parameters():
        assert parameter.dtype == torch.float32
        expected = dict(model.named_parameters())[name].detach().half().float()
        assert torch.equal(parameter, expected), name
    assert loaded.tied.weight is loaded.inp.weight
    # buffers keep full precision: uniform(0, 1) draws are not representable in fp16
    assert torch.equal(loaded.norm.running_mean, model.norm.running_mean)
    assert not torch.equal(model.norm.running_mean.half().float(), model.norm.running_mean)


def test_provenance_round_trips_and_copy_keeps_tensors_and_files(tmp_path: Path) -> None:
    note = tmp_path / "README.txt"
    note.write_text("card")
    provenance = {"command": "egs/x/run.sh --stage 3", "scores": {"mel_l1": 1.25}}
    path, _ = exported(
        tmp_path / "a", tensors={"mu": torch.arange(3.0)}, files={"README.txt": note}
    )
    assert load(path).provenance is None
    copied = load(copy_bundle(path, tmp_path / "b", provenance=provenance))
    assert copied.provenance == provenance
    assert "provenance" not in copied.config
    assert torch.equal(copied.tensors["mu"], torch.arange(3.0))
    assert (copied.path / "README.txt").read_text() == "card"
    again = load(copy_bundle(copied.path, tmp_path / "c", weights_dtype=torch.float16))
    assert again.provenance == provenance  # kept when not replaced
    with pytest.raises(ValueError, match="reserved key 'provenance'"):
        export_bundle(
            tmp_path / "d",
            family="test-mlp",
            config={"width": 3, "hidden": 5, "provenance": {}},
            model=TiedMLP(3, 5),
        )


def test_info_names_the_training_command_and_stated_scores(tmp_path: Path) -> None:
    from diffmm.cli.info import describe_bundle

    path, _ = exported(tmp_path, provenance={"command": "run.sh --stage 3", "scores": {"fid": 9.5}})
    lines = describe_bundle(str(path))
    assert "  trained by: run.sh --stage 3" in lines
    assert "  stated score fid: 9.5" in lines
