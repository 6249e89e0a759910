"""Audio front end: soundfile I/O, log-mel presets, Kaldi data dirs, feature dumps and statistics.

Imports ``diffmm.errors`` and at most ``diffmm.diffusion`` / ``diffmm.nn``, never ``diffmm.models``.
"""

from diffmm.audio.io import load_audio, loudness_normalize, peak_normalize, save_audio
from diffmm.audio.mel import MEL_PRESETS, MelPreset, MelSpectrogram, get_mel_preset

__all__ = [
    "MEL_PRESETS",
    "MelPreset",
    "MelSpectrogram",
    "get_mel_preset",
    "load_audio",
    "loudness_normalize",
    "peak_normalize",
    "save_audio",
]
