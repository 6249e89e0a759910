"""The one DDPM posterior q(z_s | z_t, z_0) against Gaussian conditioning done independently."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.diffusion.posterior import DDPMPosterior
from diffmm.diffusion.schedules import DiscreteSchedule

pytestmark = pytest.mark.engine


def conditional_from_joint(
    alpha_t: float, sigma_t: float, alpha_s: float, sigma_s: float
) -> tuple[float, float, float]:
    """(coef_xt, coef_x0, variance) of z_s | z_t, z_0 by conditioning the joint Gaussian.

    Given z_0 the pair is a linear map of two independent standard normals (a Markov chain
    s → t): z_s = α_s z_0 + σ_s e_1 and z_t = α_t z_0 + (α_t/α_s) σ_s e_1 + σ_{t|s} e_2, so
    Cov = A Aᵀ. Conditioning on z_t: E[z_s | z_t] = α_s z_0 + (C_st / C_tt)(z_t − α_t z_0).
    """
    ratio = alpha_t / alpha_s
    step_std = math.sqrt(sigma_t**2 - ratio**2 * sigma_s**2)
    a = torch.tensor([[sigma_s, 0.0], [ratio * sigma_s, step_std]], dtype=torch.float64)
    cov = a @ a.T
    gain = float(cov[0, 1] / cov[1, 1])
    return gain, alpha_s - gain * alpha_t, float(cov[0, 0] - cov[0, 1] ** 2 / cov[1, 1])


# (α_t, σ_t, α_s, σ_s): VP levels near the data and far apart, VE (α = 1), a level not on
# the VP circle (a PriorGrad-free but general scale) and a step into the data (σ_s = 0).
LEVEL_PAIRS = [
    (math.sqrt(0.72), math.sqrt(0.28), math.sqrt(0.9), math.sqrt(0.1)),
    (math.sqrt(0.01), math.sqrt(0.99), math.sqrt(0.999), math.sqrt(0.001)),
    (1.0, 50.0, 1.0, 0.3),
    (0.8, 1.7, 1.3, 0.4),
    (0.6, 0.8, 1.0, 0.0),
]


@pytest.mark.parametrize("levels", LEVEL_PAIRS)
def test_posterior_between_two_levels_is_the_gaussian_conditional(levels) -> None:
    post = DDPMPosterior.between(*levels)
    coef_xt, coef_x0, variance = conditional_from_joint(*levels)
    assert post.coef_xt == pytest.approx(coef_xt, rel=1e-12, abs=1e-15)
    assert post.coef_x0 == pytest.approx(coef_x0, rel=1e-12, abs=1e-15)
    assert post.variance == pytest.approx(variance, rel=1e-10, abs=1e-15)
    alpha_t, sigma_t, alpha_s, sigma_s = levels
    expected_step = sigma_t**2 - (alpha_t / alpha_s) ** 2 * sigma_s**2
    assert post.transition_variance == pytest.approx(expected_step, rel=1e-12)


def schedules() -> dict[str, DiscreteSchedule]:
    linear = DiscreteSchedule.from_name("linear", 1000, beta_start=1e-4, beta_end=0.02)
    train = DiscreteSchedule.from_name("linear", 50, beta_start=1e-4, beta_end=0.05)
    return {
        "linear": linear,
        "cosine": DiscreteSchedule.from_name("cosine", 100),
        "respaced": linear.respace_evenly(10),
        "diffwave_fast": train.fast_schedule([1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5]),
    }


@pytest.mark.parametrize("name", ["linear", "cosine", "respaced", "diffwave_fast"])
def test_discrete_tables_are_the_two_level_posterior_of_consecutive_steps(name: str) -> None:
    sched = schedules()[name]
    # level −1 is the data itself: α = 1, σ = 0
    alphas = torch.cat([torch.ones(1, dtype=torch.float64), sched.sqrt_alphas_cumprod])
    sigmas = torch.cat([torch.zeros(1, dtype=torch.float64), sched.sqrt_one_minus_alphas_cumprod])
    for n in range(sched.num_steps):
        levels = (float(alphas[n + 1]), float(sigmas[n + 1]), float(alphas[n]), float(sigmas[n]))
        coef_xt, coef_x0, variance = conditional_from_joint(*levels)
        between = DDPMPosterior.between(*levels)
        for got, generic, independent in [
            (sched.posterior.coef_xt[n], between.coef_xt, coef_xt),
            (sched.posterior.coef_x0[n], between.coef_x0, coef_x0),
            (sched.posterior.variance[n], between.variance, variance),
            (sched.posterior.transition_variance[n], between.transition_variance, None),
        ]:
            assert float(got) == pytest.approx(generic, rel=1e-8, abs=1e-14)
            if independent is not None:
                assert float(got) == pytest.approx(independent, rel=1e-8, abs=1e-14)
    assert torch.equal(sched.posterior.transition_variance, sched.betas)


def test_clipped_log_variance_replaces_the_step_into_data() -> None:
    sched = DiscreteSchedule([0.1, 0.2, 0.3])
    clipped = sched.posterior.log_variance_clipped()
    assert float(sched.posterior.variance[0]) == 0.0
    assert float(clipped[0]) == float(clipped[1]) == math.log(float(sched.posterior.variance[1]))
    torch.testing.assert_close(clipped[1:], torch.log(sched.posterior.variance[1:]))
    # with a single step there is no β̃_1; its own β stands in
    single = DiscreteSchedule([0.3]).posterior.log_variance_clipped()
    assert float(single[0]) == pytest.approx(math.log(0.3), rel=1e-15)


def test_alpha_means_the_signal_scale_and_one_minus_beta_has_its_own_name() -> None:
    sched = DiscreteSchedule([0.1, 0.2, 0.3])
    torch.testing.assert_close(sched.one_minus_betas, 1 - sched.betas, rtol=0, atol=0)
    steps = torch.arange(3)
    torch.testing.assert_close(sched.alpha(steps), torch.cumprod(1 - sched.betas, 0).sqrt())
    torch.testing.assert_close(sched.default_grid().alphas[:-1], sched.alpha(steps).flip(0))
    assert not hasattr(sched, "alphas")
