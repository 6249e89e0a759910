"""PriorGrad against DiffWave on the mini speech corpus at equal training steps.

    python benchmarks/priorgrad_vs_diffwave.py --corpus egs/mini_speech/diffwave \
        [--train-steps 1200] [--eval-at 300 600 1200] [--out benchmarks/results/priorgrad_vs_diffwave.md]

``--corpus`` is an egs directory after stages 1-3 (data/, dump/ with feats and stats). Both
models are the ``mini`` config (8 layers × 16 channels, T = 50, β 1e-4 → 0.05) trained from the
same initial weights on the same crops, timesteps and noise draws (one seeded generator each, the
draws are identical), Adam at a constant 2e-3, batch 4, 16-frame crops; the only difference is
the prior (and so PriorGrad's Σ⁻¹-weighted loss). At each ``--eval-at`` step the held-out
utterances (data/valid) are vocoded from their mels with the 6-step fast schedule and with all
50 steps and scored against the recordings: log-mel L1 and multi-resolution STFT distance.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from diffmm.audio.datadir import DataDir, load_utterance
from diffmm.audio.mel import get_mel_preset
from diffmm.diffusion.config import DiffusionConfig, build_schedule
from diffmm.metrics.audio import log_mel_l1, mr_stft_distance
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.priorgrad import PriorGradStats, priorgrad_diffusion
from diffmm.models.vocoder import FAST_BETAS, Vocoder
from diffmm.models.vocoder_training import UtteranceDataset, random_crops, vocoder_loss

MODEL = DiffWaveConfig(8, 16, 4, 80, 256)
DIFFUSION = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
BATCH, CROP_FRAMES, LEARNING_RATE = 4, 16, 2e-3


def evaluate(vocoder: Vocoder, valid: UtteranceDataset, references: list[np.ndarray]) -> dict:
    scores = {}
    for label, steps in (("fast 6", None), ("50", 50)):
        mels = [valid[i][1] for i in range(len(valid))]
        waves = vocoder.vocode(mels, steps=steps, generator=torch.Generator().manual_seed(0))
        sr = vocoder.sample_rate
        pairs = list(zip(references, waves))
        l1 = [log_mel_l1(r[: len(w)], w.numpy(), sr, vocoder.mel_preset) for r, w in pairs]
        stft = [mr_stft_distance(r[: len(w)], w.numpy(), sr)["total"] for r, w in pairs]
        scores[label] = (float(np.mean(l1)), float(np.mean(stft)))
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--train-steps", type=int, default=1200)
    parser.add_argument("--eval-at", type=int, nargs="+", default=[300, 600, 1200])
    parser.add_argument("--sample-rate", type=int, default=16000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    os.chdir(args.corpus)

    preset = get_mel_preset("hifigan", sample_rate=args.sample_rate)
    train = UtteranceDataset("data/train", preset, "dump/train/feats.scp", cache=True)
    valid = UtteranceDataset("data/valid", preset, "dump/valid/feats.scp", cache=True)
    references = [
        load_utterance(DataDir.load("data/valid"), u, args.sample_rate) for u in valid.utt_ids
    ]
    priorgrad = PriorGradStats.from_stats("dump/train/stats", preset)
    schedule = build_schedule(DIFFUSION)

    torch.manual_seed(0)
    initial = DiffWave(MODEL).state_dict()
    models = {"DiffWave": DiffWave(MODEL), "PriorGrad": DiffWave(MODEL)}
    results: dict[str, dict[int, dict]] = {name: {} for name in models}
    for name, model in models.items():
        model.load_state_dict(copy.deepcopy(initial))
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        generator = torch.Generator().manual_seed(1)
        order = torch.Generator().manual_seed(2)
        prior = priorgrad if name == "PriorGrad" else None
        diffusion = DIFFUSION if prior is None else priorgrad_diffusion(DIFFUSION)
        start = time.perf_counter()
        for step in range(1, args.train_steps + 1):
            picks = torch.randint(len(train), (BATCH,), generator=order).tolist()
            audio, mel, mask = random_crops(
                [train[i] for i in picks],
                CROP_FRAMES * preset.hop_length,
                preset.hop_length,
                generator,
            )
            loss = vocoder_loss(
                model, audio, mel, schedule, diffusion, priorgrad=prior,
                hop=preset.hop_length, mask=mask, generator=generator,
            ).loss.mean()  # fmt: skip
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step in args.eval_at:
                model.eval()
                vocoder = Vocoder(model, diffusion, preset, FAST_BETAS, prior)
                results[name][step] = evaluate(vocoder, valid, references)
                model.train()
                print(f"{name} step {step}: {results[name][step]} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip

    lines = [
        f"Mini speech corpus ({len(train)} training utterances, {len(valid)} held-out real ones), "
        f"{args.sample_rate} Hz; mini model 8 × 16, T = 50; same initial weights, crops and noise.",
        "Each cell: log-mel L1 / MR-STFT distance (lower is better), mean over held-out utterances.",
        "",
        "| training steps | sampling steps | DiffWave | PriorGrad |",
        "|---|---|---|---|",
    ]
    for step in args.eval_at:
        for label in ("fast 6", "50"):
            cells = [results[name][step][label] for name in models]
            lines.append(
                f"| {step} | {label} | " + " | ".join(f"{a:.3f} / {b:.3f}" for a, b in cells) + " |"
            )
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
