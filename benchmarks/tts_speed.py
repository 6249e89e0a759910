"""Mel generation speed of the paper-size acoustic models on CPU, and text to speech end to end.

    python benchmarks/tts_speed.py [--threads 2] [--repeats 3] [--out FILE.md]

Networks are the ``ljspeech`` (Grad-TTS) and ``ljspeech_flow`` (flow-matching decoder) configs
with random weights (speed does not depend on training; a guided-diffusion U-Net's
zero-initialised output conv is redrawn, Grad-TTS's own U-Net has none). Each token gets 5 frames (teacher-forced durations), so every repeat makes
the same mel: the benchmark sentence below at 22.05 kHz, hop 256. Rows: Grad-TTS at 10 Euler
steps, flow matching at 2, 4 and 10 Euler steps, and end to end (text → mel → waveform) with
Grad-TTS at 10 steps and DiffWave BASE (30 × 64, random weights) at its 6-step fast schedule.
Each row gives the min and median real-time factor (seconds of compute per second of speech,
wall clock) over ``--repeats`` and the CPU time per second of speech; the peak resident set of
each row is measured in a fresh subprocess (ru_maxrss above the resident set before synthesis).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
SENTENCE = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
FRAMES_PER_TOKEN = 5
ROWS = {  # name: (config, steps, vocoder)
    "gradtts_10": ("ljspeech", 10, False),
    "flow_2": ("ljspeech_flow", 2, False),
    "flow_4": ("ljspeech_flow", 4, False),
    "flow_10": ("ljspeech_flow", 10, False),
    "gradtts_10+diffwave_base_6": ("ljspeech", 10, True),
}


def build(config_name: str):
    from diffmm.audio.mel import get_mel_preset
    from diffmm.config import load_config
    from diffmm.models.gradtts import GradTTS
    from diffmm.models.gradtts.synthesizer import TextToMel
    from diffmm.text.frontend import english_symbol_table

    sys.path.insert(0, str(REPO / "recipes"))
    from gradtts import GradTTSRecipeConfig

    cfg = load_config(GradTTSRecipeConfig, REPO / "recipes/configs/gradtts" / f"{config_name}.yaml")
    table = english_symbol_table()
    cfg.model.n_vocab = len(table)
    torch.manual_seed(0)
    model = GradTTS(cfg.model).eval()
    if hasattr(model.decoder, "unet"):  # decoder: unet
        torch.nn.init.normal_(model.decoder.unet.out[-1].weight, std=1e-3)
    return TextToMel(
        model, cfg.diffusion, get_mel_preset("hifigan"), table, True, None, cfg.sampling
    )


def vocoder():
    from diffmm.audio.mel import get_mel_preset
    from diffmm.diffusion.config import DiffusionConfig
    from diffmm.models.diffwave import DiffWave, DiffWaveConfig
    from diffmm.models.vocoder import FAST_BETAS, Vocoder

    torch.manual_seed(0)
    net = DiffWave(DiffWaveConfig()).eval()
    torch.nn.init.normal_(net.output_projection.weight, std=1e-3)
    diffusion = DiffusionConfig(schedule="linear", num_steps=50, beta_start=1e-4, beta_end=0.05)
    return Vocoder(net, diffusion, get_mel_preset("hifigan"), FAST_BETAS)


def run_row(name: str, repeats: int) -> dict:
    config, steps, with_vocoder = ROWS[name]
    tts = build(config)
    voc = vocoder() if with_vocoder else None
    ids = tts.encode(SENTENCE)
    durations = torch.full((len(ids),), float(FRAMES_PER_TOKEN))
    seconds = len(ids) * FRAMES_PER_TOKEN * 256 / 22050
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    walls, cpus = [], []
    for repeat in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        mel = tts.mel_from_tokens(
            [ids],
            steps=steps,
            durations=[durations],
            generator=torch.Generator().manual_seed(repeat),
        )[0].mel
        if voc is not None:
            voc.vocode([mel])
        walls.append((time.perf_counter() - wall) / seconds)
        cpus.append((time.process_time() - cpu) / seconds)
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024
    return {
        "row": name, "speech_s": round(seconds, 2), "rtf_min": min(walls),
        "rtf_median": statistics.median(walls), "cpu_per_s": statistics.median(cpus),
        "peak_mib": peak, "parameters_m": sum(p.numel() for p in tts.model.parameters()) / 1e6,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--row", help=argparse.SUPPRESS)  # one row in this process (a subprocess)
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.row:
        print(json.dumps(run_row(args.row, args.repeats)))
        return 0
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    load_before = os.getloadavg()[0]
    results = []
    for name in ROWS:
        command = [sys.executable, __file__, "--row", name, "--threads", str(args.threads), "--repeats", str(args.repeats)]  # fmt: skip
        output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(results[-1], flush=True)
    lines = [
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{args.threads} threads; 1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        "",
        "| row | parameters (acoustic) | speech (s) | RTF min | RTF median | CPU s per speech s | peak RSS (MiB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['row']} | {r['parameters_m']:.2f}M | {r['speech_s']} | {r['rtf_min']:.3f} | "
            f"{r['rtf_median']:.3f} | {r['cpu_per_s']:.3f} | {r['peak_mib']:.0f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
