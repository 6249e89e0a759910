"""TimeGrad given partial observations: imputation in the context and forecasts with known
future values, on a random-weight TimeGrad (the plumbing; quality is benchmarked).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.metrics.crps import crps_at
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig
from diffmm.models.timegrad_inverse import sample_paths_given
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.models.timegrad_sampling import sample_paths
from diffmm.timeseries import TimeFeatureSpec

DIFFUSION = DiffusionConfig(schedule="linear", num_steps=20, beta_start=1e-4, beta_end=0.1)
CONTEXT, HORIZON, LAGS, FEATURES, D = 5, 3, [1, 2, 4], 2, 3


@pytest.fixture(scope="module")
def model() -> TimeGrad:
    torch.manual_seed(0)
    cfg = TimeGradModelConfig(D, LAGS, FEATURES, CONTEXT, HORIZON, hidden_size=12, dropout=0.0)
    model = TimeGrad(cfg).eval()
    torch.nn.init.normal_(model.epsilon.output_projection.weight, std=0.3)
    return model


def batch(missing: bool) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    past = CONTEXT + max(LAGS)
    observed = torch.ones(2, past, D, dtype=torch.bool)
    if missing:
        observed[:, -3:-1, 1] = False  # series 1 missing at two context steps
        observed[0, -4, :] = False  # every series missing at one step of window 0
    return {
        "past_target": 5 + 3 * torch.rand(2, past, D, generator=g),
        "past_observed": observed,
        "past_time_feat": torch.randn(2, past, FEATURES, generator=g),
        "future_time_feat": torch.randn(2, HORIZON, FEATURES, generator=g),
    }


def given(model: TimeGrad, inputs: dict, seed: int = 3, **options) -> torch.Tensor:
    schedule, denoiser = build_schedule(DIFFUSION), build_denoiser(model, DIFFUSION)
    generator = torch.Generator().manual_seed(seed)
    return sample_paths_given(
        model, inputs, schedule, denoiser, num_samples=4, num_steps=5, generator=generator,
        **options,
    )  # fmt: skip


def test_with_nothing_unknown_in_the_context_it_is_the_plain_forecast(model) -> None:
    # DDNM with an all-zero mask adds nothing to the sampler, so the step-by-step walk must
    # draw the very paths of sample_paths (same generator, same RNN state)
    inputs = batch(missing=False)
    plain = sample_paths(
        model, inputs, build_schedule(DIFFUSION), build_denoiser(model, DIFFUSION),
        num_samples=4, num_steps=5, generator=torch.Generator().manual_seed(3),
    )  # fmt: skip
    walked = given(model, inputs, method="ddnm")
    assert walked.shape == (2, 4, CONTEXT + HORIZON, D)
    torch.testing.assert_close(walked[:, :, CONTEXT:], plain, rtol=1e-5, atol=1e-5)
    context = inputs["past_target"][:, -CONTEXT:]
    assert torch.equal(walked[:, :, :CONTEXT], context[:, None].expand(-1, 4, -1, -1))


@pytest.mark.parametrize("method", ["replacement", "repaint", "pigdm", "dps"])
def test_known_values_are_kept_and_unknown_ones_sampled(model, method: str) -> None:
    inputs = batch(missing=True)
    future = torch.full((2, HORIZON, D), float("nan"))
    future[:, :, 0] = 7.0  # series 0 known over the horizon
    paths = given(model, inputs, future_target=future, method=method, jump_length=2, resamplings=2)
    observed = inputs["past_observed"][:, -CONTEXT:]
    context = paths[:, :, :CONTEXT]
    truth = inputs["past_target"][:, -CONTEXT:, None].transpose(1, 2).expand_as(context)
    kept = observed[:, None].expand_as(context)
    assert torch.equal(context[kept], truth[kept])
    assert torch.isfinite(paths).all() and (context[~kept] != truth[~kept]).all()
    assert (paths[:, :, CONTEXT:, 0] == 7.0).all()
    spread = paths[:, :, CONTEXT:, 1:].std(dim=1)
    assert (spread > 0).all()  # the unknown series stay random


def test_crps_of_a_point_mass_and_of_a_spread() -> None:
    truth = np.zeros(3)
    where = np.array([True, False, True])
    assert crps_at(np.full((5, 3), 2.0), truth, where) == pytest.approx(2.0)
    # two equally likely values ±1 around a truth of 0: E|X − y| = 1, E|X − X'| = 1
    samples = np.array([[-1.0, 0, -1], [1.0, 0, 1]])
    assert crps_at(samples, truth, where) == pytest.approx(0.5)


def test_restore_cli_imputes_and_forecasts_given_values(tmp_path: Path, model) -> None:
    features = TimeFeatureSpec("h")
    cfg = TimeGradModelConfig(
        2, [1, 4], features.num_features, CONTEXT, HORIZON, hidden_size=8, dropout=0.0
    )
    predictor = TimeGradPredictor(TimeGrad(cfg), DIFFUSION, features, ["a", "b"], {"step": 0})
    bundle = predictor.export(tmp_path / "bundle")
    times = pd.date_range("2020-01-01", periods=12, freq="h")
    table = pd.DataFrame(
        {"timestamp": times, "a": np.arange(12.0) + 1, "b": 2 * np.arange(12.0) + 1}
    )
    table.loc[9, "b"] = np.nan
    table.to_csv(tmp_path / "series.csv", index=False)
    future = pd.DataFrame(
        {
            "timestamp": pd.date_range("2020-01-01 12:00", periods=2, freq="h"),
            "a": [13.0, np.nan],
            "b": np.nan,
        }
    )
    future.to_csv(tmp_path / "future.csv", index=False)
    fast = ["--steps", "3", "--num-samples", "3"]
    out = tmp_path / "imputed.csv"
    assert (
        main(
            [
                "restore",
                str(bundle),
                "impute",
                "-i",
                str(tmp_path / "series.csv"),
                "-o",
                str(out),
                *fast,
            ]
        )
        == 0
    )
    imputed = pd.read_csv(out)
    assert len(imputed) == CONTEXT and list(imputed.columns) == ["timestamp", "a", "b"]
    assert imputed["a"].tolist() == table["a"].iloc[-CONTEXT:].tolist()
    assert np.isfinite(imputed["b"]).all()
    out = tmp_path / "forecast.csv"
    argv = ["restore", str(bundle), "forecast-given", "-i", str(tmp_path / "series.csv")]
    argv += ["--known-future", str(tmp_path / "future.csv"), "-o", str(out), *fast]
    assert main(argv) == 0
    forecast = pd.read_csv(out)
    first_a = forecast[(forecast["item_id"] == "a")].iloc[0]
    assert first_a["mean"] == 13.0 and len(forecast) == 2 * 2
