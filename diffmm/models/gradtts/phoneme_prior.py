"""PriorGrad's acoustic prior (Lee et al. 2022, §4): per-phoneme mel statistics as the
terminal distribution N(μ_phone, diag σ²_phone) of the decoder's diffusion.

For every symbol of the table, the mean and standard deviation of each of the F mel bins over
all training frames aligned to it (by MAS with a trained encoder, or by given durations), the
standard deviation floored at 0.1 (``STD_MIN``) and symbols never seen given the global
statistics. At training and synthesis time each frame takes the statistics of its token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from diffmm.diffusion.prior import GaussianPrior
from diffmm.errors import DiffmmError
from diffmm.models.gradtts.alignment import expand_to_frames

STD_MIN = 0.1  # PriorGrad: the floor of the phoneme-level standard deviation


@dataclass(frozen=True)
class PhonemePrior:
    """``mean`` and ``std``: (n_symbols, F) tensors."""

    mean: Tensor
    std: Tensor

    def __post_init__(self) -> None:
        if self.mean.ndim != 2 or self.mean.shape != self.std.shape:
            raise DiffmmError(
                f"phoneme statistics must be two (symbols, bins) tensors of one shape, got "
                f"{tuple(self.mean.shape)} and {tuple(self.std.shape)}"
            )
        if not bool((self.std > 0).all()):
            raise DiffmmError("phoneme standard deviations must be positive")

    @classmethod
    def from_alignments(
        cls,
        items: Iterable[tuple[Tensor, Tensor, Tensor]],
        n_symbols: int,
        std_min: float = STD_MIN,
    ) -> PhonemePrior:
        """From (token ids (T_text,), durations (T_text,), mel (F, T_mel)) per utterance, the
        durations summing to T_mel. Accumulates Σy and Σy² per symbol in float64."""
        count = sum_y = sum_y2 = None
        for tokens, durations, mel in items:
            durations = durations.long()
            if int(durations.sum()) != mel.shape[1]:
                raise DiffmmError(
                    f"durations sum to {int(durations.sum())} frames, the mel has {mel.shape[1]}"
                )
            frame_tokens = torch.repeat_interleave(tokens.long(), durations)
            mel = mel.to(torch.float64)
            if count is None:
                bins = mel.shape[0]
                count = torch.zeros(n_symbols, dtype=torch.float64)
                sum_y = torch.zeros(n_symbols, bins, dtype=torch.float64)
                sum_y2 = torch.zeros(n_symbols, bins, dtype=torch.float64)
            count.index_add_(0, frame_tokens, torch.ones_like(frame_tokens, dtype=torch.float64))
            sum_y.index_add_(0, frame_tokens, mel.T)
            sum_y2.index_add_(0, frame_tokens, mel.T**2)
        if count is None or count.sum() == 0:
            raise DiffmmError("no aligned frames to compute phoneme statistics from")
        seen = count > 0
        mean = torch.where(seen[:, None], sum_y / count.clamp_min(1)[:, None], 0.0)
        variance = torch.where(seen[:, None], sum_y2 / count.clamp_min(1)[:, None] - mean**2, 0.0)
        overall_mean = sum_y.sum(0) / count.sum()
        overall_std = (sum_y2.sum(0) / count.sum() - overall_mean**2).clamp_min(0).sqrt()
        mean = torch.where(seen[:, None], mean, overall_mean)
        std = torch.where(seen[:, None], variance.clamp_min(0).sqrt(), overall_std)
        return cls(mean.float(), std.clamp_min(std_min).float())

    def prior(self, tokens: Tensor, alignment: Tensor, mel_mask: Tensor) -> GaussianPrior:
        """N(μ, diag σ²) over frames (B, F, T_mel) for token ids (B, T_text) aligned by
        ``alignment`` (B, T_text, T_mel); padded frames get N(0, 1)."""
        mean = self.mean.to(alignment)[tokens].transpose(1, 2)
        std = self.std.to(alignment)[tokens].transpose(1, 2)
        frame_mean = expand_to_frames(mean, alignment) * mel_mask
        frame_std = torch.where(mel_mask > 0, expand_to_frames(std, alignment), 1.0)
        return GaussianPrior(frame_mean, frame_std)

    def to_tensors(self) -> dict[str, Tensor]:
        return {"phoneme_mean": self.mean, "phoneme_std": self.std}

    @classmethod
    def from_tensors(cls, tensors: dict[str, Tensor]) -> PhonemePrior:
        missing = {"phoneme_mean", "phoneme_std"} - set(tensors)
        if missing:
            raise DiffmmError(f"the bundle lacks the phoneme statistics {sorted(missing)}")
        return cls(tensors["phoneme_mean"].float().cpu(), tensors["phoneme_std"].float().cpu())

    def save(self, path: str | Path) -> Path:
        """Write the statistics as safetensors (to a temporary name, then renamed)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".tmp-{path.name}")
        save_file({k: v.contiguous() for k, v in self.to_tensors().items()}, str(temp))
        temp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> PhonemePrior:
        if not Path(path).is_file():
            raise DiffmmError(f"phoneme statistics {path} not found: run the statistics stage")
        try:
            return cls.from_tensors(load_file(str(path)))
        except SafetensorError as err:
            raise DiffmmError(f"cannot read phoneme statistics {path}: {err}") from err
