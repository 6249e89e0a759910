"""CPU benchmark: diffmm's ddpm_cifar10 UNet side by side with a reference implementation.

The reference is openai/guided-diffusion's ``UNetModel``, imported from a checkout whose path
``--reference-dir`` gives (its code is never copied here), or else ``plain_unet.PlainUNet``: the
same maths written the plain way (interpolate-then-conv upsampling, attention by two einsums,
nn.Sequential blocks) under guided-diffusion's parameter names. The output says which.

Both sides hold the same weights (diffmm's, renamed onto the reference's parameter names, the
zero-initialised ones filled with random values so that every branch carries signal), and the
script first checks that they compute the same function: max |Δ| of the outputs and of every
parameter gradient, eval mode, float32.

Timed at DDPM CIFAR-10 size (35,746,307 parameters on both sides), batch 8 × 3 × 32 × 32:
- forward: eval mode, torch.no_grad;
- train step: train mode (dropout 0.1), MSE to a noise target, backward, and the optimizer
  step each library trains with: diffmm's ``build_adamw`` (the Trainer's AdamW, fused kernel)
  and guided-diffusion's TrainLoop AdamW (torch's per-tensor loop), both lr 2e-4, no decay;
in one process, alternating the two networks repeat by repeat (order flipped every repeat) so
that load from other jobs on a shared machine falls on both alike; min and median over the
timed repeats, the 1-minute load average before and after each kind.
Peak memory: ru_maxrss of a separate process per network (forward + 2 train steps).
``--profile`` adds both train-step profiles (time per op family, GFLOP/s of the matmul-like ops)
and the ratio that the convolutions alone allow.

    python benchmarks/unet_cpu.py [--reference-dir /tmp/ref_gd] [--threads 2] [--warmup 2]
        [--repeats 10] [--clock wall|cpu] [--profile] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from plain_unet import PlainUNet
from torch import nn

from diffmm.training.optimizer import build_adamw

BATCH, CHANNELS, SIZE = 8, 3, 32
KINDS = ("forward", "train")
# DDPM CIFAR-10 (Ho et al. 2020, App. B), in guided-diffusion's constructor arguments.
DDPM_CIFAR10 = dict(
    image_size=SIZE,
    in_channels=CHANNELS,
    model_channels=128,
    out_channels=CHANNELS,
    num_res_blocks=2,
    attention_resolutions=(2,),
    dropout=0.1,
    channel_mult=(1, 2, 2, 2),
    num_heads=1,
)


# ---------------------------------------------------------------- the two networks
# diffmm parameter-name parts → guided-diffusion's (the rest of each name is the same).
RENAMES = (
    ("time_embed.mlp.", "time_embed."),
    (".in_norm.", ".in_layers.0."),
    (".in_conv.", ".in_layers.2."),
    (".out_norm.", ".out_layers.0."),
    (".out_conv.", ".out_layers.3."),
    (".skip.", ".skip_connection."),
)


def reference_name(name: str) -> str:
    for ours, theirs in RENAMES:
        name = name.replace(ours, theirs)
    return name


def diffmm_unet() -> nn.Module:
    """diffmm's preset, its zero-initialised parameters filled with random values, so that
    every branch carries signal in the same-function check."""
    from diffmm.nn.unet_presets import unet_preset

    torch.manual_seed(0)
    model = unet_preset("ddpm_cifar10")
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.normal_(0, 0.02)
    return model


def reference_unet(reference_dir: str | None) -> nn.Module:
    if not reference_dir:
        return PlainUNet(**DDPM_CIFAR10)
    sys.path.insert(0, os.path.abspath(reference_dir))
    from guided_diffusion.unet import UNetModel

    return UNetModel(**DDPM_CIFAR10)


def build(impl: str, reference_dir: str | None) -> nn.Module:
    return diffmm_unet() if impl == "ours" else reference_unet(reference_dir)


def same_function(models: dict[str, nn.Module]) -> dict[str, float]:
    """Max |Δ| between the two networks' outputs and parameter gradients (eval, float32)."""
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE, generator=gen)
    t = torch.randint(0, 1000, (BATCH,), generator=gen)
    target = torch.randn(x.shape, generator=gen)
    outs, grads = {}, {}
    for impl, model in models.items():
        model.eval().zero_grad(set_to_none=True)
        outs[impl] = model(x, t)
        F.mse_loss(outs[impl], target).backward()
        grads[impl] = {n: p.grad.clone() for n, p in model.named_parameters()}
        model.zero_grad(set_to_none=True)
    ref_grads = grads["reference"]
    grad_diff = max(
        (g - ref_grads[reference_name(n)]).abs().max().item() for n, g in grads["ours"].items()
    )
    grad_scale = max(g.abs().max().item() for g in ref_grads.values())
    return {
        "output_max_abs": outs["reference"].abs().max().item(),
        "output_max_diff": (outs["ours"] - outs["reference"]).abs().max().item(),
        "grad_max_abs": grad_scale,
        "grad_max_diff": grad_diff,
    }


def make_steps(model: nn.Module, impl: str) -> dict:
    if impl == "ours":
        optimizer = build_adamw(model.parameters(), 2e-4)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4, fused=False)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE, generator=gen)
    t = torch.randint(0, 1000, (BATCH,), generator=gen)
    noise = torch.randn(x.shape, generator=gen)

    def forward() -> None:
        model.eval()
        with torch.no_grad():
            model(x, t)

    def train() -> None:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        F.mse_loss(model(x, t), noise).backward()
        optimizer.step()

    return {"forward": forward, "train": train}


# ---------------------------------------------------------------- measurement
IMPLS = ("ours", "reference")


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def memory_child(impl: str, args: argparse.Namespace) -> dict:
    """Peak RSS of a process that builds one network and runs a forward and two train steps."""
    torch.set_num_threads(args.threads)
    steps = make_steps(build(impl, args.reference_dir), impl)
    rss_setup = max_rss_mib()
    steps["forward"]()
    steps["train"]()
    steps["train"]()  # the second step has AdamW's moment buffers allocated
    peak = max_rss_mib()
    return {"rss_peak_mib": peak, "rss_growth_mib": peak - rss_setup}


def time_both(models: dict[str, nn.Module], args: argparse.Namespace) -> dict:
    steps = {impl: make_steps(m, impl) for impl, m in models.items()}
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    result: dict = {}
    for kind in KINDS:
        for _ in range(args.warmup):
            for impl in IMPLS:
                steps[impl][kind]()
        times: dict[str, list[float]] = {impl: [] for impl in IMPLS}
        load_before = os.getloadavg()[0]
        for repeat in range(args.repeats):
            for impl in IMPLS if repeat % 2 == 0 else IMPLS[::-1]:
                start = clock()
                steps[impl][kind]()
                times[impl].append(clock() - start)
        result[kind] = {"times": times, "load": (load_before, os.getloadavg()[0])}
        print(f"{kind}: {json.dumps(result[kind])}", file=sys.stderr, flush=True)
    return result


# Profiler events (their CPU time includes their children) → FlopCounterMode's op names.
PROFILE_FAMILIES = {
    "convolution forward": (("aten::convolution",), ("convolution",)),
    "convolution backward": (("aten::convolution_backward",), ("convolution_backward",)),
    "matmul (attention, linear)": (
        ("aten::bmm", "aten::mm", "aten::addmm"),
        ("bmm", "mm", "addmm"),
    ),
    "AdamW step": (("Optimizer.step#AdamW.step",), ()),
}


def profile_step(model: nn.Module, impl: str) -> tuple[str, float, float]:
    """One network's train step: time per op family (torch.profiler) and its GFLOP/s (FLOPs
    from FlopCounterMode, the same step); everything else is element-wise work and overhead.
    Returns the table, the convolutions' seconds and the step's seconds."""
    from torch.profiler import profile
    from torch.utils.flop_counter import FlopCounterMode

    step = make_steps(model, impl)["train"]
    step()
    flops = {}
    # guided-diffusion's attention always runs through its own checkpoint Function, whose
    # forward the FLOP counter's module hooks cannot follow: its GFLOP columns stay empty
    if impl == "ours":
        counter = FlopCounterMode(display=False)
        with counter:
            step()
        flops = {str(op).split(".")[1]: n for op, n in counter.get_flop_counts()["Global"].items()}
    repeats = 2
    with profile() as prof:
        for _ in range(repeats):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) / repeats / 1e6  # s per step
    lines = [
        f"{impl} train step profiled at {torch.get_num_threads()} threads "
        f"({total:.2f} s per step under the profiler, load {os.getloadavg()[0]:.2f}):",
        "",
        "| op family | s per step | share | GFLOP | GFLOP/s |",
        "|---|---|---|---|---|",
    ]
    accounted = convolution = 0.0
    for family, (names, flop_names) in PROFILE_FAMILIES.items():
        seconds = sum(e.cpu_time_total for e in events if e.key in names) / repeats / 1e6
        accounted += seconds
        convolution += seconds if family.startswith("convolution") else 0.0
        gflop = sum(flops.get(n, 0) for n in flop_names) / 1e9
        rate = f"{gflop / seconds:.0f}" if gflop else ""
        lines.append(
            f"| {family} | {seconds:.3f} | {seconds / total:.0%} | {gflop:.1f} | {rate} |".replace(
                "| 0.0 |", "| |"
            )
        )
    rest = total - accounted
    lines.append(f"| element-wise, norms, dropout, copies | {rest:.3f} | {rest / total:.0%} | | |")
    return "\n".join(lines), convolution, total


def profile_both(models: dict[str, nn.Module]) -> str:
    """Both train steps' profiles, and the bound they set: a diffmm step whose work outside its
    convolutions took no time at all would still cost its convolutions' time."""
    (ours, ours_conv, ours_total), (ref, _, ref_total) = (
        profile_step(models[impl], impl) for impl in IMPLS
    )
    bound = (
        f"diffmm's convolutions alone take {ours_conv:.3f} s, {ours_conv / ref_total:.2f}× the "
        f"reference's whole step ({ref_total:.3f} s): the lowest ratio reachable without faster "
        f"convolutions; the rest of diffmm's step is {ours_total - ours_conv:.3f} s."
    )
    return "\n\n".join([ours, ref, bound])


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def markdown(summary: dict, timing: dict, args: argparse.Namespace) -> str:
    reference = (
        f"openai/guided-diffusion UNetModel imported from `{args.reference_dir}`"
        if args.reference_dir
        else "the benchmark's PlainUNet (same maths, written plainly; no --reference-dir given)"
    )
    check = summary["check"]
    lines = [
        f"Reference: {reference}.",
        f"`python benchmarks/unet_cpu.py{' --reference-dir ' + args.reference_dir if args.reference_dir else ''}"
        f" --threads {args.threads} --warmup {args.warmup} --repeats {args.repeats}"
        f" --clock {args.clock}`, {args.date}; times are "
        f"{'CPU' if args.clock == 'cpu' else 'wall-clock'} seconds.",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores shared with other jobs; torch "
        f"{torch.__version__}, torch.set_num_threads({args.threads}); batch {BATCH}×3×32×32.",
        f"Parameters: ours {summary['params']['ours']:,}, reference "
        f"{summary['params']['reference']:,}.",
        f"Same function, same weights (eval, fp32): outputs max |Δ| {check['output_max_diff']:.1e}"
        f" (max |output| {check['output_max_abs']:.2f}); parameter gradients max |Δ| "
        f"{check['grad_max_diff']:.1e} (max |grad| {check['grad_max_abs']:.2e}).",
        "",
        "| measure | diffmm min / median (s) | reference min / median (s) | ratio min / median "
        "| load avg before → after |",
        "|---|---|---|---|---|",
    ]
    for kind, label in (("forward", "forward (eval, no_grad)"), ("train", "fwd+bwd+AdamW")):
        ours, ref = timing[kind]["times"]["ours"], timing[kind]["times"]["reference"]
        before, after = timing[kind]["load"]
        lines.append(
            f"| {label} | {min(ours):.3f} / {statistics.median(ours):.3f} | {min(ref):.3f} / "
            f"{statistics.median(ref):.3f} | {min(ours) / min(ref):.3f} / "
            f"{statistics.median(ours) / statistics.median(ref):.3f} | {before:.2f} → {after:.2f} |"
        )
    mem = summary["memory"]
    lines += [
        "",
        f"Peak RSS (separate process each, forward + 2 train steps): diffmm "
        f"{mem['ours']['rss_peak_mib']:.0f} MiB (growth {mem['ours']['rss_growth_mib']:.0f}), "
        f"reference {mem['reference']['rss_peak_mib']:.0f} MiB "
        f"(growth {mem['reference']['rss_growth_mib']:.0f}).",
    ]
    if "profile" in summary:
        lines += ["", summary["profile"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-dir", help="a checkout of openai/guided-diffusion")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: this process's CPU time, which other jobs on the cores do not inflate; "
        "meaningful with --threads 1 (with more it also counts OpenMP's spin-waits)",
    )
    parser.add_argument("--profile", action="store_true", help="add both train steps' profiles")
    parser.add_argument("--date", default=time.strftime("%Y-%m-%d %H:%M"))
    parser.add_argument("--output", help="write the markdown here")
    parser.add_argument("--memory-of", choices=IMPLS, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_of:  # child process: peak memory of one network, as JSON
        print(json.dumps(memory_child(args.memory_of, args)))
        return

    torch.set_num_threads(args.threads)
    summary: dict = {"memory": {}}
    for impl in IMPLS:
        cmd = [sys.executable, __file__, "--memory-of", impl, "--threads", str(args.threads)]
        if args.reference_dir:
            cmd += ["--reference-dir", args.reference_dir]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        summary["memory"][impl] = json.loads(out.strip().splitlines()[-1])
    models = {"ours": diffmm_unet(), "reference": reference_unet(args.reference_dir)}
    state = {reference_name(k): v for k, v in models["ours"].state_dict().items()}
    models["reference"].load_state_dict(state, strict=True)
    summary["params"] = {i: sum(p.numel() for p in m.parameters()) for i, m in models.items()}
    if summary["params"]["ours"] != summary["params"]["reference"]:
        raise SystemExit("the two networks differ in size: the comparison would be unfair")
    summary["check"] = same_function(models)
    timing = time_both(models, args)
    if args.profile:
        summary["profile"] = profile_both(models)
    table = markdown(summary, timing, args)
    print(table)
    if args.output:
        with open(args.output, "w") as f:
            f.write(table)


if __name__ == "__main__":
    main()
