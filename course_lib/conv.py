r"""Convolution and correlation from scratch, with SciPy's conventions.

``convolve2d`` and ``correlate2d`` take the same arguments as ``scipy.signal.convolve2d`` and
``scipy.signal.correlate2d`` (``mode`` "full", "same", "valid"; ``boundary`` "fill", "wrap",
"symm"; ``fillvalue``) and return the same numbers, so every result can be compared one to one.
A colour image of shape ``(H, W, C)`` is filtered channel by channel with the same 2-D kernel.

The convolution of the notes is

.. math:: f[m, n] = (I \otimes g)[m, n] = \sum_{k, l} I[m - k, n - l] \, g[k, l],

and the correlation is the same sum with ``I[m + k, n + l]``: a correlation is a convolution with
the kernel flipped in both directions.

Every strategy computes a "valid" convolution of the image padded as ``mode`` and ``boundary``
ask (see :func:`pad_image`). The strategies, chosen with ``method``:

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

Two refinements make the fast strategies fast without changing their results: the direct ones
("vectorized", "separable") pad and process the image in blocks of rows that stay in the CPU
cache, and in "same" mode the FFT transforms the image at its own size (the padding only matters
in thin bands along the border, done separately). ``benchmarks/bench_conv.py`` times them against
SciPy and PyTorch.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike

from ._blocks import (
    BOUNDARY_NAMES,
    _block_rows,
    _Buffers,
    _LazyPadded,
    _products_by_blocks,
    _read_rows,
    _shifted_sum,
)
from ._checks import MAX_NUMBERS, as_float_array, check_choice, check_real, check_size

MODES = ("full", "same", "valid")
BOUNDARIES = ("fill", "wrap", "symm")
METHODS = ("auto", "naive", "flip", "vectorized", "separable", "fft")

# "auto" crossovers, measured with benchmarks/bench_conv.py: a separable kernel with more than
# 30 taps (kh + kw), or a dense one with more than 121 entries (11x11), runs faster with the FFT.
_FFT_ABOVE_TAPS = 30
_FFT_ABOVE_DENSE_TAPS = 121
# "auto" rounds an FFT result to integers when image and kernel are integers and no output can
# exceed this (the FFT's errors are then below 1e-4, far from the 0.5 that rounding forgives).
_EXACT_FFT_BELOW = 2.0**36


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
    return _filter(image, kernel, mode=mode, boundary=boundary, fillvalue=fillvalue,
                   method=method, flip=True)


def pad_image(image: ArrayLike, kernel_shape: tuple[int, int], *, mode: str = "same",
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
    return np.pad(arr, pads, mode=BOUNDARY_NAMES[boundary]["numpy"])


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
    k = _check_kernel(kernel)
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
    """Choose the strategy ``method="auto"`` uses for ``kernel``: separable, vectorized or FFT.

    Rank-1 kernels run as two 1-D passes while ``kh + kw <= 30``; other kernels run as shifted
    slices while they have at most 121 entries (11x11). Larger kernels go to the FFT, whose cost
    does not grow with the kernel. The crossovers were measured with benchmarks/bench_conv.py.

    >>> choose_method(np.ones((3, 3))), choose_method(np.eye(3)), choose_method(np.eye(13))
    ('separable', 'vectorized', 'fft')
    """
    return _choose(_check_kernel(kernel))[0]


def _choose(k: np.ndarray) -> tuple[str, tuple[np.ndarray, np.ndarray] | None]:
    """Pick the strategy for the checked kernel ``k``; also return its split when separable."""
    parts = separate_kernel(k) if min(k.shape) > 1 else None
    if parts is not None:
        return ("separable", parts) if sum(k.shape) <= _FFT_ABOVE_TAPS else ("fft", None)
    return ("vectorized" if k.size <= _FFT_ABOVE_DENSE_TAPS else "fft"), None


# --------------------------------------------------------------------------- the strategies
# Each one computes the "valid" convolution of an already padded array ``padded`` (2-D, or 3-D
# with channels last) with ``kernel``: out[m, n] = sum_{k,l} padded[m + kh-1 - k, n + kw-1 - l] g[k, l].


def convolve_naive(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Apply the notes' formula, loop by loop: f[m, n] = sum over k, l of I[m - k, n - l] * g[k, l].

    ``padded`` is 2-D; index ``m + kh - 1`` of ``padded`` is row ``m`` of the output, so that
    ``m - k`` never runs off the top.
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
    kernel, summed. ``padded`` is 2-D.
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
    """Shifted slices summed: the loops run over the kernel's entries, not over the pixels.

    ``f = sum_{a,b} flipped[a, b] * padded[a:a+Ho, b:b+Wo]``. The sum over the kernel rows ``a``
    is one matrix product per block of rows, the sum over the kernel columns ``b`` is
    ``kw`` shifted additions (see :func:`_products_by_blocks`). Rows are processed in blocks that
    fit in the CPU cache. Works on 2-D and channels-last 3-D arrays.
    """
    _check_strategy_input(padded, kernel, ndims=(2, 3))
    return _vectorized(padded, kernel)


def _vectorized(padded: np.ndarray | _LazyPadded, kernel: np.ndarray) -> np.ndarray:
    """Run :func:`convolve_vectorized` on checked inputs (also on rows padded block by block)."""
    flipped = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.empty((out_h, out_w, *padded.shape[2:]))  # (Ho, Wo[, C])
    _products_by_blocks(padded, flipped, out)
    return out


def convolve_separable(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve with a rank-1 kernel ``g = outer(u, v)`` as two 1-D passes.

    First down the columns with ``u``, then along the rows with ``v`` (the notes' "1D filter on
    a 2D image").
    """
    _check_strategy_input(padded, kernel, ndims=(2, 3))
    return _separable(padded, kernel)


def _separable(padded: np.ndarray | _LazyPadded, kernel: np.ndarray) -> np.ndarray:
    """Run :func:`convolve_separable` on checked inputs (also on rows padded block by block)."""
    parts: tuple[np.ndarray, np.ndarray] | None
    if not np.any(kernel):  # rank 0: u = 0 and v = 0 will do
        parts = np.zeros(kernel.shape[0]), np.zeros(kernel.shape[1])
    else:
        parts = separate_kernel(kernel)
    if parts is None:
        raise ValueError(f"`kernel` of shape {kernel.shape} is not separable (its rank is above 1: "
                         "it is not the outer product of a column and a row); use "
                         "method='vectorized' or 'fft'.")
    return _separable_passes(padded, *parts)


def _separable_passes(padded: np.ndarray | _LazyPadded, column: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Run the two 1-D passes of :func:`convolve_separable` for a kernel already split."""
    kh, kw = len(column), len(row)
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.empty((out_h, out_w, *padded.shape[2:]))  # (Ho, Wo[, C])
    step = _block_rows(padded.shape, 1)
    buffers = _Buffers.of_this_thread()  # scratch arrays reused by every block, and call
    for top in range(0, out_h, step):  # both passes per block of rows, while it is in cache
        rows = min(step, out_h - top)
        block = _read_rows(padded, top, top + rows + kh - 1, buffers)  # (rows+kh-1, Wp[, C])
        vertical = buffers.get("vertical", (rows, *padded.shape[1:]))  # (rows, Wp[, C])
        _shifted_sum(block, column[::-1, None], vertical, buffers)
        _shifted_sum(vertical, row[None, ::-1], out[top:top + rows], buffers)
    return out


def convolve_fft(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Apply the convolution theorem: multiply the Fourier transforms, transform back.

    A circular convolution of length ``L >= Hp`` only wraps garbage into the first ``kh - 1``
    rows, which the "valid" crop removes, so no extra zero padding is needed.
    """
    _check_strategy_input(padded, kernel, ndims=(2, 3))
    kh, kw = kernel.shape
    height, width = padded.shape[:2]
    shape = (scipy.fft.next_fast_len(height, real=True), scipy.fft.next_fast_len(width, real=True))
    spectrum = scipy.fft.rfft2(padded, shape, axes=(0, 1))  # (L0, L1/2+1[, C])
    _multiply_by_kernel_spectrum(spectrum, kernel, shape)
    full = scipy.fft.irfft2(spectrum, shape, axes=(0, 1))  # (L0, L1[, C])
    return full[kh - 1:height, kw - 1:width]  # (Ho, Wo[, C])


def convolve_fft_same(padded: np.ndarray | _LazyPadded, kernel: np.ndarray, rows: tuple[int, int],
                      cols: tuple[int, int]) -> np.ndarray:
    """FFT convolution in "same" mode: the interior, then the border bands.

    Far enough from the border (the "valid" region of the unpadded image) the padding plays no
    part, so the interior is an FFT of the image itself: of size ``next_fast_len(H)`` (512 for a
    512-pixel image) instead of ``next_fast_len(H + kh - 1)`` (540). The four thin bands along
    the border are small FFT convolutions of the padded array. ``rows`` and ``cols`` are the
    padding added before and after the image along each axis.
    """
    _check_strategy_input(padded, kernel, ndims=(2, 3))
    if not all(isinstance(pair, (tuple, list)) and len(pair) == 2
               and all(isinstance(v, (int, np.integer)) and v >= 0 for v in pair)
               for pair in (rows, cols)):
        raise ValueError(f"`rows` and `cols` must be pairs of padding sizes (before, after); "
                         f"got {rows!r:.40} and {cols!r:.40}.")
    (top, bottom), (left, right) = rows, cols
    kh, kw = kernel.shape
    if top + bottom != kh - 1 or left + right != kw - 1:
        raise ValueError(f"`rows` {rows} and `cols` {cols} must be the padding of a kernel of "
                         f"shape {kernel.shape}: they must add up to {kh - 1} and {kw - 1}.")
    height, width = padded.shape[0] - top - bottom, padded.shape[1] - left - right
    if height < kh or width < kw:  # no interior: one FFT of the whole padded array
        return convolve_fft(padded[0:padded.shape[0]], kernel)
    out = np.empty((height, width, *padded.shape[2:]))  # (H, W[, C])
    if isinstance(padded, _LazyPadded):  # the image itself, contiguous: nothing is copied
        image = padded.image
    else:
        image = padded[top:top + height, left:left + width]
    out[top:height - bottom, left:width - right] = convolve_fft(image, kernel)
    if top:
        out[:top] = convolve_fft(padded[:top + kh - 1], kernel)
    if bottom:
        out[height - bottom:] = convolve_fft(padded[height - bottom:], kernel)
    middle = slice(top, height - bottom + kh - 1)  # padded rows feeding the interior rows
    if left:
        out[top:height - bottom, :left] = convolve_fft(padded[middle, :left + kw - 1], kernel)
    if right:
        out[top:height - bottom, width - right:] = convolve_fft(padded[middle, width - right:],
                                                                kernel)
    return out


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
    _check_padded_size(arr, k, mode)
    if flip:  # correlation = convolution with the flipped kernel
        k = k[::-1, ::-1]
    if method != "auto":
        return _run(arr, k, mode=mode, boundary=boundary, fillvalue=fillvalue, method=method,
                    flip=flip)
    method, parts = _choose(k)  # the kernel is split once, here, when it is separable
    result = _run(arr, k, mode=mode, boundary=boundary, fillvalue=fillvalue, method=method,
                  flip=flip, parts=parts)
    if method == "fft" and _exact_integers(arr, k, fillvalue):
        np.round(result, out=result)  # integer data: exact, as scipy.signal.convolve rounds
    return result


def _run(arr, k, *, mode, boundary, fillvalue, method, flip,
         parts: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Run one strategy on checked inputs (``k`` already flipped for a correlation).

    ``parts`` is the split of a separable ``k``, when the caller already has it.
    """
    if method in ("vectorized", "separable"):  # pad block by block, inside the strategy
        rows, cols = (_axis_padding(size, mode, flip) for size in k.shape)
        lazy = _LazyPadded(arr, rows, cols, boundary, fillvalue)
        if parts is not None:
            return _separable_passes(lazy, *parts)
        return _vectorized(lazy, k) if method == "vectorized" else _separable(lazy, k)
    if method == "fft" and mode == "same":  # only the thin border bands get padded
        rows, cols = (_axis_padding(size, mode, flip) for size in k.shape)
        return convolve_fft_same(_LazyPadded(arr, rows, cols, boundary, fillvalue), k, rows, cols)
    padded = pad_image(arr, k.shape, mode=mode, boundary=boundary, fillvalue=fillvalue,
                       correlate=flip)
    strategy = _STRATEGIES[method]
    if arr.ndim == 3 and method in _PER_CHANNEL:
        channels = [strategy(padded[:, :, c], k) for c in range(arr.shape[2])]
        return np.stack(channels, axis=-1)  # (Ho, Wo, C)
    return strategy(padded, k)


def _check_padded_size(arr: np.ndarray, kernel: np.ndarray, mode: str) -> None:
    """Refuse a kernel whose padding would make the working copy much larger than the image."""
    if mode == "valid":
        return
    height, width = (size + extent - 1
                     for size, extent in zip(arr.shape[:2], kernel.shape, strict=True))
    channels = arr.shape[2] if arr.ndim == 3 else 1
    check_size(height * width * channels, "kernel", f"of shape {kernel.shape}",
               limit=max(MAX_NUMBERS, 2 * arr.size),
               what=f"a padded image of {height}x{width} pixels in mode={mode!r}")


def _exact_integers(arr: np.ndarray, kernel: np.ndarray, fillvalue: float) -> bool:
    """Tell whether the FFT's result, rounded, is the exact convolution.

    True when image, kernel and fill value are integers small enough that its rounding errors
    stay far below 0.5.
    """
    bound = max(float(np.abs(arr).max()), abs(fillvalue)) * float(np.abs(kernel).sum())
    return (bound < _EXACT_FFT_BELOW and float(fillvalue).is_integer()
            and np.array_equal(kernel, np.round(kernel)) and np.array_equal(arr, np.round(arr)))


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


def _check_kernel(kernel) -> np.ndarray:
    return as_float_array(kernel, "kernel", ndim=2)


def _multiply_by_kernel_spectrum(spectrum: np.ndarray, kernel: np.ndarray,
                                 shape: tuple[int, int]) -> None:
    """Compute ``spectrum *= rfft2(kernel, shape)`` in place, cheaply.

    A separable kernel ``outer(u, v)`` has the separable spectrum ``outer(fft(u), rfft(v))``,
    applied as two broadcast products; otherwise the row transforms run on the kernel's few rows
    only.
    """
    extra = (None,) * (spectrum.ndim - 2)  # broadcast over colour channels
    parts = separate_kernel(kernel) if min(kernel.shape) > 1 else None
    if parts is not None:
        column, row = parts
        spectrum *= scipy.fft.fft(column, n=shape[0])[(slice(None), None, *extra)]
        spectrum *= scipy.fft.rfft(row, n=shape[1])[(None, slice(None), *extra)]
        return
    rows = scipy.fft.rfft(kernel, n=shape[1], axis=1)  # (kh, L1/2+1)
    spectrum *= scipy.fft.fft(rows, n=shape[0], axis=0)[(Ellipsis, *extra)]  # (L0, L1/2+1)


def _axis_padding(size: int, mode: str, correlate: bool) -> tuple[int, int]:
    if mode == "full":
        return size - 1, size - 1
    if mode == "valid":
        return 0, 0
    before, after = size - 1 - (size - 1) // 2, (size - 1) // 2
    return (after, before) if correlate else (before, after)
