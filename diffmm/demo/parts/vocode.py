"""Demo part ``vocode``: copy-synthesis of the mini speech corpus's held-out recordings.

Each recording's log-mel (the vocoder bundle's preset) is turned back into a waveform with
DiffWave's 6-step fast schedule (Kong et al. 2021, §4; the training schedule respaced to 6 steps
for a bundle without one), and scored against the recording: log-mel L1 and mel-cepstral
distortion (MCD, DTW-aligned) over the samples the vocoder returns (frames × hop: the
recording's tail shorter than a frame is left out); the real-time factor is vocoding time over
audio time.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from diffmm.atomic import atomic_path
from diffmm.audio.io import load_audio, save_audio
from diffmm.demo.bundles import bundle_info, locate
from diffmm.demo.result import DemoContext, Media, PartResult, Score

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
UTTERANCES = ("slt-arctic_a0009", "librivox-sonnet001_15", "alsa-side_right")
FALLBACK_STEPS = 6  # for a bundle without a fast schedule: as many steps, respaced


def outputs() -> list[str]:
    """The files this part writes, relative to its folder."""
    names = [f"{utt}{suffix}" for utt in UTTERANCES for suffix in (".wav", "_reference.wav")]
    return [*names, "spectrograms.png"]


def run(context: DemoContext) -> PartResult:
    from diffmm.audio.plot import plot_spectrogram_pairs
    from diffmm.bundle import load
    from diffmm.metrics.audio import log_mel_l1
    from diffmm.metrics.mcd import mel_cepstral_distortion
    from diffmm.models.vocoder import Vocoder

    bundle = load(locate("vocoder", context.bundle_dir), device=context.device)
    vocoder = Vocoder.from_bundle(bundle)
    rate, preset = vocoder.sample_rate, vocoder.mel_preset
    recordings = {
        utt: load_audio(DATA_DIR / f"{utt}.flac", sample_rate=rate)[0] for utt in UTTERANCES
    }
    mels = [vocoder.mel_from_wav(wav) for wav in recordings.values()]
    steps = None if vocoder.fast_betas else FALLBACK_STEPS
    total = vocoder.schedule(steps).grid(steps).num_steps
    start = time.perf_counter()
    with context.progress("vocode", total, "step") as bar:
        waves = vocoder.vocode(
            mels,
            steps=steps,
            generator=torch.Generator(context.device).manual_seed(context.seed),
            callback=lambda _: bar.update(1),
            dtype=context.dtype,
        )
    seconds = time.perf_counter() - start
    audio_seconds = sum(len(wav) for wav in recordings.values()) / rate

    scores: dict[str, list[float]] = {"l1": [], "mcd": []}
    media, pairs = [], []
    for (utt, reference), mel, wave in zip(recordings.items(), mels, waves):
        generated = wave.numpy()
        scored = reference[: len(generated)]
        scores["l1"].append(log_mel_l1(scored, generated, rate, preset))
        scores["mcd"].append(mel_cepstral_distortion(scored, generated, rate))
        for suffix, wav, label in (
            ("_reference.wav", reference, f"{utt}: the recording"),
            (".wav", generated, f"{utt}: vocoded from its mel"),
        ):
            path = context.out_dir / f"{utt}{suffix}"
            with atomic_path(path) as temporary:
                save_audio(temporary, wav, rate)
            media.append(Media("audio", label, path))
        pairs.append((utt, mel.numpy(), vocoder.mel_from_wav(generated).numpy()))
    spectrograms = context.out_dir / "spectrograms.png"
    with atomic_path(spectrograms) as temporary:
        plot_spectrogram_pairs(pairs, temporary, frame_seconds=preset.hop_length / rate)
    media.append(Media("image", "log-mel: recording (left) vs vocoded (right)", spectrograms))

    return PartResult(
        part="vocode",
        title="Vocoding held-out recordings",
        summary=(
            f"{len(UTTERANCES)} real recordings the vocoder never saw in training (one per "
            f"speaker of the mini speech corpus), turned into log-mels and back into waveforms "
            f"with {total} sampling steps."
        ),
        bundles=[bundle_info("vocoder", bundle)],
        scores=[
            Score("log_mel_l1", "log-mel L1 vs the recording ↓", float(np.mean(scores["l1"]))),
            Score("mcd_db", "MCD vs the recording ↓", float(np.mean(scores["mcd"])), "dB"),
            Score("rtf", "real-time factor ↓", seconds / audio_seconds),
        ],
        media=media,
    )
