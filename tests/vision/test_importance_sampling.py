"""iDDPM's loss-aware timestep sampling in image training: the 1/p-weighted estimator is
unbiased and lowers variance, L_vlb trains the mean where L_hybrid's VLB part cannot, and the
recipe's loss draws t from the sampler, weights each example and feeds its loss back."""

from __future__ import annotations

import pytest
import torch
from test_image_recipe import REPO, TINY, load_module

from diffmm.config import ConfigError, config_from_command_line
from diffmm.diffusion.config import build_schedule
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses import LossSecondMomentResampler, hybrid_loss, vlb_loss
from diffmm.models.image import ImageUNet

T = 50


def _warmed(losses_per_step: torch.Tensor, history: int = 10) -> LossSecondMomentResampler:
    sampler = LossSecondMomentResampler(len(losses_per_step), history_per_term=history)
    for _ in range(history):
        sampler.update(torch.arange(len(losses_per_step)), losses_per_step)
    assert sampler.warmed_up
    return sampler


def test_weighted_estimator_is_unbiased_with_lower_variance() -> None:
    gen = torch.Generator().manual_seed(0)
    # per-step losses spanning orders of magnitude, as the VLB terms do
    L = torch.logspace(-3, 1, T, dtype=torch.float64)
    sampler = _warmed(L)
    p = sampler.probabilities()
    torch.testing.assert_close(p.sum(), torch.tensor(1.0, dtype=torch.float64))
    # exactly: E_p[w(t) L_t] = Σ_t p(t) L_t / (T p(t)) = mean_t L_t
    weights_all = 1 / (T * p)
    torch.testing.assert_close((p * weights_all * L).sum(), L.mean())
    t, w = sampler.sample(20_000, generator=gen)
    weighted = w.double() * L[t]
    standard_error = weighted.std() / 20_000**0.5
    assert abs(weighted.mean() - L.mean()) < 4 * standard_error
    # with p ∝ L_t the weighted terms are nearly constant: far below uniform sampling's spread
    uniform = L[torch.randint(0, T, (20_000,), generator=gen)]
    assert weighted.var() < 0.01 * uniform.var()


def test_vlb_loss_trains_the_mean_unlike_the_hybrids_vlb_part() -> None:
    schedule = build_schedule(
        config_from_command_line(
            load_module("recipe_image", REPO / "recipes/image.py").ImageRecipeConfig,
            None,
            ["--config", str(REPO / "recipes/configs/image/iddpm_nll_cifar10.yaml"),
             f"diffusion.num_steps={T}"],
        ).diffusion
    )  # fmt: skip
    gain, log_mix = torch.tensor(0.5, requires_grad=True), torch.tensor(0.1, requires_grad=True)

    def net(x, time, **_):
        return torch.cat([gain * x, log_mix.expand_as(x)], dim=1)

    denoiser = Denoiser(net, "eps", "learned_range")
    gen = torch.Generator().manual_seed(1)
    x0 = torch.randint(0, 256, (6, 1, 4, 4), generator=gen).float() / 127.5 - 1
    t, noise = torch.arange(0, T, T // 6)[:6], torch.randn(x0.shape, generator=gen)
    vlb = vlb_loss(denoiser, x0, schedule, t=t, noise=noise)
    hybrid = hybrid_loss(denoiser, x0, schedule, t=t, noise=noise)
    torch.testing.assert_close(vlb.terms["vlb"], hybrid.terms["vlb"])  # the same L_t
    torch.testing.assert_close(vlb.loss, T * vlb.terms["vlb"])
    (grad_vlb,) = torch.autograd.grad(vlb.loss.sum(), gain)
    (grad_hybrid_vlb,) = torch.autograd.grad(hybrid.terms["vlb"].sum(), gain, allow_unused=True)
    assert grad_vlb.abs() > 0 and (grad_hybrid_vlb is None or grad_hybrid_vlb == 0)


def test_recipe_loss_draws_weights_and_feeds_back(tmp_path) -> None:
    recipe = load_module("recipe_image", REPO / "recipes/image.py")
    argv = ["--config", str(REPO / "recipes/configs/image/iddpm_nll_cifar10.yaml"), *TINY]
    cfg = config_from_command_line(
        recipe.ImageRecipeConfig, None, [*argv, f"diffusion.num_steps={T}", "data.pad_to=null"]
    )
    cfg.data.horizontal_flip = False
    schedule = build_schedule(cfg.diffusion)
    # a history that puts almost all the mass on step 7
    sampler = _warmed(torch.where(torch.arange(T) == 7, 1.0, 0.0).double())
    before = sampler.loss_history.clone()
    loss_fn = recipe.training_loss(cfg, schedule, sampler)
    batch = {"image": torch.rand(4, 1, 8, 8) * 2 - 1, "label": torch.zeros(4, dtype=torch.long)}
    loss, logs = loss_fn(ImageUNet(cfg.model), batch, torch.Generator().manual_seed(2))
    changed = (sampler.loss_history != before).any(1).nonzero().flatten().tolist()
    assert changed == [7] and "vlb" in logs
    recorded = sampler.loss_history[7, -4:]  # this batch's T · L_7, newest last
    p_before = 0.999 + 0.001 / T  # what p(7) was when the batch was drawn
    torch.testing.assert_close(loss.double(), recorded.mean() / (T * p_before), rtol=1e-5, atol=0)


def test_loss_aware_needs_discrete_steps(tmp_path) -> None:
    recipe = load_module("recipe_image", REPO / "recipes/image.py")
    config = str(REPO / "recipes/configs/image/edm_cifar10.yaml")
    with pytest.raises(ConfigError, match="loss_aware"):
        recipe.main(["--config", config, "loss.timestep_sampler=loss_aware", f"exp_dir={tmp_path}"])
