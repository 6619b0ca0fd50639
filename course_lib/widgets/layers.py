"""The layer explorer: step through AlexNet or VGG one layer at a time.

Pick a model and an input size; a slider walks through the layers and shows, for the chosen
layer, its output shape, parameters, multiply-adds and the receptive field of one unit, drawn
as a square on a sample image. An input size the model cannot take is explained in the message
line and the last good view stays.

The widget is thin: every figure comes from :func:`course_lib.models.layer_table`, computed on
the ``meta`` device (no weights are allocated) and cached per model and input size, so moving
the slider only re-reads a table.
"""

from __future__ import annotations

import functools
import html
import textwrap
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch

from .._checks import check_choice, check_int
from ..models import alexnet, vgg
from ..models.base import TabledModel
from ..models.summary import LayerRow, LayerTable
from ._common import image_view, message_line, show_message, update_image
from .app import App, Panel, keyboard_scrollable, panels_png

__all__ = ["MODEL_NAMES", "LayerExplorer", "explorer_table", "layer_explorer"]

# Display name -> (builder, keyword arguments).
_BUILDERS: dict[str, tuple[Callable[..., TabledModel], dict[str, Any]]] = {
    "AlexNet (torchvision)": (alexnet, {}),
    "AlexNet (paper, 2012)": (alexnet, {"variant": "paper"}),
    "VGG-11": (vgg, {"depth": 11}),
    "VGG-13": (vgg, {"depth": 13}),
    "VGG-16": (vgg, {"depth": 16}),
    "VGG-19": (vgg, {"depth": 19}),
}
MODEL_NAMES = tuple(_BUILDERS)
MAX_INPUT_SIZE = 2048


@functools.cache
def _meta_model(name: str) -> TabledModel:
    """Build the model on the meta device: its shapes, without allocating its weights."""
    build, kwargs = _BUILDERS[name]
    with torch.device("meta"):
        return build(**kwargs)


@functools.lru_cache(maxsize=128)
def _cached_table(name: str, size: int) -> LayerTable:
    return _meta_model(name).layer_table(size, compact=True)


def explorer_table(name: str, input_size: int) -> LayerTable:
    """Tabulate (cached, compact) the layers of model ``name`` for a square ``input_size`` image.

    >>> explorer_table("VGG-16", 224)["conv1_2"].receptive_field
    5
    """
    name = check_choice(name, "name", MODEL_NAMES)
    size = check_int(input_size, "input_size", minimum=1, maximum=MAX_INPUT_SIZE)
    return _cached_table(name, size)


def native_size(name: str) -> int:
    """Return the input side model ``name`` was designed for (224, or 227 for the paper's)."""
    return _meta_model(check_choice(name, "name", MODEL_NAMES)).input_size


@functools.lru_cache(maxsize=8)
def _sample_picture(size: int) -> np.ndarray:
    """Load the astronaut photograph resized to ``size`` x ``size``, as floats in [0, 1]."""
    from PIL import Image
    from skimage import data

    picture = Image.fromarray(data.astronaut()).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(picture, dtype=np.float64) / 255.0                  # (size, size, 3)


def receptive_field_picture(size: int, field: int | None, jump: int | None) -> np.ndarray:
    """Draw the sample picture with a unit's receptive field and jump.

    A centred square of side ``field`` (red; the whole picture when ``None``) and a square of
    side ``jump``, the step between neighbouring units (yellow).
    """
    picture = _sample_picture(size).copy() * 0.75                       # (size, size, 3)
    centre = size // 2

    def square(side: int, colour: tuple[float, float, float], t: int) -> None:
        lo = centre - side // 2                 # first row/column inside the square
        hi = lo + side                          # one past the last
        lo_c, hi_c = max(lo, 0), min(hi, size)  # the part on the picture
        if lo >= 0:
            picture[lo:lo + t, lo_c:hi_c] = colour
            picture[lo_c:hi_c, lo:lo + t] = colour
        if hi <= size:
            picture[hi - t:hi, lo_c:hi_c] = colour
            picture[lo_c:hi_c, hi - t:hi] = colour

    thickness = max(1, size // 150)
    square(size if field is None else field, (1.0, 0.1, 0.1), thickness)
    if jump is not None and jump > 1:
        square(jump, (1.0, 0.9, 0.1), thickness)
    return picture


def _details_html(table: LayerTable, index: int) -> str:
    """Summarise layer ``index`` and the totals up to it in a little HTML."""
    title, *figures = _details_lines(table, index)
    name, layer = title.split(": ", 1)
    lines = [f"<b>{html.escape(name)}</b>: {html.escape(layer)}", *map(html.escape, figures)]
    return '<div class="course-layer-details">' + "<br>".join(lines) + "</div>"


def _details_lines(table: LayerTable, index: int) -> list[str]:
    """Summarise layer ``index`` as lines of plain text: ``"name: layer"``, then figures."""
    row = table.rows[index]
    params_so_far = sum(r.parameters for r in table.rows[:index + 1])
    madds_so_far = sum(r.multiply_adds for r in table.rows[:index + 1])
    field = ("the whole input (a linear layer mixes every position)"
             if row.receptive_field is None else
             f"{row.receptive_field}x{row.receptive_field} pixels, neighbouring units "
             f"{row.jump} pixel(s) apart")
    shape = "x".join(str(v) for v in row.output_shape)
    return [
        f"{row.name}: {row.layer}",
        f"output {shape} = {row.activations:,} values "
        f"({row.activations * 4 / 2**20:.2f} MiB as float32)",
        f"parameters {row.parameters:,}; so far {params_so_far:,} of "
        f"{table.total_parameters:,} ({100 * params_so_far / max(table.total_parameters, 1):.1f}%)",
        f"multiply-adds {row.multiply_adds:,}; so far {madds_so_far:,} of "
        f"{table.total_multiply_adds:,} "
        f"({100 * madds_so_far / max(table.total_multiply_adds, 1):.1f}%)",
        f"receptive field of one unit: {field}",
    ]


class LayerExplorer(App):
    """Step through a model's layers; see shapes, counts and receptive fields change.

    Attributes
    ----------
    model_choice : ipywidgets.Dropdown     the model (CSS class ``course-layer-model``)
    input_size : ipywidgets.IntText        side of the square input image
    layer_slider : ipywidgets.IntSlider    the layer shown (CSS class ``course-layer-slider``)
    message : ipywidgets.HTML              what went wrong, or a note
    details : ipywidgets.HTML              the chosen layer's figures
    picture : ipywidgets.Image             the receptive field of a central unit
    table : ipywidgets.HTML                the whole layer table, chosen row highlighted
    widget : ipywidgets.VBox               everything (CSS class ``course-layer-explorer``)
    """

    def __init__(self, *, model: str = "AlexNet (torchvision)", input_size: int | None = None,
                 layer: int = 0) -> None:
        model = check_choice(model, "model", MODEL_NAMES)
        size = native_size(model) if input_size is None else check_int(
            input_size, "input_size", minimum=1, maximum=MAX_INPUT_SIZE)
        table = explorer_table(model, size)          # a bad start is the caller's error
        layer = check_int(layer, "layer", minimum=0, maximum=len(table) - 1)
        self._table = table
        self._updating = False
        self.model_choice = widgets.Dropdown(options=list(MODEL_NAMES), value=model,
                                             description="model")
        self.model_choice.add_class("course-layer-model")
        self.input_size = widgets.IntText(value=size, description="input size")
        self.input_size.add_class("course-layer-size")
        self.layer_slider = widgets.IntSlider(value=layer, min=0, max=len(table) - 1,
                                              description="layer", continuous_update=True)
        self.layer_slider.add_class("course-layer-slider")
        self.message = message_line()
        self.details = widgets.HTML()
        self.picture = image_view(width=256, css_class="course-layer-picture",
                                  alt="the sample photograph; a red square marks the receptive "
                                      "field of one unit of the chosen layer")
        self.table = widgets.HTML(layout=widgets.Layout(max_height="320px", overflow="auto"))
        keyboard_scrollable(self.table)
        self.widget = widgets.VBox([
            widgets.HBox([self.model_choice, self.input_size]),
            self.layer_slider, self.message,
            widgets.HBox([self.picture, self.details]),
            self.table,
        ])
        self.widget.add_class("course-layer-explorer")
        self.model_choice.observe(self._on_model, names="value")
        self.input_size.observe(self._on_size, names="value")
        self.layer_slider.observe(self._on_layer, names="value")
        self._show_layer()
        self._show_table()

    # --- what the widget shows ------------------------------------------------------------------

    @property
    def current_table(self) -> LayerTable:
        """The table of the last good model and input size."""
        return self._table

    @property
    def current_row(self) -> LayerRow:
        """The layer table's row of the layer the slider shows."""
        return self._table.rows[self.layer_slider.value]

    def _show_layer(self) -> None:
        row = self.current_row
        size = self._table.input_shape[-1]
        self.details.value = _details_html(self._table, self.layer_slider.value)
        update_image(self.picture, receptive_field_picture(size, row.receptive_field, row.jump))

    def _show_table(self) -> None:
        self.table.value = self._table._repr_html_(highlight=self.layer_slider.value)

    # --- events ---------------------------------------------------------------------------------

    def _on_model(self, change) -> None:
        name = change["new"]
        size = self.input_size.value
        try:
            table = explorer_table(name, size)
            note = ""
        except (ValueError, TypeError):
            size = native_size(name)                     # this model cannot take the old size
            table = explorer_table(name, size)
            note = f"{name} cannot take {self.input_size.value}x{self.input_size.value} " \
                   f"images: the input size is set to {size}, the size it was designed for."
        self._use(table, size=size)
        show_message(self.message, note, kind="info")

    def _on_size(self, change) -> None:
        if self._updating:
            return
        name = self.model_choice.value
        try:
            table = explorer_table(name, change["new"])
        except (ValueError, TypeError) as exc:
            side = self._table.input_shape[-1]
            # "Still showing" first: a long reason is cut at the message line's limit
            show_message(self.message, f"Still showing {side}x{side}: input size "
                         f"{change['new']} is refused. {exc}")
            return
        self._use(table, size=change["new"])
        show_message(self.message, "")

    def _on_layer(self, _change) -> None:  # an observer's signature
        if self._updating:
            return
        self._show_layer()
        self._show_table()

    def _use(self, table: LayerTable, *, size: int) -> None:
        """Switch to a new (valid) table, keeping the slider at a similar depth."""
        fraction = self.layer_slider.value / max(self.layer_slider.max, 1)
        self._table = table
        self._updating = True
        try:
            self.input_size.value = size
            self.layer_slider.max = len(table) - 1
            self.layer_slider.value = min(round(fraction * (len(table) - 1)), len(table) - 1)
        finally:
            self._updating = False
        self._show_layer()
        self._show_table()

    def snapshot(self) -> bytes:
        """Draw the explorer as it is now, as a PNG.

        The receptive-field picture and the layer's figures: what a page without a live kernel
        shows in place of the widget.
        """
        notes = [textwrap.fill(line, 64) for line in
                 _details_lines(self._table, self.layer_slider.value)]
        return panels_png([Panel("receptive field of one unit (red)", self.picture.value)],
                          title=self._settings(), notes=notes, height=3.6)

    def _settings(self) -> str:
        size = self._table.input_shape[-1]
        return (f"Layer explorer: {self.model_choice.value}, {size}x{size} input, layer "
                f"{self.layer_slider.value} of {len(self._table) - 1}")

    def __repr__(self) -> str:
        return (f"LayerExplorer(model={self.model_choice.value!r}, "
                f"input_size={self.input_size.value}, layer={self.layer_slider.value})")

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        row = self.current_row
        alt = (f"{self._settings()} ({row.name}). The sample photograph with a red square "
               "marking the pixels one unit of this layer sees, and the layer's figures.")
        return alt


def layer_explorer(*, model: str = "AlexNet (torchvision)", input_size: int | None = None,
                   layer: int = 0) -> LayerExplorer:
    """Explore AlexNet's and VGG's layers interactively.

    Parameters
    ----------
    model : str
        One of ``MODEL_NAMES``: AlexNet (torchvision), AlexNet (paper, 2012), VGG-11/13/16/19.
    input_size : int, optional
        Side of the square input image; default the model's own (224, or 227 for the paper).
    layer : int
        Index of the layer shown first.

    Examples
    --------
    >>> app = layer_explorer(model="VGG-16")
    >>> app.layer_slider.value = 1
    >>> app.current_row.name, app.current_row.receptive_field
    ('features.conv1_2', 5)
    """
    return LayerExplorer(model=model, input_size=input_size, layer=layer)
