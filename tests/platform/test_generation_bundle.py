"""The sampling schema (toy family): export → reload samples bit-identically; bad requests fail
before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.toy import ToyMLP, ToyModelConfig

DIFFUSION = DiffusionConfig(schedule="cosine", num_steps=50)


def toy_generator(num_classes: int | None = 3) -> DiffusionGenerator:
    torch.manual_seed(0)
    model = ToyMLP(ToyModelConfig(dim=2, hidden=16, num_layers=2, num_classes=num_classes)).eval()
    return DiffusionGenerator("toy", model, DIFFUSION, (2,))


@pytest.mark.parametrize("sampler, steps", [("ddpm", None), ("dpmpp_2m", 7), ("heun", 5)])
def test_reloaded_bundle_samples_bit_identically(tmp_path: Path, sampler: str, steps) -> None:
    generator = toy_generator()
    path = generator.export(tmp_path / "bundle")
    reloaded = DiffusionGenerator.from_bundle(path)
    assert reloaded.data_shape == (2,) and reloaded.num_classes == 3
    assert reloaded.diffusion == DIFFUSION
    options = {"sampler": sampler, "steps": steps, "batch_size": 4, "seed": 3}
    for label in (None, 2):
        expected = generator.sample(10, class_label=label, **options)
        torch.testing.assert_close(
            reloaded.sample(10, class_label=label, **options), expected, rtol=0, atol=0
        )
    config = yaml.safe_load((path / "config.yaml").read_text())
    assert set(config) == {"family", "diffmm_version", "model", "diffusion", "data_shape"}


def test_batches_share_one_noise_stream() -> None:
    """The first batch of a run is the same whatever follows it; labels do not move the noise."""
    generator = toy_generator()
    ten = generator.sample(10, batch_size=4, seed=5, class_label=1)
    four = generator.sample(4, batch_size=4, seed=5, class_label=1)
    torch.testing.assert_close(ten[:4], four, rtol=0, atol=0)
    assert not torch.equal(generator.sample(4, seed=5, class_label=0), four)


def test_bad_requests_fail_before_sampling(tmp_path: Path) -> None:
    conditional, plain = toy_generator(), toy_generator(num_classes=None)
    with pytest.raises(DiffmmError, match=r"lie in \[0, 3\), got 3"):
        conditional.sample(2, class_label=3)
    with pytest.raises(DiffmmError, match="unconditional"):
        plain.sample(2, class_label=0)
    with pytest.raises(DiffmmError, match="positive"):
        plain.sample(0)
    with pytest.raises(ValueError, match="51"):
        plain.check_request(steps=51)
    other = plain.export(tmp_path / "b")
    config = yaml.safe_load((other / "config.yaml").read_text())
    del config["data_shape"]
    (other / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(DiffmmError, match="cannot be sampled"):
        DiffusionGenerator.from_bundle(other)
