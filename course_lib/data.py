"""Data sets, all offline and deterministic for a seed.

Their preprocessing is in :mod:`course_lib.preprocessing`.

- :func:`load_digits_split`: scikit-learn's bundled 8x8 handwritten digits, as a stratified
  train/test split of torch tensors.
- :func:`split_validation`: a validation set held out of a training set, for choosing
  hyperparameters without looking at the test set.
- :func:`make_shapes`: generated 32x32 pictures of circles, squares, triangles and lines, with
  noise. Telling them apart is a matter of edges and corners, the features of chapter 1.
- :func:`load_idx` / :func:`load_mnist`: the IDX files of MNIST and Fashion-MNIST, for readers
  who have them; :func:`download_mnist` fetches them (never called by the course itself).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ._checks import check_choice, check_int, check_real, check_size
from ._types import DataPair, PathLike

__all__ = [
    "FASHION_MNIST_FILES",
    "MNIST_FILES",
    "SHAPE_NAMES",
    "DigitsSplit",
    "download_mnist",
    "load_digits_split",
    "load_idx",
    "load_mnist",
    "make_shapes",
    "split_validation",
]


# --- scikit-learn digits -------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class DigitsSplit:
    """A train/test split of images and labels, as torch tensors."""

    x_train: torch.Tensor  # (N_train, 1, H, W) float32 in [0, 1]
    y_train: torch.Tensor  # (N_train,) int64 class indices
    x_test: torch.Tensor  # (N_test, 1, H, W) float32 in [0, 1]
    y_test: torch.Tensor  # (N_test,) int64 class indices

    @property
    def train(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_train, y_train)``, the form :func:`course_lib.train.fit` takes."""
        return self.x_train, self.y_train

    @property
    def test(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_test, y_test)``."""
        return self.x_test, self.y_test

    def __repr__(self) -> str:
        shape = tuple(self.x_train.shape[1:])
        return (f"DigitsSplit(train={len(self.y_train)}, test={len(self.y_test)}, "
                f"image shape={shape}, classes={int(self.y_train.max()) + 1})")


def load_digits_split(*, test_size: float = 0.25, seed: int = 0) -> DigitsSplit:
    """scikit-learn's 1797 handwritten 8x8 digits, split into train and test sets.

    The pixel values (0 to 16 in the original) are scaled to [0, 1]. The split is stratified
    (every digit keeps its share in both halves) and fixed by ``seed``.

    Parameters
    ----------
    test_size : float
        Fraction of the images kept for testing, strictly between 0 and 1.
    seed : int
        Seed of the shuffle before splitting.

    Returns
    -------
    DigitsSplit
        ``x_train`` (N, 1, 8, 8) float32, ``y_train`` (N,) int64, ``x_test``, ``y_test``.

    Examples
    --------
    >>> split = load_digits_split()
    >>> split
    DigitsSplit(train=1347, test=450, image shape=(1, 8, 8), classes=10)
    >>> split.x_train.dtype, split.y_train.dtype
    (torch.float32, torch.int64)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = check_real(test_size, "test_size", positive=True, maximum=0.9)
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8)
    labels = digits.target.astype(np.int64)  # (1797,)
    x_tr, x_te, y_tr, y_te = train_test_split(images, labels, test_size=test_size,
                                              random_state=seed, stratify=labels)
    return DigitsSplit(torch.from_numpy(x_tr), torch.from_numpy(y_tr),
                       torch.from_numpy(x_te), torch.from_numpy(y_te))


def split_validation(data: DataPair, *, val_size: float = 0.2, seed: int = 0
                     ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Hold a validation set out of a training set: ``(train, validation)`` pairs.

    Choose hyperparameters (learning rate, epochs, model size) on the validation set and keep
    the test set for one final report: a choice made on the test set makes its accuracy an
    optimistic estimate. The split is stratified (every class keeps its share) and fixed by
    ``seed``; the two parts are disjoint and together hold every training example once.

    Parameters
    ----------
    data : (x, y) pair
        Images ``(N, ...)`` and integer labels ``(N,)``, e.g. ``load_digits_split().train``.
    val_size : float
        Fraction of the examples held out for validation, strictly between 0 and 1.
    seed : int
        Seed of the shuffle before splitting.

    Returns
    -------
    ((x_train, y_train), (x_val, y_val))
        Tensors of the same dtypes as the input.

    Examples
    --------
    >>> (x_tr, y_tr), (x_val, y_val) = split_validation(load_digits_split().train, val_size=0.2)
    >>> len(y_tr), len(y_val)
    (1077, 270)
    """
    from sklearn.model_selection import train_test_split

    x, y = _as_pair(data, "data")
    val_size = check_real(val_size, "val_size", positive=True, maximum=0.9)
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    counts = torch.bincount(y)
    if int(counts[counts > 0].min()) < 2:
        raise ValueError("`data` needs at least 2 examples of every class to stratify a validation "
                         f"split; its class counts are {counts.tolist()}.")
    train_idx, val_idx = train_test_split(np.arange(len(y)), test_size=val_size, random_state=seed,
                                          stratify=y.numpy())
    train_idx, val_idx = torch.from_numpy(train_idx), torch.from_numpy(val_idx)
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])


def _as_pair(data, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Check an ``(images, labels)`` pair: tensors of equal length, integer labels."""
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(f"`{name}` must be an (images, labels) pair; got {type(data).__name__}.")
    x, y = (torch.as_tensor(v) for v in data)
    if y.ndim != 1 or y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ValueError(f"`{name}`: the labels must be a 1-D integer tensor; got shape "
                         f"{tuple(y.shape)} and dtype {y.dtype}.")
    if len(x) != len(y):
        raise ValueError(f"`{name}` holds {len(x)} images but {len(y)} labels; they must match.")
    return x, y.long()


# --- generated shapes ----------------------------------------------------------------------

SHAPE_NAMES: tuple[str, ...] = ("circle", "square", "triangle", "line")


def _regular_polygon_mask(xx, yy, cx, cy, radius, sides, angle) -> np.ndarray:
    """Inside test of a convex regular polygon: on the inner side of every edge."""
    k = np.arange(sides)
    vx = cx + radius * np.cos(angle + 2 * np.pi * k / sides)  # (sides,)
    vy = cy + radius * np.sin(angle + 2 * np.pi * k / sides)
    inside = np.ones(xx.shape, dtype=bool)
    for i in range(sides):
        ax, ay, bx, by = vx[i], vy[i], vx[(i + 1) % sides], vy[(i + 1) % sides]
        inside &= (bx - ax) * (yy - ay) - (by - ay) * (xx - ax) >= 0  # counter-clockwise
    return inside


def _segment_mask(xx, yy, cx, cy, half_length, angle, half_width) -> np.ndarray:
    """Points within ``half_width`` of a segment centred at (cx, cy)."""
    dx, dy = np.cos(angle), np.sin(angle)
    along = (xx - cx) * dx + (yy - cy) * dy
    across = -(xx - cx) * dy + (yy - cy) * dx
    return (np.abs(along) <= half_length) & (np.abs(across) <= half_width)


def _draw_shape(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    radius = rng.uniform(0.22, 0.4) * size
    cx, cy = rng.uniform(radius, size - radius, size=2)
    angle = rng.uniform(0, 2 * np.pi)
    if label == 0:  # circle
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2
    elif label == 1:  # square: a regular 4-gon, circumradius chosen so it looks as big
        mask = _regular_polygon_mask(xx, yy, cx, cy, radius * 1.15, 4, angle)
    elif label == 2:  # triangle
        mask = _regular_polygon_mask(xx, yy, cx, cy, radius * 1.25, 3, angle)
    else:  # line
        half_width = max(0.06 * size, 0.75)
        mask = _segment_mask(xx, yy, cx, cy, radius * 1.1, angle, half_width)
    foreground, background = rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.3)
    return np.where(mask, foreground, background)


MAX_SHAPE_PIXELS = 2**24
"""The most pixels ``make_shapes`` draws in one call (it holds about four float64 copies)."""


def make_shapes(n: int, *, size: int = 32, seed: int = 0,
                noise: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``n`` grey images of circles, squares, triangles and lines, with noise.

    Each image holds one filled shape of random size, position, rotation and brightness on a
    darker background, plus Gaussian pixel noise of standard deviation ``noise``; values are
    clipped to [0, 1]. Classes take turns, so the four are balanced, and the order is then
    shuffled. The same ``seed`` always gives the same images.

    Parameters
    ----------
    n : int
        Number of images.
    size : int
        Height and width in pixels (at least 8). ``n * size**2`` may be at most
        :data:`MAX_SHAPE_PIXELS` (16,777,216: e.g. 16,384 images of 32x32).
    seed : int
        Seed of the random generator.
    noise : float
        Standard deviation of the additive Gaussian noise (0 for none).

    Returns
    -------
    images : torch.Tensor
        (n, 1, size, size) float32 in [0, 1].
    labels : torch.Tensor
        (n,) int64, indices into :data:`SHAPE_NAMES`.

    Examples
    --------
    >>> images, labels = make_shapes(8, size=16)
    >>> tuple(images.shape), images.dtype, labels.dtype
    ((8, 1, 16, 16), torch.float32, torch.int64)
    >>> [SHAPE_NAMES[i] for i in sorted(labels.tolist())][::2]
    ['circle', 'square', 'triangle', 'line']
    """
    n = check_int(n, "n", minimum=1, maximum=1_000_000)
    size = check_int(size, "size", minimum=8, maximum=512)
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    noise = check_real(noise, "noise", minimum=0.0, maximum=1.0)
    check_size(n * size * size, "n", f"= {n} images of {size}x{size}", limit=MAX_SHAPE_PIXELS,
               what="an image stack")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(SHAPE_NAMES))  # balanced, shuffled
    images = np.stack([_draw_shape(int(k), size, rng) for k in labels])  # (n, size, size)
    images = np.clip(images + noise * rng.standard_normal(images.shape), 0.0, 1.0)
    x = torch.from_numpy(images.astype(np.float32)[:, None])  # (n, 1, size, size)
    return x, torch.from_numpy(labels.astype(np.int64))


# --- IDX files (MNIST, Fashion-MNIST) ------------------------------------------------------

_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

# The published MD5 checksums of the gzipped files (the same as torchvision's).
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
FASHION_MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_bytes(path: Path) -> bytes:
    """Read the file's bytes, un-gzipped if it starts with the gzip magic number."""
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"`path` {str(path)!r} is a damaged gzip file ({exc}).") from exc


def load_idx(path: PathLike, *, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (the format of MNIST and Fashion-MNIST), gzipped or not.

    The header is two zero bytes, a type code (0x08 for uint8, ...), the number of dimensions,
    then each dimension as a big-endian 32-bit integer; the values follow, big-endian.

    Parameters
    ----------
    path : str or pathlib.Path
        The file; ``.gz`` compression is detected from its first bytes, not its name.
    sha256 : str, optional
        Expected SHA-256 of the file as stored on disk; a mismatch raises ``ValueError``.

    Returns
    -------
    numpy.ndarray
        The array, in native byte order.

    Examples
    --------
    >>> import tempfile, os
    >>> raw = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     name = os.path.join(folder, "tiny-idx2-ubyte")
    ...     _ = open(name, "wb").write(raw)
    ...     load_idx(name)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"`path` must be a str or pathlib.Path; got {type(path).__name__}.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path`: no IDX file at {str(path)!r}.")
    if sha256 is not None:
        actual = _file_digest(path, "sha256")
        if actual != str(sha256).lower():
            raise ValueError(f"`sha256` check failed for {path.name}: expected {sha256}, "
                             f"the file has {actual}. The file is damaged or a different one.")
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"`path` {path.name!r} is not an IDX file: it does not start with the "
                         f"IDX magic number (00 00 type ndim); got {data[:4].hex(' ') or 'nothing'}.")
    dtype, ndim = _IDX_TYPES[data[2]], data[3]
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise ValueError(f"`path` {path.name!r} is truncated: its header promises {ndim} "
                         f"dimensions but the file ends after {len(data)} bytes.")
    shape = struct.unpack(f">{ndim}I", data[4:header_end])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    found = len(data) - header_end
    if found != expected:
        state = "truncated" if found < expected else "longer than its header says"
        raise ValueError(f"`path` {path.name!r} is {state}: shape {shape} of {dtype.name} needs "
                         f"{expected:,} bytes of data, found {found:,}.")
    array = np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _find_file(root: Path, name: str) -> Path:
    for candidate in (root / name, root / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"`root`: {name} (or its un-gzipped form) is not in {str(root)!r}. "
                            "Copy the MNIST files there, or call download_mnist(root) when online.")


def load_mnist(root: PathLike, *, split: str = "train",
               check: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Load MNIST or Fashion-MNIST (same file names) from the IDX files in folder ``root``.

    Parameters
    ----------
    root : str or pathlib.Path
        Folder holding ``train-images-idx3-ubyte(.gz)`` and the three other files.
    split : {"train", "test"}
        Which half to load.
    check : bool
        Verify the gzipped files against the published MNIST or Fashion-MNIST MD5 sums.

    Returns
    -------
    images : torch.Tensor
        (N, 1, 28, 28) float32 in [0, 1].
    labels : torch.Tensor
        (N,) int64.
    """
    if not isinstance(root, (str, Path)):
        raise TypeError(f"`root` must be a folder, as a str or pathlib.Path; got "
                        f"{type(root).__name__}.")
    root = Path(root)
    check_choice(split, "split", ("train", "test"))
    prefix = "train" if split == "train" else "t10k"
    paths = [_find_file(root, f"{prefix}-{kind}.gz")
             for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
    if check:
        for path in paths:
            _check_md5(path)
    images, labels = (load_idx(p) for p in paths)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"`root`: images {images.shape} and labels {labels.shape} do not match.")
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]  # (N, 1, 28, 28)
    return x, torch.from_numpy(labels.astype(np.int64))


def _check_md5(path: Path) -> None:
    known = {digest for digest in (MNIST_FILES.get(path.name), FASHION_MNIST_FILES.get(path.name))
             if digest is not None}
    if not known:
        raise ValueError(f"`check`: no published checksum for {path.name} (only the .gz files "
                         "have one).")
    actual = _file_digest(path, "md5")
    if actual not in known:
        raise ValueError(f"`check` failed: {path.name} has MD5 {actual}, not the published "
                         f"{' or '.join(sorted(known))}.")


def download_mnist(root: PathLike, *, fashion: bool = False, base_url: str | None = None) -> Path:
    """Download the four MNIST (or Fashion-MNIST) files into ``root`` and verify them.

    Needs an internet connection; the course never calls it. Files already present with the
    right checksum are kept.

    Returns
    -------
    pathlib.Path
        The folder, ready for :func:`load_mnist`.
    """
    import urllib.request

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    files = FASHION_MNIST_FILES if fashion else MNIST_FILES
    base = base_url or (FASHION_MNIST_URL if fashion else MNIST_URL)
    for name, md5 in files.items():
        target = root / name
        if target.is_file() and _file_digest(target, "md5") == md5:
            continue
        partial = target.with_suffix(".part")
        urllib.request.urlretrieve(base + name, partial)
        if _file_digest(partial, "md5") != md5:
            partial.unlink()
            raise ValueError(f"downloaded {name} does not match its published MD5 {md5}.")
        partial.replace(target)
    return root
