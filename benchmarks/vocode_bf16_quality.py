"""The quality cost of bf16 vocoding on a trained vocoder bundle, held-out utterances.

    python benchmarks/vocode_bf16_quality.py --bundle DIR --data-dir DATA_DIR
        [--steps 6 50] [--seeds 0 1 2] [--threads 2] [--out FILE.md]

Each utterance of the Kaldi data dir is copy-synthesised: its log-mel (the bundle's preset) is
vocoded in fp32 and in bf16 with the same seed, and scored with ``diffmm.metrics.audio``:
log-mel L1 and the multi-resolution STFT distance (spectral convergence + log magnitude) of
fp32 and bf16 against the reference recording, and of bf16 against fp32. The same pair scored
for fp32 with another seed against fp32 gives the scale of a sampler's own seed-to-seed
variation. The verdict compares the mean log-mel L1 to the reference: bf16 costs more than 2%
when its mean exceeds fp32's by more than 2%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

from diffmm.audio.datadir import DataDir, load_utterance
from diffmm.metrics.audio import log_mel_l1, mr_stft_distance
from diffmm.models.vocoder import Vocoder

COST_LIMIT = 0.02  # the threshold on the relative log-mel L1 increase


def vocode(vocoder: Vocoder, mel: torch.Tensor, steps: int, dtype: str, seed: int) -> np.ndarray:
    return (
        vocoder.vocode(
            [mel],
            steps=None if steps == 6 else steps,
            generator=torch.Generator().manual_seed(seed),
            dtype=dtype,
        )[0]
        .numpy()
        .astype(np.float64)
    )


def scores(reference: np.ndarray, generated: np.ndarray, rate: int, preset) -> tuple[float, float]:
    n = min(len(reference), len(generated))
    reference, generated = reference[:n], generated[:n]
    l1 = log_mel_l1(reference, generated, rate, preset)
    return l1, mr_stft_distance(reference, generated, rate)["total"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="held-out Kaldi data dir")
    parser.add_argument("--steps", type=int, nargs="+", default=[6, 50])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="append the table to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    vocoder = Vocoder.from_bundle(args.bundle)
    rate, preset = vocoder.sample_rate, vocoder.mel_preset
    data = DataDir.load(args.data_dir)
    utterances = {u: load_utterance(data, u, rate).astype(np.float64) for u in data.utt_ids}
    lines = [
        f"bundle {args.bundle} ({vocoder.family}, "
        f"{sum(p.numel() for p in vocoder.model.parameters())} parameters), "
        f"{len(utterances)} held-out utterances of {args.data_dir} × seeds {args.seeds}; "
        "mean over utterances and seeds",
        "",
        "| steps | log-mel L1 fp32→ref | bf16→ref | bf16 cost | bf16→fp32 | fp32 seed→seed | "
        "MR-STFT fp32→ref | bf16→ref | bf16→fp32 | fp32 seed→seed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for steps in args.steps:
        rows: dict[str, list[tuple[float, float]]] = {k: [] for k in ("fp32", "bf16", "ab", "seed")}
        for wav in utterances.values():
            mel = vocoder.mel_from_wav(wav.astype(np.float32))
            for seed in args.seeds:
                full = vocode(vocoder, mel, steps, "fp32", seed)
                low = vocode(vocoder, mel, steps, "bf16", seed)
                other = vocode(vocoder, mel, steps, "fp32", seed + 1000)
                rows["fp32"].append(scores(wav, full, rate, preset))
                rows["bf16"].append(scores(wav, low, rate, preset))
                rows["ab"].append(scores(full, low, rate, preset))
                rows["seed"].append(scores(full, other, rate, preset))
        mean = {k: [statistics.mean(v[i] for v in rows[k]) for i in (0, 1)] for k in rows}
        cost = mean["bf16"][0] / mean["fp32"][0] - 1.0
        verdicts.append((steps, cost))
        lines.append(
            f"| {steps} | {mean['fp32'][0]:.4f} | {mean['bf16'][0]:.4f} | {cost:+.2%} | "
            f"{mean['ab'][0]:.4f} | {mean['seed'][0]:.4f} | {mean['fp32'][1]:.4f} | "
            f"{mean['bf16'][1]:.4f} | {mean['ab'][1]:.4f} | {mean['seed'][1]:.4f} |"
        )
        print(lines[-1], flush=True)
    lines.append("")
    for steps, cost in verdicts:
        over = "MORE than" if cost > COST_LIMIT else "within"
        lines.append(f"- {steps} steps: bf16 log-mel L1 cost {cost:+.2%}, {over} the 2% limit.")
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        with args.out.open("a") as f:
            f.write(table + "\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
