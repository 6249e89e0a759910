"""The score/noise networks of the acoustic models: x_t (B, F, T) at time t, conditioned on
the aligned encoder output μ (B, F, T), masked to the valid frames.

- ``UNetMelDecoder``: Grad-TTS's decoder, a 2-D U-Net over (mel bins × frames) whose input
  is μ and x_t stacked as two channels (``diffmm.nn`` preset ``gradtts_decoder``: base 64,
  mult 1, 2, 4). Matcha-TTS's flow-matching decoder is trained on the same network here.
- ``WaveNetMelDecoder``: PriorGrad's acoustic decoder, a residual stack of gated dilated convs
  along the frames (12 layers × 128 channels in the paper) with μ as the per-frame conditioner.

Under a phoneme prior both read x_t whitened by it (``whiten_input``). A multi-speaker model
hands them the speaker's per-bin vector s (B, F) (``speaker``): the U-Nets stack it over the
frames as one more input channel (as Grad-TTS does), the WaveNet appends it to its conditioner.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from diffmm.nn.embeddings import TimestepEmbedding
from diffmm.nn.unet_presets import unet_preset
from diffmm.nn.wavenet import ResidualStack

STEP_EMBED_DIM = 512


def whiten_input(x_t: Tensor, prior_mean: Tensor | None, prior_std: Tensor | None) -> Tensor:
    """x_t as the decoder reads it: (x_t − μ_phone)/σ_phone under PriorGrad-AM's phoneme prior
    (the statistics belong to the token ids, which the encoder output μ only implies: a network
    that had to recover them from μ learnt nothing in 400 mini steps), x_t itself otherwise."""
    if prior_mean is None or prior_std is None:
        return x_t
    return (x_t - prior_mean) / prior_std


def frames_of(speaker: Tensor, frames: int) -> Tensor:
    """The speaker's per-bin vector (B, F) repeated over ``frames``: (B, F, frames)."""
    return speaker[:, :, None].expand(-1, -1, frames)


class UNetMelDecoder(nn.Module):
    def __init__(
        self,
        channels: int = 64,
        channel_mult: tuple[int, ...] = (1, 2, 4),
        num_res_blocks: int = 2,
        attention_resolutions: tuple[int, ...] = (4,),
        use_scale_shift_norm: bool = False,
        speaker: bool = False,
    ) -> None:
        super().__init__()
        self.unet = unet_preset(
            "gradtts_decoder",
            in_channels=2 + int(speaker),
            model_channels=channels,
            channel_mult=tuple(channel_mult),
            num_res_blocks=num_res_blocks,
            attention_resolutions=tuple(attention_resolutions),
            use_scale_shift_norm=use_scale_shift_norm,
        )

    def forward(
        self,
        x_t: Tensor,
        time: Tensor,
        mu: Tensor,
        mask: Tensor,
        prior_mean: Tensor | None = None,
        prior_std: Tensor | None = None,
        speaker: Tensor | None = None,
    ) -> Tensor:
        channels = [mu, whiten_input(x_t, prior_mean, prior_std)]  # μ first as in Grad-TTS
        if speaker is not None:
            channels.append(frames_of(speaker, x_t.shape[-1]))
        return self.unet(torch.stack(channels, dim=1) * mask[:, None], time)[:, 0] * mask


class WaveNetMelDecoder(nn.Module):
    def __init__(
        self,
        n_feats: int = 80,
        channels: int = 128,
        num_layers: int = 12,
        dilation_cycle: int = 4,
        speaker: bool = False,
    ) -> None:
        super().__init__()
        self.input_projection = nn.Sequential(nn.Conv1d(n_feats, channels, 1), nn.ReLU())
        self.step_embedding = nn.Sequential(TimestepEmbedding(128, STEP_EMBED_DIM), nn.SiLU())
        self.residual_stack = ResidualStack(
            channels,
            num_layers,
            dilation_cycle,
            STEP_EMBED_DIM,
            condition_channels=n_feats * (1 + int(speaker)),
        )
        self.skip_projection = nn.Sequential(nn.Conv1d(channels, channels, 1), nn.ReLU())
        self.output_projection = nn.Conv1d(channels, n_feats, 1)
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)

    def forward(
        self,
        x_t: Tensor,
        time: Tensor,
        mu: Tensor,
        mask: Tensor,
        prior_mean: Tensor | None = None,
        prior_std: Tensor | None = None,
        speaker: Tensor | None = None,
    ) -> Tensor:
        h = self.input_projection(whiten_input(x_t, prior_mean, prior_std) * mask)
        condition = mu if speaker is None else torch.cat([mu, frames_of(speaker, mu.shape[-1])], 1)
        h = self.residual_stack(
            h, self.step_embedding(time.to(h.dtype)), condition=condition * mask
        )
        return self.output_projection(self.skip_projection(h)) * mask
