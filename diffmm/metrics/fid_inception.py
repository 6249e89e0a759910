"""The FID Inception network: Inception-v3 as in TensorFlow's 2015-12-05 graph that FID was
defined with (Heusel et al. 2017), loaded from the user's ``pt_inception-2015-12-05-6726825d.pth``
(the PyTorch port of that graph's weights used by pytorch-fid; never downloaded here).

Inception-v3 (Szegedy et al. 2016) with the graph's own quirks, which change the features:
- average pools inside the blocks exclude the zero padding from the mean (TF's SAME pooling);
- the last block (Mixed_7c) pools its pool branch with a max, not an average;
- 1008 output classes.
Preprocessing as in pytorch-fid: uint8 → [0, 1] → bilinear resize to 299×299 → [−1, 1]; grey
images are repeated to three channels. Features are the 2048-d global average pool ("pool3");
class probabilities are the softmax of the pool features times the logit weights *without*
the bias, as the original Inception Score code computes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.errors import DiffmmError

NUM_CLASSES = 1008
FEATURE_DIM = 2048
INPUT_SIZE = 299
EXTRACTOR_NAME = "inception-v3-fid-2015-12-05"


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (ε = 0.001, TF's), ReLU."""

    def __init__(self, channels_in: int, channels_out: int, kernel, stride=1, padding=0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(channels_out, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _conv_chain(channels: Sequence[int], kernels: Sequence, paddings: Sequence) -> list[nn.Module]:
    return [
        BasicConv2d(c_in, c_out, k, padding=p)
        for c_in, c_out, k, p in zip(channels[:-1], channels[1:], kernels, paddings)
    ]


def _tf_average_pool(x: Tensor) -> Tensor:
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    """35×35 block: 1×1, 5×5, double 3×3 and pooled branches (64 + 64 + 96 + pool_features)."""

    def __init__(self, channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(channels, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = _conv_chain([channels, 48, 64], [1, 5], [0, 2])
        self.branch3x3dbl_1, self.branch3x3dbl_2, self.branch3x3dbl_3 = _conv_chain(
            [channels, 64, 96, 96], [1, 3, 3], [0, 1, 1]
        )
        self.branch_pool = BasicConv2d(channels, pool_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch5x5_2(self.branch5x5_1(x)),
                double,
                self.branch_pool(_tf_average_pool(x)),
            ],
            1,
        )


class InceptionB(nn.Module):
    """Grid reduction 35 → 17: strided 3×3, strided double 3×3 and a max pool."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(channels, 384, 3, stride=2)
        self.branch3x3dbl_1, self.branch3x3dbl_2 = _conv_chain([channels, 64, 96], [1, 3], [0, 1])
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), double, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Module):
    """17×17 block with factorised 7×7 convolutions (1×7 then 7×1)."""

    def __init__(self, channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7, row, col = channels_7x7, (1, 7), (7, 1)
        self.branch1x1 = BasicConv2d(channels, 192, 1)
        self.branch7x7_1, self.branch7x7_2, self.branch7x7_3 = _conv_chain(
            [channels, c7, c7, 192], [1, row, col], [0, (0, 3), (3, 0)]
        )
        (
            self.branch7x7dbl_1,
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ) = _conv_chain(
            [channels, c7, c7, c7, c7, 192],
            [1, col, row, col, row],
            [0, (3, 0), (0, 3), (3, 0), (0, 3)],
        )
        self.branch_pool = BasicConv2d(channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        single = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4):
            double = layer(double)
        double = self.branch7x7dbl_5(double)
        pooled = self.branch_pool(_tf_average_pool(x))
        return torch.cat([self.branch1x1(x), single, double, pooled], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 → 8: strided 3×3 after 1×1, strided 3×3 after a 7×7 pair, max pool."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(channels, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3 = _conv_chain(
            [channels, 192, 192, 192], [1, (1, 7), (7, 1)], [0, (0, 3), (3, 0)]
        )
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        seven = self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x)))
        return torch.cat(
            [
                self.branch3x3_2(self.branch3x3_1(x)),
                self.branch7x7x3_4(seven),
                F.max_pool2d(x, 3, stride=2),
            ],
            1,
        )


class InceptionE(nn.Module):
    """8×8 block with split 1×3 / 3×1 heads; ``max_pool`` is the 2015 graph's last block."""

    def __init__(self, channels: int, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(channels, 320, 1)
        self.branch3x3_1 = BasicConv2d(channels, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1, self.branch3x3dbl_2 = _conv_chain([channels, 448, 384], [1, 3], [0, 1])
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        single = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        if self.max_pool:
            pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        else:
            pooled = _tf_average_pool(x)
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch3x3_2a(single),
                self.branch3x3_2b(single),
                self.branch3x3dbl_3a(double),
                self.branch3x3dbl_3b(double),
                self.branch_pool(pooled),
            ],
            1,
        )


class FIDInceptionV3(nn.Module):
    """x ∈ [−1, 1]^(3×299×299) → (2048 pool features, 1008 logits without bias)."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, max_pool=False)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
                      self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b,
                      self.Mixed_7c):  # fmt: skip
            x = block(x)
        features = x.mean(dim=(2, 3))
        return features, features @ self.fc.weight.T


class FIDInceptionExtractor:
    """``FIDInceptionV3`` as a ``metrics.FeatureExtractor`` with class probabilities."""

    name = EXTRACTOR_NAME
    dim = FEATURE_DIM

    def __init__(self, network: FIDInceptionV3) -> None:
        self.network = network.eval()

    @classmethod
    def from_weights(
        cls, path: str | Path, device: str | torch.device = "cpu"
    ) -> FIDInceptionExtractor:
        """Load the ``.pth`` state dict (``torch.load(weights_only=True)``: no code runs)."""
        path = Path(path)
        if not path.is_file():
            raise DiffmmError(f"Inception weights not found: {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a corrupt archive or pickled code: both are refused
            raise DiffmmError(f"cannot read Inception weights {path}: {error}") from error
        network = FIDInceptionV3()
        expected = {k for k in network.state_dict() if not k.endswith("num_batches_tracked")}
        given = (
            {k for k in state if not k.endswith("num_batches_tracked")}
            if isinstance(state, dict)
            else set()
        )
        if given != expected:
            missing, extra = sorted(expected - given), sorted(given - expected)
            raise DiffmmError(
                f"{path} is not the FID Inception state dict: {len(missing)} keys missing "
                f"(e.g. {missing[:2]}), {len(extra)} unexpected (e.g. {extra[:2]})"
            )
        try:
            network.load_state_dict(state, strict=False)
        except RuntimeError as error:
            raise DiffmmError(f"{path}: {str(error).splitlines()[-1].strip()}") from error
        return cls(network.to(device))

    def _prepare(self, images: Tensor) -> Tensor:
        device = next(self.network.parameters()).device
        x = images.to(device=device, dtype=torch.float32) / 255.0
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        return 2.0 * x - 1.0

    @torch.no_grad()
    def __call__(self, images: Tensor) -> Tensor:
        return self.network(self._prepare(images))[0].float().cpu()

    @torch.no_grad()
    def features_and_probabilities(self, images: Tensor) -> tuple[Tensor, Tensor]:
        features, logits = self.network(self._prepare(images))
        return features.float().cpu(), logits.softmax(-1).float().cpu()
