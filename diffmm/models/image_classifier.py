"""The project's own image classifier: the offline feature network of FID, IS and
precision/recall where the Inception weights are not at hand (DESIGN.md §7), and a bundle
family (``image_classifier``) like any other.

A small all-convolutional network: a 3×3 stem, three stride-2 stages (32 → 16 → 8 → 4), global
average pooling, a penultimate linear layer whose activations are the *features*, and a linear
layer to class logits whose softmax gives the *class probabilities* of the Inception Score.
Images smaller than ``image_size`` are zero-padded to it (28×28 Fashion-MNIST and the 32×32
padded samples of the image models then meet the same network).

``FeatureClassifier`` is its inference object and a ``metrics.FeatureExtractor``: its ``name``
carries a digest of the weights, so statistics cached with one classifier can never be
compared with another's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.bundle import MODEL_FILE, Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.errors import DiffmmError
from diffmm.models.registry import register_family
from diffmm.vision.pixels import uint8_to_signed

FAMILY = "image_classifier"


@dataclass
class ClassifierConfig:
    in_channels: int = 1
    num_classes: int = 10
    image_size: int = 32  # inputs are zero-padded to this square
    width: int = 32  # channels of the stem; doubled at each stride-2 stage
    feature_dim: int = 128  # the penultimate layer: the features FID compares


def _stage(channels_in: int, channels_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1),
        nn.GroupNorm(8, channels_out),
        nn.SiLU(),
    )


class ImageClassifier(nn.Module):
    """logits(x) for x ∈ [−1, 1]^(C×H×W); ``features(x)`` the penultimate activations."""

    def __init__(self, cfg: ClassifierConfig) -> None:
        super().__init__()
        self.cfg = cfg
        width = cfg.width
        self.body = nn.Sequential(
            _stage(cfg.in_channels, width, 1),
            _stage(width, 2 * width, 2),
            _stage(2 * width, 4 * width, 2),
            _stage(4 * width, 4 * width, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4 * width, cfg.feature_dim),
            nn.SiLU(),
        )
        self.head = nn.Linear(cfg.feature_dim, cfg.num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(self._pad(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))

    def _pad(self, x: Tensor) -> Tensor:
        """Zero-pad (x = −1 is black, so pad the pixels, not x) to image_size, centred."""
        size, (height, width) = self.cfg.image_size, x.shape[-2:]
        if x.shape[1] != self.cfg.in_channels or height > size or width > size:
            raise DiffmmError(
                f"the classifier takes {self.cfg.in_channels}-channel images of at most "
                f"{size}×{size}, got {tuple(x.shape[1:])}"
            )
        top, left = (size - height) // 2, (size - width) // 2
        padding = (left, size - width - left, top, size - height - top)
        return F.pad(x + 1, padding) - 1 if any(padding) else x


@register_family(FAMILY)
def build_image_classifier(config: dict) -> ImageClassifier:
    return ImageClassifier(ClassifierConfig(**config["model"]))


class FeatureClassifier:
    """A trained ``ImageClassifier`` as a feature extractor (features + class probabilities)."""

    def __init__(self, model: ImageClassifier, class_names: tuple[str, ...], name: str) -> None:
        if len(class_names) != model.cfg.num_classes:
            raise DiffmmError(f"{len(class_names)} class names for {model.cfg.num_classes} classes")
        self.model = model.eval()
        self.class_names = tuple(class_names)
        self.name = name
        self.dim = model.cfg.feature_dim

    def to_bundle_config(self) -> dict[str, Any]:
        return {"model": config_to_dict(self.model.cfg), "class_names": list(self.class_names)}

    def export(self, path: str | Path) -> Path:
        return export_bundle(path, family=FAMILY, config=self.to_bundle_config(), model=self.model)

    @classmethod
    def from_bundle(
        cls, bundle: Bundle | str | Path, *, device: str | torch.device = "cpu"
    ) -> FeatureClassifier:
        bundle = open_bundle(bundle, (FAMILY,), device=device)
        digest = hashlib.sha256((bundle.path / MODEL_FILE).read_bytes()).hexdigest()[:12]
        names = tuple(bundle.config["class_names"])
        return cls(bundle.model, names, f"diffmm-classifier-{digest}")

    @property
    def num_classes(self) -> int:
        return self.model.cfg.num_classes

    def _signed(self, images: Tensor) -> Tensor:
        return uint8_to_signed(images).to(next(self.model.parameters()).device)

    @torch.no_grad()
    def __call__(self, images: Tensor) -> Tensor:
        """uint8 (B, C, H, W) → (B, feature_dim) penultimate features."""
        return self.model.features(self._signed(images)).float().cpu()

    @torch.no_grad()
    def features_and_probabilities(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Both outputs of one pass: (B, feature_dim) features and (B, K) softmax p(y|x)."""
        features = self.model.features(self._signed(images))
        return features.float().cpu(), self.model.head(features).softmax(-1).float().cpu()
