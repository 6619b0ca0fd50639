"""What the course's models share: a size limit, and a base printed as a layer table.

:func:`check_parameter_count` refuses a network too large before building it (AlexNet, VGG and
the tiny CNN call it); :class:`TabledModel` is the base of AlexNet and VGG: a checked input,
printed as a layer table.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_int, check_size
from .shapes import follow_shape, min_input_size
from .summary import LayerTable, layer_table

__all__ = ["MAX_PARAMETERS", "TabledModel", "check_parameter_count"]

MAX_PARAMETERS = 2**28
"""The largest network, in parameters (1 GiB as float32), that the course's builders make on a
real device; under ``with torch.device("meta")`` (shapes only, no memory) any size is built."""


def check_parameter_count(count: int, name: str, value: object) -> None:
    """Refuse, before building it, a network of more than :data:`MAX_PARAMETERS` parameters.

    ``name`` and ``value`` are the argument that made it so large.
    """
    default_device = getattr(torch, "get_default_device", None)  # torch >= 2.3
    if default_device is not None and default_device().type == "meta":
        return
    check_size(count, name, value, limit=MAX_PARAMETERS, what="a network", itemsize=4,
               unit="parameters")


class TabledModel(nn.Module):
    """Base of the course's sequential models (AlexNet, VGG).

    Subclasses set ``in_channels``, ``input_size`` (the side the model was designed for) and
    ``title``, and register their layers in the order they run. The model then

    - checks an input batch before running it (:meth:`check_input`), so a too-small image
      raises a ``ValueError`` naming the layer that cannot take it, not a torch internal error;
    - prints as its :func:`layer_table` at ``input_size`` (``repr`` and ``_repr_html_``); the
      usual module tree is still there in ``print(model.features)``.
    """

    in_channels: int = 3
    input_size: int = 224
    title: str = "model"

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``TypeError``/``ValueError`` if ``x`` is not a batch this model can take."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"`x` must be a torch.Tensor; got {type(x).__name__}.")
        if x.ndim != 4:
            raise ValueError(f"`x` must be a batch of images (N, C, H, W); got shape "
                             f"{tuple(x.shape)}.")
        try:
            follow_shape(self, tuple(x.shape))
        except ValueError as exc:
            size = min_input_size(self, in_channels=self.in_channels)
            hint = f" It was designed for {self.input_size}x{self.input_size} images"
            hint += f"; the smallest square input it takes is {size}x{size}." if size else "."
            raise ValueError(f"{self.title} cannot take `x` of shape {tuple(x.shape)}: "
                             f"{exc}{hint}") from None

    def layer_table(self, input_size: int | None = None, *, compact: bool = False
                    ) -> LayerTable:
        """Tabulate this model's layers (:func:`layer_table`) for one square image.

        The side defaults to ``input_size``.
        """
        side = self.input_size if input_size is None else check_int(input_size, "input_size",
                                                                    minimum=1)
        return layer_table(self, (1, self.in_channels, side, side), compact=compact,
                           title=self.title)

    def __repr__(self) -> str:
        return repr(self.layer_table(compact=True))

    def _repr_html_(self) -> str:
        return self.layer_table(compact=True)._repr_html_()
