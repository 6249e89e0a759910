"""Image classifier recipe: the project's offline feature network for FID, IS and
precision/recall (``diffmm evaluate images --extractor <bundle>``).

    python recipes/image_classifier.py --config recipes/configs/image/classifier_fashion_mnist.yaml

Trains ``ImageClassifier`` with cross-entropy on image arrays, tracks held-out accuracy, and
exports a ``FeatureClassifier`` bundle to ``<exp_dir>/bundle``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate.utils import set_seed

from diffmm.config import config_from_command_line, config_to_dict
from diffmm.errors import run_entry_point
from diffmm.models.image_classifier import ClassifierConfig, FeatureClassifier, ImageClassifier
from diffmm.training import Trainer, TrainerConfig
from diffmm.vision import ImageDataset, load_images, uint8_to_signed


@dataclass
class DataConfig:
    train: str = "data/train.npz"  # any source diffmm.vision.load_images reads
    valid: str = "data/test.npz"
    max_valid: int = 2000  # held-out images scored at each validation


@dataclass
class ClassifierRecipeConfig:
    exp_dir: str = "exp/classifier"
    data: DataConfig = field(default_factory=DataConfig)
    model: ClassifierConfig = field(default_factory=ClassifierConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(ClassifierRecipeConfig, __doc__, argv)
    train, valid = load_images(cfg.data.train, "train"), load_images(cfg.data.valid, "test")
    dataset = ImageDataset(train.images, train.labels)
    n = cfg.data.max_valid
    valid_x = uint8_to_signed(torch.from_numpy(valid.images[:n]).permute(0, 3, 1, 2))
    valid_y = torch.from_numpy(valid.labels[:n])
    set_seed(cfg.trainer.seed)
    model = ImageClassifier(cfg.model)

    def loss_fn(net: torch.nn.Module, batch: dict, generator: torch.Generator):
        logits = net(batch["image"])
        accuracy = (logits.argmax(-1) == batch["label"]).float().mean()
        return F.cross_entropy(logits, batch["label"]), {"accuracy": float(accuracy)}

    def val_fn(net: torch.nn.Module, step: int) -> dict[str, float]:
        device = next(net.parameters()).device
        with torch.no_grad():
            logits = torch.cat(
                [net(valid_x[i : i + 500].to(device)) for i in range(0, len(valid_x), 500)]
            )
        return {"accuracy": float((logits.argmax(-1).cpu() == valid_y).float().mean())}

    trainer = Trainer(
        model,
        loss_fn,
        dataset,
        cfg.trainer,
        cfg.exp_dir,
        val_fn=val_fn,
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        net = trainer.ema_model()
        print(f"held-out accuracy {val_fn(net, trainer.step)['accuracy']:.4f}")
        classifier = FeatureClassifier(net, train.class_names, name="unsaved")
        print(f"exported bundle to {classifier.export(Path(cfg.exp_dir) / 'bundle')}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/image_classifier.py", main))
