"""Training pieces of the DiffWave/PriorGrad recipe: config checks, utterances, random crops,
the loss, and the inference object a trained network becomes.

Items are whole utterances (audio cut or zero-padded to frames × hop samples, and the mel);
the random crop is drawn inside the loss from the trainer's generator, so a resumed run draws
the same crops as an uninterrupted one. Each crop pairs ``crop_frames`` mel frames with the
``crop_frames × hop`` samples they describe; utterances shorter than the crop are padded and
the padding is masked out of the loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from diffmm.audio.datadir import DataDir, load_utterance
from diffmm.audio.features import PRESET_FILE, load_preset, read_feats_scp
from diffmm.audio.mel import MelPreset, check_same_preset
from diffmm.config import ConfigError
from diffmm.diffusion.config import DiffusionConfig, build_denoiser
from diffmm.diffusion.losses import simple_loss
from diffmm.diffusion.losses.output import LossOutput
from diffmm.diffusion.prior import STANDARD_NORMAL
from diffmm.diffusion.schedules import NoiseSchedule
from diffmm.errors import DiffmmError
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.priorgrad import LOSS_TARGET, PriorGradStats, check_priorgrad_diffusion
from diffmm.models.vocoder import Vocoder

Utterance = tuple[Tensor, Tensor | None]  # audio (samples,), mel (n_mels, frames) or None
CropLoss = Callable[[nn.Module, list[Utterance], torch.Generator], tuple[Tensor, dict[str, float]]]


def check_vocoder_config(model: DiffWaveConfig, preset: MelPreset, *, priorgrad: bool) -> None:
    """A ``ConfigError`` for a network that does not fit the mel preset, or for PriorGrad
    without a mel."""
    if model.hop != preset.hop_length:
        raise ConfigError(f"model.hop={model.hop} but the mel preset's hop is {preset.hop_length}")
    if model.n_mels is not None and model.n_mels != preset.n_mels:
        raise ConfigError(f"model.n_mels={model.n_mels} but the mel preset has {preset.n_mels}")
    if priorgrad and model.n_mels is None:
        raise ConfigError("prior.kind=priorgrad needs a mel-conditioned model (model.n_mels)")


@dataclass(frozen=True)
class WaveformSpec:
    """All but the weights of a recipe's trained network: a mel-conditioned DiffWave becomes a
    ``Vocoder`` (PriorGrad's with ``priorgrad``), an unconditional one a ``DiffusionGenerator``
    of ``segment_length``-sample clips. Validation, samples and the exported bundle use it."""

    diffusion: DiffusionConfig
    mel_preset: MelPreset
    fast_betas: list[float] | None = None
    priorgrad: PriorGradStats | None = None
    segment_length: int = 16000

    def inference(self, net: DiffWave) -> Vocoder | DiffusionGenerator:
        if net.conditional:
            return Vocoder(net, self.diffusion, self.mel_preset, self.fast_betas, self.priorgrad)
        return DiffusionGenerator(
            "diffwave",
            net,
            self.diffusion,
            (1, self.segment_length),
            self.mel_preset.sample_rate,
        )


class UtteranceDataset(Dataset):
    """(audio, mel) per utterance of a Kaldi data dir; mel None when no feats.scp is given.

    Features whose dump records another mel preset than ``preset`` are refused.
    """

    def __init__(
        self,
        data_dir: str | Path,
        preset: MelPreset,
        feats_scp: str | Path | None = None,
        *,
        cache: bool = False,
    ) -> None:
        if feats_scp is not None and (Path(feats_scp).parent / PRESET_FILE).is_file():
            dumped = load_preset(Path(feats_scp).parent / PRESET_FILE)
            check_same_preset(preset, dumped, what=str(feats_scp))
        self.data = DataDir.load(data_dir)
        self.preset = preset
        self.feats = read_feats_scp(feats_scp) if feats_scp is not None else None
        self.utt_ids = self.data.utt_ids
        if self.feats is not None:
            missing = sorted(set(self.utt_ids) - set(self.feats))
            if missing:
                raise DiffmmError(
                    f"{feats_scp} has no features for {len(missing)} utterances of {data_dir} "
                    f"(first: {missing[0]}): re-run the feature stage"
                )
        if not self.utt_ids:
            raise DiffmmError(f"data dir {data_dir} holds no utterances")
        self._cache = [self._load(i) for i in range(len(self.utt_ids))] if cache else None

    def __len__(self) -> int:
        return len(self.utt_ids)

    def __getitem__(self, index: int) -> Utterance:
        return self._cache[index] if self._cache is not None else self._load(index)

    def _load(self, index: int) -> Utterance:
        utt = self.utt_ids[index]
        audio = torch.from_numpy(load_utterance(self.data, utt, self.preset.sample_rate))
        if self.feats is None:
            return audio, None
        mel = torch.from_numpy(np.load(self.feats[utt], allow_pickle=False).astype(np.float32))
        if mel.ndim != 2 or mel.shape[0] != self.preset.n_mels:
            raise DiffmmError(
                f"{self.feats[utt]}: mel of shape {tuple(mel.shape)}, expected "
                f"({self.preset.n_mels}, frames) from preset '{self.preset.name}'"
            )
        samples = mel.shape[1] * self.preset.hop_length
        audio = nn.functional.pad(audio[:samples], (0, max(samples - audio.shape[0], 0)))
        return audio, mel


def keep_list(batch: list[Utterance]) -> list[Utterance]:
    """Collate function: utterances differ in length, so the batch stays a list."""
    return batch


def random_crops(
    batch: list[Utterance], crop_samples: int, hop: int, generator: torch.Generator
) -> tuple[Tensor, Tensor | None, Tensor]:
    """Audio (B, 1, crop_samples), mel (B, n_mels, crop_samples / hop) or None, mask (B, 1, crop_samples).

    With mels, a crop starts on a frame boundary; padding uses zeros for the audio and each
    mel's lowest value (silence) for the mel.
    """
    device = generator.device
    audios, mels, masks = [], [], []
    for audio, mel in batch:
        unit = hop if mel is not None else 1
        units = audio.shape[0] // unit
        crop_units = crop_samples // unit
        high = max(units - crop_units, 0) + 1
        start = int(torch.randint(high, (1,), generator=generator, device=device))
        piece = audio[start * unit : (start + crop_units) * unit]
        pad = crop_samples - piece.shape[0]
        audios.append(nn.functional.pad(piece, (0, pad)))
        masks.append(torch.cat([torch.ones(piece.shape[0]), torch.zeros(pad)]))
        if mel is not None:
            frames = mel[:, start : start + crop_units]
            mels.append(
                nn.functional.pad(frames, (0, crop_units - frames.shape[1]), value=float(mel.min()))
            )
    audio = torch.stack(audios).unsqueeze(1).to(device)
    mask = torch.stack(masks).unsqueeze(1).to(device)
    mel = torch.stack(mels).to(device) if mels else None
    return audio, mel, mask


def vocoder_loss(
    net: nn.Module,
    audio: Tensor,
    mel: Tensor | None,
    schedule: NoiseSchedule,
    diffusion: DiffusionConfig,
    *,
    priorgrad: PriorGradStats | None = None,
    hop: int = 1,
    mask: Tensor | None = None,
    norm: str = "l2",
    generator: torch.Generator | None = None,
) -> LossOutput:
    """L_simple on waveforms; with PriorGrad statistics, under the energy prior (Σ⁻¹-weighted:
    the network's ε̂_x is regressed as the whitened ε̂, see ``diffmm.models.priorgrad``)."""
    prior, target = STANDARD_NORMAL, None
    cond: dict[str, Tensor] = {} if mel is None else {"mel": mel}
    if priorgrad is not None:
        if mel is None:
            raise ValueError("the PriorGrad prior needs the mel of each crop")
        check_priorgrad_diffusion(diffusion)
        prior, target = priorgrad.prior(mel, hop), LOSS_TARGET
    return simple_loss(
        build_denoiser(net, diffusion),
        audio,
        schedule,
        prior=prior,
        cond=cond,
        target=target,
        mask=mask,
        norm=norm,
        generator=generator,
    )


def crop_loss(
    schedule: NoiseSchedule,
    diffusion: DiffusionConfig,
    crop_samples: int,
    hop: int,
    *,
    priorgrad: PriorGradStats | None = None,
    norm: str = "l2",
) -> CropLoss:
    """The trainer's loss function: one random crop of ``crop_samples`` per utterance (on a
    frame boundary when the utterances carry mels), then ``vocoder_loss`` over the batch."""

    def loss_fn(
        net: nn.Module, batch: list[Utterance], generator: torch.Generator
    ) -> tuple[Tensor, dict[str, float]]:
        audio, mel, mask = random_crops(batch, crop_samples, hop, generator)
        out = vocoder_loss(
            net,
            audio,
            mel,
            schedule,
            diffusion,
            priorgrad=priorgrad,
            hop=hop,
            mask=mask,
            norm=norm,
            generator=generator,
        )
        return out.loss.mean(), {}

    return loss_fn
