"""Two explorers for chapter 1: any kernel on any image, and the Gaussian blur.

:class:`KernelExplorer` lets a student pick a sample image (or upload one), pick a preset kernel
or type weights into a 3x3 or 5x5 grid, switch between convolution and correlation and between
boundaries, and see the original, the filtered image and the kernel side by side.
:class:`GaussianExplorer` moves a sigma slider and shows the kernel and the blurred image.

Both are thin over :mod:`course_lib.conv` and :mod:`course_lib.filters`: the work on each change
is one call to ``convolve2d``/``correlate2d`` and one PNG encoding (a few milliseconds for a
512x512 colour image). Bad input (text in a cell, a kernel that sums to zero with "normalise" on,
a file that is not an image, a huge image) is explained in the message line and the last good
picture stays.
"""

from __future__ import annotations

import contextlib
import math
from fractions import Fraction

import ipywidgets as widgets
import numpy as np
from numpy.typing import ArrayLike

from .._checks import read_number
from ..conv import BOUNDARIES, convolve2d, correlate2d
from ..filters import gaussian_kernel, gaussian_kernel_1d, preset_kernels, separable_filter
from ..images import load_image, sample_image, sample_names, shrink
from ..plotting import display_range
from ._common import image_view, message_line, show_message, update_image
from .app import App, Panel, panels_png

__all__ = ["GaussianExplorer", "KernelExplorer", "gaussian_explorer", "kernel_explorer",
           "parse_weight"]

CUSTOM = "custom"
YOUR_IMAGE = "your image"
UPLOADED = "uploaded"
SIZES = ("3x3", "5x5")
# Images are shrunk to this many pixels a side for live filtering; larger uploads are refused.
LIVE_SIDE = 768
MAX_UPLOAD_PIXELS = 40_000_000
_CELL_LAYOUT = {"width": "64px"}


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


class _ImageSource:
    """The image dropdown and upload button shared by both explorers."""

    def __init__(self, image: ArrayLike | None, default: str) -> None:
        self.images: dict[str, np.ndarray] = {}
        options = sample_names()
        if image is not None:
            self.images[YOUR_IMAGE] = _prepare(image)
            options = [YOUR_IMAGE, *options]
            default = YOUR_IMAGE
        self.choice = widgets.Dropdown(options=options, value=default, description="image")
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="upload")

    def current(self) -> np.ndarray:
        name = self.choice.value
        if name not in self.images:
            self.images[name] = _prepare(sample_image(name))
        return self.images[name]

    def take_upload(self, message: widgets.HTML) -> np.ndarray | None:
        """Make the uploaded file the chosen image and return it.

        A file that is not a usable image is refused with a short reason in ``message``; then
        the result is None, and the last picture stays.
        """
        try:
            content = _upload_content(self.upload.value)
            if content is None:
                raise ValueError("no file was uploaded.")
            image = _prepare(load_image(content, max_pixels=MAX_UPLOAD_PIXELS))
        except ValueError as exc:
            show_message(message, f"Upload refused: {_strip_name(exc)}")
            return None
        self.images[UPLOADED] = image
        if UPLOADED not in self.choice.options:
            self.choice.options = [UPLOADED, *self.choice.options]
        self.choice.value = UPLOADED  # a new choice refreshes the explorer through its observer
        return image


class KernelExplorer(App):
    """Filter an image with any 3x3 or 5x5 kernel and see the result live.

    Attributes
    ----------
    image_choice : ipywidgets.Dropdown      sample image (or "your image", "uploaded")
    upload : ipywidgets.FileUpload          upload your own picture
    preset : ipywidgets.Dropdown            named kernels (CSS ``course-kernel-preset``)
    size : ipywidgets.ToggleButtons         "3x3" or "5x5"
    cells : list of lists of ipywidgets.Text  the visible grid (CSS ``course-kernel-cell``)
    grid_box : ipywidgets.VBox              the rows of cells on screen (3 or 5 of them)
    mode_toggle : ipywidgets.ToggleButtons  "convolution" or "correlation"
    boundary : ipywidgets.Dropdown          "fill" (zeros), "wrap" or "symm"
    normalise : ipywidgets.Checkbox         divide the kernel by the sum of its weights
    original_view, filtered_view, kernel_view : ipywidgets.Image   the three pictures
    message : ipywidgets.HTML               what went wrong, or a note
    widget : ipywidgets.VBox                everything (CSS ``course-kernel-explorer``)
    """

    def __init__(self, image: ArrayLike | None = None, *, preset: str = "identity",
                 display_width: int = 256) -> None:
        self._presets = preset_kernels()
        if preset not in self._presets:
            raise ValueError(f"`preset` must be one of {', '.join(self._presets)}; got {preset!r}.")
        self._source = _ImageSource(image, default="camera")
        self._syncing = False
        self._kernel = self._presets[preset]
        self.image_choice = self._source.choice
        self.upload = self._source.upload
        self.preset = widgets.Dropdown(options=[CUSTOM, *self._presets], value=preset,
                                       description="kernel")
        self.preset.add_class("course-kernel-preset")
        self.size = widgets.ToggleButtons(options=list(SIZES), value=_size_label(self._kernel))
        self._grid = {n: [[self._new_cell(r, c) for c in range(n)] for r in range(n)] for n in (3, 5)}
        self.grid_box = widgets.VBox()
        self.mode_toggle = widgets.ToggleButtons(options=["convolution", "correlation"],
                                                 value="convolution")
        self.boundary = widgets.Dropdown(options=list(BOUNDARIES), value="fill",
                                         description="boundary")
        self.normalise = widgets.Checkbox(value=False, description="normalise (sum to 1)")
        self.original_view = image_view(width=display_width, css_class="course-original-image",
                                        alt="the original image")
        self.filtered_view = image_view(width=display_width, css_class="course-filtered-image",
                                        alt="the filtered image")
        self.kernel_view = image_view(width=display_width // 2, css_class="course-kernel-image",
                                      alt="the kernel's weights: red positive, blue negative")
        self.message = message_line()
        self.widget = self._layout()
        self._show_grid()
        self._write_cells(self._kernel)
        self._connect()
        update_image(self.original_view, self._source.current())
        self.refresh()

    # ------------------------------------------------------------------------------ public

    @property
    def cells(self) -> list[list[widgets.Text]]:
        """The visible kernel cells, row by row (3x3 or 5x5)."""
        return self._grid[self._side()]

    @property
    def kernel(self) -> np.ndarray:
        """The kernel as last applied (after normalising)."""
        return self._kernel.copy()

    def refresh(self) -> bool:
        """Read the controls, filter, show; on bad input show why and keep the last picture."""
        try:
            kernel = self._read_kernel()
            if self.normalise.value:
                kernel = _normalised(kernel)
            with np.errstate(over="ignore", invalid="ignore"):
                result = self.filter(self._source.current(), kernel)
            # one pass each for the smallest and largest value: they also tell whether every
            # value is finite (an inf or a NaN would show in one of them)
            low, high = float(result.min()), float(result.max())
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError("The filtered values overflow (they pass 1.8e308): the "
                                 "weights are too large.")
        except ValueError as exc:
            show_message(self.message, str(exc))
            return False
        self._kernel = kernel
        black, white = display_range(low, high)
        update_image(self.filtered_view, result, vmin=black, vmax=white)
        limit = float(np.abs(kernel).max()) or 1.0
        update_image(self.kernel_view, kernel, vmin=-limit, vmax=limit, cmap="RdBu_r",
                     scale=max(1, 120 // kernel.shape[0]))
        show_message(self.message, _describe_result(low, high), kind="info")
        return True

    def filter(self, image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        """Filter ``image`` with the current operation and boundary."""
        operation = convolve2d if self.mode_toggle.value == "convolution" else correlate2d
        return operation(image, kernel, mode="same", boundary=self.boundary.value)

    def __repr__(self) -> str:
        return (f"KernelExplorer(image={self.image_choice.value!r}, preset={self.preset.value!r}, "
                f"{self.mode_toggle.value}, boundary={self.boundary.value!r})")

    def snapshot(self) -> bytes:
        """Draw the explorer as it is now, as a PNG.

        Original, filtered image and kernel, titled with the settings: what a page without a
        live kernel shows in place of the widget.
        """
        limit = float(np.abs(self._kernel).max()) or 1.0
        return panels_png([
            Panel("original", self.original_view.value),
            Panel("filtered", self.filtered_view.value),
            Panel("kernel", self._kernel, cmap="RdBu_r", vmin=-limit, vmax=limit,
                  colorbar="weight (red > 0, blue < 0)"),
        ], title=self._settings())

    def _settings(self) -> str:
        return (f"Kernel explorer: {self.image_choice.value!r} image, {self.preset.value} kernel "
                f"{_size_label(self._kernel)}, {self.mode_toggle.value}, "
                f"boundary {self.boundary.value!r}")

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        alt = (f"{self._settings()}. Three pictures: the original image, the filtered image "
               "and the kernel's weights as coloured squares.")
        return alt

    # ---------------------------------------------------------------------------- handlers

    def _connect(self) -> None:
        self.preset.observe(self._on_preset, names="value")
        self.size.observe(self._on_size, names="value")
        for grid in self._grid.values():
            for row in grid:
                for cell in row:
                    cell.observe(self._on_cell, names="value")
        for control in (self.mode_toggle, self.boundary, self.normalise):
            control.observe(lambda _change: self.refresh(), names="value")
        self.image_choice.observe(self._on_image, names="value")
        self.upload.observe(self._on_upload, names="value")

    def _on_preset(self, change) -> None:
        if change["new"] == CUSTOM or self._syncing:
            return
        kernel = self._presets[change["new"]]
        with self._quietly():
            self.size.value = _size_label(kernel)
            self._show_grid()
            self._write_cells(kernel)
        self.refresh()

    @contextlib.contextmanager
    def _quietly(self):
        """Change controls without their observers reacting (one refresh at the end instead)."""
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _on_size(self, change) -> None:
        if self._syncing:
            return
        old = np.array([[_safe_weight(c.value) for c in row] for row in self._grid[int(change["old"][0])]])
        with self._quietly():
            self._show_grid()
            self._write_cells(_resize_kernel(old, self._side()))
            self.preset.value = CUSTOM
        self.refresh()

    def _on_cell(self, _change) -> None:  # an observer's signature
        if self._syncing:
            return
        if self.preset.value != CUSTOM:
            with self._quietly():
                self.preset.value = CUSTOM
        self.refresh()

    def _on_image(self, _change) -> None:
        try:
            image = self._source.current()
        except ValueError as exc:  # pragma: no cover - samples are shipped with the packages
            show_message(self.message, str(exc))
            return
        update_image(self.original_view, image)
        self.refresh()

    def _on_upload(self, _change) -> None:
        image = self._source.take_upload(self.message)
        if image is not None:  # also a second upload, when the choice stays the same
            update_image(self.original_view, image)
            self.refresh()

    # ------------------------------------------------------------------------------ layout

    def _new_cell(self, row: int, column: int) -> widgets.Text:
        # The description is the cell's name for screen readers; a zero width keeps it unseen.
        cell = widgets.Text(value="0", continuous_update=False,
                            description=f"weight row {row + 1} column {column + 1}",
                            style={"description_width": "0px"},
                            layout=widgets.Layout(**_CELL_LAYOUT))
        cell.add_class("course-kernel-cell")
        return cell

    def _side(self) -> int:
        return int(self.size.value[0])

    def _show_grid(self) -> None:
        self.grid_box.children = [widgets.HBox(row) for row in self._grid[self._side()]]

    def _write_cells(self, kernel: np.ndarray) -> None:
        for row_cells, row_values in zip(self.cells, kernel, strict=True):
            for cell, value in zip(row_cells, row_values, strict=True):
                cell.value = format_weight(value)

    def _read_kernel(self) -> np.ndarray:
        if self.preset.value != CUSTOM:
            return self._presets[self.preset.value]
        values = []
        for r, row in enumerate(self.cells):
            for c, cell in enumerate(row):
                try:
                    values.append(parse_weight(cell.value))
                except ValueError as exc:
                    raise ValueError(f"Cell (row {r + 1}, column {c + 1}): {exc}") from None
        side = self._side()
        return np.array(values).reshape(side, side)

    def _layout(self) -> widgets.VBox:
        controls = widgets.VBox([
            widgets.HBox([self.image_choice, self.upload]),
            widgets.HBox([self.preset, self.size]),
            self.grid_box,
            widgets.HBox([self.mode_toggle]),
            widgets.HBox([self.boundary, self.normalise]),
        ])
        pictures = widgets.HBox([
            _captioned(self.original_view, "original"),
            _captioned(self.filtered_view, "filtered"),
            _captioned(self.kernel_view, "kernel (red > 0, blue < 0)"),
        ])
        box = widgets.VBox([controls, self.message, pictures])
        box.add_class("course-kernel-explorer")
        return box


class GaussianExplorer(App):
    """Blur an image with a Gaussian; a slider sets sigma, the kernel is shown as an image.

    Attributes
    ----------
    image_choice : ipywidgets.Dropdown      sample image
    upload : ipywidgets.FileUpload          upload your own picture
    sigma : ipywidgets.FloatSlider          standard deviation in pixels (CSS ``course-sigma-slider``)
    kernel_view : ipywidgets.Image          the kernel (CSS ``course-gaussian-kernel``)
    blurred_view : ipywidgets.Image         the result (CSS ``course-gaussian-image``)
    message : ipywidgets.HTML               the kernel size, or what went wrong
    widget : ipywidgets.VBox                everything (CSS ``course-gaussian-explorer``)
    """

    def __init__(self, image: ArrayLike | None = None, *, sigma: float = 1.0,
                 display_width: int = 320) -> None:
        self._source = _ImageSource(image, default="astronaut")
        self.image_choice = self._source.choice
        self.upload = self._source.upload
        self.sigma = widgets.FloatSlider(value=sigma, min=0.25, max=8.0, step=0.25,
                                         description="sigma", continuous_update=True,
                                         readout_format=".2f")
        self.sigma.add_class("course-sigma-slider")
        self.kernel_view = image_view(width=160, css_class="course-gaussian-kernel",
                                      alt="the Gaussian kernel, bright at its centre")
        self.blurred_view = image_view(width=display_width, css_class="course-gaussian-image",
                                       alt="the blurred image")
        self.message = message_line()
        self.widget = widgets.VBox([
            widgets.HBox([self.image_choice, self.upload]), self.sigma, self.message,
            widgets.HBox([_captioned(self.kernel_view, "kernel"),
                          _captioned(self.blurred_view, "blurred")]),
        ])
        self.widget.add_class("course-gaussian-explorer")
        self.sigma.observe(lambda _change: self.refresh(), names="value")
        self.image_choice.observe(lambda _change: self.refresh(), names="value")
        self.upload.observe(self._on_upload, names="value")
        self.refresh()

    def refresh(self) -> bool:
        """Blur with the current sigma and show; on bad input keep the last picture."""
        try:
            taps = gaussian_kernel_1d(self.sigma.value)  # built once: the blur and the picture
            blurred = separable_filter(self._source.current(), taps, taps, boundary="symm")
            kernel = np.outer(taps, taps)  # what gaussian_kernel(sigma) returns
        except ValueError as exc:
            show_message(self.message, str(exc))
            return False
        update_image(self.blurred_view, blurred)
        # dark = 0, bright = the centre weight (the weights are small: on a 0..1 scale a wide
        # kernel would look uniformly dark)
        update_image(self.kernel_view, kernel, cmap="viridis", vmin=0.0, vmax=float(kernel.max()),
                     scale=max(1, 160 // kernel.shape[0]))
        show_message(self.message, f"kernel {kernel.shape[0]}x{kernel.shape[1]} "
                     f"(2*ceil(3 sigma) + 1), centre weight {kernel.max():.4f}", kind="info")
        return True

    def _on_upload(self, _change) -> None:
        if self._source.take_upload(self.message) is not None:
            self.refresh()

    def __repr__(self) -> str:
        return f"GaussianExplorer(image={self.image_choice.value!r}, sigma={self.sigma.value})"

    def snapshot(self) -> bytes:
        """PNG of the explorer as it is now: the kernel (with a colorbar) and the blurred image."""
        kernel = gaussian_kernel(self.sigma.value)
        side = kernel.shape[0]
        return panels_png([
            Panel(f"kernel {side}x{side}", kernel, cmap="viridis", vmin=0.0, colorbar="weight"),
            Panel("blurred", self.blurred_view.value),
        ], title=self._settings())

    def _settings(self) -> str:
        return f"Gaussian explorer: {self.image_choice.value!r} image, sigma = {self.sigma.value:g}"

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        alt = (f"{self._settings()}. Two pictures: the Gaussian kernel as a bright centre fading "
               "outwards, and the blurred image.")
        return alt


def kernel_explorer(image: ArrayLike | None = None, *, preset: str = "identity", display_width: int = 256
                    ) -> KernelExplorer:
    """Build the kernel explorer (a :class:`KernelExplorer`: display it, or use its controls).

    ``image``: your own array (grey or colour, floats in [0, 1]); default: the camera sample.

    >>> app = kernel_explorer()
    >>> app.preset.value = "box 3x3"
    >>> app.cells[0][0].value
    '1/9'
    """
    return KernelExplorer(image, preset=preset, display_width=display_width)


def gaussian_explorer(image: ArrayLike | None = None, *, sigma: float = 1.0, display_width: int = 320
                      ) -> GaussianExplorer:
    """Build the Gaussian explorer (a :class:`GaussianExplorer`: display it, or use its controls).

    >>> app = gaussian_explorer()
    >>> app.sigma.value = 2.0
    >>> app.message.value
    '<span style="color:#555555">kernel 13x13 (2*ceil(3 sigma) + 1), centre weight 0.0399</span>'
    """
    return GaussianExplorer(image, sigma=sigma, display_width=display_width)


# ------------------------------------------------------------------------------------ helpers


def _prepare(image: ArrayLike) -> np.ndarray:
    """Check an image and shrink it for live filtering."""
    from ..images import to_float

    arr = to_float(image)
    if arr.ndim == 3 and arr.shape[2] not in (3, 4):
        raise ValueError(f"the image must be grey or RGB; got shape {arr.shape}.")
    if arr.ndim == 3:
        arr = arr[:, :, :3]
    return shrink(arr, max_side=LIVE_SIDE)


def _upload_content(value):
    """Return the bytes of the uploaded file: a dict in ipywidgets 7, a tuple of dicts in 8."""
    if not value:
        return None
    entry = next(iter(value.values())) if isinstance(value, dict) else value[0]
    content = entry["content"]
    return content.tobytes() if isinstance(content, memoryview) else bytes(content)


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


def _resize_kernel(kernel: np.ndarray, side: int) -> np.ndarray:
    """Crop the centre of a larger kernel, or pad a smaller one with zeros."""
    if kernel.shape[0] > side:
        cut = (kernel.shape[0] - side) // 2
        return kernel[cut:cut + side, cut:cut + side]
    pad = (side - kernel.shape[0]) // 2
    return np.pad(kernel, pad)


def _safe_weight(text: str) -> float:
    try:
        return parse_weight(text)
    except ValueError:
        return 0.0


def _size_label(kernel: np.ndarray) -> str:
    return f"{kernel.shape[0]}x{kernel.shape[1]}"


def _describe_result(low: float, high: float) -> str:
    """Say what range the filtered values span, and how they are shown."""
    shown = display_range(low, high)
    how = "shown as is" if shown == (0.0, 1.0) else "rescaled to black..white for display"
    return f"result in [{_short_number(low)}, {_short_number(high)}], {how}"


def _short_number(value: float) -> str:
    """Two decimals for everyday values, six significant digits for huge or tiny ones."""
    return f"{value:.2f}" if value == 0 or 1e-2 <= abs(value) < 1e4 else f"{value:.6g}"


def _strip_name(exc: Exception) -> str:
    return str(exc).replace("`source` ", "the file ")


def _captioned(view: widgets.Image, caption: str) -> widgets.VBox:
    return widgets.VBox([widgets.HTML(f"<b>{caption}</b>"), view])
