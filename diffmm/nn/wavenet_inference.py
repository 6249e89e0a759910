"""The residual stack's inference path: time-major, blocked, the same maths as the module.

The module form (:class:`~diffmm.nn.wavenet.ResidualStack`) runs each layer as channel-major
convolutions and a chain of element-wise ops over the whole signal; on a CPU its dilated conv
reaches a third of the GEMM rate and every element-wise op streams (L, 2C) tensors through
memory. Here the signal is time-major, x̃ of shape (positions, C), and each layer runs block by
block over rows:

    h  = s ⊙ (c_l + b_l) + Σ_j x̃[t + o_j] W_j        (k GEMMs on shifted row ranges)
    g  = σ(h_a) − 2 σ(h_a) σ(h_b)                     (= σ(a)·tanh(b), see below)
    x̃ ← x̃ / √2 + g W_res,  S ← S + g W_skip

with tap offsets o_j = (j − (k−1)/2)·d and c_l the layer's conditioner term: read from the
per-layer cache of :func:`time_major_condition`, or computed inside the tap GEMM from the
unprojected conditioner (``condition=``: K grows by its channels, no cache to hold). Exact
rewrites of the module's maths:

* the step term: conv(x + e) = conv(x) + Σ_j W_j e wherever the taps are inside the signal.
  The pad rows hold −(m + e) instead of 0, so the taps that fall outside add −W_j(m + e) and
  cancel the constant: zero padding of x + e, as the module does. Circular padding copies the
  wrapped rows, where the constant holds everywhere.
* the residual bias: x̃ = x − m with m_{l+1} = (m_l + b_res)/√2, so the output GEMM carries no
  bias and the running offset m enters through the constant above.
* the gate: the filter half of W, b and c is scaled by s = −2 (exact in binary floating
  point) and tanh(b) = 1 − 2σ(−2b), so one sigmoid over all 2C columns and one fused
  multiply-add give g. Measured over b ∈ [−12, 12]: the identity's float32 error is 1.8e-7
  absolute (torch.tanh's 3e-8; 1 − 2σ cancels near b = 0), the gate's 2.7e-7 (1.4e-7).

Rows run in blocks of ``BLOCK_ROWS``, which bounds the temporaries (4C floats a row) for long
signals; on a loaded 2-core machine every op is a thread barrier, and blocks of 2048 rows (an
L2 working set) measured no faster on one thread and up to 1.7× slower on two. x̃ is updated
in place one block late: block i's update waits until block i+1's taps, which reach at most
d ≤ ``BLOCK_ROWS`` rows back, have been read. A batch is laid out item after item
with P pad rows either side of each (P the widest padding); blocks run over the flattened
range and compute throw-away rows on the pads between items, which are refilled every layer.
The step embedding must be the same for every item of the batch (as in sampling).

Every float32 GEMM is a batched GEMM over one row chunk per intra-op thread
(:func:`addmm_rows_`): torch shares one tall, narrow product (K = C) among threads at 1.5–1.65×
its one-thread speed on 2 cores, and a chunk per thread at 2.0–2.2×.

float32 (:class:`Float32Blocks`) keeps Z = [x̃ | Ŝ] with Ŝ_l = S_l / √2^l: layer l's skip
weights scaled by 2^(−l/2) make both halves follow one recurrence, one in-place GEMM with
β = 1/√2 updates both. Summation order differs from the module's, so outputs equal it to
float32 round-off. Low precision (:class:`LowPrecisionBlocks`, autocast active): x̃ and the
gates are bf16/fp16 GEMM operands, each pre-activation (taps, conditioner and bias) accumulates
in float32 inside one GEMM, and the skip sum S is kept in float32, each layer's skip GEMM
rounded once before it is added. On a CPU without a per-layer cache the gate's two halves are
two GEMMs ending in σ and tanh (:mod:`diffmm.nn.fused_gate`), each factor rounded once from the
float32 accumulator; otherwise the sigmoid and gate arithmetic run in float32 on the rounded
pre-activation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torch.nn import functional as F

from diffmm.nn.fused_gate import GateWeights, fused_gate, fused_gate_available
from diffmm.nn.huge_pages import empty_huge

if TYPE_CHECKING:
    from diffmm.nn.wavenet import ResidualStack

BLOCK_ROWS = 32768  # 1.5 s at 22.05 kHz: 32 MiB of float32 temporaries for C = 64
FILTER_SCALE = -2.0  # tanh(b) = 1 − 2σ(−2b)
ROOT_HALF = 1 / math.sqrt(2.0)
MATRIX_ALIGN = 32
MIN_CHUNK_ROWS = 256  # below this a thread's chunk costs more in overhead than it shares


def compute_dtype(device: torch.device) -> torch.dtype:
    """The autocast type active on ``device``, else float32."""
    if torch.is_autocast_enabled(device.type):
        return torch.get_autocast_dtype(device.type)
    return torch.float32


def addmm_rows_(out: Tensor, a: Tensor, b: Tensor, beta: float = 1.0) -> Tensor:
    """out ← β·out + a b in place, as one batched GEMM over a row chunk per intra-op thread.

    A batched GEMM runs its items on separate threads, so each thread streams its own rows of
    ``a`` and ``out`` once; every row's arithmetic is the plain GEMM's. Rows left over by an
    uneven split take one more, small GEMM. Off the CPU it is the plain ``addmm_``: a GPU's
    GEMM already spreads over the whole device."""
    chunks = torch.get_num_threads()
    rows = out.shape[0] // chunks
    if chunks == 1 or rows < MIN_CHUNK_ROWS or out.device.type != "cpu":
        return out.addmm_(a, b, beta=beta)
    split = chunks * rows
    out[:split].unflatten(0, (chunks, rows)).baddbmm_(
        a[:split].unflatten(0, (chunks, rows)), b.expand(chunks, -1, -1), beta=beta
    )
    if split < out.shape[0]:
        out[split:].addmm_(a[split:], b, beta=beta)
    return out


def time_major_condition(stack: ResidualStack, condition: Tensor, dtype: torch.dtype) -> Tensor:
    """(B, cond_ch, L) → (B, layers, 2C, L): every layer's conditioner term, as a view of
    storage laid out the way the inference path reads it: (layers, B, L + 2P, 2C), each layer's
    rows contiguous over the flattened padded layout, zero pad rows."""
    batch, _, length = condition.shape
    layers, width, pad = stack.num_layers, 2 * stack.channels, stack.max_padding
    proj = stack.condition_projection
    weight = proj.weight[:, :, 0].t().to(dtype).view(-1, layers, width)
    bias = proj.bias.to(dtype).view(layers, width)
    # empty, not zeros: the signal rows are all written below, and zero-filling 338 MB per
    # second of audio first costs a quarter of a 6-step vocoding's element-wise time
    out = empty_huge((layers, batch, length + 2 * pad, width), dtype, condition.device)
    out[:, :, :pad].zero_()
    out[:, :, pad + length :].zero_()
    for b in range(batch):
        rows = condition[b].t().to(dtype)
        for layer in range(layers):
            target = out[layer, b, pad : pad + length]
            torch.addmm(bias[layer], rows, weight[:, layer], out=target)
    return out[:, :, pad : pad + length].permute(1, 0, 3, 2)


def flat_cache(stack: ResidualStack, cache: Tensor) -> Tensor:
    """The per-layer cache as (layers, rows, 2C) over the flattened padded layout from the first
    signal row of item 0: a view of :func:`time_major_condition`'s storage, else a copy."""
    batch, layers, width, length = cache.shape
    pad = stack.max_padding
    rows = length + 2 * pad
    if cache.stride() != (rows * width, batch * rows * width, 1, width):
        laid_out = cache.new_zeros(layers, batch, rows, width)
        laid_out[:, :, pad : pad + length] = cache.permute(1, 0, 3, 2)
        cache = laid_out[:, :, pad : pad + length].permute(1, 0, 3, 2)
    span = batch * rows - 2 * pad
    return cache.as_strided((layers, span, width), (batch * rows * width, width, 1))


@dataclass
class LayerTerms:
    """One layer's operands with the rewrites of the module docstring applied (float32)."""

    taps: Tensor  # (k, C, 2C), filter half scaled by s
    offsets: list[int]  # o_j
    bias: Tensor  # (2C,): s ⊙ (b + Σ_j W_j (m + e) [+ conditioner bias when unprojected])
    cond_weight: Tensor | None  # (cond_ch, 2C), scaled, for an unprojected conditioner
    residual: Tensor  # (C, C) residual half of the output conv
    skip: Tensor  # (C, C) skip half
    shift: Tensor  # (C,) m + e: the pad value is its negative


def layer_terms(
    stack: ResidualStack, index: int, embedding: Tensor, offset: Tensor, unprojected: bool
) -> LayerTerms:
    layer, c = stack.layers[index], stack.channels
    conv, out = layer.dilated_conv, layer.output_projection
    scale = torch.ones(2 * c, device=embedding.device)
    scale[c:] = FILTER_SCALE
    weight = conv.weight.float()  # (2C, C, k)
    kernel, dilation = weight.shape[-1], conv.dilation[0]
    step = layer.step_projection
    shift = offset + F.linear(embedding[0], step.weight.float(), step.bias.float())
    # Σ_j W_j (m + e) as one (2C × Ck) product: a sum over the k taps first, then a product,
    # took 0.55 ms a layer on 2 threads (tiny ops' thread start-up), this 0.02 ms
    bias = torch.addmv(conv.bias.float(), weight.flatten(1), shift.repeat_interleave(kernel))
    cond_weight = None
    if unprojected:
        proj = stack.condition_projection
        rows = slice(index * 2 * c, (index + 1) * 2 * c)
        cond_weight = proj.weight[rows, :, 0].float().t() * scale
        bias = bias + proj.bias[rows].float()
    out_weight = out.weight[:, :, 0].float().t()  # (C, 2C)
    return LayerTerms(
        taps=(weight.permute(2, 1, 0) * scale).contiguous(),
        offsets=[(j - (kernel - 1) // 2) * dilation for j in range(kernel)],
        bias=bias * scale,
        cond_weight=cond_weight,
        residual=out_weight[:, :c],
        skip=out_weight[:, c:],
        shift=shift,
    )


def residual_stack_inference(
    stack: ResidualStack,
    x: Tensor,
    step_embedding: Tensor,
    projected_condition: Tensor | None = None,
    condition: Tensor | None = None,
) -> Tensor:
    """Skip sum / √L of ``stack`` for x (B, C, L) with one step embedding (1 or B rows, all
    equal) and the per-layer cache ``projected_condition`` or the unprojected ``condition``."""
    _, channels, length = x.shape
    pad = stack.max_padding
    dtype = compute_dtype(x.device)
    runner_class = Float32Blocks if dtype == torch.float32 else LowPrecisionBlocks
    with torch.autocast(x.device.type, enabled=False):
        unprojected = None
        if condition is not None:
            unprojected = padded_time_major(condition, pad, condition.dtype)
        cache = None if projected_condition is None else flat_cache(stack, projected_condition)
        runner = runner_class(stack, x, dtype, unprojected)
        embedding = step_embedding[:1].float()
        offset = torch.zeros(channels, device=x.device)  # m: x = x̃ + m
        skip_bias = torch.zeros(channels, device=x.device)
        for index, layer in enumerate(stack.layers):
            terms = layer_terms(stack, index, embedding, offset, unprojected is not None)
            runner.fill_padding(terms.shift, terms.offsets[-1], layer.dilated_conv.padding_mode)
            runner.run_layer(index, terms, None if cache is None else cache[index])
            out_bias = layer.output_projection.bias.float()
            offset = (offset + out_bias[:channels]) * ROOT_HALF
            skip_bias = skip_bias + out_bias[channels:]
        skip = runner.skip_sum()[:, pad : pad + length] + skip_bias
        return (skip / math.sqrt(stack.num_layers)).to(x.dtype).transpose(1, 2)


def padded_time_major(values: Tensor, pad: int, dtype: torch.dtype, width: int = 0) -> Tensor:
    """(B, W, L) → (B, L + 2P, max(W, width)) in ``dtype``: each item's values time-major
    between P zero rows either side, extra columns zero."""
    batch, channels, length = values.shape
    out = empty_huge((batch, length + 2 * pad, max(channels, width)), dtype, values.device).zero_()
    out[:, pad : pad + length, :channels] = values.transpose(1, 2)
    return out


class Blocks:
    """Rows [P, B·rows − P) of the flattened padded layout, run block by block."""

    def __init__(self, stack: ResidualStack, x: Tensor, dtype: torch.dtype) -> None:
        self.batch, self.channels, length = x.shape
        self.pad, self.dtype = stack.max_padding, dtype
        self.rows = length + 2 * self.pad
        self.start, self.stop = self.pad, self.batch * self.rows - self.pad
        # a block covers the widest tap reach, so that the late update stays behind the reads
        self.block_rows = max(BLOCK_ROWS, self.pad)
        block = min(self.block_rows, self.stop - self.start)
        self.scale = torch.ones(2 * self.channels, device=x.device)
        self.scale[self.channels :] = FILTER_SCALE
        self.pre = empty_huge((block, 2 * self.channels), torch.float32, x.device)
        self.signal = x.new_empty(0)  # x̃ as (B, rows, C), set by the subclass

    def blocks(self) -> list[tuple[int, int]]:
        return [
            (first, min(first + self.block_rows, self.stop))
            for first in range(self.start, self.stop, self.block_rows)
        ]

    def fill_padding(self, shift: Tensor, reach: int, mode: str) -> None:
        """Set the ``reach`` pad rows either side of every item: −(m + e) for zero padding (see
        the module docstring), the wrapped signal rows for circular padding."""
        if reach == 0:
            return
        x, pad, end = self.signal, self.pad, self.rows - self.pad
        if mode == "circular":
            x[:, pad - reach : pad].copy_(x[:, end - reach : end])
            x[:, end : end + reach].copy_(x[:, pad : pad + reach])
        else:
            x[:, pad - reach : pad].copy_(-shift.to(x.dtype).expand(self.batch, reach, -1))
            x[:, end : end + reach].copy_(-shift.to(x.dtype).expand(self.batch, reach, -1))

    def gate(self, pre: Tensor, out: Tensor) -> None:
        """g = σ(a)(1 − 2σ(−2b)) from the scaled pre-activations, in place on ``pre``."""
        c = self.channels
        pre.sigmoid_()
        torch.addcmul(pre[:, :c], pre[:, :c], pre[:, c:], value=-2.0, out=out)


class Float32Blocks(Blocks):
    """Z = [x̃ | Ŝ] in float32; see the module docstring."""

    def __init__(
        self, stack: ResidualStack, x: Tensor, dtype: torch.dtype, unprojected: Tensor | None
    ) -> None:
        super().__init__(stack, x, dtype)
        self.z = padded_time_major(x, self.pad, torch.float32, width=2 * self.channels)
        self.signal = self.z[..., : self.channels]
        self.flat = self.z.view(-1, 2 * self.channels)
        self.unprojected = None
        if unprojected is not None:
            self.unprojected = unprojected.view(-1, unprojected.shape[-1])[self.start : self.stop]
        self.layers = stack.num_layers
        gate_shape = (self.pre.shape[0], self.channels)
        self.gates = [empty_huge(gate_shape, torch.float32, x.device) for _ in range(2)]

    def run_layer(self, index: int, terms: LayerTerms, cache: Tensor | None) -> None:
        c, flat = self.channels, self.flat
        out_weight = torch.cat([terms.residual, terms.skip * 2.0 ** (-index / 2)], 1) * ROOT_HALF
        pending = None
        for number, (first, last) in enumerate(self.blocks()):
            pre = self.pre[: last - first]
            here = slice(first - self.start, last - self.start)
            if cache is not None:
                torch.addcmul(terms.bias, cache[here], self.scale, out=pre)
            else:
                pre.copy_(terms.bias.expand_as(pre))
                if self.unprojected is not None:
                    addmm_rows_(pre, self.unprojected[here], terms.cond_weight)
            for taps, o in zip(terms.taps, terms.offsets):
                addmm_rows_(pre, flat[first + o : last + o, :c], taps)
            gate = self.gates[number % 2][: last - first]
            self.gate(pre, gate)
            if pending is not None:
                addmm_rows_(flat[pending[0] : pending[1]], pending[2], out_weight, ROOT_HALF)
            pending = (first, last, gate)
        addmm_rows_(flat[pending[0] : pending[1]], pending[2], out_weight, ROOT_HALF)

    def skip_sum(self) -> Tensor:
        """S − Σ b_skip, (B, rows, C)."""
        return self.z[..., self.channels :] * 2.0 ** (self.layers / 2)


class LowPrecisionBlocks(Blocks):
    """x̃, the GEMM operands and the gates in the autocast type, S in float32; see the module
    docstring."""

    def __init__(
        self, stack: ResidualStack, x: Tensor, dtype: torch.dtype, unprojected: Tensor | None
    ) -> None:
        super().__init__(stack, x, dtype)
        c, length = self.channels, x.shape[-1]
        kernel = stack.layers[0].dilated_conv.kernel_size[0]
        self.taps, self.centre = kernel * c, (kernel - 1) // 2
        # the GEMM operand of every row: the taps, then an unprojected conditioner and a column
        # of ones (for the bias), written once; K padded to whole AMX tiles (32 bf16), where it
        # runs 20% faster than unpadded. x̃ itself lives in the centre tap's columns (offset 0),
        # so a layer copies only the other taps
        width = self.taps if unprojected is None else self.taps + unprojected.shape[-1] + 1
        width = -(-width // MATRIX_ALIGN) * MATRIX_ALIGN
        self.matrix = empty_huge((self.batch * self.rows, width), dtype, x.device)
        self.matrix[:, self.taps :].zero_()
        self.flat = self.matrix[:, self.centre * c : (self.centre + 1) * c]
        self.signal = self.flat.unflatten(0, (self.batch, self.rows))
        self.signal.zero_()
        self.signal[:, self.pad : self.pad + length] = x.transpose(1, 2)
        if unprojected is not None:
            columns = slice(self.taps, self.taps + unprojected.shape[-1])
            self.matrix[:, columns] = unprojected.view(-1, unprojected.shape[-1])
            self.matrix[:, columns.stop] = 1.0
        self.unprojected = unprojected is not None
        self.gates = [empty_huge((self.pre.shape[0], c), dtype, x.device) for _ in range(2)]
        self.skip = empty_huge((self.batch * self.rows, c), torch.float32, x.device).zero_()

    def run_layer(self, index: int, terms: LayerTerms, cache: Tensor | None) -> None:
        c, flat, taps = self.channels, self.flat, self.taps
        # with no per-layer cache to add, the gate comes out of the GEMMs (fused_gate.py)
        fused = cache is None and fused_gate_available(self.matrix.device)
        weight = terms.taps.new_zeros(self.matrix.shape[1], 2 * c)
        weight[:taps] = terms.taps.reshape(-1, 2 * c)
        if self.unprojected:
            cond_rows = terms.cond_weight.shape[0]
            weight[taps : taps + cond_rows] = terms.cond_weight
            if not fused:  # the fused GEMMs take the bias as an operand of their own
                weight[taps + cond_rows] = terms.bias
        if fused:
            halves = GateWeights.split(weight, terms.bias, FILTER_SCALE, self.dtype)
        else:
            weight = weight.to(self.dtype)
        residual = (terms.residual * ROOT_HALF).to(self.dtype)
        skip = terms.skip.to(self.dtype)
        pending = None
        for number, (first, last) in enumerate(self.blocks()):
            here = slice(first - self.start, last - self.start)
            matrix = self.matrix[first:last]
            for j, o in enumerate(terms.offsets):
                if j != self.centre:
                    matrix[:, j * c : (j + 1) * c].copy_(flat[first + o : last + o])
            gate = self.gates[number % 2][: last - first]
            if fused:
                fused_gate(matrix, halves, out=gate)
            else:
                self.unfused_gate(
                    matrix, weight, terms.bias, None if cache is None else cache[here]
                )
                gate.copy_(self.pre[: last - first, c:])
            self.skip[first:last].add_(torch.mm(gate, skip))  # S summed in float32
            if pending is not None:
                flat[pending[0] : pending[1]].addmm_(pending[2], residual, beta=ROOT_HALF)
            pending = (first, last, gate)
        flat[pending[0] : pending[1]].addmm_(pending[2], residual, beta=ROOT_HALF)

    def unfused_gate(
        self, matrix: Tensor, weight: Tensor, bias: Tensor, cache: Tensor | None
    ) -> None:
        """The gate into the filter half of ``self.pre``: the pre-activation from one GEMM (plus
        the cached conditioner), the sigmoid and gate arithmetic in float32."""
        pre = self.pre[: matrix.shape[0]]
        if self.unprojected:
            pre.copy_(torch.mm(matrix, weight))
        else:
            if cache is None:
                pre.copy_(bias.expand_as(pre))
            else:
                torch.addcmul(bias, cache, self.scale, out=pre)
            pre.add_(torch.mm(matrix, weight))
        # in float32 over the spent filter half, then rounded once by the caller for the GEMMs
        # (an addcmul writing bf16 directly converts through a temporary: 1.7× slower)
        self.gate(pre, pre[:, self.channels :])

    def skip_sum(self) -> Tensor:
        """S − Σ b_skip, (B, rows, C)."""
        return self.skip.view(self.batch, self.rows, self.channels)
