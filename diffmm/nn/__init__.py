"""Network building blocks: timestep embeddings and the 1-D/2-D UNet (guided-diffusion design)."""

from diffmm.nn.attention import AttentionBlock
from diffmm.nn.embeddings import TimestepEmbedding, timestep_embedding
from diffmm.nn.layers import GroupNorm32, avg_pool_nd, conv_nd, normalization, zero_module
from diffmm.nn.resample import Downsample, Upsample
from diffmm.nn.resblock import ResBlock
from diffmm.nn.unet import TimestepEmbedSequential, UNetModel
from diffmm.nn.unet_presets import UNET_PRESETS, unet_preset

__all__ = [
    "UNET_PRESETS",
    "AttentionBlock",
    "Downsample",
    "GroupNorm32",
    "ResBlock",
    "TimestepEmbedSequential",
    "TimestepEmbedding",
    "UNetModel",
    "Upsample",
    "avg_pool_nd",
    "conv_nd",
    "normalization",
    "timestep_embedding",
    "unet_preset",
    "zero_module",
]
