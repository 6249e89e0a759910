"""The trainer's settings, shared by every recipe (the ``trainer:`` section of a recipe config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diffmm.config import ConfigError


@dataclass
class TrainerConfig:
    """Optimisation, EMA, logging and checkpointing of one training run.

    ``batch_size`` is per process and per micro-step: the batch of one optimizer step is
    ``batch_size * grad_accum_steps * num_processes``. All ``*_every`` counts and
    ``max_steps``/``warmup_steps`` are in optimizer steps; 0 disables a periodic action
    (``save_every=0`` still saves the final step).
    """

    max_steps: int = 1000
    batch_size: int = 32
    learning_rate: float = 2e-4
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    warmup_steps: int = 0
    lr_schedule: Literal["constant", "cosine", "linear"] = "constant"
    grad_accum_steps: int = 1
    grad_clip_norm: float | None = 1.0
    mixed_precision: Literal["no", "fp16", "bf16"] = "no"
    ema_rates: tuple[float, ...] = (0.9999,)
    ema_warmup: bool = True
    log_every: int = 50
    save_every: int = 500
    keep_last: int = 3
    val_every: int = 0
    sample_every: int = 0
    seed: int = 1234
    num_workers: int = 0

    def __post_init__(self) -> None:
        positive = ("max_steps", "batch_size", "grad_accum_steps", "log_every", "keep_last")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"trainer.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("warmup_steps", "save_every", "val_every", "sample_every", "num_workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"trainer.{name} must be >= 0, got {getattr(self, name)}")
        if self.learning_rate <= 0:
            raise ConfigError(f"trainer.learning_rate must be positive, got {self.learning_rate}")
        if self.grad_clip_norm is not None and self.grad_clip_norm <= 0:
            raise ConfigError("trainer.grad_clip_norm must be positive or null (no clipping)")
        if not all(0.0 < b < 1.0 for b in self.adam_betas):
            raise ConfigError(f"trainer.adam_betas must lie in (0, 1), got {self.adam_betas}")
        if not all(0.0 < r < 1.0 for r in self.ema_rates):
            raise ConfigError(f"trainer.ema_rates must lie in (0, 1), got {self.ema_rates}")
        if len(set(self.ema_rates)) != len(self.ema_rates):
            raise ConfigError(f"trainer.ema_rates has duplicates: {self.ema_rates}")
