"""Noise keyed by sample index: sample i gets the same noise whatever batch it is drawn in.

Samplers draw every Gaussian from one ``torch.Generator`` (``torch.randn(shape, generator=g)``),
so with a plain generator the noise of sample i depends on the batch size, on the samples
drawn before it and on the device. ``PerSampleNoise`` makes every value a function of
(seed, sample index i, draw number k, element j) alone, through the counter-based generator
Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3", the
generator of cuRAND): a pure function of a 128-bit counter and a 64-bit key, evaluated here
for all elements at once with integer tensor arithmetic. So N samples split into any batches,
on any number of processes, are the same N samples.

    noise = PerSampleNoise(seed, device)
    with noise.batch(indices):                       # (B,) global sample indices
        x = generate(denoiser, schedule, shape, generator=noise.generator, ...)

Inside ``batch`` a ``TorchFunctionMode`` answers the ``torch.randn`` calls made with
``noise.generator`` (the k-th such call is draw k); any other random function handed that
generator is an error, so no draw can silently escape the scheme.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

# Philox4x32 round multipliers and Weyl key increments (Salmon et al. 2011, Random123).
PHILOX_M = (0xD2511F53, 0xCD9E8D57)
PHILOX_W = (0x9E3779B9, 0xBB67AE85)
PHILOX_ROUNDS = 10
MASK32 = 0xFFFFFFFF
NOISE_STREAM, LABEL_STREAM = 0, 1


def _mulhilo(multiplier: int, x: Tensor) -> tuple[Tensor, Tensor]:
    """(high, low) 32-bit halves of multiplier · x for 32-bit x, without int64 overflow.

    The 64-bit product would overflow a signed int64, so the multiplier is split in 16-bit
    halves: each partial product stays below 2^48.
    """
    high16, low16 = multiplier >> 16, multiplier & 0xFFFF
    upper, lower = x * high16, x * low16  # product = upper·2^16 + lower
    low_sum = ((upper & 0xFFFF) << 16) + lower
    return (upper >> 16) + (low_sum >> 32), low_sum & MASK32


def philox4x32(counter: Tensor, key: tuple[int, int], rounds: int = PHILOX_ROUNDS) -> Tensor:
    """Philox4x32-``rounds`` of (..., 4) counters (int64 holding uint32 words) under a 2-word
    key; returns (..., 4) uint32 words as int64."""
    c0, c1, c2, c3 = (word.contiguous() for word in counter.to(torch.int64).unbind(-1))
    k0, k1 = key[0] & MASK32, key[1] & MASK32
    for round_index in range(rounds):
        if round_index:
            k0, k1 = (k0 + PHILOX_W[0]) & MASK32, (k1 + PHILOX_W[1]) & MASK32
        hi0, lo0 = _mulhilo(PHILOX_M[0], c0)
        hi1, lo1 = _mulhilo(PHILOX_M[1], c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return torch.stack([c0, c1, c2, c3], dim=-1)


def _seed_key(seed: int) -> tuple[int, int]:
    if not 0 <= seed < 2**64:
        raise ValueError(f"the seed must lie in [0, 2^64), got {seed}")
    return seed & MASK32, seed >> 32


def _counters(indices: Tensor, draw: int, blocks: int, stream: int) -> Tensor:
    """(B, blocks, 4) counters (block j, draw k, sample i, stream)."""
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) > MASK32):
        raise ValueError("sample indices must lie in [0, 2^32)")
    batch = indices.shape[0]
    counter = torch.empty(batch, blocks, 4, dtype=torch.int64, device=indices.device)
    counter[..., 0] = torch.arange(blocks, device=indices.device)
    counter[..., 1] = draw
    counter[..., 2] = indices[:, None]
    counter[..., 3] = stream
    return counter


def standard_normal(
    seed: int, indices: Tensor, draw: int, numel: int, dtype: torch.dtype = torch.float32
) -> Tensor:
    """(B, numel) N(0, 1) values: row b is the ``draw``-th draw of sample ``indices[b]``.

    Each counter gives four 32-bit words, two Box-Muller pairs: u₁ = (w + ½)/2³² ∈ (0, 1) keeps
    log u₁ finite, and z = √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂), computed in float64.
    """
    words = philox4x32(
        _counters(indices, draw, math.ceil(numel / 4), NOISE_STREAM), _seed_key(seed)
    )
    uniform = (words.to(torch.float64) + 0.5) * 2.0**-32
    radius = torch.sqrt(-2.0 * torch.log(uniform[..., 0::2]))
    angle = 2.0 * math.pi * uniform[..., 1::2]
    pairs = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=-1)
    return pairs.reshape(indices.shape[0], -1)[:, :numel].to(dtype)


def uniform_labels(seed: int, indices: Tensor, num_classes: int) -> Tensor:
    """(B,) labels uniform on {0, …, K−1} for the samples ``indices``, from their own stream,
    so asking for a class never moves a sample's noise. ⌊w·K / 2³²⌋ is off uniform by < K/2³²."""
    words = philox4x32(_counters(indices, 0, 1, LABEL_STREAM), _seed_key(seed))[:, 0, 0]
    return (words * num_classes) >> 32


class PerSampleNoise:
    """The noise of samples (seed, i), handed to samplers through a marker generator."""

    def __init__(self, seed: int, device: torch.device | str = "cpu") -> None:
        _seed_key(seed)
        self.seed = seed
        self.device = torch.device(device)
        # A real generator, so the samplers' signature holds; its own state is never used
        # inside ``batch`` (the mode answers every draw made with it).
        self.generator = torch.Generator(self.device).manual_seed(seed % 2**63)

    @contextmanager
    def batch(self, indices: Sequence[int] | Tensor) -> Iterator[None]:
        """While open, ``torch.randn(..., generator=self.generator)`` returns rows of these
        samples' noise; draws are numbered from 0 at each opening."""
        indices = torch.as_tensor(indices, dtype=torch.int64, device=self.device).reshape(-1)
        with _KeyedRandn(self, indices):
            yield

    def labels(self, indices: Sequence[int] | Tensor, num_classes: int) -> Tensor:
        indices = torch.as_tensor(indices, dtype=torch.int64).reshape(-1)
        return uniform_labels(self.seed, indices, num_classes)


class _KeyedRandn(TorchFunctionMode):
    def __init__(self, noise: PerSampleNoise, indices: Tensor) -> None:
        super().__init__()
        self.noise, self.indices, self.draw = noise, indices, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if kwargs.get("generator") is not self.noise.generator:
            return func(*args, **kwargs)
        if func is not torch.randn:
            raise RuntimeError(
                f"PerSampleNoise answers torch.randn only; {getattr(func, '__name__', func)} "
                "was called with its generator"
            )
        return self._randn(args, kwargs)

    def _randn(self, args: tuple, kwargs: dict[str, Any]) -> Tensor:
        shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else args
        if not shape or shape[0] != len(self.indices):
            raise RuntimeError(
                f"a per-sample draw of shape {tuple(shape)} does not start with the batch "
                f"of {len(self.indices)} samples"
            )
        numel = math.prod(shape[1:])
        dtype = kwargs.get("dtype") or torch.get_default_dtype()
        device = kwargs.get("device") or self.noise.device
        values = standard_normal(self.noise.seed, self.indices, self.draw, numel, dtype)
        self.draw += 1
        return values.reshape(shape).to(device)
