"""Losses against analytic minima and exact identities; timestep samplers against their law."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses import (
    LossSecondMomentResampler,
    UniformSampler,
    discretized_gaussian_log_likelihood,
    dsm_loss,
    hybrid_loss,
    min_snr_weight,
    normal_kl,
    simple_loss,
)
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.schedules import DiscreteSchedule, VESchedule, VPSchedule

pytestmark = pytest.mark.engine

DTYPE = torch.float64
MEAN = torch.tensor([[1.0, -0.5]], dtype=DTYPE)
STD = torch.tensor([0.6, 1.5], dtype=DTYPE)
DATA = GaussianMixture([1.0], MEAN, torch.diag(STD**2)[None])
SCHED = DiscreteSchedule.from_name("linear", 10, beta_start=0.01, beta_end=0.3)
N = 4000


def _exact(parameterization: str, schedule=SCHED, prior=None) -> Denoiser:
    kwargs = {} if prior is None else {"prior": prior}
    net = ExactMixtureNet(DATA, schedule, parameterization=parameterization, **kwargs)
    return Denoiser(net, parameterization)


def _fixed_t_batch(step: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    x0 = DATA.sample(N, gen)
    noise = torch.randn(N, 2, generator=gen, dtype=DTYPE)
    return x0, torch.full((N,), step), noise


def test_exact_model_reaches_the_analytic_minimum_of_each_target() -> None:
    step = 4
    alpha, sigma = float(SCHED.alpha(torch.tensor(step))), float(SCHED.sigma(torch.tensor(step)))
    x0, t, noise = _fixed_t_batch(step, 0)
    # z_0 ~ N(m, s²) per dimension: Var(ε | z_t) = α²s²/(α²s² + σ²), Var(z_0 | z_t) = s²σ²/(α²s² + σ²)
    var_eps = alpha**2 * STD**2 / (alpha**2 * STD**2 + sigma**2)
    minimum = {
        "eps": float(var_eps.mean()),
        "x0": float((STD**2 * sigma**2 / (alpha**2 * STD**2 + sigma**2)).mean()),
        # v̂ − v = (α² + σ²)/α · (ε̂ − ε) and α² + σ² = 1 here
        "v": float(var_eps.mean()) / alpha**2,
    }
    for target, expected in minimum.items():
        out = simple_loss(_exact(target), x0, SCHED, t=t, noise=noise)
        standard_error = float(out.loss.std()) / math.sqrt(N)
        assert abs(float(out.loss.mean()) - expected) < 4 * standard_error, target


@pytest.mark.parametrize("target", ["eps", "x0", "v"])
def test_exact_model_beats_perturbed_models(target) -> None:
    x0, _, noise = _fixed_t_batch(0, 1)
    t = SCHED.sample_training_time(N, generator=torch.Generator().manual_seed(2))
    exact = _exact(target)
    best = float(simple_loss(exact, x0, SCHED, t=t, noise=noise).loss.mean())
    for shift in (0.2, -0.2):
        shifted = Denoiser(lambda x, time, s=shift: exact.net(x, time) + s, target)
        assert float(simple_loss(shifted, x0, SCHED, t=t, noise=noise).loss.mean()) > best
    scaled = Denoiser(lambda x, time: 1.1 * exact.net(x, time), target)
    assert float(simple_loss(scaled, x0, SCHED, t=t, noise=noise).loss.mean()) > best


def test_targets_are_consistent_across_parameterizations_and_min_snr_unifies_them() -> None:
    x0, _, noise = _fixed_t_batch(0, 3)
    x0, noise = x0[:200], noise[:200]
    t = SCHED.sample_training_time(200, generator=torch.Generator().manual_seed(4))
    exact_eps = _exact("eps")
    imperfect = Denoiser(lambda x, time: 0.8 * exact_eps.net(x, time), "eps")
    weighted = {}
    for target in ("eps", "x0", "v"):
        # the same exact model written in three parameterizations gives the same loss for a target
        losses = [
            simple_loss(_exact(p), x0, SCHED, t=t, noise=noise, target=target).loss
            for p in ("eps", "x0", "v")
        ]
        torch.testing.assert_close(losses[1], losses[0], rtol=1e-8, atol=1e-12)
        torch.testing.assert_close(losses[2], losses[0], rtol=1e-8, atol=1e-12)
        weighted[target] = simple_loss(
            imperfect, x0, SCHED, t=t, noise=noise, target=target, min_snr_gamma=5.0
        ).loss
    # min-SNR-γ is one weighting of one error, whichever target expresses it (VP: α² + σ² = 1)
    torch.testing.assert_close(weighted["x0"], weighted["eps"], rtol=1e-8, atol=1e-12)
    torch.testing.assert_close(weighted["v"], weighted["eps"], rtol=1e-8, atol=1e-12)


def test_min_snr_weights_match_hang_et_al() -> None:
    alpha = torch.tensor([0.99, 0.8, 0.3], dtype=DTYPE)
    sigma = torch.sqrt(1 - alpha**2)
    snr = alpha**2 / sigma**2  # ≈ 49.3, 1.78, 0.0989
    gamma = 5.0
    clipped = torch.tensor([5.0, float(snr[1]), float(snr[2])], dtype=DTYPE)
    torch.testing.assert_close(min_snr_weight(alpha, sigma, gamma, "x0"), clipped)
    torch.testing.assert_close(min_snr_weight(alpha, sigma, gamma, "eps"), clipped / snr)
    torch.testing.assert_close(min_snr_weight(alpha, sigma, gamma, "v"), clipped / (snr + 1))
    assert float(min_snr_weight(alpha, sigma, gamma, "eps")[2]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown loss target"):
        min_snr_weight(alpha, sigma, gamma, "velocity")


def test_l1_and_l2_norms() -> None:
    gen = torch.Generator().manual_seed(5)
    x0 = torch.randn(3, 4, 5, generator=gen, dtype=DTYPE)  # 1-D signals with 4 channels
    noise = torch.randn(3, 4, 5, generator=gen, dtype=DTYPE)
    t = torch.tensor([0, 5, 9])
    zero = Denoiser(lambda x, time: torch.zeros_like(x))
    l2 = simple_loss(zero, x0, SCHED, t=t, noise=noise, norm="l2")
    l1 = simple_loss(zero, x0, SCHED, t=t, noise=noise, norm="l1")
    torch.testing.assert_close(l2.loss, (noise**2).mean((1, 2)))
    torch.testing.assert_close(l1.loss, noise.abs().mean((1, 2)))
    assert set(l2.terms) == {"mse"} and set(l1.terms) == {"l1"}
    with pytest.raises(ValueError, match="unknown loss norm"):
        simple_loss(zero, x0, SCHED, t=t, noise=noise, norm="huber")


def test_mask_ignores_padding() -> None:
    gen = torch.Generator().manual_seed(6)
    lengths = torch.tensor([7, 3, 10])
    x0 = torch.randn(3, 2, 10, generator=gen, dtype=DTYPE)
    noise = torch.randn(3, 2, 10, generator=gen, dtype=DTYPE)
    mask = (torch.arange(10)[None, None, :] < lengths[:, None, None]).to(DTYPE)  # (B, 1, L)
    t = torch.tensor([2, 5, 8])
    net = Denoiser(
        lambda x, time: 0.3 * x + 0.1
    )  # elementwise: padding cannot leak into valid outputs
    loss = simple_loss(net, x0, SCHED, t=t, noise=noise, mask=mask).loss
    garbage_x0 = torch.where(mask > 0, x0, torch.full_like(x0, 1e6))
    garbage_noise = torch.where(mask > 0, noise, torch.full_like(noise, float("nan")))
    changed = simple_loss(net, garbage_x0, SCHED, t=t, noise=garbage_noise, mask=mask).loss
    torch.testing.assert_close(changed, loss)
    for b, n in enumerate(lengths.tolist()):
        alone = simple_loss(
            net, x0[b : b + 1, :, :n], SCHED, t=t[b : b + 1], noise=noise[b : b + 1, :, :n]
        ).loss
        torch.testing.assert_close(loss[b : b + 1], alone)


def test_priorgrad_loss_is_the_sigma_inverse_weighted_noise_loss() -> None:
    # PriorGrad (Lee et al. 2022): x_t = μ + √ᾱ (x_0 − μ) + √(1 − ᾱ) ε_x, ε_x ~ N(0, Σ), and the
    # network's noise estimate ε̂_x is scored by ‖ε_x − ε̂_x‖²_{Σ⁻¹}. Our network outputs the
    # whitened ε̂ = Σ^{-1/2} ε̂_x and the loss is the plain ‖ε − ε̂‖².
    gen = torch.Generator().manual_seed(7)
    mean = torch.randn(2, 3, 8, generator=gen, dtype=DTYPE)
    std = 0.1 + torch.rand(2, 1, 8, generator=gen, dtype=DTYPE) * 3  # per-frame σ, as PriorGrad
    prior = GaussianPrior(mean, std)
    x0 = torch.randn(2, 3, 8, generator=gen, dtype=DTYPE)
    noise = torch.randn(2, 3, 8, generator=gen, dtype=DTYPE)
    t = torch.tensor([1, 8])
    seen = {}

    def net(x_t, time):
        seen["x_t"] = x_t
        return torch.sin(x_t) + 0.01 * time[:, None, None]

    ours = simple_loss(Denoiser(net), x0, SCHED, prior=prior, t=t, noise=noise).loss
    abar = SCHED.alphas_cumprod[t][:, None, None]
    eps_x = std * noise
    x_t = mean + abar.sqrt() * (x0 - mean) + (1 - abar).sqrt() * eps_x
    torch.testing.assert_close(seen["x_t"], x_t)
    eps_hat_x = std * net(x_t, t.to(DTYPE))
    diff = (eps_x - eps_hat_x).flatten(1)
    sigma_inv = torch.diag_embed(1 / (std.expand_as(x0) ** 2).flatten(1))  # Σ⁻¹ as a matrix
    mahalanobis = torch.einsum("bi,bij,bj->b", diff, sigma_inv, diff)
    torch.testing.assert_close(ours, mahalanobis / diff.shape[1])


def test_normal_kl_closed_form() -> None:
    m1, v1, m2, v2 = 0.3, 0.5, -1.0, 2.0
    # KL = ½ (log v2/v1 + v1/v2 + (m1 − m2)²/v2 − 1) = ½ (log 4 + 0.25 + 0.845 − 1)
    expected = 0.5 * (math.log(4.0) + 0.25 + 1.69 / 2.0 - 1.0)
    got = normal_kl(
        torch.tensor(m1), torch.tensor(math.log(v1)), torch.tensor(m2), torch.tensor(math.log(v2))
    )
    assert float(got) == pytest.approx(expected, rel=1e-6)
    same = normal_kl(torch.tensor(1.0), torch.tensor(0.2), torch.tensor(1.0), torch.tensor(0.2))
    assert float(same) == 0.0


def test_discretized_gaussian_sums_to_one_and_matches_hand_computation() -> None:
    levels = torch.linspace(-1, 1, 256, dtype=DTYPE)
    for mean, scale in ((0.1, 0.05), (-0.98, 0.3), (0.999, 1e-3), (2.0, 0.5)):
        log_p = discretized_gaussian_log_likelihood(
            levels, torch.full_like(levels, mean), torch.full_like(levels, math.log(scale))
        )
        assert float(log_p.exp().sum()) == pytest.approx(1.0, abs=1e-9)

    def phi(u: float) -> float:
        return 0.5 * (1 + math.erf(u / math.sqrt(2)))

    # level k = 140: x = 2·140/255 − 1 = 25/255; bin [x − 1/255, x + 1/255]; N(0.1, 0.05²)
    x, mean, scale = 25 / 255, 0.1, 0.05
    hand = math.log(phi((x + 1 / 255 - mean) / scale) - phi((x - 1 / 255 - mean) / scale))
    got = discretized_gaussian_log_likelihood(
        torch.tensor([x], dtype=DTYPE),
        torch.tensor([mean], dtype=DTYPE),
        torch.tensor([math.log(scale)], dtype=DTYPE),
    )
    assert float(got) == pytest.approx(hand, rel=1e-10)
    # the edge level −1 owns the whole lower tail: P = Φ((−1 + 1/255 − m)/s)
    edge = discretized_gaussian_log_likelihood(
        torch.tensor([-1.0], dtype=DTYPE),
        torch.tensor([-0.9], dtype=DTYPE),
        torch.tensor([math.log(0.1)], dtype=DTYPE),
    )
    assert float(edge) == pytest.approx(math.log(phi((-1 + 1 / 255 + 0.9) / 0.1)), rel=1e-10)


class _SplitNet(torch.nn.Module):
    """Mean output and learned-range variance output from separate parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.mean_scale = torch.nn.Parameter(torch.tensor(0.5, dtype=DTYPE))
        self.var_logit = torch.nn.Parameter(torch.tensor(0.3, dtype=DTYPE))

    def forward(self, x, time):
        return torch.cat([self.mean_scale * x, torch.tanh(self.var_logit).expand_as(x)], dim=1)


def test_hybrid_loss_stops_the_vlb_gradient_at_the_mean() -> None:
    gen = torch.Generator().manual_seed(8)
    x0 = torch.randint(0, 256, (6, 2, 4), generator=gen).to(DTYPE) / 127.5 - 1  # 8-bit data
    t = torch.tensor([0, 1, 3, 5, 7, 9])
    noise = torch.randn(6, 2, 4, generator=gen, dtype=DTYPE)
    net = _SplitNet()
    den = Denoiser(net, "eps", "learned_range")
    out = hybrid_loss(den, x0, SCHED, t=t, noise=noise)
    assert set(out.terms) == {"mse", "vlb"}
    torch.testing.assert_close(out.loss, out.terms["mse"] + 0.001 * 10 * out.terms["vlb"])
    out.loss.sum().backward(retain_graph=True)
    mean_grad, var_grad = net.mean_scale.grad.clone(), net.var_logit.grad.clone()
    net.zero_grad()
    out.terms["mse"].sum().backward()
    torch.testing.assert_close(mean_grad, net.mean_scale.grad)  # the VLB adds nothing to the mean
    assert net.var_logit.grad is None or float(net.var_logit.grad) == 0.0
    assert float(var_grad) != 0.0  # but it trains the variance
    with pytest.raises(ValueError, match="learned variance"):
        hybrid_loss(Denoiser(net), x0, SCHED, t=t, noise=noise)


def test_vlb_term_vanishes_for_the_true_posterior() -> None:
    # a network that knows ε (mean exact) and says v = −1 (Σ = β̃) matches q exactly for t > 0
    gen = torch.Generator().manual_seed(9)
    x0 = torch.rand(5, 1, 3, generator=gen, dtype=DTYPE) * 2 - 1
    noise = torch.randn(5, 1, 3, generator=gen, dtype=DTYPE)
    t = torch.tensor([1, 2, 4, 6, 9])
    den = Denoiser(
        lambda x, time: torch.cat([noise, -torch.ones_like(x)], 1), "eps", "learned_range"
    )
    out = hybrid_loss(den, x0, SCHED, t=t, noise=noise)
    torch.testing.assert_close(out.terms["vlb"], torch.zeros(5, dtype=DTYPE), atol=1e-10, rtol=0)
    torch.testing.assert_close(out.terms["mse"], torch.zeros(5, dtype=DTYPE))


def test_dsm_equals_the_eps_loss_of_a_score_network() -> None:
    ve = VESchedule(0.05, 5.0, num_scales=8, time_input="index")
    gen = torch.Generator().manual_seed(10)
    x0 = DATA.sample(64, gen)
    noise = torch.randn(64, 2, generator=gen, dtype=DTYPE)
    t = ve.sample_training_time(64, generator=gen)
    prior = GaussianPrior(
        torch.tensor([0.2, -0.1], dtype=DTYPE), torch.tensor([0.7, 1.8], dtype=DTYPE)
    )
    score_net = Denoiser(lambda x, time: -0.3 * x + 0.05 * time[:, None], "score")
    dsm = dsm_loss(score_net, x0, ve, prior=prior, t=t, noise=noise).loss
    eps = simple_loss(score_net, x0, ve, prior=prior, t=t, noise=noise, target="eps").loss
    torch.testing.assert_close(dsm, eps)
    with pytest.raises(ValueError, match="variance-exploding"):
        dsm_loss(score_net, x0, VPSchedule(), t=torch.full((64,), 0.5), noise=noise)


def test_dsm_is_minimised_by_the_true_score() -> None:
    ve = VESchedule(0.05, 5.0, num_scales=8, time_input="index")
    gen = torch.Generator().manual_seed(11)
    x0 = DATA.sample(N, gen)
    noise = torch.randn(N, 2, generator=gen, dtype=DTYPE)
    t = ve.sample_training_time(N, generator=gen)
    exact = _exact("score", ve)
    best = float(dsm_loss(exact, x0, ve, t=t, noise=noise).loss.mean())
    for delta in (0.1, -0.1):
        # perturb the score by δ/σ, an O(δ) change of the σ²-weighted objective
        def perturbed(x, time, d=delta):
            sigma = ve.alpha_sigma_from_model_time(time)[1][:, None]
            return exact.net(x, time) + d / sigma

        worse = float(dsm_loss(Denoiser(perturbed, "score"), x0, ve, t=t, noise=noise).loss.mean())
        assert worse > best


def test_uniform_sampler_weights_are_one() -> None:
    t, w = UniformSampler(7).sample(500, generator=torch.Generator().manual_seed(12))
    assert t.min() >= 0 and t.max() <= 6 and len(t.unique()) == 7
    torch.testing.assert_close(w, torch.ones(500))


def test_loss_aware_sampler_follows_root_second_moment() -> None:
    T = 5
    sampler = LossSecondMomentResampler(T, history_per_term=10, uniform_prob=0.001)
    scales = torch.tensor([1.0, 2.0, 3.0, 4.0, 10.0], dtype=DTYPE)
    gen = torch.Generator().manual_seed(13)
    # until every step has 10 losses the sampler is uniform
    for _ in range(9):
        sampler.update(torch.arange(T), scales)
    assert not sampler.warmed_up
    torch.testing.assert_close(sampler.probabilities(), torch.full((T,), 0.2, dtype=DTYPE))
    # losses L_t = c_t · (±1): E[L_t²] = c_t², so p(t) ∝ c_t after mixing with uniform
    signs = torch.randint(0, 2, (T,), generator=gen).to(DTYPE) * 2 - 1
    sampler.update(torch.arange(T), scales * signs)
    assert sampler.warmed_up
    expected = 0.999 * scales / scales.sum() + 0.001 / T
    torch.testing.assert_close(sampler.probabilities(), expected)
    t, w = sampler.sample(20000, generator=gen)
    torch.testing.assert_close(w.to(DTYPE), 1 / (T * expected[t]))
    freq = torch.bincount(t, minlength=T).to(DTYPE) / 20000
    assert (freq - expected).abs().max() < 0.015
    # random losses with E[L²] = c²·(1 + 0.25): the estimate from the rolling history of 10
    # converges on average to the same law
    averaged = torch.zeros(T, dtype=DTYPE)
    for _ in range(300):
        noisy = scales * (1 + 0.5 * torch.randn(T, generator=gen, dtype=DTYPE))
        sampler.update(torch.arange(T), noisy)
        averaged += sampler.probabilities() / 300
    assert (averaged - expected).abs().max() < 0.02


def _ddp_update_worker(rank: int, init_file: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        sampler = LossSecondMomentResampler(3, history_per_term=2)
        # ranks see different batches, even of different sizes
        t = torch.tensor([0, 1, 2]) if rank == 0 else torch.tensor([0, 1, 2, 2])
        losses = torch.tensor([1.0, 2.0, 3.0]) if rank == 0 else torch.tensor([5.0, 6.0, 7.0, 8.0])
        sampler.update(t, losses)
        # rank 0's losses come first, then rank 1's; step 2 keeps its last two (7 then 8)
        expected = torch.tensor([[1.0, 5.0], [2.0, 6.0], [7.0, 8.0]], dtype=torch.float64)
        torch.testing.assert_close(sampler.loss_history, expected)
        assert sampler.warmed_up
    finally:
        dist.destroy_process_group()


def test_loss_aware_sampler_gathers_losses_across_ranks(tmp_path: Path) -> None:
    mp.spawn(_ddp_update_worker, args=(str(tmp_path / "init"),), nprocs=2, join=True)
