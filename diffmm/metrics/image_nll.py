"""Negative log-likelihood of 8-bit test images under an image bundle, in bits/dim.

- Discrete schedules: the variational bound (Ho et al. 2020, eq. 5) with the discretized
  Gaussian decoder, summed over all T steps (``diffusion.likelihood.vlb_bits_per_dim``), as
  iDDPM reports it (CIFAR-10: 2.94 bits/dim for their best model). It costs T network passes.
- Continuous schedules: the probability-flow ODE with Hutchinson–Skilling traces (Song et al.
  2021, App. D; ``ode_log_likelihood``) of uniformly dequantized pixels: a pixel u is
  x = 2(u + U)/255 − 1 − 1/255 with U ~ U(0, 1), a bin of width 2/255 around the decoder's
  level, so −log₂ P(u) ≤ E_U[−log₂ p(x)] + D log₂(255/2) (Jensen), reported per dimension.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from diffmm.diffusion.config import build_denoiser, build_schedule
from diffmm.diffusion.likelihood import ode_log_likelihood, vlb_bits_per_dim
from diffmm.diffusion.schedules import DiscreteSchedule
from diffmm.errors import DiffmmError
from diffmm.models.generation import DiffusionGenerator
from diffmm.vision.pixels import uint8_to_signed

BIN_BITS = math.log2(255 / 2)  # −log₂ of a dequantization bin's width, 2/255


def nll_bits_per_dim(
    generator: DiffusionGenerator,
    images: np.ndarray,
    *,
    batch_size: int = 50,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean NLL (bits/dim) of uint8 NHWC ``images`` and its standard error over the images."""
    x = uint8_to_signed(torch.from_numpy(images)).permute(0, 3, 1, 2).contiguous()
    if tuple(x.shape[1:]) != tuple(generator.data_shape):
        raise DiffmmError(
            f"images of shape {tuple(x.shape[1:])} (C, H, W) for a model of {generator.data_shape}"
        )
    if generator.num_classes is not None:
        raise DiffmmError("NLL of a class-conditional model needs labels: not supported here")
    schedule = build_schedule(generator.diffusion)
    denoiser = build_denoiser(generator.model, generator.diffusion)
    device = generator.device
    noise = torch.Generator().manual_seed(seed)  # dequantization and Hutchinson probes
    steps_noise = torch.Generator(device).manual_seed(seed)  # the VLB's x_t draws
    values = []
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        if isinstance(schedule, DiscreteSchedule):
            bits = vlb_bits_per_dim(
                denoiser, batch.to(device), schedule, generator=steps_noise
            ).total
        else:
            jitter = (torch.rand(batch.shape, generator=noise) - 0.5) * (2 / 255)
            t_span = None
            if generator.diffusion.schedule == "edm":
                t_span = (generator.diffusion.sigma_min, generator.diffusion.sigma_max)
            result = ode_log_likelihood(
                denoiser, (batch + jitter).to(device), schedule, t_span=t_span, generator=noise
            )
            bits = result.bits_per_dim + BIN_BITS
        values.append(bits.double().cpu())
    bits = torch.cat(values)
    method = "vlb" if isinstance(schedule, DiscreteSchedule) else "ode_hutchinson"
    return {
        "nll_bits_per_dim": float(bits.mean()),
        "nll_stderr": float(bits.std() / math.sqrt(len(bits))) if len(bits) > 1 else None,
        "nll_method": method,
        "nll_images": len(bits),
    }
