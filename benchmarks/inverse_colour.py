"""The colourisation section of ``benchmarks/inverse_problems.py`` (``--colour-images``).

A DDPM on 32 × 32 crops of colour photographs (``recipes/configs/image/colour_patches_mini.yaml``,
data from ``data_prep/colour_patches.py``) colourises the held-out crops' luma
y = 0.299 R + 0.587 G + 0.114 B (exact, not rounded to 8 bits). Baselines that keep y exactly
(``diffmm.vision.chroma``): the grey image as RGB, the training crops' mean chroma, and their
mean chroma per luma bin (E[c | y] per pixel). Diffusion rows: one posterior sample per crop,
and the mean of K samples (``--colour-samples``), a Monte Carlo posterior mean; and DDNM started
at t₀ = ``--colour-warm-start`` from the grey image noised to that level (SDEdit's / CCDF's
warm start: the undertrained model's colours at the noisiest levels are never used). PSNR and
SSIM on the whole 32 × 32 RGB crop, range [−1, 1].
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import torch
from inverse_problems import IMAGE_METHODS, Row, describe, selected, timed

from diffmm.diffusion.inverse import ChannelMeanOperator, Measurement
from diffmm.metrics.image_quality import psnr, ssim
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.restoration import Restorer
from diffmm.vision.chroma import ChromaByLuma, luma
from diffmm.vision.pixels import uint8_to_signed
from diffmm.vision.restoration import LUMA_WEIGHTS
from diffmm.vision.sources import load_image_arrays

COLOUR_METHODS = ("replacement", "ddnm", "pigdm", "dps")


def signed_nchw(path: str) -> torch.Tensor:
    return uint8_to_signed(torch.from_numpy(load_image_arrays(path).images)).permute(0, 3, 1, 2)


def colour_scores(truth: torch.Tensor, estimate: torch.Tensor) -> str:
    estimate = estimate.clamp(-1, 1)
    return (
        f"PSNR {float(psnr(truth, estimate).mean()):.2f} dB, "
        f"SSIM {float(ssim(truth, estimate).mean()):.3f}"
    )


def colour_rows(args: argparse.Namespace) -> Iterator[Row]:
    generator = DiffusionGenerator.from_bundle(args.colour_images)
    restorer, model = Restorer(generator), generator.model
    train = signed_nchw(args.colour_train)
    mean_chroma, binned = ChromaByLuma.fit(train, 1), ChromaByLuma.fit(train, 32)
    tests = {"held-out strips": args.colour_test, "unseen photograph": args.colour_unseen}
    for where, path in tests.items():
        if not path:
            continue
        truth = signed_nchw(path)
        n, grey = len(truth), luma(truth)
        task = f"colourise ({where}, {n} crops)"
        yield task, "grey as RGB", colour_scores(truth, grey.expand(-1, 3, -1, -1)), 0, 0
        yield task, "training mean chroma", colour_scores(truth, mean_chroma.colourize(grey)), 0, 0
        yield task, "chroma by luma (32 bins)", colour_scores(truth, binned.colourize(grey)), 0, 0
        operator = ChannelMeanOperator(3, LUMA_WEIGHTS)
        for name, options in selected(IMAGE_METHODS, args, COLOUR_METHODS):
            k = args.colour_samples if name in args.colour_mean_of.split(",") else 1
            repeated = Measurement(operator, grey.repeat(k, 1, 1, 1))
            out, nfe, sec = timed(
                model, n,
                lambda o=options, m=repeated: restorer.restore(
                    m, **o, batch_size=len(m.y), seed=args.seed
                ),
            )  # fmt: skip
            label = describe(name, options)
            yield task, label, colour_scores(truth, out[:n]), nfe, sec * n / len(out)
            if k > 1:  # one batch of k·n samples: each output image costs k·nfe evaluations
                mean = out.reshape(k, n, *out.shape[1:]).mean(0)
                yield task, f"{label}, mean of {k}", colour_scores(truth, mean), k * nfe, sec
        if args.methods and "ddnm" not in args.methods.split(","):
            continue
        k, start = args.colour_samples, args.colour_warm_start
        repeated = Measurement(operator, grey.repeat(k, 1, 1, 1))
        warm = {"method": "ddnm", "sampler": "ddim", "steps": 100, "start_time": start}
        out, nfe, sec = timed(
            model, n,
            lambda m=repeated, w=warm: restorer.restore(
                m, **w, start=m.y.expand(-1, 3, -1, -1), batch_size=len(m.y), seed=args.seed
            ),
        )  # fmt: skip
        label = f"ddnm from the grey image at t₀ = {start} (ddim {nfe:.0f})"
        yield task, label, colour_scores(truth, out[:n]), nfe, sec / k
        mean = out.reshape(k, n, *out.shape[1:]).mean(0)
        yield task, f"{label}, mean of {k}", colour_scores(truth, mean), k * nfe, sec
