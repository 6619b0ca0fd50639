"""Layer arithmetic: output sizes, receptive fields, parameter and multiply-add counts, layer tables.

A convolutional layer with kernel size :math:`k`, stride :math:`s` and padding :math:`p` turns an
input of side :math:`n` into an output of side

.. math::  n_\\text{out} = \\frac{n + 2p - k}{s} + 1 .

When :math:`s` does not divide :math:`n + 2p - k` the last window would hang over the edge;
``nn.Conv2d`` and ``nn.MaxPool2d`` then *round down* (the last rows and columns are silently
ignored), and ``nn.MaxPool2d(ceil_mode=True)`` rounds up instead, keeping one more, partial
window. :func:`conv_output_size` computes all three, and by default refuses the inexact case so
that the surprise is visible.

:func:`layer_table` runs a model on the ``meta`` device (shapes only, no memory, no arithmetic)
and lists, one row a layer, the output shape, parameters, multiply-adds (measured with PyTorch's
own ``torch.utils.flop_counter.FlopCounterMode``) and receptive field.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral

import torch
from torch import nn

from .._checks import check_choice, check_int

__all__ = [
    "LayerRow",
    "LayerTable",
    "TabledModel",
    "check_input_shape",
    "conv_multiply_adds",
    "conv_output_size",
    "conv_parameters",
    "count_parameters",
    "layer_output_shape",
    "layer_table",
    "linear_multiply_adds",
    "linear_parameters",
    "min_input_size",
    "pool_output_size",
    "receptive_field",
    "receptive_fields",
]

# Layers that keep the shape of their input and hold no spatial window.
_SHAPE_KEEPING = (
    nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Softplus,
    nn.Dropout, nn.Dropout2d, nn.Identity, nn.LocalResponseNorm, nn.BatchNorm2d,
    nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm,
)
_ELEMENTWISE = (
    nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Softplus,
    nn.Dropout, nn.Dropout2d, nn.Identity,
)
_POOLS = (nn.MaxPool2d, nn.AvgPool2d)
_ADAPTIVE = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


# --------------------------------------------------------------------------------------------
# Output size of one layer
# --------------------------------------------------------------------------------------------

def _pair_value(value, name: str) -> int:
    """One number from an int or a square (a, a) pair, as torch layers store them."""
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ValueError(f"`{name}` must be the same along both axes; got {value}.")
        value = value[0]
    return int(value)


def conv_output_size(n: int, kernel_size: int, *, stride: int = 1, padding: int = 0,
                     dilation: int = 1, rounding: str = "exact") -> int:
    """Side of a convolution's (or pooling's) output: ``(n + 2p - d(k-1) - 1) / s + 1``.

    With ``dilation=1`` this is the familiar ``(n + 2p - k) / s + 1``.

    Parameters
    ----------
    n : int
        Side of the input (height or width), at least 1.
    kernel_size, stride, padding, dilation : int
        The layer's settings along that axis.
    rounding : {"exact", "floor", "ceil"}
        ``"exact"`` (default) raises ``ValueError`` when the stride does not divide
        ``n + 2p - k``, i.e. when the windows do not tile the padded input. ``"floor"`` is what
        ``nn.Conv2d`` and ``nn.MaxPool2d`` do: the leftover rows are dropped. ``"ceil"`` is
        ``nn.MaxPool2d(ceil_mode=True)``: one more window, which PyTorch only keeps if it starts
        inside the input or the left padding.

    Returns
    -------
    int
        The output side. A result below 1 raises ``ValueError``: the window does not fit.

    Examples
    --------
    >>> conv_output_size(227, 11, stride=4)          # AlexNet's first layer, as in the paper
    55
    >>> conv_output_size(224, 11, stride=4, padding=2, rounding="floor")   # torchvision's
    55
    >>> conv_output_size(224, 11, stride=4, padding=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: (n + 2p - k) / s + 1 = (224 + 2*2 - 11) / 4 + 1 = 55.25 is not an integer: ...
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(kernel_size, "kernel_size", minimum=1)
    s = check_int(stride, "stride", minimum=1)
    p = check_int(padding, "padding", minimum=0)
    d = check_int(dilation, "dilation", minimum=1)
    rounding = check_choice(rounding, "rounding", ("exact", "floor", "ceil"))
    span = d * (k - 1) + 1                     # the window's extent on the input
    free = n + 2 * p - span                    # room the window can slide over
    kernel_text = "k" if d == 1 else "(d(k-1)+1)"
    formula = f"(n + 2p - {kernel_text}) / s + 1 = ({n} + 2*{p} - {span}) / {s} + 1"
    if free < 0:
        raise ValueError(
            f"{formula} = {free / s + 1:.4g}: the {span}-wide window does not fit in the padded "
            f"input of side {n + 2 * p}, so there is no output.")
    if rounding == "exact" and free % s:
        raise ValueError(
            f"{formula} = {free / s + 1:.4g} is not an integer: the stride {s} does not divide "
            f"{free}, so the last {free % s} row(s) are not covered. nn.Conv2d rounds down "
            f'(rounding="floor" gives {free // s + 1}); nn.MaxPool2d(ceil_mode=True) rounds up '
            f'(rounding="ceil").')
    if rounding == "ceil":
        out = -(-free // s) + 1
        if (out - 1) * s >= n + p:             # PyTorch: the last window must start inside
            out -= 1
        return out
    return free // s + 1


def pool_output_size(n: int, kernel_size: int, *, stride: int | None = None, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """Side of ``nn.MaxPool2d``'s output, with PyTorch's defaults (stride = kernel size, floor).

    Examples
    --------
    >>> pool_output_size(55, 3, stride=2)            # AlexNet's overlapping pooling
    27
    >>> pool_output_size(7, 2), pool_output_size(7, 2, ceil_mode=True)
    (3, 4)
    """
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"`ceil_mode` must be True or False; got {ceil_mode!r}.")
    stride = kernel_size if stride is None else stride
    return conv_output_size(n, kernel_size, stride=stride, padding=padding, dilation=dilation,
                            rounding="ceil" if ceil_mode else "floor")


# --------------------------------------------------------------------------------------------
# Parameters and multiply-adds of one layer
# --------------------------------------------------------------------------------------------

def conv_parameters(in_channels: int, out_channels: int, kernel_size: int, *, groups: int = 1,
                    bias: bool = True) -> int:
    """Weights (and biases) of a square ``nn.Conv2d``: ``out * (in / groups) * k * k + out``.

    >>> conv_parameters(3, 64, 3)                     # VGG's first layer
    1792
    >>> conv_parameters(96, 256, 5, groups=2)         # AlexNet's conv2, split over two GPUs
    307456
    """
    c_in = check_int(in_channels, "in_channels", minimum=1)
    c_out = check_int(out_channels, "out_channels", minimum=1)
    k = check_int(kernel_size, "kernel_size", minimum=1)
    g = _check_groups(groups, c_in, c_out)
    return c_out * (c_in // g) * k * k + (c_out if bias else 0)


def conv_multiply_adds(in_channels: int, out_channels: int, kernel_size: int, out_height: int,
                       out_width: int | None = None, *, groups: int = 1) -> int:
    """Multiply-adds of a square convolution: one ``(in / groups) * k * k`` dot product per output.

    Bias additions are not counted (as in ``FlopCounterMode``, which reports 2 FLOPs per
    multiply-add).

    >>> conv_multiply_adds(3, 64, 3, 224)             # VGG's first layer at 224x224
    86704128
    """
    c_in = check_int(in_channels, "in_channels", minimum=1)
    c_out = check_int(out_channels, "out_channels", minimum=1)
    k = check_int(kernel_size, "kernel_size", minimum=1)
    h = check_int(out_height, "out_height", minimum=1)
    w = h if out_width is None else check_int(out_width, "out_width", minimum=1)
    g = _check_groups(groups, c_in, c_out)
    return h * w * c_out * (c_in // g) * k * k


def linear_parameters(in_features: int, out_features: int, *, bias: bool = True) -> int:
    """Weights (and biases) of ``nn.Linear``: ``out * in + out``.

    >>> linear_parameters(256 * 6 * 6, 4096)          # AlexNet's fc6
    37752832
    """
    f_in = check_int(in_features, "in_features", minimum=1)
    f_out = check_int(out_features, "out_features", minimum=1)
    return f_out * f_in + (f_out if bias else 0)


def linear_multiply_adds(in_features: int, out_features: int) -> int:
    """Multiply-adds of ``nn.Linear`` for one example: one per weight.

    >>> linear_multiply_adds(4096, 1000)
    4096000
    """
    f_in = check_int(in_features, "in_features", minimum=1)
    f_out = check_int(out_features, "out_features", minimum=1)
    return f_in * f_out


def _check_groups(groups, c_in: int, c_out: int) -> int:
    g = check_int(groups, "groups", minimum=1)
    if c_in % g or c_out % g:
        raise ValueError(f"`groups` must divide both in_channels ({c_in}) and out_channels "
                         f"({c_out}); got {g}.")
    return g


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters (weights and biases) of ``model``; shared tensors are counted once.

    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total


# --------------------------------------------------------------------------------------------
# Receptive field
# --------------------------------------------------------------------------------------------

def _window(layer) -> tuple[int, int, int]:
    """(kernel, stride, dilation) of a layer given as a module or a (k, s[, d]) tuple."""
    if isinstance(layer, nn.Conv2d):
        return (_pair_value(layer.kernel_size, "kernel_size"), _pair_value(layer.stride, "stride"),
                _pair_value(layer.dilation, "dilation"))
    if isinstance(layer, _POOLS):
        stride = layer.stride if layer.stride is not None else layer.kernel_size
        dilation = getattr(layer, "dilation", 1)
        return (_pair_value(layer.kernel_size, "kernel_size"), _pair_value(stride, "stride"),
                _pair_value(dilation, "dilation"))
    if isinstance(layer, nn.Module):
        return (1, 1, 1)                          # shape-keeping layers see one position
    if isinstance(layer, (tuple, list)) and len(layer) in (2, 3) and all(
            isinstance(v, Integral) and not isinstance(v, bool) for v in layer):
        k, s, *rest = layer
        d = rest[0] if rest else 1
        return (check_int(k, "kernel_size", minimum=1), check_int(s, "stride", minimum=1),
                check_int(d, "dilation", minimum=1))
    raise TypeError("each layer must be an nn.Module or a (kernel_size, stride) or "
                    f"(kernel_size, stride, dilation) tuple of integers; got {layer!r}.")


def receptive_fields(layers: Iterable) -> list[tuple[int, int]]:
    """Receptive field and jump after each layer of a stack.

    A unit's receptive field grows by ``(k - 1) * d * jump`` at each layer, where the *jump* is the
    distance, in input pixels, between neighbouring units of the layer's input; the jump is
    multiplied by each stride:

    .. math:: r_l = r_{l-1} + (k_l - 1)\\, d_l\\, j_{l-1}, \\qquad j_l = j_{l-1}\\, s_l .

    Parameters
    ----------
    layers : iterable of nn.Module or tuples
        ``(kernel_size, stride)`` / ``(kernel_size, stride, dilation)`` tuples, or modules
        (``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d``; other modules leave both unchanged).

    Returns
    -------
    list of (receptive_field, jump)

    Examples
    --------
    >>> receptive_fields([(3, 1), (3, 1), (2, 2), (3, 1)])
    [(3, 1), (5, 1), (6, 2), (10, 2)]
    """
    if isinstance(layers, nn.Module):
        layers = [m for m in layers.modules() if not list(m.children())]
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
        raise TypeError(f"`layers` must be a sequence of layers; got {type(layers).__name__}.")
    r, j = 1, 1
    out = []
    for layer in layers:
        k, s, d = _window(layer)
        r, j = r + (k - 1) * d * j, j * s
        out.append((r, j))
    return out


def receptive_field(layers: Iterable) -> int:
    """Receptive field, in input pixels, of one unit at the top of a stack of layers.

    ``layers`` is as in :func:`receptive_fields`; an ``nn.Module`` is read as the stack of its
    layers, in the order they are registered.

    Examples
    --------
    >>> receptive_field([(3, 1), (3, 1)])             # two stacked 3x3 convolutions
    5
    >>> receptive_field([(3, 1)] * 3)
    7
    >>> receptive_field([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1)])  # AlexNet conv5
    163
    """
    fields = receptive_fields(layers)
    return fields[-1][0] if fields else 1


# --------------------------------------------------------------------------------------------
# Shapes through a model
# --------------------------------------------------------------------------------------------

def _describe_layer(module: nn.Module) -> str:
    """A short description: 'Conv2d 3->64, 11x11 /4 pad 2'."""
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
    p = module.padding
    if isinstance(p, str):                        # Conv2d(padding="same"/"valid")
        return n if p == "same" else conv_output_size(n, k, stride=s, dilation=d,
                                                      rounding="floor")
    p = _pair_value(p, "padding")
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
    shape = tuple(int(v) for v in shape)
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
    """Why ``shape`` (C, H, W) cannot pass: ``None`` for a window larger than the map,
    ``(received, expected)`` features for a linear layer, ``(None, 0)`` for anything else."""
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


# --------------------------------------------------------------------------------------------
# The layer table
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerRow:
    """One layer of a :class:`LayerTable`."""

    name: str                      # qualified module name, e.g. "features.conv1"
    layer: str                     # short description, e.g. "Conv2d 3->64, 11x11 /4 pad 2"
    output_shape: tuple[int, ...]  # without the batch axis, e.g. (64, 55, 55)
    parameters: int                # weights and biases of this layer
    multiply_adds: int             # per example (FLOPs / 2 as FlopCounterMode counts them)
    receptive_field: int | None    # input pixels one output unit sees; None: the whole input
    jump: int | None               # input pixels between neighbouring output units

    @property
    def activations(self) -> int:
        """Number of values this layer outputs for one example."""
        return math.prod(self.output_shape)


_COLUMNS = ("name", "layer", "output_shape", "parameters", "multiply_adds", "receptive_field")
_HEADERS = ("layer", "type", "output", "parameters", "multiply-adds", "receptive field")


@dataclass(frozen=True)
class LayerTable:
    """The layers of a model for one input shape; prints as a table with totals at the bottom."""

    title: str
    input_shape: tuple[int, ...]                   # (N, C, H, W) the table was computed for
    rows: tuple[LayerRow, ...] = field(repr=False)

    @property
    def total_parameters(self) -> int:
        return sum(r.parameters for r in self.rows)

    @property
    def total_multiply_adds(self) -> int:
        return sum(r.multiply_adds for r in self.rows)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.rows[-1].output_shape if self.rows else tuple(self.input_shape[1:])

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: int | str) -> LayerRow:
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key or row.name.rsplit(".", 1)[-1] == key:
                    return row
            raise KeyError(f"no layer named {key!r}; layers: {[r.name for r in self.rows]}")
        return self.rows[key]

    def total(self, column: str, *, kind: str | None = None) -> int:
        """Sum of a column, over all rows or over the layers of one ``kind`` ("Conv2d", ...).

        >>> table = layer_table(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(),
        ...                                   nn.Linear(2 * 4 * 4, 3)), (1, 1, 6, 6))
        >>> table.total("parameters", kind="Linear"), table.total("parameters")
        (99, 119)
        """
        check_choice(column, "column", ("parameters", "multiply_adds", "activations"))
        return sum(getattr(r, column) for r in self._rows_of_kind(kind))

    def total_by_size(self, column: str, *, kind: str | None = None) -> dict[int, int]:
        """Sum of a column per output size: ``{side: total}`` over the layers whose output map is
        ``side`` pixels high, in the order the sizes occur (VGG's stages: 224, 112, 56, ...).

        Layers with a flat output (``Linear``, ``Flatten``) have no map and are left out;
        ``kind`` keeps one kind of layer, as in :meth:`total`.

        >>> table = layer_table(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2),
        ...                                   nn.Conv2d(2, 2, 3, padding=1)), (1, 1, 8, 8))
        >>> table.total_by_size("multiply_adds", kind="Conv2d")    # 8*8*2*9, then 4*4*2*18
        {8: 1152, 4: 576}
        """
        check_choice(column, "column", ("parameters", "multiply_adds", "activations"))
        sums: dict[int, int] = {}
        for row in self._rows_of_kind(kind):
            if len(row.output_shape) == 3:                     # (C, H, W): a map
                side = row.output_shape[1]
                sums[side] = sums.get(side, 0) + getattr(row, column)
        return sums

    def _rows_of_kind(self, kind: str | None) -> list[LayerRow]:
        return [r for r in self.rows if kind is None or r.layer.split(" ")[0] == kind]

    def column(self, name: str) -> list:
        """One column as a list, e.g. ``table.column("parameters")``."""
        check_choice(name, "name", (*_COLUMNS, "activations", "jump"))
        return [getattr(row, name) for row in self.rows]

    def _cells(self) -> tuple[list[tuple[str, ...]], tuple[str, ...]]:
        body = [(r.name, r.layer, _shape_text(r.output_shape), f"{r.parameters:,}",
                 f"{r.multiply_adds:,}", _rf_text(r.receptive_field)) for r in self.rows]
        total = ("total", "", _shape_text(self.output_shape), f"{self.total_parameters:,}",
                 f"{self.total_multiply_adds:,}", "")
        return body, total

    def __str__(self) -> str:
        body, total = self._cells()
        widths = [max(len(h), *(len(row[i]) for row in [*body, total]))
                  for i, h in enumerate(_HEADERS)]
        right = (False, False, True, True, True, True)

        def line(cells) -> str:
            return "  ".join(c.rjust(w) if r else c.ljust(w)
                             for c, w, r in zip(cells, widths, right, strict=True)).rstrip()

        rule = "-" * len(line(_HEADERS))
        shape = "x".join(str(v) for v in self.input_shape)
        return "\n".join([f"{self.title}, input {shape}", line(_HEADERS), rule,
                          *(line(row) for row in body), rule, line(total)])

    __repr__ = __str__

    def _repr_html_(self, *, highlight: int | None = None) -> str:
        body, total = self._cells()
        cell = 'style="text-align:{};padding:1px 8px;font-family:monospace"'
        align = ("left", "left", "right", "right", "right", "right")
        head = "".join(f"<th {cell.format(a)}>{html.escape(h)}</th>"
                       for h, a in zip(_HEADERS, align, strict=True))
        rows = []
        for i, row in enumerate(body):
            style = ' style="background:#fff3b0"' if i == highlight else ""
            tds = "".join(f"<td {cell.format(a)}>{html.escape(c)}</td>"
                          for c, a in zip(row, align, strict=True))
            rows.append(f"<tr{style}>{tds}</tr>")
        foot = "".join(f"<td {cell.format(a)}><b>{html.escape(c)}</b></td>"
                       for c, a in zip(total, align, strict=True))
        shape = "x".join(str(v) for v in self.input_shape)
        return (f'<div class="course-layer-table"><b>{html.escape(self.title)}</b>, input '
                f"{shape}<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
                f"<tfoot><tr>{foot}</tr></tfoot></table></div>")


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(v) for v in shape)


def _rf_text(rf: int | None) -> str:
    return "whole input" if rf is None else f"{rf}x{rf}"


def _adaptive_window(n_in: int, n_out: int | None) -> tuple[int, int]:
    """Largest window and smallest step of adaptive pooling from n_in to n_out."""
    if n_out is None or n_out == n_in:
        return 1, 1
    starts = [(i * n_in) // n_out for i in range(n_out)]
    ends = [-(-((i + 1) * n_in) // n_out) for i in range(n_out)]
    kernel = max(e - s for s, e in zip(starts, ends, strict=True))
    step = min((b - a for a, b in itertools.pairwise(starts)), default=n_in)
    return kernel, max(step, 1)


def _meta_copy_of_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Meta tensors standing in for every parameter and buffer: shapes without memory."""
    state = dict(model.named_parameters(remove_duplicate=False))
    state.update(dict(model.named_buffers(remove_duplicate=False)))
    return {name: torch.empty_like(t, device="meta") for name, t in state.items()}


def layer_table(model: nn.Module, input_shape: Sequence[int] = (1, 3, 224, 224), *,
                compact: bool = False, title: str | None = None) -> LayerTable:
    """Trace ``model`` on an input of ``input_shape`` and list its layers.

    The model runs once on the ``meta`` device (its real weights are neither copied nor used,
    so this takes milliseconds even for VGG-19), in evaluation mode. For each leaf layer, in the
    order it runs: output shape, parameters, multiply-adds per example (``FlopCounterMode``
    FLOPs / 2: convolutions and linear layers; pooling, ReLU and normalisation are not counted)
    and receptive field of one output unit (``None`` once a linear layer has mixed all
    positions).

    Parameters
    ----------
    model : nn.Module
    input_shape : (N, C, H, W)
        The batch size ``N`` does not change the per-example figures.
    compact : bool
        Leave out activations and dropout, which change neither shape nor counts.
    title : str, optional
        Defaults to the model's class name.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    >>> table = layer_table(net, (1, 1, 8, 8))
    >>> table.total_parameters == count_parameters(net), table.total_multiply_adds
    (True, 1584)
    >>> table["0"].output_shape, table["0"].receptive_field
    ((4, 6, 6), 3)
    """
    from torch.func import functional_call
    from torch.utils.flop_counter import FlopCounterMode

    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    input_shape = _check_shape(input_shape)
    batch = input_shape[0]
    records: list[dict] = []
    stack: list[tuple[float, tuple]] = []
    counter = FlopCounterMode(display=False)
    seen_params: set[str] = set()

    def pre_hook(name):
        def hook(module, args):
            shape = tuple(args[0].shape[1:]) if args and hasattr(args[0], "shape") else ()
            if isinstance(module, (nn.Conv2d, *_POOLS, nn.Linear)):
                layer_output_shape(module, shape, name=name)   # clear error before torch's
            stack.append((counter.get_total_flops(), shape))
        return hook

    def post_hook(name):
        def hook(module, args, output):
            flops_before, in_shape = stack.pop()
            own = {f"{name}.{n}" if name else n: p.numel()
                   for n, p in module.named_parameters(recurse=False)}
            params = sum(v for k, v in own.items() if k not in seen_params)
            seen_params.update(own)
            records.append(dict(name=name or type(module).__name__, module=module,
                                in_shape=in_shape, out_shape=tuple(output.shape[1:]),
                                params=params,
                                flops=counter.get_total_flops() - flops_before))
        return hook

    handles = []
    for name, module in _leaves(model):
        handles.append(module.register_forward_pre_hook(pre_hook(name)))
        handles.append(module.register_forward_hook(post_hook(name)))
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros(input_shape, device="meta")              # (N, C, H, W), no memory
        with counter, torch.no_grad():
            functional_call(model, _meta_copy_of_state(model), (x,))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    rows = _rows_from_records(records, batch, compact=compact)
    return LayerTable(title=title or type(model).__name__, input_shape=input_shape,
                      rows=tuple(rows))


def _rows_from_records(records: list[dict], batch: int, *, compact: bool) -> list[LayerRow]:
    rows = []
    rf, jump = 1, 1
    for rec in records:
        module = rec["module"]
        if rf is not None:
            if isinstance(module, nn.Linear):
                rf = jump = None
            elif isinstance(module, _ADAPTIVE):
                size = module.output_size
                size = size[0] if isinstance(size, tuple) else size
                k, s = _adaptive_window(rec["in_shape"][1], size)
                rf, jump = rf + (k - 1) * jump, jump * s
            elif isinstance(module, (nn.Conv2d, *_POOLS)):
                k, s, d = _window(module)
                rf, jump = rf + (k - 1) * d * jump, jump * s
        if compact and isinstance(module, _ELEMENTWISE):
            continue
        rows.append(LayerRow(name=rec["name"], layer=_describe_layer(module),
                             output_shape=rec["out_shape"], parameters=rec["params"],
                             multiply_adds=int(rec["flops"]) // (2 * batch),
                             receptive_field=rf, jump=jump))
    return rows


# --------------------------------------------------------------------------------------------
# A base for the course's models: checked input, printed as a layer table
# --------------------------------------------------------------------------------------------

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
            check_input_shape(self, tuple(x.shape))
        except ValueError as exc:
            size = min_input_size(self, in_channels=self.in_channels)
            hint = f" It was designed for {self.input_size}x{self.input_size} images"
            hint += f"; the smallest square input it takes is {size}x{size}." if size else "."
            raise ValueError(f"{self.title} cannot take an input of shape {tuple(x.shape)}: "
                             f"{exc}{hint}") from None

    def layer_table(self, input_size: int | None = None, *, compact: bool = False
                    ) -> LayerTable:
        """This model's :func:`layer_table` for one square image (default: ``input_size``)."""
        side = self.input_size if input_size is None else check_int(input_size, "input_size",
                                                                    minimum=1)
        return layer_table(self, (1, self.in_channels, side, side), compact=compact,
                           title=self.title)

    def __repr__(self) -> str:
        return repr(self.layer_table(compact=True))

    def _repr_html_(self) -> str:
        return self.layer_table(compact=True)._repr_html_()
