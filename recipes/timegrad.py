"""TimeGrad recipe (Rasul et al. 2021): multivariate probabilistic forecasting.

    python recipes/timegrad.py --config recipes/configs/timegrad/electricity.yaml [key=value ...]

Data: a GluonTS repository dataset by name (``data.dataset``, from GluonTS's cache or
``data.root``), a dataset folder in GluonTS's layout (``data.directory``: metadata.json,
train/, test/, as data_prep writes it) or a user file (``data.train``: CSV/Parquet wide or long,
GluonTS JSON lines; a source given on the command line replaces the config's, and
``recipes/configs/timegrad/own_data.yaml`` is the config for one's own file: docs/timegrad.md,
"Your own CSV"). Context, lags and time features follow the data's frequency unless the config
sets them (``ForecastConfig``), and the choice is printed. The last ``data.num_val_windows`` rolling windows of the training range are
held out: the model trains on the range before them, and every ``trainer.val_every`` steps the
EMA weights forecast them (few paths, a fast sampler) for the validation CRPS-sum. The EMA
weights with the best validation CRPS-sum are kept in ``<exp_dir>/best/`` and exported as the
bundle (the final EMA weights when validation never ran). The bundle (``TimeGradPredictor``)
holds the frequency, lags, context/prediction length, series names and the time features: the
public-holiday region (``forecast.holidays``), the named holidays that got a feature and their
dates, resolved now, so inference needs neither the training data nor the ``holidays`` package.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch
from accelerate.utils import set_seed

from diffmm.config import config_from_command_line, config_to_dict
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.errors import run_entry_point
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig, training_loss
from diffmm.models.timegrad_predictor import TimeGradPredictor, timegrad_config_for
from diffmm.timeseries import TrainingWindows, hold_out, rolling_windows
from diffmm.timeseries.config import ForecastConfig, SeriesDataConfig, command_line_source_wins
from diffmm.timeseries.forecast import Forecast, ForecastWindows
from diffmm.training import Trainer, TrainerConfig


@dataclass
class ValConfig:
    num_samples: int = 20
    sampler: str = "ddpm"  # ancestral, respaced to num_steps
    num_steps: int | None = 10
    seed: int = 0


@dataclass
class TimeGradRecipeConfig:
    exp_dir: str = "exp/timegrad"
    data: SeriesDataConfig = field(default_factory=SeriesDataConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    # target_dim, lags, num_time_features, context_length and prediction_length are set from
    # the data and the forecast section; the other fields are the architecture.
    model: TimeGradModelConfig = field(default_factory=TimeGradModelConfig)
    diffusion: DiffusionConfig = field(
        default_factory=lambda: DiffusionConfig(num_steps=100, beta_start=1e-4, beta_end=0.1)
    )
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    val: ValConfig = field(default_factory=ValConfig)


def main(argv: list[str] | None = None) -> int:
    argv = command_line_source_wins(sys.argv[1:] if argv is None else argv)
    cfg = config_from_command_line(TimeGradRecipeConfig, __doc__, argv)

    series, dataset_horizon = cfg.data.load()
    p, n_val = cfg.forecast.horizon(dataset_horizon), cfg.data.num_val_windows
    fit = hold_out(series, n_val, p)[0]
    val = ForecastWindows(*rolling_windows(series, n_val, p)[:2], p) if n_val else None
    features, lags = cfg.forecast.time_features(fit), cfg.forecast.lags_for(series.freq)
    context = cfg.forecast.context_for(series.freq, p)
    net_cfg = timegrad_config_for(cfg.model, series, features, p, context, lags)
    draws = {"num_windows": cfg.data.num_train_windows, "seed": cfg.trainer.seed}
    windows = TrainingWindows(fit, net_cfg.context_length, p, lags, features=features, **draws)
    print(
        f"TimeGrad: {series.num_series} series at {series.freq}, horizon {p}; "
        f"{cfg.forecast.describe(series.freq, p, features)}; {len(windows)} training windows, "
        f"{len(val.histories) if val else 0} validation windows"
    )
    schedule = build_schedule(cfg.diffusion)
    set_seed(cfg.trainer.seed)  # the initial weights: one config, one run
    model = TimeGrad(net_cfg)

    def predictor(net: torch.nn.Module, **checkpoint) -> TimeGradPredictor:
        return TimeGradPredictor(net, cfg.diffusion, features, list(series.item_ids), checkpoint)

    val_batch = predictor(model).inference_batch(val.histories, p) if val else None

    def loss_fn(net: torch.nn.Module, batch: dict, generator: torch.Generator):
        loss = training_loss(net, batch, schedule, build_denoiser(net, cfg.diffusion), generator)
        return loss, {}

    def val_fn(net: torch.nn.Module, step: int) -> dict[str, float]:
        generator = torch.Generator(next(net.parameters()).device).manual_seed(cfg.val.seed)
        options = {"sampler": cfg.val.sampler, "steps": cfg.val.num_steps, "generator": generator}
        paths = predictor(net).sample_batch(val_batch, num_samples=cfg.val.num_samples, **options)
        metrics = Forecast(val, paths, series.item_ids).evaluate()
        return {"crps_sum": metrics["CRPS-sum"], "energy_score": metrics["energy_score"]}

    trainer = Trainer(
        model,
        loss_fn,
        windows,
        cfg.trainer,
        cfg.exp_dir,
        val_fn=val_fn if val and cfg.trainer.val_every else None,
        resolved_config=config_to_dict(cfg),
        keep_best="crps_sum",
    )
    trainer.train()
    if trainer.accelerator.is_main_process:
        export, chosen = trainer.export_model()
        path = predictor(export.cpu(), **chosen).export(Path(cfg.exp_dir) / "bundle")
        print(f"exported bundle ({chosen['weights']}, step {chosen['step']}) to {path}")
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_entry_point("recipes/timegrad.py", main))
