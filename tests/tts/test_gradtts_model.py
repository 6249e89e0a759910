"""Grad-TTS pieces against hand computations on tiny tensors: relative attention, the MAS
log-likelihood, prior and duration losses, alignments, segments, the training forward and
PriorGrad-AM's phoneme statistics."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.diffusion.config import DiffusionConfig, build_schedule
from diffmm.models.gradtts import DecoderSetup, GradTTS, GradTTSConfig, PhonemePrior
from diffmm.models.gradtts.alignment import (
    alignment_from_durations,
    durations_from_alignment,
    expand_to_frames,
    frame_log_likelihood,
    predicted_durations,
)
from diffmm.models.gradtts.losses import cut_segments, duration_loss, prior_loss, random_segments
from diffmm.nn.relative_transformer import RelativeMultiHeadAttention

pytestmark = pytest.mark.tts

TINY_SIZES = dict(
    encoder_channels=16,
    encoder_hidden=32,
    encoder_layers=2,
    duration_channels=16,
    decoder_channels=8,
    decoder_channel_mult=[1, 2],
    decoder_res_blocks=1,
    decoder_attention=[],
    decoder_scale_shift=True,
)
TINY = GradTTSConfig(n_vocab=12, n_feats=8, **TINY_SIZES)
GRAD_TTS = DiffusionConfig(
    schedule="vp", beta_min=0.05, beta_max=20.0, t_min=1e-5, time_scale=1000.0,
    parameterization="score",
)  # fmt: skip


def test_relative_attention_matches_hand_computation():
    torch.manual_seed(0)
    attention = RelativeMultiHeadAttention(4, num_heads=1, window=1).eval()
    x = torch.randn(1, 4, 5)
    mask = torch.ones(1, 1, 5, 5)
    q = attention.query(x)[0].T / 2.0  # √d = 2
    k, v = attention.key(x)[0].T, attention.value(x)[0].T
    rk, rv = attention.relative_keys, attention.relative_values
    out = torch.zeros(5, 4)
    for i in range(5):
        logits = torch.stack(
            [q[i] @ (k[j] + (rk[j - i + 1] if abs(j - i) <= 1 else 0)) for j in range(5)]
        )
        p = torch.softmax(logits, 0)
        for j in range(5):
            out[i] += p[j] * (v[j] + (rv[j - i + 1] if abs(j - i) <= 1 else 0))
    expected = attention.output(out.T[None])
    assert torch.allclose(attention(x, mask), expected, atol=1e-5)


def test_encoder_ignores_padding():
    torch.manual_seed(0)
    model = GradTTS(TINY).eval()
    tokens = torch.tensor([[3, 4, 5, 6, 0, 0]])
    other = torch.tensor([[3, 4, 5, 6, 9, 11]])
    lengths = torch.tensor([4])
    mu_a, logw_a, _ = model.encoder(tokens, lengths)
    mu_b, logw_b, mask = model.encoder(other, lengths)
    assert torch.allclose(mu_a, mu_b, atol=1e-6) and torch.allclose(logw_a, logw_b, atol=1e-6)
    assert mask.tolist() == [[[1, 1, 1, 1, 0, 0]]] and (mu_a[..., 4:] == 0).all()


def test_frame_log_likelihood_is_the_gaussian_log_density():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(2, 3, 4, generator=generator)
    std = torch.rand(2, 3, 4, generator=generator) + 0.5
    mel = torch.randn(2, 3, 6, generator=generator)
    for s in (None, std):
        scale = torch.ones_like(mu) if s is None else s
        normal = torch.distributions.Normal(mu[..., :, None], scale[..., :, None])
        expected = normal.log_prob(mel[..., None, :]).sum(1)  # (B, T_text, T_mel)
        assert torch.allclose(frame_log_likelihood(mu, mel, s), expected, atol=1e-4)


def test_prior_loss_by_hand():
    mel = torch.zeros(1, 2, 3)
    mu = torch.tensor([[[1.0, 2.0, 5.0], [0.0, 0.0, 5.0]]])
    mask = torch.tensor([[[1.0, 1.0, 0.0]]])
    # valid values: (y − μ)² = 1, 4, 0, 0 → mean ½(5/4 + log 2π)
    assert torch.isclose(
        prior_loss(mel, mu, mask), torch.tensor(0.5 * (1.25 + math.log(2 * math.pi)))
    )
    std = torch.full_like(mu, 2.0)
    expected = 0.5 * (1.25 / 4 + math.log(2 * math.pi)) + math.log(2.0)
    assert torch.isclose(prior_loss(mel, mu, mask, std), torch.tensor(expected))


def test_duration_loss_by_hand():
    log_durations = torch.tensor([[[0.0, 1.0, 7.0]]])
    durations = torch.tensor([[1.0, 2.0, 0.0]])
    mask = torch.tensor([[[1.0, 1.0, 0.0]]])
    expected = ((0.0 - 0.0) ** 2 + (1.0 - math.log(2.0)) ** 2) / 2
    assert torch.isclose(
        duration_loss(log_durations, durations, mask), torch.tensor(expected), atol=1e-6
    )


def test_durations_alignment_round_trip_and_expansion():
    durations = torch.tensor([[2, 1, 3], [1, 1, 0]])
    alignment = alignment_from_durations(durations)
    assert alignment.shape == (2, 3, 6)
    assert torch.equal(durations_from_alignment(alignment).long(), durations)
    assert (alignment.sum(1)[0] == 1).all()  # every frame of item 0 has exactly one token
    values = torch.tensor([[[10.0, 20.0, 30.0]]])
    assert expand_to_frames(values, alignment[:1]).tolist() == [[[10, 10, 20, 30, 30, 30]]]


def test_predicted_durations_round_up_and_scale():
    log_d = torch.log(torch.tensor([[[0.2, 1.5, 2.0, 9.0]]]))
    mask = torch.tensor([[[1.0, 1.0, 1.0, 0.0]]])
    assert predicted_durations(log_d, mask).tolist() == [[1.0, 2.0, 2.0, 0.0]]
    assert predicted_durations(log_d, mask, 2.0).tolist() == [[1.0, 3.0, 4.0, 0.0]]
    tiny = torch.full((1, 1, 3), -20.0)
    assert predicted_durations(tiny, torch.ones(1, 1, 3)).sum() >= 1


def test_segments_lie_inside_the_utterance():
    lengths = torch.tensor([50, 10, 30])
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        starts = random_segments(lengths, 20, generator)
        assert ((starts >= 0) & (starts <= (lengths - 20).clamp_min(0))).all()
    x = torch.arange(50.0).expand(3, 2, 50)
    cut = cut_segments(x, torch.tensor([30, 0, 5]), 20)
    assert cut.shape == (3, 2, 20) and cut[0, 0, 0] == 30 and cut[2, 1, -1] == 24


def test_mas_inside_the_model_recovers_a_planted_alignment():
    """Mels built from distinct per-token means along known durations are aligned back to
    exactly those durations."""
    model = GradTTS(TINY)
    generator = torch.Generator().manual_seed(1)
    mu = 5 * torch.randn(1, 8, 4, generator=generator)
    durations = torch.tensor([[3, 1, 4, 2]])
    mel = expand_to_frames(mu, alignment_from_durations(durations))
    alignment = model.align(mu, mel, torch.ones(1, 1, 4), torch.ones(1, 1, 10))
    assert torch.equal(durations_from_alignment(alignment).long(), durations)


@pytest.fixture(scope="module")
def batch():
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(1, 12, (2, 7), generator=generator)
    tokens[1, 5:] = 0
    mel = torch.randn(2, 8, 30, generator=generator)
    return tokens, torch.tensor([7, 5]), mel, torch.tensor([30, 18])


@pytest.mark.parametrize(
    "diffusion",
    [
        GRAD_TTS,
        DiffusionConfig(
            schedule="flow", sigma_min=1e-4, time_scale=1000.0, parameterization="flow"
        ),
    ],
    ids=["gradtts", "flow"],
)
def test_training_losses_are_finite_and_reach_every_part(batch, diffusion):
    torch.manual_seed(0)
    model = GradTTS(TINY)
    setup = DecoderSetup(build_schedule(diffusion), diffusion, segment_frames=16)
    losses = model(*batch, setup, torch.Generator().manual_seed(0))
    assert set(losses) == {"duration", "prior", "diffusion"}
    assert all(torch.isfinite(v) and v.ndim == 0 for v in losses.values())
    sum(losses.values()).backward()
    for name in ("encoder.projection.weight", "encoder.duration_predictor.projection.weight"):
        assert model.get_parameter(name).grad.abs().sum() > 0, name
    # the decoder's output conv starts at zero; its gradient must not
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.decoder.parameters())


def test_duration_loss_does_not_reach_the_encoder(batch):
    model = GradTTS(TINY)
    setup = DecoderSetup(build_schedule(GRAD_TTS), GRAD_TTS, segment_frames=16)
    model(*batch, setup)["duration"].backward()
    assert model.encoder.projection.weight.grad is None
    assert model.encoder.embedding.weight.grad is None


def test_phoneme_prior_from_hand_computed_statistics():
    tokens = torch.tensor([1, 2, 1])
    durations = torch.tensor([2, 1, 1])
    mel = torch.tensor([[1.0, 3.0, 7.0, 5.0], [0.0, 0.0, 2.0, 0.3]])
    stats = PhonemePrior.from_alignments([(tokens, durations, mel)], n_symbols=4)
    # symbol 1 covers frames 0, 1, 3: bin 0 values 1, 3, 5 → mean 3, std √(8/3);
    # bin 1 values 0, 0, 0.3 → mean 0.1, std √0.02
    assert torch.allclose(stats.mean[1], torch.tensor([3.0, 0.1]))
    assert torch.allclose(
        stats.std[1], torch.tensor([math.sqrt(8 / 3), math.sqrt(0.02)]), atol=1e-5
    )
    # symbol 2 is one frame: std 0 floored at 0.1; unseen symbols take the global statistics
    assert torch.allclose(stats.std[2], torch.tensor([0.1, 0.1]))
    assert torch.allclose(stats.mean[0], mel.mean(1)) and torch.allclose(stats.mean[3], mel.mean(1))
    prior = stats.prior(
        tokens[None],
        alignment_from_durations(durations[None], 5),
        torch.tensor([[[1.0, 1, 1, 1, 0]]]),
    )
    assert torch.allclose(prior.mean[0, 0], torch.tensor([3.0, 3.0, 7.0, 3.0, 0.0]))
    assert float(prior.std[0, 0, 4]) == 1.0
