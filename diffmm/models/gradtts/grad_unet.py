"""Grad-TTS's own decoder network (Popov et al. 2021, the released ``GradLogPEstimator2d``
layout), rebuilt here so the ``ljspeech`` configs have the paper's 14.8M parameters.

A 2-D U-Net over (mel bins × frames) whose input stacks μ and x_t (and, for a multi-speaker
model, the speaker's per-bin vector s broadcast over the frames) as channels. Per level
(widths dim · mult): two ResNet blocks (conv 3×3 → GroupNorm(8) → Mish, twice, the time
embedding added between; a 1×1 residual when the width changes), linear attention (4 heads ×
32) behind a ReZero gate, and a stride-2 conv down; the middle is block, attention, block;
the way up has one level fewer, each starting from the skip concatenated and ending in a
transposed conv; a final block and a 1×1 conv give the one-channel output. The time
embedding is sinusoid(t) → Linear(dim, 4·dim) → Mish → Linear(4·dim, dim).

It differs from the toolkit's guided-diffusion ``UNetModel`` (``decoder: unet``): narrower
time embedding, no output-side extra block per level, linear attention at every level
(softmax attention over 80·T positions would be quadratic), and the frame mask applied
inside each block, as in the released code.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.models.gradtts.decoder import frames_of, whiten_input
from diffmm.nn.embeddings import timestep_embedding


class ConvNormMish(nn.Module):
    """Conv 3×3 → GroupNorm → Mish of the masked input, masked again."""

    def __init__(self, channels_in: int, channels_out: int, groups: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, 3, padding=1)
        self.norm = nn.GroupNorm(groups, channels_out)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return F.mish(self.norm(self.conv(x * mask))) * mask


class TimeResBlock(nn.Module):
    """Two ConvNormMish with the projected time embedding added between; 1×1 skip."""

    def __init__(self, channels_in: int, channels_out: int, time_dim: int) -> None:
        super().__init__()
        self.time = nn.Sequential(nn.Mish(), nn.Linear(time_dim, channels_out))
        self.block_1 = ConvNormMish(channels_in, channels_out)
        self.block_2 = ConvNormMish(channels_out, channels_out)
        self.skip = (
            nn.Conv2d(channels_in, channels_out, 1)
            if channels_in != channels_out
            else nn.Identity()
        )

    def forward(self, x: Tensor, mask: Tensor, time: Tensor) -> Tensor:
        h = self.block_1(x, mask) + self.time(time)[:, :, None, None]
        return self.block_2(h, mask) + self.skip(x * mask)


class GatedLinearAttention(nn.Module):
    """x + g · LinearAttention(x), g a learnt scalar starting at 0 (ReZero).

    Linear attention (Shen et al. 2021): keys softmax-normalised over the positions, the
    (d × d) context Σ_n k_n v_nᵀ per head, read out by the queries: O(positions) not O(n²).
    """

    def __init__(self, channels: int, heads: int = 4, head_channels: int = 32) -> None:
        super().__init__()
        self.heads = heads
        hidden = heads * head_channels
        self.to_qkv = nn.Conv2d(channels, 3 * hidden, 1, bias=False)
        self.to_out = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        b, _, height, width = x.shape
        q, k, v = self.to_qkv(x).reshape(b, 3, self.heads, -1, height * width).unbind(1)
        context = torch.einsum("bhdn,bhen->bhde", k.softmax(dim=-1), v)
        out = torch.einsum("bhde,bhdn->bhen", context, q).reshape(b, -1, height, width)
        return x + self.gate * self.to_out(out)


class GradUNetMelDecoder(nn.Module):
    """Grad-TTS's score network: (x_t, time, μ, mask) → (B, F, T), masked to valid frames."""

    def __init__(
        self, channels: int = 64, channel_mult: tuple[int, ...] = (1, 2, 4), speaker: bool = False
    ) -> None:
        super().__init__()
        self.channels = channels
        self.time_mlp = nn.Sequential(
            nn.Linear(channels, 4 * channels), nn.Mish(), nn.Linear(4 * channels, channels)
        )
        widths = [2 + int(speaker)] + [channels * m for m in channel_mult]
        pairs = list(pairwise(widths))
        self.size_multiple = 2 ** (len(pairs) - 1)
        self.downs = nn.ModuleList()
        for level, (w_in, w_out) in enumerate(pairs):
            last = level == len(pairs) - 1
            self.downs.append(
                nn.ModuleList(
                    [
                        TimeResBlock(w_in, w_out, channels),
                        TimeResBlock(w_out, w_out, channels),
                        GatedLinearAttention(w_out),
                        nn.Identity() if last else nn.Conv2d(w_out, w_out, 3, 2, 1),
                    ]
                )
            )
        middle = widths[-1]
        self.mid_1 = TimeResBlock(middle, middle, channels)
        self.mid_attention = GatedLinearAttention(middle)
        self.mid_2 = TimeResBlock(middle, middle, channels)
        self.ups = nn.ModuleList(
            nn.ModuleList(
                [
                    TimeResBlock(2 * w_out, w_in, channels),
                    TimeResBlock(w_in, w_in, channels),
                    GatedLinearAttention(w_in),
                    nn.ConvTranspose2d(w_in, w_in, 4, 2, 1),
                ]
            )
            for w_in, w_out in reversed(pairs[1:])
        )
        self.final_block = ConvNormMish(channels, channels)
        self.final_conv = nn.Conv2d(channels, 1, 1)

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
        """x_t, μ (B, F, T); time (B,) or a scalar (already scaled, e.g. 1000 t); mask (B, 1, T);
        speaker (B, F): the speaker's vector s, stacked as a third channel."""
        n_feats, frames = x_t.shape[-2:]
        channels = [mu, whiten_input(x_t, prior_mean, prior_std)]
        if speaker is not None:
            channels.append(frames_of(speaker, frames))
        h = torch.stack(channels, dim=1) * mask[:, None]
        m = self.size_multiple
        pad_f, pad_t = -n_feats % m, -frames % m  # each level halves both axes
        h = F.pad(h, (0, pad_t, 0, pad_f))
        level_mask = F.pad(mask[:, None], (0, pad_t))  # (B, 1, 1, T'): the bins are all valid
        time = torch.as_tensor(time, device=x_t.device).expand(x_t.shape[0])
        t = self.time_mlp(timestep_embedding(time, self.channels).to(h.dtype))
        skips, masks = [], [level_mask]
        for block_1, block_2, attention, down in self.downs:
            h = attention(block_2(block_1(h, masks[-1], t), masks[-1], t))
            skips.append(h)
            h = down(h * masks[-1])
            masks.append(masks[-1][..., ::2])
        masks.pop()
        h = self.mid_2(self.mid_attention(self.mid_1(h, masks[-1], t)), masks[-1], t)
        for block_1, block_2, attention, up in self.ups:
            level_mask = masks.pop()
            h = torch.cat([h, skips.pop()], dim=1)
            h = up(attention(block_2(block_1(h, level_mask, t), level_mask, t)) * level_mask)
        out = self.final_conv(self.final_block(h, masks[0]) * masks[0])
        return out[:, 0, :n_feats, :frames] * mask
