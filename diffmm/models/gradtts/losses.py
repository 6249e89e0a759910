"""Grad-TTS's encoder losses and the random decoder segment (Popov et al. 2021, §3).

- prior loss: −log N(y; μ, I) per mel value, averaged over the valid values, the encoder's
  maximum-likelihood objective under the aligned means (eq. 14, with its constant ½ log 2π);
- duration loss: mean squared error between the predicted log-durations and log(d) of the MAS
  durations (eq. 15), over valid tokens;
- the decoder is trained on one random segment of at most ``segment_frames`` frames per
  utterance (2 s in the paper, 172 frames at 22.05 kHz with hop 256) to bound memory.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

DURATION_EPS = 1e-8  # log(d + ε): a token MAS gave no frame (padding) stays finite


def prior_loss(mel: Tensor, mu: Tensor, mask: Tensor, std: Tensor | None = None) -> Tensor:
    """Σ ½((y − μ)²/σ² + log 2π) + log σ over valid values / their count: a scalar."""
    z = mel - mu if std is None else (mel - mu) / std
    per_value = 0.5 * (z**2 + math.log(2 * math.pi))
    if std is not None:
        per_value = per_value + torch.log(std)
    count = mask.sum() * mel.shape[1]
    return (per_value * mask).sum() / count


def duration_loss(log_durations: Tensor, durations: Tensor, text_mask: Tensor) -> Tensor:
    """Σ (log d̂ − log(d + ε))² over valid tokens / their count. ``log_durations`` and
    ``text_mask``: (B, 1, T_text); ``durations``: (B, T_text)."""
    target = torch.log(durations.unsqueeze(1) + DURATION_EPS) * text_mask
    return ((log_durations - target) ** 2 * text_mask).sum() / text_mask.sum()


def random_segments(
    lengths: Tensor, segment_frames: int, generator: torch.Generator | None = None
) -> Tensor:
    """Start frame (B,) of one segment per utterance, uniform over [0, length − segment]
    (0 for utterances no longer than the segment)."""
    room = (lengths - segment_frames).clamp_min(0).to(torch.float64)
    u = torch.rand(lengths.shape, generator=generator, device=lengths.device, dtype=torch.float64)
    return torch.floor(u * (room + 1)).long()


def cut_segments(x: Tensor, starts: Tensor, segment_frames: int) -> Tensor:
    """x[b, ..., start_b : start_b + segment] for each b along the last (frame) axis; the
    whole axis when it is no longer than the segment."""
    frames = x.shape[-1]
    width = min(segment_frames, frames)
    index = starts[:, None] + torch.arange(width, device=x.device)[None, :]
    shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (width,)
    return torch.gather(x, -1, index.view(shape).expand(*x.shape[:-1], width))
