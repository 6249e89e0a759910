"""Noise schedules against their closed forms and against arithmetic done by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from diffmm.diffusion.posterior import DDPMPosterior
from diffmm.diffusion.schedules import (
    DiscreteSchedule,
    EDMSchedule,
    SubVPSchedule,
    VESchedule,
    VPSchedule,
    cosine_betas,
    linear_betas,
    quadratic_betas,
    sigmoid_betas,
)

pytestmark = pytest.mark.engine


def test_linear_quadratic_sigmoid_betas_match_their_formulas() -> None:
    n, b0, b1 = 7, 1e-4, 0.02
    np.testing.assert_allclose(linear_betas(n, b0, b1).numpy(), np.linspace(b0, b1, n), rtol=1e-12)
    np.testing.assert_allclose(
        quadratic_betas(n, b0, b1).numpy(), np.linspace(b0**0.5, b1**0.5, n) ** 2, rtol=1e-12
    )
    x = np.linspace(-6, 6, n)
    np.testing.assert_allclose(
        sigmoid_betas(n, b0, b1).numpy(), b0 + (b1 - b0) / (1 + np.exp(-x)), rtol=1e-12
    )
    # endpoints: linear and quadratic hit β_start and β_end exactly
    assert float(quadratic_betas(n, b0, b1)[0]) == pytest.approx(b0, rel=1e-12)
    assert float(quadratic_betas(n, b0, b1)[-1]) == pytest.approx(b1, rel=1e-12)


def test_cosine_alphas_cumprod_is_f_ratio_where_unclipped() -> None:
    # Nichol & Dhariwal eq. 17: ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) π/2).
    T, s = 50, 0.008
    betas = cosine_betas(T, s=s)
    assert float(betas.max()) <= 0.999
    assert float(betas[-1]) == pytest.approx(0.999)  # f(T) = 0 forces the clip at the last step

    def f(step: int) -> float:
        return math.cos((step / T + s) / (1 + s) * math.pi / 2) ** 2

    cumprod = torch.cumprod(1 - betas, 0)
    # step index n is the (n+1)-th noise level: ᾱ_n = f(n+1)/f(0); all but the last are unclipped
    expected = [f(n + 1) / f(0) for n in range(T - 1)]
    np.testing.assert_allclose(cumprod[:-1].numpy(), expected, rtol=1e-10)


def test_three_step_schedule_by_hand() -> None:
    sched = DiscreteSchedule([0.1, 0.2, 0.3])
    # ᾱ: 0.9, 0.9·0.8 = 0.72, 0.72·0.7 = 0.504; ᾱ_prev: 1, 0.9, 0.72
    np.testing.assert_allclose(sched.alphas_cumprod.numpy(), [0.9, 0.72, 0.504], rtol=1e-12)
    np.testing.assert_allclose(sched.alphas_cumprod_prev.numpy(), [1.0, 0.9, 0.72], rtol=1e-12)
    np.testing.assert_allclose(
        sched.sqrt_one_minus_alphas_cumprod.numpy(),
        [math.sqrt(0.1), math.sqrt(0.28), math.sqrt(0.496)],
        rtol=1e-12,
    )
    # β̃_n = β_n (1 − ᾱ_{n−1}) / (1 − ᾱ_n): 0.1·0/0.1 = 0; 0.2·0.1/0.28; 0.3·0.28/0.496
    var1, var2 = 0.2 * 0.1 / 0.28, 0.3 * 0.28 / 0.496
    np.testing.assert_allclose(sched.posterior.variance.numpy(), [0.0, var1, var2], atol=1e-15)
    # the clipped log-variance repeats β̃_1 at step 0
    np.testing.assert_allclose(
        sched.posterior_log_variance_clipped.numpy(),
        [math.log(var1), math.log(var1), math.log(var2)],
        rtol=1e-12,
    )
    # coef_x0 = β_n √ᾱ_{n−1} / (1 − ᾱ_n): 0.1·1/0.1 = 1; 0.2·√0.9/0.28; 0.3·√0.72/0.496
    np.testing.assert_allclose(
        sched.posterior.coef_x0.numpy(),
        [1.0, 0.2 * math.sqrt(0.9) / 0.28, 0.3 * math.sqrt(0.72) / 0.496],
        rtol=1e-12,
    )
    # coef_xt = (1 − ᾱ_{n−1}) √(1 − β_n) / (1 − ᾱ_n): 0; 0.1·√0.8/0.28; 0.28·√0.7/0.496
    np.testing.assert_allclose(
        sched.posterior.coef_xt.numpy(),
        [0.0, 0.1 * math.sqrt(0.8) / 0.28, 0.28 * math.sqrt(0.7) / 0.496],
        atol=1e-15,
    )


def test_discrete_posterior_agrees_with_general_grid_posterior() -> None:
    sched = DiscreteSchedule.from_name("linear", 20, beta_start=1e-3, beta_end=0.2)
    for n in range(1, 20):
        a_t, s_t = float(sched.alpha(torch.tensor(n))), float(sched.sigma(torch.tensor(n)))
        a_s, s_s = float(sched.alpha(torch.tensor(n - 1))), float(sched.sigma(torch.tensor(n - 1)))
        post = DDPMPosterior.between(a_t, s_t, a_s, s_s)
        assert post.coef_xt == pytest.approx(float(sched.posterior.coef_xt[n]), rel=1e-10)
        assert post.coef_x0 == pytest.approx(float(sched.posterior.coef_x0[n]), rel=1e-10)
        assert post.variance == pytest.approx(float(sched.posterior.variance[n]), rel=1e-10)


def test_respace_keeps_alphas_cumprod_and_original_network_time() -> None:
    sched = DiscreteSchedule.from_name("linear", 10, beta_start=0.01, beta_end=0.3)
    kept = [0, 3, 7, 9]
    short = sched.respace(kept)
    np.testing.assert_allclose(
        short.alphas_cumprod.numpy(), sched.alphas_cumprod[kept].numpy(), rtol=1e-12
    )
    for i, k in enumerate(kept):
        assert float(short.model_time(torch.tensor(i))) == k
    # the respaced β: 1 − ᾱ_3/ᾱ_0 at the second kept step
    assert float(short.betas[1]) == pytest.approx(
        1 - float(sched.alphas_cumprod[3] / sched.alphas_cumprod[0]), rel=1e-12
    )


def test_diffwave_fast_mapping_interpolates_sqrt_alphas_cumprod() -> None:
    # DiffWave BASE: T = 50, β linear 1e-4 → 0.05; fast schedule of 6 βs (Kong et al. 2021)
    train = DiscreteSchedule(linear_betas(50, 1e-4, 0.05))
    fast = train.fast_schedule([1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5])
    steps = fast.timesteps.numpy()
    assert np.all(np.diff(steps) > 0)
    assert np.any(steps != np.round(steps))  # genuinely fractional steps
    assert steps[0] == pytest.approx(0.0)  # β_0 is shared, so the first step maps to step 0
    interpolated = np.interp(steps, np.arange(50), train.sqrt_alphas_cumprod.numpy())
    np.testing.assert_allclose(interpolated, fast.sqrt_alphas_cumprod.numpy(), rtol=1e-10)


def test_vp_subvp_ve_edm_closed_forms() -> None:
    b0, b1 = 0.1, 20.0
    for t in (0.05, 0.5, 1.0):
        tt = torch.tensor(t, dtype=torch.float64)
        log_alpha = -0.25 * t**2 * (b1 - b0) - 0.5 * t * b0
        alpha = math.exp(log_alpha)
        assert float(VPSchedule(b0, b1).alpha(tt)) == pytest.approx(alpha, rel=1e-12)
        assert float(VPSchedule(b0, b1).sigma(tt)) == pytest.approx(
            math.sqrt(1 - alpha**2), rel=1e-12
        )
        assert float(SubVPSchedule(b0, b1).alpha(tt)) == pytest.approx(alpha, rel=1e-12)
        assert float(SubVPSchedule(b0, b1).sigma(tt)) == pytest.approx(1 - alpha**2, rel=1e-12)
        ve = VESchedule(0.01, 50.0)
        assert float(ve.alpha(tt)) == 1.0
        assert float(ve.sigma(tt)) == pytest.approx(0.01 * 5000.0**t, rel=1e-12)
        assert float(EDMSchedule().sigma(tt)) == t
        assert float(EDMSchedule().alpha(tt)) == 1.0


@pytest.mark.parametrize(
    "schedule",
    [VPSchedule(), VPSchedule(0.05, 20.0), SubVPSchedule(), VESchedule(0.01, 50.0)],
    ids=["vp", "vp-gradtts", "subvp", "ve"],
)
def test_t_from_log_snr_inverts_log_snr(schedule) -> None:
    t = torch.tensor([0.01, 0.2, 0.5, 0.9, 1.0], dtype=torch.float64)
    torch.testing.assert_close(
        schedule.t_from_log_snr(schedule.log_snr(t)), t, rtol=1e-9, atol=1e-9
    )


def test_edm_t_from_log_snr_inverts_log_snr() -> None:
    sigma = torch.tensor([0.002, 0.5, 3.0, 80.0], dtype=torch.float64)
    edm = EDMSchedule()
    torch.testing.assert_close(edm.t_from_log_snr(edm.log_snr(sigma)), sigma, rtol=1e-12, atol=0)


def test_drift_and_diffusion_closed_forms() -> None:
    # Song et al. 2021: VP f = −½β, g² = β; sub-VP g² = β (1 − e^{−2∫β}); VE f = 0, g² = dσ²/dt.
    t = torch.tensor([0.1, 0.4, 0.9], dtype=torch.float64)
    vp, subvp, ve = VPSchedule(0.1, 20.0), SubVPSchedule(0.1, 20.0), VESchedule(0.01, 50.0)
    beta = 0.1 + 19.9 * t
    integral = 0.1 * t + 0.5 * 19.9 * t**2
    f, g = vp.drift_and_diffusion(t)
    torch.testing.assert_close(f, -0.5 * beta, rtol=1e-12, atol=0)
    torch.testing.assert_close(g**2, beta, rtol=1e-12, atol=0)
    f, g = subvp.drift_and_diffusion(t)
    torch.testing.assert_close(f, -0.5 * beta, rtol=1e-12, atol=0)
    torch.testing.assert_close(g**2, beta * (1 - torch.exp(-2 * integral)), rtol=1e-10, atol=0)
    f, g = ve.drift_and_diffusion(t)
    torch.testing.assert_close(f, torch.zeros_like(t))
    sigma = 0.01 * 5000.0**t
    torch.testing.assert_close(g**2, 2 * math.log(5000.0) * sigma**2, rtol=1e-12, atol=0)


def test_unknown_schedule_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown beta schedule 'cosinus'"):
        DiscreteSchedule.from_name("cosinus", 10)


def test_more_sampling_steps_than_training_steps_is_a_clear_error() -> None:
    sched = DiscreteSchedule.from_name("linear", 10)
    with pytest.raises(ValueError, match="cannot sample with 20 steps"):
        sched.respace_evenly(20)
    with pytest.raises(ValueError, match="cannot sample with 20 steps"):
        sched.grid(20)
