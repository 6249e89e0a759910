"""Between tokens and frames: the log-likelihood MAS maximises, the hard alignment of given
durations, and expanding per-token values to frames along an alignment.

An alignment A is (B, T_text, T_mel) with A[b, i, j] = 1 when frame j belongs to token i.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from diffmm.models.gradtts.text_encoder import sequence_mask


def frame_log_likelihood(mu: Tensor, mel: Tensor, std: Tensor | None = None) -> Tensor:
    """log N(y_j; μ̃_i, diag σ_i²) summed over features: (B, T_text, T_mel).

    ``mu``: (B, F, T_text) per-token means; ``mel``: (B, F, T_mel); ``std``: per-token
    (B, F, T_text) standard deviations (PriorGrad-AM), None for Grad-TTS's σ = 1. Expanded as
    −½Σ y²/σ² + Σ y μ/σ² − ½Σ μ²/σ² − Σ log σ − ½F log 2π, three matrix products instead of a
    (B, T_text, T_mel, F) difference.
    """
    features = mu.shape[1]
    precision = torch.ones_like(mu) if std is None else std**-2
    y_term = -0.5 * precision.transpose(1, 2) @ mel**2
    cross = (precision * mu).transpose(1, 2) @ mel
    mu_term = -0.5 * (precision * mu**2).sum(1, keepdim=True).transpose(1, 2)
    log_norm = -0.5 * features * math.log(2 * math.pi)
    if std is not None:
        log_norm = log_norm - torch.log(std).sum(1, keepdim=True).transpose(1, 2)
    return y_term + cross + mu_term + log_norm


def expand_to_frames(values: Tensor, alignment: Tensor) -> Tensor:
    """Per-token values (B, F, T_text) → per-frame values (B, F, T_mel): Σ_i A[i, j] v_i."""
    return values @ alignment


def durations_from_alignment(alignment: Tensor) -> Tensor:
    """Frames per token, (B, T_text)."""
    return alignment.sum(-1)


def alignment_from_durations(durations: Tensor, mel_length: int | None = None) -> Tensor:
    """The hard alignment of integer durations (B, T_text): token i covers the frames
    [Σ_{k<i} d_k, Σ_{k≤i} d_k). ``mel_length`` pads the frame axis (default: the longest)."""
    durations = durations.long()
    ends = durations.cumsum(1)
    total = int(ends[:, -1].max()) if mel_length is None else mel_length
    frames = torch.arange(total, device=durations.device)
    starts = ends - durations
    inside = (frames[None, None, :] >= starts[..., None]) & (
        frames[None, None, :] < ends[..., None]
    )
    return inside.float()


def predicted_durations(
    log_durations: Tensor, text_mask: Tensor, length_scale: float = 1.0
) -> Tensor:
    """Grad-TTS inference: ⌈exp(log d̂) · length_scale⌉ frames per valid token, (B, T_text).

    Each utterance gets at least one frame in all (its first token's duration is raised to 1
    when every predicted duration rounds to 0)."""
    durations = torch.ceil(torch.exp(log_durations) * text_mask * length_scale)[:, 0]
    empty = durations.sum(1) < 1
    durations[empty, 0] = 1.0
    return durations


def mel_mask_from_durations(durations: Tensor) -> tuple[Tensor, Tensor]:
    """The frame count (B,) and (B, 1, T_mel) mask of an utterance with these durations."""
    lengths = durations.sum(1).long()
    return lengths, sequence_mask(lengths)
