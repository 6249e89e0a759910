"""The residual stack's inference path against its module graph (the plain path).

Random weights with non-zero biases (the biases carry the path's rewrites: step term, running
residual offset, pad rows); blocks shrunk to 64 rows so that a short signal runs several
blocks and the late in-place update is exercised. float32 must equal the plain path to
float32 round-off; bf16 (autocast) stays within 2% relative L2 error of it.
"""

from __future__ import annotations

import pytest
import torch

import diffmm.nn.wavenet as wavenet
import diffmm.nn.wavenet_inference as inference
from diffmm.nn.wavenet import ResidualStack

ROUND_OFF = {"rtol": 1e-5, "atol": 1e-5}
BF16_RELATIVE = 2e-2  # measured: 5e-3 for DiffWave BASE on random weights


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inference, "BLOCK_ROWS", 64)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calls that took the inference path."""
    counted: list[int] = []
    run = wavenet.residual_stack_inference

    def counting(*args, **kwargs) -> torch.Tensor:
        counted.append(1)
        return run(*args, **kwargs)

    monkeypatch.setattr(wavenet, "residual_stack_inference", counting)
    return counted


def stack_with_biases(*args, seed: int = 0, **kwargs) -> ResidualStack:
    torch.manual_seed(seed)
    stack = ResidualStack(*args, **kwargs).eval()
    for layer in stack.layers:
        torch.nn.init.normal_(layer.dilated_conv.bias, std=0.3)
        torch.nn.init.normal_(layer.output_projection.bias, std=0.3)
    return stack


def plain(stack: ResidualStack, *args, **kwargs) -> torch.Tensor:
    stack.use_inference_path = False
    try:
        with torch.no_grad():
            return stack(*args, **kwargs)
    finally:
        stack.use_inference_path = True


def inputs(stack: ResidualStack, batch: int, length: int, cond_channels: int | None):
    x = torch.randn(batch, stack.channels, length).relu()
    embedding = torch.randn(1, 16).expand(batch, -1)  # one diffusion step for the batch
    cond = None if cond_channels is None else torch.randn(batch, cond_channels, length)
    return x, embedding, cond


@pytest.mark.parametrize(
    ("batch", "length", "kernel", "padding"),
    [(1, 300, 3, "zeros"), (3, 150, 3, "zeros"), (2, 90, 5, "zeros"), (3, 40, 3, "circular")],
)
def test_float32_equals_the_module_graph_to_round_off(
    batch: int, length: int, kernel: int, padding: str, calls: list[int]
) -> None:
    stack = stack_with_biases(8, 7, 3, 16, 5, kernel_size=kernel, padding_mode=padding)
    x, embedding, cond = inputs(stack, batch, length, 5)
    expected = plain(stack, x, embedding, stack.project_condition(cond).detach())
    with torch.no_grad():
        cached = stack(x, embedding, stack.project_condition(cond))
        unprojected = stack(x, embedding, condition=cond)
    torch.testing.assert_close(cached, expected, **ROUND_OFF)
    torch.testing.assert_close(unprojected, expected, **ROUND_OFF)
    assert cached.shape == x.shape and len(calls) == 2


def test_unconditional_float32_equals_the_module_graph() -> None:
    stack = stack_with_biases(6, 5, 2, 16)
    x, embedding, _ = inputs(stack, 2, 200, None)
    with torch.no_grad():
        torch.testing.assert_close(stack(x, embedding), plain(stack, x, embedding), **ROUND_OFF)


def test_a_cache_in_another_layout_gives_the_same_output() -> None:
    stack = stack_with_biases(8, 4, 2, 16, 3)
    x, embedding, cond = inputs(stack, 2, 100, 3)
    with torch.no_grad():
        time_major = stack.project_condition(cond)
        channel_major = time_major.contiguous()
        torch.testing.assert_close(
            stack(x, embedding, channel_major), stack(x, embedding, time_major), **ROUND_OFF
        )


@pytest.fixture
def three_threads(monkeypatch: pytest.MonkeyPatch):
    """Three intra-op threads (an uneven row split) and chunks down to 4 rows."""
    monkeypatch.setattr(inference, "MIN_CHUNK_ROWS", 4)
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("three_threads")
def test_row_chunked_gemms_equal_the_plain_gemm_and_module_graph() -> None:
    out, a, b = torch.randn(50, 6), torch.randn(70, 8)[10:60], torch.randn(8, 6)
    expected = out * 0.5 + a @ b
    torch.testing.assert_close(inference.addmm_rows_(out, a, b, beta=0.5), expected)
    stack = stack_with_biases(8, 5, 3, 16, 4)
    x, embedding, cond = inputs(stack, 2, 150, 4)
    expected = plain(stack, x, embedding, stack.project_condition(cond).detach())
    with torch.no_grad():
        torch.testing.assert_close(stack(x, embedding, condition=cond), expected, **ROUND_OFF)
        cached = stack(x, embedding, stack.project_condition(cond))
        torch.testing.assert_close(cached, expected, **ROUND_OFF)


@pytest.mark.parametrize("unprojected", [False, True])
def test_bf16_stays_close_to_float32(unprojected: bool) -> None:
    stack = stack_with_biases(16, 8, 4, 16, 6)
    x, embedding, cond = inputs(stack, 2, 400, 6)
    expected = plain(stack, x, embedding, stack.project_condition(cond).detach())
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        if unprojected:
            out = stack(x, embedding, condition=cond)
        else:
            out = stack(x, embedding, stack.project_condition(cond))
    assert out.dtype == torch.float32
    error = float((out - expected).norm() / expected.norm())
    assert error < BF16_RELATIVE


def test_training_and_mixed_steps_run_the_module_graph(calls: list[int]) -> None:
    stack = stack_with_biases(8, 3, 2, 16, 4)
    x, embedding, cond = inputs(stack, 2, 50, 4)
    out = stack(x, embedding, stack.project_condition(cond))
    out.square().mean().backward()  # gradients flow: the module graph ran
    assert stack.layers[0].dilated_conv.weight.grad is not None
    with torch.no_grad():
        torch.testing.assert_close(stack(x, embedding, condition=cond), out, **ROUND_OFF)
        mixed = torch.randn(2, 16)  # items at different steps: the module graph, bit for bit
        assert torch.equal(stack(x, mixed, condition=cond), plain(stack, x, mixed, condition=cond))


def test_the_state_dict_is_the_module_graphs() -> None:
    stack = ResidualStack(4, 2, 2, 8, condition_channels=3)
    layer_keys = [
        "step_projection.weight", "step_projection.bias", "dilated_conv.weight",
        "dilated_conv.bias", "output_projection.weight", "output_projection.bias",
    ]  # fmt: skip
    expected = [f"layers.{i}.{k}" for i in range(2) for k in layer_keys]
    expected += ["condition_projection.weight", "condition_projection.bias"]
    assert list(stack.state_dict()) == expected


def test_condition_errors_are_named() -> None:
    stack = ResidualStack(4, 2, 2, 8, condition_channels=3)
    x, embedding = torch.randn(1, 4, 10), torch.randn(1, 8)
    with torch.no_grad():
        with pytest.raises(ValueError, match=r"\(B, 3, L\)"):
            stack(x, embedding, condition=torch.randn(1, 2, 10))
        with pytest.raises(ValueError, match="exactly when"):
            stack(x, embedding, stack.project_condition(torch.randn(1, 3, 10)),
                  condition=torch.randn(1, 3, 10))  # fmt: skip
        with pytest.raises(ValueError, match="length 12"):
            stack(x, embedding, condition=torch.randn(1, 3, 12))
