"""Convolution and correlation from scratch, with SciPy's conventions.

``convolve2d`` and ``correlate2d`` take the same arguments as ``scipy.signal.convolve2d`` and
``scipy.signal.correlate2d`` (``mode`` "full", "same", "valid"; ``boundary`` "fill", "wrap",
"symm"; ``fillvalue``) and return the same numbers, so every result can be compared one to one.
A colour image of shape ``(H, W, C)`` is filtered channel by channel with the same 2-D kernel.

The convolution of the notes is

.. math:: f[m, n] = (I \\otimes g)[m, n] = \\sum_{k, l} I[m - k, n - l] \\, g[k, l],

and the correlation is the same sum with ``I[m + k, n + l]``: a correlation is a convolution with
the kernel flipped in both directions.

Every strategy first pads the image as ``mode`` and ``boundary`` ask (see :func:`pad_image`), then
computes a "valid" convolution of the padded array. The strategies, chosen with ``method``:

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
    the convolution theorem with ``scipy.fft.rfft2``: cost independent of the kernel size.
``"auto"``
    picks the fastest of the last three for the kernel's size and rank (see :func:`choose_method`).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from ._checks import as_float_array, check_choice, check_real

MODES = ("full", "same", "valid")
BOUNDARIES = ("fill", "wrap", "symm")
METHODS = ("auto", "naive", "flip", "vectorized", "separable", "fft")

_NUMPY_PAD_MODE = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}
# Above this many kernel entries the FFT beats the shifted slices (measured in benchmarks/).
_FFT_ABOVE_TAPS = 25
# Rows per block of the shifted-slice loop: a block and its accumulator stay in the CPU cache.
_BLOCK_ROWS = 32


# ----------------------------------------------------------------------------- public functions


def convolve2d(image, kernel, *, mode: str = "same", boundary: str = "fill",
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
        The algorithm (see the module's docstring); all give the same result to rounding.

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
    return _filter(image, kernel, mode=mode, boundary=boundary, fillvalue=fillvalue,
                   method=method, flip=False)


def correlate2d(image, kernel, *, mode: str = "same", boundary: str = "fill",
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
    return _filter(image, kernel, mode=mode, boundary=boundary, fillvalue=fillvalue,
                   method=method, flip=True)


def pad_image(image, kernel_shape: tuple[int, int], *, mode: str = "same",
              boundary: str = "fill", fillvalue: float = 0.0,
              correlate: bool = False) -> np.ndarray:
    """Pad ``image`` so that a "valid" convolution of the result gives the ``mode`` output.

    "full" pads ``kh - 1`` rows on top and bottom, "valid" pads nothing, and "same" pads
    ``kh - 1`` rows in total, split like SciPy: for an even kernel the extra row goes on top for
    a convolution and at the bottom for a correlation (columns likewise).

    >>> pad_image(np.ones((2, 2)), (3, 3), mode="same")
    array([[0., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 1., 0.],
           [0., 0., 0., 0.]])
    >>> pad_image(np.array([[1.0, 2.0]]), (1, 3), mode="same", boundary="wrap")
    array([[2., 1., 2., 1.]])
    """
    arr = as_float_array(image, "image", ndim=(2, 3))
    if (not isinstance(kernel_shape, (tuple, list)) or len(kernel_shape) != 2
            or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in kernel_shape)):
        raise ValueError("`kernel_shape` must be two positive integers (kh, kw); "
                         f"got {kernel_shape!r}.")
    kh, kw = (int(s) for s in kernel_shape)
    mode = check_choice(mode, "mode", MODES)
    boundary = check_choice(boundary, "boundary", BOUNDARIES)
    pads = [_axis_padding(kh, mode, correlate), _axis_padding(kw, mode, correlate)]
    pads += [(0, 0)] * (arr.ndim - 2)
    if boundary == "fill":
        return np.pad(arr, pads, mode="constant", constant_values=fillvalue)
    return np.pad(arr, pads, mode=_NUMPY_PAD_MODE[boundary])


def separate_kernel(kernel, *, rtol: float = 1e-12) -> tuple[np.ndarray, np.ndarray] | None:
    """Split a rank-1 kernel into a column ``u`` and a row ``v`` with ``kernel = outer(u, v)``.

    Returns ``None`` when the kernel is not rank 1 (its second singular value is above ``rtol``
    times the first).

    >>> u, v = separate_kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    >>> np.allclose(np.outer(u, v), [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    True
    >>> separate_kernel([[1, 0], [0, 1]]) is None
    True
    """
    k = _check_kernel(kernel)
    rtol = check_real(rtol, "rtol", minimum=0.0)
    if not np.any(k):
        return None
    left, singular, right = np.linalg.svd(k)
    if len(singular) > 1 and singular[1] > rtol * singular[0]:
        return None
    scale = np.sqrt(singular[0])
    return left[:, 0] * scale, right[0, :] * scale  # (kh,), (kw,)


def choose_method(kernel) -> str:
    """The strategy ``method="auto"`` uses for ``kernel``: separable, vectorized or FFT.

    The direct strategies cost one whole-image multiply-add per "tap": ``kh * kw`` taps for a
    dense kernel, ``kh + kw`` for a separable (rank-1) one. Up to 25 taps a direct strategy is
    faster; above, the FFT, whose cost does not grow with the kernel (see benchmarks/).

    >>> choose_method(np.ones((3, 3))), choose_method(np.eye(3)), choose_method(np.eye(7))
    ('separable', 'vectorized', 'fft')
    """
    k = _check_kernel(kernel)
    if min(k.shape) > 1 and separate_kernel(k) is not None:
        return "separable" if sum(k.shape) <= _FFT_ABOVE_TAPS else "fft"
    return "vectorized" if k.size <= _FFT_ABOVE_TAPS else "fft"


# --------------------------------------------------------------------------- the strategies
# Each one computes the "valid" convolution of an already padded array ``padded`` (2-D, or 3-D
# with channels last) with ``kernel``: out[m, n] = sum_{k,l} padded[m + kh-1 - k, n + kw-1 - l] g[k, l].


def convolve_naive(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The notes' formula, loop by loop: f[m, n] = sum over k, l of I[m - k, n - l] * g[k, l].

    ``padded`` is 2-D; index ``m + kh - 1`` of ``padded`` is row ``m`` of the output, so that
    ``m - k`` never runs off the top.
    """
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
    """Flip the kernel once; then each output pixel is the element-wise product of the
    patch under the kernel and the flipped kernel, summed. ``padded`` is 2-D."""
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
    """Sum of shifted slices: for every kernel entry, one multiply-add over the whole image.

    The loop runs over the ``kh * kw`` kernel entries instead of the pixels; rows are processed
    in blocks that fit in the CPU cache. Works on 2-D and channels-last 3-D arrays.
    """
    flipped = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.empty((out_h, out_w, *padded.shape[2:]))  # (Ho, Wo[, C])
    for top in range(0, out_h, _BLOCK_ROWS):
        rows = min(_BLOCK_ROWS, out_h - top)
        _shifted_sum(padded[top:top + rows + kh - 1], flipped, out[top:top + rows])
    return out


def convolve_separable(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Two 1-D passes for a rank-1 kernel ``g = outer(u, v)``: first down the columns with
    ``u``, then along the rows with ``v`` (the notes' "1D filter on a 2D image")."""
    parts = separate_kernel(kernel)
    if parts is None:
        raise ValueError(f"`kernel` of shape {kernel.shape} is not separable (its rank is above 1); "
                         "use method='vectorized' or 'fft'.")
    column, row = parts
    vertical = convolve_vectorized(padded, column[:, None])  # (Ho, Wp[, C])
    return convolve_vectorized(vertical, row[None, :])  # (Ho, Wo[, C])


def convolve_fft(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The convolution theorem: multiply the Fourier transforms, transform back.

    A circular convolution of length ``L >= Hp`` only wraps garbage into the first ``kh - 1``
    rows, which the "valid" crop removes, so no extra zero padding is needed.
    """
    kh, kw = kernel.shape
    height, width = padded.shape[:2]
    shape = (scipy.fft.next_fast_len(height, real=True), scipy.fft.next_fast_len(width, real=True))
    spectrum = scipy.fft.rfft2(padded, shape, axes=(0, 1), workers=-1)  # (L, L/2+1[, C])
    kernel_spectrum = scipy.fft.rfft2(kernel, shape, workers=-1)  # (L, L/2+1)
    if padded.ndim == 3:
        kernel_spectrum = kernel_spectrum[:, :, None]
    full = scipy.fft.irfft2(spectrum * kernel_spectrum, shape, axes=(0, 1), workers=-1)
    return np.ascontiguousarray(full[kh - 1:height, kw - 1:width])  # (Ho, Wo[, C])


_STRATEGIES = {
    "naive": convolve_naive,
    "flip": convolve_flip,
    "vectorized": convolve_vectorized,
    "separable": convolve_separable,
    "fft": convolve_fft,
}
_PER_CHANNEL = ("naive", "flip")  # written for 2-D arrays only


# ------------------------------------------------------------------------------------ helpers


def _filter(image, kernel, *, mode, boundary, fillvalue, method, flip) -> np.ndarray:
    arr = as_float_array(image, "image", ndim=(2, 3))
    k = _check_kernel(kernel)
    mode = check_choice(mode, "mode", MODES)
    boundary = check_choice(boundary, "boundary", BOUNDARIES)
    method = check_choice(method, "method", METHODS)
    fillvalue = check_real(fillvalue, "fillvalue")
    if mode == "valid" and (k.shape[0] > arr.shape[0] or k.shape[1] > arr.shape[1]):
        raise ValueError(f"`kernel` of shape {k.shape} is larger than the image "
                         f"{arr.shape[:2]}; mode='valid' needs the kernel to fit inside the image.")
    if flip:  # correlation = convolution with the flipped kernel
        k = k[::-1, ::-1]
    if method == "auto":
        method = choose_method(k)
    padded = pad_image(arr, k.shape, mode=mode, boundary=boundary, fillvalue=fillvalue,
                       correlate=flip)
    strategy = _STRATEGIES[method]
    if arr.ndim == 3 and method in _PER_CHANNEL:
        channels = [strategy(padded[:, :, c], k) for c in range(arr.shape[2])]
        return np.stack(channels, axis=-1)  # (Ho, Wo, C)
    return strategy(padded, k)


def _check_kernel(kernel) -> np.ndarray:
    return as_float_array(kernel, "kernel", ndim=2)


def _axis_padding(size: int, mode: str, correlate: bool) -> tuple[int, int]:
    if mode == "full":
        return size - 1, size - 1
    if mode == "valid":
        return 0, 0
    before, after = size - 1 - (size - 1) // 2, (size - 1) // 2
    return (after, before) if correlate else (before, after)


def _shifted_sum(block: np.ndarray, flipped: np.ndarray, out: np.ndarray) -> None:
    """out = sum_{a,b} flipped[a, b] * block[a:a+rows, b:b+cols], without temporaries per tap."""
    rows, cols = out.shape[:2]
    kh, kw = flipped.shape
    scratch = np.empty_like(out)
    out.fill(0.0)
    for a in range(kh):
        for b in range(kw):
            weight = flipped[a, b]
            if weight == 0.0:
                continue
            np.multiply(block[a:a + rows, b:b + cols], weight, out=scratch)
            np.add(out, scratch, out=out)
