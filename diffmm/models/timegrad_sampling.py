"""TimeGrad forecasts: sample paths autoregressively over the horizon, any engine sampler per step.

For W windows and S paths the RNN first reads each window's context once, its state is then
repeated S times, and every horizon step k is one call of an engine sampler on a (W·S, 1, D)
tensor whose conditioner (the RNN output projected for every residual layer) is computed once
for that step. The sampled D-vector is appended to the sequence, so step k + 1 reads it
through its lags (Rasul et al. 2021, Algorithm 2). DDPM over all T steps is TimeGrad's own
sampler; DDIM or DPM-Solver++ at 10–20 steps are the fast alternatives.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.samplers import generate
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.models.timegrad import context_scale, observed_values, unwrap_timegrad

DEFAULT_NUM_SAMPLES = 100  # sample paths per window, as in the paper's evaluation


def _repeat_state(state: Tensor | tuple[Tensor, ...], repeats: int) -> Tensor | tuple[Tensor, ...]:
    """RNN state (layers, B, H) (a pair for an LSTM) → (layers, B·repeats, H), window-major."""
    if isinstance(state, tuple):
        return tuple(s.repeat_interleave(repeats, dim=1) for s in state)
    return state.repeat_interleave(repeats, dim=1)


@torch.no_grad()
def sample_paths(
    model: nn.Module,
    batch: dict[str, Tensor],
    schedule: NoiseSchedule,
    denoiser: Denoiser,
    *,
    num_samples: int = DEFAULT_NUM_SAMPLES,
    sampler: str = "ddpm",
    num_steps: int | None = None,
    spacing: str | None = None,
    generator: torch.Generator | None = None,
    **sampler_options: Any,
) -> Tensor:
    """Sample paths (W, S, P, D) in data units for a batch of W windows.

    ``batch`` holds past_target/past_observed (W, ≥ C + max_lag, D), past_time_feat
    (W, same length, F) and future_time_feat (W, P, F); the horizon P is the length of
    future_time_feat (it may differ from the trained prediction length). Only the last
    C + max_lag past steps are read. ``model`` should be in eval mode (no RNN dropout).
    ``sampler_options`` go to the sampler (e.g. ``eta`` for DDIM).
    """
    net = unwrap_timegrad(model)
    cfg = net.cfg
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    history = cfg.context_length + cfg.max_lag
    past_target, past_observed = batch["past_target"], batch["past_observed"]
    if past_target.ndim != 3 or past_target.shape[2] != cfg.target_dim:
        raise ValueError(
            f"past_target must have shape (W, T, {cfg.target_dim}), got {tuple(past_target.shape)}"
        )
    if past_target.shape[1] < history:
        raise ValueError(
            f"past_target has {past_target.shape[1]} steps; this model needs context_length + "
            f"max_lag = {cfg.context_length} + {cfg.max_lag} = {history}"
        )
    past = observed_values(past_target[:, -history:], past_observed[:, -history:])
    past_time_feat = batch["past_time_feat"][:, -history:]
    future_time_feat = batch["future_time_feat"]
    windows, horizon = past.shape[0], future_time_feat.shape[1]

    scale = context_scale(cfg, past, past_observed[:, -history:])
    scaled = past / scale
    _, state = net.unroll(scaled, range(cfg.max_lag, history), past_time_feat[:, cfg.max_lag :])

    sequence = scaled.repeat_interleave(num_samples, dim=0)
    state = _repeat_state(state, num_samples)
    future_time_feat = future_time_feat.repeat_interleave(num_samples, dim=0)
    shape = (windows * num_samples, 1, cfg.target_dim)
    for k in range(horizon):
        position = history + k
        output, state = net.unroll(
            sequence, range(position, position + 1), future_time_feat[:, k : k + 1], state
        )
        step = generate(
            denoiser,
            schedule,
            shape,
            sampler=sampler,
            num_steps=num_steps,
            spacing=spacing,
            cond={"projected_condition": net.condition(output)},
            generator=generator,
            device=past.device,
            dtype=past.dtype,
            **sampler_options,
        )
        sequence = torch.cat([sequence, step.reshape(shape[0], 1, cfg.target_dim)], dim=1)
    paths = sequence[:, history:].reshape(windows, num_samples, horizon, cfg.target_dim)
    return paths * scale[:, None]
