"""Named UNetModel configurations from the papers.

Parameter counts of the presets as built here (``sum(p.numel())``):
- ``ddpm_cifar10``     35,746,307 — DDPM (Ho et al. 2020, App. B) reports 35.7M (tested).
- ``iddpm_cifar10``    52,546,438
- ``adm_imagenet64``  295,904,454
- ``gradtts_decoder``  15,723,201 (our blocks in Grad-TTS's layout, see below; not its count)
"""

from __future__ import annotations

from typing import Any

from diffmm.nn.unet import UNetModel

UNET_PRESETS: dict[str, dict[str, Any]] = {
    # DDPM CIFAR-10: 4 levels 32→16→8→4, self-attention at 16×16 only (and in the middle),
    # additive time embedding, one head, conv resampling, dropout 0.1.
    "ddpm_cifar10": dict(
        dims=2,
        in_channels=3,
        model_channels=128,
        out_channels=3,
        num_res_blocks=2,
        attention_resolutions=(2,),
        dropout=0.1,
        channel_mult=(1, 2, 2, 2),
        num_heads=1,
    ),
    # iDDPM CIFAR-10: 3 res blocks, attention at 16×16 and 8×8 with 4 heads, dropout 0.3,
    # scale-shift norm, and 6 output channels: ε (3) plus the learned-range variance v (3).
    "iddpm_cifar10": dict(
        dims=2,
        in_channels=3,
        model_channels=128,
        out_channels=6,
        num_res_blocks=3,
        attention_resolutions=(2, 4),
        dropout=0.3,
        channel_mult=(1, 2, 2, 2),
        num_heads=4,
        use_scale_shift_norm=True,
    ),
    # ADM ImageNet 64×64 (Table 15 / the released 64×64 model): 192 channels, mult 1,2,3,4,
    # 3 res blocks, attention at 32, 16 and 8 with 64 channels per head, BigGAN-style
    # residual up/downsampling, scale-shift norm, learned sigma, 1000 classes.
    "adm_imagenet64": dict(
        dims=2,
        in_channels=3,
        model_channels=192,
        out_channels=6,
        num_res_blocks=3,
        attention_resolutions=(2, 4, 8),
        dropout=0.1,
        channel_mult=(1, 2, 3, 4),
        num_classes=1000,
        num_head_channels=64,
        use_scale_shift_norm=True,
        resblock_updown=True,
    ),
    # Grad-TTS decoder (Popov et al. 2021): a 2-D UNet over (mel bins × frames), base width
    # 64, mult 1,2,4. Its input is x_t and the encoder output μ stacked as 2 channels
    # (in_channels=2: the model wrapper builds cat([x_t, μ], dim=1) of shape (B, 2, 80, T));
    # the output is the 1-channel score/noise map. Grad-TTS uses linear attention at every
    # level; softmax attention over 80·T positions is quadratic, so here attention runs only
    # at the coarsest level (factor 4: 20 × T/4 positions). The input pads T itself.
    "gradtts_decoder": dict(
        dims=2,
        in_channels=2,
        model_channels=64,
        out_channels=1,
        num_res_blocks=2,
        attention_resolutions=(4,),
        dropout=0.0,
        channel_mult=(1, 2, 4),
        num_heads=4,
    ),
}


def unet_preset(name: str, **overrides: Any) -> UNetModel:
    """Build the preset ``name``; keyword ``overrides`` replace any of its UNetModel arguments."""
    if name not in UNET_PRESETS:
        raise ValueError(f"unknown UNet preset {name!r}; known presets: {sorted(UNET_PRESETS)}")
    return UNetModel(**{**UNET_PRESETS[name], **overrides})
