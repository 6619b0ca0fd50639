"""Shapes through a model: each layer's output shape, whether an input fits, the smallest input.

A too-small image gets a ``ValueError`` naming the layer that cannot take it (and why), not a
torch internal error; :func:`min_input_size` finds the smallest square input a model takes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral

import torch
from torch import nn

from .._checks import check_int
from .arithmetic import _ADAPTIVE, _POOLS, _SHAPE_KEEPING, _pair_value, _window, conv_output_size

__all__ = ["check_input_shape", "layer_output_shape", "min_input_size"]


def _describe_layer(module: nn.Module) -> str:
    """Describe a layer briefly: 'Conv2d 3->64, 11x11 /4 pad 2'."""
    if isinstance(module, nn.Conv2d):
        k = _pair_value(module.kernel_size, "kernel_size")
        s = _pair_value(module.stride, "stride")
        p = module.padding if isinstance(module.padding, str) else _pair_value(module.padding,
                                                                               "padding")
        text = f"Conv2d {module.in_channels}->{module.out_channels}, {k}x{k}"
        text += f" /{s}" if s != 1 else ""
        text += f" pad {p}" if p else ""
        text += f" groups {module.groups}" if module.groups != 1 else ""
        return text
    if isinstance(module, _POOLS):
        k, s, _ = _window(module)
        kind = "MaxPool2d" if isinstance(module, nn.MaxPool2d) else "AvgPool2d"
        text = f"{kind} {k}x{k} /{s}"
        return text + (" ceil" if module.ceil_mode else "")
    if isinstance(module, _ADAPTIVE):
        size = module.output_size
        size = size if isinstance(size, tuple) else (size, size)
        return f"{type(module).__name__} to {size[0]}x{size[1]}"
    if isinstance(module, nn.Linear):
        return f"Linear {module.in_features}->{module.out_features}"
    if isinstance(module, nn.LocalResponseNorm):
        return f"LocalResponseNorm n={module.size}"
    if isinstance(module, nn.Dropout):
        return f"Dropout p={module.p:g}"
    return type(module).__name__


def _spatial_output(module: nn.Module, name: str, n: int, axis: str) -> int:
    """Output side of a conv/pool layer along one axis, or a ValueError naming the layer."""
    k, s, d = _window(module)
    padding = module.padding
    if isinstance(padding, str):                  # Conv2d(padding="same"/"valid")
        return n if padding == "same" else conv_output_size(n, k, stride=s, dilation=d,
                                                            rounding="floor")
    p = _pair_value(padding, "padding")
    rounding = "ceil" if getattr(module, "ceil_mode", False) else "floor"
    try:
        return conv_output_size(n, k, stride=s, padding=p, dilation=d, rounding=rounding)
    except ValueError as exc:
        raise ValueError(f"layer {name} ({_describe_layer(module)}) receives a map of {axis} "
                         f"{n}, too small for its {k}x{k} window: {exc}") from None


def layer_output_shape(module: nn.Module, shape: Sequence[int], *, name: str = "layer"
                       ) -> tuple[int, ...]:
    """Shape (without the batch axis) that ``module`` gives for an input of ``shape``.

    Pure arithmetic, no tensors: raises ``ValueError`` naming the layer when the input cannot
    pass through it (window larger than the map, wrong number of channels or features).

    Examples
    --------
    >>> layer_output_shape(nn.Conv2d(3, 64, 11, stride=4, padding=2), (3, 224, 224))
    (64, 55, 55)
    >>> layer_output_shape(nn.MaxPool2d(3, 2), (256, 1, 1), name="pool5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: layer pool5 (MaxPool2d 3x3 /2) receives a map of height 1, too small for its ...
    """
    try:
        shape = tuple(int(v) for v in shape)
    except (TypeError, ValueError):
        raise TypeError(f"`shape` must be a sequence of integers (C, H, W); got "
                        f"{shape!r:.60}.") from None
    if isinstance(module, (nn.Conv2d, *_POOLS, *_ADAPTIVE)) and len(shape) != 3:
        raise ValueError(f"layer {name} ({_describe_layer(module)}) needs a (channels, height, "
                         f"width) input; got shape {shape}.")
    if isinstance(module, nn.Conv2d):
        if shape[0] != module.in_channels:
            raise ValueError(f"layer {name} ({_describe_layer(module)}) expects "
                             f"{module.in_channels} input channels; got {shape[0]}.")
        return (module.out_channels, _spatial_output(module, name, shape[1], "height"),
                _spatial_output(module, name, shape[2], "width"))
    if isinstance(module, _POOLS):
        return (shape[0], _spatial_output(module, name, shape[1], "height"),
                _spatial_output(module, name, shape[2], "width"))
    if isinstance(module, _ADAPTIVE):
        size = module.output_size
        h, w = size if isinstance(size, tuple) else (size, size)
        return (shape[0], shape[1] if h is None else h, shape[2] if w is None else w)
    if isinstance(module, nn.Flatten):
        full = (1, *shape)                                       # with the batch axis
        start, end = module.start_dim % len(full), module.end_dim % len(full)
        merged = math.prod(full[start:end + 1])
        return (*full[:start], merged, *full[end + 1:])[1:]
    if isinstance(module, nn.Linear):
        if shape[-1] != module.in_features:
            raise ValueError(f"layer {name} ({_describe_layer(module)}) expects "
                             f"{module.in_features} input features; got {shape[-1]}.")
        return (*shape[:-1], module.out_features)
    if isinstance(module, _SHAPE_KEEPING):
        return shape
    raise TypeError(f"layer {name}: cannot compute the output shape of {type(module).__name__} "
                    "by arithmetic.")


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if not list(m.children())]


def check_input_shape(model: nn.Module, input_shape: Sequence[int]) -> tuple[int, ...]:
    """Follow ``input_shape`` (N, C, H, W) through a *sequential* model by arithmetic.

    The model's leaf layers are taken in the order they are registered, which is the order
    AlexNet and VGG run them. Returns the output shape (with the batch axis), or raises a
    ``ValueError`` that names the first layer the input cannot pass and why.

    >>> check_input_shape(nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2)), (1, 1, 8, 8))
    (1, 4, 3, 3)
    """
    input_shape = _check_shape(input_shape)
    try:
        return follow_shape(model, input_shape)
    except ValueError as exc:
        raise ValueError(f"`input_shape` {input_shape} cannot pass: {exc}") from None


def follow_shape(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Run :func:`check_input_shape` for a checked ``input_shape``.

    A failure's message names the layer only (the callers say which argument it was).
    """
    shape = input_shape[1:]
    last_map = None                                # the last (C, H, W) shape and its layer
    for name, module in _leaves(model):
        try:
            shape = layer_output_shape(module, shape, name=name)
        except ValueError as exc:
            if isinstance(module, nn.Linear) and last_map is not None and len(shape) == 1:
                where, (c, h, w) = last_map
                raise ValueError(f"{exc} Those {shape[0]} are the flattened {c}x{h}x{w} maps "
                                 f"of layer {where}.") from None
            raise
        if isinstance(module, (nn.Conv2d, *_POOLS, *_ADAPTIVE)):
            last_map = (name, shape)
    return (input_shape[0], *shape)


def min_input_size(model: nn.Module, *, in_channels: int | None = None, limit: int = 1024
                   ) -> int | None:
    """Smallest square input side a sequential model accepts (``None`` if none up to ``limit``).

    Sides are tried from 1 up; the search stops early when no larger side can work: when a
    layer refuses the input whatever its size (wrong channels), or a linear layer receives
    more features than it takes (a larger input only gives more) or a number that no longer
    changes with the side (after an adaptive pool).

    >>> min_input_size(nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2)), in_channels=1)
    4
    >>> min_input_size(nn.Sequential(nn.Flatten(), nn.Linear(5, 2)), limit=10**8) is None
    True
    """
    if in_channels is None:
        first = next((m for _, m in _leaves(model) if isinstance(m, nn.Conv2d)), None)
        in_channels = first.in_channels if first is not None else 1
    limit = check_int(limit, "limit", minimum=1)
    for n in range(1, limit + 1):
        try:
            check_input_shape(model, (1, in_channels, n, n))
        except ValueError:
            failure = _why_refused(model, (in_channels, n, n))
            if failure is None:  # a window larger than the map: a larger input may fit
                continue
            received, expected = failure
            if received is None or received > expected:
                return None
            if _why_refused(model, (in_channels, limit, limit)) == failure:
                return None  # the same count at the largest side: nothing in between fits
            continue
        return n
    return None


def _why_refused(model: nn.Module, shape: tuple[int, ...]) -> tuple[int | None, int] | None:
    """Tell why ``shape`` (C, H, W) cannot pass.

    ``None`` for a window larger than the map, ``(received, expected)`` features for a linear
    layer, ``(None, 0)`` for anything else.
    """
    for name, module in _leaves(model):
        try:
            shape = layer_output_shape(module, shape, name=name)
        except ValueError:
            if isinstance(module, nn.Linear):
                return shape[-1], module.in_features
            wrong_channels = isinstance(module, nn.Conv2d) and shape[0] != module.in_channels
            if isinstance(module, (nn.Conv2d, *_POOLS)) and len(shape) == 3 and not wrong_channels:
                return None
            return None, 0
    return None


def _check_shape(input_shape) -> tuple[int, ...]:
    if isinstance(input_shape, torch.Size):
        input_shape = tuple(input_shape)
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 4
            or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in input_shape)):
        raise ValueError("`input_shape` must be four integers (batch, channels, height, width), "
                         f"e.g. (1, 3, 224, 224); got {input_shape!r}.")
    if min(input_shape) < 1:
        raise ValueError(f"`input_shape` must be positive; got {tuple(input_shape)}.")
    return tuple(int(v) for v in input_shape)
