"""The FFT route, fast: transform sizes SciPy computes quickly, and the border bands apart.

It computes the same numbers as the lesson's :func:`course_lib.conv.convolve_fft`, to rounding,
with two refinements:

- the transforms have the sizes ``scipy.fft.next_fast_len`` picks, and a rank-1 kernel's
  spectrum is the outer product of two 1-D spectra (:func:`multiply_by_kernel_spectrum`);
- in "same" mode the image's interior is transformed at the image's own size, and only the thin
  bands along the border are padded (:func:`convolve_fft_same`).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from .blocks import LazyPadded

Split = tuple[np.ndarray, np.ndarray]


def convolve_fft(padded: np.ndarray, kernel: np.ndarray, split: Split | None = None) -> np.ndarray:
    """Convolve ``padded`` with ``kernel`` ("valid") by the convolution theorem.

    A circular convolution of length ``L >= Hp`` only wraps garbage into the first ``kh - 1``
    rows, which the "valid" crop removes, so no extra zero padding is needed. ``split`` is the
    kernel's rank-1 split ``(column, row)``, or None.
    """
    kh, kw = kernel.shape
    height, width = padded.shape[:2]
    shape = (scipy.fft.next_fast_len(height, real=True), scipy.fft.next_fast_len(width, real=True))
    spectrum = scipy.fft.rfft2(padded, shape, axes=(0, 1))  # (L0, L1/2+1[, C])
    multiply_by_kernel_spectrum(spectrum, kernel, shape, split)
    full = scipy.fft.irfft2(spectrum, shape, axes=(0, 1))  # (L0, L1[, C])
    return full[kh - 1:height, kw - 1:width]  # (Ho, Wo[, C])


def convolve_fft_same(padded: LazyPadded, kernel: np.ndarray, split: Split | None = None
                      ) -> np.ndarray:
    """FFT convolution in "same" mode: the interior, then the border bands.

    Far enough from the border (the "valid" region of the unpadded image) the padding plays no
    part, so the interior is an FFT of the image itself: of size ``next_fast_len(H)`` (512 for a
    512-pixel image) instead of ``next_fast_len(H + kh - 1)`` (540). The four thin bands along
    the border are small FFT convolutions of the padded array. ``padded`` must add ``kh - 1``
    rows and ``kw - 1`` columns in all (the "same" output has the image's size).
    """
    (top, bottom), (left, right) = padded.rows, padded.cols
    kh, kw = kernel.shape
    height, width = padded.image.shape[:2]
    if height < kh or width < kw:  # no interior: one FFT of the whole padded array
        return convolve_fft(padded[0:padded.shape[0]], kernel, split)
    out = np.empty((height, width, *padded.shape[2:]))  # (H, W[, C])
    out[top:height - bottom, left:width - right] = convolve_fft(padded.image, kernel, split)
    if top:
        out[:top] = convolve_fft(padded[:top + kh - 1], kernel, split)
    if bottom:
        out[height - bottom:] = convolve_fft(padded[height - bottom:], kernel, split)
    middle = slice(top, height - bottom + kh - 1)  # padded rows feeding the interior rows
    if left:
        out[top:height - bottom, :left] = convolve_fft(padded[middle, :left + kw - 1], kernel,
                                                       split)
    if right:
        out[top:height - bottom, width - right:] = convolve_fft(
            padded[middle, width - right:], kernel, split)
    return out


def multiply_by_kernel_spectrum(spectrum: np.ndarray, kernel: np.ndarray, shape: tuple[int, int],
                                split: Split | None = None) -> None:
    """Compute ``spectrum *= rfft2(kernel, shape)`` in place, cheaply.

    A rank-1 kernel ``outer(u, v)`` (``split = (u, v)``) has the separable spectrum
    ``outer(fft(u), rfft(v))``, applied as two broadcast products; otherwise the row transforms
    run on the kernel's few rows only.
    """
    extra = (None,) * (spectrum.ndim - 2)  # broadcast over colour channels
    if split is not None:
        column, row = split
        spectrum *= scipy.fft.fft(column, n=shape[0])[(slice(None), None, *extra)]
        spectrum *= scipy.fft.rfft(row, n=shape[1])[(None, slice(None), *extra)]
        return
    rows = scipy.fft.rfft(kernel, n=shape[1], axis=1)  # (kh, L1/2+1)
    spectrum *= scipy.fft.fft(rows, n=shape[0], axis=0)[(Ellipsis, *extra)]  # (L0, L1/2+1)
