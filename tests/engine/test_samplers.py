"""Every sampler, fed the exact denoiser of a Gaussian mixture, must reproduce the mixture.

The data are three well separated 2-D Gaussians with distinct full covariances. Samples are
assigned to the component of highest responsibility under the true mixture (the components
are ≥ 7 standard deviations apart, so misassignment is negligible) and each component's
weight, mean and covariance are compared with the truth.

Tolerances (N = 3000 samples): a weight estimate has standard error √(w(1−w)/N) ≤ 0.009, so
±0.04 is > 4 standard errors; the smallest component holds ≈ 600 samples of variance ≤ 0.3,
so a mean has standard error ≤ 0.022 and ±0.1 leaves ≈ 0.05 for discretisation bias;
a covariance entry c has standard error ≈ 0.3·√(2/600) ≈ 0.017 and ±0.1 (a third of the
largest entry) bounds discretisation bias plus > 4 standard errors. Coarse samplers
(20 steps) get the same bounds: they must be that good on this toy.
"""

from __future__ import annotations

import pytest
import torch

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.samplers import (
    SAMPLERS,
    ddim_invert,
    generate,
)
from diffmm.diffusion.schedules import (
    DiscreteSchedule,
    EDMSchedule,
    NoiseSchedule,
    VESchedule,
    VPSchedule,
)

pytestmark = pytest.mark.engine

NUM_SAMPLES = 3000
MIXTURE = GaussianMixture(
    [0.5, 0.3, 0.2],
    torch.tensor([[-2.5, -1.0], [2.5, -1.0], [0.0, 2.5]]),
    torch.tensor(
        [
            [[0.30, 0.10], [0.10, 0.20]],
            [[0.15, -0.05], [-0.05, 0.30]],
            [[0.25, 0.00], [0.00, 0.10]],
        ]
    ),
)
DDPM_LINEAR = DiscreteSchedule.from_name("linear", 1000, beta_start=1e-4, beta_end=0.02)
COSINE = DiscreteSchedule.from_name("cosine", 1000)


@pytest.fixture(autouse=True)
def _single_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def component_errors(samples: torch.Tensor, mixture: GaussianMixture) -> torch.Tensor:
    """Per component: |weight error|, max |mean error|, max |covariance error| (K × 3)."""
    samples = samples.to(torch.float64)
    assigned = mixture._component_log_probs(samples).argmax(1)
    rows = []
    for k in range(mixture.weights.numel()):
        members = samples[assigned == k]
        weight = members.shape[0] / samples.shape[0]
        rows.append(
            [
                abs(weight - float(mixture.weights[k])),
                float((members.mean(0) - mixture.means[k]).abs().max()),
                float((torch.cov(members.T) - mixture.covariances[k]).abs().max()),
            ]
        )
    return torch.tensor(rows)


def assert_reproduces(
    samples: torch.Tensor,
    mixture: GaussianMixture = MIXTURE,
    *,
    weight_tol: float = 0.04,
    mean_tol: float = 0.1,
    cov_tol: float = 0.1,
) -> None:
    assert torch.isfinite(samples).all()
    errors = component_errors(samples, mixture)
    tolerances = torch.tensor([weight_tol, mean_tol, cov_tol])
    assert (errors <= tolerances).all(), f"errors (weight, mean, cov) per component:\n{errors}"


def exact_denoiser(schedule: NoiseSchedule, **kwargs) -> Denoiser:
    return Denoiser(ExactMixtureNet(MIXTURE, schedule), **kwargs)


def run(schedule: NoiseSchedule, sampler: str, num_steps: int | None, seed: int = 0, **options):
    generator = torch.Generator().manual_seed(seed)
    return generate(
        exact_denoiser(schedule),
        schedule,
        (NUM_SAMPLES, 2),
        sampler=sampler,
        num_steps=num_steps,
        generator=generator,
        **options,
    )


# --- DDPM ancestral -------------------------------------------------------------------------


def constant_variance_net(net: ExactMixtureNet, value: float):
    """An exact ε-network with a learned-range variance channel fixed at ``value``."""

    def forward(x_t: torch.Tensor, model_time: torch.Tensor) -> torch.Tensor:
        eps = net(x_t, model_time)
        return torch.cat([eps, torch.full_like(eps, value)], dim=1)

    return forward


@pytest.mark.parametrize("variance", ["fixed_small", "fixed_large"])
def test_ddpm_1000_steps_reproduces_mixture(variance):
    denoiser = exact_denoiser(DDPM_LINEAR, variance=variance)
    samples = generate(
        denoiser, DDPM_LINEAR, (NUM_SAMPLES, 2), generator=torch.Generator().manual_seed(1)
    )
    assert_reproduces(samples)


def test_ddpm_learned_range_midpoint_reproduces_mixture():
    # v = 0: the geometric mean of β and β̃ (iDDPM eq. 15), neither fixed path.
    net = constant_variance_net(ExactMixtureNet(MIXTURE, DDPM_LINEAR), 0.0)
    denoiser = Denoiser(net, variance="learned_range")
    samples = generate(
        denoiser, DDPM_LINEAR, (NUM_SAMPLES, 2), generator=torch.Generator().manual_seed(2)
    )
    assert_reproduces(samples)


@pytest.mark.parametrize(("value", "fixed"), [(1.0, "fixed_large"), (-1.0, "fixed_small")])
def test_learned_range_endpoints_are_the_fixed_variances(value, fixed):
    # v = +1 gives Σ = β and v = −1 gives Σ = β̃ exactly; with the same noise draws the
    # learned-range path must retrace the fixed one.
    exact = ExactMixtureNet(MIXTURE, DDPM_LINEAR)
    grid = DDPM_LINEAR.grid(100)
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(3))
    learned = Denoiser(constant_variance_net(exact, value), variance="learned_range")
    out_learned = SAMPLERS["ddpm"](learned, x, grid, generator=torch.Generator().manual_seed(4))
    out_fixed = SAMPLERS["ddpm"](
        Denoiser(exact, variance=fixed), x, grid, generator=torch.Generator().manual_seed(4)
    )
    torch.testing.assert_close(out_learned, out_fixed, rtol=1e-5, atol=1e-5)


def test_ddim_eta_one_is_ddpm_fixed_small():
    # Song et al. (2021) §4.1: η = 1 makes the DDIM step the DDPM posterior step, draw for draw.
    grid = COSINE.grid(50)
    denoiser = exact_denoiser(COSINE)
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(5))
    ddpm = SAMPLERS["ddpm"](denoiser, x, grid, generator=torch.Generator().manual_seed(6))
    ddim = SAMPLERS["ddim"](denoiser, x, grid, generator=torch.Generator().manual_seed(6), eta=1.0)
    torch.testing.assert_close(ddim, ddpm, rtol=1e-4, atol=1e-4)


def test_dpmpp_2m_sde_first_step_is_the_ddpm_posterior_step():
    # Lu et al. (2022): with η = 1 the first-order step is q(z_s | z_t, ẑ_0), variance β̃.
    full = COSINE.grid(50)
    grid = SamplingGrid(full.alphas[:2], full.sigmas[:2], full.model_times[:2])
    denoiser = exact_denoiser(COSINE)
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(5))
    ddpm = SAMPLERS["ddpm"](denoiser, x, grid, generator=torch.Generator().manual_seed(6))
    sde = SAMPLERS["dpmpp_2m_sde"](denoiser, x, grid, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(sde, ddpm, rtol=1e-5, atol=1e-5)


def test_dpmpp_2m_sde_without_noise_is_dpmpp_2m():
    grid = DDPM_LINEAR.respace_log_snr(20).grid()
    denoiser = exact_denoiser(DDPM_LINEAR)
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(
        SAMPLERS["dpmpp_2m_sde"](denoiser, x, grid, eta=0.0),
        SAMPLERS["dpmpp_2m"](denoiser, x, grid),
        rtol=0,
        atol=0,
    )


@pytest.mark.parametrize("schedule", [DDPM_LINEAR, VPSchedule()])
def test_dpmpp_2m_sde_20_steps(schedule):
    assert_reproduces(run(schedule, "dpmpp_2m_sde", 20))


# --- deterministic solvers -----------------------------------------------------------------


def test_euler_is_ddim_eta_zero():
    # Song et al. (2021) eq. 14: deterministic DDIM is Euler's method in (z/α, σ/α).
    grid = DDPM_LINEAR.grid(30)
    denoiser = exact_denoiser(DDPM_LINEAR)
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(
        SAMPLERS["euler"](denoiser, x, grid),
        SAMPLERS["ddim"](denoiser, x, grid, eta=0.0),
        rtol=1e-4,
        atol=1e-4,
    )


def gaussian_flow_error(sampler: str, schedule: NoiseSchedule, num_steps: int) -> float:
    """Max error against the exact probability-flow map of Gaussian data, up to the last noise level.

    For z_0 ~ N(m, C) the flow is affine: z_s = α_s m + A_s A_t⁻¹ (z_t − α_t m), A = (α²C + σ²I)^½.
    """
    mean = torch.tensor([0.5, -0.3], dtype=torch.float64)
    cov = torch.tensor([[0.25, 0.1], [0.1, 0.5]], dtype=torch.float64)
    gaussian = GaussianMixture([1.0], mean[None], cov[None])
    full = schedule.grid(num_steps)
    grid = SamplingGrid(full.alphas[:-1], full.sigmas[:-1], full.model_times[:-1])

    def sqrt_marginal_cov(alpha: float, sigma: float) -> torch.Tensor:
        values, vectors = torch.linalg.eigh(alpha**2 * cov + sigma**2 * torch.eye(2))
        return vectors @ torch.diag(values.sqrt()) @ vectors.T

    a_t, s_t = float(grid.alphas[0]), float(grid.sigmas[0])
    a_s, s_s = float(grid.alphas[-1]), float(grid.sigmas[-1])
    z = torch.randn(500, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    x = a_t * mean + z @ sqrt_marginal_cov(a_t, s_t).T
    flow = sqrt_marginal_cov(a_s, s_s) @ torch.linalg.inv(sqrt_marginal_cov(a_t, s_t))
    exact = a_s * mean + (x - a_t * mean) @ flow.T
    denoiser = Denoiser(ExactMixtureNet(gaussian, schedule))
    return float((SAMPLERS[sampler](denoiser, x, grid) - exact).abs().max())


@pytest.mark.parametrize(
    ("sampler", "order"), [("euler", 1), ("heun", 2), ("dpmpp_2m", 2), ("unipc", 3)]
)
def test_ode_solver_convergence_order(sampler, order):
    # Halving the step size must divide the global error by ≈ 2^order on Karras's grid.
    errors = [gaussian_flow_error(sampler, EDMSchedule(), n) for n in (40, 80)]
    ratio = errors[0] / errors[1]
    assert 0.85 * 2**order < ratio < 1.3 * 2**order, f"errors {errors}, ratio {ratio:.2f}"


def test_log_snr_uniform_respacing_spaces_lambda_evenly():
    # Away from the first few integer steps (where one step already moves λ/2 by ≈ 0.4),
    # the kept steps are equally spaced in λ/2 = log(α/σ) to within 3 %.
    respaced = DDPM_LINEAR.respace_log_snr(20)
    assert respaced.num_steps == 20
    assert float(respaced.timesteps[0]) == 0 and float(respaced.timesteps[-1]) == 999
    half_log_snr = torch.log(respaced.sqrt_alphas_cumprod / respaced.sqrt_one_minus_alphas_cumprod)
    gaps = (half_log_snr[:-1] - half_log_snr[1:])[5:]
    assert float(gaps.max() / gaps.min()) < 1.03


@pytest.mark.parametrize(
    ("sampler", "full", "respaced"),
    [
        ("ddim", DDPM_LINEAR, DDPM_LINEAR.respace_evenly(20)),
        ("ddim", COSINE, COSINE.respace_evenly(20)),
        # DPM-Solver's own recommendation: steps uniform in log-SNR. On the evenly respaced
        # linear schedule the last multistep jump (σ 0.09 → 0.01) is too long for 20 steps
        # (see benchmarks/results/sampler_quality.md).
        ("dpmpp_2m", DDPM_LINEAR, DDPM_LINEAR.respace_log_snr(20)),
        ("dpmpp_2m", COSINE, COSINE.respace_evenly(20)),
    ],
)
def test_20_step_samplers_on_respaced_schedules(sampler, full, respaced):
    assert respaced.num_steps == 20
    # the exact net decodes the original step numbers the respaced grid hands it with the
    # full 1000-step schedule, as a network trained on that schedule would
    generator = torch.Generator().manual_seed(9)
    x = torch.randn(NUM_SAMPLES, 2, generator=generator)
    samples = SAMPLERS[sampler](exact_denoiser(full), x, respaced.grid(), generator=generator)
    assert_reproduces(samples)


@pytest.mark.parametrize("schedule", [EDMSchedule(sigma_max=80.0), VPSchedule()])
def test_heun_20_steps(schedule):
    assert_reproduces(run(schedule, "heun", 20))


def test_euler_200_steps_vp():
    assert_reproduces(run(VPSchedule(), "euler", 200))


# --- stochastic samplers -------------------------------------------------------------------


def test_euler_maruyama_vp_500_steps():
    assert_reproduces(run(VPSchedule(), "euler_maruyama", 500))


def test_predictor_corrector_ve():
    assert_reproduces(run(VESchedule(sigma_min=0.01, sigma_max=20.0), "pc", 100))


def test_annealed_langevin_ve():
    # 10 levels × 100 steps; ε/σ_L² = 0.5 lets each level mix within a component's scale.
    assert_reproduces(
        run(VESchedule(sigma_min=0.01, sigma_max=20.0), "annealed_langevin", 10, step_lr=5e-5)
    )


# --- time handed to the network: DiffWave's fast schedule ------------------------------------


def test_diffwave_fast_schedule_uses_fractional_training_steps():
    """6 ancestral steps of the fast schedule with the exact net of the 50-step training schedule.

    Sampling starts from the true marginal at the first fast step (DiffWave's T = 50 schedule
    never reaches pure noise, ᾱ_T ≈ 0.28), so the only errors are the 6 coarse steps (measured
    ≤ 0.09 on means and covariances) and the time input. Handing the network the indices
    0..5 instead of the mapped fractional steps ruins the samples (measured ≥ 0.27 / 0.5).
    """
    train = DiscreteSchedule.from_name("linear", 50, beta_start=1e-4, beta_end=0.05)
    fast_betas = [1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5]
    denoiser = exact_denoiser(train)

    def errors(schedule: DiscreteSchedule) -> torch.Tensor:
        grid = schedule.grid()
        generator = torch.Generator().manual_seed(10)
        start = MIXTURE.noised(float(grid.alphas[0]), float(grid.sigmas[0]))
        x = start.sample(NUM_SAMPLES, generator=generator).float()
        return component_errors(SAMPLERS["ddpm"](denoiser, x, grid, generator=generator), MIXTURE)

    right, wrong = errors(train.fast_schedule(fast_betas)), errors(DiscreteSchedule(fast_betas))
    assert (right <= torch.tensor([0.04, 0.15, 0.15])).all(), right
    assert float(wrong[:, 1:].max()) > 3 * float(right[:, 1:].max())


# --- a non-standard prior N(μ, diag σ²) --------------------------------------------------------


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_non_standard_prior_reproduces_data_space_mixture(sampler):
    prior = GaussianPrior(mean=torch.tensor([1.0, -2.0]), std=torch.tensor([2.0, 0.5]))
    data = MIXTURE.affine(torch.tensor([-1.0, 2.0]), 1.0)  # x-space data, shifted off the origin
    schedule = DDPM_LINEAR if sampler == "ddpm" else COSINE
    denoiser = Denoiser(ExactMixtureNet(data, schedule, prior=prior))
    samples = generate(
        denoiser,
        schedule,
        (NUM_SAMPLES, 2),
        sampler=sampler,
        num_steps=None if sampler == "ddpm" else 50,
        prior=prior,
        generator=torch.Generator().manual_seed(11),
    )
    assert_reproduces(samples, data)


# --- DDIM inversion -----------------------------------------------------------------------------


def test_ddim_inversion_round_trip():
    """Encode with η = 0 DDIM, decode, and get the input back (exact model, 200 steps).

    Plain inversion takes ε̂ one point early, an O(h) error per unit time: most points come back
    within 0.03, but the flow separates the components, so a few points in the tails between
    them (measured 3 of 500) are flipped to a neighbour. Fixed-point refinement solves each
    implicit step, and decoding returns every input (measured max error 1.5e-4).
    """
    grid = DDPM_LINEAR.grid(200)
    denoiser = exact_denoiser(DDPM_LINEAR)
    x0 = MIXTURE.sample(500, generator=torch.Generator().manual_seed(12)).to(torch.float64)
    plain = ddim_invert(denoiser, x0, grid)
    plain_errors = (SAMPLERS["ddim"](denoiser, plain, grid) - x0).abs().max(1).values
    assert float(plain_errors.median()) < 0.03
    assert int((plain_errors > 0.1).sum()) <= 10
    refined = ddim_invert(denoiser, x0, grid, fixed_point_iterations=3)
    refined_decoded = SAMPLERS["ddim"](denoiser, refined, grid)
    assert float((refined_decoded - x0).abs().max()) < 1e-3
    # the code is standard normal: the flow carries the data law onto the prior
    assert float(refined.mean(0).abs().max()) < 0.15
    assert float((refined.std(0) - 1).abs().max()) < 0.1


# --- plumbing: callback, reproducibility, bad input ---------------------------------------------


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_callback_and_generator_reproducibility(sampler):
    schedule = VESchedule(sigma_min=0.01, sigma_max=20.0)
    options = {"steps_per_level": 2} if sampler == "annealed_langevin" else {}
    seen: list[dict] = []
    first = run(schedule, sampler, 5, seed=13, callback=seen.append, **options)
    second = run(schedule, sampler, 5, seed=13, **options)
    torch.testing.assert_close(first, second, rtol=0, atol=0)
    assert [info["i"] for info in seen] == list(range(len(seen))) and len(seen) >= 4
    assert all(info["num_steps"] == len(seen) for info in seen)
    assert seen[-1]["x"].shape == first.shape and seen[-1]["denoised"].shape == first.shape


def test_unknown_sampler_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown sampler 'ddpn'.*ddim"):
        run(DDPM_LINEAR, "ddpn", 10)


def test_more_steps_than_the_schedule_has_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot sample with 2000 steps"):
        run(DDPM_LINEAR, "ddim", 2000)


def test_prior_shape_mismatch_is_a_clear_error():
    prior = GaussianPrior(mean=torch.zeros(3), std=torch.ones(3))
    with pytest.raises(ValueError, match=r"prior mean of shape \(3,\) does not match"):
        generate(exact_denoiser(COSINE), COSINE, (10, 2), num_steps=5, prior=prior)


@pytest.mark.parametrize(("sampler", "eta"), [("ddim", -1.0), ("dpmpp_2m_sde", 1.5)])
def test_eta_out_of_range_is_a_clear_error(sampler, eta):
    x = torch.randn(4, 2)
    with pytest.raises(ValueError, match="eta"):
        SAMPLERS[sampler](exact_denoiser(COSINE), x, COSINE.grid(5), eta=eta)


@pytest.mark.parametrize("schedule", [VPSchedule(), VESchedule(0.01, 20.0), EDMSchedule()])
def test_log_snr_grids_of_continuous_schedules_are_uniform_in_lambda(schedule):
    default = schedule.grid(12).without_data_endpoint().log_snr()
    spaced = schedule.grid(12, spacing="log_snr")
    assert spaced.ends_at_data and spaced.num_steps == 12
    lam = spaced.without_data_endpoint().log_snr()
    torch.testing.assert_close(lam[[0, -1]], default[[0, -1]])
    gaps = lam[1:] - lam[:-1]
    torch.testing.assert_close(gaps, gaps.mean().expand_as(gaps), rtol=1e-6, atol=1e-9)


def test_generate_gives_dpm_solver_its_log_snr_grid():
    seen: list[float] = []

    class RecordingDenoiser:
        def predict(self, z, alpha, sigma, model_time, *, prior, cond):
            seen.append(float(model_time))
            return Denoiser(lambda x, t: torch.zeros_like(x)).predict(
                z, alpha, sigma, model_time, prior=prior, cond=cond
            )

    # dpmpp_2m and unipc now take the angle grid there (test_few_step_sampling)
    generate(RecordingDenoiser(), DDPM_LINEAR, (4, 2), sampler="dpmpp_2m_sde", num_steps=20)
    assert seen == DDPM_LINEAR.respace_log_snr(20).timesteps.flip(0).tolist()
    with pytest.raises(ValueError, match="unknown grid spacing"):
        DDPM_LINEAR.grid(10, spacing="cubic")
