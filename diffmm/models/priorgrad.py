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

The network predicts the noise in data units, ε_x ~ N(0, Σ), as in the paper; it returns
ε = ε_x / σ, the whitened noise the engine regresses, so the engine's simple loss with the
prior, ‖ε − ε̂‖², is PriorGrad's ‖ε_x − ε̂_x‖²_{Σ⁻¹}. Training noise (x_t = α x_0 + σ_t σ ε)
and the sampler's starting noise come from the same prior through the engine's ``prior=``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from diffmm.audio.mel import MelPreset, frame_energy
from diffmm.diffusion.prior import GaussianPrior
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.registry import register_family

ENERGY_CLIP = 4.0  # PriorGrad reference code, max_energy_override
STD_MIN = 0.1  # PriorGrad reference code, std_min


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


class PriorGradVocoder(DiffWave):
    """DiffWave whose raw output is ε̂_x (data units); returns ε̂ = ε̂_x / σ for the engine."""

    def forward(
        self,
        audio: Tensor,
        steps: Tensor,
        mel: Tensor | None = None,
        condition: Tensor | None = None,
        prior_std: Tensor | None = None,
    ) -> Tensor:
        if prior_std is None:
            raise ValueError("a PriorGrad vocoder needs prior_std= (the prior's σ per sample)")
        noise_in_data_units = super().forward(audio, steps, mel=mel, condition=condition)
        return noise_in_data_units / prior_std.reshape(noise_in_data_units.shape)


@register_family("priorgrad")
def build_priorgrad(config: dict) -> PriorGradVocoder:
    """Rebuild the network from a bundle's (or recipe's) config dictionary."""
    return PriorGradVocoder(DiffWaveConfig(**config["model"]))
