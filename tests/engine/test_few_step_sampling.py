"""Few-step sampling: UniPC, the angle-uniform grid, fractional steps and log-SNR respacing.

UniPC runs on the exact mixture of ``test_samplers`` with that file's tolerances (see its
docstring); measured errors are in each test's comment. The grid tests check the maths
directly: log ᾱ interpolation, its inverse, φ-uniform points and the duplicate warning.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import torch
from test_samplers import (
    DDPM_LINEAR,
    MIXTURE,
    NUM_SAMPLES,
    assert_reproduces,
    component_errors,
    exact_denoiser,
    run,
)

from diffmm.diffusion.analytic import ExactMixtureNet
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.samplers import SAMPLERS, generate, preferred_spacing
from diffmm.diffusion.samplers.unipc import unipc_update
from diffmm.diffusion.schedules import DiscreteSchedule, EDMSchedule, VESchedule, VPSchedule

pytestmark = pytest.mark.engine

COSINE = DiscreteSchedule.from_name("cosine", 1000)


@pytest.fixture(autouse=True)
def _single_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- UniPC on the exact mixture ---------------------------------------------------------------


@pytest.mark.parametrize("order", [2, 3])
def test_unipc_10_steps_reproduces_mixture(order):
    # measured (order 2): weight ≤ 0.022, mean ≤ 0.024, covariance ≤ 0.049; 10 network calls
    calls: list[float] = []
    samples = run(DDPM_LINEAR, "unipc", 10, order=order, callback=lambda info: calls.append(1))
    assert len(calls) == 10
    assert_reproduces(samples)


def test_unipc_non_standard_prior_reproduces_data_space_mixture():
    # measured at 15 steps: weight 0.006, mean 0.011, covariance 0.040 (in data units)
    prior = GaussianPrior(mean=torch.tensor([1.0, -2.0]), std=torch.tensor([2.0, 0.5]))
    data = MIXTURE.affine(torch.tensor([-1.0, 2.0]), 1.0)
    samples = generate(
        Denoiser(ExactMixtureNet(data, DDPM_LINEAR, prior=prior)),
        DDPM_LINEAR,
        (NUM_SAMPLES, 2),
        sampler="unipc",
        num_steps=15,
        prior=prior,
        generator=torch.Generator().manual_seed(11),
    )
    assert_reproduces(samples, data)


def test_unipc_on_diffwave_fast_schedule():
    """The vocoder's 6-step fast schedule (fractional training steps, √ᾱ-matched): UniPC walks
    the schedule's own points, as every sampler does there. Measured: weight 0.007, mean
    0.034, covariance 0.077, within the ancestral test's bounds in ``test_samplers``."""
    train = DiscreteSchedule.from_name("linear", 50, beta_start=1e-4, beta_end=0.05)
    fast = train.fast_schedule([1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5])
    grid = fast.grid(None, preferred_spacing("unipc", fast))
    assert grid.num_steps == 6 and torch.equal(grid.model_times[:-1], fast.timesteps.flip(0))
    generator = torch.Generator().manual_seed(10)
    start = MIXTURE.noised(float(grid.alphas[0]), float(grid.sigmas[0]))
    x = start.sample(NUM_SAMPLES, generator=generator).float()
    errors = component_errors(SAMPLERS["unipc"](exact_denoiser(train), x, grid), MIXTURE)
    assert (errors <= torch.tensor([0.04, 0.15, 0.15])).all(), errors


def test_unipc_order_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="UniPC order"):
        SAMPLERS["unipc"](exact_denoiser(COSINE), torch.randn(4, 2), COSINE.grid(5), order=4)


def _exact_update(z_s, lam_s, lam_t, x0_of_lambda):
    """z_t/σ_t = z_s/σ_s + ∫ e^λ x̂(λ) dλ on half log-SNR λ (DPM-Solver++'s exact solution),
    by 64-point Gauss–Legendre quadrature, exact for the polynomials used here."""
    nodes, weights = (
        torch.tensor(v, dtype=torch.float64) for v in np.polynomial.legendre.leggauss(64)
    )
    lam = 0.5 * (lam_t - lam_s) * nodes + 0.5 * (lam_t + lam_s)
    integral = (
        0.5
        * (lam_t - lam_s)
        * sum(w * math.exp(float(v)) * x0_of_lambda(float(v)) for w, v in zip(weights, lam))
    )
    return _sigma(lam_t) * (z_s / _sigma(lam_s) + integral)


def _alpha(lam: float) -> float:
    return math.sqrt(1 / (1 + math.exp(-2 * lam)))  # VP: α² = sigmoid(2λ)


def _sigma(lam: float) -> float:
    return math.sqrt(1 / (1 + math.exp(2 * lam)))


@pytest.mark.parametrize(
    ("order", "corrector", "degree"),
    [(1, False, 0), (3, False, 2), (2, True, 2), (3, True, 3)],
)
def test_unipc_update_is_exact_for_polynomial_data_estimates(order, corrector, degree):
    """If x̂ is a polynomial of degree p − 1 in λ, UniP-p is exact, and UniC-p, which adds the
    new point, of degree p: this checks R, g and the φ recursion (bh2). The paper's
    fixed ρ = ½ at UniP-2 and UniC-1 is exact for constants only, hence not listed."""
    coefficients = torch.tensor([0.7, -0.4, 0.25, 0.1], dtype=torch.float64)[: degree + 1]

    def x0_of_lambda(lam: float) -> torch.Tensor:
        return sum(c * lam**j for j, c in enumerate(coefficients)) * torch.ones(
            1, 2, dtype=torch.float64
        )

    lambdas = [-1.3, -0.9, -0.2]  # previous points, then s; t follows
    lam_t = 0.6
    history = [(lam, x0_of_lambda(lam)) for lam in lambdas]
    z_s = torch.tensor([[0.3, -1.1]], dtype=torch.float64)
    out = unipc_update(
        z_s,
        history,
        order,
        lam_t,
        _alpha(lam_t),
        _sigma(lambdas[-1]),
        _sigma(lam_t),
        x0_of_lambda(lam_t) if corrector else None,
    )
    exact = _exact_update(z_s, lambdas[-1], lam_t, x0_of_lambda)
    torch.testing.assert_close(out, exact, rtol=1e-10, atol=1e-12)


# --- grids: angle spacing, λ respacing, fractional steps --------------------------------------


@pytest.mark.parametrize(
    "schedule", [DDPM_LINEAR, COSINE, VPSchedule(), VESchedule(0.01, 20.0), EDMSchedule()]
)
def test_angle_grid_is_uniform_in_phi_and_spends_no_call_at_the_lowest_noise(schedule):
    span = schedule.grid(None).without_data_endpoint()
    grid = schedule.grid(8, spacing="angle")
    assert grid.ends_at_data and grid.num_steps == 8
    phi = torch.atan2(grid.sigmas, grid.alphas)  # φ = 0 at the data point
    phi_max = math.atan2(float(span.sigmas[0]), float(span.alphas[0]))
    phi_min = math.atan2(float(span.sigmas[-1]), float(span.alphas[-1]))
    expected = phi_max - torch.arange(9, dtype=torch.float64) * (phi_max - phi_min) / 8
    expected[-1] = 0.0
    torch.testing.assert_close(phi, expected, rtol=0, atol=1e-9)
    assert float(grid.model_times[0]) == pytest.approx(float(span.model_times[0]), rel=1e-9)


def test_angle_grid_on_the_cosine_schedule_is_time_uniform():
    # α = cos φ with φ linear in t (Nichol & Dhariwal 2021), up to their offset s and β clip
    times = COSINE.grid(10, spacing="angle").model_times[:-1]
    gaps = times[:-1] - times[1:]
    assert float(gaps.max() - gaps.min()) < 3.0  # steps of ≈ 99.9 ± 1.5 training steps


def test_generate_gives_the_multistep_solvers_their_grids():
    seen: list[float] = []

    class RecordingDenoiser:
        def predict(self, z, alpha, sigma, model_time, *, prior, cond):
            seen.append(float(model_time))
            return Denoiser(lambda x, t: torch.zeros_like(x)).predict(
                z, alpha, sigma, model_time, prior=prior, cond=cond
            )

    for sampler in ("dpmpp_2m", "unipc"):
        seen.clear()
        generate(RecordingDenoiser(), DDPM_LINEAR, (4, 2), sampler=sampler, num_steps=20)
        assert seen == DDPM_LINEAR.grid(20, spacing="angle").model_times[:-1].tolist()
        assert seen[0] == 999.0 and min(seen) > 1  # the noisiest step itself; none at step 0
    # unchanged elsewhere: SDE-DPM-Solver++ keeps λ-uniform steps, ancestral DDPM iDDPM's
    # even respacing, and continuous schedules λ-uniform times
    assert preferred_spacing("dpmpp_2m_sde", DDPM_LINEAR) == "log_snr"
    assert preferred_spacing("ddpm", DDPM_LINEAR) == "default"
    assert preferred_spacing("ddim", DDPM_LINEAR) == "default"
    assert preferred_spacing("unipc", VPSchedule()) == "log_snr"


def test_log_snr_respacing_says_when_it_merges_steps():
    with pytest.warns(UserWarning, match=r"50 steps asked, 49 distinct steps kept"):
        assert DDPM_LINEAR.respace_log_snr(50).num_steps == 49
    with pytest.warns(UserWarning, match=r"1000 steps asked, 734 distinct steps kept"):
        assert DDPM_LINEAR.respace_log_snr(1000).num_steps == 734
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert DDPM_LINEAR.respace_log_snr(20).num_steps == 20


@pytest.mark.parametrize(
    "schedule",
    [
        DDPM_LINEAR,
        DDPM_LINEAR.respace_evenly(37),  # uneven gaps between kept training steps
        DiscreteSchedule.from_name("linear", 50, beta_start=1e-4, beta_end=0.05).fast_schedule(
            [1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5]
        ),  # fractional steps
    ],
)
def test_log_alpha_bar_interpolation_exact_at_steps_and_monotone_between(schedule):
    alpha, sigma = schedule.alpha_sigma_from_model_time(schedule.timesteps)
    assert torch.equal(alpha, schedule.sqrt_alphas_cumprod)
    assert torch.equal(sigma, schedule.sqrt_one_minus_alphas_cumprod)
    steps = schedule.timesteps
    fine = torch.cat(
        [
            torch.linspace(float(a), float(b), 50, dtype=torch.float64)[:-1]
            for a, b in itertools.pairwise(steps)
        ]
        + [steps[-1:]]
    )
    alpha, sigma = schedule.alpha_sigma_from_model_time(fine)
    assert bool((alpha[1:] < alpha[:-1]).all()) and bool((sigma[1:] > sigma[:-1]).all())
    torch.testing.assert_close(alpha**2 + sigma**2, torch.ones_like(alpha), rtol=0, atol=1e-14)
    # log ᾱ is linear inside each interval, and model_time_at inverts the interpolation
    mid = 0.5 * (steps[:-1] + steps[1:])
    log_ac = schedule.alphas_cumprod.log()
    torch.testing.assert_close(
        2 * schedule.alpha_sigma_from_model_time(mid)[0].log(), 0.5 * (log_ac[:-1] + log_ac[1:])
    )
    torch.testing.assert_close(schedule.model_time_at(alpha**2), fine, rtol=0, atol=1e-8)


def test_fractional_steps_outside_the_schedule_are_a_clear_error():
    with pytest.raises(ValueError, match="outside the schedule's range"):
        DDPM_LINEAR.model_time_at(torch.tensor([0.99999]))
