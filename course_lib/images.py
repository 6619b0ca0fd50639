"""Offline sample images and grey/float conversion.

Every sample ships inside a package the course already depends on, so nothing is downloaded:
scikit-image (camera, astronaut, coins, coffee, chelsea), matplotlib (grace_hopper) and
scikit-learn (china, flower). Images are returned as float64 arrays in ``[0, 1]``: ``(H, W)`` for
grey, ``(H, W, 3)`` for colour.
"""

from __future__ import annotations

import io
import os
import warnings
from functools import cache

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_bool, check_int, check_real

# name -> (package it ships with, whether it is a colour photo)
SAMPLES = {
    "camera": ("scikit-image", False),
    "astronaut": ("scikit-image", True),
    "coins": ("scikit-image", False),
    "coffee": ("scikit-image", True),
    "chelsea": ("scikit-image", True),
    "grace_hopper": ("matplotlib", True),
    "china": ("scikit-learn", True),
    "flower": ("scikit-learn", True),
}
# ITU-R BT.709 luma weights, as skimage.color.rgb2gray.
_LUMA = np.array([0.2125, 0.7154, 0.0721])
# Refuse to decode images above this many pixels (a 50-megapixel photo is already huge).
MAX_PIXELS = 50_000_000


def sample_names() -> list[str]:
    """Names accepted by :func:`sample_image`.

    >>> sample_names()[:3]
    ['camera', 'astronaut', 'coins']
    """
    return list(SAMPLES)


def sample_image(name: str = "camera", *, grey: bool = False) -> np.ndarray:
    """Load a sample image shipped with the course's dependencies, as floats in ``[0, 1]``.

    Parameters
    ----------
    name : str
        One of :func:`sample_names`.
    grey : bool
        Convert a colour photo to grey (BT.709 luma); grey photos stay grey either way.

    Returns
    -------
    numpy.ndarray
        float64, ``(H, W)`` or ``(H, W, 3)``; a fresh copy the caller may modify.

    >>> image = sample_image("camera")
    >>> image.shape, image.dtype, float(image.min()) >= 0.0, float(image.max()) <= 1.0
    ((512, 512), dtype('float64'), True, True)
    >>> sample_image("astronaut", grey=True).shape
    (512, 512)
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string; got {type(name).__name__}.")
    if name not in SAMPLES:
        raise ValueError(f"`name` must be one of {', '.join(SAMPLES)}; got {name!r}.")
    grey = check_bool(grey, "grey")
    image = to_float(_load_sample(name))
    return to_grey(image) if grey else image.copy()


def load_image(source: str | os.PathLike[str] | bytes | bytearray | memoryview, *,
               grey: bool = False, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Load the user's own image from a file path or from the file's bytes.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        A path to a PNG/JPEG/... file, or its content (as a FileUpload widget gives it).
    grey : bool
        Convert to grey.
    max_pixels : int
        Refuse larger images, before decoding them.

    Returns
    -------
    numpy.ndarray
        float64 in ``[0, 1]``, ``(H, W)`` or ``(H, W, 3)`` (an alpha channel is dropped).

    >>> from course_lib.plotting import to_png
    >>> load_image(to_png(np.eye(4))).shape
    (4, 4)
    >>> load_image(b"not an image")
    Traceback (most recent call last):
    ...
    ValueError: `source` is not an image file that Pillow can read.
    """
    from PIL import Image, UnidentifiedImageError

    max_pixels = check_int(max_pixels, "max_pixels", minimum=1)
    grey = check_bool(grey, "grey")
    stream: io.BytesIO | str | os.PathLike[str]
    if isinstance(source, (bytes, bytearray, memoryview)):
        stream = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise ValueError(f"`source` must be an existing image file; got {os.fspath(source)!r}.")
        stream = source
    else:
        raise TypeError(f"`source` must be a path or bytes; got {type(source).__name__}.")
    try:
        with warnings.catch_warnings():
            # the size is checked here, before decoding: Pillow's own bomb warning is redundant
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as picture:
                width, height = picture.size
                if width * height > max_pixels:
                    raise ValueError(f"`source` is {width}x{height} pixels; at most "
                                     f"{max_pixels:,} pixels are accepted: resize it first.")
                pixels = _pil_to_array(picture)
    except Image.DecompressionBombError:  # Pillow refuses to open far larger pictures at all
        raise ValueError(f"`source` has more than {2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels; at "
                         f"most {max_pixels:,} pixels are accepted: resize it first.") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError("`source` is not an image file that Pillow can read.") from exc
    image = to_float(pixels)
    return to_grey(image) if grey else image


def to_float(image: ArrayLike) -> np.ndarray:
    """Convert an image to float64 in ``[0, 1]``.

    Integers are divided by their type's maximum (255 for ``uint8``), floats are checked to lie
    in ``[0, 1]``.

    >>> to_float(np.array([[0, 128, 255]], dtype=np.uint8))
    array([[0.        , 0.50196078, 1.        ]])
    """
    arr = np.asarray(image)
    if arr.dtype == bool:
        return arr.astype(np.float64)
    if np.issubdtype(arr.dtype, np.integer):
        if arr.size and arr.min() < 0:
            raise ValueError("`image` with an integer dtype must not hold negative values.")
        return as_float_array(arr, "image", ndim=(2, 3)) / float(np.iinfo(arr.dtype).max)
    out = as_float_array(arr, "image", ndim=(2, 3))
    if out.min() < 0.0 or out.max() > 1.0:
        raise ValueError(f"`image` of floats must lie in [0, 1]; got values in "
                         f"[{out.min():.3g}, {out.max():.3g}].")
    return out


def to_grey(image: ArrayLike) -> np.ndarray:
    """Convert an RGB(A) image to grey with the BT.709 luma weights; grey stays as it is.

    >>> to_grey(np.ones((2, 2, 3))).shape
    (2, 2)
    """
    arr = as_float_array(image, "image", ndim=(2, 3))
    if arr.ndim == 2:
        return arr.copy()
    if arr.shape[2] not in (3, 4):
        raise ValueError(f"`image` must have 3 (RGB) or 4 (RGBA) channels; got shape {arr.shape}.")
    return arr[:, :, :3] @ _LUMA  # (H, W)


def add_noise(image: ArrayLike, *, sigma: float = 0.05, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``sigma`` (reproducible with ``seed``).

    The result is not clipped, so that the noise stays zero-mean.

    >>> noisy = add_noise(np.zeros((100, 100)), sigma=0.1, seed=0)
    >>> round(float(noisy.std()), 2)
    0.1
    """
    arr = as_float_array(image, "image", ndim=(2, 3))
    sigma = check_real(sigma, "sigma", minimum=0.0)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    return arr + rng.normal(0.0, sigma, size=arr.shape)


def shrink(image: ArrayLike, *, max_side: int = 1024) -> np.ndarray:
    """Shrink ``image`` by an integer factor (block averages) until it fits ``max_side``.

    Both sides end at most ``max_side``; a small enough image is returned unchanged.

    >>> shrink(np.arange(16.0).reshape(4, 4), max_side=2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    arr = as_float_array(image, "image", ndim=(2, 3))
    max_side = check_int(max_side, "max_side", minimum=1)
    factor = int(np.ceil(max(arr.shape[:2]) / max_side))
    if factor <= 1:
        return arr
    rows, cols = arr.shape[0] // factor, arr.shape[1] // factor
    if rows == 0 or cols == 0:
        raise ValueError(f"`image` of shape {arr.shape} is too thin to shrink to {max_side} pixels.")
    blocks = arr[: rows * factor, : cols * factor].reshape(
        rows, factor, cols, factor, *arr.shape[2:])  # (h, f, w, f[, C])
    return blocks.mean(axis=(1, 3))  # (h, w[, C])


def is_colour(image: ArrayLike) -> bool:
    """Whether ``image`` has colour channels.

    >>> is_colour(np.zeros((4, 4, 3))), is_colour(np.zeros((4, 4)))
    (True, False)
    """
    return as_float_array(image, "image", ndim=(2, 3)).ndim == 3


# ------------------------------------------------------------------------------------ helpers


@cache
def _load_sample(name: str) -> np.ndarray:
    """Read the sample as stored (uint8), once per session."""
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as picture:
            pixels = _pil_to_array(picture)
    elif name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        pixels = load_sample_image(f"{name}.jpg")
    else:
        import skimage.data

        pixels = getattr(skimage.data, name)()
    pixels = np.ascontiguousarray(pixels)
    pixels.setflags(write=False)
    return pixels


def _pil_to_array(picture) -> np.ndarray:
    """uint8 (or uint16 for 16-bit grey) pixels: grey stays grey, everything else becomes RGB."""
    if picture.mode in ("L", "I;16"):
        return np.asarray(picture)
    if len(picture.getbands()) == 1:
        return np.asarray(picture.convert("L"))
    return np.asarray(picture.convert("RGB"))
