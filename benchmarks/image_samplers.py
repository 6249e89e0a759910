"""Samplers and classifier-free guidance on one class-conditional image model (issue 19).

Each row draws N samples of one bundle with one sampler, times them (images/s of the whole
draw), and scores them in the project classifier's feature space against a reference set:
FID, precision/recall (k = 3), and the classifier's accuracy on the class each sample was
asked for. Sample i of a row has the noise and the class of sample i of every other row
(``diffmm.diffusion.per_sample_noise``), so rows are paired, and the first ``--subset``
samples of every row are also scored on their own: the comparison with a row that could
only afford that many (DDPM at 1000 steps on a CPU).

Rows (ε-model on a discrete DDPM schedule; s is the guidance scale, Ho & Salimans' w = s − 1):

    ddpm_1000  ancestral DDPM, all 1000 steps, conditional (s = 1): 1000 evaluations
    ddim_50    DDIM (η = 0), 50 respaced steps: 50
    dpmpp_10   DPM-Solver++(2M), 10 angle-uniform steps: 10
    dpmpp_20   the same at 20 steps: 20 (also the w = 0 row of the guidance comparison)
    heun_18    EDM's sampler: Heun on the probability-flow ODE over Karras et al.'s ρ = 7 grid
               of σ = σ_t/α_t between the schedule's own σ_min and σ_max, 18 steps, the last
               one Euler: 35 evaluations
    cfg_w1     DPM-Solver++ 20 with s = 2 (w = 1): 40 evaluations
    cfg_w3     the same with s = 4 (w = 3)
    uncond     DPM-Solver++ 20 of the null class ∅ alone: the unconditional model

    python benchmarks/image_samplers.py --bundle B --extractor C --ref data/test.npz \\
        --rows dpmpp_20 ddim_50 --num-samples 500 --out-dir DIR
    python benchmarks/image_samplers.py --table DIR      # markdown table of DIR/*.json
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from diffmm.diffusion.config import build_denoiser, build_schedule
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.per_sample_noise import PerSampleNoise
from diffmm.diffusion.prior import STANDARD_NORMAL
from diffmm.diffusion.samplers import get_sampler, preferred_spacing
from diffmm.diffusion.schedules import NoiseSchedule, karras_sigmas
from diffmm.metrics.image_evaluation import Reference, extract, load_reference, score_features
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image_classifier import FeatureClassifier
from diffmm.vision.sample_files import samples_to_uint8, write_image_samples


@dataclass(frozen=True)
class Row:
    label: str
    sampler: str
    steps: int
    evaluations: int
    guidance_scale: float | None = None
    karras: bool = False  # EDM's ρ-grid instead of the sampler's preferred one
    unconditional: bool = False  # every sample of the null class ∅


ROWS = {
    "ddpm_1000": Row("DDPM, 1000 steps", "ddpm", 1000, 1000),
    "ddim_50": Row("DDIM, 50 steps", "ddim", 50, 50),
    "dpmpp_10": Row("DPM-Solver++(2M), 10 steps", "dpmpp_2m", 10, 10),
    "dpmpp_20": Row("DPM-Solver++(2M), 20 steps", "dpmpp_2m", 20, 20),
    "heun_18": Row("EDM Heun, 18 steps (ρ = 7)", "heun", 18, 35, karras=True),
    "cfg_w1": Row("DPM-Solver++ 20, w = 1 (s = 2)", "dpmpp_2m", 20, 40, guidance_scale=2.0),
    "cfg_w3": Row("DPM-Solver++ 20, w = 3 (s = 4)", "dpmpp_2m", 20, 40, guidance_scale=4.0),
    "uncond": Row("DPM-Solver++ 20, unconditional (∅)", "dpmpp_2m", 20, 20, unconditional=True),
}


def karras_grid(schedule: NoiseSchedule, num_steps: int, rho: float = 7.0) -> SamplingGrid:
    """Karras et al.'s σ_i = (σ_max^(1/ρ) + i/(N−1)(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ with
    σ = σ_t/α_t spanning the schedule's own noisiest and cleanest steps, then the data."""
    log_snr = schedule.default_grid(None).without_data_endpoint().log_snr()  # λ = −2 log σ
    sigma_max, sigma_min = (float(torch.exp(-0.5 * v)) for v in (log_snr.min(), log_snr.max()))
    sigmas = karras_sigmas(num_steps, sigma_min, sigma_max, rho)
    return schedule.grid_at_log_snr(-2.0 * torch.log(sigmas))


def draw(
    generator: DiffusionGenerator, row: Row, num_samples: int, *, seed: int, batch_size: int
) -> torch.Tensor:
    """Samples 0 … N−1 of ``seed`` for ``row``, through ``DiffusionGenerator.sample`` (what
    ``diffmm sample`` runs) unless the row needs a grid or a condition it does not offer."""
    if not (row.karras or row.unconditional):
        return generator.sample(
            num_samples,
            sampler=row.sampler,
            steps=row.steps,
            guidance_scale=row.guidance_scale,
            batch_size=batch_size,
            seed=seed,
        )
    schedule = build_schedule(generator.diffusion)
    denoiser = build_denoiser(generator.model, generator.diffusion)
    if row.karras:
        grid = karras_grid(schedule, row.steps)
    else:  # the sampler's preferred grid, as generate() would choose it
        grid = schedule.grid(row.steps, preferred_spacing(row.sampler, schedule))
    noise, batches = PerSampleNoise(seed), []
    with torch.no_grad():
        for start in range(0, num_samples, batch_size):
            indices = torch.arange(start, min(start + batch_size, num_samples))
            labels = None if row.unconditional else labels_of(seed, indices, generator)
            with noise.batch(indices):
                x = STANDARD_NORMAL.sample(
                    (len(indices), *generator.data_shape),
                    scale=grid.prior_scale,
                    generator=noise.generator,
                )
                x = get_sampler(row.sampler)(
                    denoiser, x, grid, cond={"y": labels}, generator=noise.generator
                )
            batches.append(x.float())
    return torch.cat(batches)


def labels_of(seed: int, indices: torch.Tensor, generator: DiffusionGenerator) -> torch.Tensor:
    """The class ``DiffusionGenerator.sample`` gives each sample when none is asked for."""
    return PerSampleNoise(seed).labels(indices, generator.num_classes)


def score(
    images: np.ndarray,
    labels: np.ndarray,
    extractor: FeatureClassifier,
    reference: Reference,
    subsets: list[int],
) -> dict:
    """FID, precision/recall and class accuracy of all the images and of each first subset."""
    features, probabilities = extract(extractor, images)
    result = {}
    for n in sorted({len(images), *[s for s in subsets if s < len(images)]}):
        scores = score_features(features[:n], probabilities[:n], reference, extractor)
        accuracy = float((probabilities[:n].argmax(1) == labels[:n]).mean())
        result[str(n)] = {
            "fid": scores["fid"],
            "precision": scores["precision"],
            "recall": scores["recall"],
            "class_accuracy": accuracy,
        }
    return result


def run_rows(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    generator = DiffusionGenerator.from_bundle(args.bundle)
    extractor = FeatureClassifier.from_bundle(args.extractor)
    reference = load_reference(args.ref, extractor)
    out = Path(args.out_dir)
    for name in args.rows:
        row = ROWS[name]
        start = time.perf_counter()
        samples = draw(generator, row, args.num_samples, seed=args.seed, batch_size=args.batch)
        seconds = time.perf_counter() - start
        images = samples_to_uint8(samples)
        labels = labels_of(args.seed, torch.arange(args.num_samples), generator).numpy()
        write_image_samples(out / f"{name}.npz", images)
        result = {
            "row": name,
            "label": row.label,
            "evaluations": row.evaluations,
            "num_samples": args.num_samples,
            "seconds": seconds,
            "images_per_s": args.num_samples / seconds,
            "threads": args.threads,
            "bundle": str(args.bundle),
            "seed": args.seed,
            "scores": score(images, labels, extractor, reference, args.subset),
        }
        (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result), flush=True)


def table(directory: Path) -> str:
    """One markdown line per row JSON in ``directory``, in ROWS order."""
    lines = [
        "| row | NFE | N | FID ↓ | precision | recall | class acc. | images/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in ROWS:
        path = directory / f"{name}.json"
        if not path.exists():
            continue
        result = json.loads(path.read_text())
        for n, s in sorted(result["scores"].items(), key=lambda item: -int(item[0])):
            lines.append(
                f"| {result['label']} | {result['evaluations']} | {n} | {s['fid']:.2f} | "
                f"{s['precision']:.3f} | {s['recall']:.3f} | {s['class_accuracy']:.3f} | "
                f"{result['images_per_s']:.2f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", help="class-conditional image bundle with a null class")
    parser.add_argument("--extractor", help="project classifier bundle (features, accuracy)")
    parser.add_argument("--ref", help="reference images (.npz) for FID and precision/recall")
    parser.add_argument("--rows", nargs="+", choices=sorted(ROWS), default=list(ROWS))
    parser.add_argument("--num-samples", type=int, default=500)
    parser.add_argument("--subset", type=int, nargs="*", default=[100])
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out-dir", default="exp/image_samplers")
    parser.add_argument("--table", help="print the markdown table of this directory's rows")
    args = parser.parse_args()
    if args.table:
        print(table(Path(args.table)))
        return
    if not (args.bundle and args.extractor and args.ref):
        parser.error("--bundle, --extractor and --ref are needed to run rows")
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    run_rows(args)


if __name__ == "__main__":
    main()
