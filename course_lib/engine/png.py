"""PNG bytes of a picture, fast: the encoder behind every widget update.

Widgets re-render on every slider move, so the encoding of a 512x512 picture is on the path of
each update. :func:`encode_png` writes the PNG itself: each row stored as its difference from
the row above (PNG's "Up" filter, exact in uint8 arithmetic), then deflated at zlib's fastest
level with its run-length strategy, in pieces compressed side by side on a multi-core CPU.

Own encoder or Pillow's? Decided by ``make bench`` (``benchmarks/bench_conv.py`` encodes the
kernel explorer's pictures with both, side by side) and by the pixel checks of the tests (every
encoding is decoded by Pillow, an independent reader, and compared pixel for pixel): on the
course's 2-core AMD EPYC (AVX2), 2026-12-04, Pillow at its fastest level (``compress_level=1``,
its adaptive row filters) took 2.5 to 4.5 times as long as this encoder on the explorer's
512x512 colour pictures (32-57 ms against 12-16 ms, measured beside other work, load average
7.5), for files of the same size within 10%. So the engine keeps its own encoder, and Pillow
stays the reference that checks it. ``benchmarks/bench_conv.py`` prints the comparison again on
any machine.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_PNG_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type (grey, RGB, RGBA)
# Deflate in parallel when there is this much to compress (bytes), in pieces of at least half.
_PARALLEL_DEFLATE_FROM = 256 * 1024
_MAX_PIECES = 4


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a ``uint8`` image (H, W), (H, W, 3) or (H, W, 4), built for speed.

    ``benchmarks/bench_conv.py`` times it against zlib's default strategy and Pillow's encoder.

    >>> import io
    >>> from PIL import Image
    >>> pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    >>> np.array_equal(np.asarray(Image.open(io.BytesIO(encode_png(pixels)))), pixels)
    True
    """
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise TypeError(f"`pixels` must be a uint8 numpy array; got "
                        f"{getattr(pixels, 'dtype', type(pixels).__name__)}.")
    channels = 1 if pixels.ndim == 2 else pixels.shape[-1] if pixels.ndim == 3 else 0
    if channels not in _PNG_COLOUR_TYPES or pixels.size == 0:
        raise ValueError(f"`pixels` must have shape (H, W), (H, W, 3) or (H, W, 4) with H, W > 0; "
                         f"got {pixels.shape}.")
    height, width = pixels.shape[:2]
    filtered = up_filtered(pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOUR_TYPES[channels], 0, 0, 0)
    data = deflate(filtered.reshape(-1).data)  # a memoryview: the pieces are not copied
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))


def up_filtered(pixels: np.ndarray) -> np.ndarray:
    """PNG's scanlines of a checked ``uint8`` image, each row stored as its "Up" difference.

    Shape ``(H, W * channels + 1)``: a filter-type byte (2, "Up") then the row minus the row
    above, modulo 256 (the first row's "above" is zeros).

    >>> up_filtered(np.array([[1, 2], [4, 1]], dtype=np.uint8))
    array([[  2,   1,   2],
           [  2,   3, 255]], dtype=uint8)
    """
    rows = np.ascontiguousarray(pixels).reshape(pixels.shape[0], -1)
    filtered = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    filtered[:, 0] = 2
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # wraps modulo 256, as PNG wants
    return filtered


def deflate(data: memoryview | bytes, *, pieces: int | None = None) -> bytes:
    """Compress ``data`` into one zlib stream, in ``pieces`` compressed side by side.

    zlib's fastest level with its run-length strategy: after PNG's "Up" filter, flat regions are
    runs of zeros (``benchmarks/bench_conv.py`` compares it with the default strategy). A large
    picture is cut into pieces compressed in threads (zlib lets go of Python's lock while it
    works), the way ``pigz`` does: each piece is a raw deflate stream ended by a sync flush, the
    last one by the final block, and the zlib header and the Adler-32 checksum of the whole wrap
    them. The pieces share no history, which costs under 0.1% of the size here. ``pieces``
    defaults to one per usable core (at most 4), and to 1 below 256 kB.

    >>> zlib.decompress(deflate(bytes(1000), pieces=3)) == bytes(1000)
    True
    """
    data = memoryview(data)
    if pieces is None:
        pieces = min(_MAX_PIECES, usable_cores(), len(data) // (_PARALLEL_DEFLATE_FROM // 2))
    pieces = max(1, min(pieces, len(data)))
    if pieces < 2:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
        return compressor.compress(data) + compressor.flush()
    cuts = [len(data) * i // pieces for i in range(pieces + 1)]
    jobs = [_thread_pool().submit(_raw_deflate, data[cuts[i]:cuts[i + 1]], i == pieces - 1)
            for i in range(pieces)]
    body = b"".join(job.result() for job in jobs)
    return b"\x78\x01" + body + struct.pack(">I", zlib.adler32(data))  # 0x7801: fastest level


def _raw_deflate(piece: memoryview, last: bool) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15, 9, zlib.Z_RLE)  # raw: no header, no checksum
    return compressor.compress(piece) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


_POOL_LOCK = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _thread_pool() -> ThreadPoolExecutor:
    """Return this process's pool of PNG threads, made on first use.

    A child made with ``fork`` inherits the parent's pool object but none of its threads, so
    its work would wait forever: each process makes its own.
    """
    global _pool, _pool_pid
    with _POOL_LOCK:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=_MAX_PIECES, thread_name_prefix="course-png")
            _pool_pid = os.getpid()
        return _pool


def usable_cores() -> int:
    """Return the number of CPU cores this process may run on (its affinity, where it has one).

    >>> usable_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
