"""A compact U-Net for binary lesion segmentation: 3xHxW normalised RGB in, 1xHxW logits out."""

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

Norm = Literal["batch", "group"]

# ImageNet statistics: a neutral, fixed choice so that checkpoints do not depend on the data.
RGB_MEAN = (0.485, 0.456, 0.406)
RGB_STD = (0.229, 0.224, 0.225)


def normalize(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) float RGB in 0..1 -> the network's normalised input."""
    mean = images.new_tensor(RGB_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(RGB_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def _norm_layer(kind: Norm, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        groups = 8 if channels % 8 == 0 else 1
        return nn.GroupNorm(groups, channels)
    raise ValueError(f"unknown norm {kind!r}: expected 'batch' or 'group'")


class DoubleConv(nn.Sequential):
    """(3x3 conv -> norm -> ReLU) twice."""

    def __init__(self, in_channels: int, out_channels: int, norm: Norm) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            _norm_layer(norm, out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            _norm_layer(norm, out_channels),
            nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    """U-Net with `depth` poolings, widths base*2**level, bilinear upsampling.

    Any input size works: each upsampling goes to the size of its skip connection.
    """

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 16,
        depth: int = 4,
        norm: Norm = "batch",
        max_channels: int = 256,
    ) -> None:
        super().__init__()
        if depth < 1 or base_channels < 1:
            raise ValueError("depth and base_channels must be >= 1")
        widths = [min(base_channels * 2**level, max_channels) for level in range(depth + 1)]
        self.encoders = nn.ModuleList([DoubleConv(in_channels, widths[0], norm)])
        for level in range(1, depth + 1):
            self.encoders.append(DoubleConv(widths[level - 1], widths[level], norm))
        self.decoders = nn.ModuleList(
            DoubleConv(widths[level + 1] + widths[level], widths[level], norm)
            for level in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for index, encoder in enumerate(self.encoders):
            if index:
                x = F.max_pool2d(x, 2, ceil_mode=True)
            x = encoder(x)
            skips.append(x)
        skips.pop()  # the bottleneck output is x itself
        for decoder in self.decoders:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = decoder(torch.cat([x, skip], dim=1))
        return self.head(x)
