"""Vocoding speed of DiffWave BASE against the public reference, fp32 and bf16, and peak memory.

    python benchmarks/vocode_speed.py [--reference-dir DIR] [--seconds 1.0] [--threads 2]
        [--repeats 3] [--steps 6 50] [--device cpu|cuda] [--dtypes fp32 bf16 fp16] [--out FILE.md]
    python benchmarks/vocode_speed.py --memory [--out FILE.md]

Speed. The network is DiffWave BASE (30 × 64, T = 50, 2.62M parameters) with random weights
(speed does not depend on training; the zero-initialised output conv is redrawn so that the
output is not zero). The mel is the ARCTIC clip tests/data/speech/arctic_a0007.wav at
22.05 kHz (hifigan preset), cut to ``--seconds``. In one process, repeat by repeat in turn:

* the baseline in fp32: with ``--reference-dir`` a checkout of lmnt-com/diffwave, its
  ``DiffWave`` network sampled by its own ``diffwave.inference.predict`` (``fast_sampling`` for
  6 steps, the 50-step training schedule otherwise; its ``torchaudio`` import, used only to
  write files, is stubbed when torchaudio is absent). Without it, the plain implementation of
  the same maths this benchmark keeps: diffmm's module graph (``use_inference_path = False``,
  the conditioner still cached once), i.e. the implementation before the inference path;
* diffmm's ``Vocoder.vocode`` in each of ``--dtypes`` (default fp32 and bf16; fp16 on a GPU).

Each row gives min and median seconds per audio-second (the real-time factor) over
``--repeats``, the 1-minute load average before and after, and the largest absolute difference
of fp32 from the plain path (same seed: float32 round-off) and of each lower precision from
fp32. ``--device cuda`` runs everything on the GPU, timed to ``torch.cuda.synchronize``. The
reference code is never copied.

Memory (``--memory``): each case in a fresh subprocess, the peak resident set above the
process's resident set before vocoding (ru_maxrss; the model and mel are loaded before): 10 s
in fp32 and bf16 (one chunk: fp32 holds every layer's conditioner), the same 10 s with
``chunk_seconds=2.5`` (its largest difference from unchunked), and 60 s in fp32 and bf16.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "tests/data/speech/arctic_a0007.wav"


def build_vocoder():
    from diffmm.audio.mel import get_mel_preset
    from diffmm.diffusion.config import DiffusionConfig
    from diffmm.models.diffwave import DiffWave, DiffWaveConfig
    from diffmm.models.vocoder import FAST_BETAS, Vocoder

    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig())
    torch.nn.init.normal_(model.output_projection.weight, std=0.1)
    diffusion = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
    return Vocoder(model.eval(), diffusion, get_mel_preset("hifigan"), FAST_BETAS)


def clip_mel(vocoder, seconds: float) -> torch.Tensor:
    """The clip's mel, repeated as needed and cut to ``seconds``."""
    from diffmm.audio.io import load_audio

    wav, _ = load_audio(CLIP, sample_rate=vocoder.sample_rate)
    mel = vocoder.mel_from_wav(wav)
    frames = int(seconds * vocoder.sample_rate) // vocoder.hop
    return mel.repeat(1, -(-frames // mel.shape[1]))[:, :frames]


def load_reference(directory: Path, device: torch.device):
    """lmnt-com/diffwave's ``predict`` and a BASE network with its default parameters."""
    sys.path.insert(0, str(directory / "src") if (directory / "src").is_dir() else str(directory))
    try:
        importlib.import_module("torchaudio")
    except ImportError:  # inference.py imports it only to save wav files
        sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    inference = importlib.import_module("diffwave.inference")
    model_module = importlib.import_module("diffwave.model")
    params = importlib.import_module("diffwave.params")
    torch.manual_seed(0)
    model = model_module.DiffWave(params.AttrDict(params.params)).eval()
    torch.nn.init.normal_(model.output_projection.weight, std=0.1)
    inference.models["benchmark"] = model  # predict() finds it instead of loading weights

    def run(mel: torch.Tensor, steps: int) -> torch.Tensor:
        torch.manual_seed(0)
        audio, _ = inference.predict(
            mel, model_dir="benchmark", device=device, fast_sampling=steps == 6
        )
        return audio[0]

    return run


def ours(vocoder, mel: torch.Tensor, steps: int, dtype: str, plain: bool = False) -> torch.Tensor:
    vocoder.model.residual_stack.use_inference_path = not plain
    try:
        return vocoder.vocode(
            [mel],
            steps=None if steps == 6 else steps,
            generator=torch.Generator().manual_seed(0),
            dtype=dtype,
        )[0]
    finally:
        vocoder.model.residual_stack.use_inference_path = True


def timed(run, steps: int, device: torch.device) -> tuple[float, torch.Tensor]:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = run(steps)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start, out


def machine(device: torch.device, threads: int) -> str:
    host = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (host {host})"
    return f"{threads} threads, {host}"


def speed(args: argparse.Namespace) -> list[str]:
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    vocoder = build_vocoder()
    vocoder.model.to(device)
    mel = clip_mel(vocoder, args.seconds)
    audio_seconds = mel.shape[1] * vocoder.hop / vocoder.sample_rate
    reference = load_reference(args.reference_dir, device) if args.reference_dir else None
    baseline = "lmnt-com/diffwave (reference)" if reference else "diffmm plain module graph"
    dtypes = ["fp32", *(d for d in args.dtypes if d != "fp32")]
    header = ["steps", "baseline fp32 s/s min · med"]
    for dtype in dtypes:
        header += [f"diffmm {dtype} min · med", f"{dtype} / baseline min · med"]
    header += ["fp32 max abs diff vs plain"]
    header += [f"{dtype} max abs diff vs fp32" for dtype in dtypes[1:]]
    header += ["load before → after"]
    lines = [
        f"DiffWave BASE, {audio_seconds:.2f} s of audio at 22.05 kHz on {machine(device, args.threads)}, "
        f"{args.repeats} alternated repeats; baseline: {baseline}; torch {torch.__version__}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for steps in args.steps:
        runs = {
            "baseline": (lambda s: reference(mel, s))
            if reference
            else (lambda s: ours(vocoder, mel, s, "fp32", plain=True))
        }
        for dtype in dtypes:
            runs[dtype] = lambda s, dtype=dtype: ours(vocoder, mel, s, dtype)
        load_before = os.getloadavg()[0]
        times: dict[str, list[float]] = {name: [] for name in runs}
        outputs: dict[str, torch.Tensor] = {}
        for run in runs.values():  # warm-up (allocator, oneDNN kernels) at the cheap 6 steps
            run(6)
        for repeat in range(args.repeats):
            order = list(runs) if repeat % 2 == 0 else list(runs)[::-1]
            for name in order:
                elapsed, outputs[name] = timed(runs[name], steps, device)
                times[name].append(elapsed / audio_seconds)
        plain = outputs["baseline"] if not reference else ours(vocoder, mel, steps, "fp32", True)
        diffs = [float((outputs["fp32"] - plain).abs().max())]
        diffs += [float((outputs[d] - outputs["fp32"]).abs().max()) for d in dtypes[1:]]
        load_after = os.getloadavg()[0]
        mins = {name: min(t) for name, t in times.items()}
        meds = {name: statistics.median(t) for name, t in times.items()}
        cells = ["6 (fast schedule)" if steps == 6 else f"{steps}"]
        for name in ["baseline", *dtypes]:
            cells.append(f"{mins[name]:.3g} · {meds[name]:.3g}")
            if name != "baseline":
                ratio_min, ratio_med = mins[name] / mins["baseline"], meds[name] / meds["baseline"]
                cells.append(f"{ratio_min:.2f}× · {ratio_med:.2f}×")
        cells += [f"{d:.1e}" for d in diffs] + [f"{load_before:.2f} → {load_after:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    return lines


def measure_memory(seconds: float, dtype: str, chunk: float | None, save: str) -> None:
    """Child process: vocode once (6 steps) and print the peak resident set above the start."""
    vocoder = build_vocoder()
    mel = clip_mel(vocoder, seconds)
    with open("/proc/self/statm") as f:
        before = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    start = time.perf_counter()
    kwargs = {} if chunk == 0 else {"chunk_seconds": chunk}
    audio = vocoder.vocode(
        [mel], generator=torch.Generator().manual_seed(0), dtype=dtype, **kwargs
    )[0]
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if save:
        np.save(save, audio.numpy())
    print(json.dumps({"peak_mb": peak - before, "seconds": elapsed}))


def memory(args: argparse.Namespace) -> list[str]:
    lines = [
        f"Peak resident memory of one `Vocoder.vocode` call (6 steps), above the process's "
        f"resident set before it, {args.threads} threads; torch {torch.__version__}",
        "",
        "| audio | dtype | chunking | peak MB above start | wall s | note |",
        "|---|---|---|---|---|---|",
    ]
    scratch = Path(tempfile.mkdtemp(prefix="vocode_memory_"))
    unchunked, chunked = str(scratch / "unchunked.npy"), str(scratch / "chunked.npy")
    cases = [
        (10.0, "fp32", None, unchunked),
        (10.0, "fp32", 2.5, chunked),
        (10.0, "bf16", None, ""),
        (60.0, "fp32", 0, ""),
        (60.0, "bf16", 0, ""),
    ]
    for seconds, dtype, chunk, save in cases:
        command = [
            sys.executable, __file__, "--child-memory", str(seconds), dtype, str(chunk), save,
            "--threads", str(args.threads),
        ]  # fmt: skip
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        note = ""
        if save == chunked:
            diff = np.abs(np.load(chunked) - np.load(unchunked)).max()
            note = f"max abs diff from unchunked {diff:.1e}"
        chunking = {None: "none", 0: "default (10 s)"}.get(chunk, f"{chunk} s chunks")
        lines.append(
            f"| {seconds:.0f} s | {dtype} | {chunking} | {result['peak_mb']:.0f} | "
            f"{result['seconds']:.1f} | {note} |"
        )
        print(lines[-1], flush=True)
    shutil.rmtree(scratch)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference-dir", type=Path, default=None, help="lmnt-com/diffwave")
    parser.add_argument("--seconds", type=float, default=1.0, help="audio length vocoded")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, nargs="+", default=[6, 50])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (speed only)")
    parser.add_argument(
        "--dtypes", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16", "fp16"]
    )
    parser.add_argument("--memory", action="store_true", help="peak memory instead of speed")
    parser.add_argument("--out", type=Path, default=None, help="append the table to this file")
    parser.add_argument("--child-memory", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        torch.set_num_threads(args.threads)
        seconds, dtype, chunk, save = args.child_memory
        measure_memory(float(seconds), dtype, None if chunk == "None" else float(chunk), save)
        return 0
    if "fp16" in args.dtypes and torch.device(args.device).type != "cuda":
        parser.error("fp16 is timed only on a GPU (--device cuda)")
    lines = memory(args) if args.memory else speed(args)
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        with args.out.open("a") as f:
            f.write(table + "\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
