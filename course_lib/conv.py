r"""Convolution and correlation from scratch, with SciPy's conventions: the lesson of chapter 1.

``convolve2d`` and ``correlate2d`` take the same arguments as ``scipy.signal.convolve2d`` and
``scipy.signal.correlate2d`` (``mode`` "full", "same", "valid"; ``boundary`` "fill", "wrap",
"symm"; ``fillvalue``: see :class:`course_lib.padding.Padding`) and return the same numbers, so
every result can be compared one to one. A colour image of shape ``(H, W, C)`` is filtered
channel by channel with the same 2-D kernel.

The convolution of the notes is

.. math:: f[m, n] = (I \otimes g)[m, n] = \sum_{k, l} I[m - k, n - l] \, g[k, l],

and the correlation is the same sum with ``I[m + k, n + l]``: a correlation is a convolution with
the kernel flipped in both directions.

Every strategy computes a "valid" convolution of the image padded as ``mode`` and ``boundary``
ask (see :func:`pad_image`). The strategies, chosen with ``method``, each written as plainly as
the idea it teaches:

``"naive"``
    the notes' formula as four nested Python loops: the lesson, slow.
``"flip"``
    flip the kernel once, then for every pixel multiply the patch under it element-wise and sum.
``"vectorized"``
    one whole-image multiply-add per kernel entry: the sum of ``kh * kw`` shifted slices.
``"separable"``
    a rank-1 kernel ``g = u v^T`` run as a vertical 1-D pass with ``u`` and a horizontal one with
    ``v``: ``kh + kw`` multiply-adds per pixel instead of ``kh * kw``.
``"fft"``
    the convolution theorem: cost independent of the kernel size.
``"auto"``
    the fastest of the last three for the kernel's size and rank (see :func:`choose_method`),
    run by :mod:`course_lib.engine`: the same sums, arranged for the CPU's cache. The strategies
    of this module never call the engine; the tests check each against it and against SciPy,
    and ``benchmarks/bench_conv.py`` times the engine against SciPy and PyTorch.

The backward pass of a convolutional layer (:func:`correlate2d_backward`) is made of the same
two operations.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike

from . import engine
from ._checks import MAX_NUMBERS, as_float_array, check_choice, check_int_pair, check_real, check_size
from .padding import BOUNDARIES, MODES, Padding

__all__ = ["BOUNDARIES", "METHODS", "MODES", "choose_method", "convolve2d", "convolve_fft",
           "convolve_flip", "convolve_naive", "convolve_separable", "convolve_vectorized",
           "correlate2d", "correlate2d_backward", "pad_image", "separate_kernel"]

METHODS = ("auto", "naive", "flip", "vectorized", "separable", "fft")


# ----------------------------------------------------------------------------- public functions


def convolve2d(image: ArrayLike, kernel: ArrayLike, *, mode: str = "same", boundary: str = "fill",
               fillvalue: float = 0.0, method: str = "auto") -> np.ndarray:
    """Convolve a grey ``(H, W)`` or colour ``(H, W, C)`` image with a 2-D kernel.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, C)
        The image; a colour image is filtered channel by channel.
    kernel : array_like, shape (kh, kw)
        The filter kernel ``g``.
    mode : {"full", "same", "valid"}
        Output size as in SciPy: all overlaps ``(H + kh - 1, W + kw - 1)``, the image's size
        ``(H, W)``, or only where the kernel fits inside the image ``(H - kh + 1, W - kw + 1)``.
    boundary : {"fill", "wrap", "symm"}
        How pixels outside the image are made up: the constant ``fillvalue``, the image repeated
        periodically, or the image mirrored at its border.
    fillvalue : float
        The constant used by ``boundary="fill"``.
    method : {"auto", "naive", "flip", "vectorized", "separable", "fft"}
        The strategy (see the module's docstring); all give the same result to rounding.
        "auto" hands the work to :mod:`course_lib.engine`, the fastest route for the kernel.

    Returns
    -------
    numpy.ndarray
        float64, shape set by ``mode`` (with the image's channels last).

    Examples
    --------
    An impulse convolved with a kernel reproduces the kernel:

    >>> impulse = np.zeros((3, 3)); impulse[1, 1] = 1.0
    >>> convolve2d(impulse, [[1, 2, 3], [4, 5, 6], [7, 8, 9]], method="naive")
    array([[1., 2., 3.],
           [4., 5., 6.],
           [7., 8., 9.]])
    """
    return _filter(image, kernel, Padding(mode, boundary, fillvalue), method=method,
                   correlate=False)


def correlate2d(image: ArrayLike, kernel: ArrayLike, *, mode: str = "same", boundary: str = "fill",
                fillvalue: float = 0.0, method: str = "auto") -> np.ndarray:
    """Correlate an image with a 2-D kernel: ``f[m, n] = sum_{k,l} I[m + k, n + l] g[k, l]``.

    Same parameters as :func:`convolve2d`. This is what a CNN's "convolution" layer computes
    (``torch.nn.functional.conv2d``), and it equals a convolution with the flipped kernel.

    Examples
    --------
    An impulse correlated with a kernel gives the kernel flipped in both directions:

    >>> impulse = np.zeros((3, 3)); impulse[1, 1] = 1.0
    >>> correlate2d(impulse, [[1, 2, 3], [4, 5, 6], [7, 8, 9]], method="flip")
    array([[9., 8., 7.],
           [6., 5., 4.],
           [3., 2., 1.]])
    """
    return _filter(image, kernel, Padding(mode, boundary, fillvalue), method=method,
                   correlate=True)


def _filter(image: ArrayLike, kernel: ArrayLike, padding: Padding, *, method: str,
            correlate: bool) -> np.ndarray:
    """Check the inputs and run ``method`` (see :func:`convolve2d`)."""
    arr = as_float_array(image, "image", ndim=(2, 3))
    k = as_float_array(kernel, "kernel", ndim=2)
    method = check_choice(method, "method", METHODS)
    _check_kernel_fits(arr, k, padding.mode)
    if correlate:  # a correlation is a convolution with the flipped kernel
        k = k[::-1, ::-1]
    if method == "auto":  # the engine: the same sums, fast
        return engine.convolve(arr, k, padding, correlate=correlate, split=_split(k))
    padded = _pad(arr, k.shape, padding, correlate=correlate)
    strategy = STRATEGIES[method]
    if arr.ndim == 3 and method in _PER_CHANNEL:
        channels = [strategy(padded[:, :, c], k) for c in range(arr.shape[2])]
        return np.stack(channels, axis=-1)  # (Ho, Wo, C)
    return strategy(padded, k)


def pad_image(image: ArrayLike, kernel_shape: tuple[int, int], *, mode: str = "same",
              boundary: str = "fill", fillvalue: float = 0.0,
              correlate: bool = False) -> np.ndarray:
    """Pad ``image`` so that a "valid" convolution of the result gives the ``mode`` output.

    "full" pads ``kh - 1`` rows on top and bottom, "valid" pads nothing, and "same" pads
    ``kh - 1`` rows in total, split like SciPy: for an even kernel the extra row goes on top for
    a convolution and at the bottom for a correlation (columns likewise; see
    :meth:`course_lib.padding.Padding.widths`).

    >>> pad_image(np.ones((2, 2)), (3, 3), mode="same")
    array([[0., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 1., 0.],
           [0., 0., 0., 0.]])
    >>> pad_image(np.array([[1.0, 2.0]]), (1, 3), mode="same", boundary="wrap")
    array([[2., 1., 2., 1.]])
    """
    arr = as_float_array(image, "image", ndim=(2, 3))
    kernel_shape = check_int_pair(kernel_shape, "kernel_shape")
    return _pad(arr, kernel_shape, Padding(mode, boundary, fillvalue), correlate=correlate)


def _pad(arr: np.ndarray, kernel_shape: tuple[int, int], padding: Padding, *,
         correlate: bool) -> np.ndarray:
    widths = [*padding.widths(kernel_shape, correlate=correlate)] + [(0, 0)] * (arr.ndim - 2)
    if padding.boundary == "fill":
        return np.pad(arr, widths, mode="constant", constant_values=padding.fillvalue)
    return np.pad(arr, widths, mode=padding.numpy_mode)


def separate_kernel(kernel: ArrayLike, *, rtol: float = 1e-12) -> tuple[np.ndarray, np.ndarray] | None:
    """Split a rank-1 kernel into a column ``u`` and a row ``v`` with ``kernel = outer(u, v)``.

    The split is read off the kernel itself, through its largest entry ``g[i, j]`` (the pivot):
    ``u`` is column ``j`` and ``v`` is row ``i`` divided by the pivot. An integer kernel is split
    into integer vectors (``u`` is column ``j`` divided by the greatest common divisor of its
    entries), so integer images give exact integer results. Returns ``None`` when the kernel is
    not rank 1: when ``outer(u, v)`` misses any entry by more than ``rtol`` times that entry, so
    a small tap is never dropped. An all-zero kernel (rank 0) also gives ``None``.

    >>> u, v = separate_kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    >>> u, v
    (array([1., 2., 1.]), array([1., 2., 1.]))
    >>> separate_kernel([[1, 0], [0, 1]]) is None
    True
    >>> separate_kernel([[1e10, 0], [0, 1e-3]]) is None  # rank 2, however small the 1e-3
    True
    """
    k = as_float_array(kernel, "kernel", ndim=2)
    rtol = check_real(rtol, "rtol", minimum=0.0)
    if not np.any(k):
        return None
    magnitude = np.abs(k)
    i, j = np.unravel_index(int(np.argmax(magnitude)), k.shape)  # the pivot, never zero
    if magnitude[i, j] < 2.0**53 and np.array_equal(k, np.round(k)):
        column = k[:, j] / float(np.gcd.reduce(magnitude[:, j].astype(np.int64)))  # (kh,)
        row = k[i, :] / column[i]  # (kw,) integers: the column is primitive
    else:
        column = k[:, j].copy()  # (kh,)
        row = k[i, :] / k[i, j]  # (kw,)
    if not np.all(np.abs(np.outer(column, row) - k) <= rtol * magnitude):
        return None
    return column, row


def choose_method(kernel: ArrayLike) -> str:
    """Name the strategy ``method="auto"`` runs for ``kernel``: separable, vectorized or FFT.

    Rank-1 kernels run as two 1-D passes while ``kh + kw <= 30``; other kernels run as shifted
    slices while they have at most 121 entries (11x11). Larger kernels go to the FFT, whose cost
    does not grow with the kernel. The engine decides
    (:func:`course_lib.engine.strategy_for`), at crossovers measured with
    ``benchmarks/bench_conv.py``.

    >>> choose_method(np.ones((3, 3))), choose_method(np.eye(3)), choose_method(np.eye(13))
    ('separable', 'vectorized', 'fft')
    """
    k = as_float_array(kernel, "kernel", ndim=2)
    return engine.strategy_for(k.shape, rank_one=_split(k) is not None)


def _split(k: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Split a checked kernel as "auto" does: a single row or column gives None (nothing to split)."""
    return separate_kernel(k) if min(k.shape) > 1 else None


# --------------------------------------------------------------------------- the strategies
# Each one computes the "valid" convolution of an already padded array ``padded`` (2-D, or 3-D
# with channels last) with ``kernel``: out[m, n] = sum_{k,l} padded[m + kh-1 - k, n + kw-1 - l] g[k, l].


def convolve_naive(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Apply the notes' formula, loop by loop: f[m, n] = sum over k, l of I[m - k, n - l] * g[k, l].

    ``padded`` is 2-D; index ``m + kh - 1`` of ``padded`` is row ``m`` of the output, so that
    ``m - k`` never runs off the top. Shown in notebook 01 (convolution and correlation).
    """
    _check_strategy_input(padded, kernel, ndims=(2,))
    kh, kw = kernel.shape
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.zeros((out_h, out_w))
    for m in range(out_h):
        for n in range(out_w):
            total = 0.0
            for k in range(kh):
                for l in range(kw):  # noqa: E741  (the notes' letter)
                    total += padded[m + kh - 1 - k, n + kw - 1 - l] * kernel[k, l]
            out[m, n] = total
    return out


def convolve_flip(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Flip the kernel once, then sum each patch times the flipped kernel.

    Each output pixel is the element-wise product of the patch under the kernel and the flipped
    kernel, summed. ``padded`` is 2-D. Shown in notebook 01 (1.1.0, a worked example).
    """
    _check_strategy_input(padded, kernel, ndims=(2,))
    flipped = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.zeros((out_h, out_w))
    for m in range(out_h):
        for n in range(out_w):
            patch = padded[m:m + kh, n:n + kw]  # (kh, kw)
            out[m, n] = np.sum(patch * flipped)
    return out


def convolve_vectorized(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Sum shifted slices: the loops run over the kernel's entries, not over the pixels.

    ``f = sum_{a,b} flipped[a, b] * padded[a:a+Ho, b:b+Wo]``: each weight of the flipped kernel
    multiplies a shifted copy of the whole image. Works on 2-D and channels-last 3-D arrays.
    """
    _check_strategy_input(padded, kernel, ndims=(2, 3))
    flipped = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.zeros((out_h, out_w, *padded.shape[2:]))  # (Ho, Wo[, C])
    for a in range(kh):
        for b in range(kw):
            out += flipped[a, b] * padded[a:a + out_h, b:b + out_w]
    return out


def convolve_separable(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve with a rank-1 kernel ``g = outer(u, v)`` as two 1-D passes.

    First down the columns with ``u``, then along the rows with ``v`` (the notes' "1D filter on
    a 2D image"), each pass a sum of shifted slices (:func:`convolve_vectorized`).
    """
    _check_strategy_input(padded, kernel, ndims=(2, 3))
    split: tuple[np.ndarray, np.ndarray] | None
    if not np.any(kernel):  # rank 0: u = 0 and v = 0 will do
        split = np.zeros(kernel.shape[0]), np.zeros(kernel.shape[1])
    else:
        split = separate_kernel(kernel)
    if split is None:
        raise ValueError(f"`kernel` of shape {kernel.shape} is not separable (its rank is above 1: "
                         "it is not the outer product of a column and a row); use "
                         "method='vectorized' or 'fft'.")
    column, row = split  # (kh,), (kw,)
    vertical = convolve_vectorized(padded, column[:, None])  # (Ho, Wp[, C])
    return convolve_vectorized(vertical, row[None, :])  # (Ho, Wo[, C])


def convolve_fft(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Apply the convolution theorem: multiply the Fourier transforms, transform back.

    The transforms have the padded array's size, so their product is a *circular* convolution;
    it only wraps garbage into the first ``kh - 1`` rows and ``kw - 1`` columns, which the
    "valid" crop removes.
    """
    _check_strategy_input(padded, kernel, ndims=(2, 3))
    kh, kw = kernel.shape
    shape = padded.shape[:2]  # (Hp, Wp)
    spectrum = scipy.fft.rfft2(padded, shape, axes=(0, 1))  # (Hp, Wp/2+1[, C])
    kernel_spectrum = scipy.fft.rfft2(kernel, shape)  # (Hp, Wp/2+1)
    if padded.ndim == 3:
        kernel_spectrum = kernel_spectrum[:, :, None]  # the same kernel for every channel
    full = scipy.fft.irfft2(spectrum * kernel_spectrum, shape, axes=(0, 1))  # (Hp, Wp[, C])
    return full[kh - 1:, kw - 1:]  # (Ho, Wo[, C])


STRATEGIES = {
    "naive": convolve_naive,
    "flip": convolve_flip,
    "vectorized": convolve_vectorized,
    "separable": convolve_separable,
    "fft": convolve_fft,
}
"""Each strategy by the name ``method`` gives it."""
_PER_CHANNEL = ("naive", "flip")  # written for 2-D arrays only


# ------------------------------------------------------------------------- the backward pass


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

    Shown in notebook 01 (section 1.2.3).
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


# ------------------------------------------------------------------------------------ helpers


def _check_kernel_fits(arr: np.ndarray, kernel: np.ndarray, mode: str) -> None:
    """Refuse a kernel too large: beyond the image in "valid" mode, or padded far beyond it."""
    if mode == "valid":
        if kernel.shape[0] > arr.shape[0] or kernel.shape[1] > arr.shape[1]:
            raise ValueError(f"`kernel` of shape {kernel.shape} is larger than the image "
                             f"{arr.shape[:2]}; mode='valid' needs the kernel to fit inside the "
                             "image.")
        return
    height, width = (size + extent - 1
                     for size, extent in zip(arr.shape[:2], kernel.shape, strict=True))
    channels = arr.shape[2] if arr.ndim == 3 else 1
    check_size(height * width * channels, "kernel", f"of shape {kernel.shape}",
               limit=max(MAX_NUMBERS, 2 * arr.size),
               what=f"a padded image of {height}x{width} pixels in mode={mode!r}")


def _check_strategy_input(padded, kernel, *, ndims: tuple[int, ...]) -> None:
    """Cheap checks (shapes only, no scan of the data) for the strategies' public entry points."""
    if not hasattr(padded, "shape") or len(padded.shape) not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"`padded` must be a {want} array; got shape {getattr(padded, 'shape', None)}.")
    if not isinstance(kernel, np.ndarray) or kernel.ndim != 2:
        raise ValueError("`kernel` must be a 2-D numpy array; use convolve2d for anything else.")
    if kernel.shape[0] > padded.shape[0] or kernel.shape[1] > padded.shape[1]:
        raise ValueError(f"`kernel` of shape {kernel.shape} is larger than `padded` "
                         f"{tuple(padded.shape[:2])}: pad the image first (see pad_image).")


