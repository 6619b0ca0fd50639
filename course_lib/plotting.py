"""Figures and PNG rendering shared by the chapters.

Widgets show images as PNG bytes in an ``ipywidgets.Image``: encoding a 512x512 image with
Pillow takes a few milliseconds, far less than redrawing a matplotlib figure, and it renders the
same in JupyterLab, Notebook 7, VS Code and Colab.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps

from ._checks import as_float_array, check_int


def to_uint8(image, *, vmin: float | None = None, vmax: float | None = None,
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
        lo, hi = float(arr.min()), float(arr.max())
        if lo >= 0.0 and hi <= 1.0:
            lo, hi = 0.0, 1.0
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    span = vmax - vmin if vmax > vmin else 1.0
    scaled = np.clip((arr - vmin) / span, 0.0, 1.0)
    if arr.ndim == 3 and arr.shape[2] == 1:
        scaled = scaled[:, :, 0]
    if cmap is not None and scaled.ndim == 2:
        scaled = colormaps[cmap](scaled)[:, :, :3]
    return np.round(scaled * 255.0).astype(np.uint8)


def to_png(image, *, vmin: float | None = None, vmax: float | None = None,
           cmap: str | None = None, scale: int = 1) -> bytes:
    """Encode an image as PNG bytes, for ``ipywidgets.Image(value=..., format="png")``.

    ``scale`` enlarges small images (a 5x5 kernel, an 8x8 digit) by repeating pixels, so they
    stay crisp instead of being blurred by the browser.

    >>> to_png(np.eye(3))[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from PIL import Image

    scale = check_int(scale, "scale", minimum=1, maximum=64)
    pixels = to_uint8(image, vmin=vmin, vmax=vmax, cmap=cmap)
    if scale > 1:
        pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
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
