"""The look-ahead of TimeGrad's imputation on an exact Gaussian AR(1) "TimeGrad": its weights
are the closed-form likelihood of the next hour, and the imputed value follows the posterior
given both neighbours, which the plain forward walk misses; and ``diffmm restore --lookahead``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor

from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig
from diffmm.models.timegrad_inverse import sample_paths_given
from diffmm.models.timegrad_lookahead import Lookahead, draw_ahead, gaussian_log_weights
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.timeseries import TimeFeatureSpec

pytestmark = pytest.mark.timeseries

DIFFUSION = DiffusionConfig(schedule="linear", num_steps=100, beta_start=1e-4, beta_end=0.1)
GAIN, NOISE = 0.5, 0.5  # x_k = GAIN · x_{k-1} + NOISE · ξ


class ExactAR(TimeGrad):
    """x_k | x_<k ~ N(GAIN · x_{k-1}, NOISE²) per series, with the exact ε-network."""

    def __init__(self, dim: int) -> None:
        super().__init__(TimeGradModelConfig(dim, [1], 1, 3, 1, hidden_size=2, scaling=False))
        self.schedule = build_schedule(DIFFUSION)

    def unroll(self, scaled: Tensor, positions: range, time_feat: Tensor, state=None):
        # the "RNN output" is the lagged value itself; a dummy state to be repeated
        return scaled[:, positions.start - 1 : positions.stop - 1], torch.zeros(1, len(scaled), 1)

    def condition(self, rnn_output: Tensor) -> Tensor:
        return GAIN * rnn_output.reshape(-1, 1, self.cfg.target_dim)

    def forward(self, x_t: Tensor, timesteps: Tensor, projected_condition: Tensor) -> Tensor:
        alpha, sigma = self.schedule.alpha_sigma_from_model_time(timesteps)
        alpha, sigma = alpha.to(x_t)[:, None, None], sigma.to(x_t)[:, None, None]
        # E[ε | x_t] for x_0 ~ N(μ, s²): σ (x_t − α μ) / (α² s² + σ²)
        return sigma * (x_t - alpha * projected_condition) / (alpha**2 * NOISE**2 + sigma**2)


def test_weights_are_the_next_hours_gaussian_likelihood() -> None:
    model = ExactAR(dim=2)
    candidates = torch.tensor([-1.0, 0.0, 0.5, 2.0]).reshape(1, 4, 1, 1) * torch.ones(2)
    drawn = draw_ahead(
        model, build_denoiser(model, DIFFUSION), model.schedule, candidates,
        torch.zeros(1, 1, 1), torch.zeros(1, 1, 1), draws=400, steps=10,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    known = torch.tensor([[[True, False]]])  # series 1 of the next hour unknown
    values = torch.tensor([[[1.2, 99.0]]])
    weights = gaussian_log_weights(drawn, known, values)
    exact = -0.5 * (values[0, 0, 0] - GAIN * candidates[0, :, -1, 0]) ** 2 / NOISE**2
    # common random numbers: the candidates' differences are exact up to the variance estimate
    torch.testing.assert_close(
        weights - weights[:, :1], (exact - exact[0])[None], rtol=0.1, atol=0.05
    )
    # nothing known ahead: uniform weights
    assert torch.equal(gaussian_log_weights(drawn, known & False, values), torch.zeros(1, 4))


def test_imputed_value_follows_the_posterior_given_both_neighbours() -> None:
    # context u, ?, v: p(x | u, v) = N(GAIN (u + v) / (1 + GAIN²), NOISE² / (1 + GAIN²))
    model = ExactAR(dim=1)
    u, v = 0.0, 1.5
    batch = {
        "past_target": torch.tensor([[[0.0], [u], [float("nan")], [v]]]),
        "past_observed": torch.tensor([[[True], [True], [False], [True]]]),
        "past_time_feat": torch.zeros(1, 4, 1),
        "future_time_feat": torch.zeros(1, 1, 1),
    }

    def imputed(candidates: int) -> Tensor:
        paths = sample_paths_given(
            model, batch, model.schedule, build_denoiser(model, DIFFUSION), num_samples=400,
            sampler="ddpm", num_steps=None, generator=torch.Generator().manual_seed(1),
            lookahead=Lookahead(candidates, draws=8, steps_ahead=1) if candidates > 1 else None,
        )  # fmt: skip
        return paths[0, :, 1, 0]

    plain, ahead = imputed(1), imputed(64)
    assert abs(plain.mean() - GAIN * u) < 0.07 and abs(plain.var() - NOISE**2) < 0.04
    mean, variance = GAIN * (u + v) / (1 + GAIN**2), NOISE**2 / (1 + GAIN**2)
    # 64 candidates from the prior leave sampling-importance-resampling 0.02 short of the
    # posterior mean (its O(1/M) bias, simulated: 0.58 of 0.60); the plain walk is 0.6 short
    assert abs(ahead.mean() - mean) < 0.07, (ahead.mean(), mean)
    assert abs(ahead.var() - variance) < 0.04, (ahead.var(), variance)


def test_restore_cli_imputes_with_the_lookahead(tmp_path: Path, capsys) -> None:
    features = TimeFeatureSpec("h")
    cfg = TimeGradModelConfig(2, [1, 4], features.num_features, 5, 2, hidden_size=8, dropout=0.0)
    predictor = TimeGradPredictor(TimeGrad(cfg), DIFFUSION, features, ["a", "b"], {"step": 0})
    bundle = predictor.export(tmp_path / "bundle")
    table = pd.DataFrame(
        {
            "timestamp": pd.date_range("2020-01-01", periods=12, freq="h"),
            "a": np.arange(12.0) + 1,
            "b": 2 * np.arange(12.0) + 1,
        }
    )
    table.loc[[8, 9], "b"] = np.nan
    table.to_csv(tmp_path / "series.csv", index=False)
    argv = ["restore", str(bundle), "impute", "-i", str(tmp_path / "series.csv")]
    argv += ["--steps", "3", "--num-samples", "3", "--lookahead", "4", "--lookahead-draws"]
    assert main([*argv, "4", "-o", str(tmp_path / "imputed.csv")]) == 0
    imputed = pd.read_csv(tmp_path / "imputed.csv")
    assert imputed["a"].tolist() == table["a"].iloc[-5:].tolist()
    assert np.isfinite(imputed["b"]).all()
    assert main([*argv, "1", "-o", str(tmp_path / "other.csv")]) != 0
    errors = capsys.readouterr().err.strip().splitlines()
    assert "draws >= 2" in errors[-1] and not (tmp_path / "other.csv").exists()
