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

import torch
from accelerate.utils import set_seed

from diffmm.audio.features import PRESET_FILE, load_preset
from diffmm.audio.io import save_audio
from diffmm.audio.mel import MelSpectrogram, check_same_preset, get_mel_preset
from diffmm.bundle import export_bundle
from diffmm.config import ConfigError, config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.samplers import generate
from diffmm.errors import run_entry_point
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.priorgrad import ENERGY_CLIP, STD_MIN, PriorGradStats, priorgrad_diffusion
from diffmm.models.vocoder import FAST_BETAS, Vocoder
from diffmm.models.vocoder_training import (
    UtteranceDataset,
    keep_list,
    random_crops,
    vocoder_loss,
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


def check_config(cfg: DiffWaveRecipeConfig, preset) -> None:
    if cfg.model.hop != preset.hop_length:
        raise ConfigError(
            f"model.hop={cfg.model.hop} but the mel preset's hop is {preset.hop_length}"
        )
    if cfg.model.n_mels is not None and cfg.model.n_mels != preset.n_mels:
        raise ConfigError(f"model.n_mels={cfg.model.n_mels} but the mel preset has {preset.n_mels}")
    if cfg.prior.kind == "priorgrad" and cfg.model.n_mels is None:
        raise ConfigError("prior.kind=priorgrad needs a mel-conditioned model (model.n_mels)")


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(DiffWaveRecipeConfig, __doc__, argv)
    overrides = {"sample_rate": cfg.mel.sample_rate, "hop_length": cfg.mel.hop_length}
    preset = get_mel_preset(cfg.mel.preset, **{k: v for k, v in overrides.items() if v is not None})
    check_config(cfg, preset)
    conditional = cfg.model.n_mels is not None
    hop = preset.hop_length

    train_feats = cfg.data.train_feats if conditional else None
    valid_feats = cfg.data.valid_feats if conditional else None
    for feats in (train_feats, valid_feats):
        if feats is not None and (Path(feats).parent / PRESET_FILE).is_file():
            check_same_preset(preset, load_preset(Path(feats).parent / PRESET_FILE), what=feats)
    train_set = UtteranceDataset(
        cfg.data.train_dir, preset, train_feats, cache=cfg.data.cache_audio
    )
    valid_set = UtteranceDataset(cfg.data.valid_dir, preset, valid_feats)

    priorgrad, diffusion = None, cfg.diffusion
    if cfg.prior.kind == "priorgrad":
        priorgrad = PriorGradStats.from_stats(
            cfg.data.stats, preset, energy_clip=cfg.prior.energy_clip, std_min=cfg.prior.std_min
        )
        diffusion = priorgrad_diffusion(cfg.diffusion)
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    model = DiffWave(cfg.model)
    schedule = build_schedule(diffusion)
    crop_samples = cfg.data.crop_frames * hop if conditional else cfg.data.segment_length

    def loss_fn(net: torch.nn.Module, batch: list, generator: torch.Generator):
        audio, mel, mask = random_crops(batch, crop_samples, hop, generator)
        out = vocoder_loss(
            net,
            audio,
            mel,
            schedule,
            diffusion,
            priorgrad=priorgrad,
            hop=hop,
            mask=mask,
            norm=cfg.loss_norm,
            generator=generator,
        )
        return out.loss.mean(), {}

    def vocode_valid(net: torch.nn.Module, step: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(generated waveform, reference mel) for the first held-out utterances."""
        count = min(cfg.eval.num_utterances, len(valid_set))
        mels = [valid_set[i][1][:, : cfg.eval.max_frames] for i in range(count)]
        vocoder = Vocoder(net, diffusion, preset, cfg.eval.fast_betas, priorgrad)
        waves = vocoder.vocode(
            mels, sampler=cfg.eval.sampler, generator=torch.Generator().manual_seed(step)
        )
        return list(zip(waves, mels))

    def val_fn(net: torch.nn.Module, step: int) -> dict[str, float]:
        if not conditional:
            return {}
        mel_of = MelSpectrogram(preset)
        errors = []
        for wave, reference in vocode_valid(net, step):
            with torch.no_grad():
                generated = mel_of(wave)[0]
            frames = min(generated.shape[-1], reference.shape[-1])
            errors.append(float((generated[:, :frames] - reference[:, :frames]).abs().mean()))
        return {"valid_logmel_l1": sum(errors) / len(errors)}

    def sample_fn(net: torch.nn.Module, step: int, out_dir: Path) -> None:
        if conditional:
            waves = [wave for wave, _ in vocode_valid(net, step)]
        else:
            with torch.no_grad():
                waves = generate(
                    build_denoiser(net, cfg.diffusion),
                    schedule,
                    (2, 1, cfg.data.segment_length),
                    sampler=cfg.eval.sampler,
                    generator=torch.Generator().manual_seed(step),
                )[:, 0].clamp(-1, 1)
        for i, wave in enumerate(waves):
            save_audio(out_dir / f"sample_{i}.wav", wave.numpy(), preset.sample_rate)

    trainer = Trainer(
        model,
        loss_fn,
        train_set,
        cfg.trainer,
        cfg.exp_dir,
        collate_fn=keep_list,
        val_fn=val_fn,
        sample_fn=sample_fn,
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        bundle = Path(cfg.exp_dir) / "bundle"
        if conditional:
            vocoder = Vocoder(
                trainer.ema_model(), diffusion, preset, cfg.eval.fast_betas, priorgrad
            )
            path = vocoder.export(bundle)
        else:
            bundle_config = {
                "model": config_to_dict(cfg.model),
                "diffusion": config_to_dict(cfg.diffusion),
                "mel_preset": preset.to_dict(),
                "sample_rate": preset.sample_rate,
                "hop": hop,
                "fast_betas": cfg.eval.fast_betas,
                "data_shape": [1, cfg.data.segment_length],
            }
            path = export_bundle(
                bundle, family="diffwave", config=bundle_config, model=trainer.ema_model()
            )
        print(f"exported bundle to {path}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/diffwave.py", main))
