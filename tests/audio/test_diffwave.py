"""DiffWave: hop-generic upsampler, conditioner caching, shapes, sizes and errors."""

from __future__ import annotations

import pytest
import torch

from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.samplers import generate
from diffmm.models.diffwave import DiffWave, DiffWaveConfig, count_parameters
from diffmm.models.mel_upsampler import MelUpsampler, hop_factors


def tiny(hop: int = 200, n_mels: int | None = 8) -> DiffWave:
    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig(4, 8, 2, n_mels, hop))
    torch.nn.init.normal_(model.output_projection.weight, std=0.3)  # not the zero init
    return model


@pytest.mark.parametrize(("hop", "factors"), [(200, [10, 20]), (256, [16, 16]), (300, [15, 20])])
def test_upsampler_gives_exactly_hop_times_frames_samples(hop: int, factors: list[int]) -> None:
    assert hop_factors(hop) == factors
    upsampler = MelUpsampler(hop)
    for frames in (1, 2, 7):
        assert upsampler(torch.randn(3, 5, frames)).shape == (3, 5, frames * hop)


@pytest.mark.parametrize("hop", [200, 256, 300])
def test_upsampler_keeps_each_frame_at_its_own_samples(hop: int) -> None:
    # Changing frame k must change the output around samples [k·hop, (k+1)·hop): the centre of
    # the changed region lies inside that frame's span (the crop keeps the mel aligned).
    torch.manual_seed(1)
    upsampler = MelUpsampler(hop)
    mel = torch.randn(1, 3, 9)
    bumped = mel.clone()
    bumped[..., 4] += 5.0
    with torch.no_grad():
        change = (upsampler(bumped) - upsampler(mel)).abs().sum(dim=(0, 1))
    changed = torch.nonzero(change > 1e-6).flatten().float()
    assert 4 * hop <= changed.mean() <= 5 * hop
    assert changed.min() >= 3 * hop and changed.max() < 6 * hop


def test_upsampler_rejects_factors_that_do_not_make_the_hop() -> None:
    with pytest.raises(ValueError, match="multiply to 256"):
        MelUpsampler(256, [16, 15])
    assert hop_factors(251) == [251]  # a prime hop still works, with one layer


def test_cached_conditioner_gives_the_same_output_as_recomputing_it() -> None:
    model = tiny(hop=300)
    mel = torch.randn(2, 8, 5)
    audio = torch.randn(2, 1, 1500)
    steps = torch.tensor([3.0, 17.25])
    with torch.no_grad():
        naive = model(audio, steps, mel=mel)
        cached = model(audio, steps, condition=model.condition(mel))
        flat = model(audio[:, 0], steps, mel=mel)
    assert torch.equal(naive, cached)
    assert torch.equal(flat, naive[:, 0])


def test_sampling_with_the_cache_equals_the_naive_sampler_bit_for_bit() -> None:
    model = tiny()
    cfg = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
    schedule = build_schedule(cfg).fast_schedule([1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5])
    denoiser = build_denoiser(model, cfg)
    mel = torch.randn(2, 8, 3)

    def draw(cond: dict) -> torch.Tensor:
        with torch.no_grad():
            return generate(
                denoiser,
                schedule,
                (2, 1, 600),
                cond=cond,
                generator=torch.Generator().manual_seed(4),
            )

    assert torch.equal(draw({"mel": mel}), draw({"condition": model.condition(mel)}))


def test_output_starts_at_zero_and_has_the_input_shape() -> None:
    model = DiffWave(DiffWaveConfig(3, 8, 3, 4, 16))
    out = model(torch.randn(2, 64), torch.tensor([0.0, 5.0]), mel=torch.randn(2, 4, 4))
    assert out.shape == (2, 64) and bool((out == 0).all())


def test_unconditional_model_shapes_and_errors() -> None:
    model = tiny(n_mels=None)
    assert model(torch.randn(2, 1, 333), torch.tensor([1.0, 2.0])).shape == (2, 1, 333)
    with pytest.raises(ValueError, match="unconditional"):
        model(torch.randn(2, 1, 200), torch.tensor([1.0, 2.0]), mel=torch.randn(2, 8, 1))


def test_conditional_model_errors_name_the_problem() -> None:
    model = tiny()
    steps = torch.tensor([1.0])
    with pytest.raises(ValueError, match="exactly one of mel= or condition="):
        model(torch.randn(1, 1, 200), steps)
    with pytest.raises(ValueError, match="covers 400 samples"):
        model(torch.randn(1, 1, 300), steps, mel=torch.randn(1, 8, 2))
    with pytest.raises(ValueError, match=r"\(B, 8, frames\)"):
        model(torch.randn(1, 1, 200), steps, mel=torch.randn(1, 80, 1))


def reference_parameter_count(channels: int, layers: int, mels: int = 80) -> int:
    """DiffWave's layout counted by hand (Kong et al. 2021, fig. 2 and appendix): a 128-dim
    sinusoidal step code through two 512-wide FC layers; two transposed 2-D convolutions
    (3 × 32 kernels, one channel) upsample the mel; per residual layer a dilated 3-tap conv
    C → 2C, the step projection 512 → C, the mel projection 80 → 2C and the output 1×1 C → 2C;
    then the 1×1 input conv 1 → C, the skip conv C → C and the output conv C → 1."""
    step_mlp = (128 * 512 + 512) + (512 * 512 + 512)
    upsampler = 2 * (3 * 32 + 1)
    per_layer = (
        (channels * 2 * channels * 3 + 2 * channels)
        + (512 * channels + channels)
        + (mels * 2 * channels + 2 * channels)
        + (channels * 2 * channels + 2 * channels)
    )
    ends = (channels + channels) + (channels * channels + channels) + (channels + 1)
    return step_mlp + upsampler + layers * per_layer + ends


def test_paper_sizes() -> None:
    # Kong et al. state 2.64M for BASE, but the layout they describe (also LMNT's public
    # implementation of it) counts 2,619,971: the 0.8% gap is in the paper's figure.
    base = count_parameters(DiffWave(DiffWaveConfig()))
    assert base == reference_parameter_count(64, 30) == 2_619_971
    assert count_parameters(DiffWave(DiffWaveConfig(residual_channels=128))) == (
        reference_parameter_count(128, 30)
    )
    large = DiffWave(DiffWaveConfig(residual_channels=128))
    assert large.residual_stack.channels == 128 and large.residual_stack.num_layers == 30
    unconditional = DiffWave(DiffWaveConfig(36, 256, 12, None))
    assert unconditional.upsampler is None and unconditional.residual_stack.num_layers == 36


def test_a_tiny_vocoder_overfits_one_real_utterance(repo_root) -> None:
    # Copy-synthesis of ARCTIC a0007 (4 s, 16 kHz) by a 6 × 16 DiffWave trained 300 steps on
    # random 16-frame crops of it. Measured: log-mel L1 4.97 untrained, 2.39 trained (the rest
    # is mostly residual noise in near-silent frames, where the natural-log mel magnifies it).
    from diffmm.audio.io import load_audio
    from diffmm.audio.mel import MelSpectrogram, get_mel_preset
    from diffmm.models.vocoder import FAST_BETAS, Vocoder
    from diffmm.models.vocoder_training import random_crops, vocoder_loss

    torch.manual_seed(0)
    preset = get_mel_preset("hifigan", sample_rate=16000)
    wav, _ = load_audio(repo_root / "tests/data/speech/arctic_a0007.wav", sample_rate=16000)
    mel_of = MelSpectrogram(preset)
    mel = mel_of(torch.from_numpy(wav))[0]
    audio = torch.from_numpy(wav)[: mel.shape[1] * preset.hop_length]
    cfg = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
    schedule = build_schedule(cfg)
    model = DiffWave(DiffWaveConfig(6, 16, 4, 80, preset.hop_length))
    vocoder = Vocoder(model, cfg, preset, FAST_BETAS)

    def copy_synthesis_l1() -> float:
        generated = vocoder.vocode([mel], generator=torch.Generator().manual_seed(0))[0]
        with torch.no_grad():
            return float((mel_of(generated)[0] - mel).abs().mean())

    untrained = copy_synthesis_l1()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    generator = torch.Generator().manual_seed(1)
    for _ in range(300):
        crops, mels, mask = random_crops([(audio, mel)] * 4, 16 * 256, 256, generator)
        loss = vocoder_loss(model, crops, mels, schedule, cfg, mask=mask, generator=generator)
        optimizer.zero_grad()
        loss.loss.mean().backward()
        optimizer.step()
    trained = copy_synthesis_l1()
    print(f"copy-synthesis log-mel L1: untrained {untrained:.2f}, trained {trained:.2f}")
    assert untrained > 4.0
    assert trained < 0.6 * untrained
