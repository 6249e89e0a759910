"""Training: the Accelerate trainer, its config, EMA, checkpoints, logging and LR schedules."""

from diffmm.training.config import TrainerConfig
from diffmm.training.ema import EMA, ema_decay
from diffmm.training.schedules import build_lr_scheduler, lr_factor
from diffmm.training.trainer import Trainer, TrainResult

__all__ = [
    "EMA",
    "TrainResult",
    "Trainer",
    "TrainerConfig",
    "build_lr_scheduler",
    "ema_decay",
    "lr_factor",
]
