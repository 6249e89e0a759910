"""Vocoding speed of DiffWave BASE: conditioner cached once per utterance vs recomputed per step.

    python benchmarks/vocode_speed.py [--seconds 1.0] [--threads 2] [--device cpu] [--out FILE.md]

The network is DiffWave BASE (30 × 64, T = 50, 2.62M parameters) with random weights (speed
does not depend on training; the output conv is re-initialised so the output is not zero).
The mel is the real ARCTIC clip tests/data/speech/arctic_a0007.wav at 22.05 kHz (hifigan
preset), cut to ``--seconds``. Each (schedule, path) runs in a fresh subprocess so that its peak
resident memory (ru_maxrss) is its own, and reports the fastest of ``--repeats`` timed runs
after a warm-up; the cached and naive outputs are asserted bit-identical.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "tests/data/speech/arctic_a0007.wav"


def build_vocoder(device: str):
    from diffmm.audio.mel import get_mel_preset
    from diffmm.diffusion.config import DiffusionConfig
    from diffmm.models.diffwave import DiffWave, DiffWaveConfig
    from diffmm.models.vocoder import FAST_BETAS, Vocoder

    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig())
    torch.nn.init.normal_(model.output_projection.weight, std=0.1)
    diffusion = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
    return Vocoder(model.to(device).eval(), diffusion, get_mel_preset("hifigan"), FAST_BETAS)


def measure_one(args: argparse.Namespace) -> None:
    """Child process: vocode once (after a warm-up) and print timings and peak memory as JSON."""
    from diffmm.audio.io import load_audio

    torch.set_num_threads(args.threads)
    vocoder = build_vocoder(args.device)
    wav, _ = load_audio(CLIP, sample_rate=vocoder.sample_rate)
    mel = vocoder.mel_from_wav(wav)[:, : int(args.seconds * vocoder.sample_rate) // vocoder.hop]
    steps = None if args.steps == 6 else args.steps

    def vocode() -> torch.Tensor:
        return vocoder.vocode(
            [mel],
            steps=steps,
            generator=torch.Generator(args.device).manual_seed(0),
            cache_condition=args.path == "cached",
        )[0]

    vocode()  # warm-up: allocator, kernels
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    timings = []
    for _ in range(args.repeats):  # the fastest run: the least disturbed by other processes
        start = time.perf_counter()
        audio = vocode()
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        timings.append(time.perf_counter() - start)
    elapsed = min(timings)
    np.save(args.save, audio.numpy())
    result = {
        "seconds": elapsed,
        "audio_seconds": audio.numel() / vocoder.sample_rate,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.device.startswith("cuda"):
        result["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(result))


def run_child(args: argparse.Namespace, steps: int, path: str, save: Path) -> dict:
    command = [
        sys.executable, __file__, "--child", "--steps", str(steps), "--path", path,
        "--save", str(save), "--seconds", str(args.seconds), "--threads", str(args.threads),
        "--device", args.device, "--repeats", str(args.repeats),
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="audio length vocoded")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the fastest counts")
    parser.add_argument("--out", type=Path, default=None, help="append the table to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=6, help=argparse.SUPPRESS)
    parser.add_argument("--path", default="cached", help=argparse.SUPPRESS)
    parser.add_argument("--save", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure_one(args)
        return 0

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for steps in (6, 50):
            results = {}
            for path in ("naive", "cached"):
                results[path] = run_child(args, steps, path, Path(tmp) / f"{path}.npy")
            naive, cached = np.load(Path(tmp) / "naive.npy"), np.load(Path(tmp) / "cached.npy")
            assert np.array_equal(naive, cached), "cached and naive outputs differ"
            rows.append((steps, results))
    device = args.device if args.device != "cpu" else f"cpu, {args.threads} threads"
    memory = "peak CUDA MB" if args.device.startswith("cuda") else "peak RSS MB"
    key = "peak_cuda_mb" if args.device.startswith("cuda") else "peak_rss_mb"
    lines = [
        f"DiffWave BASE, {rows[0][1]['cached']['audio_seconds']:.2f} s of audio at 22.05 kHz "
        f"({device}); seconds of compute per second of audio (= real-time factor)",
        "",
        f"| steps | naive s/s | cached s/s | speed-up | naive {memory} | cached {memory} | "
        "outputs |",
        "|---|---|---|---|---|---|---|",
    ]
    for steps, r in rows:
        naive = r["naive"]["seconds"] / r["naive"]["audio_seconds"]
        cached = r["cached"]["seconds"] / r["cached"]["audio_seconds"]
        label = "6 (fast schedule)" if steps == 6 else f"{steps} (full T)"
        lines.append(
            f"| {label} | {naive:.3f} | {cached:.3f} | {naive / cached:.2f}× | "
            f"{r['naive'][key]:.0f} | {r['cached'][key]:.0f} | identical |"
        )
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        with args.out.open("a") as f:
            f.write(table + "\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
