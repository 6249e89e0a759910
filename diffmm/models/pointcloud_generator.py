"""Sampling and auto-encoding point clouds from a bundle: the inference object of the
``pointcloud`` family.

Bundle schema (``config.yaml``):

    model          ``PointCloudModelConfig`` (mode autoencoder | generator, latent size, flow)
    diffusion      the ``DiffusionConfig`` it was trained with (a discrete β schedule)
    num_points     points per cloud in training (the default for sampling)
    normalization  how the training clouds were normalised (``diffmm.pointcloud.normalize``):
                   generated clouds live in those coordinates

Generation draws w ~ N(0, I), maps it to a shape latent z = f⁻¹(w) through the flow, then runs
the reverse chain on N points drawn from N(0, I) given z. Auto-encoding takes z = μ(x_0) from
the encoder. As in ``DiffusionGenerator``, cloud i of a seed depends on (seed, i) alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from diffmm.bundle import Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.per_sample_noise import PerSampleNoise
from diffmm.diffusion.samplers import generate
from diffmm.errors import DiffmmError
from diffmm.models.pointcloud import PointCloudModel
from diffmm.models.precision import inference_precision


@dataclass
class SamplingOptions:
    """How clouds are drawn: any engine sampler, its step count and grid, points per cloud
    (default: the bundle's), batching, the network's precision, and a progress callback
    ``on_batch(n)``."""

    sampler: str = "ddpm"
    steps: int | None = None
    spacing: str | None = None
    num_points: int | None = None
    batch_size: int = 64
    first_index: int = 0
    dtype: str = "fp32"  # the network's precision (diffmm.models.precision)
    sampler_options: dict[str, Any] = field(default_factory=dict)
    on_batch: Callable[[int], None] | None = None


@dataclass
class PointCloudGenerator:
    model: PointCloudModel
    diffusion: DiffusionConfig
    num_points: int = 2048
    normalization: str = "shape_unit"

    def to_bundle_config(self) -> dict[str, Any]:
        return {
            "model": config_to_dict(self.model.cfg),
            "diffusion": config_to_dict(self.diffusion),
            "num_points": int(self.num_points),
            "normalization": self.normalization,
        }

    def export(self, path: str | Path) -> Path:
        return export_bundle(
            path, family="pointcloud", config=self.to_bundle_config(), model=self.model
        )

    @classmethod
    def from_bundle(
        cls, bundle: Bundle | str | Path, *, device: str | torch.device = "cpu"
    ) -> PointCloudGenerator:
        bundle = open_bundle(bundle, ("pointcloud",), device=device)
        config = bundle.config
        return cls(
            bundle.model,
            DiffusionConfig.from_dict(config["diffusion"]),
            int(config["num_points"]),
            str(config["normalization"]),
        )

    @property
    def device(self) -> torch.device:
        return self.model.betas.device

    @property
    def can_generate(self) -> bool:
        return self.model.flow is not None

    def check_request(self, steps: int | None, spacing: str | None, num_points: int | None) -> None:
        """A ``DiffmmError`` now, before any work, for what ``sample`` could not honour."""
        if num_points is not None and num_points < 1:
            raise DiffmmError("the number of points per cloud must be positive")
        build_schedule(self.diffusion).grid(steps, spacing or "default")

    def _decode(
        self,
        latents: Callable[[Tensor, torch.Generator], Tensor],
        count: int,
        options: SamplingOptions,
        seed: int,
    ) -> Tensor:
        """Run the reverse chain for clouds ``first_index`` … ``first_index + count − 1`` given
        ``latents(indices, generator)``, called first inside each batch's noise scope."""
        if count < 1 or options.batch_size < 1 or options.first_index < 0:
            raise DiffmmError("the number of clouds and the batch size must be positive")
        self.check_request(options.steps, options.spacing, options.num_points)
        schedule = build_schedule(self.diffusion)
        denoiser = build_denoiser(self.model, self.diffusion)
        noise, device, clouds = PerSampleNoise(seed, self.device), self.device, []
        first, points = options.first_index, options.num_points or self.num_points
        self.model.eval()
        with torch.no_grad(), inference_precision(options.dtype, device):
            for start in range(first, first + count, options.batch_size):
                indices = torch.arange(start, min(start + options.batch_size, first + count))
                with noise.batch(indices):
                    x = generate(
                        denoiser,
                        schedule,
                        (len(indices), points, 3),
                        sampler=options.sampler,
                        num_steps=options.steps,
                        spacing=options.spacing,
                        cond={"latent": latents(indices, noise.generator)},
                        generator=noise.generator,
                        device=device,
                        **options.sampler_options,
                    )
                clouds.append(x.float().cpu())
                if options.on_batch is not None:
                    options.on_batch(len(indices))
        return torch.cat(clouds)

    def sample(
        self, num_clouds: int, *, seed: int = 0, options: SamplingOptions | None = None
    ) -> Tensor:
        """Clouds (num_clouds, N, 3) drawn from the flow prior."""
        if not self.can_generate:
            raise DiffmmError(
                "this is an auto-encoder bundle (no latent prior): it reconstructs clouds, "
                "it cannot generate them"
            )
        dim, flow = self.model.cfg.latent_dim, self.model.flow

        def latents(indices: Tensor, generator: torch.Generator) -> Tensor:
            w = torch.randn((len(indices), dim), generator=generator, device=self.device)
            return flow.inverse(w)

        return self._decode(latents, num_clouds, options or SamplingOptions(), seed)

    def encode(self, clouds: Tensor, batch_size: int = 64) -> Tensor:
        """The shape latents μ (M, F) of clouds (M, N, 3)."""
        clouds = torch.as_tensor(clouds, dtype=torch.float32)
        self.model.eval()
        with torch.no_grad():
            return torch.cat(
                [
                    self.model.encoder(clouds[i : i + batch_size].to(self.device))[0]
                    for i in range(0, len(clouds), batch_size)
                ]
            )

    def reconstruct(
        self, clouds: Tensor, *, seed: int = 0, options: SamplingOptions | None = None
    ) -> Tensor:
        """Auto-encode clouds (M, N, 3): z = μ(x_0), then the reverse chain (N points per
        cloud unless ``options.num_points`` says otherwise)."""
        clouds = torch.as_tensor(clouds, dtype=torch.float32)
        options = replace(options or SamplingOptions(), first_index=0)
        options.num_points = options.num_points or clouds.shape[1]
        codes = self.encode(clouds, options.batch_size)
        return self._decode(lambda indices, _: codes[indices], len(clouds), options, seed)
