"""Inverse problems with trained models against simple baselines (docs/inverse.md).

    OMP_NUM_THREADS=1 python benchmarks/inverse_problems.py \
        --images exp/fashion_mnist_mini/bundle --image-test data/test.npz \
        --speech exp/diffwave_uncond_mini/bundle --speech-dir data/valid \
        --series exp/timegrad_pedestrian/bundle --series-data data/pedestrian

Each section runs when its bundle is given and prints a markdown table: the task, the method
(with sampler and steps), the metric, network evaluations per sample (a batch's forward calls
of the network) and wall time per sample.

- Images (a Fashion-MNIST DDPM, 28×28 padded to 32): the first ``--num-images`` test images;
  a centred 12×12 hole (inpainting) against nearest-known-pixel and harmonic fills;
  ×2 and ×4 block-average super-resolution against nearest and bicubic upsampling. PSNR and
  SSIM on the 28×28 image.
- Colour photographs (``--colour-images``, a DDPM on 32×32 RGB crops): colourisation of
  held-out crops from their luma against grey and training-chroma baselines; see
  ``benchmarks/inverse_colour.py``.
- Speech (an unconditional DiffWave on clips): the held-out utterances of a Kaldi data dir;
  30 ms gaps every 250 ms against linear interpolation and silence; bandwidth extension from
  8 kHz against the band-limited input. Log-mel L1 distance to the original.
- Speech with a mel-conditioned vocoder (DiffWave, PriorGrad; ``--vocoder``): the same gaps
  filled given the mel of the whole utterance, one utterance at a time, against the same
  baselines and the vocoder's plain output from the mel (no measurement).
- Series (a TimeGrad): the dataset's test windows; 30% of the context entries hidden at
  random, imputed, against linear interpolation and seasonal naive (24 steps back); forecasts
  of series 2 and 3 given series 0 and 1 over the horizon, against the plain forecast and
  seasonal naive. CRPS on the hidden or forecast entries (a point baseline's CRPS is its MAE);
  see ``benchmarks/inverse_series.py``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage
from torch.nn import functional as F

from diffmm.diffusion.inverse import BlockAverageOperator, MaskOperator, Measurement
from diffmm.metrics.image_quality import psnr, ssim
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.restoration import Restorer

Row = tuple[str, str, str, float, float]  # task, method, metric text, NFE, seconds per sample


@contextmanager
def counting_calls(model: torch.nn.Module):
    """Count forward calls of ``model`` (one per network evaluation of a batch)."""
    calls = [0]
    handle = model.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        yield calls
    finally:
        handle.remove()


def timed(
    model: torch.nn.Module, count: int, fn: Callable[[], object]
) -> tuple[object, float, float]:
    """(fn(), network calls, seconds per sample)."""
    with counting_calls(model) as calls:
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
    return out, float(calls[0]), seconds / count


# ------------------------------------------------------------------ images
IMAGE_METHODS = {
    "replacement": {"method": "replacement", "sampler": "ddim", "steps": 50},
    "repaint": {"method": "repaint", "sampler": "ddpm", "steps": 50, "resamplings": 5},
    "ddnm": {"method": "ddnm", "sampler": "ddim", "steps": 50},
    "pigdm": {"method": "pigdm", "sampler": "ddim", "steps": 50},
    "dps": {"method": "dps", "sampler": "ddpm", "steps": 100, "scale": 1.0},
}


def harmonic_fill(images: torch.Tensor, known: torch.Tensor, iterations: int = 500) -> torch.Tensor:
    """Fill unknown pixels by repeated 4-neighbour averaging with the known ones held fixed."""
    x = torch.where(known, images, images[known.expand_as(images)].mean())
    kernel = torch.tensor([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]]).reshape(1, 1, 3, 3)
    for _ in range(iterations):
        x = torch.where(known, images, F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel))
    return x


def nearest_fill(images: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Each unknown pixel takes the value of the nearest known one."""
    _, (rows, cols) = ndimage.distance_transform_edt(~known[0, 0].numpy(), return_indices=True)
    return images[..., torch.from_numpy(rows), torch.from_numpy(cols)]


def image_scores(truth: torch.Tensor, estimate: torch.Tensor) -> str:
    crop = (slice(None), slice(None), slice(2, 30), slice(2, 30))
    t, e = truth[crop], estimate.clamp(-1, 1)[crop]
    return f"PSNR {float(psnr(t, e).mean()):.2f} dB, SSIM {float(ssim(t, e).mean()):.3f}"


def image_rows(args: argparse.Namespace) -> Iterator[Row]:
    from diffmm.vision.padding import pad_images
    from diffmm.vision.pixels import uint8_to_signed
    from diffmm.vision.sources import load_image_arrays

    generator = DiffusionGenerator.from_bundle(args.images)
    restorer, model = Restorer(generator), generator.model
    images = pad_images(load_image_arrays(args.image_test).images[: args.num_images], 32)
    truth = uint8_to_signed(torch.from_numpy(images)).permute(0, 3, 1, 2)
    n = len(truth)
    known = torch.ones(1, 1, 32, 32, dtype=torch.bool)
    known[..., 10:22, 10:22] = False
    inpaint = Measurement(MaskOperator(known.float()), truth * known)
    yield (
        "inpaint 12×12",
        "nearest known pixel",
        image_scores(truth, nearest_fill(truth, known)),
        0,
        0,
    )
    yield "inpaint 12×12", "harmonic fill", image_scores(truth, harmonic_fill(truth, known)), 0, 0
    for name, options in selected(IMAGE_METHODS, args):
        out, nfe, sec = timed(
            model, n, lambda o=options: restorer.restore(inpaint, **o, seed=args.seed)
        )
        yield "inpaint 12×12", describe(name, options), image_scores(truth, out), nfe, sec
    for factor in (2, 4):
        task = f"super-resolution ×{factor}"
        operator = BlockAverageOperator(factor)
        low = operator(truth)
        near = low.repeat_interleave(factor, 2).repeat_interleave(factor, 3)
        cubic = F.interpolate(low, scale_factor=factor, mode="bicubic", align_corners=False)
        yield task, "nearest upsampling", image_scores(truth, near), 0, 0
        yield task, "bicubic upsampling", image_scores(truth, cubic), 0, 0
        for name, options in selected(IMAGE_METHODS, args, ("ddnm", "pigdm", "dps")):
            measurement = Measurement(operator, low)
            out, nfe, sec = timed(
                model, n, lambda o=options, m=measurement: restorer.restore(m, **o, seed=args.seed)
            )
            yield task, describe(name, options), image_scores(truth, out), nfe, sec


def selected(methods: dict, args: argparse.Namespace, names: tuple[str, ...] | None = None):
    """(name, options) of ``methods`` among ``names`` (all if None) and ``--methods``."""
    wanted = args.methods.split(",") if args.methods else None
    for name in names or methods:
        if wanted is None or name in wanted:
            yield name, methods[name]


def describe(name: str, options: dict) -> str:
    extra = f", r={options['resamplings']}" if "resamplings" in options else ""
    extra += f", ζ={options['scale']}" if name == "dps" else ""
    return f"{name} ({options['sampler']} {options['steps']}{extra})"


# ------------------------------------------------------------------ speech
SPEECH_METHODS = {
    "replacement": {"method": "replacement", "sampler": "ddpm", "steps": None},
    "repaint": {"method": "repaint", "sampler": "ddpm", "steps": None, "resamplings": 3},
    "ddnm": {"method": "ddnm", "sampler": "ddpm", "steps": None},
    "pigdm": {"method": "pigdm", "sampler": "ddpm", "steps": None},
}


GAP_TASK = "gap filling 30 ms / 250 ms"


def held_out_speech(data_dir: str, rate: int) -> list[np.ndarray]:
    from diffmm.audio.datadir import read_kaldi_map
    from diffmm.audio.io import load_audio

    paths = read_kaldi_map(Path(data_dir) / "wav.scp").values()
    return [load_audio(path, sample_rate=rate)[0] for path in paths]


def speech_score(waves: list[np.ndarray], rate: int) -> Callable[[list[np.ndarray]], str]:
    from diffmm.metrics.audio import log_mel_l1

    def score(estimates: list[np.ndarray]) -> str:
        values = [log_mel_l1(w, e, rate) for w, e in zip(waves, estimates)]
        return f"log-mel L1 {np.mean(values):.3f}"

    return score


def speech_gaps(waves: list[np.ndarray], rate: int) -> list[list[tuple[float, float]]]:
    """30 ms gaps every 250 ms from 0.1 s."""
    return [[(t, t + 0.03) for t in np.arange(0.1, len(w) / rate - 0.05, 0.25)] for w in waves]


def gap_baselines(
    waves: list[np.ndarray], measurements: list[Measurement], score: Callable
) -> Iterator[Row]:
    known = [m.operator.mask.reshape(-1).numpy()[: len(w)] > 0 for m, w in zip(measurements, waves)]
    linear = [np.interp(np.arange(len(w)), np.flatnonzero(k), w[k]) for w, k in zip(waves, known)]
    yield GAP_TASK, "silence", score([w * k for w, k in zip(waves, known)]), 0, 0
    yield GAP_TASK, "linear interpolation", score(linear), 0, 0


def speech_rows(args: argparse.Namespace) -> Iterator[Row]:
    from diffmm.audio.io import resample
    from diffmm.audio.restoration import (
        bandwidth_measurement,
        gap_measurement,
        join_segments,
    )

    generator = DiffusionGenerator.from_bundle(args.speech)
    restorer, model = Restorer(generator), generator.model
    rate, clip = generator.sample_rate, generator.data_shape[-1]
    waves = held_out_speech(args.speech_dir, rate)
    score = speech_score(waves, rate)
    gaps = speech_gaps(waves, rate)
    measurements = [gap_measurement(w, rate, g, clip) for w, g in zip(waves, gaps)]
    yield from gap_baselines(waves, measurements, score)
    batch = Measurement(
        MaskOperator(torch.cat([m.operator.mask for m in measurements])),
        torch.cat([m.y for m in measurements]),
    )
    sizes = [m.num_examples for m in measurements]
    for name, options in selected(SPEECH_METHODS, args):
        out, nfe, sec = timed(
            model, sum(sizes), lambda o=options: restorer.restore(batch, **o, seed=args.seed)
        )
        parts = torch.split(out, sizes)
        restored = [join_segments(p, len(w)) for p, w in zip(parts, waves)]
        yield GAP_TASK, describe(name, {**options, "steps": "all"}), score(restored), nfe, sec

    low_rate = rate // 2
    lows = [resample(w, rate, low_rate) for w in waves]
    pairs = [bandwidth_measurement(low, low_rate, rate, clip) for low in lows]
    band_limited = [join_segments(m.y, n) for m, n in pairs]
    yield (
        f"bandwidth {low_rate // 1000} → {rate // 1000} kHz",
        "band-limited input",
        score(band_limited),
        0,
        0,
    )
    batch = Measurement(pairs[0][0].operator, torch.cat([m.y for m, _ in pairs]))
    sizes = [m.num_examples for m, _ in pairs]
    for name, options in selected(SPEECH_METHODS, args, ("ddnm", "pigdm")):
        out, nfe, sec = timed(
            model, sum(sizes), lambda o=options: restorer.restore(batch, **o, seed=args.seed)
        )
        restored = [join_segments(p, n) for p, (_, n) in zip(torch.split(out, sizes), pairs)]
        yield (
            f"bandwidth {low_rate // 1000} → {rate // 1000} kHz",
            describe(name, {**options, "steps": "all"}),
            score(restored),
            nfe,
            sec,
        )


REPAINT_FAST = {"method": "repaint", "sampler": "ddpm", "steps": None, "jump_length": 2}
VOCODER_METHODS = {  # label: (options, posterior samples averaged)
    "replacement": ({"method": "replacement", "sampler": "ddpm", "steps": None}, 1),
    "repaint": ({**REPAINT_FAST, "resamplings": 3}, 1),
    "ddnm": ({"method": "ddnm", "sampler": "ddpm", "steps": None}, 1),
    "replacement 50": ({"method": "replacement", "sampler": "ddpm", "steps": 50}, 1),
    "repaint mean of 8": ({**REPAINT_FAST, "resamplings": 3}, 8),
    "repaint mean of 16": ({**REPAINT_FAST, "resamplings": 3}, 16),
    "replacement mean of 32": ({"method": "replacement", "sampler": "ddpm", "steps": None}, 32),
}


def vocoder_rows(args: argparse.Namespace) -> Iterator[Row]:
    """Gap filling with a mel-conditioned vocoder given the whole utterance's mel."""
    from diffmm.audio.restoration import gap_measurement
    from diffmm.models.restoration import restore_with_mel
    from diffmm.models.vocoder import Vocoder

    vocoder = Vocoder.from_bundle(args.vocoder)
    rate, hop = vocoder.sample_rate, vocoder.hop
    waves = held_out_speech(args.speech_dir, rate)
    score = speech_score(waves, rate)
    # each recording zero-padded to whole frames; its mel then covers every sample
    lengths = [-(-len(w) // hop) * hop for w in waves]
    padded = [np.pad(w, (0, n - len(w))) for w, n in zip(waves, lengths)]
    mels = [vocoder.mel_from_wav(p) for p in padded]
    measurements = [
        gap_measurement(p, rate, g, n) for p, g, n in zip(padded, speech_gaps(waves, rate), lengths)
    ]
    yield from gap_baselines(waves, measurements, score)
    generator = torch.Generator().manual_seed(args.seed)
    plain, nfe, sec = timed(
        vocoder.model,
        len(mels),
        lambda: [vocoder.vocode([m], generator=generator)[0].numpy() for m in mels],
    )
    plain = [np.pad(p, (0, max(0, len(w) - len(p))))[: len(w)] for p, w in zip(plain, waves)]
    yield GAP_TASK, "vocoder, mel alone (ddpm fast)", score(plain), nfe / len(mels), sec
    for label, (options, count) in selected(VOCODER_METHODS, args):
        restored, calls, seconds = [], 0.0, 0.0
        for mel, measurement, wave in zip(mels, measurements, waves):
            out, nfe, sec = timed(
                vocoder.model, len(mels),
                lambda m=mel, y=measurement, o=options, k=count: restore_with_mel(
                    vocoder, m, y, num_samples=k, seed=args.seed, **o
                ),
            )  # fmt: skip
            calls, seconds = calls + nfe / len(mels), seconds + sec
            restored.append(out[:, 0].mean(0).numpy()[: len(wave)])
        name = f"mel-conditioned {label} ({options['sampler']} {options['steps'] or 'fast'})"
        yield GAP_TASK, name, score(restored), calls, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=None, help="image bundle (1-channel 32×32)")
    parser.add_argument("--image-test", default=None, help="test images (.npz)")
    parser.add_argument("--num-images", type=int, default=16)
    parser.add_argument("--colour-images", default=None, help="RGB 32×32 image bundle")
    parser.add_argument("--colour-train", default=None, help="its training crops (.npz)")
    parser.add_argument("--colour-test", default=None, help="held-out crops (.npz)")
    parser.add_argument("--colour-unseen", default=None, help="crops of unseen photos (.npz)")
    parser.add_argument("--colour-samples", type=int, default=8, help="K of the mean rows")
    parser.add_argument("--colour-mean-of", default="ddnm", help="methods with mean-of-K rows")
    parser.add_argument("--colour-warm-start", type=int, default=250, help="t₀ of warm DDNM")
    parser.add_argument("--speech", default=None, help="unconditional waveform bundle")
    parser.add_argument("--speech-dir", default=None, help="Kaldi data dir of held-out speech")
    parser.add_argument("--vocoder", default=None, help="mel-conditioned vocoder bundle")
    parser.add_argument("--series", default=None, help="TimeGrad bundle")
    parser.add_argument("--series-data", default=None, help="GluonTS dataset folder")
    parser.add_argument("--num-windows", type=int, default=7)
    parser.add_argument("--num-paths", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", default=None, help="run only these (comma-separated)")
    parser.add_argument("--hide-hours", type=int, default=None, help="series: hide in last S h")
    parser.add_argument("--lookaheads", default=None, help="series look-ahead rows, MxNxH,...")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from inverse_colour import colour_rows  # they import this module's helpers
    from inverse_series import series_rows

    print("| task | method | score | NFE / sample | s / sample |\n| --- | --- | --- | --- | --- |")
    for given, rows in (
        (args.images, image_rows),
        (args.colour_images, colour_rows),
        (args.speech, speech_rows),
        (args.vocoder, vocoder_rows),
        (args.series, series_rows),
    ):
        if given:
            for task, method, score, nfe, sec in rows(args):
                cost = f"{nfe:.0f} | {sec:.3f}" if nfe else "– | –"
                print(f"| {task} | {method} | {score} | {cost} |", flush=True)


if __name__ == "__main__":
    main()
