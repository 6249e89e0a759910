"""The gate σ(a)·tanh(b) out of two bf16 GEMMs with activation post-ops, alone and in the stack."""

from __future__ import annotations

import pytest
import torch
from test_wavenet_inference import BF16_RELATIVE, inputs, plain, stack_with_biases

import diffmm.nn.wavenet_inference as inference
from diffmm.nn.fused_gate import GateWeights, fused_gate, fused_gate_available

pytestmark = [
    pytest.mark.nn,
    pytest.mark.skipif(
        not fused_gate_available(torch.device("cpu")), reason="torch built without oneDNN"
    ),
]
BF16_ROUNDOFF = 2.0**-8  # unit roundoff: 8 significant bits


def test_gate_is_sigmoid_times_tanh_of_the_float32_accumulator():
    torch.manual_seed(0)
    c, k = 16, 40
    matrix = torch.randn(300, k).bfloat16()
    weight, bias = torch.randn(k, 2 * c) / k**0.5, torch.randn(2 * c)
    scaled = torch.cat([weight[:, :c], -2.0 * weight[:, c:]], 1)  # the stack's filter scale
    scaled_bias = torch.cat([bias[:c], -2.0 * bias[c:]])
    halves = GateWeights.split(scaled, scaled_bias, -2.0, torch.bfloat16)
    assert torch.equal(halves.filter, weight[:, c:].t().bfloat16())  # undoing −2 is exact
    out = torch.empty(300, c, dtype=torch.bfloat16)
    fused_gate(matrix, halves, out)
    # the same bf16 operands, every step after the GEMM in float32
    pre = matrix.float() @ torch.cat([halves.gate, halves.filter]).float().t()
    pre += torch.cat([halves.gate_bias, halves.filter_bias]).float()
    expected = torch.sigmoid(pre[:, :c]) * torch.tanh(pre[:, c:])
    # three roundings to bf16 (σ, tanh, the product), each within a relative 2⁻⁸ of its value
    assert ((out.float() - expected).abs() <= 3 * BF16_ROUNDOFF * expected.abs() + 1e-6).all()


@pytest.mark.parametrize("case", ["unconditional", "unprojected"])
def test_stack_bf16_fused_and_unfused_both_stay_close_to_float32(case, monkeypatch):
    conditional = () if case == "unconditional" else (6,)
    stack = stack_with_biases(16, 8, 4, 16, *conditional)
    x, embedding, cond = inputs(stack, 2, 400, None if case == "unconditional" else 6)
    kwargs = {} if cond is None else {"condition": cond}
    expected = plain(stack, x, embedding, None if cond is None else stack.project_condition(cond))
    calls = []
    monkeypatch.setattr(
        inference, "fused_gate", lambda *a, **k: calls.append(1) or fused_gate(*a, **k)
    )
    outs = {}
    for fused in (True, False):
        monkeypatch.setattr(inference, "fused_gate_available", lambda device, f=fused: f)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            outs[fused] = stack(x, embedding, None, **kwargs)
        error = float((outs[fused] - expected).norm() / expected.norm())
        assert error < BF16_RELATIVE, (fused, error)
    assert calls  # the fused run took the fused gate, the other did not change it
    assert not torch.equal(outs[True], outs[False])


def test_not_available_off_the_cpu():
    assert not fused_gate_available(torch.device("meta"))
