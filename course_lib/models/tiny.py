"""A tiny CNN for the course's small images: 8x8 digits and 32x32 shapes.

Each stage is a 3x3 convolution (padding 1, so the size is kept), the activation, and a 2x2
max-pool, until the picture is 4x4 or smaller; one more convolution and activation follow, then
a linear classifier reads the flattened feature map. Channels go ``width`` then ``2 * width``.

For 8x8 digits (width 16): ``conv 1->16, pool -> 4x4, conv 16->32, linear 512->10`` (10,000
parameters). For 32x32 shapes: three pooling stages (32 -> 16 -> 8 -> 4).
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from .._checks import check_choice, check_int
from ..activations import ACTIVATION_NAMES, activation_module
from .arithmetic import conv_parameters, linear_parameters
from .base import check_parameter_count

__all__ = ["TinyCNN", "tiny_cnn"]


class TinyCNN(nn.Module):
    """A few convolutions, the chosen activation, max-pooling and a linear classifier.

    Parameters
    ----------
    in_channels : int
        Channels of the input images (1 for grey).
    num_classes : int
        Number of output scores.
    image_size : int
        Height and width of the (square) input images, at least 4.
    activation : str
        One of :data:`course_lib.activations.ACTIVATION_NAMES`.
    width : int
        Channels of the first convolution; later ones have ``2 * width``.

    Examples
    --------
    >>> import torch
    >>> model = TinyCNN(image_size=8)
    >>> tuple(model(torch.zeros(2, 1, 8, 8)).shape)
    (2, 10)
    >>> sum(p.numel() for p in model.parameters())
    9930
    """

    def __init__(self, *, in_channels: int = 1, num_classes: int = 10, image_size: int = 8,
                 activation: str = "relu", width: int = 16):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1, maximum=64)
        self.num_classes = check_int(num_classes, "num_classes", minimum=2, maximum=100_000)
        self.image_size = check_int(image_size, "image_size", minimum=4, maximum=1024)
        self.width = check_int(width, "width", minimum=1, maximum=1024)
        self.activation = check_choice(activation, "activation", ACTIVATION_NAMES)
        convolutions: list[tuple[int, int]] = []  # (in, out) channels of each 3x3 convolution
        channels, size = self.in_channels, self.image_size
        while size > 4:  # conv, activation, pool: halve until 4x4
            out = self.width if not convolutions else 2 * self.width
            convolutions.append((channels, out))
            channels, size = out, size // 2
        convolutions.append((channels, 2 * self.width))
        features = 2 * self.width * size * size  # inputs of the linear classifier
        count = sum(conv_parameters(c_in, c_out, 3) for c_in, c_out in convolutions)
        check_parameter_count(count + linear_parameters(features, 1), "width",  # a single class
                              self.width)
        check_parameter_count(count + linear_parameters(features, self.num_classes),
                              "num_classes", self.num_classes)
        layers: list[nn.Module] = []
        for index, (c_in, c_out) in enumerate(convolutions):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), activation_module(activation)]
            if index < len(convolutions) - 1:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(features, self.num_classes))

    @property
    def first_conv(self) -> nn.Conv2d:
        """The first layer, whose filters can be shown as little images."""
        return cast(nn.Conv2d, self.features[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of images (N, C, H, W) to class scores (N, num_classes)."""
        self.check_input(x)
        return self.classifier(self.features(x))  # (N, C, H, W) -> (N, num_classes)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``TypeError``/``ValueError`` if ``x`` is not a batch this model can take.

        A batch has shape ``(N, in_channels, image_size, image_size)`` and the weights' float dtype.
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"`x` must be a torch.Tensor; got {type(x).__name__} (use "
                            "torch.as_tensor(x, dtype=torch.float32)).")
        want = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise ValueError(f"`x` must be a batch of shape (N, {', '.join(map(str, want))}) for "
                             f"this TinyCNN (in_channels={self.in_channels}, image_size="
                             f"{self.image_size}); got shape {tuple(x.shape)}.")
        dtype = self.first_conv.weight.dtype
        if x.dtype != dtype:
            raise TypeError(f"`x` must have the dtype of the model's weights, {dtype}; got "
                            f"{x.dtype} (convert it with x.to({dtype})).")


def tiny_cnn(*, in_channels: int = 1, num_classes: int = 10, image_size: int = 8,
             activation: str = "relu", width: int = 16) -> TinyCNN:
    """Build a :class:`TinyCNN` (same parameters).

    Examples
    --------
    >>> model = tiny_cnn(image_size=32, num_classes=4, activation="sigmoid")
    >>> model.features[0]
    Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    """
    return TinyCNN(in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                   activation=activation, width=width)
