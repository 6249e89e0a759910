"""Timestep samplers for discrete-time training: uniform, and iDDPM's loss-aware importance
sampling (Nichol & Dhariwal 2021 §3.3).

Both return (t, weights) with weights = 1 / (T p(t)), so E_{t~p}[w(t) L_t] = (1/T) Σ_t L_t:
multiplying each example's loss by its weight keeps the objective unbiased.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor


class UniformSampler:
    """p(t) = 1/T; every weight is 1."""

    def __init__(self, num_steps: int) -> None:
        if num_steps < 1:
            raise ValueError(f"num_steps must be positive, got {num_steps}")
        self.num_steps = num_steps

    def probabilities(self) -> Tensor:
        return torch.full((self.num_steps,), 1.0 / self.num_steps, dtype=torch.float64)

    def sample(
        self, batch_size: int, *, generator: torch.Generator | None = None, device=None
    ) -> tuple[Tensor, Tensor]:
        """Draw ``batch_size`` steps; returns (t (B,) long, importance weights (B,) float)."""
        # multinomial draws on its generator's device
        p = self.probabilities().to(generator.device if generator is not None else device)
        t = torch.multinomial(p, batch_size, replacement=True, generator=generator)
        weights = 1.0 / (self.num_steps * p[t])
        return t.to(device), weights.to(device=device, dtype=torch.float32)


class LossSecondMomentResampler(UniformSampler):
    """p(t) ∝ √E[L_t²], estimated from the last ``history_per_term`` losses of each step.

    Uniform until every step has a full history; afterwards mixed with the uniform
    distribution with probability ``uniform_prob`` so that no step is starved. Under
    torch.distributed, :meth:`update` all-gathers the (t, loss) pairs so every rank keeps the
    same history and draws from the same p(t).
    """

    def __init__(
        self, num_steps: int, history_per_term: int = 10, uniform_prob: float = 0.001
    ) -> None:
        super().__init__(num_steps)
        if history_per_term < 1 or not 0 <= uniform_prob <= 1:
            raise ValueError("history_per_term must be ≥ 1 and uniform_prob in [0, 1]")
        self.history_per_term = history_per_term
        self.uniform_prob = uniform_prob
        self.loss_history = torch.zeros(num_steps, history_per_term, dtype=torch.float64)
        self.loss_counts = torch.zeros(num_steps, dtype=torch.long)

    @property
    def warmed_up(self) -> bool:
        return bool((self.loss_counts == self.history_per_term).all())

    def probabilities(self) -> Tensor:
        if not self.warmed_up:
            return super().probabilities()
        root_second_moment = self.loss_history.pow(2).mean(1).sqrt()
        p = root_second_moment / root_second_moment.sum()
        return (1 - self.uniform_prob) * p + self.uniform_prob / self.num_steps

    def state_dict(self) -> dict[str, Tensor]:
        """The loss history, for a checkpoint (p(t) after a resume is the p(t) before it)."""
        return {"loss_history": self.loss_history.clone(), "loss_counts": self.loss_counts.clone()}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        history, counts = state["loss_history"], state["loss_counts"]
        if history.shape != self.loss_history.shape or counts.shape != self.loss_counts.shape:
            raise ValueError(
                f"loss history of shape {tuple(history.shape)} does not fit a sampler of "
                f"{self.num_steps} steps × {self.history_per_term}"
            )
        self.loss_history = history.to(torch.float64).cpu().clone()
        self.loss_counts = counts.long().cpu().clone()

    def update(self, t: Tensor, losses: Tensor) -> None:
        """Record the per-example losses of a batch at steps t (gathered across ranks if any)."""
        t = t.detach().reshape(-1).long()
        losses = losses.detach().reshape(-1).to(torch.float64)
        if t.numel() != losses.numel():
            raise ValueError("update needs one loss per sampled step")
        if dist.is_available() and dist.is_initialized():
            t, losses = _all_gather_variable(t), _all_gather_variable(losses)
        for step, loss in zip(t.cpu().tolist(), losses.cpu().tolist()):
            count = int(self.loss_counts[step])
            if count == self.history_per_term:
                self.loss_history[step, :-1] = self.loss_history[step, 1:].clone()
                self.loss_history[step, -1] = loss
            else:
                self.loss_history[step, count] = loss
                self.loss_counts[step] = count + 1


def _all_gather_variable(values: Tensor) -> Tensor:
    """Concatenate a 1-D tensor from every rank (ranks may hold different lengths)."""
    world = dist.get_world_size()
    length = torch.tensor([values.numel()], device=values.device)
    lengths = [torch.zeros_like(length) for _ in range(world)]
    dist.all_gather(lengths, length)
    longest = int(max(int(n) for n in lengths))
    padded = torch.zeros(longest, dtype=values.dtype, device=values.device)
    padded[: values.numel()] = values
    gathered = [torch.zeros_like(padded) for _ in range(world)]
    dist.all_gather(gathered, padded)
    return torch.cat([g[: int(n)] for g, n in zip(gathered, lengths)])
