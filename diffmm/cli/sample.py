"""``diffmm sample BUNDLE``: unconditional or class-conditional generation with any sampler."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.diffusion.samplers import SAMPLERS, generate
from diffmm.errors import DiffmmError


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sample", help="generate samples from a model bundle")
    parser.add_argument("bundle", help="model bundle directory")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="output .npy (samples), .png (plot), or for audio bundles .wav / a directory",
    )
    parser.add_argument("-n", "--num-samples", type=int, default=16)
    parser.add_argument("--sampler", default="ddpm", choices=sorted(SAMPLERS))
    parser.add_argument(
        "--steps", type=int, default=None, help="sampling steps (default: the schedule's own)"
    )
    parser.add_argument(
        "--class-label",
        type=int,
        default=None,
        help="class to generate (class-conditional bundles)",
    )
    parser.add_argument(
        "--spacing",
        choices=["default", "log_snr"],
        default=None,
        help="step grid (default: the sampler's preferred one; log_snr for dpmpp_2m)",
    )
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.set_defaults(run=run)


def check_class_label(num_classes: int | None, label: int | None) -> None:
    if num_classes is None and label is not None:
        raise DiffmmError("--class-label given, but this bundle is unconditional")
    if num_classes is not None and label is not None and not 0 <= label < num_classes:
        raise DiffmmError(f"--class-label must lie in [0, {num_classes}), got {label}")


def class_labels(
    num_classes: int | None, label: int | None, n: int, generator: torch.Generator
) -> torch.Tensor | None:
    """Labels for a batch: the requested class, or uniformly random ones when none is requested."""
    if num_classes is None:
        return None
    if label is None:
        return torch.randint(0, num_classes, (n,), generator=generator)
    return torch.full((n,), label, dtype=torch.long)


def write_samples(path: Path, samples: np.ndarray) -> None:
    """.npy keeps the raw array; .png draws points (N, 2), signals (N, L) / (N, 1, L) or images (N, C, H, W)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npy":
        np.save(path, samples)
    elif path.suffix == ".png":
        if samples.ndim == 2 and samples.shape[1] == 2:
            from diffmm.toy.plot import save_scatter

            save_scatter(path, samples)
        elif samples.ndim == 4:
            from diffmm.vision.grid import save_image_grid

            save_image_grid(path, samples)
        else:
            raise DiffmmError(f"no PNG rendering for samples of shape {samples.shape}; use .npy")
    else:
        raise DiffmmError(f"output must end in .npy or .png, got {path.name}")


def write_wavs(output: Path, samples: np.ndarray, sample_rate: int) -> None:
    """One wav per sample: ``output`` itself for a single .wav, else numbered files."""
    from diffmm.audio.io import save_audio

    waves = samples.reshape(len(samples), -1)
    if output.suffix == ".wav" and len(waves) == 1:
        save_audio(output, waves[0], sample_rate)
        return
    stem, folder = (output.stem, output.parent) if output.suffix == ".wav" else ("sample", output)
    for i, wave in enumerate(waves):
        save_audio(folder / f"{stem}_{i:04d}.wav", wave, sample_rate)


def run(args: argparse.Namespace) -> int:
    from diffmm.bundle import load

    if args.num_samples < 1 or args.batch_size < 1:
        raise DiffmmError("--num-samples and --batch-size must be positive")
    output = Path(args.output)
    bundle = load(args.bundle, device=args.device)
    sample_rate = bundle.config.get("sample_rate")  # audio bundles write .wav files
    if output.suffix not in (".npy", ".png") and not (
        sample_rate and output.suffix in (".wav", "")
    ):
        raise DiffmmError(f"output must end in .npy or .png, got {output.name}")
    if "data_shape" not in bundle.config or "diffusion" not in bundle.config:
        raise DiffmmError(
            f"bundle {args.bundle} has no data_shape/diffusion section: it cannot be sampled"
        )
    diffusion = DiffusionConfig.from_dict(bundle.config["diffusion"])
    schedule = build_schedule(diffusion)
    denoiser = build_denoiser(bundle.model, diffusion)
    shape = tuple(bundle.config["data_shape"])
    num_classes = bundle.config.get("model", {}).get("num_classes")
    check_class_label(num_classes, args.class_label)
    schedule.grid(
        args.steps, args.spacing or "default"
    )  # fails early (before any progress output) on a bad step count
    generator = torch.Generator(args.device).manual_seed(args.seed)
    label_generator = torch.Generator().manual_seed(args.seed)
    batches = []
    total = -(-args.num_samples // args.batch_size)
    with torch.no_grad(), tqdm(total=total, desc="sampling", unit="batch") as bar:
        for start in range(0, args.num_samples, args.batch_size):
            n = min(args.batch_size, args.num_samples - start)
            labels = class_labels(num_classes, args.class_label, n, label_generator)
            cond = None if labels is None else {"y": labels.to(args.device)}
            x = generate(
                denoiser,
                schedule,
                (n, *shape),
                sampler=args.sampler,
                num_steps=args.steps,
                spacing=args.spacing,
                cond=cond,
                generator=generator,
                device=args.device,
            )
            batches.append(x.cpu().numpy())
            bar.update(1)
    samples = np.concatenate(batches)
    if output.suffix in (".npy", ".png"):
        write_samples(output, samples)
    else:
        write_wavs(output, samples, int(sample_rate))
    print(f"wrote {len(samples)} samples of shape {shape} to {args.output}")
    return 0
