"""Guidance against closed forms: class-conditional exact denoisers of a two-class mixture.

Class k of the data is mixture component k, so p(z_0 | y = k) is one Gaussian, p(z_0) the
mixture, and the exact classifier p(y = k | z_t) is component k's responsibility under the
noised mixture. Classifier guidance at scale 1 is then Bayes' rule,
    ∇log p_t(z) + ∇log p_t(y | z) = ∇log p_t(z | y),
so it must turn the unconditional exact ε̂ into the class-conditional exact ε̂.
"""

from __future__ import annotations

import pytest
import torch

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.guidance import ClassifierFreeGuidance, ClassifierGuidance
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.samplers import SAMPLERS
from diffmm.diffusion.schedules import DiscreteSchedule

pytestmark = pytest.mark.engine

SCHEDULE = DiscreteSchedule.from_name("cosine", 1000)
PRIOR = GaussianPrior(mean=torch.tensor([0.5, -1.0]), std=torch.tensor([1.5, 0.8]))
DATA = GaussianMixture(  # x-space data; class k = component k
    [0.7, 0.3],
    torch.tensor([[-1.5, -1.0], [2.0, 0.5]]),
    torch.tensor([[[0.4, 0.15], [0.15, 0.3]], [[0.2, -0.1], [-0.1, 0.5]]]),
)


def component(k: int) -> GaussianMixture:
    return GaussianMixture([1.0], DATA.means[k : k + 1], DATA.covariances[k : k + 1])


class ClassConditionalNet(torch.nn.Module):
    """Exact ε for class ``label`` (0 or 1), or for the whole mixture when ``label`` is None."""

    def __init__(self) -> None:
        super().__init__()
        self.unconditional = ExactMixtureNet(DATA, SCHEDULE, prior=PRIOR)
        self.per_class = torch.nn.ModuleList(
            ExactMixtureNet(component(k), SCHEDULE, prior=PRIOR) for k in range(2)
        )

    def forward(self, x_t, model_time, label=None, shift=0.0):
        net = self.unconditional if label is None else self.per_class[label]
        return net(x_t - shift, model_time)


def exact_classifier_log_prob(x_t: torch.Tensor, model_time: torch.Tensor, y: torch.Tensor):
    """log p(y | x_t): the log-responsibility of component y under the noised whitened mixture."""
    alpha, sigma = SCHEDULE.alpha_sigma_from_model_time(model_time[:1].to(torch.float64))
    noised = DATA.whitened(PRIOR).noised(float(alpha), float(sigma))
    log_resp = torch.log_softmax(noised._component_log_probs(PRIOR.whiten(x_t)), dim=1)
    return log_resp.gather(1, y[:, None]).squeeze(1)


def grid_point_inputs(index: int, n: int = 256):
    grid = SCHEDULE.grid(50)
    alpha, sigma = float(grid.alphas[index]), float(grid.sigmas[index])
    generator = torch.Generator().manual_seed(index)
    z = DATA.whitened(PRIOR).noised(alpha, sigma).sample(n, generator=generator)
    return z, alpha, sigma, float(grid.model_times[index])


POINTS = [0, 10, 25, 40, 49]  # from nearly pure noise to σ ≈ 0.03


@pytest.mark.parametrize("index", POINTS)
def test_cfg_interpolates_between_unconditional_and_conditional(index):
    z, alpha, sigma, time = grid_point_inputs(index)
    denoiser = Denoiser(ClassConditionalNet())
    cond, null = {"label": 1}, {"label": None}
    eps_c = denoiser.predict(z, alpha, sigma, time, prior=PRIOR, cond=cond).eps
    eps_u = denoiser.predict(z, alpha, sigma, time, prior=PRIOR, cond=null).eps
    assert float((eps_c - eps_u).abs().max()) > 1e-5  # the models differ, even at α ≈ 0
    for scale, expected in [(1.0, eps_c), (0.0, eps_u), (3.0, eps_u + 3.0 * (eps_c - eps_u))]:
        guided = ClassifierFreeGuidance(denoiser, scale, null).predict(
            z, alpha, sigma, time, prior=PRIOR, cond=cond
        )
        torch.testing.assert_close(guided.eps, expected, rtol=1e-9, atol=1e-9)
        torch.testing.assert_close(guided.x0, (z - sigma * guided.eps) / alpha)


def test_cfg_null_condition_keeps_the_other_condition_entries():
    # Only "label" is nulled; "shift" (standing for e.g. a mel the model always sees) stays.
    z, alpha, sigma, time = grid_point_inputs(25)
    denoiser = Denoiser(ClassConditionalNet())
    shift = torch.tensor([0.3, -0.2], dtype=torch.float64)
    guided = ClassifierFreeGuidance(denoiser, 0.0, {"label": None}).predict(
        z, alpha, sigma, time, prior=PRIOR, cond={"label": 0, "shift": shift}
    )
    expected = denoiser.predict(
        z, alpha, sigma, time, prior=PRIOR, cond={"label": None, "shift": shift}
    )
    torch.testing.assert_close(guided.eps, expected.eps)


@pytest.mark.parametrize("index", POINTS)
@pytest.mark.parametrize("label", [0, 1])
def test_classifier_guidance_scale_one_is_bayes_rule(index, label):
    z, alpha, sigma, time = grid_point_inputs(index)
    unconditional = Denoiser(ExactMixtureNet(DATA, SCHEDULE, prior=PRIOR))
    guided = ClassifierGuidance(unconditional, exact_classifier_log_prob, 1.0).predict(
        z, alpha, sigma, time, prior=PRIOR, cond={"y": torch.full((z.shape[0],), label)}
    )
    conditional = Denoiser(ExactMixtureNet(component(label), SCHEDULE, prior=PRIOR))
    expected = conditional.predict(z, alpha, sigma, time, prior=PRIOR)
    torch.testing.assert_close(guided.eps, expected.eps, rtol=1e-7, atol=1e-7)
    torch.testing.assert_close(guided.x0, expected.x0, rtol=1e-6, atol=1e-6)


def test_classifier_guided_sampling_draws_the_class():
    # End to end: DDIM through the guided unconditional model samples class 1 only.
    # 2000 samples of a 2-D Gaussian: mean standard error ≤ 0.016, covariance ≤ 0.016.
    guided = ClassifierGuidance(
        Denoiser(ExactMixtureNet(DATA, SCHEDULE, prior=PRIOR)), exact_classifier_log_prob, 1.0
    )
    generator = torch.Generator().manual_seed(0)
    x = PRIOR.sample((2000, 2), generator=generator, dtype=torch.float64)
    labels = torch.ones(2000, dtype=torch.long)
    samples = SAMPLERS["ddim"](
        guided, x, SCHEDULE.grid(50), prior=PRIOR, cond={"y": labels}, generator=generator
    )
    assert float((samples.mean(0) - DATA.means[1]).abs().max()) < 0.08
    assert float((torch.cov(samples.T) - DATA.covariances[1]).abs().max()) < 0.08


def test_guidance_keeps_a_learned_variance():
    # The wrappers pass on the variance type and the conditional pass's variance channels,
    # so DDPM through CFG at w = 1 retraces the unguided learned-range sampler.
    exact = ClassConditionalNet()

    def with_variance(x_t, model_time, **cond):
        eps = exact(x_t, model_time, **cond)
        return torch.cat([eps, torch.full_like(eps, 0.5)], dim=1)

    denoiser = Denoiser(with_variance, variance="learned_range")
    grid = SCHEDULE.grid(30)
    x = torch.randn(100, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    cond = {"label": 0}
    direct = SAMPLERS["ddpm"](
        denoiser, x, grid, prior=PRIOR, cond=cond, generator=torch.Generator().manual_seed(2)
    )
    through_cfg = SAMPLERS["ddpm"](
        ClassifierFreeGuidance(denoiser, 1.0, {"label": None}),
        x,
        grid,
        prior=PRIOR,
        cond=cond,
        generator=torch.Generator().manual_seed(2),
    )
    torch.testing.assert_close(through_cfg, direct)


def test_classifier_guidance_needs_the_label():
    z, alpha, sigma, time = grid_point_inputs(10, n=4)
    guided = ClassifierGuidance(Denoiser(ClassConditionalNet()), exact_classifier_log_prob, 1.0)
    with pytest.raises(ValueError, match=r"cond\['y'\]"):
        guided.predict(z, alpha, sigma, time, prior=PRIOR, cond={"label": None})


def test_classifier_must_return_one_log_prob_per_example():
    z, alpha, sigma, time = grid_point_inputs(10, n=4)
    guided = ClassifierGuidance(
        Denoiser(ClassConditionalNet()), lambda x, t, y: x.sum(), 1.0, denoiser_sees_label=False
    )
    with pytest.raises(ValueError, match="one value per example"):
        guided.predict(z, alpha, sigma, time, prior=PRIOR, cond={"y": torch.zeros(4)})
