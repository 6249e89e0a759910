"""Look-ahead for TimeGrad's imputation: weigh candidates for hour k by how well they predict
the known entries of the next hours.

TimeGrad factorises p(x_1:T) = Π_k p(x_k | x_<k), so walking forward, a value missing at hour
k is drawn from p(x_k | x_<k, y_k) (y_k: hour k's known entries) and never sees y_{k+1}. The
posterior given H more hours is

    p(x_k | x_<k, y_k, y_{k+1:k+H}) ∝ p(x_k | x_<k, y_k) · p(y_{k+1:k+H} | x_≤k),

so M candidates x_k^m drawn from the first factor (the inverse solver), weighted by the second
and one of them drawn per path, sample it as M → ∞ (sampling-importance-resampling). Each
path draws among its own candidates only: paths never share ancestors, which is what made
resampling across paths collapse them (particle degeneracy); the price is that a path's
normaliser Σ_m w_m, the weight of its past, is dropped, as in a local look-ahead.

p(y_{k+1:k+H} | x_≤k) is the marginal of a subset of the H·D entries under TimeGrad's chain of
diffusions, which has no closed form. It is estimated as a Gaussian over the known entries
fitted to N free draws of x_{k+1:k+H} per candidate: a deterministic sampler from starting
noise common to a path's candidates, so that the candidates' means differ by their effect on
the RNN, not by draw noise (common random numbers); the covariance is pooled over a path's
candidates, and its block on the known entries is the marginal's (a Gaussian's marginal).
The sampler must be accurate at few steps: DDIM with 10 steps draws a variance 35% short of a
Gaussian's on TimeGrad's linear schedule (its Euler error), UniPC with 10 steps 5%, which
``tests/timeseries/test_timegrad_lookahead.py`` measures with an exact network.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.samplers import get_sampler, preferred_spacing
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.errors import DiffmmError
from diffmm.models.timegrad import TimeGrad
from diffmm.models.timegrad_sampling import _repeat_state


@dataclass(frozen=True)
class Lookahead:
    """M ``candidates`` per step with unknown entries, weighed by ``draws`` (N) free draws of
    the next ``steps_ahead`` (H) steps each, drawn by ``sampler`` in ``sampler_steps``."""

    candidates: int = 8
    draws: int = 8
    steps_ahead: int = 2
    sampler: str = "unipc"
    sampler_steps: int = 10

    def __post_init__(self) -> None:
        if self.candidates < 1 or self.draws < 2 or self.steps_ahead < 1:
            raise DiffmmError(
                "the look-ahead needs candidates >= 1, draws >= 2 and steps ahead >= 1, got "
                f"{self.candidates}, {self.draws}, {self.steps_ahead}"
            )


def choose_candidates(
    net: TimeGrad,
    denoiser: Denoiser,
    schedule: NoiseSchedule,
    lookahead: Lookahead,
    candidates: Tensor,
    state: Tensor | tuple[Tensor, Tensor],
    time_feat: Tensor,
    known: Tensor,
    values: Tensor,
    generator: torch.Generator | None = None,
) -> Tensor:
    """One of each path's candidates (B, 1, D), drawn by its look-ahead weight.

    ``candidates`` (B, M, L, D) and ``state`` are :func:`draw_ahead`'s, the rest
    :func:`gaussian_log_weights`'s."""
    drawn = draw_ahead(
        net,
        denoiser,
        schedule,
        candidates,
        state,
        time_feat,
        draws=lookahead.draws,
        sampler=lookahead.sampler,
        steps=lookahead.sampler_steps,
        generator=generator,
    )
    weights = gaussian_log_weights(drawn, known, values).softmax(-1)
    chosen = torch.multinomial(weights, 1, generator=generator)
    return candidates[:, :, -1].gather(1, chosen[..., None].expand(-1, -1, candidates.shape[-1]))


@torch.no_grad()
def draw_ahead(
    net: TimeGrad,
    denoiser: Denoiser,
    schedule: NoiseSchedule,
    candidates: Tensor,
    state: Tensor | tuple[Tensor, Tensor],
    time_feat: Tensor,
    *,
    draws: int,
    sampler: str = "unipc",
    steps: int = 10,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Free draws (B, M, N, H, D), scaled, of the H hours after each candidate.

    ``candidates`` (B, M, L ≥ max lag, D): each path's scaled sequence ending with candidate m
    for hour k; ``state``: the RNN state (layers, B, H) after reading hour k's inputs, common to
    the candidates; ``time_feat`` (B, H, F): the next H hours'. Draw n of every candidate of a
    path starts from the same noise (common random numbers).
    """
    paths, count, _, dim = candidates.shape
    hours, lag = time_feat.shape[1], net.cfg.max_lag
    rows = paths * count * draws
    sequence = candidates[:, :, -lag:].repeat_interleave(draws, 1).reshape(rows, lag, dim)
    state = _repeat_state(state, count * draws)
    noise = torch.randn(
        (paths, 1, draws, hours, dim), generator=generator, device=candidates.device
    ).to(candidates.dtype)
    noise = noise.expand(-1, count, -1, -1, -1).reshape(rows, hours, dim)
    grid = schedule.grid(steps, preferred_spacing(sampler, schedule))
    sample = get_sampler(sampler)
    for j in range(hours):
        output, state = net.unroll(
            sequence,
            range(lag + j, lag + j + 1),
            time_feat[:, j : j + 1].repeat_interleave(count * draws, 0),
            state,
        )
        drawn = sample(
            denoiser,
            grid.prior_scale * noise[:, j : j + 1],
            grid,
            cond={"projected_condition": net.condition(output)},
        )
        sequence = torch.cat([sequence, drawn], dim=1)
    return sequence[:, lag:].reshape(paths, count, draws, hours, dim)


def masked_covariance(scatter: Tensor, mask: Tensor) -> Tensor:
    """The block of ``scatter`` (B, E, E) on the entries ``mask`` (B, E) marks, identity on the
    rest (a Gaussian's marginal, kept full-size), with a small ridge for the Cholesky."""
    marginal = scatter * mask[:, :, None] * mask[:, None, :] + torch.diag_embed(1 - mask)
    ridge = 1e-6 * marginal.diagonal(dim1=1, dim2=2).mean(-1).clamp_min(1e-12)
    return marginal + ridge[:, None, None] * torch.eye(
        mask.shape[1], dtype=scatter.dtype, device=scatter.device
    )


def gaussian_log_weights(drawn: Tensor, known: Tensor, values: Tensor) -> Tensor:
    """log p̂(y_{k+1:k+H} | x_≤k^m) up to a constant per path, (B, M), from draws (B, M, N, H,
    D) of the next H hours; ``known`` (B, H, D), ``values`` (B, H, D, scaled). A path with no
    known entry ahead gets zeros (uniform weights)."""
    paths, count, draws = drawn.shape[:3]
    if draws < 2:
        raise ValueError(f"the look-ahead needs at least 2 draws per candidate, got {draws}")
    # float64: the pooled Gram matrix of nearly collinear series is not PD in float32
    drawn = drawn.reshape(paths, count, draws, -1).double()
    mean = drawn.mean(2)
    residual = drawn - mean[:, :, None]
    # pooled over the path's candidates, × (1 + 1/N) for the error of the candidate's mean
    scatter = torch.einsum("bmne,bmnf->bef", residual, residual)
    scatter = scatter * (1 + 1 / draws) / (count * (draws - 1))
    mask = known.reshape(paths, -1).to(scatter.dtype)
    delta = (values.reshape(paths, 1, -1).double() - mean) * mask[:, None]
    factor = torch.linalg.cholesky(masked_covariance(scatter, mask))
    whitened = torch.linalg.solve_triangular(factor[:, None], delta[..., None], upper=False)
    return -0.5 * whitened.square().sum((-2, -1)).to(values.dtype)
