"""Grad-TTS recipe, and by config its flow-matching decoder and PriorGrad's acoustic model.

    python recipes/gradtts.py --config recipes/configs/gradtts/ljspeech.yaml [key=value ...]

Reads the tokens (stage 4) and mel dump (stage 2) of a training and a held-out set, trains the
text encoder, duration predictor and decoder with the shared trainer (resuming from the
experiment directory), scores held-out utterances at each validation (mel L1 with
teacher-forced durations, duration errors) and exports a ``gradtts`` bundle to
``<exp_dir>/bundle``. ``diffusion.schedule: flow`` with ``parameterization: flow`` trains the
Matcha-TTS decoder; ``prior: phoneme`` PriorGrad-AM from ``data.phoneme_stats``.
``data.train_utt2spk`` (and ``data.valid_utt2spk``) naming two or more speakers train the
multi-speaker model, its speaker list stored in the bundle.
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
from diffmm.errors import DiffmmError, run_entry_point
from diffmm.models.gradtts import DecoderSetup, GradTTS, GradTTSConfig, PhonemePrior
from diffmm.models.gradtts.data import TextMelDataset, pad_text_mel, speaker_list
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
    train_utt2spk: str = ""  # a Kaldi utt2spk: 2+ speakers make a multi-speaker model
    valid_utt2spk: str = ""  # the held-out set's (needed with a multi-speaker train_utt2spk)


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
    speakers = speaker_list(data.train_utt2spk) if data.train_utt2spk else None
    speakers = speakers if speakers and len(speakers) > 1 else None  # one: single-speaker
    cfg.model.n_speakers = len(speakers) if speakers else 1
    if speakers and not data.valid_utt2spk:
        raise DiffmmError("a multi-speaker data.train_utt2spk needs data.valid_utt2spk too")
    train_set, valid_set = (
        TextMelDataset(
            tokens, feats, preset, table, data.add_blank, utt2spk if speakers else None, speakers
        )
        for tokens, feats, utt2spk in (
            (data.train_tokens, data.train_feats, data.train_utt2spk),
            (data.valid_tokens, data.valid_feats, data.valid_utt2spk),
        )
    )
    valid_items = valid_set.items[: cfg.eval.num_utterances]
    phoneme_prior = PhonemePrior.load(data.phoneme_stats) if cfg.prior == "phoneme" else None
    setup = DecoderSetup(
        build_schedule(cfg.diffusion), cfg.diffusion, cfg.segment_frames, phoneme_prior
    )

    def inference(net: GradTTS) -> TextToMel:
        return TextToMel(
            net, cfg.diffusion, preset, table, data.add_blank, phoneme_prior, cfg.sampling, speakers
        )

    def loss_fn(net, batch, generator):
        speaker_ids = batch[4] if len(batch) == 5 else None  # a multi-speaker batch
        losses = net(*batch[:4], setup, generator, speakers=speaker_ids)
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
