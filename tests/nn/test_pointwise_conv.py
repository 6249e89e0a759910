"""1×1 convolutions as batched matrix products: the same function as nn.Conv1d/Conv2d."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from diffmm.nn.pointwise import PointwiseConv1d, PointwiseConv2d, pointwise_conv_nd

pytestmark = pytest.mark.nn


@pytest.mark.parametrize("dims, spatial", [(1, (37,)), (2, (6, 5))])
@pytest.mark.parametrize("bias", [True, False])
def test_outputs_and_gradients_equal_the_convolution(dims, spatial, bias):
    torch.manual_seed(0)
    module = (PointwiseConv1d if dims == 1 else PointwiseConv2d)(12, 20, bias=bias)
    conv = F.conv1d if dims == 1 else F.conv2d
    # a non-contiguous input: every other channel of a wider tensor
    wide = torch.randn(3, 24, *spatial)
    results = []
    for forward in (module, lambda x: conv(x, module.weight, module.bias)):
        module.zero_grad(set_to_none=True)
        x = wide.clone().requires_grad_()
        out = forward(x[:, ::2])
        (out * torch.linspace(-1, 1, out.numel()).view(out.shape)).sum().backward()
        results.append((out, x.grad, [p.grad for p in module.parameters()]))
    (out, grad_x, grads), (ref, ref_x, ref_grads) = results
    assert out.shape == ref.shape == (3, 20, *spatial)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad_x, ref_x, rtol=1e-5, atol=1e-6)
    for g, r in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(g, r, rtol=1e-5, atol=1e-5)


def test_state_dict_is_that_of_a_kernel_size_one_conv():
    conv = nn.Conv2d(8, 16, 1)
    module = pointwise_conv_nd(2, 8, 16)
    module.load_state_dict(conv.state_dict(), strict=True)
    x = torch.randn(2, 8, 4, 4)
    torch.testing.assert_close(module(x), conv(x), rtol=1e-5, atol=1e-6)
    assert isinstance(pointwise_conv_nd(1, 8, 16), nn.Conv1d)
    with pytest.raises(ValueError, match="dims"):
        pointwise_conv_nd(3, 8, 16)


def test_bf16_autocast_gives_the_convolutions_dtype_and_values():
    torch.manual_seed(1)
    module = PointwiseConv1d(32, 16)
    x = torch.randn(2, 32, 50)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = module(x)
        ref = F.conv1d(x, module.weight, module.bias)
    assert out.dtype == ref.dtype == torch.bfloat16
    assert ((out.float() - ref.float()).norm() / ref.float().norm()).item() < 1e-2
