"""PriorGrad: σ from frame energy by hand, the Σ⁻¹-weighted loss, and the prior in sampling."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.audio.features import save_stats
from diffmm.audio.mel import frame_energy, get_mel_preset
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.losses import simple_loss
from diffmm.diffusion.samplers import generate
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.priorgrad import (
    LOSS_TARGET,
    PriorGradStats,
    check_priorgrad_diffusion,
    priorgrad_diffusion,
)
from diffmm.models.vocoder import Vocoder
from diffmm.models.vocoder_training import vocoder_loss

# Frames whose two mel bins hold exp(log-mel) = (a, b), so E = √(a + b) is known by hand.
BIN_POWERS = [(0.1, 0.15), (0.5, 0.5), (4.0, 2.25), (7.0, 9.0), (40.0, 41.0)]
ENERGIES = [0.5, 1.0, 2.5, 4.0, 9.0]
PRESET = get_mel_preset("hifigan", n_mels=2)  # natural log: m = exp(log-mel)


def log_mel_of(powers: list[tuple[float, float]]) -> torch.Tensor:
    return torch.tensor(powers, dtype=torch.float64).T.log().unsqueeze(0)  # (1, 2, frames)


def test_frame_energy_is_the_root_of_summed_mel_power() -> None:
    energy = frame_energy(log_mel_of(BIN_POWERS), PRESET)
    assert torch.allclose(energy, torch.tensor([ENERGIES], dtype=torch.float64))


def test_sigma_is_clipped_min_max_energy_with_a_floor() -> None:
    stats = PriorGradStats(PRESET, energy_min=0.5, energy_max=9.0)  # clip at 4, floor 0.1
    # (min(E, 4) − 0.5) / 3.5 = 0, 1/7, 4/7, 1, 1 → floor 0.1 on the first
    expected = [0.1, 1 / 7, 4 / 7, 1.0, 1.0]
    assert torch.allclose(
        stats.frame_std(log_mel_of(BIN_POWERS))[0], torch.tensor(expected).double()
    )

    unclipped = PriorGradStats(
        PRESET, energy_min=0.5, energy_max=9.0, energy_clip=None, std_min=0.2
    )
    # (E − 0.5) / 8.5 = 0, 0.0588, 0.2353, 0.4118, 1 → floor 0.2 on the first two
    expected = [0.2, 0.2, 2 / 8.5, 3.5 / 8.5, 1.0]
    assert torch.allclose(
        unclipped.frame_std(log_mel_of(BIN_POWERS))[0], torch.tensor(expected).double()
    )


def test_sigma_is_repeated_over_each_frames_hop() -> None:
    stats = PriorGradStats(PRESET, energy_min=0.5, energy_max=9.0)
    std = stats.waveform_std(log_mel_of(BIN_POWERS), hop=3)
    assert std.shape == (1, 1, 15)
    assert torch.allclose(std[0, 0, 3:6], torch.full((3,), 1 / 7, dtype=torch.float64))
    assert torch.equal(stats.prior(log_mel_of(BIN_POWERS), 3).std, std)


def test_statistics_reject_an_empty_range_and_round_trip_through_tensors() -> None:
    with pytest.raises(ValueError, match="energy range is empty"):
        PriorGradStats(PRESET, energy_min=5.0, energy_max=9.0)  # above the clip at 4
    stats = PriorGradStats(PRESET, 0.25, 3.0)
    assert PriorGradStats.from_tensors(PRESET, stats.to_tensors(), 4.0, 0.1) == stats
    with pytest.raises(ValueError, match="energy_max"):
        PriorGradStats.from_tensors(PRESET, {"energy_min": torch.tensor(0.0)}, 4.0, 0.1)


def test_statistics_are_read_from_the_stage_3_file(tmp_path) -> None:
    save_stats(
        {"mel_mean": [0.0, 0.0], "mel_std": [1.0, 1.0], "energy_min": 0.25, "energy_max": 3.0},
        tmp_path / "stats",
    )
    read = PriorGradStats.from_stats(tmp_path / "stats", PRESET, energy_clip=None, std_min=0.2)
    assert read == PriorGradStats(PRESET, 0.25, 3.0, energy_clip=None, std_min=0.2)


def tiny_model() -> DiffWave:
    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig(3, 8, 2, 2, 4))
    torch.nn.init.normal_(model.output_projection.weight, std=0.5)
    return model


def test_engine_loss_is_the_inverse_covariance_weighted_loss_of_the_paper() -> None:
    model = tiny_model()
    stats = PriorGradStats(PRESET, energy_min=0.5, energy_max=9.0)
    log_mel = log_mel_of(BIN_POWERS).float().repeat(2, 1, 1)
    prior = stats.prior(log_mel, hop=4)
    sigma_prior = prior.std.float()
    cfg = priorgrad_diffusion(DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05))
    schedule = build_schedule(cfg)
    x0 = 0.3 * torch.randn(2, 1, 20)
    t = torch.tensor([3, 41])
    eps = torch.randn(2, 1, 20)
    seen = {}
    model.register_forward_pre_hook(lambda m, args: seen.update(x_t=args[0]))

    out = simple_loss(
        build_denoiser(model, cfg),
        x0,
        schedule,
        prior=prior,
        cond={"mel": log_mel},
        t=t,
        noise=eps,
        target=LOSS_TARGET,
    )

    # Lee et al. 2022: ε_x ~ N(0, Σ), x_t = √ᾱ x_0 + √(1−ᾱ) ε_x, loss ‖ε_x − ε̂_x‖²_{Σ⁻¹}.
    alpha_bar = schedule.alphas_cumprod[t].float().view(2, 1, 1)
    eps_x = sigma_prior * eps
    x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * eps_x
    assert torch.allclose(seen["x_t"], x_t, atol=1e-6)
    eps_x_hat = model(x_t, t.float(), mel=log_mel)
    explicit = ((eps_x - eps_x_hat) ** 2 / sigma_prior**2).mean(dim=(1, 2))
    assert torch.allclose(out.loss, explicit, rtol=1e-5)
    # and not the unweighted DiffWave loss: quiet frames (σ = 0.1) weigh 100× more
    assert not torch.allclose(out.loss, ((eps_x - eps_x_hat) ** 2).mean(dim=(1, 2)), rtol=0.1)


def test_sampling_noise_follows_the_prior_sigma() -> None:
    # With an untrained network (zero-initialised output: ε̂ = 0) every sampler step is linear
    # in z with noise N(0, I) in z, so the final x = σ_prior · z has a standard deviation
    # proportional to σ_prior: loud frames get 10× the noise of the floor frames.
    model = DiffWave(DiffWaveConfig(2, 4, 2, 2, 400))
    stats = PriorGradStats(PRESET, energy_min=0.5, energy_max=9.0)
    log_mel = log_mel_of([(0.1, 0.15), (7.0, 9.0)]).float().repeat(8, 1, 1)  # σ = 0.1, 1
    prior = stats.prior(log_mel, hop=400)
    cfg = priorgrad_diffusion(DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05))
    schedule = build_schedule(cfg).fast_schedule([1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5])
    with torch.no_grad():
        x = generate(
            build_denoiser(model, cfg),
            schedule,
            (8, 1, 800),
            prior=prior,
            cond={"mel": log_mel},
            generator=torch.Generator().manual_seed(0),
        )
    ratio = float(x[..., 400:].std() / x[..., :400].std())
    assert math.isclose(ratio, 10.0, rel_tol=0.05)  # 3200 samples each: ~2.5% standard error


def test_priorgrad_needs_the_network_read_as_noise_in_data_units() -> None:
    # σ reaches the network once, through the prior: a PriorGrad vocoder or loss whose
    # diffusion would read ε̂_x as the whitened ε̂ (skipping the division by σ) is refused.
    model, plain = tiny_model(), DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
    stats = PriorGradStats(PRESET, energy_min=0.5, energy_max=9.0)
    with pytest.raises(ValueError, match="eps_x"):
        Vocoder(model, plain, PRESET, priorgrad=stats)
    with pytest.raises(ValueError, match="eps_x"):
        vocoder_loss(model, torch.zeros(1, 1, 4), torch.zeros(1, 2, 1), build_schedule(plain),
                     plain, priorgrad=stats, hop=4)  # fmt: skip
    # recipe configs and old bundles say eps: mapped explicitly; x0/v/score are not noise
    assert priorgrad_diffusion(plain).parameterization == "eps_x"
    check_priorgrad_diffusion(priorgrad_diffusion(plain))
    with pytest.raises(ValueError, match="predicts noise"):
        priorgrad_diffusion(DiffusionConfig(parameterization="x0"))
