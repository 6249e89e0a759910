"""Image recipe: DDPM, iDDPM, classifier-free guidance, NCSN and EDM on a 2-D UNet.

    python recipes/image.py --config recipes/configs/image/ddpm_cifar10.yaml [key=value ...]

Reads any image source ``diffmm.vision.load_images`` knows (CIFAR-10 tarball, IDX folder,
image folder, LSUN lmdb, ``.npz`` image arrays) or, with ``data.shards``, streams webdataset
tar shards (each process and loader worker its own shards), trains with the shared trainer (resuming from the
experiment directory if a checkpoint is there), writes a grid of samples every
``trainer.sample_every`` steps, and exports a bundle to ``<exp_dir>/bundle``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from accelerate.utils import set_seed

from diffmm.config import ConfigError, config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.edm import edm_loss_weight
from diffmm.diffusion.losses import (
    LossSecondMomentResampler,
    dsm_loss,
    hybrid_loss,
    simple_loss,
    vlb_loss,
)
from diffmm.diffusion.schedules import DiscreteSchedule, NoiseSchedule
from diffmm.errors import run_entry_point
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image import ImageModelConfig, ImageUNet, check_image_diffusion
from diffmm.training import Trainer, TrainerConfig
from diffmm.vision import (
    ImageDataset,
    ImageShards,
    load_images,
    random_horizontal_flip,
    save_image_grid,
)


@dataclass
class DataConfig:
    train: str = "data/train.npz"  # any source diffmm.vision.load_images reads
    split: Literal["train", "test"] = "train"  # for sources holding both (CIFAR-10, IDX)
    pad_to: int | None = None  # zero-pad smaller images to a square (28 → 32)
    horizontal_flip: bool = True
    shards: str | None = None  # tar shards "dir/train-{000000..000099}.tar": replaces train
    shuffle_buffer: int = 10_000  # shards: images shuffled in memory (the shard order always is)


@dataclass
class LossConfig:
    kind: Literal["simple", "hybrid", "vlb", "dsm", "edm"] = (
        "simple"  # hybrid/vlb: iDDPM; dsm: NCSN
    )
    # loss_aware: iDDPM's importance-sampled t (p ∝ √E[L_t²], 1/p weights), for kind=vlb;
    # its loss history is not checkpointed: a resumed run is uniform again until it refills
    timestep_sampler: Literal["uniform", "loss_aware"] = "uniform"
    lambda_vlb: float = 0.001  # hybrid: L_simple + λ L_vlb
    label_dropout: float = 0.0  # classifier-free guidance: P(label → ∅) per example


@dataclass
class EvalConfig:
    sampler: str = "ddim"
    num_steps: int | None = 50
    num_samples: int = 64  # images in each periodic grid
    guidance_scale: float | None = None
    sampler_options: dict[str, Any] = field(default_factory=dict)  # e.g. Langevin's step_lr


@dataclass
class ImageRecipeConfig:
    exp_dir: str = "exp/image"
    data: DataConfig = field(default_factory=DataConfig)
    model: ImageModelConfig = field(default_factory=ImageModelConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def check_config(cfg: ImageRecipeConfig) -> None:
    try:
        check_image_diffusion(cfg.model, cfg.diffusion)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if cfg.loss.label_dropout and not cfg.model.null_class:
        raise ConfigError("loss.label_dropout drops labels to ∅: it needs model.null_class")
    if (cfg.loss.kind in ("hybrid", "vlb")) != cfg.model.learn_sigma:
        raise ConfigError("the hybrid and VLB losses train a learned variance: use learn_sigma")
    discrete = isinstance(build_schedule(cfg.diffusion), DiscreteSchedule)
    if cfg.loss.timestep_sampler == "loss_aware" and (
        cfg.loss.kind in ("dsm", "edm") or not discrete
    ):
        raise ConfigError("loss.timestep_sampler=loss_aware draws the steps of a discrete schedule")
    if cfg.loss.kind == "dsm" and cfg.diffusion.parameterization != "score":
        raise ConfigError("the DSM loss trains a score network: diffusion.parameterization=score")
    if (cfg.loss.kind == "edm") != (cfg.model.preconditioning == "edm"):
        raise ConfigError("loss.kind=edm and model.preconditioning=edm go together")


def training_loss(
    cfg: ImageRecipeConfig,
    schedule: NoiseSchedule,
    timestep_sampler: LossSecondMomentResampler | None = None,
):
    """The trainer's loss_fn: flips and label dropout from the trainer's generator, then the
    config's objective (L_simple, L_hybrid, L_vlb, NCSN's DSM, or EDM's λ(σ)-weighted x₀
    loss), with t from ``timestep_sampler`` (weighted 1/p, fed each example's loss) if given."""

    def loss_fn(net: torch.nn.Module, batch: dict, generator: torch.Generator):
        x, y = batch["image"], batch["label"] if cfg.model.num_classes else None
        if cfg.data.horizontal_flip:
            x = random_horizontal_flip(x, generator)
        if y is not None and cfg.loss.label_dropout:
            drop = (
                torch.rand(y.shape, generator=generator, device=y.device) < cfg.loss.label_dropout
            )
            y = torch.where(drop, cfg.model.num_classes, y)
        denoiser, cond = build_denoiser(net, cfg.diffusion), None if y is None else {"y": y}
        t, weights = None, None
        if timestep_sampler is not None:
            t, weights = timestep_sampler.sample(len(x), generator=generator, device=x.device)
        if cfg.loss.kind == "hybrid":
            out = hybrid_loss(
                denoiser,
                x,
                schedule,
                lambda_vlb=cfg.loss.lambda_vlb,
                cond=cond,
                t=t,
                generator=generator,
            )
        elif cfg.loss.kind == "vlb":
            out = vlb_loss(denoiser, x, schedule, cond=cond, t=t, generator=generator)
        elif cfg.loss.kind == "dsm":
            out = dsm_loss(denoiser, x, schedule, cond=cond, generator=generator)
        else:
            out = simple_loss(denoiser, x, schedule, cond=cond, t=t, generator=generator)
        loss = (
            out.loss * edm_loss_weight(out.t).to(out.loss) if cfg.loss.kind == "edm" else out.loss
        )
        if timestep_sampler is not None:
            timestep_sampler.update(out.t, out.loss)
            loss = loss * weights
        return loss.mean(), {k: float(v.detach().mean()) for k, v in out.terms.items()}

    return loss_fn


def training_data(cfg: ImageRecipeConfig) -> tuple[torch.utils.data.Dataset, tuple[int, ...]]:
    """The training set and its image shape (C, H, W), checked against the model.

    Shards are streamed: their shape comes from the first image, and a label beyond
    model.num_classes is only met (as an embedding error) when it is drawn.
    """
    if cfg.data.shards:
        if cfg.data.pad_to is not None:
            raise ConfigError("data.pad_to applies to loaded images: write padded shards")
        dataset = ImageShards(
            cfg.data.shards, shuffle_buffer=cfg.data.shuffle_buffer, seed=cfg.trainer.seed
        )
        source, shape, max_label = cfg.data.shards, tuple(next(iter(dataset))["image"].shape), -1
    else:
        data = load_images(cfg.data.train, cfg.data.split)
        dataset = ImageDataset(data.images, data.labels, pad_to=cfg.data.pad_to)
        source, shape = cfg.data.train, tuple(dataset.images.shape[1:])
        max_label = int(data.labels.max())
    if shape[0] != cfg.model.in_channels:
        raise ConfigError(
            f"{source} has {shape[0]}-channel images, model.in_channels is {cfg.model.in_channels}"
        )
    if cfg.model.num_classes is not None and max_label >= cfg.model.num_classes:
        raise ConfigError(
            f"{source} has labels up to {max_label}, model.num_classes is {cfg.model.num_classes}"
        )
    return dataset, shape


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(ImageRecipeConfig, __doc__, argv)
    check_config(cfg)
    dataset, shape = training_data(cfg)
    schedule = build_schedule(cfg.diffusion)
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    model = ImageUNet(cfg.model)
    size = "streamed" if cfg.data.shards else len(dataset)
    print(f"{size} images {shape}; {sum(p.numel() for p in model.parameters()):,} params")

    def sample_fn(net: torch.nn.Module, step: int, out_dir: Path) -> None:
        samples = DiffusionGenerator("image", net, cfg.diffusion, shape).sample(
            cfg.eval.num_samples,
            sampler=cfg.eval.sampler,
            steps=cfg.eval.num_steps,
            guidance_scale=cfg.eval.guidance_scale,
            sampler_options=cfg.eval.sampler_options,
            seed=0,  # the same noise at every step: the grids show the model changing
        )
        save_image_grid(out_dir / "samples.png", samples.numpy())

    loss_aware = cfg.loss.timestep_sampler == "loss_aware"
    sampler = LossSecondMomentResampler(schedule.num_steps) if loss_aware else None
    trainer = Trainer(
        model,
        training_loss(cfg, schedule, sampler),
        dataset,
        cfg.trainer,
        cfg.exp_dir,
        sample_fn=sample_fn,
        resolved_config=config_to_dict(cfg),
        stateful=[sampler] if sampler is not None else [],
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        bundle = DiffusionGenerator("image", trainer.ema_model(), cfg.diffusion, shape)
        print(f"exported bundle to {bundle.export(Path(cfg.exp_dir) / 'bundle')}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/image.py", main))
