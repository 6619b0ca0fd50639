"""Backpropagation through a convolutional layer, from scratch: the two gradients of a correlation.

A CNN layer computes a "valid" correlation of its input with its weights. Training needs the
gradient of the loss with respect to both, given the gradient with respect to the output; both
are again correlations and convolutions (:mod:`course_lib.conv`), checked against PyTorch's
autograd and finite differences in the tests.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array
from .conv import convolve2d, correlate2d


def correlate2d_backward(image: ArrayLike, kernel: ArrayLike, grad_output: ArrayLike
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of a CNN layer's "valid" correlation, for backpropagation.

    The layer computes ``out = correlate2d(image, kernel, mode="valid")``, that is
    ``out[i, j] = sum_{a,b} image[i + a, j + b] * kernel[a, b]``. Given ``grad_output``, the
    gradient of a loss with respect to ``out``, the chain rule gives

    - ``grad_kernel[a, b] = sum_{i,j} grad_output[i, j] * image[i + a, j + b]``: the "valid"
      **correlation** of the image with the output gradient, shape ``kernel.shape``;
    - ``grad_image[p, q] = sum_{a,b} grad_output[p - a, q - b] * kernel[a, b]``: the "full"
      **convolution** of the output gradient with the kernel, shape ``image.shape`` (each pixel
      collects the gradient of every output it took part in, through the weight it met).

    Parameters
    ----------
    image : array_like, shape (H, W)
        The layer's input.
    kernel : array_like, shape (kh, kw)
        The layer's weights, as a correlation template (``kh <= H``, ``kw <= W``).
    grad_output : array_like, shape (H - kh + 1, W - kw + 1)
        The gradient of the loss with respect to the layer's output.

    Returns
    -------
    grad_image : ndarray, shape (H, W)
    grad_kernel : ndarray, shape (kh, kw)

    Examples
    --------
    With a gradient of ones, each kernel weight collects the sum of the pixels it met, and each
    pixel the sum of the weights that met it:

    >>> image = np.arange(9.0).reshape(3, 3)
    >>> grad_image, grad_kernel = correlate2d_backward(image, np.ones((2, 2)), np.ones((2, 2)))
    >>> grad_kernel
    array([[ 8., 12.],
           [20., 24.]])
    >>> grad_image
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    image = as_float_array(image, "image", ndim=2)
    kernel = as_float_array(kernel, "kernel", ndim=2)
    grad_output = as_float_array(grad_output, "grad_output", ndim=2)
    (h, w), (kh, kw) = image.shape, kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"`kernel` must fit inside `image` for a 'valid' correlation; got kernel "
                         f"shape {kernel.shape} and image shape {image.shape}.")
    expected = (h - kh + 1, w - kw + 1)
    if grad_output.shape != expected:
        raise ValueError(f"`grad_output` must have the shape of the 'valid' output, {expected} "
                         f"(image {image.shape}, kernel {kernel.shape}); got {grad_output.shape}.")
    grad_kernel = correlate2d(image, grad_output, mode="valid")  # (kh, kw)
    # "full" convolution is commutative: put the larger array first, as the image.
    if grad_output.size >= kernel.size:
        grad_image = convolve2d(grad_output, kernel, mode="full")  # (H, W)
    else:
        grad_image = convolve2d(kernel, grad_output, mode="full")  # (H, W)
    return grad_image, grad_kernel
