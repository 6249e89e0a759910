"""Growing images to a larger square by zero padding, as DDPM-style setups do for 28×28 data.

Fashion-MNIST and MNIST are 28×28, while UNets that halve the resolution four times want a
multiple of 16: padding two black pixels on each side gives 32×32 without resampling, so the
digits stay sharp and no pixel value is invented (uint8 0 is x = −1 in the model's space).
"""

from __future__ import annotations

import numpy as np

from diffmm.errors import DiffmmError


def pad_images(images: np.ndarray, size: int, *, layout: str = "NHWC") -> np.ndarray:
    """Zero-pad uint8 images (N, H, W, C) or (N, C, H, W) to ``size × size``, centred.

    An odd difference puts the extra row/column at the bottom/right.
    """
    if layout not in ("NHWC", "NCHW"):
        raise DiffmmError(f"layout must be NHWC or NCHW, got {layout!r}")
    if images.ndim != 4:
        raise DiffmmError(f"images must be 4-D {layout}, got shape {images.shape}")
    h_axis = 1 if layout == "NHWC" else 2
    height, width = images.shape[h_axis], images.shape[h_axis + 1]
    if height > size or width > size:
        raise DiffmmError(f"cannot pad {height}×{width} images down to {size}×{size}")
    top, left = (size - height) // 2, (size - width) // 2
    pad = [(0, 0)] * 4
    pad[h_axis] = (top, size - height - top)
    pad[h_axis + 1] = (left, size - width - left)
    return np.pad(images, pad, mode="constant", constant_values=0)
