"""Sampling fixed-shape data from a bundle: the inference object behind ``diffmm sample``.

Any family whose samples have one shape and need no input but an optional class label (the toy
MLP, the unconditional DiffWave, image models) shares this schema:

    model       the network's config (what the family's registered builder reads)
    diffusion   the ``DiffusionConfig`` it was trained with
    data_shape  the shape of one sample, e.g. [2] for points, [1, 16000] for a waveform
    sample_rate only for waveforms: samples are written as wav files at this rate

Class labels go to the network as ``y=`` (guided-diffusion's name); without ``class_label`` a
class-conditional model gets uniformly random labels drawn from their own generator, so the
noise of a seed is the same whichever class is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from diffmm.bundle import Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.samplers import generate
from diffmm.errors import DiffmmError
from diffmm.models.precision import check_precision, inference_precision

GENERATOR_FAMILIES = ("toy", "diffwave")


@dataclass
class DiffusionGenerator:
    """A trained network, how it was trained to denoise, and the shape of what it generates."""

    family: str
    model: nn.Module
    diffusion: DiffusionConfig
    data_shape: tuple[int, ...]
    sample_rate: int | None = None

    def to_bundle_config(self) -> dict[str, Any]:
        """The ``config.yaml`` of this schema (see the module docstring)."""
        config = {
            "model": config_to_dict(self.model.cfg),
            "diffusion": config_to_dict(self.diffusion),
            "data_shape": list(self.data_shape),
        }
        if self.sample_rate is not None:
            config["sample_rate"] = int(self.sample_rate)
        return config

    def export(self, path: str | Path) -> Path:
        return export_bundle(
            path, family=self.family, config=self.to_bundle_config(), model=self.model
        )

    @classmethod
    def from_bundle(
        cls, bundle: Bundle | str | Path, *, device: str | torch.device = "cpu"
    ) -> DiffusionGenerator:
        bundle = open_bundle(bundle, GENERATOR_FAMILIES, device=device)
        config = bundle.config
        if "data_shape" not in config or "diffusion" not in config:
            hint = " (a vocoder: use `diffmm vocode`)" if "mel_preset" in config else ""
            raise DiffmmError(
                f"bundle {bundle.path} has no data_shape/diffusion section: it cannot be "
                f"sampled{hint}"
            )
        sample_rate = config.get("sample_rate")
        return cls(
            bundle.family,
            bundle.model,
            DiffusionConfig.from_dict(config["diffusion"]),
            tuple(config["data_shape"]),
            None if sample_rate is None else int(sample_rate),
        )

    @property
    def num_classes(self) -> int | None:
        return getattr(self.model.cfg, "num_classes", None)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def check_request(
        self, steps: int | None = None, spacing: str | None = None, class_label: int | None = None
    ) -> None:
        """A ``DiffmmError`` now, before any work, for a step count or class label that
        ``sample`` could not honour."""
        if self.num_classes is None and class_label is not None:
            raise DiffmmError("a class label was given, but this bundle is unconditional")
        if self.num_classes is not None and class_label is not None:
            if not 0 <= class_label < self.num_classes:
                raise DiffmmError(
                    f"the class label (--class-label) must lie in [0, {self.num_classes}), "
                    f"got {class_label}"
                )
        build_schedule(self.diffusion).grid(steps, spacing or "default")

    def sample(
        self,
        num_samples: int,
        *,
        sampler: str = "ddpm",
        steps: int | None = None,
        spacing: str | None = None,
        class_label: int | None = None,
        batch_size: int = 256,
        seed: int = 0,
        dtype: str = "fp32",
        on_batch: Callable[[int], None] | None = None,
    ) -> Tensor:
        """(num_samples, *data_shape) float32 samples on the CPU, ``batch_size`` at a time.

        The noise comes from one generator seeded with ``seed`` on the model's device, so a
        seed gives the same samples for the same batch size. ``dtype`` is the network's
        precision (``diffmm.models.precision``). ``on_batch(n)`` is called after each batch of
        n samples (a progress bar).
        """
        if num_samples < 1 or batch_size < 1:
            raise DiffmmError("the number of samples and the batch size must be positive")
        self.check_request(steps, spacing, class_label)
        check_precision(dtype, self.device)
        schedule = build_schedule(self.diffusion)
        denoiser = build_denoiser(self.model, self.diffusion)
        device = self.device
        generator = torch.Generator(device).manual_seed(seed)
        label_generator = torch.Generator().manual_seed(seed)
        batches = []
        with torch.no_grad(), inference_precision(dtype, device):
            for start in range(0, num_samples, batch_size):
                n = min(batch_size, num_samples - start)
                labels = self._labels(class_label, n, label_generator)
                x = generate(
                    denoiser,
                    schedule,
                    (n, *self.data_shape),
                    sampler=sampler,
                    num_steps=steps,
                    spacing=spacing,
                    cond=None if labels is None else {"y": labels.to(device)},
                    generator=generator,
                    device=device,
                )
                batches.append(x.float().cpu())
                if on_batch is not None:
                    on_batch(n)
        return torch.cat(batches)

    def _labels(self, label: int | None, n: int, generator: torch.Generator) -> Tensor | None:
        """The requested class for every sample, or uniformly random classes."""
        if self.num_classes is None:
            return None
        if label is None:
            return torch.randint(0, self.num_classes, (n,), generator=generator)
        return torch.full((n,), label, dtype=torch.long)
