"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012), in two layouts.

- ``variant="torchvision"``: the single-GPU layout used by torchvision and most courses
  (64-192-384-256-256 filters, no normalisation, an adaptive average pool so that any input of
  at least 63x63 works); 61,100,840 parameters at 1000 classes, designed for 224x224 input.
- ``variant="paper"``: the network of the 2012 paper, section 3.5 and figure 2: 96-256-384-384-256
  filters on 227x227 input (the paper's text says 224, but only 227 gives its 55x55 first
  layer), local response normalisation after conv1 and conv2, overlapping 3x3/2 max pooling,
  and the two-GPU split written as grouped convolutions: conv2, conv4 and conv5 only see the
  half of the previous layer's maps that lives on their GPU (``groups=2``), while conv3 and the
  fully connected layers see everything. 60,965,224 parameters at 1000 classes.

Layer names follow the paper (conv1 ... conv5, fc6 ... fc8).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .._checks import check_choice, check_int
from .arithmetic import conv_parameters, linear_parameters
from .base import TabledModel, check_parameter_count

__all__ = ["AlexNet", "alexnet"]

# The paper's normalisation: b = a / (k + alpha * sum of a^2 over n neighbouring maps)^beta with
# k=2, n=5, alpha=1e-4, beta=0.75. PyTorch divides alpha by n, so it needs alpha = 5 * 1e-4.
LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K = 5, 1e-4, 0.75, 2.0

def paper_lrn() -> nn.LocalResponseNorm:
    """Build the paper's local response normalisation as an ``nn.LocalResponseNorm``.

    Shown in notebook 02 (local response normalisation).
    """
    return nn.LocalResponseNorm(LRN_SIZE, alpha=LRN_ALPHA * LRN_SIZE, beta=LRN_BETA, k=LRN_K)


def _torchvision_features(in_channels: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 64, 11, stride=4, padding=2)),
        ("relu1", nn.ReLU(inplace=True)),
        ("pool1", nn.MaxPool2d(3, stride=2)),
        ("conv2", nn.Conv2d(64, 192, 5, padding=2)),
        ("relu2", nn.ReLU(inplace=True)),
        ("pool2", nn.MaxPool2d(3, stride=2)),
        ("conv3", nn.Conv2d(192, 384, 3, padding=1)),
        ("relu3", nn.ReLU(inplace=True)),
        ("conv4", nn.Conv2d(384, 256, 3, padding=1)),
        ("relu4", nn.ReLU(inplace=True)),
        ("conv5", nn.Conv2d(256, 256, 3, padding=1)),
        ("relu5", nn.ReLU(inplace=True)),
        ("pool5", nn.MaxPool2d(3, stride=2)),
    ]))


def _paper_features(in_channels: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 96, 11, stride=4)),        # 48 filters on each GPU
        ("relu1", nn.ReLU(inplace=True)),
        ("lrn1", paper_lrn()),
        ("pool1", nn.MaxPool2d(3, stride=2)),
        ("conv2", nn.Conv2d(96, 256, 5, padding=2, groups=2)),      # each GPU sees its 48 maps
        ("relu2", nn.ReLU(inplace=True)),
        ("lrn2", paper_lrn()),
        ("pool2", nn.MaxPool2d(3, stride=2)),
        ("conv3", nn.Conv2d(256, 384, 3, padding=1)),               # the GPUs talk here
        ("relu3", nn.ReLU(inplace=True)),
        ("conv4", nn.Conv2d(384, 384, 3, padding=1, groups=2)),
        ("relu4", nn.ReLU(inplace=True)),
        ("conv5", nn.Conv2d(384, 256, 3, padding=1, groups=2)),
        ("relu5", nn.ReLU(inplace=True)),
        ("pool5", nn.MaxPool2d(3, stride=2)),
    ]))


def _classifier(num_classes: int, *, dropout_first: bool) -> nn.Sequential:
    """fc6-fc8. torchvision drops the *inputs* of fc6 and fc7, the paper the *outputs*."""
    if dropout_first:
        layers = [("drop6", nn.Dropout(0.5)), ("fc6", nn.Linear(256 * 6 * 6, 4096)),
                  ("relu6", nn.ReLU(inplace=True)),
                  ("drop7", nn.Dropout(0.5)), ("fc7", nn.Linear(4096, 4096)),
                  ("relu7", nn.ReLU(inplace=True))]
    else:
        layers = [("fc6", nn.Linear(256 * 6 * 6, 4096)), ("relu6", nn.ReLU(inplace=True)),
                  ("drop6", nn.Dropout(0.5)),
                  ("fc7", nn.Linear(4096, 4096)), ("relu7", nn.ReLU(inplace=True)),
                  ("drop7", nn.Dropout(0.5))]
    return nn.Sequential(OrderedDict([*layers, ("fc8", nn.Linear(4096, num_classes))]))


class AlexNet(TabledModel):
    """AlexNet: five convolutional layers and three fully connected ones.

    Build it with :func:`alexnet`. Prints as its layer table.
    """

    def __init__(self, num_classes: int = 1000, *, in_channels: int = 3,
                 variant: str = "torchvision") -> None:
        super().__init__()
        self.variant = check_choice(variant, "variant", ("torchvision", "paper"))
        self.num_classes = check_int(num_classes, "num_classes", minimum=1)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        # the published counts at 3 channels and 1000 classes, plus conv1's and fc8's changes
        base, conv1_filters = (61_100_840, 64) if variant == "torchvision" else (60_965_224, 96)
        extra_inputs = (conv_parameters(self.in_channels, conv1_filters, 11)
                        - conv_parameters(3, conv1_filters, 11))
        extra_classes = linear_parameters(4096, self.num_classes) - linear_parameters(4096, 1000)
        check_parameter_count(base + extra_inputs, "in_channels", self.in_channels)
        check_parameter_count(base + max(extra_inputs, 0) + extra_classes, "num_classes",
                              self.num_classes)
        if variant == "torchvision":
            self.input_size = 224
            self.title = "AlexNet (torchvision layout)"
            self.features = _torchvision_features(self.in_channels)
            self.avgpool: nn.Module = nn.AdaptiveAvgPool2d((6, 6))
        else:
            self.input_size = 227
            self.title = "AlexNet (2012 paper, two-GPU layout)"
            self.features = _paper_features(self.in_channels)
            self.avgpool = nn.Identity()          # the paper has none: only 227x227 fits fc6
        self.flatten = nn.Flatten()
        self.classifier = _classifier(self.num_classes, dropout_first=variant == "torchvision")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of images (N, C, H, W) to class scores (N, num_classes)."""
        self.check_input(x)
        x = self.features(x)         # (N, 256, 6, 6) at the design size
        x = self.avgpool(x)          # (N, 256, 6, 6)
        x = self.flatten(x)          # (N, 9216)
        return self.classifier(x)    # (N, num_classes)


def alexnet(num_classes: int = 1000, *, in_channels: int = 3,
            variant: str = "torchvision") -> AlexNet:
    """AlexNet with freshly initialised weights (no pretrained weights: the course is offline).

    Parameters
    ----------
    num_classes : int
        Outputs of the last layer (1000 for ImageNet).
    in_channels : int
        3 for colour images, 1 for grey ones.
    variant : {"torchvision", "paper"}
        ``"torchvision"``: the common single-GPU layout, 224x224 input, 61,100,840 parameters.
        ``"paper"``: the 2012 paper's two-GPU layout with LRN, 227x227 input, 60,965,224
        parameters.

    Examples
    --------
    >>> from course_lib.models import count_parameters
    >>> with torch.device("meta"):                     # shapes only: no memory, instant
    ...     net = alexnet()
    >>> count_parameters(net)
    61100840
    >>> net.layer_table()["conv1"].output_shape
    (64, 55, 55)
    """
    return AlexNet(num_classes, in_channels=in_channels, variant=variant)
