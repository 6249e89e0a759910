"""GaussianDiffusion: forward moments, the DDPM posterior and the model's reverse step."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.posterior import DDPMPosterior
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.process import GaussianDiffusion
from diffmm.diffusion.schedules import DiscreteSchedule, VPSchedule

pytestmark = pytest.mark.engine

DTYPE = torch.float64
PRIOR = GaussianPrior(
    mean=torch.tensor([0.5, -1.0, 2.0], dtype=DTYPE), std=torch.tensor([0.5, 2.0, 1.5], dtype=DTYPE)
)


class OracleNet(torch.nn.Module):
    """Knows x_0, so it outputs the exact target of its parameterization for any x_t."""

    def __init__(self, x0, schedule, prior, parameterization, variance_channels=None):
        super().__init__()
        self.x0, self.schedule, self.prior = x0, schedule, prior
        self.parameterization, self.variance_channels = parameterization, variance_channels

    def forward(self, x_t, model_time):
        alpha, sigma = self.schedule.alpha_sigma_from_model_time(model_time)
        a, s = alpha.to(x_t)[:, None], sigma.to(x_t)[:, None]
        z0, z_t = self.prior.whiten(self.x0), self.prior.whiten(x_t)
        eps = (z_t - a * z0) / s
        out = {
            "eps": eps,
            "x0": self.x0,
            "v": a * eps - s * z0,
            "score": -eps / (s * torch.as_tensor(self.prior.std, dtype=DTYPE)),
        }[self.parameterization]
        if self.variance_channels is not None:
            out = torch.cat([out, self.variance_channels], dim=1)
        return out


def test_posterior_matches_the_two_level_posterior() -> None:
    sched = DiscreteSchedule.from_name("cosine", 12)
    diffusion = GaussianDiffusion(sched)
    gen = torch.Generator().manual_seed(0)
    x0, x_t = (
        torch.randn(12, 3, generator=gen, dtype=DTYPE),
        torch.randn(12, 3, generator=gen, dtype=DTYPE),
    )
    t = torch.arange(12)
    post = diffusion.q_posterior_mean_variance(x0, x_t, t)
    for n in range(1, 12):
        expected = DDPMPosterior.between(
            float(sched.alpha(torch.tensor(n))),
            float(sched.sigma(torch.tensor(n))),
            float(sched.alpha(torch.tensor(n - 1))),
            float(sched.sigma(torch.tensor(n - 1))),
        )
        torch.testing.assert_close(
            post.mean[n],
            expected.coef_xt * x_t[n] + expected.coef_x0 * x0[n],
            rtol=1e-10,
            atol=1e-12,
        )
        torch.testing.assert_close(
            post.variance[n], torch.full((3,), expected.variance, dtype=DTYPE), rtol=1e-10, atol=0
        )
    # step 0: the posterior of the data given x_0 is x_0 itself (coef_x0 = 1, coef_xt = 0)
    torch.testing.assert_close(post.mean[0], x0[0], rtol=1e-12, atol=1e-12)


def test_posterior_with_prior_is_the_standard_posterior_in_whitened_coordinates() -> None:
    sched = DiscreteSchedule.from_name("linear", 8, beta_start=0.01, beta_end=0.3)
    diffusion = GaussianDiffusion(sched)
    gen = torch.Generator().manual_seed(1)
    x0, x_t = (
        torch.randn(4, 3, generator=gen, dtype=DTYPE),
        torch.randn(4, 3, generator=gen, dtype=DTYPE),
    )
    t = torch.tensor([1, 3, 5, 7])
    post = diffusion.q_posterior_mean_variance(x0, x_t, t, PRIOR)
    standard = diffusion.q_posterior_mean_variance(PRIOR.whiten(x0), PRIOR.whiten(x_t), t)
    torch.testing.assert_close(post.mean, PRIOR.unwhiten(standard.mean))
    torch.testing.assert_close(post.variance, standard.variance * PRIOR.std**2)


@pytest.mark.parametrize("prior", [STANDARD_NORMAL, PRIOR], ids=["standard", "priorgrad"])
@pytest.mark.parametrize(
    "schedule,t",
    [(DiscreteSchedule.from_name("linear", 10, beta_end=0.2), 6), (VPSchedule(), 0.4)],
    ids=["discrete", "vp"],
)
def test_q_sample_moments(prior, schedule, t) -> None:
    diffusion = GaussianDiffusion(schedule)
    n = 4000
    x0 = torch.tensor([[1.0, 0.3, -2.0]], dtype=DTYPE).expand(n, 3)
    tt = torch.full((n,), t)
    samples = diffusion.q_sample(x0, tt, prior=prior, generator=torch.Generator().manual_seed(2))
    alpha = float(schedule.alpha(torch.tensor(t)))
    sigma = float(schedule.sigma(torch.tensor(t)))
    mean = torch.as_tensor(prior.mean, dtype=DTYPE)
    std = torch.as_tensor(prior.std, dtype=DTYPE)
    expected_mean = mean + std * alpha * (x0[0] - mean) / std
    expected_std = (std * sigma).expand(3)
    # 5 standard errors of the mean and of the standard deviation (≈ std/√(2n))
    assert ((samples.mean(0) - expected_mean).abs() < 5 * expected_std / math.sqrt(n)).all()
    assert ((samples.std(0) - expected_std).abs() < 5 * expected_std / math.sqrt(2 * n)).all()
    moments = diffusion.q_mean_variance(x0[:1], tt[:1], prior)
    torch.testing.assert_close(moments.mean[0], expected_mean)
    torch.testing.assert_close(moments.variance[0], expected_std**2)


@pytest.mark.parametrize("parameterization", ["eps", "x0", "v", "score"])
def test_reverse_mean_of_a_perfect_model_is_the_true_posterior_mean(parameterization) -> None:
    sched = DiscreteSchedule.from_name("linear", 10, beta_end=0.2).respace([0, 2, 5, 9])
    diffusion = GaussianDiffusion(sched)
    gen = torch.Generator().manual_seed(3)
    x0 = PRIOR.unwhiten(torch.randn(4, 3, generator=gen, dtype=DTYPE))
    t = torch.tensor([0, 1, 2, 3])
    x_t = diffusion.q_sample(x0, t, prior=PRIOR, generator=gen)
    den = Denoiser(OracleNet(x0, sched, PRIOR, parameterization), parameterization)
    model = diffusion.p_mean_variance(den, x_t, t, PRIOR)
    true = diffusion.q_posterior_mean_variance(x0, x_t, t, PRIOR)
    torch.testing.assert_close(model.mean, true.mean, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(model.pred_x0, x0, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(model.log_variance, true.log_variance)  # fixed_small


def test_variance_types() -> None:
    sched = DiscreteSchedule([0.1, 0.2, 0.3])
    diffusion = GaussianDiffusion(sched)
    x0 = torch.zeros(3, 2, dtype=DTYPE)
    t = torch.tensor([0, 1, 2])
    x_t = diffusion.q_sample(x0, t, generator=torch.Generator().manual_seed(4))
    # β̃ from the hand computation of test_schedules: 0, 0.2·0.1/0.28, 0.3·0.28/0.496
    tilde1, tilde2 = 0.2 * 0.1 / 0.28, 0.3 * 0.28 / 0.496

    def log_var(variance, channels=None):
        net = OracleNet(x0, sched, STANDARD_NORMAL, "eps", channels)
        return diffusion.p_mean_variance(Denoiser(net, "eps", variance), x_t, t).log_variance[:, 0]

    expected_small = torch.tensor([tilde1, tilde1, tilde2], dtype=DTYPE).log()
    torch.testing.assert_close(log_var("fixed_small"), expected_small)
    # fixed_large: β_t, but β̃_1 at t = 0 as in guided-diffusion
    torch.testing.assert_close(
        log_var("fixed_large"), torch.tensor([tilde1, 0.2, 0.3], dtype=DTYPE).log()
    )
    ones = torch.ones(3, 2, dtype=DTYPE)
    # learned_range: v = 1 gives log β_t (true β even at t = 0), v = −1 the clipped log β̃_t
    torch.testing.assert_close(
        log_var("learned_range", ones), torch.tensor([0.1, 0.2, 0.3], dtype=DTYPE).log()
    )
    torch.testing.assert_close(log_var("learned_range", -ones), expected_small)
    half = 0.5 * torch.log(torch.tensor([0.1, 0.2, 0.3], dtype=DTYPE)) + 0.5 * expected_small
    torch.testing.assert_close(log_var("learned_range", 0 * ones), half)
    torch.testing.assert_close(log_var("learned", -3 * ones), torch.full((3,), -3.0, dtype=DTYPE))


def test_prior_scales_the_reverse_variance() -> None:
    sched = DiscreteSchedule.from_name("linear", 5, beta_end=0.2)
    diffusion = GaussianDiffusion(sched)
    x0 = torch.zeros(2, 3, dtype=DTYPE)
    t = torch.tensor([1, 4])
    x_t = diffusion.q_sample(x0, t, prior=PRIOR, generator=torch.Generator().manual_seed(5))
    den = Denoiser(OracleNet(x0, sched, PRIOR, "eps"), "eps", "fixed_large")
    log_var = diffusion.p_mean_variance(den, x_t, t, PRIOR).log_variance
    expected = torch.log(sched.betas[t])[:, None] + 2 * torch.log(PRIOR.std)[None]
    torch.testing.assert_close(log_var, expected)


def test_posterior_needs_a_discrete_schedule() -> None:
    diffusion = GaussianDiffusion(VPSchedule())
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="need a DiscreteSchedule"):
        diffusion.q_posterior_mean_variance(x, x, torch.tensor([0.5, 0.5]))
