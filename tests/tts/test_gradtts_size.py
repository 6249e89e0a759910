"""The paper-size configs build Grad-TTS's 14.8M-parameter model (Popov et al. 2021, Table 1).

The exact figure 14,835,032 is what the released Grad-TTS code (huawei-noah/Speech-Backbones,
params.py: 149 symbols, encoder 6 × 192, filter 768, duration filter 256, decoder dim 64) builds
when instantiated; its encoder has 7,200,145 parameters and its decoder 7,634,887."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from diffmm.config import load_config
from diffmm.models.gradtts.model import GradTTS, GradTTSConfig, count_parameters
from diffmm.text.frontend import english_symbol_table

pytestmark = pytest.mark.tts

RELEASED_TOTAL, RELEASED_ENCODER, RELEASED_DECODER = 14_835_032, 7_200_145, 7_634_887
RELEASED_SYMBOLS = 149


def paper_model(repo_root: Path, name: str, n_vocab: int) -> GradTTS:
    """The recipe's model config ``name``, built without training."""
    spec = importlib.util.spec_from_file_location(
        "gradtts_size_recipe", repo_root / "recipes" / "gradtts.py"
    )
    recipe = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = recipe  # its config dataclasses resolve their annotations there
    spec.loader.exec_module(recipe)
    path = repo_root / "recipes" / "configs" / "gradtts" / name
    cfg = load_config(recipe.GradTTSRecipeConfig, path)
    cfg.model.n_vocab = n_vocab
    return GradTTS(cfg.model)


@pytest.mark.parametrize("name", ["ljspeech.yaml", "ljspeech_flow.yaml"])
def test_ljspeech_configs_have_the_paper_size(repo_root: Path, name: str) -> None:
    model = paper_model(repo_root, name, len(english_symbol_table()))
    assert abs(count_parameters(model) - 14.8e6) <= 0.5e6


def test_layout_matches_the_released_code(repo_root: Path) -> None:
    model = paper_model(repo_root, "ljspeech.yaml", RELEASED_SYMBOLS)
    assert count_parameters(model.encoder) == RELEASED_ENCODER
    assert count_parameters(model.decoder) == RELEASED_DECODER
    assert count_parameters(model) == RELEASED_TOTAL


def test_grad_unet_masks_padding_and_odd_lengths() -> None:
    torch.manual_seed(0)
    model = GradTTS(GradTTSConfig(n_vocab=10, decoder="grad_unet", decoder_channels=8))
    for gate in model.decoder.modules():  # open the ReZero gates so attention takes part
        if hasattr(gate, "gate"):
            gate.gate.data.fill_(0.5)
    x_t, mu = torch.randn(2, 80, 23), torch.randn(2, 80, 23)
    mask = torch.ones(2, 1, 23)
    mask[1, :, 17:] = 0
    out = model.decoder(x_t, torch.tensor([10.0, 900.0]), mu, mask)
    assert out.shape == (2, 80, 23)
    assert torch.all(out[1, :, 17:] == 0)
    assert torch.isfinite(out).all() and out[0].abs().sum() > 0
