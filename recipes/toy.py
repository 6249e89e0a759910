"""Toy recipe: a diffusion model on 2-D points with a small MLP.

    python recipes/toy.py --config recipes/configs/toy/ddpm.yaml [key=value ...]

Reads the points written by ``data_prep/toy.py``, trains with the shared trainer (resuming
from the experiment directory if a checkpoint is there), tracks the sliced Wasserstein distance
of samples to held-out points, and exports a bundle to ``<exp_dir>/bundle``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from accelerate.utils import set_seed
from torch.utils.data import TensorDataset

from diffmm.config import config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.losses import simple_loss
from diffmm.errors import DiffmmError, run_entry_point
from diffmm.metrics import sliced_wasserstein
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.toy import ToyMLP, ToyModelConfig
from diffmm.toy.plot import save_scatter
from diffmm.training import Trainer, TrainerConfig


@dataclass
class DataConfig:
    train: str = "data/train/points.npy"
    valid: str = "data/valid/points.npy"


@dataclass
class EvalConfig:
    sampler: str = "ddpm"
    num_steps: int | None = None
    num_samples: int = 2000


@dataclass
class ToyRecipeConfig:
    exp_dir: str = "exp/toy"
    data: DataConfig = field(default_factory=DataConfig)
    model: ToyModelConfig = field(default_factory=ToyModelConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    loss_norm: Literal["l2", "l1"] = "l2"
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def load_points(path: str, dim: int) -> torch.Tensor:
    if not Path(path).is_file():
        raise DiffmmError(f"data file {path} not found (run the data preparation stage first)")
    points = np.load(path)
    if points.ndim != 2 or points.shape[1] != dim:
        raise DiffmmError(f"{path} holds an array of shape {points.shape}, expected (N, {dim})")
    return torch.from_numpy(points.astype(np.float32))


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(ToyRecipeConfig, __doc__, argv)

    train_points = load_points(cfg.data.train, cfg.model.dim)
    valid_points = load_points(cfg.data.valid, cfg.model.dim)
    schedule = build_schedule(cfg.diffusion)
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    model = ToyMLP(cfg.model)

    def loss_fn(net: torch.nn.Module, batch: list[torch.Tensor], generator: torch.Generator):
        out = simple_loss(
            build_denoiser(net, cfg.diffusion),
            batch[0],
            schedule,
            norm=cfg.loss_norm,
            generator=generator,
        )
        return out.loss.mean(), {}

    def generator(net: torch.nn.Module) -> DiffusionGenerator:
        return DiffusionGenerator("toy", net, cfg.diffusion, (cfg.model.dim,))

    def draw(net: torch.nn.Module, seed: int) -> torch.Tensor:
        n, sampler, steps = cfg.eval.num_samples, cfg.eval.sampler, cfg.eval.num_steps
        return generator(net).sample(n, sampler=sampler, steps=steps, batch_size=n, seed=seed)

    def val_fn(net: torch.nn.Module, step: int) -> dict[str, float]:
        samples = draw(net, seed=step)
        swd = sliced_wasserstein(samples, valid_points, generator=torch.Generator().manual_seed(0))
        return {"sliced_wasserstein": swd}

    def sample_fn(net: torch.nn.Module, step: int, out_dir: Path) -> None:
        save_scatter(
            out_dir / "samples.png",
            draw(net, seed=step).numpy(),
            valid_points.numpy(),
            f"step {step}",
        )

    trainer = Trainer(
        model,
        loss_fn,
        TensorDataset(train_points),
        cfg.trainer,
        cfg.exp_dir,
        val_fn=val_fn,
        sample_fn=sample_fn,
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        path = generator(trainer.ema_model()).export(Path(cfg.exp_dir) / "bundle")
        print(f"exported bundle to {path}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/toy.py", main))
