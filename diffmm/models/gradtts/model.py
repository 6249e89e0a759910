"""The acoustic model: text encoder, duration predictor and the mel decoder's diffusion.

Grad-TTS (Popov et al. 2021): the encoder's per-token means μ̃ are aligned to the mel frames by
monotonic alignment search (the most likely path under N(y_j; μ̃_i, I)); μ = the aligned means
is the mean of the terminal distribution N(μ, I) of the decoder's diffusion, the mean-reverting
SDE with β(t) = 0.05 + (20 − 0.05)t. In the engine's whitened coordinates z = x − μ that SDE is
the plain VP SDE, so the decoder loss is the engine's ``simple_loss`` with ``prior =
GaussianPrior(μ, 1)``: the paper's λ(t)-weighted score loss ‖σ_t s_θ + ε‖² is the ε-target
loss of a network that outputs the score (``parameterization: score``, target ``eps``).
Training loss = prior loss + duration loss + diffusion loss on one random segment.

The same module trains the flow-matching decoder (Matcha-TTS: ``schedule: flow``,
``parameterization: flow``) and PriorGrad's acoustic model (``phoneme_prior``: N(μ_phone,
σ²_phone) replaces N(μ, I) as the terminal distribution; the decoder still sees μ).

Multi-speaker (``n_speakers`` > 1, Grad-TTS's multi-speaker variant): a table of
n_speakers × 64 embeddings; the speaker's embedding joins every token in the encoder and
duration predictor, and an MLP (64 → 256 → Mish → F) turns it into the per-bin vector s the
decoder reads as a condition channel. With one speaker (the default) none of this exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

from diffmm.diffusion.config import DiffusionConfig, build_denoiser
from diffmm.diffusion.losses import simple_loss
from diffmm.diffusion.prior import GaussianPrior
from diffmm.diffusion.schedules import NoiseSchedule
from diffmm.models.gradtts.alignment import (
    durations_from_alignment,
    expand_to_frames,
    frame_log_likelihood,
)
from diffmm.models.gradtts.decoder import UNetMelDecoder, WaveNetMelDecoder
from diffmm.models.gradtts.grad_unet import GradUNetMelDecoder
from diffmm.models.gradtts.losses import cut_segments, duration_loss, prior_loss, random_segments
from diffmm.models.gradtts.phoneme_prior import PhonemePrior
from diffmm.models.gradtts.text_encoder import TextEncoder, sequence_mask
from diffmm.models.registry import register_family
from diffmm.nn.alignment import monotonic_alignment_search


@dataclass
class GradTTSConfig:
    """Network sizes; the defaults are Grad-TTS's (LJSpeech)."""

    n_vocab: int = 80  # the symbol table's size (the recipe sets it from the table)
    n_feats: int = 80  # mel bins
    encoder_channels: int = 192
    encoder_hidden: int = 768  # feed-forward width
    encoder_heads: int = 2
    encoder_layers: int = 6
    encoder_kernel: int = 3
    encoder_dropout: float = 0.1
    window: int = 4  # relative attention window
    prenet_layers: int = 3
    duration_channels: int = 256
    # unet: the toolkit's UNetModel; grad_unet: Grad-TTS's own (the paper's 14.8M model);
    # wavenet: PriorGrad-AM's decoder
    decoder: Literal["unet", "grad_unet", "wavenet"] = "unet"
    decoder_channels: int = 64
    decoder_channel_mult: list[int] = field(default_factory=lambda: [1, 2, 4])  # (grad_)unet
    decoder_res_blocks: int = 2  # unet
    decoder_attention: list[int] = field(default_factory=lambda: [4])  # unet: downsampling factors
    # unet: the time embedding scales and shifts the normalised activations; narrow decoders
    # (≤ 32 channels: one channel per GroupNorm group) need it, or the norm removes the time
    decoder_scale_shift: bool = False
    decoder_layers: int = 12  # wavenet
    decoder_dilation_cycle: int = 4  # wavenet
    n_speakers: int = 1  # > 1: a speaker embedding table (the recipe sets it from utt2spk)
    speaker_channels: int = 64  # the embedding's width (Grad-TTS's spk_emb_dim)


@dataclass
class DecoderSetup:
    """What the decoder loss needs besides the network: the diffusion and its prior."""

    schedule: NoiseSchedule
    diffusion: DiffusionConfig
    segment_frames: int
    phoneme_prior: PhonemePrior | None = None


class GradTTS(nn.Module):
    def __init__(self, cfg: GradTTSConfig) -> None:
        super().__init__()
        if cfg.n_speakers < 1:
            raise ValueError(f"n_speakers must be at least 1, got {cfg.n_speakers}")
        self.cfg = cfg
        speaker = cfg.n_speakers > 1
        if speaker:
            self.speaker_embedding = nn.Embedding(cfg.n_speakers, cfg.speaker_channels)
            self.speaker_projection = nn.Sequential(
                nn.Linear(cfg.speaker_channels, 4 * cfg.speaker_channels),
                nn.Mish(),
                nn.Linear(4 * cfg.speaker_channels, cfg.n_feats),
            )
        self.encoder = TextEncoder(
            cfg.n_vocab,
            cfg.n_feats,
            cfg.encoder_channels,
            cfg.encoder_hidden,
            cfg.encoder_heads,
            cfg.encoder_layers,
            cfg.encoder_kernel,
            cfg.encoder_dropout,
            cfg.window,
            cfg.prenet_layers,
            cfg.duration_channels,
            cfg.speaker_channels if speaker else 0,
        )
        if cfg.decoder == "unet":
            self.decoder: nn.Module = UNetMelDecoder(
                cfg.decoder_channels,
                tuple(cfg.decoder_channel_mult),
                cfg.decoder_res_blocks,
                tuple(cfg.decoder_attention),
                cfg.decoder_scale_shift,
                speaker,
            )
        elif cfg.decoder == "grad_unet":
            self.decoder = GradUNetMelDecoder(
                cfg.decoder_channels, tuple(cfg.decoder_channel_mult), speaker
            )
        elif cfg.decoder == "wavenet":
            self.decoder = WaveNetMelDecoder(
                cfg.n_feats,
                cfg.decoder_channels,
                cfg.decoder_layers,
                cfg.decoder_dilation_cycle,
                speaker,
            )
        else:
            raise ValueError(f"unknown decoder {cfg.decoder!r}; known: unet, grad_unet, wavenet")

    def speaker_inputs(self, speakers: Tensor | None) -> tuple[Tensor | None, Tensor | None]:
        """Speaker ids (B,) → (the encoder's embedding (B, 64), the decoder's vector s (B, F));
        (None, None) for a single-speaker model, which takes no ids."""
        if self.cfg.n_speakers == 1:
            if speakers is not None:
                raise ValueError("speaker ids given to a single-speaker model")
            return None, None
        if speakers is None:
            raise ValueError(f"this model has {self.cfg.n_speakers} speakers: speaker ids needed")
        embedding = self.speaker_embedding(speakers)
        return embedding, self.speaker_projection(embedding)

    def align(self, mu: Tensor, mel: Tensor, text_mask: Tensor, mel_mask: Tensor) -> Tensor:
        """MAS under N(y_j; μ̃_i, I): the hard alignment (B, T_text, T_mel)."""
        with torch.no_grad():
            log_likelihood = frame_log_likelihood(mu.detach(), mel)
            return monotonic_alignment_search(log_likelihood, text_mask[:, 0], mel_mask[:, 0])

    def forward(
        self,
        tokens: Tensor,
        token_lengths: Tensor,
        mel: Tensor,
        mel_lengths: Tensor,
        setup: DecoderSetup,
        generator: torch.Generator | None = None,
        speakers: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """The three training losses (scalars) of a padded batch: tokens (B, T_text), mel
        (B, F, T_mel), their lengths (B,), and the speaker ids (B,) of a multi-speaker model."""
        speaker_embedding, speaker = self.speaker_inputs(speakers)
        mu_tokens, log_durations, text_mask = self.encoder(tokens, token_lengths, speaker_embedding)
        mel_mask = sequence_mask(mel_lengths, mel.shape[-1]).to(mel)
        alignment = self.align(mu_tokens, mel, text_mask, mel_mask)
        losses = {
            "duration": duration_loss(log_durations, durations_from_alignment(alignment), text_mask)
        }
        starts = random_segments(mel_lengths, setup.segment_frames, generator)
        mel = cut_segments(mel, starts, setup.segment_frames)
        mel_mask = cut_segments(mel_mask, starts, setup.segment_frames)
        alignment = cut_segments(alignment, starts, setup.segment_frames)
        mu = expand_to_frames(mu_tokens, alignment)
        losses["prior"] = prior_loss(mel, mu, mel_mask)
        prior = diffusion_prior(mu, mel_mask, setup.phoneme_prior, tokens, alignment)
        decoder_loss = simple_loss(
            build_denoiser(self.decoder, setup.diffusion),
            mel * mel_mask,
            setup.schedule,
            prior=prior,
            cond=decoder_condition(mu, mel_mask, prior, setup.phoneme_prior is not None, speaker),
            target=loss_target(setup.diffusion),
            mask=mel_mask,
            generator=generator,
        )
        losses["diffusion"] = decoder_loss.loss.mean()
        return losses


def loss_target(diffusion: DiffusionConfig) -> str:
    """The decoder's regression target: ε for score/ε networks (Grad-TTS's λ(t)-weighted
    score matching, PriorGrad's Σ⁻¹-weighted loss), the network's own output otherwise."""
    return (
        "eps"
        if diffusion.parameterization in ("score", "eps", "eps_x")
        else diffusion.parameterization
    )


def diffusion_prior(
    mu: Tensor,
    mel_mask: Tensor,
    phoneme_prior: PhonemePrior | None,
    tokens: Tensor,
    alignment: Tensor,
) -> GaussianPrior:
    """Grad-TTS's N(μ, I), or PriorGrad's N(μ_phone, σ²_phone) of the aligned tokens."""
    if phoneme_prior is None:
        return GaussianPrior(mu * mel_mask, 1.0)
    return phoneme_prior.prior(tokens, alignment, mel_mask)


def decoder_condition(
    mu: Tensor,
    mel_mask: Tensor,
    prior: GaussianPrior,
    phoneme: bool,
    speaker: Tensor | None = None,
) -> dict[str, Tensor]:
    """The decoder's keyword inputs: μ and the mask, a phoneme prior's mean and std, and a
    multi-speaker model's per-bin speaker vector s (B, F)."""
    cond = {"mu": mu, "mask": mel_mask}
    if phoneme:
        cond.update(prior_mean=torch.as_tensor(prior.mean), prior_std=torch.as_tensor(prior.std))
    if speaker is not None:
        cond["speaker"] = speaker
    return cond


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@register_family("gradtts")
def build_gradtts(config: dict) -> GradTTS:
    """Rebuild the acoustic model from a bundle's config dictionary."""
    return GradTTS(GradTTSConfig(**config["model"]))
