"""The gradtts recipe on two real CMU ARCTIC utterances (speaker slt, vendored in
tests/data/speech): stages 2 and 4 by their own commands, a tiny Grad-TTS trained for 40
steps, and the trained model against the untrained one on the same utterances."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

from diffmm.audio.datadir import DataDir
from diffmm.audio.features import dump_features
from diffmm.audio.mel import get_mel_preset
from diffmm.models.gradtts import GradTTS, GradTTSConfig
from diffmm.models.gradtts.data import TextMelDataset
from diffmm.models.gradtts.data import main as tokens_main
from diffmm.models.gradtts.evaluation import heldout_scores
from diffmm.models.gradtts.synthesizer import SamplingDefaults, TextToMel
from diffmm.text.frontend import english_symbol_table

pytestmark = pytest.mark.tts

TEXTS = {
    "arctic_a0007": "And you always want to see it in the superlative degree.",
    "arctic_a0009": "He turned sharply, and faced Gregson across the table.",
}
STEPS = 40
TINY = {
    "model.encoder_channels": 32, "model.encoder_hidden": 64, "model.encoder_layers": 1,
    "model.duration_channels": 32, "model.decoder_channels": 8, "model.decoder_channel_mult": "[1, 2]",
    "model.decoder_res_blocks": 1, "model.decoder_attention": "[]", "model.decoder_scale_shift": True,
    "segment_frames": 32,
    "trainer.max_steps": STEPS, "trainer.batch_size": 2, "trainer.learning_rate": 3e-3, "trainer.warmup_steps": 5,
    "trainer.log_every": 20, "trainer.val_every": 0, "trainer.save_every": STEPS,
    "trainer.ema_rates": "[0.9]", "eval.num_utterances": 2, "sampling.steps": 4,
}  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory, repo_root: Path) -> Path:
    root = tmp_path_factory.mktemp("arctic")
    speech = repo_root / "tests" / "data" / "speech"
    data = DataDir(
        wav_scp={u: str(speech / f"{u}.wav") for u in TEXTS},
        utt2spk=dict.fromkeys(TEXTS, "slt"),
        text=TEXTS,
    )
    data.write(root / "data" / "train")
    dump_features(
        root / "data" / "train",
        root / "dump" / "train",
        get_mel_preset("hifigan", sample_rate=16000),
    )
    tokens_main(
        ["--data-dir", str(root / "data" / "train"), "--out-dir", str(root / "dump" / "train")]
    )
    spec = importlib.util.spec_from_file_location(
        "gradtts_recipe", repo_root / "recipes" / "gradtts.py"
    )
    recipe = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = recipe  # its config dataclasses resolve their annotations there
    spec.loader.exec_module(recipe)
    dump = root / "dump" / "train"
    overrides = [f"{k}={v}" for k, v in TINY.items()] + [
        f"exp_dir={root / 'exp'}", f"data.train_tokens={dump / 'tokens'}",
        f"data.valid_tokens={dump / 'tokens'}", f"data.train_feats={dump / 'feats.scp'}",
        f"data.valid_feats={dump / 'feats.scp'}", "mel.sample_rate=16000",
    ]  # fmt: skip
    config = repo_root / "recipes" / "configs" / "gradtts" / "mini.yaml"
    assert recipe.main(["--config", str(config), *overrides]) == 0
    return root


def test_tokens_stage_writes_phonemes(trained):
    lines = (trained / "dump" / "train" / "tokens").read_text().splitlines()
    assert lines[1].startswith("arctic_a0009 HH IY1 | T ER1 N D | SH AA1 R P L IY0 ,")


def test_training_lowers_the_loss_and_the_mel_error(trained):
    logs = [
        json.loads(line)
        for line in (trained / "exp" / "logs" / "train.jsonl").read_text().splitlines()
    ]
    assert logs[-1]["step"] == STEPS and logs[-1]["loss"] < 0.7 * logs[0]["loss"], logs
    tts = TextToMel.from_bundle(trained / "exp" / "bundle")
    dump = trained / "dump" / "train"
    items = TextMelDataset(
        dump / "tokens", dump / "feats.scp", tts.mel_preset, tts.symbol_table
    ).items
    after = heldout_scores(tts, items, steps=4)
    torch.manual_seed(1234)  # the recipe's seed: the weights it started from
    untrained = TextToMel(
        GradTTS(GradTTSConfig(**{**tts.model.cfg.__dict__})).eval(), tts.diffusion, tts.mel_preset,
        english_symbol_table(), sampling=SamplingDefaults("euler", 4),
    )  # fmt: skip
    before = heldout_scores(untrained, items, steps=4)
    print(f"mel L1 untrained {before['mel_l1']:.3f} -> trained {after['mel_l1']:.3f}; "
          f"duration error {before['duration_error']:.3f} -> {after['duration_error']:.3f}")  # fmt: skip
    assert after["mel_l1"] < 0.5 * before["mel_l1"]
    assert after["duration_error"] < before["duration_error"]
