"""ResNet (He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016).

A residual block computes ``relu(F(x) + shortcut(x))``: its layers ``F`` learn what to *add* to
their input instead of a whole new mapping, and the shortcut gives the gradient a path around
them. Written here from the paper, with torchvision's layout and parameter names (no
torchvision: the course builds everything itself):

- :class:`BasicBlock`: two 3x3 convolutions (ResNet-18 and -34);
- :class:`Bottleneck`: a 1x1 convolution that reduces the channels four times, a 3x3
  convolution, a 1x1 convolution that expands them again (ResNet-50). The stride sits on the
  3x3 convolution, as in torchvision (the paper's original puts it on the first 1x1);
- :class:`ResNet` and :func:`resnet18`, :func:`resnet34`, :func:`resnet50`: a 7x7/2 stem, a 3x3/2
  max pool, four stages of blocks (64, 128, 256, 512 channels, times 4 after a bottleneck),
  global average pooling and one linear layer. At 1000 classes they have 11,689,512,
  21,797,672 and 25,557,032 parameters, torchvision's published counts;
- :class:`SmallResNet` and :func:`small_resnet`: the paper's networks for small images (its
  section 4.2, CIFAR-10): ``6n + 2`` weight layers in three stages of ``n`` basic blocks, with
  parameter-free shortcuts (the paper's option A: subsample, pad the new channels with
  zeros). ``residual=False`` gives the *plain* network with exactly the same layers and
  parameters, the paper's baseline.

Every convolution is followed by batch normalisation (so it has no bias), as in the paper. The
models print as their layer table, whose receptive fields follow the computation graph (see
:func:`course_lib.models.receptive.graph_layer_table`): both branches of a block, not the order
in which the layers were registered.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_bool, check_int
from .base import TabledModel
from .receptive import graph_layer_table
from .summary import LayerTable

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "SmallBlock", "SmallResNet", "resnet18", "resnet34",
           "resnet50", "small_resnet"]

MAX_CLASSES = 100_000
"""The most classes a ResNet here takes (ResNet-50's last layer then holds 205 million
parameters)."""


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1
             ) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    """Make a convolution without bias (the batch norm after it has one) and its batch norm."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                     padding=kernel_size // 2, bias=False)
    return conv, nn.BatchNorm2d(out_channels)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + x)``.

    When the block changes the size (``stride=2``) or the channels, the shortcut is a 1x1
    convolution with that stride and a batch norm (the paper's option B, torchvision's
    ``downsample``); otherwise it is the identity and costs nothing.

    Examples
    --------
    >>> block = BasicBlock(64, 64)
    >>> sum(p.numel() for p in block.parameters())      # 2 x (9 x 64 x 64) + 2 x (2 x 64)
    73984
    >>> block(torch.zeros(1, 64, 8, 8)).shape
    torch.Size([1, 64, 8, 8])
    """

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        channels = check_int(channels, "channels", minimum=1)
        stride = check_int(stride, "stride", minimum=1, maximum=2)
        self.conv1, self.bn1 = _conv_bn(in_channels, channels, 3, stride)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = _conv_bn(channels, channels, 3)
        self.downsample = _projection(in_channels, channels, stride)
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (N, C_in, H, W) to (N, channels, H / stride, W / stride)."""
        out = self.relu1(self.bn1(self.conv1(x)))          # (N, channels, H/s, W/s)
        out = self.bn2(self.conv2(out))                    # (N, channels, H/s, W/s)
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu2(out + shortcut)                  # the residual connection


class Bottleneck(nn.Module):
    """1x1 (reduce), 3x3, 1x1 (expand by 4), and a shortcut: ResNet-50's block.

    ``channels`` is the width of the 3x3 convolution; the block outputs ``4 * channels``. The
    1x1 convolutions let the expensive 3x3 one work on a quarter of the channels.

    Examples
    --------
    >>> block = Bottleneck(256, 64)                      # ResNet-50's conv2_x blocks
    >>> sum(p.numel() for p in block.parameters())
    70400
    >>> block(torch.zeros(1, 256, 8, 8)).shape
    torch.Size([1, 256, 8, 8])
    """

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        channels = check_int(channels, "channels", minimum=1)
        stride = check_int(stride, "stride", minimum=1, maximum=2)
        out_channels = channels * self.expansion
        self.conv1, self.bn1 = _conv_bn(in_channels, channels, 1)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = _conv_bn(channels, channels, 3, stride)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3, self.bn3 = _conv_bn(channels, out_channels, 1)
        self.downsample = _projection(in_channels, out_channels, stride)
        self.relu3 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (N, C_in, H, W) to (N, 4 * channels, H / stride, W / stride)."""
        out = self.relu1(self.bn1(self.conv1(x)))          # (N, channels, H, W)
        out = self.relu2(self.bn2(self.conv2(out)))        # (N, channels, H/s, W/s)
        out = self.bn3(self.conv3(out))                    # (N, 4 channels, H/s, W/s)
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu3(out + shortcut)


def _projection(in_channels: int, out_channels: int, stride: int) -> nn.Sequential | None:
    """Make the shortcut's 1x1 convolution and batch norm, or None where the identity fits."""
    if stride == 1 and in_channels == out_channels:
        return None
    conv, bn = _conv_bn(in_channels, out_channels, 1, stride)
    return nn.Sequential(OrderedDict([("0", conv), ("1", bn)]))


def _initialise(model: nn.Module) -> None:
    """He initialisation of the convolutions (fan out, as torchvision), batch norm at 1 and 0."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d) and module.weight.device.type != "meta":
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d) and module.weight.device.type != "meta":
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class _GraphTabled(TabledModel):
    """A TabledModel with branches: any input size, tables traced through the graph."""

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``TypeError``/``ValueError`` if ``x`` is not a batch this model can take.

        Every layer pads, so any height and width of at least 1 pass.
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"`x` must be a torch.Tensor; got {type(x).__name__}.")
        if x.ndim != 4 or x.shape[1] != self.in_channels or min(x.shape[2:]) < 1:
            raise ValueError(f"`x` must be a batch of images (N, {self.in_channels}, H, W) for "
                             f"{self.title}; got shape {tuple(x.shape)}.")

    def layer_table(self, input_size: int | None = None, *, compact: bool = False
                    ) -> LayerTable:
        """Tabulate this model's layers for one square image (:func:`graph_layer_table`).

        The side defaults to ``input_size``.
        """
        side = self.input_size if input_size is None else check_int(input_size, "input_size",
                                                                    minimum=1)
        return graph_layer_table(self, (1, self.in_channels, side, side), compact=compact,
                                 title=self.title)


# (block, blocks per stage) of the published ImageNet networks
_LAYOUTS: dict[int, tuple[type[BasicBlock] | type[Bottleneck], tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
}


class ResNet(_GraphTabled):
    """A ResNet for ImageNet-sized images: stem, four stages of residual blocks, GAP, linear.

    Usually built by :func:`resnet18`, :func:`resnet34` or :func:`resnet50`. Prints as its
    layer table. ``depth`` is the number of weight layers on the main path (the shortcuts'
    1x1 convolutions are not counted, as in the paper's names).
    """

    layer1: nn.Sequential
    layer2: nn.Sequential
    layer3: nn.Sequential
    layer4: nn.Sequential

    def __init__(self, depth: int = 18, *, num_classes: int = 1000, in_channels: int = 3) -> None:
        super().__init__()
        if isinstance(depth, bool) or depth not in _LAYOUTS:
            raise ValueError(f"`depth` must be one of {sorted(_LAYOUTS)}; got {depth!r}.")
        self.depth = depth
        self.num_classes = check_int(num_classes, "num_classes", minimum=1, maximum=MAX_CLASSES)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1, maximum=64)
        self.input_size = 224
        self.title = f"ResNet-{depth}"
        block, counts = _LAYOUTS[depth]
        self.conv1, self.bn1 = _conv_bn(self.in_channels, 64, 7, stride=2)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels = 64
        for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts, strict=True)):
            blocks = []
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(block(channels, width, stride))
                channels = width * block.expansion
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, self.num_classes)
        _initialise(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of images (N, C, H, W) to class scores (N, num_classes)."""
        self.check_input(x)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))   # (N, 64, H/4, W/4)
        x = self.layer1(x)                                     # (N, 64 or 256, H/4, W/4)
        x = self.layer2(x)                                     # (N, 128 or 512, H/8, W/8)
        x = self.layer3(x)                                     # (N, 256 or 1024, H/16, W/16)
        x = self.layer4(x)                                     # (N, 512 or 2048, H/32, W/32)
        return self.fc(self.flatten(self.avgpool(x)))          # (N, num_classes)


def resnet18(num_classes: int = 1000, *, in_channels: int = 3) -> ResNet:
    """ResNet-18: basic blocks, 2-2-2-2 per stage; 11,689,512 parameters at 1000 classes.

    >>> from course_lib.models import count_parameters
    >>> with torch.device("meta"):
    ...     net = resnet18()
    >>> count_parameters(net)
    11689512
    """
    return ResNet(18, num_classes=num_classes, in_channels=in_channels)


def resnet34(num_classes: int = 1000, *, in_channels: int = 3) -> ResNet:
    """ResNet-34: basic blocks, 3-4-6-3 per stage; 21,797,672 parameters at 1000 classes.

    >>> from course_lib.models import count_parameters
    >>> with torch.device("meta"):
    ...     net = resnet34()
    >>> count_parameters(net)
    21797672
    """
    return ResNet(34, num_classes=num_classes, in_channels=in_channels)


def resnet50(num_classes: int = 1000, *, in_channels: int = 3) -> ResNet:
    """ResNet-50: bottleneck blocks, 3-4-6-3 per stage; 25,557,032 parameters at 1000 classes.

    >>> from course_lib.models import count_parameters
    >>> with torch.device("meta"):
    ...     net = resnet50()
    >>> count_parameters(net)
    25557032
    """
    return ResNet(50, num_classes=num_classes, in_channels=in_channels)


# --------------------------------------------------------------------------------------------
# The paper's small networks (section 4.2): residual or plain, the same layers
# --------------------------------------------------------------------------------------------

class SmallBlock(nn.Module):
    """Two 3x3 convolutions with batch norm; with ``residual``, a parameter-free shortcut.

    Where the block halves the size and doubles the channels, the shortcut subsamples its
    input (a 1x1 pool with stride 2) and pads the new channels with zeros (the paper's
    option A), so the residual block has exactly the parameters of the plain one.
    """

    def __init__(self, in_channels: int, channels: int, stride: int, *, residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.conv1, self.bn1 = _conv_bn(in_channels, channels, 3, stride)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = _conv_bn(channels, channels, 3)
        self.subsample = nn.AvgPool2d(1, stride=stride) if residual and stride > 1 else None
        self.extra_channels = channels - in_channels
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (N, C_in, H, W) to (N, channels, H / stride, W / stride)."""
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        if self.residual:
            shortcut = x if self.subsample is None else self.subsample(x)
            if self.extra_channels:                             # zeros for the new channels
                shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, self.extra_channels))
            out = out + shortcut
        return self.relu2(out)


class SmallResNet(_GraphTabled):
    """The paper's network for small images: ``6n + 2`` layers, residual or plain.

    A 3x3 convolution to ``width`` channels, three stages of ``n`` blocks (``width``,
    ``2 width``, ``4 width`` channels; the second and third start with stride 2), global
    average pooling and a linear layer. Built by :func:`small_resnet`.
    """

    stage1: nn.Sequential
    stage2: nn.Sequential
    stage3: nn.Sequential

    def __init__(self, depth: int = 20, *, residual: bool = True, width: int = 16,
                 in_channels: int = 1, num_classes: int = 10, input_size: int = 8) -> None:
        super().__init__()
        depth = check_int(depth, "depth", minimum=8, maximum=200)
        if (depth - 2) % 6:
            raise ValueError(f"`depth` must be 6n + 2 (8, 14, 20, 26, 32, 44, 56, ...); got "
                             f"{depth}.")
        self.depth = depth
        self.residual = check_bool(residual, "residual")
        self.width = check_int(width, "width", minimum=1, maximum=64)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1, maximum=64)
        self.num_classes = check_int(num_classes, "num_classes", minimum=1, maximum=MAX_CLASSES)
        self.input_size = check_int(input_size, "input_size", minimum=1, maximum=1024)
        self.title = f"{'ResNet' if residual else 'plain'}-{depth}"
        n = (depth - 2) // 6
        self.conv1, self.bn1 = _conv_bn(self.in_channels, self.width, 3)
        self.relu = nn.ReLU(inplace=True)
        channels = self.width
        for stage in range(3):
            blocks = []
            for index in range(n):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(SmallBlock(channels, self.width * 2**stage, stride,
                                         residual=self.residual))
                channels = self.width * 2**stage
            self.add_module(f"stage{stage + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, self.num_classes)
        _initialise(self)

    @property
    def first_conv(self) -> nn.Conv2d:
        """The first layer (where the gradient has travelled through every other layer)."""
        return self.conv1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of images (N, C, H, W) to class scores (N, num_classes)."""
        self.check_input(x)
        x = self.relu(self.bn1(self.conv1(x)))                 # (N, width, H, W)
        x = self.stage3(self.stage2(self.stage1(x)))           # (N, 4 width, H/4, W/4)
        return self.fc(self.flatten(self.avgpool(x)))          # (N, num_classes)


def small_resnet(depth: int = 20, *, residual: bool = True, width: int = 16,
                 in_channels: int = 1, num_classes: int = 10, input_size: int = 8
                 ) -> SmallResNet:
    """Build the paper's small ResNet (``residual=True``) or its plain twin (``residual=False``).

    Parameters
    ----------
    depth : int
        ``6n + 2`` weight layers: 8, 14, 20, 26, 32, 44, 56, 110, ...
    residual : bool
        With the parameter-free shortcuts, or without them (the plain network).
    width : int
        Channels of the first stage (16 in the paper); the others have 2 and 4 times as many.
    in_channels, num_classes : int
        1 channel and 10 classes for the course's 8x8 digits.
    input_size : int
        The side the network is meant for (its layer table's default); any side works.

    Examples
    --------
    >>> from course_lib.models import count_parameters
    >>> plain, res = small_resnet(20, residual=False), small_resnet(20)
    >>> count_parameters(plain) == count_parameters(res)          # shortcuts cost nothing
    True
    >>> res(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """
    return SmallResNet(depth, residual=residual, width=width, in_channels=in_channels,
                       num_classes=num_classes, input_size=input_size)
