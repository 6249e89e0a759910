"""uint8 ↔ [−1, 1] against the discretized Gaussian decoder's levels, and zero padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffmm.diffusion.losses import discretized_gaussian_log_likelihood
from diffmm.errors import DiffmmError
from diffmm.vision import pad_images, signed_to_uint8, uint8_to_signed

ALL_LEVELS = torch.arange(256, dtype=torch.uint8)


def test_levels_are_the_bin_centres_the_decoder_assumes() -> None:
    x = uint8_to_signed(ALL_LEVELS)
    assert x[0] == -1.0 and x[-1] == 1.0
    torch.testing.assert_close(x.double(), 2 * torch.arange(256, dtype=torch.float64) / 255 - 1)
    # A decoder centred on each level with a tiny scale puts all its mass in that level's bin,
    # which holds only if x sits strictly inside the decoder's bin (the edges are open-ended).
    log_p = discretized_gaussian_log_likelihood(x, x, torch.full_like(x, np.log(1e-4)))
    torch.testing.assert_close(log_p, torch.zeros_like(log_p), atol=1e-6, rtol=0)


def test_round_trip_is_exact_and_the_inverse_picks_the_nearest_level() -> None:
    assert torch.equal(signed_to_uint8(uint8_to_signed(ALL_LEVELS)), ALL_LEVELS)
    x = uint8_to_signed(ALL_LEVELS)
    # Anything within just under half a bin (1/255) of a level maps back to it.
    for offset in (0.99 / 255, -0.99 / 255):
        nudged = (x + offset).clamp(-1.5, 1.5)
        assert torch.equal(signed_to_uint8(nudged), ALL_LEVELS)
    assert signed_to_uint8(torch.tensor([-1.7, 3.0])).tolist() == [0, 255]


def test_non_uint8_input_is_refused() -> None:
    with pytest.raises(ValueError, match="uint8"):
        uint8_to_signed(torch.zeros(3, dtype=torch.int64))


def test_padding_28_to_32_centres_the_image_in_black() -> None:
    images = np.full((2, 28, 28, 1), 200, np.uint8)
    padded = pad_images(images, 32)
    assert padded.shape == (2, 32, 32, 1)
    assert (padded[:, 2:30, 2:30] == 200).all()
    assert padded.sum() == images.sum()  # the border is 0, i.e. x = −1
    nchw = pad_images(images.transpose(0, 3, 1, 2), 32, layout="NCHW")
    assert np.array_equal(nchw, padded.transpose(0, 3, 1, 2))


def test_padding_never_shrinks() -> None:
    with pytest.raises(DiffmmError, match="cannot pad 32×32 images down to 28×28"):
        pad_images(np.zeros((1, 32, 32, 3), np.uint8), 28)
