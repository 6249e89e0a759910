"""PriorGrad-AM's decoder diffusion in whitened coordinates z = (x − μ_phone)/σ_phone.

PriorGrad's premise is that the data is close to its prior: z_0 ≈ N(0, I). For z_0 ~ N(0, I)
exactly, the forward process z_t = α z_0 + σ ε has the posterior means E[z_0 | z_t] = α z_t and
E[ε | z_t] = σ z_t (α² + σ² = 1), so E[v | z_t] = α E[ε | z_t] − σ E[z_0 | z_t] = 0.

The mini PriorGrad-AM diverged (held-out mel L1 204) with an ε network: DDIM's first estimate
ẑ_0 = (z_T − σ_T ε̂)/α_T turns an ε̂ error δ into σ_T/α_T · δ ≈ 200 δ at α_T ≈ 0.005, and a
400-step WaveNet's ε̂ at t = T was off by δ ≈ 0.86 (rms): 0.86 · 217 · E|σ_phone| ≈ 200 mel
units. With a v network ẑ_0 = α z_t − σ v̂: the zero output of the zero-initialised WaveNet is
the exact denoiser above, and over a whole DDIM run (the angle θ = atan(σ/α) falling from
≈ π/2 to 0) a constant output error δ moves the sample by Σ_k sin(θ_k − θ_{k+1}) · δ ≤ π/2 · δ.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import yaml

from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.samplers import get_sampler, preferred_spacing
from diffmm.models.gradtts.decoder import WaveNetMelDecoder

pytestmark = pytest.mark.tts

CONFIGS = ["mini_priorgrad_am.yaml", "priorgrad_am.yaml"]
FEATS, FRAMES = 80, 12


def load(repo_root: Path, name: str) -> dict:
    path = repo_root / "recipes" / "configs" / "gradtts" / name
    return yaml.safe_load(path.read_text())


def phoneme_prior(generator: torch.Generator) -> GaussianPrior:
    """Per-frame statistics as PriorGrad-AM's: log-mel means, stds from the 0.1 floor up."""
    mean = -6 + 4 * torch.rand(1, FEATS, FRAMES, generator=generator)
    std = 0.1 + 2.7 * torch.rand(1, FEATS, FRAMES, generator=generator)
    return GaussianPrior(mean, std)


@pytest.mark.parametrize("name", CONFIGS)
def test_initial_decoder_is_the_exact_denoiser_of_prior_distributed_data(
    repo_root: Path, name: str
) -> None:
    config = load(repo_root, name)
    model = config["model"]
    decoder = WaveNetMelDecoder(
        FEATS, model["decoder_channels"], model["decoder_layers"], model["decoder_dilation_cycle"]
    )
    diffusion = DiffusionConfig.from_dict(config["diffusion"])
    schedule = build_schedule(diffusion)
    grid = schedule.grid(config["sampling"]["steps"], preferred_spacing("ddim", schedule))
    denoiser = build_denoiser(decoder, diffusion)
    generator = torch.Generator().manual_seed(0)
    prior = phoneme_prior(generator)
    cond = dict(
        mu=torch.randn(1, FEATS, FRAMES, generator=generator), mask=torch.ones(1, 1, FRAMES)
    )
    cond.update(prior_mean=prior.mean, prior_std=prior.std)
    with torch.no_grad():
        for i in range(grid.num_steps):
            alpha, sigma = float(grid.alphas[i]), float(grid.sigmas[i])
            z_t = torch.randn(1, FEATS, FRAMES, generator=generator)
            pred = denoiser.predict(
                z_t, alpha, sigma, float(grid.model_times[i]), prior=prior, cond=cond
            )
            norm = alpha**2 + sigma**2
            torch.testing.assert_close(pred.x0, alpha * z_t / norm, atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(pred.eps, sigma * z_t / norm, atol=1e-5, rtol=1e-4)


def ddim_shift(diffusion: DiffusionConfig, steps: int, delta: torch.Tensor) -> torch.Tensor:
    """How far (whitened) a constant network output error ``delta`` moves a DDIM sample:
    the sample of a network returning ``delta`` minus that of one returning 0."""
    schedule = build_schedule(diffusion)
    grid = schedule.grid(steps, preferred_spacing("ddim", schedule))
    generator = torch.Generator().manual_seed(1)
    prior = phoneme_prior(generator)
    x_start = prior.unwhiten(torch.randn(1, FEATS, FRAMES, generator=generator))
    samples = [
        get_sampler("ddim")(
            build_denoiser(lambda x_t, time, out=out: out.expand_as(x_t), diffusion),
            x_start,
            grid,
            prior=prior,
        )
        for out in (torch.zeros_like(delta), delta)
    ]
    return prior.whiten(samples[1]) - prior.whiten(samples[0])


@pytest.mark.parametrize("name", CONFIGS)
def test_a_network_error_reaches_the_mel_at_most_pi_over_2_times(
    repo_root: Path, name: str
) -> None:
    config = load(repo_root, name)
    diffusion = DiffusionConfig.from_dict(config["diffusion"])
    delta = 0.3 * torch.randn(1, FEATS, FRAMES, generator=torch.Generator().manual_seed(2))
    shift = ddim_shift(diffusion, config["sampling"]["steps"], delta)
    assert bool((shift.abs() <= math.pi / 2 * delta.abs() + 1e-5).all())
    # the ε network the configs had: the same error amplified by about σ_T/α_T
    eps = DiffusionConfig.from_dict({**config["diffusion"], "parameterization": "eps"})
    amplified = ddim_shift(eps, config["sampling"]["steps"], delta)
    assert float(amplified.abs().mean()) > 50 * float(delta.abs().mean())
