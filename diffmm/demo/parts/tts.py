"""Demo part ``tts``: three fixed sentences through Grad-TTS and the vocoder.

The acoustic bundle turns each sentence into a mel with 10 decoder steps (Popov et al. 2021:
10 Euler steps at τ = 1.5 for the paper's model; a bundle's own sampler and temperature are
kept), the vocoder bundle turns the mel into a waveform with its fast schedule. Scores: the
real-time factor of each stage, and how faithfully the vocoder renders the mels it is given
(log-mel L1 of the waveform against the acoustic model's mel).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from diffmm.atomic import atomic_path
from diffmm.audio.io import save_audio
from diffmm.demo.bundles import bundle_info, locate
from diffmm.demo.result import DemoContext, Media, PartResult, Score

SENTENCES = (  # one in the style of the mini corpus's synthetic grammar, two outside it
    ("sentence1", "The young doctor looked for a long time at the harbour lights."),
    ("sentence2", "Diffusion models turn noise into speech, one small step at a time."),
    ("sentence3", "Please call Stella and ask her to bring these things from the store."),
)
ACOUSTIC_STEPS = 10
FALLBACK_VOCODER_STEPS = 6


def outputs() -> list[str]:
    """The files this part writes, relative to its folder."""
    return [f"{sid}{suffix}" for sid, _ in SENTENCES for suffix in (".wav", ".npy")] + [
        "spectrograms.png"
    ]


def run(context: DemoContext) -> PartResult:
    from diffmm.audio.mel import check_same_preset
    from diffmm.audio.plot import plot_spectrogram_pairs
    from diffmm.bundle import load
    from diffmm.metrics.audio import log_mel_l1_to_mel
    from diffmm.models.gradtts.synthesizer import TextToMel
    from diffmm.models.vocoder import Vocoder

    acoustic_bundle = load(locate("tts", context.bundle_dir), device=context.device)
    vocoder_bundle = load(locate("vocoder", context.bundle_dir), device=context.device)
    tts = TextToMel.from_bundle(acoustic_bundle)
    vocoder = Vocoder.from_bundle(vocoder_bundle)
    check_same_preset(tts.mel_preset, vocoder.mel_preset, what="the demo's vocoder bundle")
    preset, rate = tts.mel_preset, tts.mel_preset.sample_rate
    vocoder_steps = None if vocoder.fast_betas else FALLBACK_VOCODER_STEPS
    per_sentence = ACOUSTIC_STEPS + vocoder.schedule(vocoder_steps).grid(vocoder_steps).num_steps
    generator = torch.Generator(context.device).manual_seed(context.seed)
    acoustic_seconds = vocoder_seconds = audio_seconds = 0.0
    media, pairs, fidelity = [], [], []
    tokens = [tts.encode(text) for _, text in SENTENCES]  # the frontend loads outside the timing
    with context.progress("tts", len(SENTENCES) * per_sentence, "step") as bar:
        for (sid, text), ids in zip(SENTENCES, tokens):
            start = time.perf_counter()
            (synthesis,) = tts.mel_from_tokens(
                [ids],
                steps=ACOUSTIC_STEPS,
                generator=generator,
                callback=lambda _: bar.update(1),
                dtype=context.dtype,
            )
            mel = synthesis.mel
            acoustic_seconds += time.perf_counter() - start
            start = time.perf_counter()
            wave = vocoder.vocode(
                [mel],
                steps=vocoder_steps,
                generator=generator,
                callback=lambda _: bar.update(1),
                dtype=context.dtype,
            )[0].numpy()
            vocoder_seconds += time.perf_counter() - start
            audio_seconds += len(wave) / rate
            fidelity.append(log_mel_l1_to_mel(mel.numpy(), wave, preset))
            with atomic_path(context.out_dir / f"{sid}.npy") as temporary:
                np.save(temporary, mel.numpy())
            path = context.out_dir / f"{sid}.wav"
            with atomic_path(path) as temporary:
                save_audio(temporary, wave, rate)
            media.append(Media("audio", f"“{text}”", path))
            pairs.append((sid, mel.numpy(), vocoder.mel_from_wav(wave).numpy()))
    spectrograms = context.out_dir / "spectrograms.png"
    with atomic_path(spectrograms) as temporary:
        plot_spectrogram_pairs(pairs, temporary, frame_seconds=preset.hop_length / rate)
    media.append(
        Media("image", "mel: Grad-TTS's (left) vs the vocoded waveform's (right)", spectrograms)
    )
    return PartResult(
        part="tts",
        title="Text to speech",
        summary=(
            f"{len(SENTENCES)} fixed sentences: Grad-TTS makes each mel in {ACOUSTIC_STEPS} "
            "steps, the vocoder makes the waveform; every sentence is new to both models."
        ),
        bundles=[bundle_info("tts", acoustic_bundle), bundle_info("vocoder", vocoder_bundle)],
        scores=[
            Score("rtf_acoustic", "real-time factor, Grad-TTS ↓", acoustic_seconds / audio_seconds),
            Score("rtf_vocoder", "real-time factor, vocoder ↓", vocoder_seconds / audio_seconds),
            Score(
                "vocoder_log_mel_l1",
                "log-mel L1, waveform vs Grad-TTS's mel ↓",
                float(np.mean(fidelity)),
            ),
            Score("speech_seconds", "speech generated", audio_seconds, "s"),
        ],
        media=media,
    )
