"""Noise-aware classifier recipe: p_φ(y | x_t, t) for classifier guidance (Dhariwal & Nichol
2021), trained on images noised by the same diffusion as the model it will guide.

    python recipes/noisy_classifier.py --config recipes/configs/image/adm_classifier_cifar10.yaml

Each step draws t and x_t ~ q(x_t | x_0) from the config's ``diffusion`` section and trains
cross-entropy on the class; exports a ``ClassifierGuide`` bundle to ``<exp_dir>/bundle``
(``diffmm sample MODEL --classifier <bundle> --classifier-scale s``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate.utils import set_seed

from diffmm.config import config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_schedule
from diffmm.diffusion.losses import noise_batch
from diffmm.errors import run_entry_point
from diffmm.models.noisy_classifier import ClassifierGuide, NoisyClassifier, NoisyClassifierConfig
from diffmm.training import Trainer, TrainerConfig
from diffmm.vision import ImageDataset, load_images, random_horizontal_flip


@dataclass
class DataConfig:
    train: str = "data/train.npz"  # any source diffmm.vision.load_images reads
    pad_to: int | None = None  # as the guided model's data.pad_to
    horizontal_flip: bool = True


@dataclass
class NoisyClassifierRecipeConfig:
    exp_dir: str = "exp/noisy_classifier"
    data: DataConfig = field(default_factory=DataConfig)
    model: NoisyClassifierConfig = field(default_factory=NoisyClassifierConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)  # the guided model's
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(NoisyClassifierRecipeConfig, __doc__, argv)
    data = load_images(cfg.data.train, "train")
    dataset = ImageDataset(data.images, data.labels, pad_to=cfg.data.pad_to)
    schedule = build_schedule(cfg.diffusion)
    set_seed(cfg.trainer.seed)
    model = NoisyClassifier(cfg.model)

    def loss_fn(net: torch.nn.Module, batch: dict, generator: torch.Generator):
        x, y = batch["image"], batch["label"]
        if cfg.data.horizontal_flip:
            x = random_horizontal_flip(x, generator)
        noised = noise_batch(x, schedule, generator=generator)  # standard prior: z_t is x_t
        logits = net(noised.z_t, noised.model_time)
        accuracy = float((logits.argmax(-1) == y).float().mean())
        return F.cross_entropy(logits, y), {"accuracy": accuracy}

    trainer = Trainer(
        model, loss_fn, dataset, cfg.trainer, cfg.exp_dir, resolved_config=config_to_dict(cfg)
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        guide = ClassifierGuide(trainer.ema_model(), cfg.diffusion)
        print(f"exported bundle to {guide.export(Path(cfg.exp_dir) / 'bundle')}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/noisy_classifier.py", main))
