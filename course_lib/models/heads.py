"""Classifier heads: the fully connected layers of AlexNet and VGG, or global average pooling.

AlexNet and VGG end in three fully connected layers that read every position of the last
feature map: VGG-16's hold 123.6 million of its 138.4 million parameters. Network in Network
(Lin, Chen & Yan, 2014) replaced them by *global average pooling* (GAP): each channel of the
last map is averaged over all positions, and one linear layer (ResNet's choice; NiN used a 1x1
convolution to one map per class before the average, which computes the same thing) maps the
averages to class scores. :func:`with_gap_head` gives AlexNet or VGG that head.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import TypeVar, cast

from torch import nn

from .base import TabledModel

__all__ = ["with_gap_head"]

Tabled = TypeVar("Tabled", bound=TabledModel)


def with_gap_head(model: Tabled) -> Tabled:
    """Copy ``model`` (AlexNet or VGG) with a global-average-pooling head instead of its own.

    The copy keeps ``model``'s feature layers (the same weights, copied) and replaces its
    average pool and fully connected layers by ``AdaptiveAvgPool2d(1)`` and one
    ``Linear(channels, num_classes)`` named ``fc``, freshly initialised. ``model`` itself is
    not changed. Its title gains ", GAP head".

    Examples
    --------
    >>> import torch
    >>> from course_lib.models import count_parameters, vgg
    >>> with torch.device("meta"):
    ...     net = vgg(16)
    ...     gap = with_gap_head(net)
    >>> count_parameters(net) - count_parameters(gap)       # 123,642,856 - 513,000
    123129856
    >>> gap.layer_table()["fc"].layer
    'Linear 512->1000'
    """
    if not isinstance(model, TabledModel) or not all(
            isinstance(getattr(model, name, None), nn.Module)
            for name in ("features", "avgpool", "classifier")):
        raise TypeError("`model` must be an AlexNet or a VGG of course_lib.models (a model "
                        "with `features`, `avgpool` and `classifier`); got "
                        f"{type(model).__name__}.")
    features = cast(nn.Module, model.features)
    convolutions = [m for m in features.modules() if isinstance(m, nn.Conv2d)]
    if not convolutions:
        raise ValueError("`model` has no convolution in its `features`: nothing to average.")
    classes = getattr(model, "num_classes", None)
    if not isinstance(classes, int):
        raise TypeError(f"`model` must have an int `num_classes`; got {classes!r}.")
    channels = convolutions[-1].out_channels
    device = convolutions[-1].weight.device
    head = copy.deepcopy(model)
    head.avgpool = nn.AdaptiveAvgPool2d(1)
    head.classifier = nn.Sequential(OrderedDict(
        [("fc", nn.Linear(channels, classes, device=device))]))
    head.title = f"{model.title}, GAP head"
    return head
