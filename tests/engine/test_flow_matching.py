"""Flow matching as an engine schedule: the straight path, the velocity parameterization,
the loss's minimiser on a Gaussian and every ODE sampler on a Gaussian mixture."""

from __future__ import annotations

import pytest
import torch
from test_samplers import MIXTURE, NUM_SAMPLES, assert_reproduces

from diffmm.diffusion.analytic import ExactMixtureNet
from diffmm.diffusion.config import DiffusionConfig, build_schedule
from diffmm.diffusion.denoiser import Denoiser, eps_x0_from_output, output_from_eps_x0
from diffmm.diffusion.losses import noise_batch, regression_loss
from diffmm.diffusion.prior import STANDARD_NORMAL
from diffmm.diffusion.samplers import generate
from diffmm.diffusion.schedules import FlowMatchingSchedule

pytestmark = pytest.mark.engine


def test_path_is_matcha_straight_line():
    schedule = FlowMatchingSchedule(sigma_min=1e-4)
    t = torch.tensor([0.0, 0.25, 1.0], dtype=torch.float64)
    # Matcha-TTS: x = (1 − (1 − σ_min) t') ε + t' x_1 with t' = 1 − t
    assert torch.allclose(schedule.alpha(t), 1 - t)
    assert torch.allclose(schedule.sigma(t), 1 - (1 - 1e-4) * (1 - t))
    log_snr = schedule.log_snr(torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))
    assert torch.allclose(
        schedule.t_from_log_snr(log_snr), torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    )
    f, g = schedule.drift_and_diffusion(torch.tensor([0.5], dtype=torch.float64))
    assert torch.allclose(f, torch.tensor([-2.0], dtype=torch.float64))  # d log(1 − t)/dt
    sigma = 1e-4 + (1 - 1e-4) * 0.5
    # g² = dσ²/dt − 2 f σ² = 2σ(1 − σ_min) + 4σ²
    assert torch.allclose(
        g**2, torch.tensor([2 * sigma * (1 - 1e-4) + 4 * sigma**2], dtype=torch.float64)
    )


def test_config_builds_the_flow_schedule():
    schedule = build_schedule(DiffusionConfig(schedule="flow", sigma_min=1e-4, time_scale=1000.0))
    assert isinstance(schedule, FlowMatchingSchedule)
    assert float(schedule.model_time(torch.tensor(0.5))) == 500.0


def test_velocity_round_trip_even_at_pure_noise():
    generator = torch.Generator().manual_seed(0)
    eps, z0 = torch.randn(2, 5, 3, generator=generator, dtype=torch.float64)
    for alpha, sigma in [(1.0, 0.0), (0.3, 0.7), (0.0, 1.0)]:
        a, s = torch.tensor(alpha, dtype=torch.float64), torch.tensor(sigma, dtype=torch.float64)
        z_t = a * z0 + s * eps
        u = output_from_eps_x0(eps, z0, a, s, "flow", STANDARD_NORMAL)
        assert torch.allclose(u, eps - z0)
        eps_hat, z0_hat = eps_x0_from_output(u, z_t, a, s, "flow", STANDARD_NORMAL)
        assert torch.allclose(eps_hat, eps) and torch.allclose(z0_hat, z0)


def test_loss_minimiser_is_the_closed_form_velocity():
    """Data z_0 ~ N(m, v): E[ε − z_0 | z_t] = −m + (σ − α v)/(α² v + σ²) (z_t − α m) is linear
    in z_t; the expected flow-matching loss of a linear predictor is stationary there."""
    schedule = FlowMatchingSchedule(sigma_min=1e-4)
    m, v, t = 1.5, 0.5, 0.4
    generator = torch.Generator().manual_seed(0)
    x0 = m + v**0.5 * torch.randn(1_000_000, 1, generator=generator, dtype=torch.float64)
    batch = noise_batch(
        x0, schedule, t=torch.full((x0.shape[0],), t, dtype=torch.float64), generator=generator
    )
    alpha, sigma = float(schedule.alpha(torch.tensor(t))), float(schedule.sigma(torch.tensor(t)))
    slope = (sigma - alpha * v) / (alpha**2 * v + sigma**2)
    params = torch.tensor([slope, -m - slope * alpha * m], dtype=torch.float64, requires_grad=True)
    loss = regression_loss(params[0] * batch.z_t + params[1], "flow", batch).mean()
    (gradient,) = torch.autograd.grad(loss, params)
    assert gradient.abs().max() < 5e-3
    for shift in ([0.05, 0.0], [0.0, 0.05]):
        moved = params.detach() + torch.tensor(shift, dtype=torch.float64)
        assert regression_loss(moved[0] * batch.z_t + moved[1], "flow", batch).mean() > loss


@pytest.mark.parametrize(
    ("sampler", "steps"), [("euler", 200), ("heun", 40), ("dpmpp_2m", 20), ("unipc", 20)]
)
def test_ode_samplers_reach_the_mixture_on_the_flow_schedule(sampler, steps):
    schedule = FlowMatchingSchedule(sigma_min=1e-4, time_scale=1000.0)
    denoiser = Denoiser(ExactMixtureNet(MIXTURE, schedule, parameterization="flow"), "flow")
    samples = generate(
        denoiser,
        schedule,
        (NUM_SAMPLES, 2),
        sampler=sampler,
        num_steps=steps,
        generator=torch.Generator().manual_seed(0),
        dtype=torch.float64,
    )
    assert_reproduces(samples)
