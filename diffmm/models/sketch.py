"""The sketch model family: the image family's UNet with ``dims=1`` over drawings' point axis.

A drawing is an (L, 3) sequence of rows [x, y, pen] (``diffmm.sketch.sequence``); the network
sees it channels-first, (B, 3, L), so the three values of a point are the channels and the
1-D convolutions run along the pen's path. Everything else is the image family's: the
``model:`` section is an ``ImageModelConfig`` (class labels, the null class of classifier-free
guidance, learned variance, EDM preconditioning), checked to be 1-D with 3 channels.

Bundles use ``DiffusionGenerator``'s schema with ``data_shape`` = [3, L] and a ``raster:``
section (``diffmm.sketch.RasterSettings``): how ``diffmm sample`` draws the samples into
bitmaps, the same way the training sketches were drawn for the feature network.
"""

from __future__ import annotations

from diffmm.models.image import ImageModelConfig, ImageUNet, build_image_model
from diffmm.models.registry import register_family

SKETCH_CHANNELS = 3  # x, y, pen


def check_sketch_model(model: ImageModelConfig) -> None:
    """A ``ValueError`` unless the network is 1-D over 3-channel sequences."""
    if model.dims != 1 or model.in_channels != SKETCH_CHANNELS:
        raise ValueError(
            f"a sketch network is 1-D over {SKETCH_CHANNELS} channels (x, y, pen): "
            f"model.dims=1 and model.in_channels={SKETCH_CHANNELS}, got dims={model.dims}, "
            f"in_channels={model.in_channels}"
        )


@register_family("sketch")
def build_sketch_model(config: dict) -> ImageUNet:
    """Rebuild the network from a bundle's (or recipe's) config dictionary."""
    check_sketch_model(ImageModelConfig(**config["model"]))
    return build_image_model(config)
