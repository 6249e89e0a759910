"""Exact chunked evaluation of a DiffWave network, so long utterances vocode in bounded memory.

An output sample of the network depends on the input within its receptive field R samples on
either side (R = Σ_l d_l for kernel 3: 3069 for DiffWave BASE; the 1×1 convs around the
residual stack add nothing). Each chunk of the signal is therefore evaluated with R samples of
real context on either side, zero padding only where the utterance itself ends, and only its
own samples are kept: every output sample sees exactly the inputs it sees unchunked. The
upsampled mel is computed once for the whole utterance (it is cheap, 80 values per sample) and
sliced with the chunks; each chunk projects it inside its layers (``upsampled=``), so nothing
per-layer is held for the whole utterance. Only the network evaluation is chunked: the sampler
still draws its noise over the whole utterance, so the draws do not change either.

Equality with the unchunked evaluation is to float32 round-off, not bit for bit: a GEMM may
sum a row in a different order when the row sits elsewhere in a differently sized block.
"""

from __future__ import annotations

import torch
from torch import Tensor

from diffmm.models.diffwave import DiffWave


def chunk_samples(total_samples: int, batch: int, chunk_seconds: float, sample_rate: int) -> int:
    """Samples per chunk such that a chunk holds ``chunk_seconds`` of audio summed over a batch
    of ``batch`` utterances, at most the whole signal."""
    if chunk_seconds <= 0:
        raise ValueError(f"chunk_seconds must be positive, got {chunk_seconds}")
    return max(1, min(total_samples, int(chunk_seconds * sample_rate) // batch))


class ChunkedNetwork:
    """ε̂(x_t, t) of ``model`` for the mel ``upsampled`` (B, n_mels, T), ``chunk`` samples at a
    time; called by the engine's denoiser like the network itself."""

    def __init__(self, model: DiffWave, upsampled: Tensor, chunk: int) -> None:
        if chunk < 1:
            raise ValueError(f"a chunk needs at least one sample, got {chunk}")
        self.model, self.upsampled, self.chunk = model, upsampled, chunk
        self.context = model.residual_stack.receptive_field

    def __call__(self, audio: Tensor, steps: Tensor) -> Tensor:
        length = audio.shape[-1]
        if length != self.upsampled.shape[-1]:
            raise ValueError(
                f"the mel covers {self.upsampled.shape[-1]} samples but the audio has {length}"
            )
        out = torch.empty_like(audio)
        for start in range(0, length, self.chunk):
            stop = min(start + self.chunk, length)
            low, high = max(start - self.context, 0), min(stop + self.context, length)
            eps = self.model(audio[..., low:high], steps, upsampled=self.upsampled[..., low:high])
            out[..., start:stop] = eps[..., start - low : stop - low]
        return out
