"""``diffmm sample BUNDLE``: unconditional or class-conditional generation with any sampler.

Under ``torchrun --nproc_per_node W`` each process draws its slice of the N samples and rank 0
writes them all: the same N samples as one process (``diffmm.models.sharded_sampling``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from diffmm.atomic import atomic_path
from diffmm.cli.options import add_precision_option, check_writable
from diffmm.cli.outputs import add_overwrite_option, check_outputs, output_folder
from diffmm.diffusion.samplers import SAMPLERS
from diffmm.errors import DiffmmError
from diffmm.models.precision import check_precision


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sample", help="generate samples from a model bundle")
    parser.add_argument("bundle", help="model bundle directory")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="output .npy (samples), .png (plot), for image bundles .npz (uint8 NHWC 'arr_0' "
        "plus a _grid.png), for sketch bundles .npz ('sequences' (N, L, 3) and their bitmaps "
        "as 'arr_0', plus a _grid.png), for audio bundles .wav / a directory, for point-cloud "
        "bundles .npy / .ply (plus a _views.png) or .png",
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
        "--sampler-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a sampler setting, e.g. steps_per_level=5 step_lr=6.2e-6 (annealed_langevin)",
    )
    parser.add_argument(
        "--guidance-scale",
        type=float,
        default=None,
        help="classifier-free guidance scale s (1: the conditional model; Ho & Salimans' w + 1)",
    )
    parser.add_argument(
        "--classifier", default=None, help="noise-aware classifier bundle for classifier guidance"
    )
    parser.add_argument(
        "--classifier-scale", type=float, default=1.0, help="classifier guidance scale s"
    )
    parser.add_argument(
        "--spacing",
        choices=["default", "log_snr"],
        default=None,
        help="step grid (default: the sampler's preferred one; log_snr for dpmpp_2m)",
    )
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--num-points", type=int, default=None, help="point clouds: points per cloud"
    )
    parser.add_argument(
        "--reconstruct",
        default=None,
        metavar="SOURCE",
        help="point-cloud bundles: auto-encode these clouds (.npy, h5, meshes...) instead",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda (each process its own GPU)")
    add_precision_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


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


def wav_paths(output: Path, num_samples: int) -> list[Path]:
    """One wav per sample: ``output`` itself for a single .wav, else numbered files."""
    if output.suffix == ".wav" and num_samples == 1:
        return [output]
    stem, folder = (output.stem, output.parent) if output.suffix == ".wav" else ("sample", output)
    return [folder / f"{stem}_{i:04d}.wav" for i in range(num_samples)]


def output_paths(output: Path, num_samples: int) -> list[Path]:
    """Every file ``write_output`` will write for ``num_samples`` samples."""
    if output.suffix == ".npz":
        return [output, output.with_name(f"{output.stem}_grid.png")]
    if output.suffix in (".npy", ".png"):
        return [output]
    return wav_paths(output_folder(output) if output.suffix == "" else output, num_samples)


def write_wavs(output: Path, samples: np.ndarray, sample_rate: int) -> None:
    from diffmm.audio.io import save_audio

    waves = samples.reshape(len(samples), -1)
    for path, wave in zip(wav_paths(output, len(waves)), waves):
        with atomic_path(path) as temporary:
            save_audio(temporary, wave, sample_rate)


def run(args: argparse.Namespace) -> int:
    from diffmm.bundle import load as load_bundle
    from diffmm.models.generation import DiffusionGenerator
    from diffmm.models.sharded_sampling import (
        device_for_rank,
        join_launch,
        leave_launch,
        sample_sharded,
    )

    if args.num_samples < 1 or args.batch_size < 1:
        raise DiffmmError("--num-samples and --batch-size must be positive")
    check_writable(args.output)
    output, device = Path(args.output), device_for_rank(args.device)
    bundle = load_bundle(args.bundle, device=device)
    if bundle.family == "pointcloud":
        from diffmm.cli.sample_pointclouds import sample_point_clouds

        return sample_point_clouds(args, bundle, parse_options(args.sampler_option))
    generator = DiffusionGenerator.from_bundle(bundle, device=device)
    classifier = None
    if args.classifier:
        from diffmm.models.noisy_classifier import ClassifierGuide

        classifier = ClassifierGuide.from_bundle(args.classifier, device=device)
    check_output(output, generator)
    planned = [("-o", path) for path in output_paths(output, args.num_samples)]
    check_outputs(planned, overwrite=args.overwrite)
    generator.check_request(
        args.steps, args.spacing, args.class_label, args.guidance_scale, classifier
    )
    check_precision(args.dtype, device)
    shard = join_launch()
    start = time.perf_counter()
    unit = "image" if len(generator.data_shape) == 3 else "sample"
    total = len(shard.indices(args.num_samples))
    with tqdm(total=total, desc="sampling", unit=unit, disable=not shard.is_main) as bar:
        samples = sample_sharded(
            generator,
            args.num_samples,
            shard,
            sampler=args.sampler,
            steps=args.steps,
            spacing=args.spacing,
            class_label=args.class_label,
            guidance_scale=args.guidance_scale,
            classifier=classifier,
            classifier_scale=args.classifier_scale,
            batch_size=args.batch_size,
            seed=args.seed,
            dtype=args.dtype,
            sampler_options=parse_options(args.sampler_option),
            on_batch=bar.update,
        )
    seconds = time.perf_counter() - start
    if shard.is_main:
        write_output(output, samples, generator)
        print(
            f"wrote {len(samples)} samples of shape {generator.data_shape} to {args.output} in "
            f"{seconds:.2f} s ({len(samples) / seconds:.1f} {unit}s/s; {shard.world_size} "
            f"process(es), {device}, {args.dtype})"
        )
    leave_launch(shard)
    return 0


def parse_options(pairs: list[str]) -> dict:
    """``KEY=VALUE`` strings as a dict, each value read as YAML (numbers, booleans)."""
    import yaml

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise DiffmmError(f"--sampler-option takes KEY=VALUE, got {pair!r}")
        options[key] = yaml.safe_load(value)
    return options


def check_output(output: Path, generator) -> None:
    """The output kinds this bundle's samples can be written as, checked before sampling."""
    suffixes = {".npy", ".png"}
    if len(generator.data_shape) == 3 or generator.raster is not None:
        suffixes.add(".npz")
    if generator.sample_rate:
        suffixes.update({".wav", ""})
    if output.suffix not in suffixes:
        raise DiffmmError(
            f"output for this bundle must end in {' or '.join(sorted(s or 'a directory' for s in suffixes))}"
            f", got {output.name}"
        )


def write_output(output: Path, samples, generator) -> None:
    if output.suffix == ".npz" and generator.raster is not None:
        from diffmm.sketch.samples import write_sketch_samples

        sequences = samples.numpy().transpose(0, 2, 1)  # (N, 3, L) channels-first → (N, L, 3)
        grid = write_sketch_samples(output, sequences, generator.raster)
        print(f"grid of the first samples: {grid}")
    elif output.suffix == ".npz":
        from diffmm.vision.sample_files import samples_to_uint8, write_image_samples

        grid = write_image_samples(output, samples_to_uint8(samples))
        print(f"grid of the first samples: {grid}")
    elif output.suffix == ".png" and generator.raster is not None:
        from diffmm.sketch.raster import save_bitmap_grid

        sequences = samples.numpy().transpose(0, 2, 1)
        with atomic_path(output) as temporary:
            save_bitmap_grid(temporary, generator.raster.rasterise(sequences))
    elif output.suffix in (".npy", ".png"):
        with atomic_path(output) as temporary:
            write_samples(temporary, samples.numpy())
    else:
        write_wavs(output, samples.numpy(), generator.sample_rate)
