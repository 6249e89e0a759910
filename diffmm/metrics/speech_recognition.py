"""Offline English speech recognition for the word error rate of synthesised speech.

CMU PocketSphinx 5 (the ``pocketsphinx`` package ships its US-English acoustic model, language
model and dictionary, so nothing is downloaded): a 16 kHz continuous-density HMM recogniser with
a trigram language model. It is far weaker than a neural recogniser, so its WER is a coarse
intelligibility check to compare systems with, not an absolute figure: on the ARCTIC clips in
tests/data/speech it transcribes the recordings word for word.
"""

from __future__ import annotations

import importlib

import numpy as np

from diffmm.audio.io import resample
from diffmm.errors import DiffmmError

RECOGNISER_SAMPLE_RATE = 16000  # the rate of pocketsphinx's default acoustic model
INSTALL = "pip install pocketsphinx"


def check_recogniser_installed() -> None:
    """A one-line DiffmmError naming the pip command when pocketsphinx cannot be imported."""
    try:
        importlib.import_module("pocketsphinx")
    except ImportError as error:
        raise DiffmmError(f"--wer needs the pocketsphinx recogniser ({error}): {INSTALL}") from None


class SpeechRecogniser:
    """PocketSphinx's default English decoder, loaded once (~1 s) and reused per utterance."""

    def __init__(self) -> None:
        check_recogniser_installed()
        from pocketsphinx import Decoder

        # loglevel FATAL: the decoder otherwise logs every configuration value to stderr
        self.decoder = Decoder(samprate=RECOGNISER_SAMPLE_RATE, loglevel="FATAL")

    def transcribe(self, wav: np.ndarray, sample_rate: int) -> str:
        """The recognised words of a mono float waveform in [-1, 1] ("" when none)."""
        wav = resample(np.asarray(wav, dtype=np.float32), sample_rate, RECOGNISER_SAMPLE_RATE)
        pcm = (np.clip(wav, -1.0, 1.0) * 32767.0).astype(np.int16)
        self.decoder.start_utt()
        self.decoder.process_raw(pcm.tobytes(), full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return "" if hypothesis is None else hypothesis.hypstr
