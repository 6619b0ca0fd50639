r"""Layer arithmetic, one layer at a time: output sizes, parameters, multiply-adds, receptive fields.

A convolutional layer with kernel size :math:`k`, stride :math:`s` and padding :math:`p` turns an
input of side :math:`n` into an output of side

.. math::  n_\text{out} = \frac{n + 2p - k}{s} + 1 .

When :math:`s` does not divide :math:`n + 2p - k` the last window would hang over the edge;
``nn.Conv2d`` and ``nn.MaxPool2d`` then *round down* (the last rows and columns are silently
ignored), and ``nn.MaxPool2d(ceil_mode=True)`` rounds up instead, keeping one more, partial
window. :func:`conv_output_size` computes all three, and by default refuses the inexact case so
that the surprise is visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral

from torch import nn

from .._checks import check_bool, check_choice, check_int

__all__ = [
    "conv_multiply_adds",
    "conv_output_size",
    "conv_parameters",
    "count_parameters",
    "linear_multiply_adds",
    "linear_parameters",
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
    """Count the parameters (weights and biases) of ``model``; shared tensors count once.

    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    trainable_only = check_bool(trainable_only, "trainable_only")
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
    r"""Receptive field and jump after each layer of a stack.

    A unit's receptive field grows by ``(k - 1) * d * jump`` at each layer, where the *jump* is the
    distance, in input pixels, between neighbouring units of the layer's input; the jump is
    multiplied by each stride:

    .. math:: r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l .

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
        r, j = _grow_receptive_field(r, j, *_window(layer))
        out.append((r, j))
    return out


def _grow_receptive_field(field: int, jump: int, kernel: int, stride: int, dilation: int = 1
                          ) -> tuple[int, int]:
    """One step of the receptive-field recurrence (see :func:`receptive_fields`)."""
    return field + (kernel - 1) * dilation * jump, jump * stride


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
