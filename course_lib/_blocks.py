"""Cache-sized blocks for the direct convolution strategies of :mod:`course_lib.conv`.

The "vectorized" and "separable" strategies never hold a whole padded copy of a large image:
:class:`_LazyPadded` makes the padded rows block by block, and each block is processed while it
stays in the CPU cache. The results are the same numbers as on the whole padded image.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Each boundary as numpy.pad and scipy.ndimage name it: one table for every module that pads.
BOUNDARY_NAMES: dict[str, dict[str, Any]] = {"fill": {"numpy": "constant", "ndimage": "constant"},
                  "wrap": {"numpy": "wrap", "ndimage": "grid-wrap"},
                  "symm": {"numpy": "symmetric", "ndimage": "reflect"}}
# Numbers per block of the shifted-slice loops: a block and its accumulator stay in the CPU cache.
_BLOCK_NUMBERS = 65_536


def _row_products_sum(block: np.ndarray, flipped: np.ndarray, out: np.ndarray) -> None:
    """out[r, n] = sum_{a,b} flipped[a, b] * block[r + a, n + b], for a C-contiguous block.

    Each padded row is one contiguous run of numbers, so the ``kh`` row-shifted copies of the
    block are the rows of a single strided *view* ``stacked`` (no copy). ``flipped.T @ stacked``
    then sums over ``a`` for every ``b`` at once (BLAS), and ``kw`` shifted additions sum over
    ``b``: about ``kw`` passes over memory instead of ``2 * kh * kw``.
    """
    rows = out.shape[0]
    kh, kw = flipped.shape
    if kh == 1:  # a single row: plain shifted multiply-adds are cheaper than the product
        _shifted_sum(block, flipped, out)
        return
    channels = int(np.prod(block.shape[2:], dtype=int))  # 1 for a grey image
    row_len = block.shape[1] * channels  # numbers per padded row
    width = out.shape[1] * channels  # numbers per output row
    item = block.itemsize
    stacked = as_strided(block.reshape(-1), shape=(kh, rows * row_len),
                         strides=(row_len * item, item), writeable=False)  # (kh, rows*Wp*C)
    partial = (flipped.T @ stacked).reshape(kw, rows, row_len)  # (kw, rows, Wp*C)
    target = out.reshape(rows, width)  # a view: out is C-contiguous
    np.copyto(target, partial[0, :, :width])
    for b in range(1, kw):
        np.add(target, partial[b, :, b * channels:b * channels + width], out=target)


def _shifted_sum(block: np.ndarray, flipped: np.ndarray, out: np.ndarray) -> None:
    """Set ``out = sum_{a,b} flipped[a, b] * block[a:a+rows, b:b+cols]``, one multiply-add an entry."""
    rows, cols = out.shape[:2]
    kh, kw = flipped.shape
    scratch = np.empty_like(out)
    np.multiply(block[:rows, :cols], flipped[0, 0], out=out)
    for a in range(kh):
        for b in range(kw):
            if a or b:
                np.multiply(block[a:a + rows, b:b + cols], flipped[a, b], out=scratch)
                np.add(out, scratch, out=out)


def _block_rows(shape: tuple[int, ...], copies: int) -> int:
    """Choose the rows per block.

    ``copies`` partial images of a block then hold about 64k numbers (512 kB) and stay in the
    CPU cache.
    """
    per_row = int(np.prod(shape[1:], dtype=int)) * max(copies, 1)
    return max(2, _BLOCK_NUMBERS // max(per_row, 1))


class _LazyPadded:
    """The array ``pad_image`` would return, made block by block.

    ``lazy[start:stop]`` gives the padded rows ``start..stop-1``. The direct strategies never
    hold the whole padded copy, only a block that fits in the CPU cache.
    """

    def __init__(self, image: np.ndarray, rows: tuple[int, int], cols: tuple[int, int],
                 boundary: str, fillvalue: float) -> None:
        self.image, self.cols, self.boundary, self.fillvalue = image, cols, boundary, fillvalue
        self.row_sources = _pad_indices(image.shape[0], rows, boundary)  # (Hp,), -1 = fill
        self.col_sources = _pad_indices(image.shape[1], cols, boundary)  # (Wp,)
        self.shape = (len(self.row_sources), len(self.col_sources), *image.shape[2:])

    def __getitem__(self, key: slice | tuple[slice, slice]) -> np.ndarray:
        if isinstance(key, tuple):
            return self._region(*key)
        sources = self.row_sources[key]
        left, width = self.cols[0], self.image.shape[1]
        block = np.empty((len(sources), *self.shape[1:]))  # (n, Wp[, C])
        first = int(sources[0]) if len(sources) else 0
        if first >= 0 and np.array_equal(sources, np.arange(first, first + len(sources))):
            block[:, left:left + width] = self.image[first:first + len(sources)]  # no padding
        else:
            inside = sources >= 0
            block[inside, left:left + width] = self.image[sources[inside]]
            block[~inside, left:left + width] = self.fillvalue
        if self.boundary == "fill":
            block[:, :left] = self.fillvalue
            block[:, left + width:] = self.fillvalue
        else:
            middle = block[:, left:left + width]
            block[:, :left] = middle[:, self.col_sources[:left]]
            block[:, left + width:] = middle[:, self.col_sources[left + width:]]
        return block


    def _region(self, rows: slice, cols: slice) -> np.ndarray:
        """Pad rows ``rows`` and columns ``cols`` only (a thin band along the border)."""
        row_src, col_src = self.row_sources[rows], self.col_sources[cols]
        region = self.image[np.ix_(np.maximum(row_src, 0), np.maximum(col_src, 0))]  # (n, m[, C])
        region[row_src < 0] = self.fillvalue  # -1 only occurs with boundary "fill"
        region[:, col_src < 0] = self.fillvalue
        return region


def _pad_indices(size: int, pads: tuple[int, int], boundary: str) -> np.ndarray:
    """Which original index each padded position copies (-1: the fill value)."""
    index = np.arange(size)
    if boundary == "fill":
        return np.pad(index, pads, mode="constant", constant_values=-1)
    return np.pad(index, pads, mode=BOUNDARY_NAMES[boundary]["numpy"])
