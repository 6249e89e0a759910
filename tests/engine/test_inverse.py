"""Inverse problems with the exact model of Gaussian(-mixture) data, where p(x | y) is known.

1. A 2-D mixture observed in its first coordinate: p(x₂ | x₁ = c) is a two-mode 1-D mixture
   with closed-form weights, means and variances. Modes are split at x₂ = 0 (7 σ apart).
2. A Gaussian prior, a 2 × 4 matrix and measurement noise σ_y = 0.3: the posterior is Gaussian
   with Σ = (C⁻¹ + HᵀH/σ_y²)⁻¹, μ = Σ (C⁻¹m + Hᵀy/σ_y²).

Tolerances come from the sample size and the measured bias of each method (see each test):
a weight from N samples has standard error ≤ 0.5/√N; a mean ≈ std/√N; a covariance entry
≈ var·√(2/N).
"""

from __future__ import annotations

import pytest
import torch

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.inverse import (
    BlockAverageOperator,
    ChannelMeanOperator,
    FunctionOperator,
    LowPassOperator,
    MaskOperator,
    MatrixOperator,
    Measurement,
    solve_inverse,
)
from diffmm.diffusion.samplers import SAMPLERS
from diffmm.diffusion.schedules import DiscreteSchedule

pytestmark = pytest.mark.engine

SCHEDULE = DiscreteSchedule.from_name("linear", 1000)
MIXTURE = GaussianMixture(
    [0.6, 0.4],
    torch.tensor([[-1.0, -2.0], [1.0, 2.0]]),
    torch.tensor([[[1.0, 0.3], [0.3, 0.5]], [[0.8, -0.2], [-0.2, 0.4]]]),
)
OBSERVED = 0.3  # x₁ = c, where both components have mass: p(x₂ | x₁) is bimodal
MASK = torch.tensor([[1.0, 0.0]])


def true_conditional(noise_std: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weights, means and variances of the modes of p(x₂ | y = x₁ + n = c), n ~ N(0, σ_y²),
    the x₂ < 0 mode first."""
    means, cov = MIXTURE.means, MIXTURE.covariances
    var1 = cov[:, 0, 0] + noise_std**2
    weights = MIXTURE.weights * torch.exp(-0.5 * (OBSERVED - means[:, 0]) ** 2 / var1) / var1.sqrt()
    mode_means = means[:, 1] + cov[:, 1, 0] / var1 * (OBSERVED - means[:, 0])
    mode_vars = cov[:, 1, 1] - cov[:, 1, 0] ** 2 / var1
    return weights / weights.sum(), mode_means, mode_vars


def mixture_inpainting(
    method: str, num: int, steps: int, seed: int = 0, noise_std: float = 0.0, **options
) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(num, 2, generator=generator)
    measurement = Measurement(MaskOperator(MASK), torch.tensor([[OBSERVED, 0.0]]), noise_std)
    denoiser = Denoiser(ExactMixtureNet(MIXTURE, SCHEDULE))
    grid = SCHEDULE.grid(steps)
    return solve_inverse(
        denoiser, x, grid, measurement, method=method, generator=generator, **options
    )


def mode_statistics(x2: torch.Tensor) -> tuple[float, torch.Tensor, torch.Tensor]:
    """(weight of the x₂ > 0 mode, means, variances) of the two modes."""
    x2 = x2.to(torch.float64)
    low, high = x2[x2 <= 0], x2[x2 > 0]
    return (
        high.numel() / x2.numel(),
        torch.stack([low.mean(), high.mean()]),
        torch.stack([low.var(), high.var()]),
    )


@pytest.fixture(scope="module")
def replacement_and_repaint() -> tuple[torch.Tensor, torch.Tensor]:
    return (
        mixture_inpainting("replacement", 2000, 50),
        mixture_inpainting("repaint", 2000, 50, jump_length=10, resamplings=10),
    )


def test_pigdm_samples_the_true_conditional_of_a_mixture() -> None:
    # N = 3000: weight s.e. 0.009, mode-mean s.e. ≤ 0.02. Measured: weight −0.03, means ≤ 0.07
    # off (ΠGDM takes p(x₀ | x_t) Gaussian with unit variance: exact only for N(m, I) data).
    # A noisy measurement (σ_y = 0.1): noiseless, ΠGDM takes the flat-prior r_t² of the
    # authors' code, which under-weights the far mode as replacement does (0.15 short).
    samples = mixture_inpainting("pigdm", 3000, 100, noise_std=0.1)
    weights, means, variances = true_conditional(0.1)
    weight, mode_means, mode_vars = mode_statistics(samples[:, 1])
    assert (samples[:, 0] - OBSERVED).abs().mean() < 0.1
    assert abs(weight - float(weights[1])) < 0.06
    assert (mode_means - means).abs().max() < 0.12
    assert (mode_vars - variances).abs().max() < 0.08


def test_replacement_keeps_the_known_coordinate_and_resampling_harmonises(
    replacement_and_repaint: tuple[torch.Tensor, torch.Tensor],
) -> None:
    weights, means, variances = true_conditional()
    errors = []
    for samples in replacement_and_repaint:
        assert (samples[:, 0] == OBSERVED).all()
        weight, mode_means, mode_vars = mode_statistics(samples[:, 1])
        # within a mode replacement is right; the split between modes is where it errs
        assert (mode_means - means).abs().max() < 0.15
        assert (mode_vars - variances).abs().max() < 0.12
        errors.append(abs(weight - float(weights[1])))
    # replacement alone under-weights the far mode (measured 0.16 short); RePaint's jumps back
    # let the unknown part see the known one longer (measured 0.07 short at r = 10)
    assert errors[1] < errors[0] - 0.04, errors


@pytest.mark.parametrize("sampler", sorted(set(SAMPLERS) - {"annealed_langevin"}))
@pytest.mark.parametrize("method", ["replacement", "ddnm", "pigdm", "dps"])
def test_every_sampler_takes_every_method(sampler: str, method: str) -> None:
    samples = mixture_inpainting(
        method, 200, 20, sampler=sampler, scale=0.2 if method == "dps" else 1.0
    )
    assert samples.shape == (200, 2) and torch.isfinite(samples).all()
    if method in ("replacement", "ddnm"):
        assert (samples[:, 0] == OBSERVED).all()
    else:
        # guidance pulls x₁ towards c: at most half the spread of unconditional samples
        unconditional = MIXTURE.sample(2000, torch.Generator().manual_seed(0))
        spread = (unconditional[:, 0] - OBSERVED).abs().mean()
        assert (samples[:, 0] - OBSERVED).abs().mean() < 0.5 * spread


def gaussian_problem(
    covariance: torch.Tensor,
) -> tuple[Denoiser, Measurement, torch.Tensor, torch.Tensor]:
    """(exact denoiser, measurement, posterior mean, posterior covariance) for N(m, C) data."""
    generator = torch.Generator().manual_seed(3)
    matrix = torch.randn(2, 4, generator=generator, dtype=torch.float64)
    mean = torch.tensor([0.5, -1.0, 0.3, 1.0], dtype=torch.float64)
    noise_std = 0.3
    data = GaussianMixture([1.0], mean[None], covariance[None])
    y = data.sample(1, generator=generator) @ matrix.T
    y = y + noise_std * torch.randn(1, 2, generator=generator, dtype=torch.float64)
    precision = torch.linalg.inv(covariance)
    post_cov = torch.linalg.inv(precision + matrix.T @ matrix / noise_std**2)
    post_mean = post_cov @ (precision @ mean + matrix.T @ y[0] / noise_std**2)
    measurement = Measurement(MatrixOperator(matrix.float()), y.float(), noise_std=noise_std)
    return Denoiser(ExactMixtureNet(data, SCHEDULE)), measurement, post_mean, post_cov


GENERAL_COVARIANCE = torch.tensor(
    [[0.8, 0.2, 0.0, 0.1], [0.2, 0.5, -0.1, 0.0], [0.0, -0.1, 0.9, 0.3], [0.1, 0.0, 0.3, 0.6]],
    dtype=torch.float64,
)


@pytest.mark.parametrize(
    ("method", "covariance", "steps", "options", "tolerance"),
    [
        # N(m, I) data: ΠGDM's Gaussian p(x₀ | x_t) is exact; left is DDIM's discretisation
        # (measured 0.03 mean, 0.02 cov at N = 3000, 250 steps; s.e. 0.02 and 0.02)
        ("pigdm", torch.eye(4, dtype=torch.float64), 250, {"sampler": "ddim"}, (0.06, 0.06)),
        # general C: ΠGDM's unit variance is an approximation (measured 0.05 mean, 0.04 cov)
        ("pigdm", GENERAL_COVARIANCE, 250, {}, (0.1, 0.08)),
        # DPS: a heuristic step ζ/‖r‖; ζ = 0.02 over 250 steps (measured 0.03 mean, 0.07 cov)
        ("dps", torch.eye(4, dtype=torch.float64), 250, {"scale": 0.02}, (0.08, 0.12)),
    ],
    ids=["pigdm-identity", "pigdm-general", "dps-identity"],
)
def test_linear_gaussian_posterior(method, covariance, steps, options, tolerance) -> None:
    denoiser, measurement, post_mean, post_cov = gaussian_problem(covariance)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3000, 4, generator=generator)
    samples = solve_inverse(
        denoiser,
        x,
        SCHEDULE.grid(steps),
        measurement,
        method=method,
        generator=generator,
        **options,
    ).double()
    mean_error = float((samples.mean(0) - post_mean).abs().max())
    cov_error = float((torch.cov(samples.T) - post_cov).abs().max())
    assert mean_error < tolerance[0] and cov_error < tolerance[1], (mean_error, cov_error)


@pytest.mark.parametrize(
    "operator",
    [
        MaskOperator(torch.tensor([[[1.0, 0.0, 1.0, 1.0]]])),
        LowPassOperator(0.4),
        BlockAverageOperator(2, dims=1),
        ChannelMeanOperator(3),
        ChannelMeanOperator(3, (0.299, 0.587, 0.114)),
        MatrixOperator(torch.randn(5, 12, generator=torch.Generator().manual_seed(0))),
    ],
    ids=lambda op: type(op).__name__,
)
def test_operator_pseudo_inverse_adjoint_and_gram(operator) -> None:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 4, generator=generator, dtype=torch.float64)
    y = operator(torch.randn(2, 3, 4, generator=generator, dtype=torch.float64))
    # A A† y = y for y in the range; ⟨A x, y⟩ = ⟨x, Aᵀ y⟩
    torch.testing.assert_close(operator(operator.pinv(y)), y)
    inner = (operator(x) * y).sum()
    torch.testing.assert_close(
        inner, (x.reshape(operator.adjoint(y).shape) * operator.adjoint(y)).sum()
    )
    # (w A Aᵀ + s I) u = y
    u = operator.gram_solve(y, 0.7, 0.2)
    torch.testing.assert_close(0.7 * operator(operator.adjoint(u)) + 0.2 * u, y)


def test_bad_input_gives_one_line_errors() -> None:
    x = torch.zeros(4, 1, 8, 8)
    with pytest.raises(ValueError, match=r"mask of shape \(1, 1, 7, 8\) does not match"):
        Measurement(MaskOperator(torch.ones(1, 1, 7, 8)), torch.zeros(1, 1, 7, 8)).check(x)
    with pytest.raises(ValueError, match="NaN"):
        Measurement(MaskOperator(torch.ones(1, 1, 8, 8)), torch.full((1, 1, 8, 8), float("nan")))
    detached = FunctionOperator(lambda v: v.detach() ** 2)
    measurement = Measurement(detached, torch.zeros(1, 2))
    with pytest.raises(ValueError, match="autograd can differentiate") as err:
        mixture_dps = Denoiser(ExactMixtureNet(MIXTURE, SCHEDULE))
        solve_inverse(mixture_dps, torch.zeros(3, 2), SCHEDULE.grid(5), measurement, method="dps")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="needs a linear operator"):
        solve_inverse(mixture_dps, torch.zeros(3, 2), SCHEDULE.grid(5), measurement, method="pigdm")
