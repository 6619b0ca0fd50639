"""Cache-sized blocks for the direct strategies: shifted slices and separable passes, fast.

The engine's "vectorized" and "separable" routes compute the same sums as the lesson's
:func:`course_lib.conv.convolve_vectorized` and :func:`course_lib.conv.convolve_separable`, with
three refinements that change the speed and not the numbers:

- they never hold a whole padded copy of a large image: :class:`LazyPadded` makes the padded
  rows block by block (and blocks inside the image are read in place, not copied);
- each block is processed while it stays in the CPU cache, the sum over the kernel's rows as
  one matrix product on a strided view (:func:`products_by_blocks`);
- the scratch arrays are kept from one call to the next, and staggered against 4k aliasing
  (:class:`Buffers`).
"""

from __future__ import annotations

import math
import threading

import numpy as np

from ..padding import PadMode

# Numbers per block of the shifted-slice loops: a block's rows, its partial sums and its output
# rows together, 512 kB: about the level-2 cache of one core (512 kB to 2 MB on current CPUs).
# Smaller blocks fit the cache better but cost more numpy calls, each about a microsecond of
# Python, and more still when other code has just run: in benchmarks/bench_conv.py, which
# interleaves the competitors, 256 kB blocks gave a 3x3 kernel on 512x512 up to 1.03x the time
# of scipy.ndimage.convolve, 512 kB blocks 0.88x, 1 MB blocks 0.95x.
_BLOCK_NUMBERS = 65_536
# Scratch arrays above this many numbers (4 MB) are not kept between calls.
_KEEP_AT_MOST = 512 * 1024
# Fewest rows per block: below this, Python's per-block overhead outweighs the cache's gain.
_MIN_BLOCK_ROWS = 8


def vectorized_in_blocks(padded: np.ndarray | LazyPadded, kernel: np.ndarray) -> np.ndarray:
    """Convolve ``padded`` with ``kernel`` ("valid"): shifted slices, block by block."""
    flipped = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.empty((out_h, out_w, *padded.shape[2:]))  # (Ho, Wo[, C])
    products_by_blocks(padded, flipped, out)
    return out


def separable_in_blocks(padded: np.ndarray | LazyPadded, column: np.ndarray, row: np.ndarray
                        ) -> np.ndarray:
    """Convolve ``padded`` with ``outer(column, row)`` ("valid"): two 1-D passes a block."""
    kh, kw = len(column), len(row)
    out_h, out_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.empty((out_h, out_w, *padded.shape[2:]))  # (Ho, Wo[, C])
    step = block_rows(padded.shape, 1)
    buffers = Buffers.of_this_thread()  # scratch arrays reused by every block, and call
    for top in range(0, out_h, step):  # both passes per block of rows, while it is in cache
        rows = min(step, out_h - top)
        block = read_rows(padded, top, top + rows + kh - 1, buffers)  # (rows+kh-1, Wp[, C])
        vertical = buffers.get("vertical", (rows, *padded.shape[1:]))  # (rows, Wp[, C])
        shifted_sum(block, column[::-1, None], vertical, buffers)
        shifted_sum(vertical, row[None, ::-1], out[top:top + rows], buffers)
    return out


def products_by_blocks(padded: np.ndarray | LazyPadded, flipped: np.ndarray,
                        out: np.ndarray) -> None:
    """out[r, n] = sum_{a,b} flipped[a, b] * padded[r + a, n + b], block of rows by block.

    Each padded row is one contiguous run of numbers, so in a C-contiguous block the ``kh``
    row-shifted copies are the rows of a single strided *view* ``stacked`` (no copy).
    ``flipped.T @ stacked`` then sums over ``a`` for every ``b`` at once, and ``kw`` shifted
    additions sum over ``b``: about ``kw`` passes over memory instead of ``2 * kh * kw``.

    Where a block needs no padded row (all but the first and last blocks, in "same" mode), the
    view is taken on the image itself, so nothing is copied: the sums over ``b`` then run along
    whole rows as one flat sum, and the few columns at the left and right edge, where that
    flat sum reaches into the neighbouring row, are redone at the end from padded strips.

    The loop is lean on purpose: with blocks that fit in the cache, a 512x512 image takes some
    40 blocks, and every numpy call per block costs about a microsecond of Python. So the
    kernel's transpose and the scratch arrays are made once, before the loop.
    """
    kh, kw = flipped.shape
    out_h = out.shape[0]
    step = block_rows(padded.shape, kw)
    buffers = Buffers.of_this_thread()
    if kh == 1:  # a single row: plain shifted multiply-adds are cheaper than the product
        for top in range(0, out_h, step):
            rows = min(step, out_h - top)
            shifted_sum(read_rows(padded, top, top + rows, buffers), flipped,
                         out[top:top + rows], buffers)
        return
    channels = math.prod(padded.shape[2:])  # 1 for a grey image
    row_len = padded.shape[1] * channels  # numbers per padded row
    width = out.shape[1] * channels  # numbers per output row
    flat_out = out.reshape(out_h, width)  # a view: out is C-contiguous
    weights = np.ascontiguousarray(flipped.T)  # (kw, kh)
    partial_memory = buffers.get("partial", (kw, step * row_len))
    lazy = padded if isinstance(padded, LazyPadded) and _image_in_place(padded, out, kw) else None
    for top in range(0, out_h, step):
        rows = min(step, out_h - top)
        first = lazy.image_rows(top, top + rows + kh - 1) if lazy is not None else None
        if lazy is not None and first is not None:  # the image's own rows: no copy, a flat sum
            stacked = np.ndarray((kh, rows * width), np.float64, buffer=lazy.image,
                                 offset=first * width * 8, strides=(width * 8, 8))
            partial = np.matmul(weights, stacked, out=partial_memory[:, :rows * width])
            span = rows * width - (kw - 1) * channels  # flat outputs whose sums stay in range
            left = lazy.cols[0] * channels
            _sum_shifted_rows(partial, channels, span, flat_out[top:top + rows].reshape(-1),
                              left)
            continue
        block = read_rows(padded, top, top + rows + kh - 1, buffers)  # (rows+kh-1, Wp[, C])
        stacked = np.ndarray((kh, rows * row_len), np.float64, buffer=block,
                             strides=(row_len * 8, 8))  # (kh, rows*Wp*C): row a starts at row a
        partial = np.matmul(weights, stacked, out=partial_memory[:, :rows * row_len])
        partial = partial.reshape(kw, rows, row_len)  # (kw, rows, Wp*C)
        target = flat_out[top:top + rows]  # (rows, Wo*C)
        if kw == 1:
            np.copyto(target, partial[0, :, :width])
        else:
            np.add(partial[0, :, :width], partial[1, :, channels:channels + width], out=target)
        for b in range(2, kw):
            np.add(target, partial[b, :, b * channels:b * channels + width], out=target)
    if lazy is not None:
        _redo_edge_columns(lazy, flipped, out)


def _image_in_place(padded: LazyPadded, out: np.ndarray, kw: int) -> bool:
    """Tell whether blocks may read ``padded``'s image rows in place (see products_by_blocks).

    The image must be a C-contiguous float64 array as wide as the output ("same" width) and at
    least as wide as the kernel.
    """
    image = padded.image
    return (image.dtype == np.float64 and image.flags.c_contiguous
            and out.shape[1] == image.shape[1] >= kw)


def _sum_shifted_rows(partial: np.ndarray, channels: int, span: int, target: np.ndarray,
                      left: int) -> None:
    """target[left + j] = sum_b partial[b, j + b * channels] for j < span: the sum over ``b``."""
    kw = partial.shape[0]
    t = target[left:left + span]
    if kw == 1:
        np.copyto(t, partial[0, :span])
        return
    np.add(partial[0, :span], partial[1, channels:channels + span], out=t)
    for b in range(2, kw):
        np.add(t, partial[b, b * channels:b * channels + span], out=t)


def _redo_edge_columns(padded: LazyPadded, flipped: np.ndarray, out: np.ndarray) -> None:
    """Recompute the output columns within reach of the left and right padding.

    There the in-place flat sums of :func:`products_by_blocks` read the neighbouring row
    instead of the padding; a strip of padded columns gives the right values.
    """
    kw = flipped.shape[1]
    left, right = padded.cols
    rows = slice(0, padded.shape[0])
    padded_width = padded.shape[1]
    for columns, strip_columns in ((slice(0, left), slice(0, left + kw - 1)),
                                   (slice(out.shape[1] - right, out.shape[1]),
                                    slice(padded_width - (right + kw - 1), padded_width))):
        if columns.stop > columns.start:
            strip = padded[rows, strip_columns]  # (Hp, edge + kw - 1[, C]), made for this
            edge = np.empty((out.shape[0], columns.stop - columns.start, *out.shape[2:]))
            products_by_blocks(strip, flipped, edge)
            out[:, columns] = edge


def shifted_sum(block: np.ndarray, flipped: np.ndarray, out: np.ndarray,
                 buffers: Buffers | None = None) -> None:
    """Set ``out = sum_{a,b} flipped[a, b] * block[a:a+rows, b:b+cols]``, one multiply-add an entry."""
    rows, cols = out.shape[:2]
    kh, kw = flipped.shape
    scratch = (buffers or Buffers()).get("scratch", out.shape)
    np.multiply(block[:rows, :cols], flipped[0, 0], out=out)
    for a in range(kh):
        for b in range(kw):
            if a or b:
                np.multiply(block[a:a + rows, b:b + cols], flipped[a, b], out=scratch)
                np.add(out, scratch, out=out)


class Buffers:
    """Scratch arrays kept from one block to the next, by name.

    ``get(name, shape)`` returns a float64 array of that shape, a view into memory allocated the
    first time (and again only when a larger one is needed). Fresh arrays for every block would
    each be a new memory mapping, paid for in page faults on every block.

    Each buffer starts at its own offset past a 4 kB boundary (0, 2 kB + 64 B, ...). Arrays that
    all start on page boundaries put the block being read and the partial sums being written at
    the same low address bits, which x86 CPUs mistake for a dependence ("4k aliasing"): the
    product then ran up to 40% slower in benchmarks/bench_conv.py, depending on where malloc
    happened to place the arrays.
    """

    _PAGE = 512  # float64 numbers in 4 kB
    _per_thread = threading.local()

    def __init__(self) -> None:
        self._memory: dict[str, np.ndarray] = {}

    @classmethod
    def of_this_thread(cls) -> Buffers:
        """Return the scratch arrays kept for this thread from one call to the next.

        Fresh scratch memory on every call is paid for in page faults (some 50 per 512x512
        convolution); these few hundred kilobytes are made once per thread instead. A call
        may use them only while it runs, and not call another user of them meanwhile.
        """
        buffers = getattr(cls._per_thread, "buffers", None)
        if buffers is None:
            buffers = cls._per_thread.buffers = cls()
        return buffers

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return a scratch array of ``shape`` for ``name``, reusing its memory when it fits."""
        size = math.prod(shape)
        memory = self._memory.get(name)
        if memory is None or memory.size < size:
            slot = len(self._memory) if memory is None else list(self._memory).index(name)
            skew = (slot * (self._PAGE // 2 + 8)) % self._PAGE  # numbers past a 4 kB boundary
            raw = np.empty(size + 2 * self._PAGE)
            start = (-(raw.ctypes.data // raw.itemsize) + skew) % self._PAGE
            memory = raw[start:start + size]
            if size > _KEEP_AT_MOST:  # an exceptionally wide image: used once, not kept
                self._memory.setdefault(name, memory[:0])  # keeps its slot (and its skew)
                return memory.reshape(shape)
            self._memory[name] = memory
        return memory[:size].reshape(shape)


def read_rows(padded: np.ndarray | LazyPadded, start: int, stop: int,
               buffers: Buffers) -> np.ndarray:
    """Rows ``start..stop-1`` of ``padded``, C-contiguous, made or copied into a reused buffer."""
    if isinstance(padded, LazyPadded):
        return padded.rows_into(start, stop, buffers.get("block", (stop - start, *padded.shape[1:])))
    block = padded[start:stop]
    if block.flags.c_contiguous and block.dtype == np.float64:
        return block
    copy = buffers.get("block", block.shape)
    np.copyto(copy, block)
    return copy


def block_rows(shape: tuple[int, ...], copies: int) -> int:
    """Choose the rows per block of a padded array of ``shape``.

    A block's padded rows, its ``copies`` rows of partial sums and its output rows then hold
    about ``_BLOCK_NUMBERS`` numbers and stay in the CPU cache (at least ``_MIN_BLOCK_ROWS`` rows).
    """
    per_row = math.prod(shape[1:]) * (max(copies, 1) + 2)
    return max(_MIN_BLOCK_ROWS, _BLOCK_NUMBERS // max(per_row, 1))


class LazyPadded:
    """The array :func:`course_lib.conv.pad_image` would return, made block by block.

    ``rows`` and ``cols`` are the padding before and after the image along each axis,
    ``pad_mode`` the boundary as ``numpy.pad`` names it ("constant" fills with ``fillvalue``).

    ``lazy[start:stop]`` gives the padded rows ``start..stop-1``. The direct strategies never
    hold the whole padded copy, only a block that fits in the CPU cache.
    """

    def __init__(self, image: np.ndarray, rows: tuple[int, int], cols: tuple[int, int],
                 pad_mode: PadMode, fillvalue: float) -> None:
        self.image, self.rows, self.cols = image, rows, cols
        self.pad_mode, self.fillvalue = pad_mode, fillvalue
        self.row_sources = _pad_indices(image.shape[0], rows, pad_mode)  # (Hp,), -1 = fill
        self.col_sources = _pad_indices(image.shape[1], cols, pad_mode)  # (Wp,)
        self.shape = (len(self.row_sources), len(self.col_sources), *image.shape[2:])

    def __getitem__(self, key: slice | tuple[slice, slice]) -> np.ndarray:
        if isinstance(key, tuple):
            return self._region(*key)
        start, stop, _ = key.indices(self.shape[0])
        stop = max(start, stop)
        return self.rows_into(start, stop, np.empty((stop - start, *self.shape[1:])))

    def image_rows(self, start: int, stop: int) -> int | None:
        """Return the image row ``first`` if padded rows ``start..stop-1`` are image rows.

        That is, rows ``first..first+n-1`` of the image itself, no padded row among them;
        otherwise None.
        """
        sources = self.row_sources[start:stop]
        first = int(sources[0]) if len(sources) else -1
        # padded-row indices never step up by more than one, so a rise of n - 1 over n rows
        # means rows first..first+n-1 of the image itself
        return first if first >= 0 and int(sources[-1]) == first + len(sources) - 1 else None

    def rows_into(self, start: int, stop: int, block: np.ndarray) -> np.ndarray:
        """Write the padded rows ``start..stop-1`` into ``block`` (shape ``(n, Wp[, C])``)."""
        sources = self.row_sources[start:stop]
        left, width = self.cols[0], self.image.shape[1]
        first = self.image_rows(start, stop)
        if first is not None:
            block[:, left:left + width] = self.image[first:first + len(sources)]
        else:
            inside = sources >= 0
            block[inside, left:left + width] = self.image[sources[inside]]
            block[~inside, left:left + width] = self.fillvalue
        if self.pad_mode == "constant":
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
        region[row_src < 0] = self.fillvalue  # -1 only occurs with pad_mode "constant"
        region[:, col_src < 0] = self.fillvalue
        return region


def _pad_indices(size: int, pads: tuple[int, int], pad_mode: PadMode) -> np.ndarray:
    """Which original index each padded position copies (-1: the fill value)."""
    index = np.arange(size)
    if pad_mode == "constant":
        return np.pad(index, pads, mode="constant", constant_values=-1)
    return np.pad(index, pads, mode=pad_mode)
