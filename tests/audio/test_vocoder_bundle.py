"""Vocoder bundles: export and reload through the one schema, and the layout written before it.

Tiny random networks; vocoding (or sampling) from the reloaded bundle must be bit-identical to
doing it with the in-memory object that was exported. Bundles in the layout of earlier exports
(config.yaml written here by hand; PriorGrad's σ divided inside the network) still load and
give what the old computation gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import save_file, save_model

from diffmm.audio.mel import get_mel_preset
from diffmm.bundle import load
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.samplers import generate
from diffmm.errors import DiffmmError
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.priorgrad import PriorGradStats, priorgrad_diffusion
from diffmm.models.vocoder import FAST_BETAS, Vocoder

pytestmark = pytest.mark.audio

PRESET = get_mel_preset("hifigan", sample_rate=8000, n_mels=8, hop_length=32, fmax=4000.0)
DIFFUSION = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
STATS = PriorGradStats(PRESET, energy_min=0.05, energy_max=6.0)


def tiny(n_mels: int | None = PRESET.n_mels) -> DiffWave:
    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig(2, 4, 2, n_mels, PRESET.hop_length))
    torch.nn.init.normal_(model.output_projection.weight, std=0.05)  # not the zero init
    return model.eval()


def mels() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return [torch.randn(8, 7, generator=gen) - 3.0, torch.randn(8, 4, generator=gen) - 5.0]


def vocode(vocoder: Vocoder, **kwargs) -> list[torch.Tensor]:
    return vocoder.vocode(mels(), generator=torch.Generator().manual_seed(2), **kwargs)


def assert_same(a: list[torch.Tensor], b: list[torch.Tensor]) -> None:
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("family", ["diffwave", "priorgrad"])
def test_a_reloaded_vocoder_vocodes_bit_identically(tmp_path: Path, family: str) -> None:
    priorgrad = STATS if family == "priorgrad" else None
    diffusion = priorgrad_diffusion(DIFFUSION) if priorgrad is not None else DIFFUSION
    vocoder = Vocoder(tiny(), diffusion, PRESET, FAST_BETAS, priorgrad)
    path = vocoder.export(tmp_path / "bundle")

    reloaded = Vocoder.from_bundle(path)
    assert reloaded.family == family and reloaded.priorgrad == priorgrad
    assert reloaded.to_bundle_config() == vocoder.to_bundle_config()
    for kwargs in ({}, {"steps": 5, "sampler": "ddim"}):
        assert_same(vocode(reloaded, **kwargs), vocode(vocoder, **kwargs))
    assert_same(vocode(Vocoder.from_bundle(load(path))), vocode(vocoder))  # a loaded Bundle
    assert load(path).config["diffusion"]["parameterization"] == diffusion.parameterization


def test_a_reloaded_unconditional_diffwave_samples_bit_identically(tmp_path: Path) -> None:
    generator = DiffusionGenerator("diffwave", tiny(None), DIFFUSION, (1, 256), PRESET.sample_rate)
    path = generator.export(tmp_path / "bundle")
    reloaded = DiffusionGenerator.from_bundle(path)
    assert reloaded.data_shape == (1, 256) and reloaded.sample_rate == PRESET.sample_rate
    for steps in (None, 6):
        expected = generator.sample(3, steps=steps, seed=4)
        assert torch.equal(reloaded.sample(3, steps=steps, seed=4), expected)
    with pytest.raises(DiffmmError, match="diffmm sample"):
        Vocoder.from_bundle(path)


def write_old_bundle(path: Path, family: str, model: DiffWave) -> Path:
    """A bundle as the recipe exported it before the vocoder schema moved into the library."""
    path.mkdir()
    config = {
        "family": family,
        "diffmm_version": "0.1.0",
        "model": config_to_dict(model.cfg),
        "diffusion": {**config_to_dict(DIFFUSION), "parameterization": "eps"},
        "mel_preset": PRESET.to_dict(),
        "sample_rate": PRESET.sample_rate,
        "hop": PRESET.hop_length,
        "fast_betas": FAST_BETAS,
    }
    if family == "priorgrad":
        config["prior"] = {"kind": "priorgrad", "energy_clip": 4.0, "std_min": 0.1}
    if not model.conditional:
        config["data_shape"] = [1, 256]
    (path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    save_model(model, str(path / "model.safetensors"))
    tensors = STATS.to_tensors() if family == "priorgrad" else {}
    save_file(tensors, str(path / "extras.safetensors"))
    return path


class DividesByPriorStd(torch.nn.Module):
    """The PriorGrad network as earlier versions ran it: ε̂ = ε̂_x / σ, σ given as prior_std."""

    def __init__(self, net: DiffWave) -> None:
        super().__init__()
        self.net = net

    def forward(self, audio, steps, condition, prior_std):
        out = self.net(audio, steps, condition=condition)
        return out / prior_std.reshape(out.shape)


@pytest.mark.parametrize("family", ["diffwave", "priorgrad"])
def test_a_vocoder_bundle_in_the_earlier_layout_vocodes_as_before(
    tmp_path: Path, family: str
) -> None:
    model = tiny()
    vocoder = Vocoder.from_bundle(write_old_bundle(tmp_path / "old", family, model))
    assert vocoder.family == family

    # the computation of earlier versions, written out: padded batch, σ twice for PriorGrad
    floor = min(float(m.min()) for m in mels())  # padded with the batch's lowest value
    batch = torch.stack(
        [torch.nn.functional.pad(m, (0, 7 - m.shape[1]), value=floor) for m in mels()]
    )
    net, cond, prior = model, {}, None
    if family == "priorgrad":
        prior = STATS.prior(batch, PRESET.hop_length)
        net, cond = DividesByPriorStd(model), {"prior_std": prior.std}
    with torch.no_grad():
        audio = generate(
            build_denoiser(net, DIFFUSION),
            build_schedule(DIFFUSION).fast_schedule(FAST_BETAS),
            (2, 1, 7 * PRESET.hop_length),
            cond={"condition": model.condition(batch), **cond},
            generator=torch.Generator().manual_seed(2),
            **({} if prior is None else {"prior": prior}),
        )[:, 0].clamp(-1, 1)
    expected = [audio[0], audio[1, : 4 * PRESET.hop_length]]
    assert_same(vocode(vocoder), expected)


def test_an_unconditional_diffwave_bundle_in_the_earlier_layout_samples_as_before(
    tmp_path: Path,
) -> None:
    model = tiny(None)
    reloaded = DiffusionGenerator.from_bundle(write_old_bundle(tmp_path / "old", "diffwave", model))
    expected = DiffusionGenerator("diffwave", model, DIFFUSION, (1, 256), PRESET.sample_rate)
    assert reloaded.sample_rate == PRESET.sample_rate
    assert torch.equal(reloaded.sample(2, seed=5), expected.sample(2, seed=5))
