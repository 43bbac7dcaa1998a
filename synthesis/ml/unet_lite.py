"""A depthwise-separable U-Net: the U-Net layout with each 3x3 convolution split into a
per-channel 3x3 and a 1x1 mixing step (MobileNet, Howard et al. 2017), about 9x fewer weights
and multiply-adds, so it trains on two CPU cores at 128 px. Same interface as `UNet`:
normalised (N, 3, H, W) in, (N, 1, H, W) logits out, any H and W."""

import torch
from torch import nn
from torch.nn import functional as F


class SeparableConv(nn.Sequential):
    """3x3 depthwise -> BN -> 1x1 pointwise -> BN -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int = 1) -> None:
        super().__init__(
            nn.Conv2d(
                in_channels,
                in_channels,
                3,
                padding=dilation,
                dilation=dilation,
                groups=in_channels,
                bias=False,
            ),
            nn.BatchNorm2d(in_channels),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class SeparableBlock(nn.Module):
    """Two separable convolutions with a residual shortcut (1x1 when the width changes)."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            SeparableConv(in_channels, out_channels),
            SeparableConv(out_channels, out_channels, dilation),
        )
        self.shortcut = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Conv2d(in_channels, out_channels, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class LiteUNet(nn.Module):
    """`depth` poolings, widths base*2**level (capped), a dilated bottleneck for context."""

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 16,
        depth: int = 4,
        max_channels: int = 256,
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        if depth < 1 or base_channels < 1:
            raise ValueError("depth and base_channels must be >= 1")
        widths = [min(base_channels * 2**level, max_channels) for level in range(depth + 1)]
        # A full 3x3 stem: a depthwise convolution over 3 colour channels would see too little.
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, stride=stem_stride, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        self.encoders = nn.ModuleList([SeparableBlock(widths[0], widths[0])])
        for level in range(1, depth + 1):
            dilation = 2 if level == depth else 1
            self.encoders.append(SeparableBlock(widths[level - 1], widths[level], dilation))
        self.decoders = nn.ModuleList(
            SeparableBlock(widths[level + 1] + widths[level], widths[level])
            for level in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        x = self.stem(x)
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
        x = self.head(x)
        if x.shape[-2:] != size:
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        return x


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
