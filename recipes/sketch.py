"""Sketch recipe: class-conditional diffusion over drawings' point sequences with a 1-D UNet.

    python recipes/sketch.py --config recipes/configs/sketch/quickdraw.yaml [key=value ...]

Reads sketch arrays (``diffmm.sketch.SketchArrays``: (N, L, 3) rows [x, y, pen] with labels,
written by ``data_prep/quickdraw.py`` or ``data_prep/sketch_shapes.py``), trains the sketch
family's UNet with L_simple (dropping labels to ∅ for classifier-free guidance when asked),
writes a grid of rasterised samples every ``trainer.sample_every`` steps, and exports a bundle
to ``<exp_dir>/bundle``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from accelerate.utils import set_seed
from torch.utils.data import TensorDataset

from diffmm.config import ConfigError, config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.losses import simple_loss
from diffmm.errors import run_entry_point
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image import ImageModelConfig, ImageUNet, check_image_diffusion
from diffmm.models.sketch import check_sketch_model
from diffmm.sketch import RasterSettings, load_sketch_arrays, save_bitmap_grid
from diffmm.training import Trainer, TrainerConfig


@dataclass
class DataConfig:
    train: str = "data/sketches_train.npz"  # sketch arrays


@dataclass
class LossConfig:
    label_dropout: float = 0.0  # classifier-free guidance: P(label → ∅) per example


@dataclass
class EvalConfig:
    sampler: str = "ddim"
    num_steps: int | None = 50
    num_samples: int = 64  # drawings in each periodic grid
    guidance_scale: float | None = None


@dataclass
class SketchRecipeConfig:
    exp_dir: str = "exp/sketch"
    data: DataConfig = field(default_factory=DataConfig)
    model: ImageModelConfig = field(default_factory=lambda: ImageModelConfig(in_channels=3, dims=1))
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    raster: RasterSettings = field(default_factory=RasterSettings)


def check_config(cfg: SketchRecipeConfig) -> None:
    try:
        check_sketch_model(cfg.model)
        check_image_diffusion(cfg.model, cfg.diffusion)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if cfg.model.learn_sigma:
        raise ConfigError("this recipe trains L_simple: model.learn_sigma must be false")
    if cfg.loss.label_dropout and not cfg.model.null_class:
        raise ConfigError("loss.label_dropout drops labels to ∅: it needs model.null_class")


def training_loss(cfg: SketchRecipeConfig):
    """The trainer's loss_fn: label dropout from the trainer's generator, then L_simple."""
    schedule = build_schedule(cfg.diffusion)

    def loss_fn(net: torch.nn.Module, batch: list, generator: torch.Generator):
        x, y = batch[0], batch[1] if cfg.model.num_classes else None
        if y is not None and cfg.loss.label_dropout:
            drop = torch.rand(y.shape, generator=generator, device=y.device)
            y = torch.where(drop < cfg.loss.label_dropout, cfg.model.num_classes, y)
        denoiser = build_denoiser(net, cfg.diffusion)
        cond = None if y is None else {"y": y}
        out = simple_loss(denoiser, x, schedule, cond=cond, generator=generator)
        return out.loss.mean(), {k: float(v.detach().mean()) for k, v in out.terms.items()}

    return loss_fn


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(SketchRecipeConfig, __doc__, argv)
    check_config(cfg)
    sketches = load_sketch_arrays(cfg.data.train)
    classes = len(sketches.class_names)
    if cfg.model.num_classes is not None and cfg.model.num_classes != classes:
        raise ConfigError(
            f"{cfg.data.train} has {classes} classes, model.num_classes is {cfg.model.num_classes}"
        )
    sequences = torch.from_numpy(sketches.sequences).permute(0, 2, 1).contiguous()
    dataset = TensorDataset(sequences, torch.from_numpy(sketches.labels))
    shape = tuple(sequences.shape[1:])
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    model = ImageUNet(cfg.model)
    params = sum(p.numel() for p in model.parameters())
    print(f"{len(dataset)} drawings of {shape[1]} points, {classes} classes; {params:,} params")

    def generator_of(net: torch.nn.Module) -> DiffusionGenerator:
        return DiffusionGenerator("sketch", net, cfg.diffusion, shape, raster=cfg.raster)

    def sample_fn(net: torch.nn.Module, step: int, out_dir: Path) -> None:
        samples = generator_of(net).sample(
            cfg.eval.num_samples,
            sampler=cfg.eval.sampler,
            steps=cfg.eval.num_steps,
            guidance_scale=cfg.eval.guidance_scale,
            seed=0,  # the same noise at every step: the grids show the model changing
        )
        bitmaps = cfg.raster.rasterise(samples.numpy().transpose(0, 2, 1))
        save_bitmap_grid(out_dir / "samples.png", bitmaps)

    trainer = Trainer(
        model,
        training_loss(cfg),
        dataset,
        cfg.trainer,
        cfg.exp_dir,
        sample_fn=sample_fn,
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        bundle = generator_of(trainer.ema_model())
        print(f"exported bundle to {bundle.export(Path(cfg.exp_dir) / 'bundle')}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/sketch.py", main))
