"""CPU benchmark: diffmm's ddpm_cifar10 UNet against a plain guided-diffusion-style UNet.

Both networks have the DDPM CIFAR-10 layout (35,746,307 parameters). The reference below is
written the straightforward way: 1×1 Conv1d q/k/v, attention by two einsums with a float32
softmax, standard nn.GroupNorm, nn.Sequential blocks. Ours uses scaled_dot_product_attention
and GroupNorm32 (float32 statistics under autocast).

Measured, batch 8 × 3 × 32 × 32:
- forward: eval mode, torch.no_grad;
- train step: train mode (dropout 0.1), MSE to a noise target, backward, Adam step;
  both timed in one process, alternating ours/reference repeat by repeat (the machine is
  shared, so load falls on both alike); median and min over the timed repeats;
- peak memory: resource.getrusage(RUSAGE_SELF).ru_maxrss (peak resident set of the whole
  process, torch included) of a separate process per network, so each peak is its own.

    python benchmarks/unet_cpu.py [--threads 2] [--warmup 2] [--repeats 7] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

BATCH, CHANNELS, SIZE = 8, 3, 32


# ---------------------------------------------------------------- reference implementation
def ref_timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def ref_zero(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        p.detach().zero_()
    return module


class RefResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int, dropout: float) -> None:
        super().__init__()
        self.in_layers = nn.Sequential(
            nn.GroupNorm(32, cin), nn.SiLU(), nn.Conv2d(cin, cout, 3, 1, 1)
        )
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb, cout))
        self.out_layers = nn.Sequential(
            nn.GroupNorm(32, cout),
            nn.SiLU(),
            nn.Dropout(dropout),
            ref_zero(nn.Conv2d(cout, cout, 3, 1, 1)),
        )
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.in_layers(x) + self.emb_layers(emb)[:, :, None, None]
        return self.skip(x) + self.out_layers(h)


class RefAttention(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(32, ch)
        self.qkv = nn.Conv1d(ch, 3 * ch, 1)
        self.proj = ref_zero(nn.Conv1d(ch, ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, *spatial = x.shape
        q, k, v = self.qkv(self.norm(x).reshape(b, c, -1)).chunk(3, dim=1)
        scale = c**-0.25
        weight = torch.einsum("bct,bcs->bts", q * scale, k * scale)
        weight = torch.softmax(weight.float(), dim=-1).type(weight.dtype)
        out = torch.einsum("bts,bcs->bct", weight, v)
        return x + self.proj(out).reshape(b, c, *spatial)


class RefSequential(nn.Sequential):
    def forward(self, x, emb):
        for layer in self:
            x = layer(x, emb) if isinstance(layer, RefResBlock) else layer(x)
        return x


class RefUp(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class RefUNet(nn.Module):
    """DDPM CIFAR-10: ch 128, mult (1,2,2,2), 2 res blocks, attention at 16×16, dropout 0.1."""

    def __init__(self, ch=128, mult=(1, 2, 2, 2), nrb=2, attn=(2,), dropout=0.1) -> None:
        super().__init__()
        emb = 4 * ch
        self.ch = ch
        self.time_embed = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.input_blocks = nn.ModuleList([RefSequential(nn.Conv2d(3, ch, 3, 1, 1))])
        chans, c, ds = [ch], ch, 1
        for level, m in enumerate(mult):
            for _ in range(nrb):
                layers = [RefResBlock(c, m * ch, emb, dropout)]
                c = m * ch
                if ds in attn:
                    layers.append(RefAttention(c))
                self.input_blocks.append(RefSequential(*layers))
                chans.append(c)
            if level != len(mult) - 1:
                self.input_blocks.append(RefSequential(nn.Conv2d(c, c, 3, 2, 1)))
                chans.append(c)
                ds *= 2
        self.middle = RefSequential(
            RefResBlock(c, c, emb, dropout), RefAttention(c), RefResBlock(c, c, emb, dropout)
        )
        self.output_blocks = nn.ModuleList()
        for level, m in reversed(list(enumerate(mult))):
            for i in range(nrb + 1):
                layers = [RefResBlock(c + chans.pop(), m * ch, emb, dropout)]
                c = m * ch
                if ds in attn:
                    layers.append(RefAttention(c))
                if level and i == nrb:
                    layers.append(RefUp(c))
                    ds //= 2
                self.output_blocks.append(RefSequential(*layers))
        self.out = nn.Sequential(nn.GroupNorm(32, c), nn.SiLU(), ref_zero(nn.Conv2d(c, 3, 3, 1, 1)))

    def forward(self, x, t):
        emb = self.time_embed(ref_timestep_embedding(t, self.ch))
        hs, h = [], x
        for block in self.input_blocks:
            h = block(h, emb)
            hs.append(h)
        h = self.middle(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb)
        return self.out(h)


# ---------------------------------------------------------------- measurement
IMPLS = ("ours", "reference")


def build(impl: str) -> nn.Module:
    torch.manual_seed(0)
    if impl == "ours":
        from diffmm.nn.unet_presets import unet_preset

        return unet_preset("ddpm_cifar10")
    return RefUNet()


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def make_steps(model: nn.Module):
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE, generator=gen)
    t = torch.randint(0, 1000, (BATCH,), generator=gen)
    noise = torch.randn(x.shape, generator=gen)

    def forward():
        model.eval()
        with torch.no_grad():
            model(x, t)

    def train_step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        F.mse_loss(model(x, t), noise).backward()
        optimizer.step()

    return {"forward": forward, "train": train_step}


def memory_child(impl: str, threads: int) -> dict:
    """Peak RSS of a process that builds one network and runs a forward and two train steps."""
    torch.set_num_threads(threads)
    model = build(impl)
    steps = make_steps(model)
    rss_setup = max_rss_mib()
    steps["forward"]()
    steps["train"]()
    steps["train"]()  # the second step has Adam's moment buffers allocated
    peak = max_rss_mib()
    return {"rss_peak_mib": peak, "rss_growth_mib": peak - rss_setup}


def time_both(threads: int, warmup: int, repeats: int) -> dict:
    """Both networks in one process, timed alternately repeat by repeat (the order flipped
    every repeat), so that load from other jobs on a shared machine falls on both alike."""
    torch.set_num_threads(threads)
    models = {impl: build(impl) for impl in IMPLS}
    steps = {impl: make_steps(m) for impl, m in models.items()}
    times = {impl: {"forward": [], "train": []} for impl in IMPLS}
    for kind in ("forward", "train"):
        for _ in range(warmup):
            for impl in IMPLS:
                steps[impl][kind]()
        for repeat in range(repeats):
            for impl in IMPLS if repeat % 2 == 0 else IMPLS[::-1]:
                start = time.perf_counter()
                steps[impl][kind]()
                times[impl][kind].append(time.perf_counter() - start)
    for impl, m in models.items():
        times[impl]["params"] = sum(p.numel() for p in m.parameters())
    return times


def markdown(summary: dict, args: argparse.Namespace) -> str:
    ours, ref = summary["ours"], summary["reference"]
    lines = [
        "# UNet CPU benchmark: ddpm_cifar10 vs a plain guided-diffusion-style reference",
        "",
        f"Date: {args.date}. `python benchmarks/unet_cpu.py --threads {args.threads} "
        f"--warmup {args.warmup} --repeats {args.repeats}`.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (load "
        f"average {summary['load_before']:.2f} before, {summary['load_after']:.2f} after); "
        f"torch {torch.__version__}, torch.set_num_threads({args.threads}); batch {BATCH}×3×32×32.",
        f"Parameters: ours {ours['params']:,}, reference {ref['params']:,}.",
        f"Times: both networks in one process, alternated repeat by repeat (order flipped each "
        f"repeat); {args.warmup} warm-up "
        f"and {args.repeats} timed repeats each; median (min). Forward: eval, no_grad. Train "
        "step: train mode (dropout 0.1), MSE, backward, Adam.",
        "Memory: resource.getrusage ru_maxrss (peak RSS of the whole process, torch included) "
        "of a separate process per network (forward + 2 train steps); growth = over the RSS "
        "after building the network and optimizer.",
        "",
        "| implementation | forward (s) | fwd+bwd+Adam (s) | peak RSS (MiB) | RSS growth (MiB) |",
        "|---|---|---|---|---|",
    ]
    for name, r in (("diffmm UNetModel", ours), ("reference", ref)):
        lines.append(
            f"| {name} | {r['forward']:.3f} ({r['forward_min']:.3f}) | {r['train']:.3f} "
            f"({r['train_min']:.3f}) | {r['rss_peak_mib']:.0f} | {r['rss_growth_mib']:.0f} |"
        )
    lines += [
        f"| ratio ours/reference | {ours['forward'] / ref['forward']:.3f} "
        f"({ours['forward_min'] / ref['forward_min']:.3f}) | {ours['train'] / ref['train']:.3f} "
        f"({ours['train_min'] / ref['train_min']:.3f}) | "
        f"{ours['rss_peak_mib'] / ref['rss_peak_mib']:.3f} | "
        f"{ours['rss_growth_mib'] / ref['rss_growth_mib']:.3f} |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--date", default=time.strftime("%Y-%m-%d"))
    parser.add_argument("--output", help="write the markdown table here")
    parser.add_argument("--memory-of", choices=IMPLS, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_of:  # child process: peak memory of one network, as JSON
        print(json.dumps(memory_child(args.memory_of, args.threads)))
        return

    load_before = os.getloadavg()[0]
    summary: dict = {impl: {} for impl in IMPLS}
    for impl in IMPLS:
        cmd = [sys.executable, __file__, "--memory-of", impl, "--threads", str(args.threads)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        summary[impl].update(json.loads(out.strip().splitlines()[-1]))
    for impl, times in time_both(args.threads, args.warmup, args.repeats).items():
        print(f"{impl}: {times}", file=sys.stderr)
        summary[impl]["params"] = times["params"]
        for kind in ("forward", "train"):
            summary[impl][kind] = statistics.median(times[kind])
            summary[impl][f"{kind}_min"] = min(times[kind])
    summary["load_before"], summary["load_after"] = load_before, os.getloadavg()[0]
    if summary["ours"]["params"] != summary["reference"]["params"]:
        raise SystemExit("the two networks differ in size: the comparison would be unfair")
    table = markdown(summary, args)
    print(table)
    if args.output:
        with open(args.output, "w") as f:
            f.write(table)


if __name__ == "__main__":
    main()
