"""Tiny bundles of the five kinds ``diffmm demo`` runs, named as the shipped ones, so that the
demo's tests never depend on the shipped weights: random weights, a few thousand parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from diffmm.audio.mel import get_mel_preset
from diffmm.bundle import copy_bundle
from diffmm.diffusion.config import DiffusionConfig
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.gradtts import GradTTS, GradTTSConfig
from diffmm.models.gradtts.synthesizer import SamplingDefaults, TextToMel
from diffmm.models.image import ImageModelConfig, ImageUNet
from diffmm.models.image_classifier import ClassifierConfig, FeatureClassifier, ImageClassifier
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.models.vocoder import FAST_BETAS, Vocoder
from diffmm.text.frontend import english_symbol_table
from diffmm.timeseries import TimeFeatureSpec

PRESET = get_mel_preset("hifigan", sample_rate=16000)
SENSORS = [
    "Birrarung Marr",
    "Bourke Street Mall (North)",
    "QV Market-Elizabeth St (West)",
    "Southern Cross Station",
]
CLASSES = tuple(f"class {k}" for k in range(10))
# what a shipped bundle's config.yaml records; the report must show both
VOCODER_PROVENANCE = {
    "command": "egs/mini_speech/diffwave/run.sh --tiny",
    "scores": {"log_mel_l1": 0.75, "mcd_db": 6.5},
}


def jitter(model: torch.nn.Module, scale: float = 0.1) -> torch.nn.Module:
    """Random weights everywhere (zero-initialised output layers would hide the conditioning)."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(scale * torch.randn_like(parameter))
    return model.eval()


def vocoder() -> Vocoder:
    net = jitter(DiffWave(DiffWaveConfig(2, 4, 2, PRESET.n_mels, PRESET.hop_length)), 0.05)
    return Vocoder(net, DiffusionConfig(num_steps=50, beta_end=0.05), PRESET, FAST_BETAS)


def acoustic() -> TextToMel:
    table = english_symbol_table()
    sizes = dict(encoder_channels=16, encoder_hidden=32, encoder_layers=1, duration_channels=16)
    # PriorGrad-AM's WaveNet decoder: the UNet's attention over every frame costs seconds
    decoder = dict(
        decoder="wavenet", decoder_channels=8, decoder_layers=2, decoder_dilation_cycle=2
    )
    model = GradTTS(GradTTSConfig(n_vocab=len(table), n_feats=80, **sizes, **decoder)).eval()
    # log-durations of log 3: three frames per token
    torch.nn.init.zeros_(model.encoder.duration_predictor.projection.weight)
    torch.nn.init.constant_(model.encoder.duration_predictor.projection.bias, float(np.log(3.0)))
    flow = DiffusionConfig(
        schedule="flow", sigma_min=1e-4, time_scale=1000.0, parameterization="flow"
    )
    return TextToMel(model, flow, PRESET, table, True, None, SamplingDefaults("euler", 3))


def forecaster() -> TimeGradPredictor:
    features = TimeFeatureSpec("h")
    cfg = TimeGradModelConfig(
        len(SENSORS), [1, 24], features.num_features, 6, 24, hidden_size=8, dropout=0.0
    )
    model = jitter(TimeGrad(cfg), 0.05)
    diffusion = DiffusionConfig(num_steps=10, beta_start=1e-4, beta_end=0.2)
    return TimeGradPredictor(model, diffusion, features, SENSORS)


def image_generator() -> DiffusionGenerator:
    cfg = ImageModelConfig(
        in_channels=1,
        model_channels=8,
        channel_mult=[1, 2],
        num_res_blocks=1,
        attention_resolutions=[],
        dropout=0.0,
        num_classes=len(CLASSES),
        null_class=True,
    )
    diffusion = DiffusionConfig(schedule="linear", num_steps=100, beta_end=0.2, clip_x0=[-1, 1])
    return DiffusionGenerator("image", jitter(ImageUNet(cfg)), diffusion, (1, 28, 28))


def classifier() -> FeatureClassifier:
    net = jitter(ImageClassifier(ClassifierConfig(width=8, feature_dim=16)), 0.05)
    return FeatureClassifier(net, CLASSES, "unsaved")


def write_demo_bundles(root: Path) -> Path:
    """The five bundles under ``root`` (the vocoder with a provenance); returns ``root``."""
    torch.manual_seed(0)
    vocoder().export(root / "plain_vocoder")
    copy_bundle(root / "plain_vocoder", root / "vocoder", provenance=VOCODER_PROVENANCE)
    acoustic().export(root / "tts")
    forecaster().export(root / "forecast")
    image_generator().export(root / "images")
    classifier().export(root / "images_classifier")
    return root
