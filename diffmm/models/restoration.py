"""Solving inverse problems with a sampling bundle: the inference object behind ``diffmm restore``
for images and waveforms (time series: ``diffmm.models.timegrad_inverse``).

    restorer = Restorer(DiffusionGenerator.from_bundle("exp/fashion/bundle"))
    restored = restorer.restore(measurement, method="repaint", sampler="ddpm", steps=250)

One sample per row of the measurement, in the model's data units, ``batch_size`` rows at a
time. The model is unconditional (or its classes are left free): the measurement alone
conditions it, through :func:`diffmm.diffusion.inverse.solve_inverse`. With ``start`` and
``start_time`` it is warm-started (SDEdit's / CCDF's): the sampler begins at model time t₀
from an initial estimate noised to that level, x_t₀ = α_t₀ x_init + σ_t₀ ε, instead of from
the prior, so the noisiest levels, where a weak prior's x̂₀ is least reliable, are skipped.

``restore_with_mel`` does the same for a mel-conditioned vocoder (DiffWave, PriorGrad) and one
whole utterance: the prior is p(x | mel), the measurement the recording's known samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.config import build_denoiser, build_schedule
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.inverse import METHODS, Measurement, solve_inverse
from diffmm.diffusion.prior import STANDARD_NORMAL
from diffmm.diffusion.samplers import preferred_spacing
from diffmm.errors import DiffmmError
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.precision import inference_precision
from diffmm.models.vocoder import CHUNK_SECONDS, Vocoder


@dataclass
class Restorer:
    """A sampling bundle used as a prior p(x) for measurements y = A(x) + n."""

    generator: DiffusionGenerator

    @property
    def data_shape(self) -> tuple[int, ...]:
        return self.generator.data_shape

    def restore(
        self,
        measurement: Measurement,
        *,
        method: str = "replacement",
        sampler: str = "ddpm",
        steps: int | None = None,
        spacing: str | None = None,
        scale: float = 1.0,
        jump_length: int = 10,
        resamplings: int = 10,
        batch_size: int = 64,
        seed: int = 0,
        dtype: str = "fp32",
        sampler_options: dict[str, Any] | None = None,
        on_batch: Callable[[int], None] | None = None,
        start: Tensor | None = None,
        start_time: float | None = None,
    ) -> Tensor:
        """Samples (N, *data_shape) float32 on the CPU for the N rows of ``measurement``;
        ``dtype`` is the network's precision (``diffmm.models.precision``). ``start``
        (N, *data_shape) and ``start_time`` t₀ warm-start the sampler: only the points of the
        ``steps``-step grid at model times ≤ t₀ are walked, from α_t₀ start + σ_t₀ ε."""
        if method not in METHODS:
            raise DiffmmError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
        if self.generator.num_classes is not None:
            raise DiffmmError(
                "restoration needs an unconditional bundle; this one is class-conditional"
            )
        if batch_size < 1:
            raise DiffmmError("the batch size must be positive")
        schedule = build_schedule(self.generator.diffusion)
        grid = schedule.grid(steps, spacing or preferred_spacing(sampler, schedule))
        if (start is None) != (start_time is None):
            raise DiffmmError("a warm start needs both the initial estimate and its time t₀")
        if start_time is not None:
            grid = grid_from_time(grid, start_time)
        denoiser = build_denoiser(self.generator.model, self.generator.diffusion)
        device = self.generator.device
        generator = torch.Generator(device).manual_seed(seed)
        total = measurement.num_examples
        measurement.check(torch.zeros(min(total, batch_size), *self.data_shape))
        if start is not None and tuple(start.shape) != (total, *self.data_shape):
            raise DiffmmError(
                f"the warm start has shape {tuple(start.shape)}, the measurement needs "
                f"{(total, *self.data_shape)}"
            )
        outputs = []
        for first in range(0, total, batch_size):
            rows = slice(first, min(first + batch_size, total))
            part = measurement.select(rows)
            part = Measurement(part.operator, part.y.to(device), part.noise_std)
            shape = (rows.stop - rows.start, *self.data_shape)
            noise = torch.randn(shape, generator=generator, device=device)
            if start is None:
                x = grid.prior_scale * noise
            else:
                alpha, sigma = float(grid.alphas[0]), float(grid.sigmas[0])
                x = alpha * start[rows].to(device, torch.float32) + sigma * noise
            with inference_precision(dtype, device):
                restored = solve_inverse(
                    denoiser,
                    x,
                    grid,
                    part,
                    method=method,
                    sampler=sampler,
                    generator=generator,
                    scale=scale,
                    jump_length=jump_length,
                    resamplings=resamplings,
                    **(sampler_options or {}),
                )
            outputs.append(restored.detach().float().cpu())
            if on_batch is not None:
                on_batch(shape[0])
        return torch.cat(outputs)


def grid_from_time(grid: SamplingGrid, start_time: float) -> SamplingGrid:
    """The points of ``grid`` at model times ≤ t₀ (and its data end point): the tail a
    warm-started sampler walks."""
    first = int((grid.model_times[:-1] > start_time).sum())
    if first >= grid.num_steps:
        raise DiffmmError(
            f"warm start t₀ = {start_time:g} is below every noisy point of the grid "
            f"(the last at {float(grid.model_times[-2]):g}): use more steps or a later t₀"
        )
    return SamplingGrid(grid.alphas[first:], grid.sigmas[first:], grid.model_times[first:])


def restore_with_mel(
    vocoder: Vocoder,
    mel: Tensor,
    measurement: Measurement,
    *,
    method: str = "replacement",
    sampler: str = "ddpm",
    steps: int | None = None,
    fast: bool | None = None,
    scale: float = 1.0,
    jump_length: int = 10,
    resamplings: int = 10,
    num_samples: int = 1,
    seed: int = 0,
    dtype: str = "fp32",
) -> Tensor:
    """``num_samples`` waveforms (S, 1, frames × hop) float32 on the CPU drawn from
    p(x | mel, y): the vocoder's sampler (its fast schedule unless ``steps``, as ``vocode``)
    conditioned on the (n_mels, frames) log-mel of the whole utterance and on ``measurement``
    of one waveform of frames × hop samples (y of one row, shared by the samples)."""
    if method not in METHODS:
        raise DiffmmError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    length = mel.shape[-1] * vocoder.hop
    if measurement.num_examples != 1:
        raise DiffmmError("restore_with_mel takes the measurement of one utterance")
    try:
        measurement.check(torch.zeros(num_samples, 1, length))
    except ValueError as err:
        raise DiffmmError(
            f"the mel's {mel.shape[-1]} frames × hop {vocoder.hop} = {length} samples do not "
            f"match the measurement: {err}"
        ) from None
    device = vocoder.device
    schedule = vocoder.schedule(steps, fast)
    grid = schedule.grid(steps, preferred_spacing(sampler, schedule))
    batch = mel.to(device, torch.float32).expand(num_samples, *mel.shape).contiguous()
    prior = (
        STANDARD_NORMAL
        if vocoder.priorgrad is None
        else vocoder.priorgrad.prior(batch, vocoder.hop)
    )
    generator = torch.Generator(device).manual_seed(seed)
    part = Measurement(measurement.operator, measurement.y.to(device), measurement.noise_std)
    with inference_precision(dtype, device):
        with torch.no_grad():
            network, cond = vocoder.network(batch, dtype, True, CHUNK_SECONDS)
        start = prior.sample(
            (num_samples, 1, length), scale=grid.prior_scale, generator=generator, device=device
        )
        restored = solve_inverse(
            build_denoiser(network, vocoder.diffusion),
            start,
            grid,
            part,
            method=method,
            sampler=sampler,
            prior=prior,
            cond=cond,
            generator=generator,
            scale=scale,
            jump_length=jump_length,
            resamplings=resamplings,
        )
    return restored.detach().float().clamp(-1.0, 1.0).cpu()
