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
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch

from diffmm.diffusion.analytic import ExactMixtureNet, GaussianMixture
from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.samplers import SAMPLERS
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    n = args.samples
    directions = torch.randn(
        2, NUM_DIRECTIONS, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    directions = directions / directions.norm(dim=0, keepdim=True)

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
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
