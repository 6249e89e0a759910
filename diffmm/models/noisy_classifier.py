"""The noise-aware classifier p_φ(y | x_t, t) of classifier guidance (Dhariwal & Nichol 2021,
§4): ADM's UNet encoder half — time-embedded ResBlocks, attention at chosen resolutions, the
middle block — followed by attention pooling and a linear layer to class logits. It is trained
on noised images x_t at uniformly drawn t (``recipes/noisy_classifier.py``) and steers a
diffusion model through ``diffusion.guidance.ClassifierGuidance``: ε̂' = ε̂ − σ s ∇ log p_φ(y|x_t).

Its bundle (family ``noisy_classifier``) stores the ``diffusion`` section it was trained with:
the classifier must see the time in the form the diffusion model hands its network, so a
guide and a model whose schedules or classes differ are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from diffmm.bundle import Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.models.registry import register_family
from diffmm.nn.attention import AttentionBlock
from diffmm.nn.embeddings import TimestepEmbedding
from diffmm.nn.layers import normalization
from diffmm.nn.resample import Downsample
from diffmm.nn.resblock import ResBlock
from diffmm.nn.unet import TimestepEmbedSequential

FAMILY = "noisy_classifier"


@dataclass
class NoisyClassifierConfig:
    in_channels: int = 3
    num_classes: int = 10
    image_size: int = 32  # the attention pool's positional embedding covers this input size
    model_channels: int = 128
    channel_mult: list[int] = field(default_factory=lambda: [1, 2, 2, 2])
    num_res_blocks: int = 2
    attention_resolutions: list[int] = field(default_factory=lambda: [2, 4])
    num_head_channels: int = 64
    dropout: float = 0.0
    use_scale_shift_norm: bool = True  # ADM's classifier uses it throughout


class AttentionPool2d(nn.Module):
    """CLIP/ADM attention pooling: the mean feature, as a query, attends over all positions
    (plus a learned positional embedding); returns the attended mean token."""

    def __init__(self, positions: int, channels: int, head_channels: int) -> None:
        super().__init__()
        self.positional = nn.Parameter(torch.randn(channels, positions + 1) / channels**0.5)
        self.attention = nn.MultiheadAttention(channels, max(1, channels // head_channels))

    def forward(self, x: Tensor) -> Tensor:
        tokens = x.flatten(2)  # (B, C, HW)
        tokens = torch.cat([tokens.mean(-1, keepdim=True), tokens], dim=-1) + self.positional
        sequence = tokens.permute(2, 0, 1)  # (HW + 1, B, C)
        pooled, _ = self.attention(sequence[:1], sequence, sequence, need_weights=False)
        return pooled[0]


class NoisyClassifier(nn.Module):
    """logits(x_t, t): the UNet encoder half over x_t with the time embedding, pooled."""

    def __init__(self, cfg: NoisyClassifierConfig) -> None:
        super().__init__()
        self.cfg = cfg
        embed = 4 * cfg.model_channels
        self.time_embed = TimestepEmbedding(cfg.model_channels, embed)
        channels = cfg.model_channels
        blocks: list[nn.Module] = [nn.Conv2d(cfg.in_channels, channels, 3, padding=1)]
        factor = 1
        for level, mult in enumerate(cfg.channel_mult):
            for _ in range(cfg.num_res_blocks):
                layers: list[nn.Module] = [self._res(channels, mult * cfg.model_channels, embed)]
                channels = mult * cfg.model_channels
                if factor in cfg.attention_resolutions:
                    layers.append(AttentionBlock(channels, num_head_channels=cfg.num_head_channels))
                blocks.append(TimestepEmbedSequential(*layers))
            if level != len(cfg.channel_mult) - 1:
                blocks.append(Downsample(channels, True, 2))
                factor *= 2
        blocks.append(
            TimestepEmbedSequential(
                self._res(channels, channels, embed),
                AttentionBlock(channels, num_head_channels=cfg.num_head_channels),
                self._res(channels, channels, embed),
            )
        )
        self.blocks = nn.ModuleList(blocks)
        self.out_norm = nn.Sequential(normalization(channels), nn.SiLU())
        side = -(-cfg.image_size // factor)  # ceil: the encoder's last resolution
        self.pool = AttentionPool2d(side * side, channels, cfg.num_head_channels)
        self.head = nn.Linear(channels, cfg.num_classes)

    def _res(self, channels: int, out: int, embed: int) -> ResBlock:
        return ResBlock(
            channels,
            embed,
            self.cfg.dropout,
            out,
            use_scale_shift_norm=self.cfg.use_scale_shift_norm,
        )

    def forward(self, x: Tensor, timesteps: Tensor) -> Tensor:
        emb = self.time_embed(torch.as_tensor(timesteps, device=x.device).expand(x.shape[0]))
        h = x
        for block in self.blocks:
            h = block(h, emb) if isinstance(block, TimestepEmbedSequential) else block(h)
        return self.head(self.pool(self.out_norm(h)))


@register_family(FAMILY)
def build_noisy_classifier(config: dict) -> NoisyClassifier:
    return NoisyClassifier(NoisyClassifierConfig(**config["model"]))


@dataclass
class ClassifierGuide:
    """A trained noise-aware classifier and the diffusion it was trained under."""

    model: NoisyClassifier
    diffusion: DiffusionConfig

    def to_bundle_config(self) -> dict[str, Any]:
        return {
            "model": config_to_dict(self.model.cfg),
            "diffusion": config_to_dict(self.diffusion),
        }

    def export(self, path: str | Path) -> Path:
        return export_bundle(path, family=FAMILY, config=self.to_bundle_config(), model=self.model)

    @classmethod
    def from_bundle(
        cls, bundle: Bundle | str | Path, *, device: str | torch.device = "cpu"
    ) -> ClassifierGuide:
        bundle = open_bundle(bundle, (FAMILY,), device=device)
        return cls(bundle.model, DiffusionConfig.from_dict(bundle.config["diffusion"]))

    @property
    def num_classes(self) -> int:
        return self.model.cfg.num_classes

    def check_compatible(self, diffusion: DiffusionConfig, num_classes: int | None) -> None:
        """A one-line error unless this classifier can guide that model."""
        if num_classes is not None and num_classes != self.num_classes:
            raise DiffmmError(
                f"the classifier has {self.num_classes} classes, the model {num_classes}"
            )
        if (diffusion.schedule, diffusion.num_steps) != (
            self.diffusion.schedule,
            self.diffusion.num_steps,
        ):
            raise DiffmmError(
                f"the classifier was trained on a {self.diffusion.schedule} schedule of "
                f"{self.diffusion.num_steps} steps, the model on {diffusion.schedule} of "
                f"{diffusion.num_steps}: their times do not match"
            )

    def log_prob(self, x_t: Tensor, model_time: Tensor, y: Tensor) -> Tensor:
        """log p_φ(y | x_t, t) per example (the ``ClassifierLogProb`` of the engine)."""
        logits = self.model(x_t.float(), model_time)
        return logits.log_softmax(-1).gather(1, y.reshape(-1, 1)).squeeze(1)
