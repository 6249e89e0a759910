"""Vocoding through the residual stack's inference path: against the plain path, in bf16, chunked.

A tiny random DiffWave/PriorGrad vocoder, exported and reloaded as a bundle, vocodes a batch of
two mels (7 and 4 frames) with the 6-step fast schedule. The plain path is the module graph
(``use_inference_path = False``): the implementation the inference path replaces.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from diffmm.audio.mel import get_mel_preset
from diffmm.diffusion.config import DiffusionConfig
from diffmm.models.chunked_network import ChunkedNetwork
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.priorgrad import PriorGradStats, priorgrad_diffusion
from diffmm.models.vocoder import FAST_BETAS, Vocoder

pytestmark = pytest.mark.audio

PRESET = get_mel_preset("hifigan", sample_rate=8000, n_mels=8, hop_length=32, fmax=4000.0)
DIFFUSION = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
STATS = PriorGradStats(PRESET, energy_min=0.05, energy_max=6.0)
ROUND_OFF = {"rtol": 0.0, "atol": 1e-5}  # waveforms in [-1, 1]; measured ≤ 1e-6
BF16_RELATIVE = 3e-2  # relative L2 error of bf16 waveforms; measured 3.5e-3 and 4.6e-3


def reloaded_vocoder(tmp_path: Path, family: str) -> Vocoder:
    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig(6, 8, 3, PRESET.n_mels, PRESET.hop_length))
    for layer in model.residual_stack.layers:
        torch.nn.init.normal_(layer.dilated_conv.bias, std=0.2)
        torch.nn.init.normal_(layer.output_projection.bias, std=0.2)
    torch.nn.init.normal_(model.output_projection.weight, std=0.3)  # not the zero init
    priorgrad = STATS if family == "priorgrad" else None
    diffusion = priorgrad_diffusion(DIFFUSION) if priorgrad is not None else DIFFUSION
    path = Vocoder(model.eval(), diffusion, PRESET, FAST_BETAS, priorgrad).export(tmp_path / "b")
    return Vocoder.from_bundle(path)


def mels() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return [torch.randn(8, 7, generator=gen) - 3.0, torch.randn(8, 4, generator=gen) - 5.0]


def vocode(vocoder: Vocoder, plain: bool = False, **kwargs) -> list[torch.Tensor]:
    vocoder.model.residual_stack.use_inference_path = not plain
    try:
        return vocoder.vocode(mels(), generator=torch.Generator().manual_seed(2), **kwargs)
    finally:
        vocoder.model.residual_stack.use_inference_path = True


@pytest.mark.parametrize("family", ["diffwave", "priorgrad"])
def test_the_inference_path_vocodes_as_the_plain_path(tmp_path: Path, family: str) -> None:
    vocoder = reloaded_vocoder(tmp_path, family)
    expected = vocode(vocoder, plain=True)
    for fast, want in zip(vocode(vocoder), expected):
        assert fast.abs().max() > 0.05  # a waveform, not zeros
        torch.testing.assert_close(fast, want, **ROUND_OFF)
    for fast, want in zip(vocode(vocoder, steps=8, sampler="ddim"), vocode(vocoder, True, steps=8)):
        assert fast.shape == want.shape


@pytest.mark.parametrize("family", ["diffwave", "priorgrad"])
def test_bf16_vocodes_close_to_fp32(tmp_path: Path, family: str) -> None:
    vocoder = reloaded_vocoder(tmp_path, family)
    for low, full in zip(vocode(vocoder, dtype="bf16"), vocode(vocoder)):
        assert float((low - full).norm() / full.norm()) < BF16_RELATIVE


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_chunked_vocoding_equals_unchunked(tmp_path: Path, dtype: str) -> None:
    vocoder = reloaded_vocoder(tmp_path, "diffwave")
    # 2 utterances × 7 frames × 32 samples; 100 samples per chunk over the batch: 50 each
    chunked = vocode(vocoder, dtype=dtype, chunk_seconds=100 / PRESET.sample_rate)
    whole = vocode(vocoder, dtype=dtype, chunk_seconds=None)
    for a, b in zip(chunked, whole):
        if dtype == "fp32":
            torch.testing.assert_close(a, b, **ROUND_OFF)
        else:  # a row's bf16 GEMM may round differently in a differently sized block
            assert float((a - b).norm() / b.norm()) < BF16_RELATIVE


def test_a_chunked_network_sees_what_the_whole_network_sees() -> None:
    torch.manual_seed(3)
    model = DiffWave(DiffWaveConfig(6, 8, 3, 8, 32)).eval()
    torch.nn.init.normal_(model.output_projection.weight, std=0.3)
    mel, audio = torch.randn(2, 8, 9), torch.randn(2, 1, 9 * 32)
    steps = torch.tensor([4.0, 4.0])
    with torch.no_grad():
        upsampled = model.upsample(mel)
        whole = model(audio, steps, upsampled=upsampled)
        assert model.residual_stack.receptive_field == 2 * (1 + 2 + 4)
        for chunk in (1, 13, 50, 9 * 32):
            chunked = ChunkedNetwork(model, upsampled, chunk)(audio, steps)
            torch.testing.assert_close(chunked, whole, rtol=0.0, atol=1e-6)
        with pytest.raises(ValueError, match="covers 288 samples"):
            ChunkedNetwork(model, upsampled, 10)(audio[..., :100], steps)
