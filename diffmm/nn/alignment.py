"""Monotonic alignment search (MAS; Glow-TTS, Kim et al. 2020, as used by Grad-TTS).

Given log-likelihoods ``log_likelihood[b, i, j]`` of mel frame j under text token i, MAS finds
the hard alignment A (a 0/1 matrix) that maximises Σ_j log_likelihood[b, A(j), j] over monotonic
paths: frame 0 goes to token 0, the last frame to the last token, and from one frame to the next
the token stays or advances by one. So every frame gets exactly one token and every token at
least one frame; the durations are ``A.sum(-1)``.

Dynamic programming: Q[i, j] = log_likelihood[i, j] + max(Q[i, j-1], Q[i-1, j-1]), then
backtracking from (T_text-1, T_mel-1). The recursion runs over frames, vectorised over the batch
and the tokens, in numpy on the CPU (as Glow-TTS does): no compiler step, and a GPU would spend
its time launching one small kernel per frame. Ties go to staying on the same token, as in
Glow-TTS's implementation.
"""

from __future__ import annotations

import numpy as np
import torch


@torch.no_grad()
def monotonic_alignment_search(
    log_likelihood: torch.Tensor, text_mask: torch.Tensor, mel_mask: torch.Tensor
) -> torch.Tensor:
    """The most likely monotonic alignment A, shape (B, T_text, T_mel), on the input's device.

    ``log_likelihood``: (B, T_text, T_mel); ``text_mask``: (B, T_text) and ``mel_mask``:
    (B, T_mel), true (or 1) on the valid prefix of each sequence. A is 0 outside the masks.
    Each item needs 1 ≤ T_text ≤ T_mel valid positions, or no path exists (ValueError).
    """
    if log_likelihood.dim() != 3:
        raise ValueError(
            f"log_likelihood must be (B, T_text, T_mel), got {tuple(log_likelihood.shape)}"
        )
    batch, max_text, max_mel = log_likelihood.shape
    if tuple(text_mask.shape) != (batch, max_text) or tuple(mel_mask.shape) != (batch, max_mel):
        raise ValueError(
            f"masks must be (B, T_text) = {(batch, max_text)} and (B, T_mel) = {(batch, max_mel)},"
            f" got {tuple(text_mask.shape)} and {tuple(mel_mask.shape)}"
        )
    text_lengths = text_mask.bool().sum(1).cpu().numpy()
    mel_lengths = mel_mask.bool().sum(1).cpu().numpy()
    impossible = np.flatnonzero((text_lengths < 1) | (text_lengths > mel_lengths))
    if impossible.size:
        b = int(impossible[0])
        raise ValueError(
            f"no monotonic alignment for batch item {b}: {int(text_lengths[b])} tokens, "
            f"{int(mel_lengths[b])} frames (needs 1 <= tokens <= frames)"
        )
    # float64: the running sums over a thousand frames must still tell close paths apart
    scores = log_likelihood.detach().to("cpu", torch.float64).numpy()
    advanced = _forward(scores, text_lengths, mel_lengths)
    path = _backtrack(advanced, text_lengths, mel_lengths)
    return torch.from_numpy(path).to(device=log_likelihood.device, dtype=log_likelihood.dtype)


def _forward(scores: np.ndarray, text_lengths: np.ndarray, mel_lengths: np.ndarray) -> np.ndarray:
    """advanced[b, i, j]: whether the best path into (i, j) came from token i-1 at frame j-1."""
    batch, max_text, max_mel = scores.shape
    text_valid = np.arange(max_text)[None, :] < text_lengths[:, None]
    mel_valid = np.arange(max_mel)[None, :] < mel_lengths[:, None]
    # -inf marks cells no path may enter; it keeps padding out of every maximum
    scores = np.where(text_valid[:, :, None] & mel_valid[:, None, :], scores, -np.inf)
    advanced = np.zeros((batch, max_text, max_mel), dtype=bool)
    best = np.full((batch, max_text), -np.inf)
    best[:, 0] = scores[:, 0, 0]  # frame 0 belongs to token 0
    from_previous_token = np.empty_like(best)
    from_previous_token[:, 0] = -np.inf
    for j in range(1, max_mel):
        from_previous_token[:, 1:] = best[:, :-1]
        advanced[:, :, j] = from_previous_token > best  # strict: a tie stays on the token
        best = np.maximum(best, from_previous_token) + scores[:, :, j]
    return advanced


def _backtrack(
    advanced: np.ndarray, text_lengths: np.ndarray, mel_lengths: np.ndarray
) -> np.ndarray:
    batch, _, max_mel = advanced.shape
    path = np.zeros(advanced.shape, dtype=np.float32)
    items = np.arange(batch)
    token = text_lengths - 1  # every path ends on the last token
    for j in range(max_mel - 1, -1, -1):
        inside = j < mel_lengths  # items whose last frame is at or after j
        path[items[inside], token[inside], j] = 1.0
        if j:
            # a token that has as many frames left as tokens before it must advance; this
            # only decides anything when log-likelihoods of -inf or NaN left no finite path
            token = token - (inside & (advanced[items, token, j] | (token == j)))
    return path
