"""Typed YAML configs: round trip, unknown keys, types, choices, overrides, missing files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from diffmm.config import ConfigError, config_to_dict, load_config, save_config
from diffmm.errors import DiffmmError
from diffmm.training import TrainerConfig

pytestmark = pytest.mark.platform


@dataclass
class Optim:
    lr: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    mode: Literal["sgd", "adam"] = "adam"
    tags: list[str] = field(default_factory=list)


@dataclass
class Recipe:
    name: str
    optim: Optim = field(default_factory=Optim)
    steps: int = 10
    warm: bool = False
    limit: int | None = None
    weights: dict[str, float] = field(default_factory=dict)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf.yaml"
    path.write_text(text)
    return path


def test_round_trip_through_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: demo\noptim: {lr: 3, betas: [0.5, 0.6], mode: sgd, tags: [a, b]}\n"
        "limit: 7\nweights: {x: 1.5}\ntrainer: {max_steps: 5, ema_rates: [0.9, 0.99]}\n",
    )
    cfg = load_config(Recipe, path)
    assert cfg.optim == Optim(lr=3.0, betas=(0.5, 0.6), mode="sgd", tags=["a", "b"])
    assert isinstance(cfg.optim.lr, float)  # an int is accepted for a float field
    assert cfg.trainer.ema_rates == (0.9, 0.99) and cfg.trainer.batch_size == 32
    save_config(cfg, tmp_path / "saved.yaml")
    again = load_config(Recipe, tmp_path / "saved.yaml")
    assert again == cfg
    assert config_to_dict(again)["optim"]["betas"] == [0.5, 0.6]


def test_unknown_nested_key_names_the_dotted_key(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\noptim: {lrr: 0.1}\n")
    with pytest.raises(
        ConfigError, match=r"unknown config key 'optim\.lrr' \(did you mean 'optim\.lr'"
    ):
        load_config(Recipe, path)
    with pytest.raises(ConfigError, match=r"'trainer\.max_step'"):
        load_config(Recipe, write(tmp_path, "name: d\ntrainer: {max_step: 3}\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: ten", r"'steps': expected int, got str 'ten'"),
        ("steps: 1.5", r"'steps': expected int, got float"),
        ("steps: true", r"'steps': expected int, got bool"),
        ("warm: 1", r"'warm': expected bool, got int"),
        ("optim: {lr: fast}", r"'optim\.lr': expected float, got str"),
        ("optim: {betas: [0.5]}", r"'optim\.betas': expected 2 items, got 1"),
        ("optim: {tags: [a, 3]}", r"'optim\.tags\[1\]': expected str, got int"),
        ("weights: {x: a}", r"'weights\.x': expected float"),
        ("limit: [1]", r"'limit': expected int, got list"),
        ("optim: 3", r"'optim': expected a section"),
    ],
)
def test_wrong_type_names_key_expected_and_got(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(Recipe, write(tmp_path, f"name: demo\n{text}\n"))


def test_literal_choices(tmp_path: Path) -> None:
    assert load_config(Recipe, None, ["name=x", "optim.mode=sgd"]).optim.mode == "sgd"
    with pytest.raises(
        ConfigError, match=r"'optim\.mode': expected one of \['sgd', 'adam'\], got 'rms'"
    ):
        load_config(Recipe, None, ["name=x", "optim.mode=rms"])
    with pytest.raises(ConfigError, match=r"trainer\.lr_schedule"):
        load_config(Recipe, None, ["name=x", "trainer.lr_schedule=step"])


def test_dotted_overrides_nested_list_and_null(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\nlimit: 3\n")
    cfg = load_config(
        Recipe,
        path,
        [
            "optim.lr=0.5",
            "optim.tags=[x, y]",
            "steps=3",
            "limit=null",
            "trainer.adam_betas=[0.8, 0.95]",
            "weights.extra=2",
        ],
    )
    assert cfg.optim.lr == 0.5 and cfg.optim.tags == ["x", "y"] and cfg.steps == 3
    assert cfg.limit is None and cfg.trainer.adam_betas == (0.8, 0.95)
    assert cfg.weights == {"extra": 2.0}
    with pytest.raises(ConfigError, match=r"unknown config key 'optim\.momentum'"):
        load_config(Recipe, path, ["optim.momentum=0.9"])
    with pytest.raises(ConfigError, match="must look like key=value"):
        load_config(Recipe, path, ["steps"])
    with pytest.raises(ConfigError, match="'limit' is not a section"):
        load_config(Recipe, path, ["limit.value=1"])


def test_yaml_1_1_exponent_floats_are_accepted() -> None:
    # PyYAML reads 1e-4 (no dot) as a string; a float field still takes it
    assert load_config(Recipe, None, ["name=x", "optim.lr=1e-4"]).optim.lr == 1e-4


def test_missing_file_and_missing_required_key(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=f"config file '{missing}' does not exist"):
        load_config(Recipe, missing)
    with pytest.raises(ConfigError, match="missing required config key 'name'"):
        load_config(Recipe, write(tmp_path, "steps: 3\n"))


def test_validation_in_dataclasses_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"trainer\.max_steps must be >= 1"):
        load_config(Recipe, None, ["name=x", "trainer.max_steps=0"])
    with pytest.raises(ConfigError, match=r"trainer\.ema_rates must lie in \(0, 1\)"):
        load_config(Recipe, None, ["name=x", "trainer.ema_rates=[1.5]"])


def test_config_error_is_a_user_error() -> None:
    assert issubclass(ConfigError, DiffmmError) and issubclass(ConfigError, ValueError)
