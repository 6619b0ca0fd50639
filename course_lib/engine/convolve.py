"""What ``convolve2d(method="auto")`` runs: the fastest route for the kernel, and its result.

:func:`strategy_for` picks one of three routes from the kernel's size and rank, at crossovers
measured with ``benchmarks/bench_conv.py``; :func:`convolve` runs it. Each route computes the same
numbers as the lesson's strategy of that name in :mod:`course_lib.conv`, to rounding (the tests
check both against SciPy), and integer data convolved by the FFT is rounded back to the exact
integers, as ``scipy.signal.convolve`` does.
"""

from __future__ import annotations

import numpy as np

from ..padding import Padding
from .blocks import LazyPadded, separable_in_blocks, vectorized_in_blocks
from .fft import Split, convolve_fft, convolve_fft_same

# "auto" crossovers, measured with benchmarks/bench_conv.py: a separable kernel with more than
# 30 taps (kh + kw), or a dense one with more than 121 entries (11x11), runs faster with the FFT.
FFT_ABOVE_TAPS = 30
FFT_ABOVE_DENSE_TAPS = 121
# "auto" rounds an FFT result to integers when image and kernel are integers and no output can
# exceed this (the FFT's errors are then below 1e-4, far from the 0.5 that rounding forgives).
_EXACT_FFT_BELOW = 2.0**36


def strategy_for(kernel_shape: tuple[int, int], *, rank_one: bool) -> str:
    """Name the fastest route for a kernel of ``kernel_shape``: separable, vectorized or FFT.

    Rank-1 kernels run as two 1-D passes while ``kh + kw <= 30``; other kernels run as shifted
    slices while they have at most 121 entries (11x11). Larger kernels go to the FFT, whose cost
    does not grow with the kernel.

    >>> strategy_for((3, 3), rank_one=True), strategy_for((13, 13), rank_one=False)
    ('separable', 'fft')
    """
    kh, kw = kernel_shape
    if rank_one:
        return "separable" if kh + kw <= FFT_ABOVE_TAPS else "fft"
    return "vectorized" if kh * kw <= FFT_ABOVE_DENSE_TAPS else "fft"


def convolve(image: np.ndarray, kernel: np.ndarray, padding: Padding, *, correlate: bool = False,
             split: Split | None = None, route: str | None = None) -> np.ndarray:
    """Convolve ``image`` with ``kernel`` by the fastest route, padded as ``padding`` asks.

    ``image`` (float64, (H, W) or (H, W, C)) and ``kernel`` (float64, (kh, kw)) are checked
    already; ``kernel`` is the one convolved with (for a correlation: the template flipped, with
    ``correlate=True``, which pads as SciPy pads a correlation). ``split`` is the kernel's
    rank-1 split ``(column, row)`` (see :func:`course_lib.conv.separate_kernel`), or None.
    ``route`` forces "separable" (which needs ``split``), "vectorized" or "fft" (the tests and
    benchmarks use it); None takes :func:`strategy_for`'s choice.

    >>> from course_lib.padding import Padding
    >>> convolve(np.arange(4.0).reshape(2, 2), np.ones((1, 2)), Padding("full"))
    array([[0., 1., 1.],
           [2., 5., 3.]])
    """
    if route is None:
        route = strategy_for(kernel.shape, rank_one=split is not None)
    if route not in ("separable", "vectorized", "fft") or (route == "separable" and split is None):
        raise ValueError(f"`route` must be 'separable' (with `split`), 'vectorized' or 'fft'; "
                         f"got {route!r}.")
    rows, cols = padding.widths(kernel.shape, correlate=correlate)
    padded = LazyPadded(image, rows, cols, padding.numpy_mode, padding.fillvalue)
    if route == "separable" and split is not None:
        return separable_in_blocks(padded, *split)
    if route == "vectorized":
        return vectorized_in_blocks(padded, kernel)
    if sum(rows) == kernel.shape[0] - 1 and sum(cols) == kernel.shape[1] - 1:  # the image's size
        result = convolve_fft_same(padded, kernel, split)
    else:
        result = convolve_fft(padded[0:padded.shape[0]], kernel, split)
    if _exact_integers(image, kernel, padding.fillvalue):
        np.round(result, out=result)  # integer data: exact, as scipy.signal.convolve rounds
    return result


def _exact_integers(image: np.ndarray, kernel: np.ndarray, fillvalue: float) -> bool:
    """Tell whether the FFT's result, rounded, is the exact convolution.

    True when image, kernel and fill value are integers small enough that its rounding errors
    stay far below 0.5.
    """
    bound = max(float(np.abs(image).max()), abs(fillvalue)) * float(np.abs(kernel).sum())
    return (bound < _EXACT_FFT_BELOW and float(fillvalue).is_integer()
            and np.array_equal(kernel, np.round(kernel)) and np.array_equal(image, np.round(image)))
