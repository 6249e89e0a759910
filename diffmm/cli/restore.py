"""``diffmm restore BUNDLE TASK -i INPUT -o OUTPUT``: inverse problems solved with a trained
model, no retraining (``diffmm.diffusion.inverse``; docs/inverse.md).

Tasks by bundle family:
- image bundles: ``inpaint`` (``--mask`` PNG, white known), ``super-resolution``
  (``--factor`` 2 or 4; the input is the small image), ``colorize`` (grey input, RGB model);
  input a PNG, a flat folder of images or an ``.npz`` of uint8 NHWC; output ``.npz`` + grid;
  ``--num-samples K`` writes the mean of K posterior samples of each image; colorize
  ``--warm-start T0`` starts the sampler at model time T0 from the grey image noised to it;
- unconditional waveform bundles: ``gap-fill`` (``--gaps`` "START-END,..." seconds) and
  ``bandwidth`` (a recording below the model's rate); input and output ``.wav``;
- mel-conditioned vocoder bundles (DiffWave, PriorGrad): ``gap-fill`` given ``--mel``, the
  (n_mels, frames) log-mel of the whole utterance (as ``diffmm vocode`` reads it), restored
  in one piece; ``--num-samples K`` writes the mean of K posterior samples;
- TimeGrad bundles: ``impute`` (NaN/empty cells of the last C rows of the input table;
  output the table of those rows, median of the paths) and ``forecast-given``
  (``--known-future`` table of the next P rows, NaN where unknown; output the forecast's
  quantile table, as ``diffmm forecast`` writes it).

``--method``: replacement (default), repaint, ddnm, pigdm or dps; ``--scale`` is DPS's ζ or
ΠGDM's guidance weight. ``--samples-npy`` keeps the raw samples. Series: ``--lookahead M``
weighs M candidates per hidden step by the next ``--lookahead-steps`` known steps.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from diffmm.atomic import atomic_path
from diffmm.audio.restoration import AUDIO_TASKS
from diffmm.cli.options import add_precision_option, check_writable
from diffmm.cli.outputs import add_overwrite_option, check_outputs
from diffmm.diffusion.inverse import METHODS
from diffmm.diffusion.samplers import SAMPLERS
from diffmm.errors import DiffmmError
from diffmm.vision.restoration import IMAGE_TASKS

SERIES_TASKS = ("impute", "forecast-given")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("restore", help="inpainting, super-resolution, imputation, ...")
    parser.add_argument("bundle", help="model bundle directory")
    parser.add_argument("task", choices=IMAGE_TASKS + AUDIO_TASKS + SERIES_TASKS)
    parser.add_argument("-i", "--input", required=True, help="image(s), .wav, or series table")
    parser.add_argument("-o", "--output", required=True, help=".npz, .wav, or .csv")
    parser.add_argument("--mask", default=None, help="inpaint: mask PNG, white known")
    parser.add_argument("--factor", type=int, default=2, help="super-resolution factor")
    parser.add_argument("--gaps", default=None, help="gap-fill: START-END[,START-END] seconds")
    parser.add_argument("--known-future", default=None, help="forecast-given: future table")
    parser.add_argument("--mel", default=None, help="gap-fill, vocoder bundle: the .npy log-mel")
    parser.add_argument("--method", default="replacement", choices=METHODS)
    parser.add_argument("--sampler", default="ddpm", choices=sorted(SAMPLERS))
    parser.add_argument("--steps", type=int, default=None, help="sampling steps (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="DPS ζ / ΠGDM weight")
    parser.add_argument("--jump-length", type=int, default=10, help="RePaint jump length j")
    parser.add_argument("--resamplings", type=int, default=10, help="RePaint resamplings r")
    parser.add_argument(
        "--num-samples",
        type=int,
        default=None,
        help="series: sample paths (100); images, vocoder gap-fill: samples averaged (1)",
    )
    parser.add_argument(
        "--lookahead",
        type=int,
        default=1,
        metavar="M",
        help="impute/forecast-given: M candidates per hidden step, one kept by how well it "
        "predicts the next known steps (1: off; diffmm.models.timegrad_lookahead)",
    )
    parser.add_argument("--lookahead-draws", type=int, default=8, help="draws per candidate")
    parser.add_argument("--lookahead-steps", type=int, default=2, help="steps looked ahead")
    parser.add_argument(
        "--warm-start",
        type=float,
        default=None,
        metavar="T0",
        help="colorize: start at model time T0 (of the --steps grid) from the grey image "
        "noised to that level, not from noise (SDEdit/CCDF)",
    )
    parser.add_argument("--samples-npy", default=None, help="also write the raw samples")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    add_precision_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def solver_options(args: argparse.Namespace) -> dict:
    return {
        "method": args.method,
        "sampler": args.sampler,
        "steps": args.steps,
        "scale": args.scale,
        "jump_length": args.jump_length,
        "resamplings": args.resamplings,
        "seed": args.seed,
        "dtype": args.dtype,
    }


def run(args: argparse.Namespace) -> int:
    inputs = [p for p in (args.input, args.bundle, args.mask, args.known_future, args.mel) if p]
    outputs = {"-o": args.output, "--samples-npy": args.samples_npy}
    check_outputs(outputs.items(), inputs=inputs, overwrite=args.overwrite)
    check_writable(*outputs.values())
    start = time.perf_counter()
    if args.task in SERIES_TASKS:
        restore_series(args)
    else:
        restore_samples(args)
    print(f"restored ({args.task}, {args.method}) in {time.perf_counter() - start:.2f} s")
    return 0


def restore_samples(args: argparse.Namespace) -> None:
    from tqdm.auto import tqdm

    from diffmm.bundle import load
    from diffmm.models.generation import DiffusionGenerator
    from diffmm.models.restoration import Restorer

    bundle = load(args.bundle, device=args.device)
    if "mel_preset" in bundle.config:
        restore_with_vocoder(args, bundle)
        return
    if args.mel:
        raise DiffmmError("--mel needs a mel-conditioned vocoder bundle (DiffWave, PriorGrad)")
    generator = DiffusionGenerator.from_bundle(bundle)
    is_image = generator.family == "image"
    if is_image != (args.task in IMAGE_TASKS):
        kind = "an image" if is_image else f"a {generator.family}"
        raise DiffmmError(f"task {args.task} does not apply to {kind} bundle")
    if args.warm_start is not None and args.task != "colorize":
        raise DiffmmError(f"--warm-start applies to colorize, not {args.task}")
    if is_image:
        measurement, finish = image_task(args, generator.data_shape)
    else:
        measurement, finish = audio_task(args, generator)
    # colorize's warm start: the grey image in every channel, whose luma is y exactly
    start = None if args.warm_start is None else measurement.y.expand(-1, 3, -1, -1)
    with tqdm(total=measurement.num_examples, desc=args.task, unit="item") as bar:
        restored = Restorer(generator).restore(
            measurement,
            batch_size=args.batch_size,
            on_batch=bar.update,
            start=start,
            start_time=args.warm_start,
            **solver_options(args),
        )
    finish(restored)
    if args.samples_npy:
        with atomic_path(args.samples_npy) as temporary:
            np.save(temporary, restored.numpy())


def image_task(args: argparse.Namespace, data_shape: tuple[int, ...]):
    import torch

    from diffmm.diffusion.inverse import Measurement
    from diffmm.vision.restoration import image_measurement, read_images, read_mask
    from diffmm.vision.sample_files import samples_to_uint8, write_image_samples

    if Path(args.output).suffix != ".npz":
        raise DiffmmError(f"image output must end in .npz, got {Path(args.output).name}")
    channels = 1 if args.task == "colorize" else data_shape[0]
    images = read_images(args.input, channels)
    mask = read_mask(args.mask) if args.mask else None
    measurement = image_measurement(args.task, images, data_shape, mask=mask, factor=args.factor)
    k, n = args.num_samples or 1, len(images)
    if k < 1:
        raise DiffmmError(f"--num-samples must be at least 1, got {k}")
    # K samples of each image, averaged: a Monte Carlo posterior mean, which loses the
    # samples' detail but not their agreement (a lower squared error than one sample)
    y = measurement.y.repeat(k, 1, 1, 1)
    repeated = Measurement(measurement.operator, y, measurement.noise_std)

    def finish(x: torch.Tensor) -> None:
        mean = x.reshape(k, n, *x.shape[1:]).mean(0)
        write_image_samples(args.output, samples_to_uint8(mean))

    return repeated, finish


def audio_task(args: argparse.Namespace, generator):
    from diffmm.audio.io import load_audio, save_audio
    from diffmm.audio.restoration import (
        bandwidth_measurement,
        gap_measurement,
        join_segments,
        parse_gaps,
    )

    if generator.sample_rate is None or len(generator.data_shape) != 2:
        raise DiffmmError(f"{args.bundle} is not a waveform bundle")
    if Path(args.output).suffix != ".wav":
        raise DiffmmError(f"audio output must end in .wav, got {Path(args.output).name}")
    rate, length = generator.sample_rate, generator.data_shape[-1]
    if args.task == "gap-fill":
        wave, _ = load_audio(args.input, sample_rate=rate)
        measurement, total = (
            gap_measurement(wave, rate, parse_gaps(args.gaps or ""), length),
            len(wave),
        )
    else:
        wave, input_rate = load_audio(args.input)
        measurement, total = bandwidth_measurement(wave, input_rate, rate, length)
    return measurement, lambda x: save_audio(args.output, join_segments(x, total), rate)


def restore_with_vocoder(args: argparse.Namespace, bundle) -> None:
    """gap-fill with a mel-conditioned vocoder: the whole utterance at once, given its mel."""
    from diffmm.audio.io import load_audio, save_audio
    from diffmm.audio.restoration import gap_measurement, parse_gaps
    from diffmm.cli.vocode import read_mel
    from diffmm.models.restoration import restore_with_mel
    from diffmm.models.vocoder import Vocoder

    if args.task != "gap-fill":
        raise DiffmmError(f"task {args.task} does not apply to a vocoder bundle (only gap-fill)")
    if args.mel is None:
        raise DiffmmError(
            "gap-fill with a vocoder bundle needs --mel, the log-mel of the whole utterance"
        )
    if Path(args.output).suffix != ".wav":
        raise DiffmmError(f"audio output must end in .wav, got {Path(args.output).name}")
    vocoder = Vocoder.from_bundle(bundle)
    mel = read_mel(args.mel, vocoder)
    rate, length = vocoder.sample_rate, mel.shape[-1] * vocoder.hop
    wave, _ = load_audio(args.input, sample_rate=rate)
    if abs(len(wave) - length) >= vocoder.hop:
        raise DiffmmError(
            f"the mel's {mel.shape[-1]} frames are {length / rate:.3f} s of audio, the recording "
            f"{len(wave) / rate:.3f} s"
        )
    measurement = gap_measurement(wave[:length], rate, parse_gaps(args.gaps or ""), length)
    samples = restore_with_mel(
        vocoder, mel, measurement, num_samples=args.num_samples or 1, **solver_options(args)
    )
    # the mean of the posterior samples (one by default): the known samples stay the input's
    restored = samples[:, 0].mean(0).numpy()
    # samples past the mel's last frame (under one hop) are kept as recorded
    save_audio(args.output, np.concatenate([restored, wave[length:]])[: len(wave)], rate)
    if args.samples_npy:
        with atomic_path(args.samples_npy) as temporary:
            np.save(temporary, samples.numpy())


def restore_series(args: argparse.Namespace) -> None:
    import pandas as pd

    from diffmm.models.forecaster import Forecaster
    from diffmm.models.timegrad_inverse import restore_series as sample_given
    from diffmm.models.timegrad_lookahead import Lookahead
    from diffmm.timeseries import read_series
    from diffmm.timeseries.forecast import Forecast, ForecastWindows

    forecaster = Forecaster.from_bundles([args.bundle], device=args.device)
    predictor = forecaster.members[0]
    context = predictor.model.cfg.context_length
    known_future, horizon = None, 1
    if args.task == "forecast-given":
        if args.known_future is None:
            raise DiffmmError("forecast-given needs --known-future (a table of the next steps)")
        future = read_series(args.known_future, freq=forecaster.freq)
        order = [
            future.item_ids.index(name) for name in forecaster.item_ids if name in future.item_ids
        ]
        if len(order) != len(forecaster.item_ids):
            raise DiffmmError(
                f"{args.known_future} must have a column per series: {forecaster.item_ids}"
            )
        known_future, horizon = future.target[order][None], future.length
    windows = forecaster.read(args.input, prediction_length=horizon)
    paths = sample_given(
        predictor,
        windows.histories,
        horizon,
        known_future=known_future,
        num_samples=args.num_samples or 100,
        lookahead=Lookahead(args.lookahead, args.lookahead_draws, args.lookahead_steps)
        if args.lookahead > 1
        else None,
        **solver_options(args),
    )
    if args.task == "forecast-given":
        forecast = Forecast(
            ForecastWindows(windows.histories, None, horizon),
            paths[:, :, context:],
            forecaster.item_ids,
        )
        with atomic_path(args.output) as temporary:
            forecast.write_table(temporary)
    else:
        history = windows.histories[0]
        median = np.median(paths[0, :, :context], axis=0)
        table = pd.DataFrame(
            median, columns=forecaster.item_ids, index=history.index[-context:].to_timestamp()
        )
        table.index.name = "timestamp"
        with atomic_path(args.output) as temporary:
            table.to_csv(temporary)
    if args.samples_npy:
        with atomic_path(args.samples_npy) as temporary:
            np.save(temporary, paths)
