"""Mel → waveform with a DiffWave or PriorGrad bundle: the inference object of both families.

``Vocoder`` owns the vocoder bundle schema: ``to_bundle_config`` writes it, ``export`` writes
the bundle (the recipe's last step) and ``from_bundle`` reads it back (``diffmm vocode``). The
bundle's ``config.yaml`` holds

    model        DiffWaveConfig (n_mels set: the unconditional DiffWave is a
                 ``diffmm.models.generation.DiffusionGenerator``)
    diffusion    the DiffusionConfig; a PriorGrad network reads as ``eps_x`` (see
                 ``priorgrad_diffusion`` for bundles that say ``eps``)
    mel_preset   the full preset dict: a mel made with any other preset is refused
    sample_rate, hop      the preset's, for readers of the file
    fast_betas   DiffWave's 6-step inference schedule, or null
    prior        PriorGrad only: {kind: priorgrad, energy_clip, std_min}

and, for PriorGrad, the training-set energy range as the tensors ``energy_min``/``energy_max``.

Utterances of a batch are padded to the longest with the batch's lowest mel value (silence)
and each output is cropped back to frames × hop samples. The conditioner is computed once per
batch and handed to every diffusion step: in float32 every layer's projection (the fastest,
338 MB per second of 22.05 kHz audio for BASE), in bf16/fp16 the upsampled mel, which the
network projects inside each layer. A batch holding more than ``chunk_seconds`` of audio runs
the network in chunks (:mod:`diffmm.models.chunked_network`) so that memory stays bounded.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from diffmm.audio.mel import MelPreset, MelSpectrogram, log_mel_range
from diffmm.bundle import Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.prior import STANDARD_NORMAL
from diffmm.diffusion.samplers import StepCallback, generate
from diffmm.diffusion.schedules import DiscreteSchedule, NoiseSchedule
from diffmm.errors import DiffmmError
from diffmm.models.chunked_network import ChunkedNetwork, chunk_samples
from diffmm.models.diffwave import DiffWave
from diffmm.models.precision import check_precision, inference_precision
from diffmm.models.priorgrad import PriorGradStats, check_priorgrad_diffusion, priorgrad_diffusion

FAST_BETAS = [1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5]  # Kong et al. 2021, 6-step fast schedule
VOCODER_FAMILIES = ("diffwave", "priorgrad")
CHUNK_SECONDS = 10.0  # audio per network evaluation, summed over the batch: ≤ 3.4 GB of cache


@dataclass
class Vocoder:
    """A mel-conditioned DiffWave; with ``priorgrad`` statistics, PriorGrad's vocoder, whose
    ``diffusion`` must read the network as ε̂_x (``priorgrad_diffusion``)."""

    model: DiffWave
    diffusion: DiffusionConfig
    mel_preset: MelPreset
    fast_betas: list[float] | None = None
    priorgrad: PriorGradStats | None = None

    def __post_init__(self) -> None:
        if self.priorgrad is not None:
            check_priorgrad_diffusion(self.diffusion)

    @property
    def family(self) -> str:
        return "priorgrad" if self.priorgrad is not None else "diffwave"

    def to_bundle_config(self) -> dict[str, Any]:
        """The ``config.yaml`` of a vocoder bundle (see the module docstring)."""
        config: dict[str, Any] = {
            "model": config_to_dict(self.model.cfg),
            "diffusion": config_to_dict(self.diffusion),
            "mel_preset": self.mel_preset.to_dict(),
            "sample_rate": self.sample_rate,
            "hop": self.hop,
            "fast_betas": None if self.fast_betas is None else list(self.fast_betas),
        }
        if self.priorgrad is not None:
            config["prior"] = {
                "kind": "priorgrad",
                "energy_clip": self.priorgrad.energy_clip,
                "std_min": self.priorgrad.std_min,
            }
        return config

    def export(self, path: str | Path) -> Path:
        """Write this vocoder as a bundle at ``path``; returns ``path``."""
        return export_bundle(
            path,
            family=self.family,
            config=self.to_bundle_config(),
            model=self.model,
            tensors=self.priorgrad.to_tensors() if self.priorgrad is not None else None,
        )

    @classmethod
    def from_bundle(
        cls, bundle: Bundle | str | Path, *, device: str | torch.device = "cpu"
    ) -> Vocoder:
        """From a ``diffwave``/``priorgrad`` bundle directory, or one loaded already."""
        bundle = open_bundle(bundle, VOCODER_FAMILIES, device=device)
        config = bundle.config
        if not bundle.model.conditional:
            raise DiffmmError(
                f"bundle {bundle.path} is an unconditional DiffWave: use `diffmm sample`"
            )
        if "mel_preset" not in config:
            raise DiffmmError(f"bundle {bundle.path} is not a mel-conditioned vocoder")
        preset = MelPreset.from_dict(config["mel_preset"])
        diffusion = DiffusionConfig.from_dict(config["diffusion"])
        priorgrad = None
        if bundle.family == "priorgrad":
            prior = config["prior"]
            priorgrad = PriorGradStats.from_tensors(
                preset, bundle.tensors, prior["energy_clip"], prior["std_min"]
            )
            diffusion = priorgrad_diffusion(diffusion)
        return cls(bundle.model, diffusion, preset, config.get("fast_betas"), priorgrad)

    @property
    def hop(self) -> int:
        return self.mel_preset.hop_length

    @property
    def sample_rate(self) -> int:
        return self.mel_preset.sample_rate

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def check_mel(self, mel: np.ndarray | Tensor, source: str) -> Tensor:
        """A (n_mels, frames) float32 tensor, or a DiffmmError naming ``source``.

        A (1, n_mels, frames) batch of one is read as its mel, with a warning. Integer values,
        and values outside ``log_mel_range`` of the bundle's preset (which no audio in [−1, 1]
        gives: a linear-magnitude or otherwise scaled mel), are errors; a natural-log mel with
        no negative value is vocoded with a warning (it looks like a linear magnitude)."""
        array = np.asarray(mel)
        if not np.issubdtype(array.dtype, np.floating):
            raise DiffmmError(
                f"{source}: mel holds {array.dtype} values; a log-mel is floating point"
            )
        mel = torch.as_tensor(array.astype(np.float32))
        n_mels = self.mel_preset.n_mels
        if mel.ndim == 3 and mel.shape[0] == 1 and mel.shape[1] == n_mels:
            warnings.warn(
                f"{source}: read the (1, {n_mels}, frames) array as one mel", stacklevel=2
            )
            mel = mel[0]
        if mel.ndim != 2 or mel.shape[0] != n_mels:
            raise DiffmmError(
                f"{source}: mel of shape {tuple(mel.shape)}, this vocoder needs ({n_mels}, "
                f"frames) from mel preset '{self.mel_preset.name}'"
            )
        if mel.shape[1] == 0:
            raise DiffmmError(f"{source}: mel has no frames")
        if not bool(torch.isfinite(mel).all()):
            raise DiffmmError(f"{source}: mel contains NaN or inf")
        self._check_range(mel, source)
        return mel

    def _check_range(self, mel: Tensor, source: str) -> None:
        low, high = self.mel_range
        found_low, found_high = float(mel.min()), float(mel.max())
        slack = 1e-3 * (high - low)  # float32 round-off of a mel computed elsewhere
        preset = f"'{self.mel_preset.name}' log-mels"
        if found_low < low - slack or found_high > high + slack:
            raise DiffmmError(
                f"{source}: mel values span [{found_low:.3g}, {found_high:.3g}], outside "
                f"[{low:.3g}, {high:.3g}] where {preset} of any audio lie: a linear-magnitude "
                "or differently scaled mel?"
            )
        if low < 0 and found_low >= 0:
            warnings.warn(
                f"{source}: no mel value is below 0, unlike {preset} of real audio: a "
                "linear-magnitude mel? vocoding it as a log-mel",
                stacklevel=3,
            )

    @functools.cached_property
    def mel_range(self) -> tuple[float, float]:
        """``log_mel_range`` of the bundle's preset: the values a mel of real audio can take."""
        return log_mel_range(self.mel_preset)

    def mel_from_wav(self, wav: np.ndarray) -> Tensor:
        """The bundle's own log-mel of a waveform at the bundle's sample rate: (n_mels, frames)."""
        with torch.no_grad():
            return MelSpectrogram(self.mel_preset)(torch.from_numpy(wav))[0]

    def schedule(self, steps: int | None = None, fast: bool | None = None) -> NoiseSchedule:
        """The fast β list by default (``steps`` unset and the bundle has one), else the
        training schedule, which the sampler respaces to ``steps``."""
        training = build_schedule(self.diffusion)
        use_fast = (steps is None and bool(self.fast_betas)) if fast is None else fast
        if not use_fast:
            return training
        if steps is not None:
            raise DiffmmError("--fast runs the fixed fast schedule; it takes no --steps")
        if not self.fast_betas or not isinstance(training, DiscreteSchedule):
            raise DiffmmError("this bundle has no fast inference schedule: pass --steps")
        return training.fast_schedule(self.fast_betas)

    def vocode(
        self,
        mels: Sequence[Tensor],
        *,
        sampler: str = "ddpm",
        steps: int | None = None,
        fast: bool | None = None,
        generator: torch.Generator | None = None,
        callback: StepCallback | None = None,
        cache_condition: bool = True,
        dtype: str = "fp32",
        chunk_seconds: float | None = CHUNK_SECONDS,
    ) -> list[Tensor]:
        """One batch of (n_mels, frames) mels → float32 waveforms (frames × hop,) in [-1, 1] on
        the CPU. ``cache_condition=False`` recomputes the conditioner at every step (the naive
        path); ``dtype`` is the network's precision (``diffmm.models.precision``). A batch of
        more than ``chunk_seconds`` of audio (summed over its utterances) runs the network in
        chunks of that much with the receptive field as context: equal to unchunked to float32
        round-off, in bounded memory; ``None`` never chunks.
        """
        check_precision(dtype, self.device)
        schedule = self.schedule(steps, fast)
        frames = [m.shape[-1] for m in mels]
        batch = pad_mels(mels).to(self.device)
        prior = STANDARD_NORMAL if self.priorgrad is None else self.priorgrad.prior(batch, self.hop)
        with torch.no_grad(), inference_precision(dtype, self.device):
            network, cond = self.network(batch, dtype, cache_condition, chunk_seconds)
            audio = generate(
                build_denoiser(network, self.diffusion),
                schedule,
                (len(mels), 1, batch.shape[-1] * self.hop),
                sampler=sampler,
                num_steps=steps,
                prior=prior,
                cond=cond,
                generator=generator,
                callback=callback,
                device=self.device,
            )
        audio = audio[:, 0].float().clamp(-1.0, 1.0).cpu()
        return [audio[i, : n * self.hop] for i, n in enumerate(frames)]

    def network(
        self, batch: Tensor, dtype: str, cache_condition: bool, chunk_seconds: float | None
    ) -> tuple[DiffWave | ChunkedNetwork, dict[str, Tensor]]:
        """The network the denoiser calls for a padded mel batch, and its per-step conditioner
        (see the module docstring)."""
        if not cache_condition:
            return self.model, {"mel": batch}
        samples = batch.shape[-1] * self.hop
        chunk = samples
        if chunk_seconds is not None:
            chunk = chunk_samples(samples, batch.shape[0], chunk_seconds, self.sample_rate)
        if dtype == "fp32" and chunk == samples:
            return self.model, {"condition": self.model.condition(batch)}
        # the upsampler's transposed convs have no fast bf16 CPU kernel (1 s per second of
        # audio against 60 ms in float32), and its output is only 80 values a sample
        with torch.autocast(self.device.type, enabled=False):
            upsampled = self.model.upsample(batch)
        if chunk < samples:
            return ChunkedNetwork(self.model, upsampled, chunk), {}
        return self.model, {"upsampled": upsampled}


def pad_mels(mels: Sequence[Tensor]) -> Tensor:
    """Stack (n_mels, frames_i) mels into (B, n_mels, max frames), padding with the lowest value."""
    if not mels:
        raise ValueError("no mels to vocode")
    longest = max(m.shape[-1] for m in mels)
    floor = min(float(m.min()) for m in mels)
    out = torch.full((len(mels), mels[0].shape[0], longest), floor, dtype=torch.float32)
    for i, mel in enumerate(mels):
        out[i, :, : mel.shape[-1]] = mel
    return out
