"""The point-cloud family (Luo & Hu 2021): points diffuse independently given a shape latent z.

q(x_t | x_0) adds Gaussian noise to every point with a linear β schedule; the reverse chain is
the point-wise ε_θ(x_t, β_t, z) of ``diffmm.nn.pointnet``. Two modes:

- ``autoencoder``: z = μ(x_0) from the PointNet encoder; loss L_simple (the paper's
  closed-form bound reduces to it with fixed variances);
- ``generator``: q(z | x_0) = N(μ, diag σ²), and a prior p(z) given by an affine-coupling
  flow trained jointly; loss L_simple + λ (−H[q(z | x_0)] − log p(z)), the KL term of the
  bound written as negative entropy plus prior cross-entropy, with the paper's λ = 0.001.

The network is called by the engine as ``net(x_t, model_time, latent=z)``: the discrete
model time indexes β (linearly between steps for the fractional times of few-step grids).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.losses import simple_loss
from diffmm.diffusion.schedules import DiscreteSchedule, NoiseSchedule
from diffmm.models.registry import register_family
from diffmm.nn.coupling_flow import AffineCouplingFlow
from diffmm.nn.pointnet import PointNetEncoder, PointwiseNet

MODES = ("autoencoder", "generator")


@dataclass
class PointCloudModelConfig:
    mode: Literal["autoencoder", "generator"] = "generator"
    latent_dim: int = 256  # the paper's shape latent
    residual: bool = True  # ε_θ adds its input back (the authors' default)
    flow_depth: int = 14  # coupling layers of the latent prior (generator mode)
    flow_hidden: int = 256


class PointCloudModel(nn.Module):
    """Encoder, point-wise ε-network and (in generator mode) the latent flow."""

    def __init__(self, cfg: PointCloudModelConfig, betas: Tensor) -> None:
        super().__init__()
        if cfg.mode not in MODES:
            raise ValueError(f"model.mode must be one of {', '.join(MODES)}, got {cfg.mode!r}")
        if cfg.latent_dim < 2:
            raise ValueError("model.latent_dim must be at least 2 (the flow splits it in halves)")
        self.cfg = cfg
        self.register_buffer("betas", torch.as_tensor(betas, dtype=torch.float64))
        self.encoder = PointNetEncoder(cfg.latent_dim)
        self.eps_net = PointwiseNet(cfg.latent_dim, cfg.residual)
        self.flow = (
            AffineCouplingFlow(cfg.latent_dim, cfg.flow_depth, cfg.flow_hidden)
            if cfg.mode == "generator"
            else None
        )

    def beta_at(self, model_time: Tensor) -> Tensor:
        """β at (possibly fractional) discrete steps, linear between integer steps."""
        t = torch.as_tensor(model_time, dtype=torch.float64, device=self.betas.device)
        t = t.clamp(0, len(self.betas) - 1)
        low = t.floor().long()
        high = (low + 1).clamp(max=len(self.betas) - 1)
        return torch.lerp(self.betas[low], self.betas[high], t - low)

    def forward(self, x: Tensor, model_time: Tensor, latent: Tensor) -> Tensor:
        if x.ndim != 3 or x.shape[2] != 3:
            raise ValueError(f"point clouds must have shape (B, N, 3), got {tuple(x.shape)}")
        beta = self.beta_at(model_time).reshape(-1).expand(x.shape[0])
        return self.eps_net(x, beta, latent)


def check_point_diffusion(diffusion: DiffusionConfig) -> None:
    """The paper's setting: a discrete schedule and an ε-network."""
    if not isinstance(build_schedule(diffusion), DiscreteSchedule):
        raise ValueError("the point-cloud model needs a discrete (β) schedule, e.g. linear")
    if diffusion.parameterization != "eps" or diffusion.variance not in (
        "fixed_small",
        "fixed_large",
    ):
        raise ValueError("the point-cloud model predicts ε with a fixed variance")


def build_point_cloud_model(
    cfg: PointCloudModelConfig, diffusion: DiffusionConfig
) -> PointCloudModel:
    check_point_diffusion(diffusion)
    return PointCloudModel(cfg, build_schedule(diffusion).betas)


@register_family("pointcloud")
def build_from_bundle_config(config: dict) -> PointCloudModel:
    return build_point_cloud_model(
        PointCloudModelConfig(**config["model"]), DiffusionConfig.from_dict(config["diffusion"])
    )


def gaussian_entropy(log_var: Tensor) -> Tensor:
    """H[N(μ, diag σ²)] per example: ½ F (1 + log 2π) + ½ Σ log σ²."""
    return 0.5 * log_var.shape[1] * (1 + math.log(2 * math.pi)) + 0.5 * log_var.sum(dim=1)


def point_cloud_loss(
    net: nn.Module,
    points: Tensor,
    schedule: NoiseSchedule,
    diffusion: DiffusionConfig,
    *,
    kl_weight: float = 0.001,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """The training loss per example (B,) and its terms, for clouds (B, N, 3).

    ``net`` may be wrapped for data parallelism (the model is its ``.module``).
    """
    model: PointCloudModel = getattr(net, "module", net)
    mean, log_var = model.encoder(points)
    if model.flow is None:
        latent = mean
    else:
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        latent = mean + (0.5 * log_var).exp() * noise
    out = simple_loss(
        build_denoiser(net, diffusion),
        points,
        schedule,
        cond={"latent": latent},
        generator=generator,
    )
    if model.flow is None:
        return out.loss, {"mse": out.loss}
    entropy, log_prior = gaussian_entropy(log_var), model.flow.log_prob(latent)
    loss = out.loss + kl_weight * (-entropy - log_prior)
    return loss, {"mse": out.loss, "entropy": entropy, "log_prior": log_prior}
