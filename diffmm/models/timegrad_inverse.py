"""TimeGrad given partial observations: imputing the history and forecasting with known
future values of some series (the CSDI tasks, Tashiro et al. 2021), with no retraining.

TimeGrad's RNN reads the context one step at a time and its diffusion models the D-vector of
each step given the RNN state. Walking the context and the horizon step by step, every
D-vector with unknown entries is sampled from the diffusion conditioned on its known entries
(``diffmm.diffusion.inverse``: a mask over the D series), and the completed vector is fed back
to the RNN, so later steps see the imputed values through their lags. Steps with every entry
known are taken as they are. Entries before the context (read only as lags) stay as
``sample_paths`` reads them: 0 where missing. The walk never sees later known values; the
optional look-ahead (``diffmm.models.timegrad_lookahead``) weighs candidates by them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from diffmm.diffusion.config import build_denoiser, build_schedule
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.inverse import MaskOperator, Measurement, solve_inverse
from diffmm.diffusion.samplers import preferred_spacing
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.errors import DiffmmError
from diffmm.models.precision import inference_precision
from diffmm.models.timegrad import context_scale, observed_values, unwrap_timegrad
from diffmm.models.timegrad_lookahead import Lookahead, choose_candidates
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.models.timegrad_sampling import DEFAULT_NUM_SAMPLES
from diffmm.timeseries import MultivariateSeries


@torch.no_grad()
def sample_paths_given(
    model: nn.Module,
    batch: dict[str, Tensor],
    schedule: NoiseSchedule,
    denoiser: Denoiser,
    *,
    future_target: Tensor | None = None,
    method: str = "replacement",
    num_samples: int = DEFAULT_NUM_SAMPLES,
    sampler: str = "ddpm",
    num_steps: int | None = None,
    spacing: str | None = None,
    generator: torch.Generator | None = None,
    lookahead: Lookahead | None = None,
    **solver_options: Any,
) -> Tensor:
    """Sample paths (W, S, C + P, D) in data units over the context and the horizon.

    ``batch`` is ``sample_paths``'s; its ``past_observed`` marks the known context entries.
    ``future_target`` (W, P, D) holds known future values, NaN where unknown (None: all
    unknown, a plain forecast). Known entries are returned exactly; ``solver_options`` go to
    ``solve_inverse`` (``scale``, ``jump_length``, ``resamplings``, sampler options).
    ``lookahead``: at a step with unknown entries followed by known ones within
    ``lookahead.steps_ahead`` steps, draw ``lookahead.candidates`` candidates per path and keep
    one by the likelihood of those known entries (``diffmm.models.timegrad_lookahead``).
    """
    net = unwrap_timegrad(model)
    cfg = net.cfg
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    history, lag = cfg.context_length + cfg.max_lag, cfg.max_lag
    past_observed = batch["past_observed"][:, -history:].bool()
    past = observed_values(batch["past_target"][:, -history:], past_observed)
    future_time_feat = batch["future_time_feat"]
    windows, horizon = past.shape[0], future_time_feat.shape[1]
    if future_target is None:
        future_target = torch.full((windows, horizon, cfg.target_dim), float("nan"))
    future_target = future_target.to(past)
    if future_target.shape != (windows, horizon, cfg.target_dim):
        raise ValueError(
            f"known future values must be (W, P, D) = ({windows}, {horizon}, {cfg.target_dim}), "
            f"got {tuple(future_target.shape)}"
        )
    scale = context_scale(cfg, past, past_observed)
    known = torch.cat([past_observed[:, lag:], torch.isfinite(future_target)], dim=1)
    given = torch.cat([past[:, lag:], torch.nan_to_num(future_target)], dim=1)
    values = given / scale
    time_feat = torch.cat([batch["past_time_feat"][:, -history:][:, lag:], future_time_feat], 1)

    def repeat(t: Tensor) -> Tensor:
        return t.repeat_interleave(num_samples, dim=0)

    known, values, time_feat = repeat(known), repeat(values), repeat(time_feat)
    sequence = repeat(past[:, :lag] / scale)
    grid = schedule.grid(num_steps, spacing or preferred_spacing(sampler, schedule))
    state = None
    for k in range(known.shape[1]):
        position = lag + k
        output, state = net.unroll(
            sequence, range(position, position + 1), time_feat[:, k : k + 1], state
        )
        step_known, step_values = known[:, k, None, :], values[:, k, None, :]
        if bool(step_known.all()):
            sequence = torch.cat([sequence, step_values], dim=1)
            continue
        ahead = slice(k + 1, k + 1 + (lookahead.steps_ahead if lookahead else 0))
        count = lookahead.candidates if lookahead and bool(known[:, ahead].any()) else 1
        mask = MaskOperator(step_known.repeat_interleave(count, 0).to(step_values.dtype))
        measurement = Measurement(mask, mask(step_values.repeat_interleave(count, 0)))
        start = grid.prior_scale * torch.randn(
            (known.shape[0] * count, 1, cfg.target_dim),
            generator=generator,
            device=past.device,
            dtype=past.dtype,
        )
        step = solve_inverse(
            denoiser,
            start,
            grid,
            measurement,
            method=method,
            sampler=sampler,
            cond={"projected_condition": net.condition(output).repeat_interleave(count, 0)},
            generator=generator,
            **solver_options,
        )
        step = torch.where(step_known, step_values, step.reshape(-1, count, cfg.target_dim))
        if count > 1:
            step = choose_candidates(
                net,
                denoiser,
                schedule,
                lookahead,
                torch.cat([sequence[:, None].expand(-1, count, -1, -1), step[:, :, None]], 2),
                state,
                time_feat[:, ahead],
                known[:, ahead],
                values[:, ahead],
                generator,
            )
        sequence = torch.cat([sequence, step], dim=1)
    paths = sequence[:, lag:].reshape(windows, num_samples, -1, cfg.target_dim) * scale[:, None]
    # the known values themselves, not their round trip through the scale
    return torch.where(known[::num_samples, None], given[:, None], paths)


def restore_series(
    predictor: TimeGradPredictor,
    histories: Sequence[MultivariateSeries],
    prediction_length: int,
    *,
    known_future: np.ndarray | None = None,
    num_samples: int = DEFAULT_NUM_SAMPLES,
    sampler: str = "ddpm",
    steps: int | None = None,
    spacing: str | None = None,
    seed: int = 0,
    dtype: str = "fp32",
    **solver_options: Any,
) -> np.ndarray:
    """Paths (W, S, C + P, D) in data units: each history's last C steps with their missing
    values imputed, then ``prediction_length`` steps with ``known_future`` (W, D, P; NaN
    unknown) kept. ``dtype``: the network's precision (``diffmm.models.precision``);
    ``solver_options``: those of ``sample_paths_given``."""
    model = predictor.model
    device = next(model.parameters()).device
    batch = predictor.inference_batch(histories, prediction_length)
    future = None
    if known_future is not None:
        if known_future.shape != (len(histories), model.cfg.target_dim, prediction_length):
            raise DiffmmError(
                f"known future values must be (windows, series, steps) = ({len(histories)}, "
                f"{model.cfg.target_dim}, {prediction_length}), got {known_future.shape}"
            )
        future = torch.from_numpy(np.ascontiguousarray(known_future.transpose(0, 2, 1)))
    with inference_precision(dtype, device):
        paths = sample_paths_given(
            model,
            {key: value.to(device) for key, value in batch.items()},
            build_schedule(predictor.diffusion),
            build_denoiser(model, predictor.diffusion),
            future_target=None if future is None else future.to(device),
            num_samples=num_samples,
            sampler=sampler,
            num_steps=steps,
            spacing=spacing,
            generator=torch.Generator(device).manual_seed(seed),
            **solver_options,
        )
    return paths.float().cpu().numpy()
