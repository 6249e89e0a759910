"""Point-cloud recipe (Luo & Hu 2021): a diffusion auto-encoder or generator of 3-D shapes.

    python recipes/pointcloud.py --config recipes/configs/pointcloud/airplane_gen.yaml [key=value ...]

Reads any source ``diffmm.pointcloud.load_clouds`` knows (Luo & Hu's shapenet.hdf5, a PC15k
root, an (M, N, 3) ``.npy``, a folder of meshes or point files), normalises each cloud
(``data.normalization``), trains with the shared trainer (resuming from the experiment
directory if a checkpoint is there), draws 3-D views of generated (or reconstructed) clouds
every ``trainer.sample_every`` steps, and exports a bundle to ``<exp_dir>/bundle``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from accelerate.utils import set_seed
from torch.utils.data import TensorDataset

from diffmm.config import ConfigError, config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_schedule
from diffmm.errors import run_entry_point
from diffmm.models.pointcloud import (
    PointCloudModelConfig,
    build_point_cloud_model,
    point_cloud_loss,
)
from diffmm.models.pointcloud_generator import PointCloudGenerator, SamplingOptions
from diffmm.pointcloud import load_clouds, normalize
from diffmm.pointcloud.plot import save_cloud_views
from diffmm.training import Trainer, TrainerConfig


@dataclass
class DataConfig:
    train: str = "data/shapenet.hdf5"  # any source diffmm.pointcloud.load_clouds reads
    categories: list[str] = field(default_factory=lambda: ["airplane"])  # h5 / PC15k only
    split: str = "train"
    num_points: int = 2048  # points per training cloud (the paper's)
    normalization: str = "shape_unit"  # the authors' training default
    seed: int = 0  # point subsampling and surface sampling


@dataclass
class LossConfig:
    kl_weight: float = 0.001  # λ of the latent KL terms (generator mode), the paper's


@dataclass
class EvalConfig:
    sampler: str = "ddpm"
    num_steps: int | None = None  # the full chain
    num_samples: int = 4  # clouds drawn in each periodic PNG


@dataclass
class PointCloudRecipeConfig:
    exp_dir: str = "exp/pointcloud"
    data: DataConfig = field(default_factory=DataConfig)
    model: PointCloudModelConfig = field(default_factory=PointCloudModelConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(PointCloudRecipeConfig, __doc__, argv)
    data = load_clouds(
        cfg.data.train,
        num_points=cfg.data.num_points,
        categories=cfg.data.categories,
        split=cfg.data.split,
        seed=cfg.data.seed,
    )
    clouds = torch.from_numpy(normalize(data.clouds, cfg.data.normalization))
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    try:
        model = build_point_cloud_model(cfg.model, cfg.diffusion)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    schedule = build_schedule(cfg.diffusion)
    print(
        f"{len(clouds)} clouds × {clouds.shape[1]} points; {sum(p.numel() for p in model.parameters()):,} params"
    )

    def loss_fn(net: torch.nn.Module, batch: list, generator: torch.Generator):
        loss, terms = point_cloud_loss(
            net,
            batch[0],
            schedule,
            cfg.diffusion,
            kl_weight=cfg.loss.kl_weight,
            generator=generator,
        )
        return loss.mean(), {k: float(v.detach().mean()) for k, v in terms.items()}

    def inference(net: torch.nn.Module) -> PointCloudGenerator:
        return PointCloudGenerator(net, cfg.diffusion, cfg.data.num_points, cfg.data.normalization)

    def sample_fn(net: torch.nn.Module, step: int, out_dir: Path) -> None:
        generator, count = inference(net), cfg.eval.num_samples
        options = SamplingOptions(cfg.eval.sampler, cfg.eval.num_steps)
        if generator.can_generate:
            drawn = generator.sample(count, options=options)
        else:  # an auto-encoder: the first training clouds beside their reconstructions
            drawn = torch.stack(
                [clouds[:count], generator.reconstruct(clouds[:count], options=options)], 1
            )
            drawn = drawn.flatten(0, 1)
        save_cloud_views(out_dir / "clouds.png", drawn.numpy(), max_clouds=2 * count)

    trainer = Trainer(
        model,
        loss_fn,
        TensorDataset(clouds),
        cfg.trainer,
        cfg.exp_dir,
        sample_fn=sample_fn,
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        print(
            f"exported bundle to {inference(trainer.ema_model()).export(Path(cfg.exp_dir) / 'bundle')}"
        )
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/pointcloud.py", main))
