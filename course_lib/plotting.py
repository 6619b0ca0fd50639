"""Figures and PNG rendering shared by the chapters.

Widgets show images as PNG bytes in an ``ipywidgets.Image``: encoding a 512x512 image
(:func:`to_png`, with the engine's :func:`course_lib.engine.png.encode_png`) takes a few
milliseconds, far less than redrawing a matplotlib figure, and it renders the same in
JupyterLab, Notebook 7, VS Code and Colab.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_int, check_real
from .engine.png import encode_png


def to_uint8(image: ArrayLike, *, vmin: float | None = None, vmax: float | None = None,
             cmap: str | None = None) -> np.ndarray:
    """Scale a float image to ``uint8`` for display.

    Values are mapped linearly from ``[vmin, vmax]`` (default: ``[0, 1]`` when the image lies
    there, otherwise its own minimum and maximum) to ``[0, 255]`` and clipped. A 2-D image with a
    ``cmap`` becomes RGB through that matplotlib colormap.

    >>> to_uint8(np.array([[0.0, 0.5, 1.0]]))
    array([[  0, 128, 255]], dtype=uint8)
    >>> to_uint8(np.array([[-1.0, 0.0, 1.0]]))
    array([[  0, 128, 255]], dtype=uint8)
    """
    arr = as_float_array(image, "image", ndim=(2, 3))
    if arr.ndim == 3 and arr.shape[2] not in (1, 3, 4):
        raise ValueError(f"`image` must have 1, 3 or 4 channels; got shape {arr.shape}.")
    if vmin is None or vmax is None:
        lo, hi = display_range(float(arr.min()), float(arr.max()))
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    # halves: exact, and vmax - vmin cannot overflow when the values are near +-1.8e308
    half_span = vmax / 2 - vmin / 2 if vmax > vmin else 0.5
    scaled = arr / 2  # the same arithmetic as (arr / 2 - vmin / 2) / half_span, in place: this
    scaled -= vmin / 2  # runs on every update of a live widget, so each pass over memory counts
    scaled /= half_span
    np.clip(scaled, 0.0, 1.0, out=scaled)
    if arr.ndim == 3 and arr.shape[2] == 1:
        scaled = scaled[:, :, 0]
    if cmap is not None and scaled.ndim == 2:
        scaled = colormaps[cmap](scaled)[:, :, :3]
    scaled *= 255.0
    return np.rint(scaled, out=scaled).astype(np.uint8)


def display_range(low: float, high: float) -> tuple[float, float]:
    """Return the values :func:`to_uint8` shows as black and white, for data in ``[low, high]``.

    ``[0, 1]`` when the data lie in it (an image shown as is), else the data's own range.

    >>> display_range(0.2, 0.9), display_range(-3.0, 5.0)
    ((0.0, 1.0), (-3.0, 5.0))
    """
    low, high = check_real(low, "low"), check_real(high, "high")
    if high < low:
        raise ValueError(f"`high` must be at least `low`; got low={low}, high={high}.")
    return (0.0, 1.0) if low >= 0.0 and high <= 1.0 else (low, high)


def to_png(image: ArrayLike, *, vmin: float | None = None, vmax: float | None = None,
           cmap: str | None = None, scale: int = 1) -> bytes:
    r"""Encode an image as PNG bytes, for ``ipywidgets.Image(value=..., format="png")``.

    ``scale`` enlarges small images (a 5x5 kernel, an 8x8 digit) by repeating pixels, so they
    stay crisp instead of being blurred by the browser.

    >>> to_png(np.eye(3))[:8] == b"\x89PNG\r\n\x1a\n"
    True
    """
    scale = check_int(scale, "scale", minimum=1, maximum=64)
    pixels = to_uint8(image, vmin=vmin, vmax=vmax, cmap=cmap)
    if scale > 1:
        pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    return encode_png(pixels)


def figure_to_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    r"""PNG bytes of a matplotlib figure, at the figure's own dpi unless ``dpi`` is given.

    The widgets draw on a bare ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, no
    window, safe from a background thread) and show these bytes in an ``ipywidgets.Image``.
    The figure's dpi wins over ``rcParams["savefig.dpi"]``, so a picture asked for at 144 dpi
    (for a projector) is not saved at the notebook's 72.

    >>> import io
    >>> from matplotlib.figure import Figure
    >>> from PIL import Image
    >>> png = figure_to_png(Figure(figsize=(2, 1), dpi=50))
    >>> png[:8], Image.open(io.BytesIO(png)).size
    (b'\x89PNG\r\n\x1a\n', (100, 50))
    """
    import io

    if dpi is not None:
        dpi = check_real(dpi, "dpi", positive=True, maximum=1200)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi="figure" if dpi is None else dpi)
    return buffer.getvalue()


def use_course_style(*, dpi: int = 72) -> None:
    """Set the course's figure defaults: a modest dpi keeps committed notebooks small.

    Called once, visibly, at the top of each notebook (never hidden inside another helper).
    """
    import matplotlib.pyplot as plt

    dpi = check_int(dpi, "dpi", minimum=30, maximum=300)
    plt.rcParams.update({
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "figure.figsize": (8.0, 3.5),
        "axes.grid": False,
        "image.cmap": "gray",
        "image.interpolation": "nearest",
        "font.size": 10,
    })


def show_images(images: Sequence[ArrayLike], *, titles: Sequence[str] | None = None,
                signed: bool | None = None, colorbar: bool = True,
                shared_limits: bool = False, cmap: str | None = None, ncols: int | None = None,
                size: float = 2.4, suptitle: str | None = None) -> tuple[Figure, np.ndarray]:
    """Draw images side by side, each with a title and a colorbar that says what its colours mean.

    The colour map follows what the values are:

    - **signed values** (kernels, derivatives, weights, differences): a diverging map (``RdBu_r``,
      colour-blind safe: blue below zero, red above) with limits symmetric about zero, so that
      zero is always the middle (white) colour;
    - **magnitudes** (a blurred image, a gradient magnitude, an impulse response): a perceptual
      map, ``gray`` for photographs in ``[0, 1]`` and ``viridis`` otherwise;
    - **RGB images** (H, W, 3) are shown as they are, with no colorbar.

    Parameters
    ----------
    images : sequence of array-like
        2-D images, or (H, W, 3) colour images in ``[0, 1]``.
    titles : sequence of str, optional
        One title per image.
    signed : bool, optional
        Force the signed (True) or magnitude (False) treatment; by default an image is signed
        when it holds a negative value.
    colorbar : bool
        Draw a colorbar next to each grey-level image.
    shared_limits : bool
        One value range for all images (so that equal colours mean equal values across panels).
    cmap : str, optional
        Override the colour map of every grey-level image.
    ncols : int, optional
        Images per row (default: all in one row).
    size : float
        Width of each panel in inches.
    suptitle : str, optional
        A title for the whole figure.

    Returns
    -------
    fig, axes : the matplotlib figure and a flat array of its axes.

    Examples
    --------
    >>> sobel_x = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    >>> fig, axes = show_images([np.eye(3), sobel_x], titles=["identity", "Sobel x"])
    >>> [ax.get_title() for ax in axes]
    ['identity', 'Sobel x']
    >>> [(im.get_cmap().name, *map(float, im.get_clim())) for ax in axes for im in ax.images]
    [('viridis', 0.0, 1.0), ('RdBu_r', -2.0, 2.0)]
    """
    import matplotlib.pyplot as plt

    if isinstance(images, np.ndarray) and images.ndim == 2:
        images = [images]
    arrays = [as_float_array(image, f"images[{i}]", ndim=(2, 3)) for i, image in enumerate(images)]
    if not arrays:
        raise ValueError("`images` must hold at least one image; got an empty sequence.")
    for i, arr in enumerate(arrays):
        if arr.ndim == 3 and arr.shape[2] not in (3, 4):
            raise ValueError(f"`images[{i}]` must be 2-D or (H, W, 3); got shape {arr.shape}.")
    if titles is not None:
        titles = list(titles)
        if len(titles) != len(arrays):
            raise ValueError(f"`titles` must have one title per image ({len(arrays)}); got {len(titles)}.")
    n = len(arrays)
    ncols = n if ncols is None else check_int(ncols, "ncols", minimum=1)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols * 1.2, size * nrows * 1.05),
                             squeeze=False)
    axes = axes.ravel()
    grey = [a for a in arrays if a.ndim == 2]
    is_signed = [signed if signed is not None else bool(a.min() < 0) for a in grey]
    shared = None
    if shared_limits and grey:
        if any(is_signed):
            m = max(float(np.abs(a).max()) for a in grey) or 1.0
            shared = (-m, m)
        else:
            shared = (min(float(a.min()) for a in grey), max(float(a.max()) for a in grey))
    g = 0
    for i, (ax, arr) in enumerate(zip(axes, arrays, strict=False)):
        ax.set(xticks=[], yticks=[])
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
        if arr.ndim == 3:
            ax.imshow(np.clip(arr, 0, 1))
            continue
        this_signed = is_signed[g]
        g += 1
        if this_signed:
            m = float(np.abs(arr).max()) or 1.0
            limits = shared or (-m, m)
            map_name = cmap or "RdBu_r"
        else:
            photo = arr.min() >= 0 and arr.max() <= 1 and min(arr.shape) > 16
            limits = shared or ((0.0, 1.0) if photo else (float(arr.min()), float(arr.max())))
            map_name = cmap or ("gray" if photo else "viridis")
        shown = ax.imshow(arr, cmap=map_name, vmin=limits[0], vmax=limits[1])
        if colorbar:
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    for ax in axes[n:]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig, axes[:n]


# --------------------------------------------------------------------- chapter 1's figures


def orientation_colours(orientation: ArrayLike, magnitude: ArrayLike, *,
                        percentile: float = 99.0) -> np.ndarray:
    """Colour a gradient field: hue for the direction, brightness for the strength.

    The hue goes once round the colour wheel as the angle goes from -180° to 180° (red at 0°,
    pointing right), so opposite directions get complementary colours; a pixel is as bright as
    its magnitude relative to the ``percentile``-th percentile of all magnitudes (brighter ones
    saturate), so flat areas are black. :func:`draw_orientation_key` draws the key.

    Parameters
    ----------
    orientation : array_like, shape (H, W)
        Angles in radians, ``arctan2(gy, gx)`` (``filters.gradient_orientation``).
    magnitude : array_like, shape (H, W)
        Non-negative strengths (``filters.gradient_magnitude``).
    percentile : float
        The magnitude shown at full brightness, as a percentile of all magnitudes.

    Returns
    -------
    numpy.ndarray, shape (H, W, 3)
        RGB values in [0, 1].

    Examples
    --------
    >>> orientation_colours([[0.0, np.pi / 2]], [[1.0, 0.5]], percentile=100).round(3).tolist()
    [[[1.0, 0.0, 0.0], [0.25, 0.5, 0.0]]]
    """
    from matplotlib.colors import hsv_to_rgb

    angle = as_float_array(orientation, "orientation", ndim=2)
    strength = as_float_array(magnitude, "magnitude", ndim=2)
    if angle.shape != strength.shape:
        raise ValueError(f"`magnitude` must have the shape of `orientation`, {angle.shape}; got "
                         f"{strength.shape}.")
    if strength.min() < 0:
        raise ValueError(f"`magnitude` must not be negative; got a minimum of {strength.min():.3g}.")
    percentile = check_real(percentile, "percentile", positive=True, maximum=100.0)
    top = float(np.percentile(strength, percentile)) or 1.0
    hue = np.mod(angle, 2 * np.pi) / (2 * np.pi)                     # 0 at 0°, 0.5 at ±180°
    hsv = np.stack([hue, np.ones_like(hue), np.clip(strength / top, 0.0, 1.0)], axis=-1)
    return hsv_to_rgb(hsv)


def draw_orientation_key(ax: Axes, *, size: int = 101) -> None:
    """Draw the colour wheel of :func:`orientation_colours` on ``ax``, in image coordinates.

    The pixel at offset ``(x, y)`` from the centre (x to the right, y *down* the rows, as in an
    image) is coloured like a gradient pointing that way, as bright as it is far from the centre:
    read a colour in a gradient picture by finding it on the wheel. Angles are labelled every 90°.
    To put the key beside a picture, draw it on an inset: ``ax.inset_axes([1.2, 0, 0.75, 1])``.
    """
    size = check_int(size, "size", minimum=11, maximum=1001)
    radius = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size] - radius                         # y grows downwards
    distance = np.hypot(x, y)
    wheel = orientation_colours(np.arctan2(y, x), np.minimum(distance / radius, 1.0), percentile=100)
    wheel = wheel * (distance <= radius)[:, :, None] + (distance > radius)[:, :, None]   # white outside
    ax.imshow(wheel, extent=(-radius - 0.5, radius + 0.5, radius + 0.5, -radius - 0.5))
    for degrees, (dx, dy), align in ((0, (1, 0), "left"), (90, (0, 1), "center"),
                                     (180, (-1, 0), "right"), (-90, (0, -1), "center")):
        ax.annotate("", xy=(dx * radius * 0.95, dy * radius * 0.95), xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": "white", "lw": 1.2})
        ax.text(dx * radius * 1.12, dy * radius * 1.12 + (0.06 * radius if dy > 0 else 0),
                f"{degrees}°", ha=align, va="center", fontsize=8)
    ax.set(xlim=(-1.4 * radius, 1.4 * radius), ylim=(1.4 * radius, -1.4 * radius), xticks=[],
           yticks=[])
    ax.set_xlabel("x (columns) →", fontsize=8)
    ax.set_ylabel("y (rows) ↓", fontsize=8)
    ax.set_title("key: gradient direction", fontsize=9)
    ax.set_aspect("equal")
    for spine in ax.spines.values():
        spine.set_visible(False)


def show_kernel_over_patch(image: ArrayLike, kernel: ArrayLike, centre: tuple[int, int], *,
                           cell: float = 0.75) -> tuple[Figure, np.ndarray]:
    """Draw one output pixel of a convolution: the flipped kernel laid over the patch it multiplies.

    Three panels, with array indices and offsets on the axes: (1) ``kernel`` as an array, each
    cell labelled with its offset ``[k, l]`` from the centre (for a 3x3 kernel the array index is
    ``[1 + k, 1 + l]``); (2) the kernel flipped upside down and left to right, each cell labelled
    with the weight that now sits there, ``g[-k, -l]``; (3) the image, with the flipped kernel
    over the patch centred at ``centre = (m, n)``: each cell of the patch shows
    ``pixel x weight``, and the title their sum, the convolution at ``(m, n)``.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A small image (at most 12 x 12, so that every value can be written in its cell).
    kernel : array_like, shape (kh, kw)
        A kernel with odd sides (it needs a centre).
    centre : (int, int)
        The output pixel ``(m, n)``; the patch around it must lie inside the image.
    cell : float
        Side of one cell (one pixel or weight) in inches.

    Returns
    -------
    fig, axes : the matplotlib figure and its three axes.

    Examples
    --------
    >>> image = np.array([[8, 5, 2], [7, 5, 3], [9, 4, 1]])
    >>> fig, axes = show_kernel_over_patch(image, [[-1, 0, 1]] * 3, (1, 1))
    >>> axes[2].get_title().splitlines()
    ['g flipped over the patch at (m, n) = (1, 1)', 'pixel × weight, summed: 18']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    img = as_float_array(image, "image", ndim=2)
    g = as_float_array(kernel, "kernel", ndim=2)
    if img.shape[0] > 12 or img.shape[1] > 12:
        raise ValueError(f"`image` must be at most 12 x 12 to write every value in its cell; got "
                         f"shape {img.shape}.")
    if g.shape[0] % 2 == 0 or g.shape[1] % 2 == 0:
        raise ValueError(f"`kernel` must have odd sides (a centre pixel); got shape {g.shape}.")
    if not isinstance(centre, (tuple, list)) or len(centre) != 2:
        raise ValueError(f"`centre` must be a (row, column) pair; got {centre!r}.")
    ch, cw = g.shape[0] // 2, g.shape[1] // 2
    m = check_int(centre[0], "centre", minimum=ch, maximum=img.shape[0] - 1 - ch)
    n = check_int(centre[1], "centre", minimum=cw, maximum=img.shape[1] - 1 - cw)
    flipped = g[::-1, ::-1]
    patch = img[m - ch:m + ch + 1, n - cw:n + cw + 1]
    total = float(np.sum(patch * flipped))
    limit = float(np.abs(g).max()) or 1.0

    def number(value: float) -> str:
        return f"{value:g}" if value == round(value) else f"{value:.2f}"

    cell = check_real(cell, "cell", positive=True, maximum=3.0)
    width = cell * (2 * g.shape[1] + img.shape[1]) + 4.2          # cells, then room for the labels
    height = cell * max(g.shape[0], img.shape[0]) + 1.6
    fig, axes = plt.subplots(1, 3, figsize=(width, height),
                             gridspec_kw={"width_ratios": [g.shape[1], g.shape[1], img.shape[1]]})
    for ax, weights, title in ((axes[0], g, "kernel g\n(offset [k, l] in each cell)"),
                               (axes[1], flipped, "g flipped\n(the weight now at [k, l])")):
        ax.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.45)  # pale: text on top
        for i in range(g.shape[0]):
            for j in range(g.shape[1]):
                k, l = i - ch, j - cw  # noqa: E741  (the notes' letters)
                label = f"[{k:+d}, {l:+d}]" if weights is g else f"g[{-k:+d}, {-l:+d}]"
                ax.text(j, i - 0.18, number(weights[i, j]), ha="center", va="center", fontsize=12)
                ax.text(j, i + 0.28, label, ha="center", va="center", fontsize=7)
        ax.set_xticks(range(g.shape[1]), [f"{j}\n(l = {j - cw:+d})" for j in range(g.shape[1])])
        ax.set_yticks(range(g.shape[0]), [f"{i} (k = {i - ch:+d})" for i in range(g.shape[0])])
        ax.set(xlabel="array column (offset l)", ylabel="array row (offset k)")
        ax.set_title(title, fontsize=9)
    ax = axes[2]
    spread = float(np.ptp(img)) or 1.0
    ax.imshow(img, cmap="gray", vmin=float(img.min()) - 1.5 * spread, vmax=float(img.max()))
    for i in range(img.shape[0]):
        for j in range(img.shape[1]):
            inside = abs(i - m) <= ch and abs(j - n) <= cw
            weight = flipped[i - m + ch, j - n + cw] if inside else 0.0
            text = f"{number(img[i, j])} × {weight:+g}" if inside else number(img[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="black" if inside else "0.4")
    ax.add_patch(Rectangle((n - cw - 0.5, m - ch - 0.5), g.shape[1], g.shape[0], fill=False,
                           edgecolor="C1", linewidth=2.5))
    ax.set_xticks(range(img.shape[1]), [f"{j}" + ("\n= n" if j == n else "")
                                        for j in range(img.shape[1])])
    ax.set_yticks(range(img.shape[0]), [f"{i}" + (" = m" if i == m else "")
                                        for i in range(img.shape[0])])
    ax.set(xlabel="image column", ylabel="image row")
    ax.set_title(f"g flipped over the patch at (m, n) = ({m}, {n})\n"
                 f"pixel × weight, summed: {number(total)}", fontsize=9)
    fig.tight_layout()
    return fig, axes
