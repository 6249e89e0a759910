import pytest
import torch
import torch.nn.functional as F

import diffmm.nn.attention as attention_module
import diffmm.nn.resblock as resblock_module
from diffmm.nn.attention import AttentionBlock
from diffmm.nn.layers import GroupNorm32
from diffmm.nn.unet import UNetModel
from diffmm.nn.unet_presets import UNET_PRESETS, unet_preset

pytestmark = pytest.mark.nn


def tiny_unet(dims: int = 2, **overrides) -> UNetModel:
    kwargs = dict(
        dims=dims,
        in_channels=2,
        model_channels=16,
        out_channels=3,
        num_res_blocks=1,
        attention_resolutions=(2,),
        # ≥ 2 channels per GroupNorm group (32 groups): with one channel per group the
        # additive time/class embedding would be normalised away.
        channel_mult=(4, 4, 8),
        num_heads=2,
    )
    kwargs.update(overrides)
    torch.manual_seed(0)
    return UNetModel(**kwargs)


def perturb_zero_init(model: torch.nn.Module, seed: int = 1) -> torch.nn.Module:
    """Give every all-zero (zero_module) parameter small random values, so the residual
    branches and the output conv actually transmit signal."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
    return model


@pytest.mark.parametrize(
    "dims,spatial",
    [(1, (1000,)), (1, (1001,)), (1, (7,)), (2, (30, 33)), (2, (32, 32)), (2, (5, 3))],
)
def test_output_shape_any_length(dims, spatial):
    model = perturb_zero_init(tiny_unet(dims)).eval()
    x = torch.randn(2, 2, *spatial)
    out = model(x, torch.tensor([3.0, 700.5]))
    assert out.shape == (2, 3, *spatial) and out.dtype == x.dtype
    assert torch.isfinite(out).all() and out.abs().sum() > 0


@pytest.mark.parametrize("dims,spatial", [(1, (37,)), (2, (10, 7))])
def test_resblock_updown_and_pooled_resampling_shapes(dims, spatial):
    for options in (dict(resblock_updown=True), dict(conv_resample=False)):
        model = perturb_zero_init(tiny_unet(dims, **options)).eval()
        out = model(torch.randn(2, 2, *spatial), torch.tensor([1.0, 2.0]))
        assert out.shape == (2, 3, *spatial) and torch.isfinite(out).all()


@pytest.mark.parametrize("dims,spatial,padded", [(1, (13,), (16,)), (2, (9, 14), (12, 16))])
def test_padding_is_zero_at_the_end_and_output_is_cropped(dims, spatial, padded):
    # A size that is not a multiple of 4 behaves exactly like the explicitly zero-padded
    # input, cropped back to the leading positions.
    model = perturb_zero_init(tiny_unet(dims)).eval()
    x = torch.randn(1, 2, *spatial)
    pad = []
    for n, m in zip(reversed(spatial), reversed(padded)):
        pad += [0, m - n]
    t = torch.tensor([42.0])
    full = model(F.pad(x, pad), t)
    crop = (..., *(slice(0, n) for n in spatial))
    torch.testing.assert_close(model(x, t), full[crop])


def test_output_is_exactly_zero_at_init_but_trainable():
    model = tiny_unet(2)
    x = torch.randn(3, 2, 8, 8)
    out = model(x, torch.tensor([1, 500, 999]))
    assert torch.equal(out, torch.zeros_like(out))
    out.pow(2).sum().backward()  # zero gradient wrt the zero output ...
    (model(x, torch.tensor([1, 500, 999])) * torch.randn(3, 3, 8, 8)).sum().backward()
    assert model.out[-1].weight.grad.abs().sum() > 0  # ... but the output conv still learns


def test_integer_and_float_timesteps_agree_and_fractional_differs():
    model = perturb_zero_init(tiny_unet(1)).eval()
    x = torch.randn(2, 2, 16)
    a = model(x, torch.tensor([3, 7]))
    torch.testing.assert_close(a, model(x, torch.tensor([3.0, 7.0])))
    assert not torch.allclose(a, model(x, torch.tensor([3.5, 7.0])))
    torch.testing.assert_close(model(x, 5.0), model(x, torch.tensor([5.0, 5.0])))


def test_class_conditioning_changes_the_output():
    model = perturb_zero_init(tiny_unet(2, num_classes=4)).eval()
    x = torch.randn(1, 2, 8, 8).expand(2, -1, -1, -1)
    t = torch.tensor([10.0, 10.0])
    out = model(x, t, y=torch.tensor([0, 1]))
    assert (out[0] - out[1]).abs().max() > 1e-4
    same = model(x, t, y=torch.tensor([2, 2]))
    torch.testing.assert_close(same[0], same[1])


@pytest.mark.parametrize("dims,dropout", [(1, 0.0), (2, 0.0), (2, 0.3)])
def test_gradient_checkpointing_matches_plain(dims, dropout, monkeypatch):
    # With dropout the masks agree too: both runs start from the same seed, and the
    # recomputation restores the RNG state it saw in the forward pass.
    options = dict(dropout=dropout, use_scale_shift_norm=True)
    plain = perturb_zero_init(tiny_unet(dims, **options)).train()
    ckpt = tiny_unet(dims, use_checkpoint=True, **options).train()
    ckpt.load_state_dict(plain.state_dict())

    calls = []
    original = resblock_module.checkpoint

    def counting_checkpoint(*args, **kwargs):
        calls.append(kwargs.get("use_reentrant"))
        return original(*args, **kwargs)

    monkeypatch.setattr(resblock_module, "checkpoint", counting_checkpoint)
    monkeypatch.setattr(attention_module, "checkpoint", counting_checkpoint)

    spatial = (24,) if dims == 1 else (8, 12)
    x = torch.randn(2, 2, *spatial)
    t = torch.tensor([5.0, 250.0])
    weights = torch.randn(2, 3, *spatial)
    outs, grads = [], []
    for model in (plain, ckpt):
        model.zero_grad()
        torch.manual_seed(7)
        out = model(x, t)
        (out * weights).sum().backward()
        outs.append(out)
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    assert calls and all(flag is False for flag in calls)
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-5, atol=1e-6)
    for name, g in grads[0].items():
        torch.testing.assert_close(grads[1][name], g, rtol=1e-5, atol=1e-6, msg=name)


def test_no_checkpointing_in_eval(monkeypatch):
    model = tiny_unet(1, use_checkpoint=True).eval()
    monkeypatch.setattr(resblock_module, "checkpoint", lambda *a, **k: pytest.fail("checkpointed"))
    model(torch.randn(1, 2, 8), torch.tensor([1.0]))


def test_bf16_autocast_forward_on_cpu():
    model = perturb_zero_init(tiny_unet(2, use_scale_shift_norm=True)).eval()
    x = torch.randn(2, 2, 12, 10)
    t = torch.tensor([3.0, 600.0])
    reference = model(x, t)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x, t)
    assert out.shape == reference.shape and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    relative = (out - reference).norm() / reference.norm()
    assert relative < 0.05  # bf16 has 8 significant bits


def test_groupnorm32_computes_in_float32_under_autocast():
    norm = GroupNorm32(2, 4)
    x = (1000.0 + torch.randn(1, 4, 64)).to(torch.bfloat16)  # large mean: bf16 stats fail
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = norm(x)
    expected = F.group_norm(x.float(), 2, eps=norm.eps).to(torch.bfloat16)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out, expected)


def test_ddpm_cifar10_preset_has_35_7m_parameters():
    with torch.device("meta"):  # shapes only: no memory, no forward pass
        model = unet_preset("ddpm_cifar10")
    count = sum(p.numel() for p in model.parameters())
    assert abs(count - 35.7e6) <= 0.1e6, count  # DDPM (Ho et al. 2020) reports 35.7M


def test_presets_build_and_accept_overrides():
    with torch.device("meta"):
        iddpm = unet_preset("iddpm_cifar10")
        tts = unet_preset("gradtts_decoder", num_res_blocks=1)
    assert iddpm.out_channels == 6 and iddpm.input_blocks[1][0].use_scale_shift_norm
    assert tts.in_channels == 2 and tts.out_channels == 1 and tts.dims == 2
    assert set(UNET_PRESETS) >= {"ddpm_cifar10", "iddpm_cifar10", "gradtts_decoder"}
    with pytest.raises(ValueError, match="ddpm_cifar10"):
        unet_preset("ddpm_imagenet")


def test_bad_inputs_raise_clear_errors():
    model = tiny_unet(2)
    t = torch.tensor([1.0])
    with pytest.raises(ValueError, match="expected 2 input channels, got 3"):
        model(torch.randn(1, 3, 8, 8), t)
    with pytest.raises(ValueError, match="dims=2"):
        model(torch.randn(1, 2, 8), t)
    with pytest.raises(ValueError, match="unconditional"):
        model(torch.randn(1, 2, 8, 8), t, y=torch.tensor([0]))
    with pytest.raises(ValueError, match="timesteps"):
        model(torch.randn(2, 2, 8, 8), torch.tensor([1.0, 2.0, 3.0]))
    conditional = tiny_unet(2, num_classes=3)
    with pytest.raises(ValueError, match="required"):
        conditional(torch.randn(1, 2, 8, 8), t)
    with pytest.raises(ValueError, match="long"):
        conditional(torch.randn(1, 2, 8, 8), t, y=torch.tensor([0.0]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        conditional(torch.randn(1, 2, 8, 8), t, y=torch.tensor([3]))
    with pytest.raises(ValueError, match="dims"):
        tiny_unet(3)
    with pytest.raises(ValueError, match="attention_resolutions"):
        tiny_unet(2, attention_resolutions=(16,))
    with pytest.raises(ValueError, match="heads"):
        tiny_unet(2, num_heads=3)


@pytest.mark.parametrize("num_heads,num_head_channels", [(1, -1), (4, -1), (1, 4)])
def test_attention_block_matches_explicit_multihead_softmax(num_heads, num_head_channels):
    channels = 16
    block = perturb_zero_init(AttentionBlock(channels, num_heads, num_head_channels)).double()
    x = torch.randn(2, channels, 3, 5, dtype=torch.float64)
    heads = block.num_heads
    h = block.norm(x).reshape(2, channels, -1)
    qkv = torch.einsum("oc,bcn->bon", block.qkv.weight[..., 0], h) + block.qkv.bias[:, None]
    q, k, v = (part.reshape(2, heads, channels // heads, -1) for part in qkv.chunk(3, dim=1))
    scores = torch.einsum("bhdn,bhdm->bhnm", q, k) / (channels // heads) ** 0.5
    attended = torch.einsum("bhnm,bhdm->bhdn", scores.softmax(-1), v).reshape(2, channels, -1)
    proj = block.proj_out.weight[..., 0] @ attended + block.proj_out.bias[:, None]
    torch.testing.assert_close(block(x), x + proj.reshape(x.shape))
    # self-attention is equivariant to permuting the positions
    perm = torch.randperm(15)
    permuted = block(x.reshape(2, channels, 15)[..., perm].reshape(x.shape))
    torch.testing.assert_close(
        permuted.reshape(2, channels, 15), block(x).reshape(2, channels, 15)[..., perm]
    )
