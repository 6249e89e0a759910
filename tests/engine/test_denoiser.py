"""The ``eps_x`` parameterization: noise predicted in data units, ε̂_x = σ_prior ε̂ (PriorGrad)."""

from __future__ import annotations

import pytest
import torch

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses import simple_loss
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.samplers import generate
from diffmm.diffusion.schedules import DiscreteSchedule

pytestmark = pytest.mark.engine

DTYPE = torch.float64
SCHED = DiscreteSchedule.from_name("linear", 10, beta_start=0.01, beta_end=0.3)
DATA = GaussianMixture(
    [0.5, 0.5],
    torch.tensor([[1.0, -1.0], [-0.5, 2.0]], dtype=DTYPE),
    0.1 * torch.eye(2, dtype=DTYPE).repeat(2, 1, 1),
)
PRIOR = GaussianPrior(mean=0.0, std=torch.tensor([0.2, 3.0], dtype=DTYPE))


def exact(parameterization: str) -> Denoiser:
    net = ExactMixtureNet(DATA, SCHED, prior=PRIOR, parameterization=parameterization)
    return Denoiser(net, parameterization)


def test_noise_in_data_units_is_the_whitened_noise_times_the_prior_std() -> None:
    x_t = torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=DTYPE)
    time = SCHED.model_time(torch.full((64,), 6))
    eps_x = exact("eps_x").network_output(PRIOR.whiten(x_t), time, prior=PRIOR)[0]
    eps = exact("eps").network_output(PRIOR.whiten(x_t), time, prior=PRIOR)[0]
    torch.testing.assert_close(eps_x, PRIOR.std * eps, rtol=1e-12, atol=0)
    alpha, sigma = SCHED.alpha(torch.tensor(6)), SCHED.sigma(torch.tensor(6))
    read_x = exact("eps_x").predict(PRIOR.whiten(x_t), alpha, sigma, time, prior=PRIOR)
    read = exact("eps").predict(PRIOR.whiten(x_t), alpha, sigma, time, prior=PRIOR)
    torch.testing.assert_close(read_x.eps, read.eps, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(read_x.x0, read.x0, rtol=1e-12, atol=1e-14)


def test_the_whitened_target_is_the_inverse_covariance_weighted_loss() -> None:
    gen = torch.Generator().manual_seed(1)
    x0, noise = DATA.sample(500, gen), torch.randn(500, 2, generator=gen, dtype=DTYPE)
    t = SCHED.sample_training_time(500, generator=gen)
    imperfect = Denoiser(lambda x, time: 0.7 * exact("eps_x").net(x, time), "eps_x")
    reference = Denoiser(lambda x, time: 0.7 * exact("eps").net(x, time), "eps")
    data_units = simple_loss(imperfect, x0, SCHED, prior=PRIOR, t=t, noise=noise)
    whitened = simple_loss(imperfect, x0, SCHED, prior=PRIOR, t=t, noise=noise, target="eps")
    plain = simple_loss(reference, x0, SCHED, prior=PRIOR, t=t, noise=noise)
    # ‖(ε_x − ε̂_x) / σ_prior‖² is the ε loss; regressing ε_x itself weighs the error by σ_prior²
    torch.testing.assert_close(whitened.loss, plain.loss, rtol=1e-12, atol=0)
    eps_hat = 0.7 * exact("eps").net(
        PRIOR.unwhiten(
            SCHED.alpha(t)[:, None] * PRIOR.whiten(x0) + SCHED.sigma(t)[:, None] * noise
        ),
        SCHED.model_time(t),
    )
    weighted = (PRIOR.std**2 * (noise - eps_hat) ** 2).mean(dim=1)
    torch.testing.assert_close(data_units.loss, weighted, rtol=1e-10, atol=1e-12)


def test_samplers_give_the_same_samples_from_either_noise_units() -> None:
    kwargs = {"prior": PRIOR, "num_steps": 5, "dtype": DTYPE}
    a = generate(
        exact("eps_x"), SCHED, (16, 2), generator=torch.Generator().manual_seed(2), **kwargs
    )
    b = generate(exact("eps"), SCHED, (16, 2), generator=torch.Generator().manual_seed(2), **kwargs)
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
