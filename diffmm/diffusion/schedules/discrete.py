"""The discrete-time DDPM schedule (Ho et al. 2020), respacing (Nichol & Dhariwal 2021)
and DiffWave's fast-schedule mapping (Kong et al. 2021).

Index convention: step index n ∈ {0, …, N−1} is the n-th noise level; ᾱ_n = ∏_{k≤n}(1 − β_k),
so index 0 is already slightly noisy and the data sits "before" it (ᾱ = 1). The network sees
``timesteps[n]``: n itself for a training schedule, the kept original step for a respaced one,
and a fractional training step for DiffWave's fast schedule.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import Tensor

from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.posterior import DDPMPosterior
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.diffusion.schedules.betas import explicit_betas, named_betas


class DiscreteSchedule(NoiseSchedule):
    """β_0..β_{N−1} with every derived quantity named as in the DDPM/iDDPM papers (float64)."""

    def __init__(self, betas: Tensor | Sequence[float], timesteps: Tensor | None = None) -> None:
        betas = explicit_betas(betas.tolist() if isinstance(betas, Tensor) else betas)
        if bool((betas <= 0).any()) or bool((betas >= 1).any()):
            raise ValueError("every β must lie in (0, 1)")
        n = betas.numel()
        self.betas = betas
        self.timesteps = (
            torch.arange(n, dtype=torch.float64)
            if timesteps is None
            else torch.as_tensor(timesteps, dtype=torch.float64)
        )
        if self.timesteps.shape != (n,):
            raise ValueError(
                f"timesteps must have one entry per β ({n}), got {tuple(self.timesteps.shape)}"
            )
        self.one_minus_betas = 1.0 - betas  # α²_{n|n−1}; guided-diffusion calls it "alphas"
        self.alphas_cumprod = torch.cumprod(self.one_minus_betas, 0)  # ᾱ_n
        self.alphas_cumprod_prev = torch.cat(
            [torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]]
        )
        self.sqrt_alphas_cumprod = self.alphas_cumprod.sqrt()  # √ᾱ_n, the signal scale α_n
        self.sqrt_one_minus_alphas_cumprod = (1 - self.alphas_cumprod).sqrt()  # σ_n
        # q(x_{n−1} | x_n, x_0) per step n (Ho et al. eq. 6-7); step 0 goes into the data.
        self.posterior = DDPMPosterior.from_transition(
            alpha_s=self.alphas_cumprod_prev.sqrt(),
            sigma_s_sq=1 - self.alphas_cumprod_prev,
            alpha_ts=self.one_minus_betas.sqrt(),
            sigma_ts_sq=betas,
            sigma_t_sq=1 - self.alphas_cumprod,
        )
        self.posterior_log_variance_clipped = self.posterior.log_variance_clipped()

    @classmethod
    def from_name(cls, name: str, num_steps: int, **kwargs: float) -> DiscreteSchedule:
        """E.g. ``DiscreteSchedule.from_name("linear", 1000, beta_start=1e-4, beta_end=0.02)``."""
        return cls(named_betas(name, num_steps, **kwargs))

    @property
    def num_steps(self) -> int:
        return self.betas.numel()

    def __len__(self) -> int:
        return self.num_steps

    def _index(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t)
        if t.is_floating_point():
            if bool((t != t.round()).any()):
                raise ValueError("a discrete schedule is indexed by integer steps")
            t = t.long()
        if bool((t < 0).any()) or bool((t >= self.num_steps).any()):
            raise IndexError(f"step index out of range [0, {self.num_steps})")
        return t

    def alpha(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t)
        return self.sqrt_alphas_cumprod.to(t.device)[self._index(t)]

    def sigma(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t)
        return self.sqrt_one_minus_alphas_cumprod.to(t.device)[self._index(t)]

    def model_time(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t)
        return self.timesteps.to(t.device)[self._index(t)]

    def alpha_sigma_from_model_time(self, model_time: Tensor) -> tuple[Tensor, Tensor]:
        """α, σ at a model time, with log ᾱ linear between the schedule's steps.

        log ᾱ_n = Σ_{k≤n} log(1 − β_k), so linear log ᾱ spreads step n+1's β evenly over the
        interval, the continuous-time limit of the chain (DPM-Solver's discrete-time wrapper
        interpolates the same way). Linear √ᾱ, DiffWave's rule, bends λ between steps.
        Integer steps return the schedule's own α, σ exactly.
        """
        mt = torch.as_tensor(model_time, dtype=torch.float64)
        steps = self.timesteps.to(mt.device)
        if bool((mt < steps[0] - 1e-9).any()) or bool((mt > steps[-1] + 1e-9).any()):
            raise ValueError(f"model time outside [{float(steps[0])}, {float(steps[-1])}]")
        if len(steps) == 1:
            return self.alpha(torch.zeros_like(mt)), self.sigma(torch.zeros_like(mt))
        lo = (torch.searchsorted(steps, mt.contiguous(), right=True) - 1).clamp(0, len(steps) - 2)
        hi = lo + 1
        w = ((mt - steps[lo]) / (steps[hi] - steps[lo])).clamp(0, 1)
        ac = self.alphas_cumprod.to(mt.device)
        # ᾱ_lo (ᾱ_hi/ᾱ_lo)^w is exact at w = 0; the last step (w = 1) is taken as stored.
        alphas_cumprod = torch.where(
            w == 1, ac[hi], ac[lo] * torch.exp(w * (ac[hi] / ac[lo]).log())
        )
        return alphas_cumprod.sqrt(), (1 - alphas_cumprod).sqrt()

    def sample_training_time(
        self, batch_size: int, *, generator: torch.Generator | None = None, device=None
    ) -> Tensor:
        return torch.randint(0, self.num_steps, (batch_size,), generator=generator, device=device)

    def respace(self, use_timesteps: Sequence[int]) -> DiscreteSchedule:
        """Keep only the given steps; ᾱ at each kept step is unchanged (iDDPM §4).

        New β_i = 1 − ᾱ_{k_i} / ᾱ_{k_{i−1}}; the network still receives the original step k_i.
        """
        kept = sorted({int(k) for k in use_timesteps})
        if not kept:
            raise ValueError("respacing needs at least one step")
        if kept[0] < 0 or kept[-1] >= self.num_steps:
            raise ValueError(f"respaced steps must lie in [0, {self.num_steps})")
        idx = torch.tensor(kept)
        kept_cumprod = self.alphas_cumprod[idx]
        prev = torch.cat([torch.ones(1, dtype=torch.float64), kept_cumprod[:-1]])
        return DiscreteSchedule(1 - kept_cumprod / prev, timesteps=self.timesteps[idx])

    def respace_evenly(self, num_steps: int) -> DiscreteSchedule:
        """Keep ``num_steps`` evenly spaced steps including the first and the last."""
        if num_steps > self.num_steps:
            raise ValueError(
                f"cannot sample with {num_steps} steps from a schedule of {self.num_steps} steps"
            )
        if num_steps < 1:
            raise ValueError("the number of sampling steps must be at least 1")
        if num_steps == self.num_steps:
            return self
        kept = torch.linspace(0, self.num_steps - 1, num_steps, dtype=torch.float64).round().long()
        return self.respace(kept.tolist())

    def fast_schedule(self, inference_betas: Sequence[float]) -> DiscreteSchedule:
        """DiffWave's fast sampling (Kong et al. 2021, appendix B).

        A short β list defines its own ᾱ^infer_s; each is mapped to a fractional training
        step t + w with ᾱ_{t+1} ≤ ᾱ^infer_s ≤ ᾱ_t and w = (√ᾱ_t − √ᾱ^infer_s)/(√ᾱ_t − √ᾱ_{t+1}),
        which is what the network is told while the sampler uses the short schedule's own α, σ.
        This √ᾱ rule is DiffWave's and is kept so vocoders sample as published; read back
        with :meth:`alpha_sigma_from_model_time` (log ᾱ) its times give α, σ within 1e-4
        (relative) of the short schedule's own on DiffWave's T = 50 schedule.
        """
        infer = DiscreteSchedule(inference_betas)
        train_cumprod = self.alphas_cumprod
        steps = []
        for s, target in enumerate(infer.alphas_cumprod.tolist()):
            if target > train_cumprod[0] + 1e-12 or target < train_cumprod[-1] - 1e-12:
                raise ValueError(
                    f"fast-schedule step {s} has ᾱ = {target:.4g}, outside the training range "
                    f"[{float(train_cumprod[-1]):.4g}, {float(train_cumprod[0]):.4g}]"
                )
            t = int(torch.searchsorted(-train_cumprod, torch.tensor(-target, dtype=torch.float64)))
            t = min(max(t - 1, 0), self.num_steps - 2)
            hi, lo = train_cumprod[t].sqrt(), train_cumprod[t + 1].sqrt()
            frac = float((hi - target**0.5) / (hi - lo))
            steps.append(
                float(self.timesteps[t])
                + min(max(frac, 0.0), 1.0) * float(self.timesteps[t + 1] - self.timesteps[t])
            )
        return DiscreteSchedule(infer.betas, timesteps=torch.tensor(steps, dtype=torch.float64))

    def respace_log_snr(self, num_steps: int) -> DiscreteSchedule:
        """Keep the steps nearest to ``num_steps`` points evenly spaced in λ (DPM-Solver's
        "logSNR" skip type, Lu et al. 2022 §5).

        Steps that two targets share are kept once, so a fine request keeps fewer steps (on
        the linear T = 1000 schedule 50 → 49 and 1000 → 734); a warning names both counts.
        """
        if not 1 <= num_steps <= self.num_steps:
            raise ValueError(f"num_steps must lie in [1, {self.num_steps}], got {num_steps}")
        half_log_snr = torch.log(self.sqrt_alphas_cumprod / self.sqrt_one_minus_alphas_cumprod)
        targets = torch.linspace(
            float(half_log_snr[-1]), float(half_log_snr[0]), num_steps, dtype=torch.float64
        )
        nearest = (half_log_snr[None, :] - targets[:, None]).abs().argmin(dim=1)
        kept = sorted(set(nearest.tolist()))
        if len(kept) < num_steps:
            warnings.warn(
                f"log-SNR respacing: {num_steps} steps asked, {len(kept)} distinct steps kept "
                f"({num_steps - len(kept)} λ targets share their nearest step), so sampling "
                f"makes {len(kept)} network calls; spacing 'angle' places fractional steps "
                "without merging",
                stacklevel=2,
            )
        return self.respace(kept)

    def log_snr_grid(self, num_steps: int | None = None) -> SamplingGrid:
        return self._grid_of(self if num_steps is None else self.respace_log_snr(num_steps))

    def model_time_at(self, alphas_cumprod: Tensor) -> Tensor:
        """The model time at which the schedule has ᾱ = ``alphas_cumprod``: the inverse of
        :meth:`alpha_sigma_from_model_time`, fractional between steps (log ᾱ linear)."""
        target = torch.as_tensor(alphas_cumprod, dtype=torch.float64)
        ac = self.alphas_cumprod
        if self.num_steps < 2:
            raise ValueError("fractional model times need a schedule of at least two steps")
        # relative slack for ᾱ computed from λ or φ, a few roundings away from the stored one
        if bool((target > ac[0] * (1 + 1e-9)).any()) or bool((target < ac[-1] * (1 - 1e-9)).any()):
            raise ValueError(
                f"ᾱ outside the schedule's range [{float(ac[-1]):.4g}, {float(ac[0]):.4g}]"
            )
        lo = (torch.searchsorted(-ac, -target, right=True) - 1).clamp(0, self.num_steps - 2)
        w = (torch.log(target / ac[lo]) / torch.log(ac[lo + 1] / ac[lo])).clamp(0, 1)
        # within round-off of a step is that step, so a network gets e.g. 999, not 998.9999…
        w = torch.where(w < 1e-9, 0.0, torch.where(w > 1 - 1e-9, 1.0, w))
        return self.timesteps[lo] + w * (self.timesteps[lo + 1] - self.timesteps[lo])

    def grid_at_log_snr(self, log_snr: Tensor) -> SamplingGrid:
        """Points at the given λ (noisiest first) at fractional steps where λ falls between
        steps, then the data. α and σ are read back from the model times, so a point that
        lands on a step is exactly that step."""
        model_times = self.model_time_at(
            torch.sigmoid(torch.as_tensor(log_snr, dtype=torch.float64))
        )
        alphas, sigmas = self.alpha_sigma_from_model_time(model_times)
        return SamplingGrid(alphas, sigmas, model_times).with_data_endpoint()

    def default_grid(self, num_steps: int | None = None) -> SamplingGrid:
        """All steps N−1, …, 0 of the (evenly respaced, if asked) schedule, then the data."""
        return self._grid_of(self if num_steps is None else self.respace_evenly(num_steps))

    @staticmethod
    def _grid_of(sched: DiscreteSchedule) -> SamplingGrid:
        order = torch.arange(sched.num_steps - 1, -1, -1)
        return SamplingGrid(
            sched.sqrt_alphas_cumprod[order],
            sched.sqrt_one_minus_alphas_cumprod[order],
            sched.timesteps[order],
        ).with_data_endpoint()
