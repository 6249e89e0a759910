"""One trained TimeGrad and what it needs to forecast: the TimeGrad bundle's one schema.

    model          TimeGradModelConfig (D, lags, F, context and prediction length, the network)
    diffusion      DiffusionConfig
    data           freq and item_ids (the series, in the order the network reads them)
    time_features  TimeFeatureSpec.to_dict(): frequency, holiday region and names, and the
                   resolved holiday calendar
    checkpoint     which weights were exported (best validation or final EMA) and their step

``TimeGradPredictor.export`` writes it and ``from_bundle`` reads it; bundles exported before
``time_features`` existed (their region and names under ``data``) still load, their holiday
dates then looked up in the installed ``holidays`` package, with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from diffmm.bundle import Bundle, export_bundle, open_bundle
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.errors import DiffmmError
from diffmm.models.precision import check_precision, inference_precision
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig
from diffmm.models.timegrad_sampling import DEFAULT_NUM_SAMPLES, sample_paths
from diffmm.timeseries import MultivariateSeries, TimeFeatureSpec, inference_batch


def timegrad_config_for(
    architecture: TimeGradModelConfig,
    series: MultivariateSeries,
    features: TimeFeatureSpec,
    prediction_length: int,
    context_length: int | None,
    lags: Sequence[int],
) -> TimeGradModelConfig:
    """``architecture`` with the data's shape filled in: D, the lags, F from ``features``, the
    context (default: the prediction length, as in the paper) and the prediction length."""
    return replace(
        architecture,
        target_dim=series.num_series,
        lags=list(lags),
        num_time_features=features.num_features,
        context_length=context_length or prediction_length,
        prediction_length=prediction_length,
    )


@dataclass
class TimeGradPredictor:
    model: TimeGrad
    diffusion: DiffusionConfig
    features: TimeFeatureSpec
    item_ids: list[str]
    checkpoint: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cfg = self.model.cfg
        if cfg.num_time_features != self.features.num_features:
            raise DiffmmError(
                f"the network reads {cfg.num_time_features} time features, the feature spec "
                f"makes {self.features.num_features}"
            )
        if cfg.target_dim != len(self.item_ids):
            raise DiffmmError(
                f"the network models {cfg.target_dim} series, {len(self.item_ids)} are named"
            )

    @property
    def freq(self) -> str:
        return self.features.freq

    @property
    def history_length(self) -> int:
        """C + largest lag: the rows of history one forecast reads."""
        return self.model.cfg.context_length + self.model.cfg.max_lag

    def to_bundle_config(self) -> dict[str, Any]:
        return {
            "model": config_to_dict(self.model.cfg),
            "diffusion": config_to_dict(self.diffusion),
            "data": {"freq": self.freq, "item_ids": list(self.item_ids)},
            "time_features": self.features.to_dict(),
            "checkpoint": dict(self.checkpoint),
        }

    def export(self, path: str | Path) -> Path:
        return export_bundle(
            path, family="timegrad", config=self.to_bundle_config(), model=self.model
        )

    @classmethod
    def from_bundle(
        cls, bundle: Bundle | str | Path, *, device: str | torch.device = "cpu"
    ) -> TimeGradPredictor:
        bundle = open_bundle(bundle, ("timegrad",), device=device)
        config, data = bundle.config, bundle.config["data"]
        if "time_features" in config:
            features = TimeFeatureSpec.from_dict(config["time_features"])
        else:
            features = TimeFeatureSpec(
                data["freq"], data.get("holidays"), tuple(data.get("holiday_names") or ())
            )
            if features.holidays is not None:
                warnings.warn(
                    f"bundle {bundle.path} predates stored holiday calendars: its "
                    f"{features.holidays} holidays come from the installed 'holidays' package; "
                    "retrain it with this diffmm to fix them",
                    stacklevel=2,
                )
        return cls(
            bundle.model,
            DiffusionConfig.from_dict(config["diffusion"]),
            features,
            list(data["item_ids"]),
            dict(config.get("checkpoint") or {}),
        )

    def inference_batch(
        self, histories: Sequence[MultivariateSeries], prediction_length: int
    ) -> dict[str, Tensor]:
        """The network's inputs for forecasting ``prediction_length`` steps past each history,
        with the context, lags and time features it was trained on."""
        cfg = self.model.cfg
        return inference_batch(
            histories, cfg.context_length, prediction_length, cfg.lags, features=self.features
        )

    def sample_batch(
        self,
        batch: dict[str, Tensor],
        *,
        num_samples: int = DEFAULT_NUM_SAMPLES,
        sampler: str = "ddpm",
        steps: int | None = None,
        spacing: str | None = None,
        generator: torch.Generator | None = None,
        dtype: str = "fp32",
    ) -> np.ndarray:
        """Sample paths (W, S, P, D) in data units for one ``inference_batch``; ``dtype`` is
        the network's precision (``diffmm.models.precision``)."""
        schedule = build_schedule(self.diffusion)
        device = next(self.model.parameters()).device
        with inference_precision(dtype, device):
            paths = sample_paths(
                self.model,
                {key: value.to(device) for key, value in batch.items()},
                schedule,
                build_denoiser(self.model, self.diffusion),
                num_samples=num_samples,
                sampler=sampler,
                num_steps=steps,
                spacing=spacing,
                generator=generator,
            )
        return paths.float().cpu().numpy()

    def sample(
        self,
        histories: Sequence[MultivariateSeries],
        prediction_length: int,
        *,
        window_batch: int = 8,
        on_batch: Callable[[int], None] | None = None,
        **sampling: Any,
    ) -> np.ndarray:
        """Sample paths (W, S, P, D), ``window_batch`` windows at a time, all drawing from one
        generator (``sampling``: the options of ``sample_batch``); ``on_batch(n)`` after each
        batch of n windows."""
        # a bad step count or precision fails before any sampling
        check_precision(sampling.get("dtype", "fp32"), next(self.model.parameters()).device)
        build_schedule(self.diffusion).grid(
            sampling.get("steps"), sampling.get("spacing") or "default"
        )
        chunks = []
        size = max(1, window_batch)
        for first in range(0, len(histories), size):
            part = histories[first : first + size]
            chunks.append(
                self.sample_batch(self.inference_batch(part, prediction_length), **sampling)
            )
            if on_batch is not None:
                on_batch(len(part))
        return np.concatenate(chunks)
