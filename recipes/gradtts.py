"""Grad-TTS recipe, and by config its flow-matching decoder and PriorGrad's acoustic model.

    python recipes/gradtts.py --config recipes/configs/gradtts/ljspeech.yaml [key=value ...]

Reads the tokens (stage 4) and mel dump (stage 2) of a training and a held-out set, trains the
text encoder, duration predictor and decoder with the shared trainer (resuming from the
experiment directory), scores held-out utterances at each validation (mel L1 with
teacher-forced durations, duration errors) and exports a ``gradtts`` bundle to
``<exp_dir>/bundle``. ``diffusion.schedule: flow`` with ``parameterization: flow`` trains the
Matcha-TTS decoder; ``prior: phoneme`` PriorGrad-AM from ``data.phoneme_stats``.
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
from diffmm.models.gradtts import DecoderSetup, GradTTS, GradTTSConfig, PhonemePrior
from diffmm.models.gradtts.data import TextMelDataset, pad_text_mel
from diffmm.models.gradtts.evaluation import heldout_scores
from diffmm.models.gradtts.synthesizer import SamplingDefaults, TextToMel
from diffmm.text.frontend import english_symbol_table
from diffmm.training import Trainer, TrainerConfig


@dataclass
class DataConfig:
    train_tokens: str = "dump/train/tokens"
    valid_tokens: str = "dump/valid/tokens"
    train_feats: str = "dump/train/feats.scp"
    valid_feats: str = "dump/valid/feats.scp"
    phoneme_stats: str = "dump/train/phoneme_stats.safetensors"  # prior: phoneme
    add_blank: bool = True  # Grad-TTS intersperses a blank symbol


@dataclass
class MelConfig:
    preset: str = "hifigan"
    sample_rate: int | None = None


@dataclass
class EvalConfig:
    num_utterances: int = 4  # held-out utterances scored at each validation
    steps: int | None = None  # None: the sampling default


@dataclass
class GradTTSRecipeConfig:
    exp_dir: str = "exp/gradtts"
    data: DataConfig = field(default_factory=DataConfig)
    mel: MelConfig = field(default_factory=MelConfig)
    model: GradTTSConfig = field(default_factory=GradTTSConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    prior: Literal["mean", "phoneme"] = "mean"  # N(μ, I) (Grad-TTS) or PriorGrad-AM's
    segment_frames: int = 172  # 2 s of 22.05 kHz frames at hop 256 (Grad-TTS out_size)
    sampling: SamplingDefaults = field(default_factory=SamplingDefaults)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(GradTTSRecipeConfig, __doc__, argv)
    preset = get_mel_preset(
        cfg.mel.preset, **({"sample_rate": cfg.mel.sample_rate} if cfg.mel.sample_rate else {})
    )
    table = english_symbol_table()
    cfg.model.n_vocab, cfg.model.n_feats = len(table), preset.n_mels
    data = cfg.data
    train_set = TextMelDataset(data.train_tokens, data.train_feats, preset, table, data.add_blank)
    valid_set = TextMelDataset(data.valid_tokens, data.valid_feats, preset, table, data.add_blank)
    valid_items = valid_set.items[: cfg.eval.num_utterances]
    phoneme_prior = PhonemePrior.load(data.phoneme_stats) if cfg.prior == "phoneme" else None
    setup = DecoderSetup(
        build_schedule(cfg.diffusion), cfg.diffusion, cfg.segment_frames, phoneme_prior
    )

    def inference(net: GradTTS) -> TextToMel:
        return TextToMel(
            net, cfg.diffusion, preset, table, data.add_blank, phoneme_prior, cfg.sampling
        )

    def loss_fn(net, batch, generator):
        losses = net(*batch, setup, generator)
        return sum(losses.values()), {name: float(value.detach()) for name, value in losses.items()}

    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    trainer = Trainer(
        GradTTS(cfg.model),
        loss_fn,
        train_set,
        cfg.trainer,
        cfg.exp_dir,
        collate_fn=pad_text_mel,
        val_fn=lambda net, step: heldout_scores(inference(net), valid_items, steps=cfg.eval.steps),
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        path = inference(trainer.ema_model()).export(Path(cfg.exp_dir) / "bundle")
        print(f"exported bundle to {path}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/gradtts.py", main))
