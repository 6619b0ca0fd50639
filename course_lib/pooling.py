"""Pooling: max and average over non-overlapping (or strided) windows, and max pooling's gradient.

A pooling layer shrinks a feature map: each output pixel summarises a ``size x size`` window,
moved ``stride`` pixels at a time (``stride = size`` by default: windows that tile the map). It
has no weights. Max pooling keeps the strongest response of each window, so a feature that moves
by a pixel inside its window gives the same output: a little translation invariance. Its
gradient flows back only to the pixel that won each window (the arg-max).

Conventions are PyTorch's (``torch.nn.functional.max_pool2d`` and ``avg_pool2d`` with no
padding): the output has ``(H - size) // stride + 1`` rows
(:func:`course_lib.models.pool_output_size`), and pixels that no window covers are left out.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_int

__all__ = ["avg_pool2d", "max_pool2d", "max_pool2d_backward"]


def _windows(image: ArrayLike, size: int, stride: int | None) -> tuple[np.ndarray, int, int]:
    arr = as_float_array(image, "image", ndim=2)
    size = check_int(size, "size", minimum=1)
    stride = size if stride is None else check_int(stride, "stride", minimum=1)
    if size > min(arr.shape):
        raise ValueError(f"`size` ({size}) must fit inside `image`, of shape {arr.shape}.")
    windows = sliding_window_view(arr, (size, size))[::stride, ::stride]  # (H', W', size, size)
    return windows, size, stride


def max_pool2d(image: ArrayLike, size: int = 2, *, stride: int | None = None) -> np.ndarray:
    """Take the largest value of each ``size x size`` window, windows ``stride`` apart.

    >>> max_pool2d(np.arange(16.0).reshape(4, 4))
    array([[ 5.,  7.],
           [13., 15.]])
    """
    windows, _, _ = _windows(image, size, stride)
    return windows.max(axis=(2, 3))


def avg_pool2d(image: ArrayLike, size: int = 2, *, stride: int | None = None) -> np.ndarray:
    """Take the mean of each ``size x size`` window, windows ``stride`` apart.

    >>> avg_pool2d(np.arange(16.0).reshape(4, 4))
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    windows, _, _ = _windows(image, size, stride)
    return windows.mean(axis=(2, 3))


def max_pool2d_backward(image: ArrayLike, grad_output: ArrayLike, size: int = 2, *,
                        stride: int | None = None) -> np.ndarray:
    """Gradient of a loss with respect to max pooling's input.

    Each window passes its output's gradient to the pixel that held its maximum (the first one
    in row-major order on a tie, as PyTorch does); every other pixel gets 0. Where windows
    overlap (``stride < size``) a pixel collects the gradients of all windows it won.

    >>> image = np.array([[1.0, 3.0], [2.0, 0.0]])
    >>> max_pool2d_backward(image, np.array([[10.0]]))
    array([[ 0., 10.],
           [ 0.,  0.]])
    """
    windows, size, stride = _windows(image, size, stride)
    out_h, out_w = windows.shape[:2]
    grad_output = as_float_array(grad_output, "grad_output", ndim=2)
    if grad_output.shape != (out_h, out_w):
        raise ValueError(f"`grad_output` must have the pooled shape {(out_h, out_w)}; "
                         f"got {grad_output.shape}.")
    winner = windows.reshape(out_h, out_w, size * size).argmax(axis=2)  # (H', W'): first max
    rows = np.arange(out_h)[:, None] * stride + winner // size  # (H', W') row of each winner
    cols = np.arange(out_w)[None, :] * stride + winner % size  # (H', W') column of each winner
    grad_image = np.zeros(np.shape(image))  # (H, W)
    np.add.at(grad_image, (rows, cols), grad_output)
    return grad_image
