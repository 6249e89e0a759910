"""``diffmm sample`` for point-cloud bundles: generated (or, with ``--reconstruct``,
auto-encoded) clouds written as ``.npy`` (M, N, 3), one ``.ply`` per cloud, or a PNG of 3-D
views; a ``.npy``/``.ply`` output also gets the PNG beside it (``<stem>_views.png``).
Clouds are in the bundle's training normalisation (printed, and in its ``config.yaml``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tqdm.auto import tqdm

from diffmm.bundle import Bundle
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
    generator = PointCloudGenerator.from_bundle(bundle)
    generator.check_request(args.steps, args.spacing, args.num_points)
    inputs = None
    if args.reconstruct:
        source = load_clouds(args.reconstruct, num_points=args.num_points or generator.num_points)
        inputs = normalize(source.clouds, generator.normalization)
    elif not generator.can_generate:
        raise DiffmmError("an auto-encoder bundle reconstructs clouds: give --reconstruct SOURCE")
    count = args.num_samples if inputs is None else len(inputs)
    start = time.perf_counter()
    with tqdm(total=count, desc="sampling", unit="cloud") as bar:
        options = SamplingOptions(
            args.sampler,
            args.steps,
            args.spacing,
            args.num_points,
            args.batch_size,
            sampler_options=sampler_options,
            on_batch=bar.update,
        )
        if inputs is None:
            clouds = generator.sample(count, seed=args.seed, options=options)
        else:
            clouds = generator.reconstruct(inputs, seed=args.seed, options=options)
    seconds = time.perf_counter() - start
    clouds = clouds.numpy()
    if output.suffix == ".png":
        save_cloud_views(output, clouds)
    else:
        write_clouds(output, clouds)
        save_cloud_views(output.with_name(f"{output.stem}_views.png"), clouds)
    print(
        f"wrote {len(clouds)} clouds of {clouds.shape[1]} points to {output} in {seconds:.2f} s "
        f"({seconds / len(clouds):.3f} s/cloud; normalization {generator.normalization})"
    )
    return 0
