"""``diffmm sample`` for point-cloud bundles: generated (or, with ``--reconstruct``,
auto-encoded) clouds written as ``.npy`` (M, N, 3), one ``.ply`` per cloud, or a PNG of 3-D
views; a ``.npy``/``.ply`` output also gets the PNG beside it (``<stem>_views.png``).
Clouds are in the bundle's training normalisation (printed, and in its ``config.yaml``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tqdm.auto import tqdm

from diffmm.atomic import atomic_path
from diffmm.bundle import Bundle
from diffmm.cli.outputs import check_outputs
from diffmm.errors import DiffmmError

OUTPUT_SUFFIXES = (".npy", ".ply", ".png")


def sample_point_clouds(args: argparse.Namespace, bundle: Bundle, sampler_options: dict) -> int:
    from diffmm.models.pointcloud_generator import PointCloudGenerator, SamplingOptions
    from diffmm.pointcloud import load_clouds, normalize, write_clouds
    from diffmm.pointcloud.plot import save_cloud_views

    output = Path(args.output)
    if output.suffix not in OUTPUT_SUFFIXES:
        raise DiffmmError(
            f"point clouds are written as {', '.join(OUTPUT_SUFFIXES)}, got {output.name}"
        )
    unused = [
        option
        for option, value in (
            ("--class-label", args.class_label),
            ("--guidance-scale", args.guidance_scale),
            ("--classifier", args.classifier),
        )
        if value is not None
    ]
    if unused:
        raise DiffmmError(f"{', '.join(unused)}: point-cloud bundles are not class-conditional")
    generator = PointCloudGenerator.from_bundle(bundle)
    generator.check_request(args.steps, args.spacing, args.num_points)
    inputs = None
    if args.reconstruct:
        source = load_clouds(args.reconstruct, num_points=args.num_points or generator.num_points)
        inputs = normalize(source.clouds, generator.normalization)
    elif not generator.can_generate:
        raise DiffmmError("an auto-encoder bundle reconstructs clouds: give --reconstruct SOURCE")
    count = args.num_samples if inputs is None else len(inputs)
    check_outputs(
        [("-o", path) for path in output_paths(output, count)],
        inputs=[args.reconstruct] if args.reconstruct else [],
        overwrite=args.overwrite,
    )
    start = time.perf_counter()
    with tqdm(total=count, desc="sampling", unit="cloud") as bar:
        options = SamplingOptions(
            args.sampler,
            args.steps,
            args.spacing,
            args.num_points,
            args.batch_size,
            dtype=args.dtype,
            sampler_options=sampler_options,
            on_batch=bar.update,
        )
        if inputs is None:
            clouds = generator.sample(count, seed=args.seed, options=options)
        else:
            clouds = generator.reconstruct(inputs, seed=args.seed, options=options)
    seconds = time.perf_counter() - start
    clouds = clouds.numpy()
    if output.suffix != ".png":
        write_clouds(output, clouds)
    with atomic_path(output_paths(output, count)[-1]) as temporary:
        save_cloud_views(temporary, clouds)
    print(
        f"wrote {len(clouds)} clouds of {clouds.shape[1]} points to {output} in {seconds:.2f} s "
        f"({seconds / len(clouds):.3f} s/cloud; normalization {generator.normalization})"
    )
    return 0


def output_paths(output: Path, count: int) -> list[Path]:
    """Every file written for ``count`` clouds, the PNG of views last."""
    if output.suffix == ".png":
        return [output]
    views = output.with_name(f"{output.stem}_views.png")
    if output.suffix == ".ply" and count > 1:
        return [output.with_name(f"{output.stem}_{i:04d}.ply") for i in range(count)] + [views]
    return [output, views]
