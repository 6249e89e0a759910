"""What the DiffWave/PriorGrad recipe reports at each validation and writes at each sample step.

A vocoder vocodes the first ``num_utterances`` held-out utterances, each cut to ``max_frames``
frames, from their mels with the network the trainer hands over (the EMA weights), seeded with
the step. Validation reports ``valid_logmel_l1``, the mean over those utterances of the log-mel
L1 of each waveform against the mel it was vocoded from (``log_mel_l1_to_mel``); the sample
step writes the waveforms. An unconditional model reports nothing and writes two generated
clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from diffmm.audio.io import save_audio
from diffmm.metrics.audio import log_mel_l1_to_mel
from diffmm.models.diffwave import DiffWave
from diffmm.models.vocoder_training import UtteranceDataset, WaveformSpec

UNCONDITIONAL_SAMPLES = 2


@dataclass
class VocoderValidation:
    """The trainer's ``val_fn`` and ``sample_fn`` for a DiffWave/PriorGrad network."""

    spec: WaveformSpec
    valid_set: UtteranceDataset
    sampler: str = "ddpm"
    num_utterances: int = 2
    max_frames: int = 200

    def vocode_held_out(self, net: DiffWave, step: int) -> list[tuple[Tensor, Tensor]]:
        """(generated waveform, reference mel) for the first held-out utterances."""
        count = min(self.num_utterances, len(self.valid_set))
        mels = [self.valid_set[i][1][:, : self.max_frames] for i in range(count)]
        vocoder = self.spec.inference(net)
        waves = vocoder.vocode(
            mels, sampler=self.sampler, generator=torch.Generator().manual_seed(step)
        )
        return list(zip(waves, mels))

    def val_fn(self, net: DiffWave, step: int) -> dict[str, float]:
        if not net.conditional:
            return {}
        errors = [
            log_mel_l1_to_mel(mel.numpy(), wave.numpy(), self.spec.mel_preset)
            for wave, mel in self.vocode_held_out(net, step)
        ]
        return {"valid_logmel_l1": sum(errors) / len(errors)}

    def sample_fn(self, net: DiffWave, step: int, out_dir: Path) -> None:
        if net.conditional:
            waves = [wave for wave, _ in self.vocode_held_out(net, step)]
        else:
            generator = self.spec.inference(net)
            clips = generator.sample(UNCONDITIONAL_SAMPLES, sampler=self.sampler, seed=step)
            waves = list(clips[:, 0].clamp(-1, 1))
        for i, wave in enumerate(waves):
            save_audio(out_dir / f"sample_{i}.wav", wave.numpy(), self.spec.mel_preset.sample_rate)
