"""Kernel builders and filters, thin over :mod:`course_lib.conv`.

Kernels are written for **convolution** (``convolve2d``), the operation of the notes and of
``scipy.signal.convolve2d``; the derivative kernels are signed so that a convolution gives the
derivative with its natural sign (positive where the image gets brighter to the right, or
downwards). Written as a correlation template, as most slides and every CNN layer do, the same
kernel appears flipped: the central difference ``[1, 0, -1] / 2`` reads ``[-1, 0, 1] / 2``.

Axes: ``axis=1`` is x (columns, left to right), ``axis=0`` is y (rows, top to bottom).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.ndimage
from numpy.typing import ArrayLike

from ._checks import (
    _describe,
    as_float_array,
    check_choice,
    check_int,
    check_int_pair,
    check_real,
    check_size,
    count_text,
)
from .conv import convolve2d
from .padding import BOUNDARIES, Padding

# median_filter refuses more than this many window entries in total (pixels x size**2): about
# three seconds. A 31x31 median of a 512x512 grey image is 252 million.
MEDIAN_MAX_WORK = 2**29

# ------------------------------------------------------------------------------------ kernels


def identity_kernel(size: int = 3) -> np.ndarray:
    """Build a ``size x size`` kernel with a single 1 in the centre: filtering changes nothing.

    >>> identity_kernel(3)
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]])
    """
    size = _check_odd(size, "size")
    check_size(size * size, "size", size, what=f"a {size}x{size} kernel")
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def shift_kernel(dx: int = 0, dy: int = 0, *, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Build a kernel that moves the picture ``dx`` pixels right and ``dy`` down (convolution).

    Convolution gives ``f[m, n] = I[m - dy, n - dx]``: the 1 sits at offset ``(dy, dx)`` from the
    centre. The default shape is the smallest centred one, ``(2|dy| + 1, 2|dx| + 1)``.

    >>> shift_kernel(dx=-3)  # the notes' "shift by 3 pixels": content moves 3 pixels left
    array([[1., 0., 0., 0., 0., 0., 0.]])
    """
    dx, dy = check_int(dx, "dx"), check_int(dy, "dy")
    name = "shape"
    if shape is None:
        name, shape = ("dx" if abs(dx) >= abs(dy) else "dy"), (2 * abs(dy) + 1, 2 * abs(dx) + 1)
    rows, cols = _check_shape(shape, "shape")
    if abs(dy) > rows // 2 or abs(dx) > cols // 2:
        raise ValueError(f"`shape` {shape} is too small for a shift of (dy, dx) = ({dy}, {dx}); "
                         f"it needs at least {(2 * abs(dy) + 1, 2 * abs(dx) + 1)}.")
    check_size(rows * cols, name, dx if name == "dx" else dy if name == "dy" else shape,
               what=f"a {rows}x{cols} kernel")
    kernel = np.zeros((rows, cols))
    kernel[rows // 2 + dy, cols // 2 + dx] = 1.0
    return kernel


def box_kernel(size: int | tuple[int, int] = 3) -> np.ndarray:
    """Build the average (box, mean) filter: all weights equal, summing to 1.

    ``size`` is an odd integer (square) or a ``(rows, cols)`` pair of odd integers.

    >>> box_kernel(3) * 9
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    >>> box_kernel((1, 3))
    array([[0.33333333, 0.33333333, 0.33333333]])
    """
    if isinstance(size, (tuple, list)):
        rows, cols = _check_shape(size, "size")
    else:
        rows = cols = _check_odd(size, "size")
    check_size(rows * cols, "size", size, what=f"a {rows}x{cols} kernel")
    return np.full((rows, cols), 1.0 / (rows * cols))


def gaussian_kernel_1d(sigma: float, *, size: int | None = None) -> np.ndarray:
    """Sample ``exp(-x^2 / (2 sigma^2))`` at ``x = -r..r``, normalised to sum 1.

    The default ``size`` is ``2 * ceil(3 sigma) + 1``: three standard deviations each side hold
    99.7% of the bell.

    >>> gaussian_kernel_1d(1.0).round(4)
    array([0.0044, 0.054 , 0.242 , 0.3991, 0.242 , 0.054 , 0.0044])
    """
    sigma, size, name = _gaussian_size(sigma, size)
    check_size(size, name, sigma if name == "sigma" else size, what=f"a kernel of {count_text(size)} taps")
    x = np.arange(size) - size // 2  # (size,)
    with np.errstate(over="ignore"):  # a tiny sigma: exp(-inf) = 0 is right
        weights = np.exp(-0.5 * (x / sigma) ** 2)  # x / sigma first: sigma**2 may underflow
    return weights / weights.sum()


def gaussian_kernel(sigma: float, *, size: int | None = None) -> np.ndarray:
    """Build the 2-D Gaussian kernel ``G(x, y) = exp(-(x^2 + y^2) / (2 sigma^2)) / Z``, summing to 1.

    It is the outer product of two 1-D Gaussians, hence separable. The default ``size`` is
    ``2 * ceil(3 sigma) + 1``.

    >>> gaussian_kernel(0.5, size=3).round(3)
    array([[0.011, 0.084, 0.011],
           [0.084, 0.619, 0.084],
           [0.011, 0.084, 0.011]])
    """
    _check_square_gaussian(sigma, size)
    row = gaussian_kernel_1d(sigma, size=size)  # (size,)
    return np.outer(row, row)  # (size, size)


def gaussian_derivative_kernel(sigma: float, *, axis: int = 1, size: int | None = None) -> np.ndarray:
    """Build the derivative of a Gaussian along ``axis``: ``dG/dx = -x / sigma^2 * G``.

    Convolving with it smooths and differentiates in one step, since
    ``d/dx (G * I) = (dG/dx) * I``.

    >>> k = gaussian_derivative_kernel(1.0)
    >>> k.shape, bool(k[3, 0] > 0 > k[3, 6]), abs(float(k.sum())) < 1e-15
    ((7, 7), True, True)
    """
    axis = _check_axis(axis)
    _check_square_gaussian(sigma, size)
    smooth = gaussian_kernel_1d(sigma, size=size)  # (size,)
    x = np.arange(smooth.size) - smooth.size // 2
    with np.errstate(all="ignore"):
        derivative = -x / sigma**2 * smooth  # (size,)
    derivative[~np.isfinite(derivative)] = 0.0  # sigma below 1e-154: sigma**2 underflows to 0
    kernel = np.outer(smooth, derivative)  # (size, size): varies along x
    return kernel if axis == 1 else kernel.T


def sharpen_kernel(amount: float = 1.0, *, size: int = 3) -> np.ndarray:
    """Sharpening: the image plus ``amount`` times its detail (image minus its box blur).

    ``(1 + amount) * identity - amount * box``; with ``amount=1`` this is the classic
    ``2 * identity - box``. Its weights sum to 1, so flat areas keep their brightness.

    >>> (sharpen_kernel() * 9).round(6)
    array([[-1., -1., -1.],
           [-1., 17., -1.],
           [-1., -1., -1.]])
    """
    amount = check_real(amount, "amount", minimum=0.0)
    return (1.0 + amount) * identity_kernel(size) - amount * box_kernel(size)


def difference_kernel(*, axis: int = 1, kind: str = "central") -> np.ndarray:
    """Finite-difference derivative, as a 3-tap convolution kernel along ``axis``.

    ``"forward"``: ``I[n+1] - I[n]``; ``"backward"``: ``I[n] - I[n-1]``; ``"central"``:
    ``(I[n+1] - I[n-1]) / 2``.

    >>> difference_kernel()
    array([[ 0.5,  0. , -0.5]])
    >>> difference_kernel(axis=0, kind="forward").ravel()
    array([ 1., -1.,  0.])
    """
    axis = _check_axis(axis)
    kind = check_choice(kind, "kind", ("central", "forward", "backward"))
    taps = {"central": [0.5, 0.0, -0.5], "forward": [1.0, -1.0, 0.0],
            "backward": [0.0, 1.0, -1.0]}[kind]
    kernel = np.array([taps])  # (1, 3)
    return kernel if axis == 1 else kernel.T


def sobel_kernel(*, axis: int = 1) -> np.ndarray:
    """Sobel: a central difference along ``axis`` smoothed by ``[1, 2, 1]`` across it.

    >>> sobel_kernel()
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]])
    """
    return _smoothed_difference(np.array([1.0, 2.0, 1.0]), axis)


def prewitt_kernel(*, axis: int = 1) -> np.ndarray:
    """Prewitt: a central difference along ``axis`` averaged by ``[1, 1, 1]`` across it.

    >>> prewitt_kernel(axis=0)
    array([[ 1.,  1.,  1.],
           [ 0.,  0.,  0.],
           [-1., -1., -1.]])
    """
    return _smoothed_difference(np.array([1.0, 1.0, 1.0]), axis)


def laplacian_kernel(*, neighbours: int = 4) -> np.ndarray:
    """Build the discrete Laplacian ``d2I/dx2 + d2I/dy2`` with 4 or 8 neighbours.

    >>> laplacian_kernel()
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    """
    if neighbours not in (4, 8) or isinstance(neighbours, bool):
        raise ValueError(f"`neighbours` must be 4 or 8; got {neighbours!r}.")
    if neighbours == 4:
        return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    kernel = np.ones((3, 3))
    kernel[1, 1] = -8.0
    return kernel


def preset_kernels() -> dict[str, np.ndarray]:
    """Named 3x3 and 5x5 kernels, as offered by the kernel explorer (fresh arrays each call).

    >>> list(preset_kernels())[:3]
    ['identity', 'shift right 1', 'box 3x3']
    """
    return {
        "identity": identity_kernel(3),
        "shift right 1": shift_kernel(dx=1, shape=(3, 3)),
        "box 3x3": box_kernel(3),
        "box 5x5": box_kernel(5),
        "gaussian 5x5 (sigma 1)": gaussian_kernel(1.0, size=5),
        "sharpen": sharpen_kernel(),
        "sobel x": sobel_kernel(axis=1),
        "sobel y": sobel_kernel(axis=0),
        "prewitt x": prewitt_kernel(axis=1),
        "prewitt y": prewitt_kernel(axis=0),
        "laplacian": laplacian_kernel(),
        "notes 1.1.0 kernel": np.array([[-1.0, 0.0, 1.0]] * 3),
    }


# ------------------------------------------------------------------------------------ filters


def box_blur(image: ArrayLike, size: int = 3, *, boundary: str = "symm") -> np.ndarray:
    """Average each pixel with its ``size x size`` neighbourhood.

    >>> box_blur(np.ones((4, 4)), 3).round(12)[0, 0]  # flat stays flat (symmetric border)
    np.float64(1.0)
    """
    return convolve2d(image, box_kernel(size), boundary=_check_boundary(boundary))


def gaussian_blur(image: ArrayLike, sigma: float, *, size: int | None = None,
                  boundary: str = "symm") -> np.ndarray:
    """Blur with a Gaussian of standard deviation ``sigma`` pixels, as two 1-D passes.

    The 2-D Gaussian is the outer product of two 1-D ones, so the blur is a vertical pass
    with the 1-D kernel followed by a horizontal one (the same result as
    ``convolve2d(image, gaussian_kernel(sigma))``): ``2 * size`` multiply-adds per pixel, never
    the ``size x size`` kernel. See :func:`separable_filter`.

    >>> gaussian_blur(np.ones((5, 5)), 1.0).round(12).max()
    np.float64(1.0)
    """
    taps = gaussian_kernel_1d(sigma, size=size)  # (size,)
    return separable_filter(image, taps, taps, boundary=boundary)


def separable_filter(image: ArrayLike, column: ArrayLike, row: ArrayLike, *,
                     boundary: str = "symm") -> np.ndarray:
    """Convolve with the separable kernel ``outer(column, row)`` as two 1-D passes.

    A vertical pass with ``column``, then a horizontal one with ``row`` ("same" size): ``kh +
    kw`` multiply-adds per pixel instead of ``kh * kw``, with the same result as
    ``convolve2d(image, np.outer(column, row))`` up to rounding.

    >>> image = np.arange(25.0).reshape(5, 5)
    >>> both = separable_filter(image, [1, 2, 1], [1, 0, -1])   # Sobel x, in two passes
    >>> bool(np.allclose(both, convolve2d(image, sobel_kernel(), boundary="symm")))
    True
    """
    boundary = _check_boundary(boundary)
    taps = [as_float_array(v, name, ndim=1) for v, name in ((column, "column"), (row, "row"))]
    vertical = convolve2d(image, taps[0][:, None], boundary=boundary)  # (H, W[, C])
    return convolve2d(vertical, taps[1][None, :], boundary=boundary)


def sharpen(image: ArrayLike, amount: float = 1.0, *, size: int = 3, boundary: str = "symm") -> np.ndarray:
    """Sharpen: ``image + amount * (image - box_blur(image))`` (values may leave ``[0, 1]``).

    >>> sharpen(np.full((3, 3), 0.5))[1, 1].round(12)
    np.float64(0.5)
    """
    return convolve2d(image, sharpen_kernel(amount, size=size), boundary=_check_boundary(boundary))


def median_filter(image: ArrayLike, size: int = 3, *, boundary: str = "symm") -> np.ndarray:
    """Replace each pixel by the median of its ``size x size`` neighbourhood: a NON-linear filter.

    >>> median_filter(np.array([[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]))[1, 1]
    np.float64(0.0)
    """
    arr = as_float_array(image, "image", ndim=(2, 3))
    size = _check_odd(size, "size")
    boundary = _check_boundary(boundary)
    work = arr.size * size * size
    if work > MEDIAN_MAX_WORK:
        raise ValueError(f"`size` = {size} on an image of shape {arr.shape} would sort {work:,} "
                         f"window entries ({arr.size:,} windows of {size}x{size}); the limit is "
                         f"{MEDIAN_MAX_WORK:,}: use a smaller size, or shrink the image.")
    # SciPy's median filter reads each window in place (no copy of the windows); its border
    # modes "constant" (zeros), "grid-wrap" and "reflect" are our "fill", "wrap" and "symm".
    mode = Padding(boundary=boundary).ndimage_mode
    return scipy.ndimage.median_filter(arr, size=(size, size, 1)[:arr.ndim], mode=mode, cval=0.0)


def gradient(image: ArrayLike, *, operator: str = "sobel", sigma: float = 1.0,
             boundary: str = "symm") -> tuple[np.ndarray, np.ndarray]:
    """Compute the image gradient ``(gx, gy)``: derivatives along x (columns) and y (rows, down).

    ``operator`` is "central" (plain central difference), "sobel", "prewitt" (unnormalised
    textbook kernels: Sobel's weights sum to 8 times a one-pixel difference, Prewitt's to 6) or
    "gaussian" (derivative of a Gaussian of width ``sigma``).

    >>> ramp = np.tile(np.arange(5.0), (5, 1))  # brightness grows by 1 per column
    >>> gx, gy = gradient(ramp, operator="central")
    >>> gx[2, 2], gy[2, 2]
    (np.float64(1.0), np.float64(0.0))
    """
    operator = check_choice(operator, "operator", ("central", "sobel", "prewitt", "gaussian"))
    boundary = _check_boundary(boundary)
    sigma = check_real(sigma, "sigma", positive=True)
    if operator != "gaussian" and sigma != 1.0:
        raise ValueError(f"`sigma` applies to operator='gaussian' only; got sigma={sigma} with "
                         f"operator={operator!r}.")
    if operator == "gaussian":
        kx, ky = (gaussian_derivative_kernel(sigma, axis=a) for a in (1, 0))
    else:
        builders: dict[str, Callable[..., np.ndarray]] = {
            "central": lambda axis: difference_kernel(axis=axis), "sobel": sobel_kernel,
            "prewitt": prewitt_kernel}
        build = builders[operator]
        kx, ky = build(axis=1), build(axis=0)
    gx = convolve2d(image, kx, boundary=boundary)
    gy = convolve2d(image, ky, boundary=boundary)
    return gx, gy


def gradient_magnitude(image: ArrayLike, *, operator: str = "sobel", sigma: float = 1.0,
                       boundary: str = "symm") -> np.ndarray:
    """``sqrt(gx^2 + gy^2)``: how strong the edge is (options as :func:`gradient`).

    >>> float(gradient_magnitude(np.zeros((4, 4))).max())  # a flat image has no edges
    0.0
    """
    gx, gy = gradient(image, operator=operator, sigma=sigma, boundary=boundary)
    return np.hypot(gx, gy)


def gradient_orientation(image: ArrayLike, *, operator: str = "sobel", sigma: float = 1.0,
                         boundary: str = "symm") -> np.ndarray:
    """Compute ``arctan2(gy, gx)`` in radians: the direction in which brightness grows fastest.

    y points down the rows (options as :func:`gradient`).

    >>> ramp = np.tile(np.arange(5.0), (5, 1)).T  # brighter downwards
    >>> round(float(np.degrees(gradient_orientation(ramp)[2, 2])), 6)
    90.0
    """
    gx, gy = gradient(image, operator=operator, sigma=sigma, boundary=boundary)
    return np.arctan2(gy, gx)


def impulse(shape: tuple[int, int] = (7, 7), *, position: tuple[int, int] | None = None) -> np.ndarray:
    """Make an image of zeros with a single 1 (at the centre unless ``position`` is given).

    >>> impulse((3, 3))
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]])
    """
    rows, cols = check_int_pair(shape, "shape")
    check_size(rows * cols, "shape", shape, what=f"a {rows}x{cols} image")
    if position is None:
        position = (rows // 2, cols // 2)
    r, c = check_int_pair(position, "position", minimum=0)
    if r >= rows or c >= cols:
        raise ValueError(f"`position` {position} lies outside an image of shape {(rows, cols)}.")
    image = np.zeros((rows, cols))
    image[r, c] = 1.0
    return image


def impulse_response(filter_fn: Callable[[np.ndarray], np.ndarray], *,
                     shape: tuple[int, int] = (7, 7)) -> np.ndarray:
    """Show what ``filter_fn`` makes of a centred impulse: for a convolution, the kernel itself.

    >>> kernel = np.arange(9.0).reshape(3, 3)
    >>> np.array_equal(impulse_response(lambda im: convolve2d(im, kernel), shape=(3, 3)), kernel)
    True
    """
    if not callable(filter_fn):
        raise TypeError(f"`filter_fn` must be callable; got {type(filter_fn).__name__}.")
    result = filter_fn(impulse(shape))
    try:
        return as_float_array(result, "filter_fn", allow_empty=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`filter_fn` must return a numeric array; it returned "
                        f"{_describe(result)}: {exc}") from None


# ----------------------------------------------------------------- what a 1-D kernel does


def kernel_spread(kernel_1d: ArrayLike) -> float:
    """Measure how far a 1-D blur kernel spreads a pixel: the standard deviation of its weights.

    The weights are read as a distribution over the offsets ``x = -(n - 1)/2, ..., (n - 1)/2``
    from the centre; the result, in pixels, is its standard deviation around its mean (the
    centre, for a symmetric kernel).

    >>> round(kernel_spread(np.full(11, 1 / 11)), 6)            # the box: sqrt((11**2 - 1) / 12)
    3.162278
    """
    k = as_float_array(kernel_1d, "kernel_1d", ndim=1)
    total = float(k.sum())
    if total <= 0 or np.any(k < 0):
        raise ValueError(f"`kernel_1d` must hold non-negative weights with a positive sum; got "
                         f"weights from {k.min():.3g} to {k.max():.3g}, sum {total:.3g}.")
    x = np.arange(k.size) - (k.size - 1) / 2                     # offsets from the centre
    mean = float(np.sum(k * x)) / total
    return float(np.sqrt(np.sum(k * (x - mean) ** 2) / total))


def frequency_response(kernel_1d: ArrayLike, frequencies: ArrayLike) -> np.ndarray:
    """Compute how much a symmetric 1-D kernel multiplies a cosine of each frequency.

    Filtering ``cos(2 pi f n)`` with a kernel that is symmetric about its centre gives
    ``H(f) cos(2 pi f n)``, with ``H(f) = sum_x kernel[x] cos(2 pi f x)`` (``x`` measured from
    the centre). A negative ``H(f)`` flips the cosine's sign: bright and dark swap.

    Parameters
    ----------
    kernel_1d : array_like, shape (n,)
        A kernel equal to its own mirror image, ``kernel_1d[::-1]``.
    frequencies : array_like
        Frequencies in cycles per pixel (0 to 0.5 covers all that pixels can hold).

    Returns
    -------
    numpy.ndarray
        ``H(f)``, the shape of ``frequencies``.

    Examples
    --------
    >>> frequency_response([1 / 3, 1 / 3, 1 / 3], [0.0, 1 / 3, 0.5]).round(6)
    array([ 1.      ,  0.      , -0.333333])
    """
    k = as_float_array(kernel_1d, "kernel_1d", ndim=1)
    if not np.allclose(k, k[::-1], rtol=1e-12, atol=1e-15 * float(np.abs(k).max())):
        raise ValueError("`kernel_1d` must be symmetric about its centre (equal to kernel_1d[::-1]) "
                         "for a real frequency response; got " + np.array2string(k, precision=3,
                                                                                  threshold=8) + ".")
    f = as_float_array(frequencies, "frequencies", allow_empty=True)
    check_size(f.size * k.size, "frequencies", f"of {f.size} values with a {k.size}-tap kernel",
               what="a table")
    x = np.arange(k.size) - (k.size - 1) / 2                     # offsets from the centre
    return (np.cos(2 * np.pi * np.multiply.outer(f, x)) @ k).reshape(f.shape)


# ------------------------------------------------------------------------------------ helpers


def _smoothed_difference(smooth: np.ndarray, axis) -> np.ndarray:
    axis = _check_axis(axis)
    kernel = np.outer(smooth, [1.0, 0.0, -1.0])  # (3, 3): differences along x
    return kernel if axis == 1 else kernel.T


def _gaussian_size(sigma, size) -> tuple[float, int, str]:
    """Check ``sigma`` and ``size``; the default size is ``2 * ceil(3 sigma) + 1``.

    Also returns the name of the parameter that set the size, for a size error.
    """
    sigma = check_real(sigma, "sigma", positive=True)
    if size is None:
        return sigma, 2 * math.ceil(min(3.0 * sigma, 1e300)) + 1, "sigma"
    return sigma, _check_odd(size, "size"), "size"


def _check_square_gaussian(sigma, size) -> None:
    """Refuse, before building it, a 2-D Gaussian kernel of more than MAX_NUMBERS entries."""
    sigma, size, name = _gaussian_size(sigma, size)
    check_size(size * size, name, sigma if name == "sigma" else size,
               what=f"a {size}x{size} kernel" if size < 10**15 else
               f"a square kernel {count_text(size)} taps wide")


def _check_odd(size, name: str) -> int:
    size = check_int(size, name, minimum=1)
    if size % 2 == 0:
        raise ValueError(f"`{name}` must be odd so that the kernel has a centre pixel; got {size}.")
    return size


def _check_shape(shape, name: str) -> tuple[int, int]:
    rows, cols = check_int_pair(shape, name)
    return _check_odd(rows, name), _check_odd(cols, name)


def _check_axis(axis) -> int:
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or axis not in (0, 1):
        raise ValueError(f"`axis` must be 0 (y, rows) or 1 (x, columns); got {axis!r}.")
    return int(axis)


def _check_boundary(boundary) -> str:
    return check_choice(boundary, "boundary", BOUNDARIES)
