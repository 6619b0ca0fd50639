r"""Convolution as one matrix multiplication: ``im2col``, the patch matrix behind a CNN layer.

A convolutional layer (what ``torch.nn.functional.conv2d`` computes: a *correlation*) takes, at
every output position, the dot product of one patch of the input (all channels) with each filter.
Put every patch, flattened, in a row of a matrix ``P`` ("image to columns"; PyTorch's
``torch.nn.functional.unfold`` returns the transpose, one patch per column), and every filter,
flattened the same way, in a row of ``W``: then the whole layer is **one** matrix product,

.. math::  Y = P \, W^\top, \qquad
    (H' W') \times (C_\text{in} k_h k_w) \;\cdot\; (C_\text{in} k_h k_w) \times C_\text{out},

one row of ``Y`` per output pixel, one column per output channel. Frameworks have long run
convolutions this way, since a matrix product is the most tuned routine on every CPU and GPU.
The price is memory: each input pixel is copied into up to ``k_h k_w`` rows of ``P``
(:func:`im2col_cost` counts it).

Shown in notebook 01 (section 1.2.6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_int, check_int_pair, check_size
from .models.arithmetic import conv_output_size

__all__ = ["Im2colCost", "conv2d_im2col", "im2col", "im2col_cost"]

IntPair = int | tuple[int, int]
"""One integer for both axes, or a ``(rows, columns)`` pair."""


def _pair(value: object, name: str, *, minimum: int) -> tuple[int, int]:
    """``value`` as a ``(rows, columns)`` pair of integers of at least ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be an integer or a pair of integers; got {value!r}.")
        return check_int_pair(value, name, minimum=minimum)
    number = check_int(value, name, minimum=minimum)
    return number, number


def _output_side(size: int, kernel: int, stride: int, padding: int, axis: str,
                 kernel_name: str) -> int:
    """Return the output side along one axis, ``(size + 2 padding - kernel) // stride + 1``.

    Rounded down, as ``nn.Conv2d`` does; a clear error when the kernel does not fit.
    """
    if size + 2 * padding < kernel:
        raise ValueError(
            f"`{kernel_name}` must fit inside the padded input: the kernel has {kernel} {axis}, the "
            f"input {size} {axis} + 2 x {padding} padding = {size + 2 * padding}.")
    return conv_output_size(size, kernel, stride=stride, padding=padding, rounding="floor")


@dataclass(frozen=True)
class _Layout:
    """A layer's window settings, checked, and the output size they give."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    output: tuple[int, int]


def _layout(height: int, width: int, kernel_size: object, stride: object, padding: object, *,
            kernel_name: str = "kernel_size") -> _Layout:
    kh, kw = _pair(kernel_size, "kernel_size", minimum=1)
    sh, sw = _pair(stride, "stride", minimum=1)
    ph, pw = _pair(padding, "padding", minimum=0)
    output = (_output_side(height, kh, sh, ph, "rows", kernel_name),
              _output_side(width, kw, sw, pw, "columns", kernel_name))
    return _Layout((kh, kw), (sh, sw), (ph, pw), output)


def im2col(x: ArrayLike, kernel_size: IntPair, *, stride: IntPair = 1,
           padding: IntPair = 0) -> np.ndarray:
    """Unfold every patch of an image into a row of the patch matrix.

    Parameters
    ----------
    x : array_like, shape (C, H, W) or (H, W)
        The input: ``C`` channels (a 2-D image is one channel).
    kernel_size : int or (int, int)
        The patch size ``(kh, kw)``.
    stride : int or (int, int), optional
        Step between patches, as in ``nn.Conv2d``: the last rows and columns that no whole patch
        reaches are left out.
    padding : int or (int, int), optional
        Zeros added on each side before the patches are taken.

    Returns
    -------
    numpy.ndarray, shape (H' W', C kh kw)
        Row ``i * W' + j`` is the patch whose top-left corner is at ``(i * sh, j * sw)`` in the
        padded input, flattened channel by channel, then row by row: the order of
        ``weight.reshape(C_out, -1)`` for a weight of shape ``(C_out, C, kh, kw)``. Here
        ``H' = (H + 2 ph - kh) // sh + 1`` and ``W'`` likewise. ``torch.nn.functional.unfold``
        returns the transpose (one patch per column).

    Examples
    --------
    A 3x4 image has two 2x3 patches, side by side:

    >>> im2col(np.arange(12).reshape(3, 4), (3, 2), stride=(1, 2))
    array([[ 0.,  1.,  4.,  5.,  8.,  9.],
           [ 2.,  3.,  6.,  7., 10., 11.]])
    """
    arr = as_float_array(x, "x", ndim=(2, 3))
    if arr.ndim == 2:
        arr = arr[None]                                              # (1, H, W)
    channels, height, width = arr.shape
    layout = _layout(height, width, kernel_size, stride, padding)
    (kh, kw), (sh, sw), (ph, pw), (out_h, out_w) = (layout.kernel, layout.stride, layout.padding,
                                                    layout.output)
    check_size(channels * (height + 2 * ph) * (width + 2 * pw), "padding", padding,
               what="a padded input")
    check_size(out_h * out_w * channels * kh * kw, "kernel_size",
               f"= {(kh, kw)} on `x` of shape {arr.shape}", what="a patch matrix")
    padded = np.pad(arr, ((0, 0), (ph, ph), (pw, pw)))              # (C, H + 2ph, W + 2pw)
    windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))    # (C, ., ., kh, kw), a view
    windows = windows[:, ::sh, ::sw][:, :out_h, :out_w]             # (C, H', W', kh, kw)
    rows = windows.transpose(1, 2, 0, 3, 4)                         # (H', W', C, kh, kw)
    return rows.reshape(out_h * out_w, channels * kh * kw)          # (H' W', C kh kw), a copy


def conv2d_im2col(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, *,
                  stride: IntPair = 1, padding: IntPair = 0) -> np.ndarray:
    """Run a convolutional layer as one matrix product: ``im2col(x) @ weight.reshape(C_out, -1).T``.

    The same numbers as ``torch.nn.functional.conv2d(x, weight, bias, stride, padding)`` for one
    image (a correlation, summed over the input channels, plus a bias per output channel).

    Parameters
    ----------
    x : array_like, shape (C_in, H, W) or (H, W)
        The input.
    weight : array_like, shape (C_out, C_in, kh, kw), or (kh, kw) for a 2-D ``x``
        The filters. A 2-D image with a 2-D kernel gives a 2-D result: ``correlate2d``'s
        "valid" mode when ``padding`` is 0, its "same" mode (zero fill) for an odd kernel and
        ``padding = (k - 1) // 2``.
    bias : array_like, shape (C_out,), optional
        Added to each output channel.
    stride, padding : int or (int, int), optional
        As in :func:`im2col` and ``nn.Conv2d``.

    Returns
    -------
    numpy.ndarray, shape (C_out, H', W') or (H', W')

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> conv2d_im2col(image, [[1.0, 0.0], [0.0, -1.0]])      # x[i, j] - x[i + 1, j + 1]
    array([[-5., -5., -5.],
           [-5., -5., -5.],
           [-5., -5., -5.]])
    """
    arr = as_float_array(x, "x", ndim=(2, 3))
    w = as_float_array(weight, "weight", ndim=(2, 4))
    flat = arr.ndim == 2
    if flat != (w.ndim == 2):
        raise ValueError(f"`weight` must be 2-D (kh, kw) for a 2-D `x`, or 4-D (C_out, C_in, kh, "
                         f"kw) for a 3-D `x` (C_in, H, W); got x {arr.shape}, weight {w.shape}.")
    if flat:
        arr, w = arr[None], w[None, None]                            # (1, H, W), (1, 1, kh, kw)
    c_out, c_in, kh, kw = w.shape
    if c_in != arr.shape[0]:
        raise ValueError(f"`weight` must have as many input channels as `x`: weight {w.shape} "
                         f"has {c_in}, x {arr.shape} has {arr.shape[0]}.")
    b = np.zeros(c_out) if bias is None else as_float_array(bias, "bias", ndim=1)
    if b.shape != (c_out,):
        raise ValueError(f"`bias` must have one value per output channel ({c_out}); got shape "
                         f"{b.shape}.")
    out_h, out_w = _layout(arr.shape[1], arr.shape[2], (kh, kw), stride, padding,
                           kernel_name="weight").output
    patches = im2col(arr, (kh, kw), stride=stride, padding=padding)  # (H' W', C_in kh kw)
    filters = w.reshape(c_out, c_in * kh * kw)                      # (C_out, C_in kh kw)
    out = patches @ filters.T + b                                    # (H' W', C_out)
    out = out.T.reshape(c_out, out_h, out_w)                         # (C_out, H', W')
    return out[0] if flat else out


@dataclass(frozen=True)
class Im2colCost:
    """What a convolutional layer run as ``im2col`` and one matrix product holds and computes."""

    patch_matrix: tuple[int, int]
    """Shape of ``P``: one row per output pixel, ``(H' W', C_in kh kw)``."""
    weight_matrix: tuple[int, int]
    """Shape of ``W``, the filters flattened: ``(C_out, C_in kh kw)``."""
    output_matrix: tuple[int, int]
    """Shape of ``P W^T``: ``(H' W', C_out)``, reshaped into ``(C_out, H', W')``."""
    multiply_adds: int
    """Multiply-adds of the product: ``H' W' x C_in kh kw x C_out``, as many as the direct
    convolution's."""
    input_numbers: int
    """Numbers in the input, ``C_in H W``."""
    patch_numbers: int
    """Numbers in ``P``: each input pixel is copied into up to ``kh kw`` rows."""
    itemsize: int
    """Bytes per number (4 for float32, 8 for float64)."""

    @property
    def patch_bytes(self) -> int:
        """Memory of the patch matrix, in bytes."""
        return self.patch_numbers * self.itemsize

    @property
    def input_bytes(self) -> int:
        """Memory of the input, in bytes."""
        return self.input_numbers * self.itemsize

    @property
    def copies(self) -> float:
        """How many times larger the patch matrix is than the input."""
        return self.patch_numbers / self.input_numbers


def im2col_cost(in_channels: int, out_channels: int, kernel_size: IntPair, height: int,
                width: int | None = None, *, stride: IntPair = 1, padding: IntPair = 0,
                itemsize: int = 4) -> Im2colCost:
    """Count the matrix shapes, multiply-adds and memory of a convolutional layer run as ``im2col``.

    Counts only: nothing is allocated, so a full-size layer (VGG's, at 224 x 224) is fine.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``.
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    height, width : int
        The input's size (``width`` defaults to ``height``).
    stride, padding : int or (int, int), optional
        As in ``nn.Conv2d``.
    itemsize : int, optional
        Bytes per number: 4 (float32, what networks use) or 8 (float64).

    Examples
    --------
    VGG's first layer, 3 -> 64 channels, 3x3, padding 1, on a 224 x 224 image:

    >>> cost = im2col_cost(3, 64, 3, 224, padding=1)
    >>> cost.patch_matrix, cost.weight_matrix, cost.output_matrix
    ((50176, 27), (64, 27), (50176, 64))
    >>> cost.multiply_adds, cost.copies
    (86704128, 9.0)
    """
    c_in = check_int(in_channels, "in_channels", minimum=1)
    c_out = check_int(out_channels, "out_channels", minimum=1)
    h = check_int(height, "height", minimum=1)
    w = h if width is None else check_int(width, "width", minimum=1)
    size = check_int(itemsize, "itemsize", minimum=1, maximum=16)
    layout = _layout(h, w, kernel_size, stride, padding)
    (kh, kw), (out_h, out_w) = layout.kernel, layout.output
    depth = c_in * kh * kw
    return Im2colCost(
        patch_matrix=(out_h * out_w, depth), weight_matrix=(c_out, depth),
        output_matrix=(out_h * out_w, c_out), multiply_adds=out_h * out_w * depth * c_out,
        input_numbers=c_in * h * w, patch_numbers=out_h * out_w * depth, itemsize=size)
