"""Sampler quality against an analytic target: every sampler, the exact denoiser, 5–1000 steps.

The data are a 2-D mixture of three Gaussians with distinct full covariances. The exact
ε-network (diffmm.diffusion.analytic) removes training error, so what remains is the sampler's
own discretisation error plus Monte-Carlo noise.

Distance: the sliced Wasserstein-1 distance, SW₁(P, Q) = E_θ W₁(θ·P, θ·Q) over random unit
directions θ, each 1-D W₁ exact from sorted projections of equally many samples. We prefer
it to MMD because it has no kernel bandwidth to choose, sees both mode weights and shapes,
and costs a sort; W₁ rather than W₂ because with modes ≈ 5 apart, W₂ is dominated by the
Monte-Carlo noise of the mode weights (it scales as N^(−1/4), W₁ as N^(−1/2)). The noise
floor is SW₁ between two independent sets of true samples of the same size: a sampler at
the floor is indistinguishable from the truth at this sample size. Each cell averages
``--seeds`` runs, each against its own fresh true set.

    .venv/bin/python benchmarks/sampler_quality.py [--samples 4000] [--seeds 2] [--out PATH]

``--few-step`` runs instead the comparison of issue 18: the deterministic multistep solvers at
5, 10 and 20 steps on a DDPM schedule (``--schedule``; "ddpm" is linear β 1e-4 → 0.02,
T = 1000), 20,000 samples per seed, sliced W₂ to a fresh true sample, side by side with
diffusers' DPMSolverMultistepScheduler and UniPCMultistepScheduler (their defaults) when
diffusers is installed (an optional, benchmark-only dependency). Every sampler starts from
the same draws of the exact marginal at the noisiest step, so differences between rows are
paired; the table gives each row's mean over seeds, its network evaluations, and its mean
paired difference to diffusers' best row at that step count with the standard error.

    .venv/bin/python benchmarks/sampler_quality.py --few-step [--schedule ddpm] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.samplers import SAMPLERS, preferred_spacing
from diffmm.diffusion.schedules import DiscreteSchedule, EDMSchedule, NoiseSchedule, VESchedule

STEPS = (5, 10, 20, 50, 100, 1000)
NUM_DIRECTIONS = 256
FLOOR_REPEATS = 20
MIXTURE = GaussianMixture(
    [0.5, 0.3, 0.2],
    torch.tensor([[-2.5, -1.0], [2.5, -1.0], [0.0, 2.5]]),
    torch.tensor(
        [
            [[0.30, 0.10], [0.10, 0.20]],
            [[0.15, -0.05], [-0.05, 0.30]],
            [[0.25, 0.00], [0.00, 0.10]],
        ]
    ),
)


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, directions: torch.Tensor) -> float:
    """SW₁ between two equally large sample sets along the given unit directions (D, K)."""
    pa = torch.sort(a.to(torch.float64) @ directions, dim=0).values
    pb = torch.sort(b.to(torch.float64) @ directions, dim=0).values
    return float((pa - pb).abs().mean())


class Case:
    """A sampler on a schedule; ``grid_for(n)`` gives the n-step grid (None: skipped)."""

    def __init__(
        self,
        label: str,
        sampler: str,
        schedule: NoiseSchedule,
        grid_for: Callable[[int], SamplingGrid | None],
        nfe: Callable[[int], int] = lambda n: n,
        **options,
    ) -> None:
        self.label, self.sampler, self.schedule = label, sampler, schedule
        self.grid_for, self.nfe, self.options = grid_for, nfe, options
        self.denoiser = Denoiser(ExactMixtureNet(MIXTURE, schedule))


def cases() -> list[Case]:
    linear = DiscreteSchedule.from_name("linear", 1000, beta_start=1e-4, beta_end=0.02)
    edm = EDMSchedule(sigma_min=0.002, sigma_max=80.0)
    ve = VESchedule(sigma_min=0.01, sigma_max=20.0)
    two_per_step = lambda n: 2 * n - 1  # noqa: E731  (Heun: none on the last step)
    pc_nfe = lambda n: 2 * n - 1  # noqa: E731  (one corrector step but the last)
    out = [
        Case(f"{name} · DDPM linear", name, linear, linear.grid)
        for name in ("ddpm", "ddim", "dpmpp_2m", "euler", "euler_maruyama")
    ]
    out += [
        Case(
            f"{name} · DDPM linear, λ-uniform",
            name,
            linear,
            lambda n: None if n >= 1000 else linear.grid(n, spacing="log_snr"),
        )
        for name in ("dpmpp_2m", "dpmpp_2m_sde")
    ]
    out += [
        Case("heun · DDPM linear", "heun", linear, linear.grid, two_per_step),
        Case("pc · DDPM linear", "pc", linear, linear.grid, pc_nfe),
        Case("euler · EDM", "euler", edm, edm.grid),
        Case("heun · EDM", "heun", edm, edm.grid, two_per_step),
        Case("dpmpp_2m · EDM", "dpmpp_2m", edm, edm.grid),
        Case("euler_maruyama · VE", "euler_maruyama", ve, ve.grid),
        Case("pc · VE", "pc", ve, ve.grid, pc_nfe),
        Case(
            "annealed_langevin · VE (steps = levels)",
            "annealed_langevin",
            ve,
            lambda n: None if n > 50 else ve.grid(n),
            lambda n: 100 * n + 1,
            step_lr=5e-5,
        ),
    ]
    return out


FEW_STEPS = (5, 10, 20)
# (T, β_1, β_T) of linear DDPM schedules: the model and the ones diffmm's recipes train
FEW_STEP_SCHEDULES = {
    "ddpm": (1000, 1e-4, 0.02),
    "timegrad": (100, 1e-4, 0.1),
    "diffwave": (50, 1e-4, 0.05),
}
Run = Callable[[torch.Tensor, int], tuple[torch.Tensor, int]]  # (start, steps) -> (x, NFE)


def sliced_w2(a: torch.Tensor, b: torch.Tensor, directions: torch.Tensor) -> float:
    """SW₂ = (E_θ W₂²(θ·P, θ·Q))^½ between equally large sample sets, from sorted projections."""
    pa = torch.sort(a.to(torch.float64) @ directions, dim=0).values
    pb = torch.sort(b.to(torch.float64) @ directions, dim=0).values
    return float(((pa - pb) ** 2).mean().sqrt())


class CountingDenoiser:
    """Counts network evaluations, so every row reports what it spent, not what it planned."""

    def __init__(self, denoiser: Denoiser) -> None:
        self.denoiser, self.calls = denoiser, 0

    def predict(self, *args, **kwargs):
        self.calls += 1
        return self.denoiser.predict(*args, **kwargs)


def diffmm_run(
    denoiser: Denoiser, sampler: str, grid_for: Callable[[int], SamplingGrid], **options
) -> Run:
    def run(x: torch.Tensor, steps: int) -> tuple[torch.Tensor, int]:
        counting = CountingDenoiser(denoiser)
        return SAMPLERS[sampler](counting, x, grid_for(steps), **options), counting.calls

    return run


def diffusers_run(scheduler_class, schedule: DiscreteSchedule, net: ExactMixtureNet) -> Run:
    """diffusers' own sampling loop with its defaults; the exact net is its ε-model."""

    def run(x: torch.Tensor, steps: int) -> tuple[torch.Tensor, int]:
        scheduler = scheduler_class(
            num_train_timesteps=schedule.num_steps, trained_betas=schedule.betas.numpy()
        )
        scheduler.set_timesteps(steps)
        for t in scheduler.timesteps:
            eps = net(x, torch.full((x.shape[0],), float(t)))
            x = scheduler.step(eps, t, x).prev_sample
        return x, len(scheduler.timesteps)

    return run


def few_step_rows(schedule: DiscreteSchedule, use_diffusers: bool) -> list[tuple[str, Run]]:
    net = ExactMixtureNet(MIXTURE, schedule)
    denoiser = Denoiser(net)
    lam = schedule.alphas_cumprod.log() - (-schedule.alphas_cumprod).log1p()  # λ per step

    def preferred(sampler: str) -> Callable[[int], SamplingGrid]:
        return lambda n: schedule.grid(n, preferred_spacing(sampler, schedule))

    def lambda_to_data(n: int) -> SamplingGrid:
        # the trial: n + 1 λ-uniform points, the least noisy (step 0) replaced by data
        targets = torch.linspace(float(lam[-1]), float(lam[0]), n + 1, dtype=torch.float64)
        return schedule.grid_at_log_snr(targets[:-1])

    rows = [
        ("diffmm unipc · angle (default)", diffmm_run(denoiser, "unipc", preferred("unipc"))),
        (
            "diffmm dpmpp_2m · angle (default)",
            diffmm_run(denoiser, "dpmpp_2m", preferred("dpmpp_2m")),
        ),
        ("diffmm unipc · λ-uniform, step 0 → data", diffmm_run(denoiser, "unipc", lambda_to_data)),
        (
            "diffmm dpmpp_2m · λ-uniform, step 0 → data",
            diffmm_run(denoiser, "dpmpp_2m", lambda_to_data),
        ),
        (
            "diffmm dpmpp_2m · log_snr (old default)",
            diffmm_run(denoiser, "dpmpp_2m", lambda n: schedule.grid(n, "log_snr")),
        ),
        ("diffmm ddim · default", diffmm_run(denoiser, "ddim", schedule.grid)),
        ("diffmm heun · default", diffmm_run(denoiser, "heun", schedule.grid)),
    ]
    if use_diffusers:
        from diffusers import DPMSolverMultistepScheduler, UniPCMultistepScheduler

        def diffusers_grid(n: int) -> SamplingGrid:
            scheduler = UniPCMultistepScheduler(
                num_train_timesteps=schedule.num_steps, trained_betas=schedule.betas.numpy()
            )
            scheduler.set_timesteps(n)
            return schedule.respace(scheduler.timesteps.tolist()).grid()

        rows += [
            ("diffmm unipc · diffusers' timesteps", diffmm_run(denoiser, "unipc", diffusers_grid)),
            (
                "diffusers DPM-Solver++(2M)",
                diffusers_run(DPMSolverMultistepScheduler, schedule, net),
            ),
            (
                "diffusers UniPC (bh2, order 2)",
                diffusers_run(UniPCMultistepScheduler, schedule, net),
            ),
        ]
    return rows


def few_step(args: argparse.Namespace, directions: torch.Tensor) -> list[str]:
    steps_total, beta_start, beta_end = FEW_STEP_SCHEDULES[args.schedule]
    schedule = DiscreteSchedule.from_name(
        "linear", steps_total, beta_start=beta_start, beta_end=beta_end
    )
    use_diffusers = importlib.util.find_spec("diffusers") is not None
    load_before, start_time = os.getloadavg(), time.time()
    n = args.samples
    # the exact marginal at the noisiest step (≈ N(0, I) at T = 1000; not at T = 50)
    marginal = MIXTURE.noised(
        float(schedule.sqrt_alphas_cumprod[-1]), float(schedule.sqrt_one_minus_alphas_cumprod[-1])
    )
    starts, truths, floors = [], [], []
    for seed in range(args.seeds):
        starts.append(marginal.sample(n, torch.Generator().manual_seed(100 + seed)).float())
        truths.append(MIXTURE.sample(n, generator=torch.Generator().manual_seed(200 + seed)))
        other = MIXTURE.sample(n, generator=torch.Generator().manual_seed(300 + seed))
        floors.append(sliced_w2(other, truths[-1], directions))
    results: dict[str, dict[int, tuple[torch.Tensor, int]]] = {}
    for label, run in few_step_rows(schedule, use_diffusers):
        results[label] = {}
        for steps in FEW_STEPS:
            distances, nfe = [], 0
            for seed in range(args.seeds):
                x, nfe = run(starts[seed].clone(), steps)
                distances.append(sliced_w2(x, truths[seed], directions))
            results[label][steps] = (torch.tensor(distances), nfe)
        print(label, {s: round(float(d.mean()), 4) for s, (d, _) in results[label].items()})
    floor = torch.tensor(floors)
    lines = [
        f"schedule: linear β {beta_start:g} → {beta_end:g}, T = {steps_total}; {n} samples, "
        f"{args.seeds} seeds; sliced W₂ over {NUM_DIRECTIONS} directions",
        f"noise floor (SW₂ of two true sets): {float(floor.mean()):.4f} ± {float(floor.std()):.4f}",
        "comparison: "
        + (
            f"diffusers {importlib.import_module('diffusers').__version__} "
            "(DPMSolverMultistepScheduler, UniPCMultistepScheduler; defaults)"
            if use_diffusers
            else "diffusers not installed: diffmm's samplers only"
        ),
        "",
        "| sampler · grid | " + " | ".join(f"{s} steps" for s in FEW_STEPS) + " |",
        "|---|" + "---|" * len(FEW_STEPS),
    ]
    diffusers_labels = [label for label in results if label.startswith("diffusers")]
    for label, by_steps in results.items():
        cells = []
        for steps, (distances, nfe) in by_steps.items():
            cell = f"{float(distances.mean()):.4f} ({nfe})"
            if diffusers_labels and label not in diffusers_labels:
                best = min(diffusers_labels, key=lambda d: float(results[d][steps][0].mean()))
                diff = distances - results[best][steps][0]
                se = float(diff.std()) / len(diff) ** 0.5
                cell += f" {float(diff.mean()):+.4f} ± {se:.4f}"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "cells: mean SW₂ (network evaluations)"
        + (
            ", then the mean paired difference to diffusers' best row ± its standard error"
            if diffusers_labels
            else ""
        )
        + f"; {datetime.date.today()}, {cpu_name()} ({os.cpu_count()} cores), "
        f"torch {torch.__version__}, 1 thread, "
        f"{time.time() - start_time:.0f} s, load average {load_before[0]:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=None, help="4000; 20000 with --few-step")
    parser.add_argument("--seeds", type=int, default=None, help="2; 10 with --few-step")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--few-step", action="store_true", help="issue 18's comparison instead")
    parser.add_argument("--schedule", choices=sorted(FEW_STEP_SCHEDULES), default="ddpm")
    args = parser.parse_args()
    torch.set_num_threads(1)
    directions = torch.randn(
        2, NUM_DIRECTIONS, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    directions = directions / directions.norm(dim=0, keepdim=True)
    if args.few_step:
        args.samples, args.seeds = args.samples or 20000, args.seeds or 10
        write(few_step(args, directions), args.out)
        return
    args.samples, args.seeds = args.samples or 4000, args.seeds or 2
    n = args.samples

    truth_gen = torch.Generator().manual_seed(1)
    floors = torch.tensor(
        [
            sliced_wasserstein(
                MIXTURE.sample(n, generator=truth_gen),
                MIXTURE.sample(n, generator=truth_gen),
                directions,
            )
            for _ in range(FLOOR_REPEATS)
        ]
    )
    lines = [
        f"noise floor (SW₁ of two true sets of {n}, {FLOOR_REPEATS} repeats): "
        f"{float(floors.mean()):.4f} ± {float(floors.std()):.4f}",
        "",
        "| sampler · schedule | " + " | ".join(f"{s} steps" for s in STEPS) + " |",
        "|---|" + "---|" * len(STEPS),
    ]
    start = time.time()
    for case in cases():
        cells = []
        for steps in STEPS:
            grid = case.grid_for(steps)
            if grid is None:
                cells.append("–")
                continue
            distances = []
            for seed in range(args.seeds):
                generator = torch.Generator().manual_seed(100 + seed)
                x = torch.randn(n, 2, generator=generator) * grid.prior_scale
                samples = SAMPLERS[case.sampler](
                    case.denoiser, x, grid, generator=generator, **case.options
                )
                reference = MIXTURE.sample(n, generator=torch.Generator().manual_seed(200 + seed))
                distances.append(sliced_wasserstein(samples, reference, directions))
            mean = sum(distances) / len(distances)
            cells.append(f"{mean:.4f} ({case.nfe(grid.num_steps)})")
        lines.append(f"| {case.label} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines += [
        "",
        f"cells: mean SW₁ over {args.seeds} seeds (network evaluations in brackets); "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, 1 thread, "
        f"{time.time() - start:.0f} s",
    ]
    write(lines, args.out)


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def write(lines: list[str], out: Path | None) -> None:
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
