"""Griffin–Lim inversion of a log-mel: the waveform it returns has (nearly) that log-mel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffmm.audio.griffin_lim import griffin_lim
from diffmm.audio.mel import MelSpectrogram, get_mel_preset
from diffmm.errors import DiffmmError

pytestmark = pytest.mark.audio


def test_griffin_lim_reproduces_the_mel_of_a_chirp():
    preset = get_mel_preset("hifigan", sample_rate=16000)
    t = np.arange(16000) / 16000
    chirp = 0.5 * np.sin(2 * np.pi * (200 + 600 * t) * t).astype(np.float32)
    mel_of = MelSpectrogram(preset)
    with torch.no_grad():
        target = mel_of(torch.from_numpy(chirp))[0].numpy()
        wav = griffin_lim(target, preset, iterations=32)
        assert wav.shape == (target.shape[1] * preset.hop_length,)
        rebuilt = mel_of(torch.from_numpy(wav))[0].numpy()
    loud = target > np.log(1e-2)  # the chirp's bins, not the floor
    error = np.abs(rebuilt - target)[loud].mean()
    silence = np.abs(mel_of(torch.zeros(16000))[0].numpy() - target)[loud].mean()
    # the pseudo-inverse of the filterbank loses detail: 0.64 nats against 10 for silence
    assert error < 0.8 and silence > 3.0, (error, silence)


def test_griffin_lim_refuses_non_finite_mels():
    preset = get_mel_preset("hifigan", sample_rate=16000)
    with pytest.raises(DiffmmError, match="finite"):
        griffin_lim(np.full((80, 4), np.nan), preset)
