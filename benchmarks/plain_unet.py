"""The plain implementation of guided-diffusion's UNet maths that ``unet_cpu.py`` compares
diffmm's UNet with when no reference checkout is given: interpolate-then-conv upsampling,
attention by two einsums, nn.Sequential blocks, under guided-diffusion's parameter names.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class PlainResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int, dropout: float) -> None:
        super().__init__()
        self.in_layers = nn.Sequential(
            nn.GroupNorm(32, cin), nn.SiLU(), nn.Conv2d(cin, cout, 3, padding=1)
        )
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb, cout))
        self.out_layers = nn.Sequential(
            nn.GroupNorm(32, cout), nn.SiLU(), nn.Dropout(dropout), nn.Conv2d(cout, cout, 3, padding=1)
        )  # fmt: skip
        self.skip_connection = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.in_layers(x) + self.emb_layers(emb)[:, :, None, None]
        return self.skip_connection(x) + self.out_layers(h)


class PlainAttention(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(32, ch)
        self.qkv = nn.Conv1d(ch, 3 * ch, 1)
        self.proj_out = nn.Conv1d(ch, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, *spatial = x.shape
        q, k, v = self.qkv(self.norm(x).reshape(b, c, -1)).chunk(3, dim=1)
        weight = torch.einsum("bct,bcs->bts", q, k) / c**0.5
        out = torch.einsum("bts,bcs->bct", weight.softmax(dim=-1), v)
        return x + self.proj_out(out).reshape(b, c, *spatial)


class PlainSequential(nn.Sequential):
    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        for layer in self:
            x = layer(x, emb) if isinstance(layer, PlainResBlock) else layer(x)
        return x


class PlainUpsample(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class PlainDownsample(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.op = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class PlainUNet(nn.Module):
    """The DDPM CIFAR-10 UNet in guided-diffusion's layout and parameter names."""

    def __init__(self, in_channels, model_channels, out_channels, channel_mult, num_res_blocks,
                 attention_resolutions, dropout, **_) -> None:  # fmt: skip
        super().__init__()
        ch, emb = model_channels, 4 * model_channels
        self.ch = ch
        self.time_embed = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.input_blocks = nn.ModuleList(
            [PlainSequential(nn.Conv2d(in_channels, ch, 3, padding=1))]
        )
        chans, c, ds = [ch], ch, 1
        for level, m in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers = [PlainResBlock(c, m * ch, emb, dropout)]
                c = m * ch
                if ds in attention_resolutions:
                    layers.append(PlainAttention(c))
                self.input_blocks.append(PlainSequential(*layers))
                chans.append(c)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(PlainSequential(PlainDownsample(c)))
                chans.append(c)
                ds *= 2
        self.middle_block = PlainSequential(
            PlainResBlock(c, c, emb, dropout), PlainAttention(c), PlainResBlock(c, c, emb, dropout)
        )
        self.output_blocks = nn.ModuleList()
        for level, m in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks + 1):
                layers = [PlainResBlock(c + chans.pop(), m * ch, emb, dropout)]
                c = m * ch
                if ds in attention_resolutions:
                    layers.append(PlainAttention(c))
                if level and i == num_res_blocks:
                    layers.append(PlainUpsample(c))
                    ds //= 2
                self.output_blocks.append(PlainSequential(*layers))
        self.out = nn.Sequential(
            nn.GroupNorm(32, c), nn.SiLU(), nn.Conv2d(c, out_channels, 3, padding=1)
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        half = self.ch // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        args = t.float()[:, None] * freqs[None]
        emb = self.time_embed(torch.cat([torch.cos(args), torch.sin(args)], dim=-1))
        hs, h = [], x
        for block in self.input_blocks:
            h = block(h, emb)
            hs.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb)
        return self.out(h)
