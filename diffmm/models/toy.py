"""The toy model family: an MLP denoiser for low-dimensional data (2-D mixtures, swiss roll).

Small enough to train in a minute on a CPU, it exercises the whole platform (config,
trainer, bundle, CLI, egs) the way the real recipes do.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from diffmm.models.registry import register_family
from diffmm.nn.embeddings import TimestepEmbedding


@dataclass
class ToyModelConfig:
    dim: int = 2
    hidden: int = 128
    num_layers: int = 3
    time_embed_dim: int = 64
    num_classes: int | None = None


class ToyMLP(nn.Module):
    """ε̂(x_t, t[, y]): residual SiLU MLP on x_t with the time (and class) embedding added per layer."""

    def __init__(self, cfg: ToyModelConfig) -> None:
        super().__init__()
        if cfg.dim < 1 or cfg.hidden < 1 or cfg.num_layers < 1:
            raise ValueError("toy model needs positive dim, hidden and num_layers")
        self.cfg = cfg
        self.time_embed = TimestepEmbedding(cfg.time_embed_dim, cfg.hidden)
        self.class_embed = (
            nn.Embedding(cfg.num_classes, cfg.hidden) if cfg.num_classes is not None else None
        )
        self.input = nn.Linear(cfg.dim, cfg.hidden)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.SiLU(), nn.Linear(cfg.hidden, cfg.hidden))
            for _ in range(cfg.num_layers)
        )
        self.output = nn.Sequential(nn.SiLU(), nn.Linear(cfg.hidden, cfg.dim))

    def forward(self, x: Tensor, timesteps: Tensor, y: Tensor | None = None) -> Tensor:
        if x.ndim != 2 or x.shape[1] != self.cfg.dim:
            raise ValueError(
                f"toy model expects inputs of shape (B, {self.cfg.dim}), got {tuple(x.shape)}"
            )
        cond = self.time_embed(timesteps)
        if self.class_embed is not None:
            if y is None:
                raise ValueError("this toy model is class-conditional: pass class labels y")
            cond = cond + self.class_embed(y)
        elif y is not None:
            raise ValueError("this toy model is unconditional but class labels were given")
        h = self.input(x)
        for layer in self.layers:
            h = h + layer(h + cond)
        return self.output(h)


@register_family("toy")
def build_toy_model(config: dict) -> ToyMLP:
    """Rebuild the network from a bundle's (or recipe's) config dictionary."""
    return ToyMLP(ToyModelConfig(**config["model"]))
