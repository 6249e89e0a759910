"""Likelihoods: the VLB of a two-step diffusion by hand; the probability-flow ODE likelihood of
Gaussian data under its exact model against the true log-density."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.likelihood import ode_log_likelihood, vlb_bits_per_dim
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.schedules import DiscreteSchedule, SubVPSchedule, VESchedule, VPSchedule

pytestmark = pytest.mark.engine

DTYPE = torch.float64


def _phi(u: float) -> float:
    return 0.5 * (1 + math.erf(u / math.sqrt(2)))


def test_two_step_vlb_by_hand() -> None:
    # T = 2, β = (0.1, 0.5): ᾱ_0 = 0.9, ᾱ_1 = 0.45. One pixel x_0 = 2·191/255 − 1, the same
    # ε = 0.3 at both steps, and a network that always says ε̂ = 0 (so ẑ_0 = x_t / √ᾱ_t).
    sched = DiscreteSchedule([0.1, 0.5])
    x0, eps = 2 * 191 / 255 - 1, 0.3
    zero_net = Denoiser(lambda x, time: torch.zeros_like(x))

    # step 1: KL between q(x_0|x_1,x_0) and p(x_0|x_1); both have variance β̃_1 = 0.5·0.1/0.55,
    # means differ by coef_x0 (x_0 − ẑ_0), coef_x0 = 0.5·√0.9/0.55, x_0 − ẑ_0 = −√(0.55/0.45) ε
    beta_tilde_1 = 0.5 * 0.1 / 0.55
    coef_x0 = 0.5 * math.sqrt(0.9) / 0.55
    kl_1 = (coef_x0 * math.sqrt(0.55 / 0.45) * eps) ** 2 / (2 * beta_tilde_1)

    # step 0: decoder N(ẑ_0, β̃_1) (the clipped variance) with ẑ_0 = x_0 + √(0.1/0.9) ε
    mean_0, scale_0 = x0 + math.sqrt(0.1 / 0.9) * eps, math.sqrt(beta_tilde_1)
    nll_0 = -math.log(
        _phi((x0 + 1 / 255 - mean_0) / scale_0) - _phi((x0 - 1 / 255 - mean_0) / scale_0)
    )

    # prior: KL(N(√0.45 x_0, 0.55) ‖ N(0, 1)) = ½ (0.55 + 0.45 x_0² − 1 − log 0.55)
    prior_kl = 0.5 * (0.55 + 0.45 * x0**2 - 1 - math.log(0.55))

    result = vlb_bits_per_dim(
        zero_net,
        torch.tensor([[x0]], dtype=DTYPE),
        sched,
        noise=torch.tensor([[eps]], dtype=DTYPE),
    )
    ln2 = math.log(2)
    assert float(result.terms[0, 1]) == pytest.approx(kl_1 / ln2, rel=1e-9)
    assert float(result.terms[0, 0]) == pytest.approx(nll_0 / ln2, rel=1e-9)
    assert float(result.prior[0]) == pytest.approx(prior_kl / ln2, rel=1e-9)
    assert float(result.total[0]) == pytest.approx((kl_1 + nll_0 + prior_kl) / ln2, rel=1e-9)


def test_vlb_is_a_mean_over_dimensions() -> None:
    # two pixels with the same value are the same as one: bits per *dimension*
    sched = DiscreteSchedule([0.1, 0.5])
    zero_net = Denoiser(lambda x, time: torch.zeros_like(x))
    one = vlb_bits_per_dim(
        zero_net,
        torch.full((1, 1), 0.2, dtype=DTYPE),
        sched,
        noise=torch.full((1, 1), -0.4, dtype=DTYPE),
    )
    four = vlb_bits_per_dim(
        zero_net,
        torch.full((1, 2, 2), 0.2, dtype=DTYPE),
        sched,
        noise=torch.full((1, 2, 2), -0.4, dtype=DTYPE),
    )
    torch.testing.assert_close(four.total, one.total)


M = torch.tensor([[0.5, -1.0, 0.2]], dtype=DTYPE)
# a full covariance, so that neither probe law gives the trace exactly (for a diagonal
# Jacobian the Rademacher estimate vᵀJv = Σ J_ii v_i² has no variance at all)
_A = torch.tensor([[0.7, 0.0, 0.0], [0.6, 1.1, 0.0], [-0.2, 0.3, 0.4]], dtype=DTYPE)
GAUSSIAN = GaussianMixture([1.0], M, (_A @ _A.T)[None])
X = GAUSSIAN.sample(5, torch.Generator().manual_seed(0))
PRIOR = GaussianPrior(
    torch.tensor([0.3, -0.5, 1.0], dtype=DTYPE), torch.tensor([0.8, 1.5, 0.5], dtype=DTYPE)
)


@pytest.mark.parametrize(
    "schedule",
    [
        VPSchedule(),
        VPSchedule(0.05, 20.0, time_scale=999.0),
        SubVPSchedule(),
        VESchedule(0.01, 100.0),
    ],
    ids=["vp", "vp-gradtts-steps", "subvp", "ve"],
)
@pytest.mark.parametrize("prior", [STANDARD_NORMAL, PRIOR], ids=["standard", "prior"])
def test_exact_trace_ode_likelihood_of_gaussian_data(schedule, prior) -> None:
    den = Denoiser(ExactMixtureNet(GAUSSIAN, schedule, prior=prior))
    result = ode_log_likelihood(den, X, schedule, prior, estimator="exact")
    true = GAUSSIAN.log_prob(X)
    per_dim_error = (result.log_likelihood - true).abs() / 3
    assert float(per_dim_error.max()) < 0.02
    torch.testing.assert_close(result.bits_per_dim, -result.log_likelihood / (3 * math.log(2)))


@pytest.mark.parametrize("noise", ["gaussian", "rademacher"])
@pytest.mark.parametrize("prior", [STANDARD_NORMAL, PRIOR], ids=["standard", "prior"])
def test_hutchinson_ode_likelihood_is_unbiased(noise, prior) -> None:
    schedule = VPSchedule()
    den = Denoiser(ExactMixtureNet(GAUSSIAN, schedule, prior=prior))
    probes = torch.stack(
        [
            ode_log_likelihood(
                den, X, schedule, prior, noise=noise, generator=torch.Generator().manual_seed(k)
            ).log_likelihood
            for k in range(12)
        ]
    )
    estimate = probes.mean(0)
    standard_error = probes.std(0) / math.sqrt(probes.shape[0])
    error = (estimate - GAUSSIAN.log_prob(X)).abs()
    assert bool((error < 4 * standard_error + 0.06).all())
    assert bool((probes.std(0) > 0).all())  # a genuine estimator, not the exact trace


def test_ode_likelihood_needs_a_continuous_schedule() -> None:
    sched = DiscreteSchedule.from_name("linear", 10)
    with pytest.raises(ValueError, match="continuous schedule"):
        ode_log_likelihood(Denoiser(lambda x, t: x), X, sched)
    with pytest.raises(ValueError, match="unknown trace estimator"):
        ode_log_likelihood(Denoiser(lambda x, t: x), X, VPSchedule(), estimator="skilling")
