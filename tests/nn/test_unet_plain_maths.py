"""UNetModel's fast paths compute the plain maths, to float32 round-off.

``plain_forward`` below re-implements the network functionally on the model's own parameters
the straightforward way: interpolate-then-conv upsampling, per-head softmax attention by
einsums, out-of-place residual blocks. The model (folded upsample convs, explicit or fused
attention, in-place updates) must agree with it in outputs and in every gradient.
"""

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from test_unet import tiny_unet

from diffmm.nn.attention import EXPLICIT_ATTENTION_MAX_LENGTH, AttentionBlock
from diffmm.nn.dropout import threshold_dropout
from diffmm.nn.resample import PHASE_CONV_MIN_POSITIONS, Downsample, Upsample
from diffmm.nn.resblock import ResBlock
from diffmm.nn.unet import UNetModel

pytestmark = pytest.mark.nn


def group_norm(norm: torch.nn.GroupNorm, x: torch.Tensor) -> torch.Tensor:
    return F.group_norm(x, norm.num_groups, norm.weight, norm.bias, norm.eps)


def upsample(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


def plain_resblock(block: ResBlock, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
    h = F.silu(group_norm(block.in_norm, x))
    if isinstance(block.resample, Upsample):
        h, x = upsample(h), upsample(x)
    elif isinstance(block.resample, Downsample):
        h, x = block.resample(h), block.resample(x)
    h = block.in_conv(h)
    emb_out = block.emb_layers(emb)
    emb_out = emb_out.reshape(*emb_out.shape, *([1] * (h.ndim - 2)))
    if block.use_scale_shift_norm:
        scale, shift = emb_out.chunk(2, dim=1)
        h = group_norm(block.out_norm, h) * (1 + scale) + shift
    else:
        h = group_norm(block.out_norm, h + emb_out)
    h = block.out_conv(threshold_dropout(F.silu(h), block.dropout.p, block.training))
    return block.skip(x) + h


def plain_attention(block: AttentionBlock, x: torch.Tensor) -> torch.Tensor:
    batch, channels = x.shape[:2]
    heads = block.num_heads
    qkv = block.qkv(group_norm(block.norm, x).reshape(batch, channels, -1))
    q, k, v = (part.reshape(batch, heads, channels // heads, -1) for part in qkv.chunk(3, dim=1))
    scores = torch.einsum("bhdn,bhdm->bhnm", q, k) / (channels // heads) ** 0.5
    attended = torch.einsum("bhnm,bhdm->bhdn", scores.softmax(-1), v)
    return x + block.proj_out(attended.reshape(batch, channels, -1)).reshape(x.shape)


def plain_layer(layer: torch.nn.Module, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
    if isinstance(layer, ResBlock):
        return plain_resblock(layer, h, emb)
    if isinstance(layer, AttentionBlock):
        return plain_attention(layer, h)
    if isinstance(layer, Upsample):
        return layer.conv(upsample(h)) if layer.conv is not None else upsample(h)
    return layer(h)  # the input conv and Downsample: plain modules already


def plain_forward(model: UNetModel, x: torch.Tensor, t: torch.Tensor, y=None) -> torch.Tensor:
    emb = model.time_embed(t)
    if model.label_emb is not None:
        emb = emb + model.label_emb(y)
    skips, h = [], x
    for block in model.input_blocks:
        for layer in block:
            h = plain_layer(layer, h, emb)
        skips.append(h)
    for layer in model.middle_block:
        h = plain_layer(layer, h, emb)
    for block in model.output_blocks:
        h = torch.cat([h, skips.pop()], dim=1)
        for layer in block:
            h = plain_layer(layer, h, emb)
    return model.out(h)


def randomise(model: torch.nn.Module) -> torch.nn.Module:
    """Random values in every parameter, the zero-initialised ones included."""
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.2 * torch.randn(p.shape, generator=gen))
    return model


def compare(model: UNetModel, x: torch.Tensor, train: bool = False, y=None) -> dict:
    """Max |Δ| (relative to the largest magnitude) of outputs and of x/parameter gradients."""
    t = torch.tensor([3.0, 517.5])[: x.shape[0]]
    weights = torch.randn(x.shape[0], model.out_channels, *x.shape[2:])
    model.train(train)
    results = []
    for forward in (model, lambda *a: plain_forward(model, *a)):
        model.zero_grad(set_to_none=True)
        xx = x.clone().requires_grad_()
        torch.manual_seed(11)  # the same dropout masks on both sides
        out = forward(xx, t, y) if y is not None else forward(xx, t)
        (out * weights).sum().backward()
        grads = {"x": xx.grad} | {n: p.grad for n, p in model.named_parameters()}
        results.append((out.detach(), grads))
    (fast, fast_grads), (plain, plain_grads) = results
    diffs = {"output": ((fast - plain).abs().max() / plain.abs().max()).item()}
    # A gradient that is zero in exact arithmetic is compared with the largest one instead.
    floor = 1e-3 * max(g.abs().max() for g in plain_grads.values())
    for name, g in plain_grads.items():
        scale = torch.maximum(g.abs().max(), floor)
        diffs[name] = ((fast_grads[name] - g).abs().max() / scale).item()
    return diffs


def assert_round_off(diffs: dict, tol: float = 2e-5) -> None:
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] < tol, f"{worst}: relative max |Δ| {diffs[worst]:.2e}"


def make(dims: int, **overrides) -> UNetModel:
    # 64–128 channels: ≥ 2 per GroupNorm group, so the additive embedding is not normalised away
    options = dict(model_channels=32, channel_mult=(2, 2, 4)) | overrides
    return randomise(tiny_unet(dims, **options))


# Spatial sizes: the upsamplings see 16×16 and 8×8 (32×32 input) or 256 and 128 positions
# (1-D, length 512), at or above PHASE_CONV_MIN_POSITIONS, so the folded conv is exercised;
# the 8×8 input exercises the small-map fallback. Attention at factor 2 sees 256 positions
# (explicit path); at factor 1 of a 1-D length 512 it sees 512 (fused SDPA path).
CASES = {
    "2d": (2, (32, 32), {}),
    "2d-no-attention": (2, (32, 32), dict(attention_resolutions=())),
    "2d-scale-shift": (2, (32, 32), dict(use_scale_shift_norm=True)),
    "2d-updown": (2, (32, 32), dict(resblock_updown=True, use_scale_shift_norm=True)),
    "2d-pooled": (2, (16, 16), dict(conv_resample=False)),
    "2d-small-map": (2, (8, 8), dict(num_heads=1, num_head_channels=16)),
    "1d": (1, (512,), {}),
    "1d-sdpa-updown": (1, (512,), dict(attention_resolutions=(1,), resblock_updown=True)),
    "1d-no-attention": (1, (256,), dict(attention_resolutions=())),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fast_paths_equal_plain_maths(case):
    dims, spatial, overrides = CASES[case]
    model = make(dims, **overrides)
    assert_round_off(compare(model, torch.randn(2, 2, *spatial)))


def test_class_conditional_and_dropout_in_training_equal_plain_maths():
    # Train mode: the in-place dropout draws the same masks as the out-of-place one, same seed.
    model = make(2, num_classes=3, dropout=0.3)
    diffs = compare(model, torch.randn(2, 2, 32, 32), train=True, y=torch.tensor([0, 2]))
    assert_round_off(diffs)


def test_cases_cover_both_upsampling_and_both_attention_paths():
    assert 8 * 8 >= PHASE_CONV_MIN_POSITIONS > 4 * 4  # "2d-small-map" upsamples a 4×4 map
    assert 16 * 16 <= EXPLICIT_ATTENTION_MAX_LENGTH < 512


def test_inference_in_place_updates_leave_inputs_untouched():
    model = make(2).eval()
    x = torch.randn(2, 2, 32, 32)
    t = torch.tensor([3.0, 9.0])
    copy = x.clone()
    with torch.no_grad():
        first = model(x, t)
        second = model(x, t)
    assert torch.equal(x, copy) and torch.equal(first, second)


def test_gradient_checkpointing_through_the_fast_paths_equals_plain_maths():
    model = make(2, use_checkpoint=True, use_scale_shift_norm=True, resblock_updown=True)
    assert_round_off(compare(model, torch.randn(2, 2, 32, 32), train=True))


def test_bf16_autocast_through_the_fast_paths():
    model = make(2, resblock_updown=True)
    x = torch.randn(2, 2, 32, 32)
    t = torch.tensor([3.0, 600.0])
    reference = model(x, t)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x, t)
        out.float().square().mean().backward()
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert (out - reference).norm() / reference.norm() < 0.05  # bf16: 8 significant bits
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


# Parameter names and shapes of two UNets as the implementation before the fast paths built
# them (generated with that code): checkpoints and bundles saved then must keep loading.
STATE_DICT_V1 = Path(__file__).parents[1] / "data" / "nn" / "unet_state_dict_v1.json"


@pytest.mark.parametrize("name", ["ddpm_like", "adm_like_1d"])
def test_state_dicts_of_the_earlier_implementation_load(name):
    saved = json.loads(STATE_DICT_V1.read_text())[name]
    torch.manual_seed(0)
    model = UNetModel(**saved["config"])
    state = {key: torch.randn(shape) for key, shape in saved["state_dict"].items()}
    model.load_state_dict(state, strict=True)
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == saved["state_dict"]
