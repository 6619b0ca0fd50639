"""Two explorers for chapter 1: any kernel on any image, and the Gaussian blur, live in the browser.

:class:`KernelExplorer` lets a student pick a sample image (or their own), pick a preset kernel
or type weights into a 3x3 or 5x5 grid, switch between convolution and correlation and between
boundaries, and see the original, the filtered image and the kernel side by side.
:class:`GaussianExplorer` moves a sigma slider and shows the kernel and the blurred image.

Both are `anywidget <https://anywidget.dev>`_ widgets: the picture is computed in the browser,
in plain JavaScript on a canvas (``explorers.js`` beside this file), so it follows every key
press without a round trip to the kernel, and it works where there is no kernel at all (the
course website). Python keeps the state as traits (``image``, ``preset``, ``weights``,
``operation``, ``boundary``, ``normalise``, ``sigma``): a notebook reads and sets them, and
the explorer follows. This module stays the reference: :meth:`KernelExplorer.filtered` is
``convolve2d`` / ``correlate2d`` on the same image, :meth:`KernelExplorer.shown` the picture
with the display scaling of :func:`course_lib.plotting.to_uint8`, and the browser tests check
that the canvas matches them. With ``compute = "kernel"`` the kernel computes each picture
instead and sends it as PNG (the path the benchmarks compare with).

Bad input (text in a cell, a kernel that sums to zero with "normalise" on, a file that is not
an image, a huge image) is explained in the message line and the last good picture stays.
"""

from __future__ import annotations

import contextlib
import math
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import ipywidgets
import numpy as np
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization
from matplotlib import colormaps
from numpy.typing import ArrayLike

from .._checks import check_real, read_number
from ..conv import BOUNDARIES, convolve2d, correlate2d
from ..filters import gaussian_kernel_1d, preset_kernels, separable_filter
from ..images import load_image, sample_image, sample_names, shrink, to_float
from ..plotting import display_range, to_png, to_uint8
from .app import App, Panel, display_bundle, panels_png

__all__ = ["LIVE_METADATA", "GaussianExplorer", "KernelExplorer", "gaussian_explorer", "kernel_explorer",
           "parse_weight"]

CUSTOM = "custom"
YOUR_IMAGE = "your image"
UPLOADED = "uploaded"
OPERATIONS = ("convolution", "correlation")
SIGMA_RANGE = (0.25, 8.0, 0.25)  # the sigma slider's smallest value, largest value and step
# Images are shrunk to this many pixels a side for live filtering; larger uploads are refused.
LIVE_SIDE = 768
MAX_UPLOAD_PIXELS = 40_000_000
LIVE_METADATA = "course_live"
"""Output metadata key: the explorer's settings, from which the course website rebuilds it live."""
_HERE = Path(__file__).parent


def parse_weight(text: str) -> float:
    """Read one kernel weight as typed: ``"0.25"``, ``"-2"``, ``"1/9"`` (empty means 0).

    >>> parse_weight("1/9") == 1 / 9, parse_weight(" -2 "), parse_weight("")
    (True, -2.0, 0.0)
    >>> parse_weight("abc")
    Traceback (most recent call last):
    ...
    ValueError: 'abc' is not a number (write e.g. 0.25, -1 or 1/9).
    """
    text = str(text).strip()
    return read_number(text) if text else 0.0


def format_weight(value: float) -> str:
    """Write a weight as short text for a grid cell: exact for simple fractions like 1/9.

    >>> format_weight(1 / 9), format_weight(-2.0), format_weight(0.0625), format_weight(0.011343)
    ('1/9', '-2', '1/16', '0.011343')
    """
    fraction = Fraction(float(value)).limit_denominator(256)
    if abs(float(fraction) - value) < 1e-12:
        return str(fraction)
    return f"{value:.6g}"


class _Explorer(App, anywidget.AnyWidget):
    """What both explorers share: the image, where the picture is computed, the message line.

    The browser module (``explorers.js``) draws the controls and computes the picture; this
    class holds the state and answers what only Python can do: load a sample image, read an
    image the browser sends (an upload), and, with ``compute = "kernel"``, compute the picture.
    """

    _esm = _HERE / "explorers.js"
    _css = _HERE / "explorers.css"

    kind = traitlets.Unicode().tag(sync=True)  # which explorer the browser module draws
    image_name = traitlets.Unicode().tag(sync=True)  # a sample's name, "your image" or "uploaded"
    image_options = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the image menu
    # the image as PNG (uint8): what both sides filter
    image = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    sample_url = traitlets.Unicode("").tag(sync=True)  # website only: where the samples are
    max_side = traitlets.Int(LIVE_SIDE).tag(sync=True)  # a larger image is scaled down to this
    max_pixels = traitlets.Int(MAX_UPLOAD_PIXELS).tag(sync=True)  # a larger upload is refused
    display_width = traitlets.Int(256).tag(sync=True)  # the pictures' width on screen, in px
    compute = traitlets.Enum(("browser", "kernel"), "browser").tag(sync=True)  # who filters
    result = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)  # compute="kernel": the PNG
    message = traitlets.Unicode("").tag(sync=True)  # what the kernel has to say, if anything
    message_kind = traitlets.Unicode("info").tag(sync=True)  # "error" or "info"
    kernel_colours = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)  # the kernel's colours

    _FACTORY: ClassVar[str] = ""  # the public function that builds it (for the website)

    def __init__(self, image: ArrayLike | None, *, default: str, colormap: str, **traits: Any) -> None:
        self._syncing = False
        self._pngs: dict[str, bytes] = {}  # image name -> PNG bytes
        self._arrays: dict[bytes, np.ndarray] = {}  # PNG bytes -> float image (last one only)
        options = sample_names()
        if image is not None:
            array = _quantised(_prepare(image))
            self._pngs[YOUR_IMAGE] = png = to_png(array, vmin=0.0, vmax=1.0)
            self._arrays[png] = array
            options, default = [YOUR_IMAGE, *options], YOUR_IMAGE
        super().__init__(image_options=options, image_name=default, kernel_colours=_colour_table(colormap),
                         **traits)
        self.widget = self  # App's picture-and-widget display shows this widget itself
        self.image = self._png_of(default)
        self._known_png = self.image
        self._shown_name = default
        self.observe(self._on_image, names=["image", "image_name"])

    _STATE: ClassVar[list[str]] = []  # the traits that change the picture, besides the image

    def _start(self) -> None:
        """Last step of a subclass's __init__: after its own observers, recompute on changes."""
        self.observe(self._on_change, names=[*self._STATE, "compute"])

    # ------------------------------------------------------------------------------ public

    @property
    def image_array(self) -> np.ndarray:
        """The image both sides filter: floats in [0, 1], (H, W) or (H, W, 3), from its PNG."""
        data = bytes(self.image)
        if data not in self._arrays:
            self._arrays = {data: _prepare(load_image(data, max_pixels=MAX_UPLOAD_PIXELS))}
        return self._arrays[data]

    def filtered(self) -> np.ndarray:  # pragma: no cover - each explorer defines it
        """Return the filtered image (floats), computed by course_lib."""
        raise NotImplementedError

    def shown(self) -> np.ndarray:
        """Return the picture the explorer shows (uint8): :meth:`filtered` with the display scaling."""
        result = self.filtered()
        black, white = display_range(float(result.min()), float(result.max()))
        return to_uint8(result, vmin=black, vmax=white)

    if ipywidgets.__version__.startswith("7."):  # ipywidgets 7 displays a widget this way

        def _ipython_display_(self, **_kwargs) -> None:
            display_bundle(self._repr_mimebundle_())

    def _repr_mimebundle_(self, **kwargs) -> tuple[dict, dict]:
        data, metadata = App._repr_mimebundle_(self, **kwargs)
        colab = anywidget.AnyWidget._repr_mimebundle_(self)  # Colab's widget manager, if any
        if colab:
            metadata.update(colab[1])
        settings = self.live_settings()
        if settings is not None:
            metadata[LIVE_METADATA] = {"app": self._FACTORY, "settings": settings}
        return data, metadata

    def live_settings(self) -> dict | None:
        """Return the settings from which the course website rebuilds this explorer (sample images only).

        None when the image is the reader's own: the website then shows the picture only.
        """
        if self.image_name not in sample_names():
            return None
        return {"image_name": self.image_name, "display_width": self.display_width,
                **{name: getattr(self, name) for name in self._SETTINGS}}

    _SETTINGS: ClassVar[list[str]] = []

    # ----------------------------------------------------------------------------- images

    def _png_of(self, name: str) -> bytes:
        if name not in self._pngs:
            if name not in sample_names():
                raise ValueError(f"`image_name` must be one of {', '.join(self.image_options)}; "
                                 f"got {name!r}.")
            array = _quantised(_prepare(sample_image(name)))
            self._pngs[name] = to_png(array, vmin=0.0, vmax=1.0)
            self._arrays[self._pngs[name]] = array
        return self._pngs[name]

    def _on_image(self, _change) -> None:
        if self._syncing:
            return
        name, data = self.image_name, bytes(self.image)
        if data and data != self._known_png:  # bytes new to Python: the browser sends an upload
            try:
                self._arrays = {data: _prepare(load_image(data, max_pixels=MAX_UPLOAD_PIXELS))}
            except ValueError as exc:
                self._say(f"Image refused: {str(exc).replace('`source` ', 'the file ')}")
                with self._quietly():  # the last good image stays
                    self.image, self.image_name = self._known_png, self._shown_name
                return
            self._pngs[name] = self._known_png = data
            if name not in self.image_options:
                self.image_options = [name, *self.image_options]
        elif name != self._shown_name or not data:  # a name chosen: send that image
            try:
                png = self._png_of(name)
            except ValueError as exc:
                self._say(str(exc))
                with self._quietly():
                    self.image_name = self._shown_name
                return
            with self._quietly():
                self.image = png
            self._known_png = png
        self._shown_name = name
        self._compute_in_kernel()

    # ------------------------------------------------------------------------ compute="kernel"

    def _on_change(self, _change) -> None:
        if not self._syncing:
            self._compute_in_kernel()

    def _compute_in_kernel(self) -> None:
        """With ``compute = "kernel"``: filter here, send the picture as PNG (else nothing)."""
        if self.compute != "kernel":
            return
        try:
            self.result = to_png(self.shown())
        except ValueError as exc:
            self._say(str(exc))
            return
        self._say(self.status(), kind="info")

    def status(self) -> str:  # pragma: no cover - each explorer defines it
        """Return the message line as the explorer shows it for the current settings."""
        raise NotImplementedError

    def _say(self, text: str, *, kind: str = "error") -> None:
        self.message_kind = kind
        self.message = ""  # the same text twice still reaches the browser
        self.message = text

    @contextlib.contextmanager
    def _quietly(self):
        """Change traits without this class's observers reacting."""
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False


class KernelExplorer(_Explorer):
    """Filter an image with any 3x3 or 5x5 kernel and see the result live, in the browser.

    Traits (a notebook reads and sets them; the explorer on screen follows)
    -----------------------------------------------------------------------
    image_name : str        the image: a sample's name, "your image" or "uploaded"
    preset : str            a named kernel (:func:`course_lib.filters.preset_kernels`) or "custom"
    size : int              3 or 5: the grid's side
    weights : list of str   the grid's cells as typed, row by row ("1/9", "-2", ...)
    operation : str         "convolution" or "correlation"
    boundary : str          "fill" (zeros), "wrap" or "symm"
    normalise : bool        divide the kernel by the sum of its weights

    On screen (CSS classes): the explorer ``course-kernel-explorer``, the preset menu
    ``course-kernel-preset``, each cell ``course-kernel-cell``, the canvases
    ``course-original-image``, ``course-filtered-image`` and ``course-kernel-image``, the
    message line ``course-message``.
    """

    preset = traitlets.Unicode("identity").tag(sync=True)
    presets = traitlets.Dict().tag(sync=True)  # name -> {"kernel": rows of floats, "text": rows of str}
    size = traitlets.Enum((3, 5), 3).tag(sync=True)
    weights = traitlets.List(traitlets.Unicode()).tag(sync=True)
    operation = traitlets.Enum(OPERATIONS, "convolution").tag(sync=True)
    boundary = traitlets.Enum(BOUNDARIES, "fill").tag(sync=True)
    boundaries = traitlets.List(traitlets.Unicode(), list(BOUNDARIES)).tag(sync=True)
    normalise = traitlets.Bool(False).tag(sync=True)

    _STATE: ClassVar[list[str]] = ["preset", "size", "weights", "operation", "boundary", "normalise"]
    _SETTINGS: ClassVar[list[str]] = ["preset", "size", "weights", "operation", "boundary", "normalise"]
    _FACTORY: ClassVar[str] = "kernel_explorer"

    def __init__(self, image: ArrayLike | None = None, *, preset: str = "identity",
                 display_width: int = 256) -> None:
        self._presets = preset_kernels()
        if preset not in self._presets:
            raise ValueError(f"`preset` must be one of {', '.join(self._presets)}; got {preset!r}.")
        kernel = self._presets[preset]
        super().__init__(image, default="camera", colormap="RdBu_r", kind="kernel",
                         presets={name: {"kernel": k.tolist(), "text": _texts(k)}
                                  for name, k in self._presets.items()},
                         preset=preset, size=kernel.shape[0], weights=_flat(_texts(kernel)),
                         display_width=display_width)
        self.observe(self._on_preset, names="preset")
        self.observe(self._on_size, names="size")
        self.observe(self._on_weights, names="weights")
        self._start()

    # ------------------------------------------------------------------------------ public

    @property
    def cells(self) -> list[list[str]]:
        """The grid's cells as typed, row by row (3x3 or 5x5); set one with :meth:`set_cell`."""
        return [self.weights[r * self.size:(r + 1) * self.size] for r in range(self.size)]

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Type ``text`` into the cell at ``row``, ``column`` (from 0), as a student would."""
        if not (0 <= row < self.size and 0 <= column < self.size):
            raise ValueError(f"`row` and `column` must lie in 0..{self.size - 1}; got {row}, {column}.")
        weights = list(self.weights)
        weights[row * self.size + column] = str(text)
        self.weights = weights

    @property
    def kernel(self) -> np.ndarray:
        """The kernel the settings ask for (after normalising).

        Raises ValueError with the explorer's message when a cell is not a number or the
        kernel cannot be normalised.
        """
        if self.preset != CUSTOM:
            kernel = self._presets[self.preset]
        else:
            values = []
            for i, text in enumerate(self.weights):
                try:
                    values.append(parse_weight(text))
                except ValueError as exc:
                    row, column = divmod(i, self.size)
                    raise ValueError(f"Cell (row {row + 1}, column {column + 1}): {exc}") from None
            kernel = np.array(values).reshape(self.size, self.size)
        return _normalised(kernel) if self.normalise else kernel

    def filter(self, image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        """Filter ``image`` with the current operation and boundary (``mode="same"``)."""
        operation = convolve2d if self.operation == "convolution" else correlate2d
        return operation(image, kernel, mode="same", boundary=self.boundary)

    def filtered(self) -> np.ndarray:
        """Return the image filtered with the current settings, by course_lib (the browser's reference).

        Raises ValueError with the explorer's message when the settings are bad or the result
        overflows.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            result = self.filter(self.image_array, self.kernel)
        if not (math.isfinite(float(result.min())) and math.isfinite(float(result.max()))):
            raise ValueError("The filtered values overflow (they pass 1.8e308): the weights are too large.")
        return result

    def status(self) -> str:
        """Return the message line for the current settings: the result's range, or what is wrong."""
        try:
            result = self.filtered()
        except ValueError as exc:
            return str(exc)
        return _describe_result(float(result.min()), float(result.max()))

    def __repr__(self) -> str:
        return (f"KernelExplorer(image={self.image_name!r}, preset={self.preset!r}, "
                f"{self.operation}, boundary={self.boundary!r})")

    def snapshot(self) -> bytes:
        """Draw the explorer as it is now, as a PNG.

        Original, filtered image and kernel, titled with the settings: what a page without a
        live kernel shows in place of the widget. Bad settings draw the preset's picture.
        """
        try:
            kernel, shown = self.kernel, self.shown()
        except ValueError:
            kernel = self._presets["identity"]
            shown = to_uint8(self.image_array, vmin=0.0, vmax=1.0)
        limit = float(np.abs(kernel).max()) or 1.0
        return panels_png([
            Panel("original", to_uint8(self.image_array, vmin=0.0, vmax=1.0)),
            Panel("filtered", shown),
            Panel("kernel", kernel, cmap="RdBu_r", vmin=-limit, vmax=limit,
                  colorbar="weight (red > 0, blue < 0)"),
        ], title=self._settings())

    def _settings(self) -> str:
        return (f"Kernel explorer: {self.image_name!r} image, {self.preset} kernel "
                f"{self.size}x{self.size}, {self.operation}, boundary {self.boundary!r}")

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        return (f"{self._settings()}. Three pictures: the original image, the filtered image "
                "and the kernel's weights as coloured squares.")

    # ---------------------------------------------------------------------------- handlers

    def _on_preset(self, change) -> None:
        if self._syncing or change["new"] == CUSTOM:
            return
        if change["new"] not in self._presets:
            with self._quietly():
                self.preset = change["old"]
            raise ValueError(f"`preset` must be one of {CUSTOM}, {', '.join(self._presets)}; "
                             f"got {change['new']!r}.")
        kernel = self._presets[change["new"]]
        with self._quietly():
            self.size = kernel.shape[0]
            self.weights = _flat(_texts(kernel))

    def _on_size(self, change) -> None:
        if self._syncing or len(self.weights) == self.size ** 2:
            return
        with self._quietly():
            self.weights = _resize_cells(self.weights, change["old"], self.size)
            self.preset = CUSTOM

    def _on_weights(self, change) -> None:
        if self._syncing:
            return
        if len(change["new"]) != self.size ** 2:
            with self._quietly():
                self.weights = change["old"]
            raise ValueError(f"`weights` must hold {self.size ** 2} cells for a {self.size}x{self.size} "
                             f"kernel; got {len(change['new'])}.")
        if self.preset != CUSTOM and self.weights != _flat(self.presets[self.preset]["text"]):
            with self._quietly():
                self.preset = CUSTOM


class GaussianExplorer(_Explorer):
    """Blur an image with a Gaussian; a slider sets sigma, the kernel is shown as an image.

    Traits: ``image_name`` (as the kernel explorer's) and ``sigma``, the standard deviation in
    pixels, from 0.25 to 8 in steps of 0.25. On screen (CSS classes): the explorer
    ``course-gaussian-explorer``, the slider row ``course-sigma-slider``, the canvases
    ``course-gaussian-kernel`` and ``course-gaussian-image``, the message line ``course-message``.
    """

    sigma = traitlets.Float(1.0).tag(sync=True)
    sigma_min = traitlets.Float(SIGMA_RANGE[0]).tag(sync=True)
    sigma_max = traitlets.Float(SIGMA_RANGE[1]).tag(sync=True)
    sigma_step = traitlets.Float(SIGMA_RANGE[2]).tag(sync=True)

    _STATE: ClassVar[list[str]] = ["sigma"]
    _SETTINGS: ClassVar[list[str]] = ["sigma"]
    _FACTORY: ClassVar[str] = "gaussian_explorer"

    def __init__(self, image: ArrayLike | None = None, *, sigma: float = 1.0,
                 display_width: int = 320) -> None:
        super().__init__(image, default="astronaut", colormap="viridis", kind="gaussian",
                         sigma=sigma, display_width=display_width)
        self._start()

    @traitlets.validate("sigma")
    def _check_sigma(self, proposal) -> float:
        low, high, step = SIGMA_RANGE
        value = check_real(proposal["value"], "sigma")
        if not low <= value <= high:
            raise ValueError(f"`sigma` must lie in [{low}, {high}]; got {value}.")
        return round(value / step) * step  # on the slider's steps

    def filtered(self) -> np.ndarray:
        """Return the blurred image, by course_lib (the browser's reference): two 1-D passes, "symm"."""
        taps = gaussian_kernel_1d(self.sigma)
        return separable_filter(self.image_array, taps, taps, boundary="symm")

    def status(self) -> str:
        """Return the message line: the kernel's size and centre weight."""
        taps = gaussian_kernel_1d(self.sigma)
        kernel = np.outer(taps, taps)  # what gaussian_kernel(sigma) returns
        return (f"kernel {kernel.shape[0]}x{kernel.shape[1]} (2*ceil(3 sigma) + 1), "
                f"centre weight {kernel.max():.4f}")

    def __repr__(self) -> str:
        return f"GaussianExplorer(image={self.image_name!r}, sigma={self.sigma})"

    def snapshot(self) -> bytes:
        """PNG of the explorer as it is now: the kernel (with a colorbar) and the blurred image."""
        taps = gaussian_kernel_1d(self.sigma)
        kernel = np.outer(taps, taps)
        side = kernel.shape[0]
        return panels_png([
            Panel(f"kernel {side}x{side}", kernel, cmap="viridis", vmin=0.0, colorbar="weight"),
            Panel("blurred", self.shown()),
        ], title=self._settings())

    def _settings(self) -> str:
        return f"Gaussian explorer: {self.image_name!r} image, sigma = {self.sigma:g}"

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        return (f"{self._settings()}. Two pictures: the Gaussian kernel as a bright centre fading "
                "outwards, and the blurred image.")


def kernel_explorer(image: ArrayLike | None = None, *, preset: str = "identity", display_width: int = 256
                    ) -> KernelExplorer:
    """Build the kernel explorer (a :class:`KernelExplorer`: display it, or set its traits).

    ``image``: your own array (grey or colour, floats in [0, 1]); default: the camera sample.

    >>> app = kernel_explorer()
    >>> app.preset = "box 3x3"
    >>> app.cells[0][0]
    '1/9'
    """
    return KernelExplorer(image, preset=preset, display_width=display_width)


def gaussian_explorer(image: ArrayLike | None = None, *, sigma: float = 1.0, display_width: int = 320
                      ) -> GaussianExplorer:
    """Build the Gaussian explorer (a :class:`GaussianExplorer`: display it, or set its traits).

    >>> app = gaussian_explorer()
    >>> app.sigma = 2.0
    >>> app.status()
    'kernel 13x13 (2*ceil(3 sigma) + 1), centre weight 0.0399'
    """
    return GaussianExplorer(image, sigma=sigma, display_width=display_width)


# ------------------------------------------------------------------------------------ helpers


def _prepare(image: ArrayLike) -> np.ndarray:
    """Check an image and shrink it for live filtering."""
    arr = to_float(image)
    if arr.ndim == 3 and arr.shape[2] not in (3, 4):
        raise ValueError(f"the image must be grey or RGB; got shape {arr.shape}.")
    if arr.ndim == 3:
        arr = arr[:, :, :3]
    return shrink(arr, max_side=LIVE_SIDE)


def _quantised(image: np.ndarray) -> np.ndarray:
    """Round an image in [0, 1] to 8 bits (what its PNG holds, so what both sides filter)."""
    return to_uint8(image, vmin=0.0, vmax=1.0) / 255.0


def _texts(kernel: np.ndarray) -> list[list[str]]:
    """Write a kernel's weights as the grid shows them."""
    return [[format_weight(value) for value in row] for row in kernel]


def _flat(rows: list[list[str]]) -> list[str]:
    return [text for row in rows for text in row]


def _colour_table(name: str) -> bytes:
    """Return a colormap's 256 colours as RGB bytes, rounded as :func:`course_lib.plotting.to_uint8` does."""
    colours = colormaps[name](np.arange(256))[:, :3] * 255.0  # (256, 3)
    return np.rint(colours).astype(np.uint8).tobytes()


def _normalised(kernel: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        total = float(kernel.sum())
    if not math.isfinite(total):
        raise ValueError("The kernel's weights sum to more than 1.8e308, so it cannot be "
                         "normalised: use smaller weights.")
    if abs(total) < 1e-12:
        raise ValueError("The kernel's weights sum to 0, so it cannot be normalised: "
                         "untick 'normalise' (edge kernels are meant to sum to 0).")
    return kernel / total


def _resize_cells(cells: list[str], old: int, new: int) -> list[str]:
    """Crop the centre of a larger grid of cell texts, or pad a smaller one with "0".

    An unreadable cell becomes "0", as in the browser.

    >>> _resize_cells(["1", "2", "x", "4", "5", "6", "7", "8", "9"], 3, 5)[6:9]
    ['1', '2', '0']
    """
    offset = (old - new) // 2  # negative when growing
    out = []
    for r in range(new):
        for c in range(new):
            rr, cc = r + offset, c + offset
            text = cells[rr * old + cc] if 0 <= rr < old and 0 <= cc < old else "0"
            try:
                parse_weight(text)
            except ValueError:
                text = "0"
            out.append(text)
    return out


def _describe_result(low: float, high: float) -> str:
    """Say what range the filtered values span, and how they are shown."""
    shown = display_range(low, high)
    how = "shown as is" if shown == (0.0, 1.0) else "rescaled to black..white for display"
    return f"result in [{_short_number(low)}, {_short_number(high)}], {how}"


def _short_number(value: float) -> str:
    """Two decimals for everyday values, six significant digits for huge or tiny ones."""
    return f"{value:.2f}" if value == 0 or 1e-2 <= abs(value) < 1e4 else f"{value:.6g}"
