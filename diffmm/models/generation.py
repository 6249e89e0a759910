"""Sampling fixed-shape data from a bundle: the inference object behind ``diffmm sample``.

Any family whose samples have one shape and need no input but an optional class label (the toy
MLP, the unconditional DiffWave, image models) shares this schema:

    model       the network's config (what the family's registered builder reads)
    diffusion   the ``DiffusionConfig`` it was trained with
    data_shape  the shape of one sample, e.g. [2] for points, [1, 16000] for a waveform
    sample_rate only for waveforms: samples are written as wav files at this rate
    raster      only for sketches: how samples are drawn into bitmaps
                (``diffmm.sketch.RasterSettings``)

Any other top-level key is an error (``check_schema_keys``), except the vocoder keys that
unconditional DiffWave bundles of the earlier layout carry.

Sample i of a seed is a function of (seed, i) alone: its noise comes from
``PerSampleNoise`` and, without ``class_label``, its uniformly random class from a separate
stream of the same key, so the noise of a seed is the same whichever class is asked for, and
N samples are the same N whatever the batch size or the split across processes
(``first_index``). Class labels go to the network as ``y=`` (guided-diffusion's name);
``guidance_scale`` s applies classifier-free guidance, ε̂ = ε̂(∅) + s (ε̂(y) − ε̂(∅)), to a
model trained with a null class (s = 1: the conditional model; Ho & Salimans' w is s − 1);
``classifier`` (a noise-aware ``ClassifierGuide``) applies classifier guidance with scale s,
ε̂' = ε̂ − σ s ∇ log p_φ(y | x_t) (Dhariwal & Nichol 2021).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from diffmm.bundle import Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.guidance import ClassifierFreeGuidance, ClassifierGuidance
from diffmm.diffusion.per_sample_noise import PerSampleNoise
from diffmm.diffusion.samplers import generate
from diffmm.errors import DiffmmError
from diffmm.models.noisy_classifier import ClassifierGuide
from diffmm.models.precision import check_precision, inference_precision

if TYPE_CHECKING:
    from diffmm.sketch.samples import RasterSettings

GENERATOR_FAMILIES = ("toy", "diffwave", "image", "sketch")
SCHEMA_KEYS = ("model", "diffusion", "data_shape", "sample_rate", "raster")
# unconditional DiffWave bundles exported before this schema also carried the vocoder's keys
EARLIER_KEYS = {"diffwave": ("mel_preset", "hop", "fast_betas")}


def check_schema_keys(bundle: Bundle) -> None:
    """A key this schema does not know is an error, not ignored: it may come from a newer
    diffmm whose meaning this one would silently drop, or be a misspelt key edited by hand."""
    known = set(SCHEMA_KEYS) | set(EARLIER_KEYS.get(bundle.family, ()))
    unknown = sorted(set(bundle.config) - known)
    if unknown:
        version = f" (written by diffmm {bundle.diffmm_version})" if bundle.diffmm_version else ""
        raise DiffmmError(
            f"bundle {bundle.path}: config.yaml has key(s) {', '.join(unknown)} unknown to the "
            f"'{bundle.family}' schema{version}; it knows {', '.join(SCHEMA_KEYS)}"
        )


@dataclass
class DiffusionGenerator:
    """A trained network, how it was trained to denoise, and the shape of what it generates."""

    family: str
    model: nn.Module
    diffusion: DiffusionConfig
    data_shape: tuple[int, ...]
    sample_rate: int | None = None
    raster: RasterSettings | None = None

    def to_bundle_config(self) -> dict[str, Any]:
        """The ``config.yaml`` of this schema (see the module docstring)."""
        config = {
            "model": config_to_dict(self.model.cfg),
            "diffusion": config_to_dict(self.diffusion),
            "data_shape": list(self.data_shape),
        }
        if self.sample_rate is not None:
            config["sample_rate"] = int(self.sample_rate)
        if self.raster is not None:
            config["raster"] = config_to_dict(self.raster)
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
        check_schema_keys(bundle)
        sample_rate = config.get("sample_rate")
        return cls(
            bundle.family,
            bundle.model,
            DiffusionConfig.from_dict(config["diffusion"]),
            tuple(config["data_shape"]),
            None if sample_rate is None else int(sample_rate),
            None if "raster" not in config else _raster_settings(bundle),
        )

    @property
    def num_classes(self) -> int | None:
        return getattr(self.model.cfg, "num_classes", None)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def check_request(
        self,
        steps: int | None = None,
        spacing: str | None = None,
        class_label: int | None = None,
        guidance_scale: float | None = None,
        classifier: ClassifierGuide | None = None,
    ) -> None:
        """A ``DiffmmError`` now, before any work, for a step count, class label, guidance
        scale or classifier that ``sample`` could not honour."""
        classes = self.num_classes
        if classifier is not None:
            classifier.check_compatible(self.diffusion, self.num_classes)
            classes = classifier.num_classes
        if classes is None and class_label is not None:
            raise DiffmmError("a class label was given, but this bundle is unconditional")
        if classes is not None and class_label is not None:
            if not 0 <= class_label < classes:
                raise DiffmmError(
                    f"the class label (--class-label) must lie in [0, {classes}), got {class_label}"
                )
        if guidance_scale is not None and getattr(self.model, "null_label", None) is None:
            raise DiffmmError(
                "classifier-free guidance (--guidance-scale) needs a model trained with a null "
                "class (model.null_class: true); this bundle has none"
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
        guidance_scale: float | None = None,
        classifier: ClassifierGuide | None = None,
        classifier_scale: float = 1.0,
        batch_size: int = 256,
        seed: int = 0,
        first_index: int = 0,
        dtype: str = "fp32",
        sampler_options: dict[str, Any] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> Tensor:
        """Samples ``first_index`` … ``first_index + num_samples − 1`` of ``seed``:
        (num_samples, *data_shape) float32 on the CPU, ``batch_size`` at a time.

        ``dtype`` is the network's precision (``diffmm.models.precision``);
        ``sampler_options`` go to the sampler (e.g. annealed Langevin's ``steps_per_level`` and
        ``step_lr``). ``classifier`` guides with scale ``classifier_scale`` (Dhariwal & Nichol's
        s) towards each sample's class, conditional model or not. ``on_batch(n)`` is called
        after each batch of n samples (a progress bar).
        """
        if num_samples < 1 or batch_size < 1 or first_index < 0:
            raise DiffmmError(
                "the number of samples and the batch size must be positive, the first index "
                "non-negative"
            )
        self.check_request(steps, spacing, class_label, guidance_scale, classifier)
        check_precision(dtype, self.device)
        schedule = build_schedule(self.diffusion)
        denoiser = build_denoiser(self.model, self.diffusion)
        if guidance_scale is not None:
            denoiser = ClassifierFreeGuidance(denoiser, guidance_scale, {"y": None})
        classes = self.num_classes
        if classifier is not None:
            denoiser = ClassifierGuidance(
                denoiser,
                classifier.log_prob,
                classifier_scale,
                denoiser_sees_label=self.num_classes is not None,
            )
            classes = classifier.num_classes
        device = self.device
        noise = PerSampleNoise(seed, device)
        batches = []
        with torch.no_grad(), inference_precision(dtype, device):
            for start in range(first_index, first_index + num_samples, batch_size):
                indices = torch.arange(start, min(start + batch_size, first_index + num_samples))
                labels = self._labels(class_label, indices, noise, classes)
                with noise.batch(indices):
                    x = generate(
                        denoiser,
                        schedule,
                        (len(indices), *self.data_shape),
                        sampler=sampler,
                        num_steps=steps,
                        spacing=spacing,
                        cond=None if labels is None else {"y": labels.to(device)},
                        generator=noise.generator,
                        device=device,
                        **(sampler_options or {}),
                    )
                batches.append(x.float().cpu())
                if on_batch is not None:
                    on_batch(len(indices))
        return torch.cat(batches)

    @staticmethod
    def _labels(
        label: int | None, indices: Tensor, noise: PerSampleNoise, num_classes: int | None
    ) -> Tensor | None:
        """The requested class for every sample, or each sample's own random class."""
        if num_classes is None:
            return None
        if label is None:
            return noise.labels(indices, num_classes)
        return torch.full((len(indices),), label, dtype=torch.long)


def _raster_settings(bundle: Bundle) -> RasterSettings:
    from diffmm.sketch.samples import RasterSettings

    try:
        return RasterSettings(**bundle.config["raster"])
    except TypeError as error:
        raise DiffmmError(f"bundle {bundle.path}: bad raster section: {error}") from None
