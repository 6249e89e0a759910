"""DiffWave / PriorGrad recipe: a mel-conditioned (or unconditional) waveform diffusion model.

    python recipes/diffwave.py --config recipes/configs/diffwave/ljspeech_base.yaml [key=value ...]

Reads a Kaldi data dir and its feature dump (egs stages 1-3), trains on random crops with the
shared trainer (resuming from the experiment directory), vocodes a few held-out utterances at
each validation (log-mel L1 against their reference mels) and exports a bundle to
``<exp_dir>/bundle``. ``prior.kind: priorgrad`` trains the PriorGrad vocoder with the stage-3
frame-energy statistics; ``model.n_mels: null`` trains the unconditional model on fixed-length
crops.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from accelerate.utils import set_seed

from diffmm.audio.mel import get_mel_preset
from diffmm.config import config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_schedule
from diffmm.errors import run_entry_point
from diffmm.metrics.vocoder_validation import VocoderValidation
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.priorgrad import ENERGY_CLIP, STD_MIN, PriorGradStats, priorgrad_diffusion
from diffmm.models.vocoder import FAST_BETAS
from diffmm.models.vocoder_training import (
    UtteranceDataset,
    WaveformSpec,
    check_vocoder_config,
    crop_loss,
    keep_list,
)
from diffmm.training import Trainer, TrainerConfig


@dataclass
class DataConfig:
    train_dir: str = "data/train"
    valid_dir: str = "data/valid"
    train_feats: str = "dump/train/feats.scp"
    valid_feats: str = "dump/valid/feats.scp"
    stats: str = "dump/train/stats"  # stage 3 (.npz); PriorGrad's energy range
    crop_frames: int = 62  # mel frames per training crop (DiffWave/PriorGrad code: 62)
    segment_length: int = 16000  # unconditional: samples per crop (and per generated clip)
    cache_audio: bool = False  # hold every training waveform in memory (small corpora)


@dataclass
class MelConfig:
    preset: str = "hifigan"
    sample_rate: int | None = None  # overrides of the named preset
    hop_length: int | None = None


@dataclass
class PriorConfig:
    kind: Literal["standard", "priorgrad"] = "standard"
    energy_clip: float | None = ENERGY_CLIP
    std_min: float = STD_MIN


@dataclass
class EvalConfig:
    fast_betas: list[float] | None = field(default_factory=lambda: list(FAST_BETAS))
    sampler: str = "ddpm"
    num_utterances: int = 2  # held-out utterances vocoded at each validation
    max_frames: int = 200  # each cut to at most this many frames


@dataclass
class DiffWaveRecipeConfig:
    exp_dir: str = "exp/diffwave"
    data: DataConfig = field(default_factory=DataConfig)
    mel: MelConfig = field(default_factory=MelConfig)
    model: DiffWaveConfig = field(default_factory=DiffWaveConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    prior: PriorConfig = field(default_factory=PriorConfig)
    loss_norm: Literal["l2", "l1"] = "l2"
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(DiffWaveRecipeConfig, __doc__, argv)
    overrides = {"sample_rate": cfg.mel.sample_rate, "hop_length": cfg.mel.hop_length}
    preset = get_mel_preset(cfg.mel.preset, **{k: v for k, v in overrides.items() if v is not None})
    check_vocoder_config(cfg.model, preset, priorgrad=cfg.prior.kind == "priorgrad")
    conditional = cfg.model.n_mels is not None
    train_set = UtteranceDataset(
        cfg.data.train_dir,
        preset,
        cfg.data.train_feats if conditional else None,
        cache=cfg.data.cache_audio,
    )
    valid_set = UtteranceDataset(
        cfg.data.valid_dir, preset, cfg.data.valid_feats if conditional else None
    )

    priorgrad, diffusion = None, cfg.diffusion
    if cfg.prior.kind == "priorgrad":
        priorgrad = PriorGradStats.from_stats(
            cfg.data.stats, preset, energy_clip=cfg.prior.energy_clip, std_min=cfg.prior.std_min
        )
        diffusion = priorgrad_diffusion(cfg.diffusion)  # the network predicts noise in data units
    spec = WaveformSpec(diffusion, preset, cfg.eval.fast_betas, priorgrad, cfg.data.segment_length)
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    model = DiffWave(cfg.model)
    hop = preset.hop_length
    crop_samples = cfg.data.crop_frames * hop if conditional else cfg.data.segment_length
    loss_fn = crop_loss(
        build_schedule(diffusion), diffusion, crop_samples, hop, priorgrad=priorgrad,
        norm=cfg.loss_norm,
    )  # fmt: skip
    validation = VocoderValidation(
        spec, valid_set, cfg.eval.sampler, cfg.eval.num_utterances, cfg.eval.max_frames
    )

    trainer = Trainer(
        model,
        loss_fn,
        train_set,
        cfg.trainer,
        cfg.exp_dir,
        collate_fn=keep_list,
        val_fn=validation.val_fn,
        sample_fn=validation.sample_fn,
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        path = spec.inference(trainer.ema_model()).export(Path(cfg.exp_dir) / "bundle")
        print(f"exported bundle to {path}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/diffwave.py", main))
