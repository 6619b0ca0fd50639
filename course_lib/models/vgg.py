"""VGG, from Simonyan & Zisserman (ICLR 2015).

"Very Deep Convolutional Networks for Large-Scale Image Recognition": 3x3 convolutions with
padding 1 (configuration C, a control, also has three 1x1 convolutions), and 2x2 max pooling
with stride 2 after each block, so the spatial size halves and the channels double (64 up to
512).

``CONFIGURATIONS`` holds the six networks of the paper's Table 1 (A, A-LRN, B, C, D, E); the
``vgg(depth)`` builder makes A, B, D, E (11, 13, 16, 19 weight layers) with torchvision's
classifier (adaptive 7x7 average pool, 4096-4096-classes). Layer names follow the paper:
``conv3_2`` is the second convolution of the third block.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .._checks import check_int, check_real
from .alexnet import paper_lrn
from .arithmetic import conv_parameters, linear_parameters
from .base import TabledModel, check_parameter_count

__all__ = ["CONFIGURATIONS", "DEPTHS", "VGG", "vgg"]

# Table 1 of the paper. An int is a 3x3 convolution with that many filters, (c, 1) a 1x1
# convolution, "M" a 2x2/2 max pool, "LRN" local response normalisation.
CONFIGURATIONS: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M",
          512, 512, (512, 1), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}
DEPTHS = {11: "A", 13: "B", 16: "D", 19: "E"}


def _scaled(channels: int, width: float) -> int:
    return max(1, round(channels * width))


def _check_config(config) -> list:
    """Check a configuration and return it as a list.

    Each item is a conv ``int`` or ``(int, k)`` with an odd ``k``, or ``"M"`` or ``"LRN"``; at
    least one convolution.
    """
    if not isinstance(config, (list, tuple)) or not config:
        raise TypeError(f"`config` must be a non-empty list like CONFIGURATIONS['D']; got "
                        f"{config!r}.")
    convolutions = 0
    for position, item in enumerate(config):
        if isinstance(item, str) and item in ("M", "LRN"):
            continue
        out, k = item if isinstance(item, tuple) and len(item) == 2 else (item, 3)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (out, k)) \
                or k % 2 == 0:
            raise ValueError(f"`config` item {position} is {item!r}: each item must be a number "
                             "of 3x3 filters (a positive int), a (filters, odd kernel size) pair, "
                             "'M' (max pool) or 'LRN'.")
        convolutions += 1
    if not convolutions:
        raise ValueError(f"`config` {list(config)!r} has no convolution: VGG needs at least one "
                         "number of filters, e.g. [64, 'M'].")
    return list(config)


def _parameter_count(config: list, in_channels: int, width: float, batch_norm: bool,
                     num_classes: int) -> int:
    """Parameters of ``VGG(config, ...)``, by arithmetic (before any memory is allocated)."""
    count, channels = 0, in_channels
    for item in config:
        if item in ("M", "LRN"):
            continue
        out, k = item if isinstance(item, tuple) else (item, 3)
        out = _scaled(out, width)
        count += conv_parameters(channels, out, k) + (2 * out if batch_norm else 0)
        channels = out
    hidden = _scaled(4096, width)
    return (count + linear_parameters(channels * 49, hidden) + linear_parameters(hidden, hidden)
            + linear_parameters(hidden, num_classes))


def _features(config: list, in_channels: int, width: float, batch_norm: bool) -> nn.Sequential:
    layers: list[tuple[str, nn.Module]] = []
    block, index, channels = 1, 1, in_channels
    for item in config:
        if item == "M":
            layers.append((f"pool{block}", nn.MaxPool2d(2, stride=2)))
            block, index = block + 1, 1
            continue
        if item == "LRN":
            layers.append((f"lrn{block}", paper_lrn()))
            continue
        out, k = item if isinstance(item, tuple) else (item, 3)
        out = _scaled(out, width)
        tag = f"{block}_{index}"
        layers.append((f"conv{tag}", nn.Conv2d(channels, out, k, padding=k // 2)))
        if batch_norm:
            layers.append((f"bn{tag}", nn.BatchNorm2d(out)))
        layers.append((f"relu{tag}", nn.ReLU(inplace=True)))
        channels, index = out, index + 1
    return nn.Sequential(OrderedDict(layers))


class VGG(TabledModel):
    """A VGG network from a configuration list (see ``CONFIGURATIONS``).

    Usually built by :func:`vgg`. Prints as its layer table.
    """

    def __init__(self, config: list, *, num_classes: int = 1000, in_channels: int = 3,
                 width: float = 1.0, batch_norm: bool = False, name: str = "VGG") -> None:
        super().__init__()
        config = _check_config(config)
        self.num_classes = check_int(num_classes, "num_classes", minimum=1)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.width = check_real(width, "width", positive=True, maximum=4.0)
        if not isinstance(batch_norm, bool):
            raise TypeError(f"`batch_norm` must be True or False; got {batch_norm!r}.")
        # blame the first argument that makes the network too large: width, then in_channels
        for argument, value, channels, classes in (
                ("width", self.width, 3, 1), ("in_channels", self.in_channels, self.in_channels, 1),
                ("num_classes", self.num_classes, self.in_channels, self.num_classes)):
            check_parameter_count(_parameter_count(config, channels, self.width, batch_norm,
                                                   classes), argument, value)
        self.input_size = 224
        suffix = (" with batch norm" if batch_norm else "") + (
            f", width {self.width:g}" if self.width != 1.0 else "")
        self.title = name + suffix
        self.features = _features(list(config), self.in_channels, self.width, batch_norm)
        last = [m for m in self.features if isinstance(m, nn.Conv2d)][-1].out_channels
        hidden = _scaled(4096, self.width)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(OrderedDict([
            ("fc6", nn.Linear(last * 7 * 7, hidden)), ("relu6", nn.ReLU(inplace=True)),
            ("drop6", nn.Dropout(0.5)),
            ("fc7", nn.Linear(hidden, hidden)), ("relu7", nn.ReLU(inplace=True)),
            ("drop7", nn.Dropout(0.5)),
            ("fc8", nn.Linear(hidden, self.num_classes)),
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of images (N, C, H, W) to class scores (N, num_classes)."""
        self.check_input(x)
        x = self.features(x)         # (N, 512, 7, 7) at 224x224
        x = self.avgpool(x)          # (N, 512, 7, 7)
        x = self.flatten(x)          # (N, 25088)
        return self.classifier(x)    # (N, num_classes)


def vgg(depth: int = 16, *, num_classes: int = 1000, in_channels: int = 3, width: float = 1.0,
        batch_norm: bool = False) -> VGG:
    """VGG-11, -13, -16 or -19 (configurations A, B, D, E of the paper), freshly initialised.

    Parameters
    ----------
    depth : {11, 13, 16, 19}
        Number of weight layers (convolutions plus the three fully connected layers).
    num_classes : int
        Outputs of the last layer.
    in_channels : int
        3 for colour images, 1 for grey ones.
    width : float
        Multiplies every channel count and the 4096 hidden units (rounded, at least 1):
        ``width=1/16`` gives a VGG small enough to train on a CPU. At 1.0 and 1000 classes the
        parameter counts are the paper's: 132,863,336 / 133,047,848 / 138,357,544 / 143,667,240.
    batch_norm : bool
        Put a BatchNorm2d after every convolution (torchvision's ``vgg16_bn``), not in the paper.

    Examples
    --------
    >>> from course_lib.models import count_parameters
    >>> with torch.device("meta"):
    ...     net = vgg(16)
    >>> count_parameters(net)
    138357544
    >>> net.layer_table()["conv5_3"].receptive_field
    196
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth not in DEPTHS:
        raise ValueError(f"`depth` must be one of 11, 13, 16, 19 (configurations A, B, D, E); "
                         f"got {depth!r}.")
    letter = DEPTHS[depth]
    return VGG(CONFIGURATIONS[letter], num_classes=num_classes, in_channels=in_channels,
               width=width, batch_norm=batch_norm, name=f"VGG-{depth} (configuration {letter})")
