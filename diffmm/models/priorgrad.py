"""PriorGrad vocoder (Lee et al. 2022): DiffWave with a data-dependent prior N(0, diag σ²).

σ follows the loudness of each mel frame. With the frame energy E = √(Σ_bins m) of the linear
mel magnitude m (√(Σ exp(log-mel)) for the natural-log ``hifigan`` preset, the paper's case;
``diffmm.audio.mel.frame_energy``, the same function stage 3 uses for the statistics), what
is implemented, following the paper and its reference code (microsoft/NeuralSpeech,
PriorGrad-vocoder):

    E_top = energy_clip if energy_clip is set, else the training-set maximum energy_max
    σ     = max((min(E, E_top) − energy_min) / (E_top − energy_min), std_min)

with energy_min / energy_max over every frame of the training set (stage 3 statistics, kept
in the bundle), energy_clip = 4 (the reference's ``max_energy_override``: the top of the
normalisation is 4, not the training maximum, so outlier frames do not squash the rest) and
std_min = 0.1. Each frame's σ is repeated over its ``hop`` samples. So σ ∈ [std_min, 1].

The network is DiffWave's and predicts the noise in data units, ε̂_x with ε_x ~ N(0, Σ), as
in the paper. σ reaches the computation once, as the engine's ``prior=``: it draws the
training noise (x_t = α x_0 + σ_t σ ε) and the sampler's starting noise, and the denoiser's
``eps_x`` parameterization reads the network output as ε̂_x and divides it by σ. The loss
regresses the whitened ε (target ``eps``), so the engine's ‖ε − ε̂‖² is PriorGrad's
‖ε_x − ε̂_x‖²_{Σ⁻¹} (``priorgrad_diffusion``, ``LOSS_TARGET``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import Tensor

from diffmm.audio.features import load_stats
from diffmm.audio.mel import MelPreset, frame_energy
from diffmm.diffusion.config import DiffusionConfig
from diffmm.diffusion.prior import GaussianPrior
from diffmm.models.diffwave import build_diffwave
from diffmm.models.registry import register_family

ENERGY_CLIP = 4.0  # PriorGrad reference code, max_energy_override
STD_MIN = 0.1  # PriorGrad reference code, std_min
NOISE_IN_DATA_UNITS = "eps_x"  # the network's ε̂_x = σ ε̂
LOSS_TARGET = "eps"  # the whitened ε: the Σ⁻¹-weighted loss of the paper


@dataclass(frozen=True)
class PriorGradStats:
    """The training-set frame-energy range, the two constants of the prior and the mel preset
    (needed to undo its log compression)."""

    mel_preset: MelPreset
    energy_min: float
    energy_max: float
    energy_clip: float | None = ENERGY_CLIP
    std_min: float = STD_MIN

    def __post_init__(self) -> None:
        if not 0.0 < self.std_min <= 1.0:
            raise ValueError(f"std_min must lie in (0, 1], got {self.std_min}")
        if self.energy_top <= self.energy_min:
            raise ValueError(
                f"the energy range is empty: energy_min={self.energy_min} is not below the "
                f"top of the normalisation {self.energy_top}"
            )

    @property
    def energy_top(self) -> float:
        return self.energy_max if self.energy_clip is None else self.energy_clip

    def frame_std(self, log_mel: Tensor) -> Tensor:
        """σ per frame, (B, n_mels, frames) → (B, frames); see the module docstring."""
        if log_mel.ndim != 3:
            raise ValueError(
                f"log-mel must have shape (B, n_mels, frames), got {tuple(log_mel.shape)}"
            )
        energy = frame_energy(log_mel, self.mel_preset).clamp(max=self.energy_top)
        normalized = (energy - self.energy_min) / (self.energy_top - self.energy_min)
        return normalized.clamp(min=self.std_min)

    def waveform_std(self, log_mel: Tensor, hop: int) -> Tensor:
        """σ repeated to the sample rate: (B, n_mels, frames) → (B, 1, frames · hop)."""
        return self.frame_std(log_mel).repeat_interleave(hop, dim=-1).unsqueeze(1)

    def prior(self, log_mel: Tensor, hop: int) -> GaussianPrior:
        """N(0, diag σ²) over waveforms of shape (B, 1, frames · hop)."""
        return GaussianPrior(mean=0.0, std=self.waveform_std(log_mel, hop))

    def to_tensors(self) -> dict[str, Tensor]:
        """The statistics as bundle tensors (float64 scalars)."""
        return {
            "energy_min": torch.tensor(self.energy_min, dtype=torch.float64),
            "energy_max": torch.tensor(self.energy_max, dtype=torch.float64),
        }

    @classmethod
    def from_stats(
        cls,
        path: str | Path,
        mel_preset: MelPreset,
        *,
        energy_clip: float | None = ENERGY_CLIP,
        std_min: float = STD_MIN,
    ) -> PriorGradStats:
        """From the stage-3 statistics file (``diffmm.audio.features.save_stats``)."""
        stats = load_stats(path)
        return cls(mel_preset, stats["energy_min"], stats["energy_max"], energy_clip, std_min)

    @classmethod
    def from_tensors(
        cls,
        mel_preset: MelPreset,
        tensors: dict[str, Tensor],
        energy_clip: float | None,
        std_min: float,
    ) -> PriorGradStats:
        missing = [k for k in ("energy_min", "energy_max") if k not in tensors]
        if missing:
            raise ValueError(f"PriorGrad statistics missing from the bundle: {', '.join(missing)}")
        energy_min, energy_max = float(tensors["energy_min"]), float(tensors["energy_max"])
        return cls(mel_preset, energy_min, energy_max, energy_clip, std_min)


def priorgrad_diffusion(cfg: DiffusionConfig) -> DiffusionConfig:
    """``cfg`` with the network output read as noise in data units (``eps_x``).

    Recipe configs say ``eps`` for a PriorGrad network, and so do the bundles exported before
    the engine had ``eps_x``: the network then divided by σ itself, given σ a second time as
    ``prior_std``. The weights are the same and the denoiser's division is the same float
    operation, so ``eps`` maps to ``eps_x`` and such bundles vocode bit-identically. Other
    parameterizations are refused: PriorGrad's network predicts noise.
    """
    if cfg.parameterization not in ("eps", NOISE_IN_DATA_UNITS):
        raise ValueError(
            f"a PriorGrad network predicts noise (parameterization eps), not "
            f"{cfg.parameterization!r}"
        )
    return replace(cfg, parameterization=NOISE_IN_DATA_UNITS)


def check_priorgrad_diffusion(cfg: DiffusionConfig) -> None:
    """A ``ValueError`` unless the denoiser reads the network as PriorGrad's ε̂_x."""
    if cfg.parameterization != NOISE_IN_DATA_UNITS:
        raise ValueError(
            f"a PriorGrad network's output is noise in data units: its diffusion config needs "
            f"parameterization {NOISE_IN_DATA_UNITS!r} (priorgrad_diffusion), not "
            f"{cfg.parameterization!r}"
        )


# The network is DiffWave's: only the denoiser reads its output differently.
register_family("priorgrad", build_diffwave)
