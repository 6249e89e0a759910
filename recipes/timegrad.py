"""TimeGrad recipe (Rasul et al. 2021): multivariate probabilistic forecasting.

    python recipes/timegrad.py --config recipes/configs/timegrad/electricity.yaml [key=value ...]

Data: a GluonTS repository dataset by name (``data.dataset``, from GluonTS's cache or
``data.root``), a dataset folder in GluonTS's layout (``data.directory``: metadata.json,
train/, test/, as data_prep writes it) or a user file (``data.train``: CSV/Parquet wide or long,
GluonTS JSON lines). The last ``data.num_val_windows`` rolling windows of the training range are
held out: the model trains on the range before them, and every ``trainer.val_every`` steps the
EMA weights forecast them (few paths, a fast sampler) for the validation CRPS-sum. The EMA
weights with the best validation CRPS-sum are kept in ``<exp_dir>/best/`` and exported as the
bundle (the final EMA weights when validation never ran). The bundle holds the frequency, lags,
context/prediction length, series names, the number of time features, the public-holiday
region (``forecast.holidays``) and the named holidays that got a feature: all inference needs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from accelerate.utils import set_seed
from safetensors.torch import load_model, save_model

from diffmm.bundle import export_bundle
from diffmm.config import ConfigError, config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.errors import run_entry_point
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig, training_loss
from diffmm.models.timegrad_sampling import sample_paths
from diffmm.timeseries import (
    MultivariateSeries,
    TrainingWindows,
    inference_batch,
    lags_for_frequency,
    load_gluonts_dataset,
    load_gluonts_directory,
    num_time_features,
    read_series,
)
from diffmm.timeseries.evaluation import evaluate
from diffmm.timeseries.public_holidays import seen_holiday_names
from diffmm.timeseries.windows import hold_out, split_test_windows
from diffmm.training import Trainer, TrainerConfig


@dataclass
class DataConfig:
    dataset: str | None = None  # GluonTS repository name, e.g. electricity_nips
    root: str | None = None  # folder holding <dataset>/ (default: GluonTS's cache)
    directory: str | None = None  # or a GluonTS-layout folder (metadata.json, train/, test/)
    train: str | None = None  # or a user file: .csv/.parquet (wide or long) or .jsonl
    freq: str | None = None  # for a user file: inferred when null
    num_val_windows: int = 1  # rolling windows at the end of the training range, held out
    num_train_windows: int | None = None  # windows per epoch (null: every start, once)


@dataclass
class ForecastConfig:
    prediction_length: int | None = None  # null: the dataset's
    context_length: int | None = None  # null: = prediction_length (the paper)
    lags: list[int] | None = None  # null: diffmm.timeseries.lags_for_frequency
    holidays: str | None = None  # a region, e.g. AU-VIC: one more feature flags its holidays
    # and one feature per holiday (by name) whose date falls in the training range
    holiday_names: bool = False


@dataclass
class ValConfig:
    num_samples: int = 20
    sampler: str = "ddpm"  # ancestral, respaced to num_steps
    num_steps: int | None = 10
    seed: int = 0


@dataclass
class TimeGradRecipeConfig:
    exp_dir: str = "exp/timegrad"
    data: DataConfig = field(default_factory=DataConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    # target_dim, lags, num_time_features, context_length and prediction_length are set from
    # the data and the forecast section; the other fields are the architecture.
    model: TimeGradModelConfig = field(default_factory=TimeGradModelConfig)
    diffusion: DiffusionConfig = field(
        default_factory=lambda: DiffusionConfig(num_steps=100, beta_start=1e-4, beta_end=0.1)
    )
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    val: ValConfig = field(default_factory=ValConfig)


def load_training_series(cfg: DataConfig) -> tuple[MultivariateSeries, int | None]:
    """The training range and the dataset's prediction length (None for a user file)."""
    sources = [name for name in ("dataset", "directory", "train") if getattr(cfg, name)]
    if len(sources) != 1:
        raise ConfigError(
            f"set exactly one of data.dataset, data.directory, data.train; got {sources}"
        )
    if cfg.dataset:
        data = load_gluonts_dataset(cfg.dataset, path=cfg.root)
        return data.train, data.prediction_length
    if cfg.directory:
        data = load_gluonts_directory(cfg.directory)
        return data.train, data.prediction_length
    return read_series(cfg.train, freq=cfg.freq), None


def holiday_names_of(cfg: ForecastConfig, fit: MultivariateSeries) -> list[str]:
    """The holidays that get a feature of their own: those the training range holds."""
    if not cfg.holiday_names:
        return []
    if cfg.holidays is None:
        raise ConfigError("forecast.holiday_names needs a forecast.holidays region")
    return seen_holiday_names(fit.index, cfg.holidays)


def model_config(
    cfg: TimeGradRecipeConfig,
    series: MultivariateSeries,
    prediction_length: int,
    holiday_names: list[str],
) -> TimeGradModelConfig:
    return replace(
        cfg.model,
        target_dim=series.num_series,
        lags=list(cfg.forecast.lags or lags_for_frequency(series.freq)),
        num_time_features=num_time_features(series.freq, cfg.forecast.holidays, holiday_names),
        context_length=cfg.forecast.context_length or prediction_length,
        prediction_length=prediction_length,
    )


def main(argv: list[str] | None = None) -> int:
    cfg = config_from_command_line(TimeGradRecipeConfig, __doc__, argv)

    series, horizon = load_training_series(cfg.data)
    p = cfg.forecast.prediction_length or horizon
    if p is None:
        raise ConfigError("forecast.prediction_length is required for a user file")
    fit, val_windows = hold_out(series, cfg.data.num_val_windows, p)
    holidays, names = cfg.forecast.holidays, holiday_names_of(cfg.forecast, fit)
    net_cfg = model_config(cfg, series, p, names)
    c, lags = net_cfg.context_length, net_cfg.lags
    val_histories, val_targets, val_starts = (
        split_test_windows(val_windows, p) if val_windows else ([], None, [])
    )
    windows = TrainingWindows(
        fit,
        c,
        p,
        lags,
        num_windows=cfg.data.num_train_windows,
        seed=cfg.trainer.seed,
        holidays=holidays,
        holiday_names=names,
    )
    val_batch = (
        inference_batch(val_histories, c, p, lags, holidays=holidays, holiday_names=names)
        if val_histories
        else None
    )
    print(
        f"TimeGrad: {series.num_series} series, freq {series.freq}, context {c}, horizon {p}, "
        f"lags {lags}{f', {holidays} holidays' if holidays else ''}"
        f"{f' ({len(names)} named)' if names else ''}; {len(windows)} training "
        f"windows, {len(val_histories)} validation windows"
    )
    schedule = build_schedule(cfg.diffusion)
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    model = TimeGrad(net_cfg)
    exp_dir = Path(cfg.exp_dir)
    best_dir = exp_dir / "best"

    def loss_fn(net: torch.nn.Module, batch: dict, generator: torch.Generator):
        loss = training_loss(net, batch, schedule, build_denoiser(net, cfg.diffusion), generator)
        return loss, {}

    def val_fn(net: torch.nn.Module, step: int) -> dict[str, float]:
        batch = {k: v.to(next(net.parameters()).device) for k, v in val_batch.items()}
        samples = sample_paths(
            net,
            batch,
            schedule,
            build_denoiser(net, cfg.diffusion),
            num_samples=cfg.val.num_samples,
            sampler=cfg.val.sampler,
            num_steps=cfg.val.num_steps,
            generator=torch.Generator(batch["past_target"].device).manual_seed(cfg.val.seed),
        )
        metrics = evaluate(samples.cpu().numpy(), val_targets, val_starts, series.freq)
        keep_if_best(net, step, metrics["CRPS-sum"])
        return {"crps_sum": metrics["CRPS-sum"], "energy_score": metrics["energy_score"]}

    def keep_if_best(net: torch.nn.Module, step: int, crps_sum: float) -> None:
        record = best_dir / "best.json"
        if record.is_file() and json.loads(record.read_text())["crps_sum"] <= crps_sum:
            return
        best_dir.mkdir(parents=True, exist_ok=True)
        # Weights, then the record, each by rename: a crash never pairs a record with torn weights.
        save_model(net, str(best_dir / "model.safetensors.tmp"))
        os.replace(best_dir / "model.safetensors.tmp", best_dir / "model.safetensors")
        (best_dir / "best.json.tmp").write_text(json.dumps({"step": step, "crps_sum": crps_sum}))
        os.replace(best_dir / "best.json.tmp", record)

    trainer = Trainer(
        model,
        loss_fn,
        windows,
        cfg.trainer,
        exp_dir,
        val_fn=val_fn if val_batch is not None and cfg.trainer.val_every else None,
        resolved_config=config_to_dict(cfg),
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        export = trainer.ema_model().cpu()
        chosen = {"weights": "final EMA", "step": trainer.step}
        if (best_dir / "best.json").is_file():
            load_model(export, str(best_dir / "model.safetensors"))
            chosen = {"weights": "best validation CRPS-sum (EMA)"}
            chosen.update(json.loads((best_dir / "best.json").read_text()))
        bundle_config = {
            "model": config_to_dict(net_cfg),
            "diffusion": config_to_dict(cfg.diffusion),
            "data": {
                "freq": series.freq,
                "item_ids": list(series.item_ids),
                "holidays": holidays,
                "holiday_names": names,
            },
            "checkpoint": chosen,
        }
        path = export_bundle(
            exp_dir / "bundle", family="timegrad", config=bundle_config, model=export
        )
        print(f"exported bundle ({chosen['weights']}, step {chosen['step']}) to {path}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/timegrad.py", main))
