"""The base of every widget app (:class:`App`): a live view, a picture and alt text.

A picture for every widget is how a widget app reads where no kernel runs.

A live front end (JupyterLab, Notebook 7, Voilà, Colab) shows a widget from its view MIME type;
everything else (GitHub, nbviewer, nbconvert, the course website, a notebook opened before it is
run) shows the best *static* type in the same output. So each app displays one bundle holding

- ``application/vnd.jupyter.widget-view+json``: the live widget;
- ``image/png``: a picture of the app as it is now (its images, titled with its settings), with
  alt text in the output's metadata;
- or ``text/html``, for apps that are text (the quizzes);
- ``text/plain``: one short, stable sentence (nbval compares it), never a widget repr.

Pictures are drawn with matplotlib's Agg canvas at a modest dpi, so the notebooks stay small.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from traitlets import Unicode

__all__ = ["WIDGET_VIEW", "App", "NamedImage", "Panel", "Pictured", "display_bundle",
           "keyboard_scrollable", "panels_png", "screen_reader_name", "widget_bundle"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SNAPSHOT_DPI = 72  # a 10-inch-wide picture is 720 px: readable, and a few tens of kB


@dataclass(frozen=True)
class Panel:
    """One picture of a snapshot: PNG bytes shown as they are, or an array drawn with a colormap.

    An array with ``colorbar`` set gets a colorbar with that label; signed data should pass a
    diverging ``cmap`` with ``vmin = -vmax`` so that zero sits at the centre.
    """

    caption: str  # the panel's title
    image: bytes | np.ndarray  # PNG bytes, or an (H, W) / (H, W, 3) array
    cmap: str | None = None  # for a 2-D array: e.g. "viridis" (magnitudes), "RdBu_r" (signed)
    vmin: float | None = None  # colour limits for an array (None: its own range)
    vmax: float | None = None
    colorbar: str | None = None  # a colorbar with this label (arrays only)


def _pixels(image: bytes | np.ndarray) -> np.ndarray:
    """Return an array to draw: PNG bytes decoded, arrays passed through."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        from PIL import Image

        return np.asarray(Image.open(io.BytesIO(bytes(image))).convert("RGB"))  # (H, W, 3)
    return np.asarray(image)


def panels_png(panels: Sequence[Panel], *, title: str, notes: Sequence[str] = (),
               dpi: int = SNAPSHOT_DPI, height: float = 3.4) -> bytes:
    r"""PNG of ``panels`` side by side under ``title``, with optional lines of ``notes`` at the right.

    Parameters
    ----------
    panels : sequence of Panel
        The pictures, left to right (at least one).
    title : str
        What the app shows, with its settings (the figure's title).
    notes : sequence of str
        Lines of text drawn in a column after the pictures (e.g. a layer's figures).
    dpi, height : int, float
        Resolution and height in inches; the width follows from the number of panels.

    Examples
    --------
    >>> png = panels_png([Panel("ramp", np.linspace(0, 1, 12).reshape(3, 4), cmap="viridis",
    ...                         colorbar="value")], title="A ramp")
    >>> png[:8] == b"\x89PNG\r\n\x1a\n"
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not panels:
        raise ValueError("`panels` must hold at least one Panel; got none.")
    columns = len(panels) + (1 if notes else 0)
    ratios = [1.0] * len(panels) + ([1.6] if notes else [])
    fig = Figure(figsize=(height * sum(ratios) * 0.95 + 0.3, height), dpi=dpi,
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, columns, width_ratios=ratios, squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=False):
        pixels = _pixels(panel.image)
        shown = ax.imshow(pixels, cmap=panel.cmap if pixels.ndim == 2 else None,
                          vmin=panel.vmin, vmax=panel.vmax, interpolation="nearest")
        ax.set_title(panel.caption, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        if panel.colorbar is not None and pixels.ndim == 2:
            fig.colorbar(shown, ax=ax, shrink=0.8, label=panel.colorbar)
    if notes:
        text_ax = axes[-1]
        text_ax.axis("off")
        text_ax.text(0.0, 1.0, "\n".join(notes), va="top", ha="left", fontsize=9,
                     transform=text_ax.transAxes, wrap=True)
    fig.suptitle(title, fontsize=11)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return _palette_png(buffer.getvalue())


def _palette_png(png: bytes) -> bytes:
    """Re-encode a PNG with 256 colours.

    A third of the bytes for photographs, which keeps the committed notebooks small; the
    difference does not show at this size.
    """
    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def widget_bundle(widget: widgets.Widget, *, text: str, png: bytes | None = None, html: str | None = None,
                  alt: str | None = None) -> tuple[dict, dict]:
    r"""Return ``(data, metadata)`` showing ``widget`` live, ``png`` or ``html`` everywhere else.

    ``text`` is the plain-text form (short and stable: nbval compares it). ``alt`` describes
    the picture for screen readers (stored as the PNG's ``alt`` metadata; the course website
    writes it into the ``<img>``).

    >>> import ipywidgets as widgets
    >>> data, metadata = widget_bundle(widgets.Label("hi"), text="A label", png=b"\x89PNG",
    ...                                alt="the word hi")
    >>> sorted(data), metadata["image/png"]["alt"]
    (['application/vnd.jupyter.widget-view+json', 'image/png', 'text/plain'], 'the word hi')
    """
    data: dict = {
        "text/plain": text,
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": widget.model_id},
    }
    metadata: dict = {}
    if png is not None:
        data["image/png"] = base64.b64encode(bytes(png)).decode("ascii")
        if alt:
            metadata["image/png"] = {"alt": alt}
    if html is not None:
        data["text/html"] = html
    return data, metadata


class App:
    """Base of the course's widget apps.

    An app has ``widget`` (the ipywidgets box on screen), ``snapshot()`` (a PNG of the app as it
    is now) and ``alt()`` (what that picture shows, for screen readers); it displays as all three
    at once (:func:`widget_bundle`), with ``repr`` as its short, stable text form.
    """

    widget: widgets.Widget

    def snapshot(self) -> bytes:  # pragma: no cover - each app defines it
        """Return a PNG of the app as it is now."""
        raise NotImplementedError

    def alt(self) -> str:  # pragma: no cover - each app defines it
        """Describe the app's picture for screen readers."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **_kwargs) -> tuple[dict, dict]:  # IPython passes include/exclude
        return widget_bundle(self.widget, text=repr(self), png=self.snapshot(), alt=self.alt())


class Pictured:
    r"""Displays ``widget`` with a picture drawn when displayed (and again on each update).

    For a display that changes after it is shown (live training), show it with
    ``display(Pictured(...), display_id=True)`` and call the handle's ``update`` with it at
    the end: the output then carries the final picture.

    >>> import ipywidgets as widgets
    >>> view = Pictured(widgets.Label("hi"), text="A label", snapshot=lambda: b"\x89PNG")
    >>> data, _ = view._repr_mimebundle_()
    >>> data["text/plain"]
    'A label'
    """

    def __init__(self, widget: widgets.Widget, *, text: str, snapshot: Callable[[], bytes | None],
                 alt: str | Callable[[], str] | None = None) -> None:
        self.widget, self.text, self.snapshot, self.alt = widget, text, snapshot, alt

    def __repr__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, **_kwargs) -> tuple[dict, dict]:  # IPython passes include/exclude
        alt = self.alt() if callable(self.alt) else self.alt
        return widget_bundle(self.widget, text=self.text, png=self.snapshot(), alt=alt)


class NamedImage(widgets.Image):
    """An ``ipywidgets.Image`` that can carry a text alternative (see :func:`screen_reader_name`).

    ipywidgets 8 writes a widget's ``tooltip`` into the ``title`` of its element (for an image,
    the ``<img>``: its name for screen readers) only when the widget's ``description`` is empty,
    and fails to draw a widget that has no ``description`` at all, as an Image has not. This one
    has an empty ``description``.
    """

    description = Unicode("").tag(sync=True)  # always empty: read by ipywidgets 8's front end


def screen_reader_name(widget: widgets.Widget, text: str) -> None:
    """Give ``widget`` a name that screen readers read.

    The name is ipywidgets 8's ``tooltip`` (for a :class:`NamedImage`, the ``title`` of its
    ``<img>``). ipywidgets 7 has no such trait: there the widget is left as it is.

    >>> image = NamedImage(format="png")
    >>> screen_reader_name(image, "the filtered image")
    >>> image.tooltip if "tooltip" in image.keys else "the filtered image"
    'the filtered image'
    """
    if isinstance(widget, widgets.Image) and not isinstance(widget, NamedImage):
        raise TypeError(f"`widget` must be a NamedImage to carry a name (ipywidgets 8 cannot draw "
                        f"a plain Image with a tooltip); got {type(widget).__name__}.")
    if "tooltip" in widget.keys:
        widget.tooltip = text


def keyboard_scrollable(widget: widgets.Widget) -> None:
    """Let the keyboard reach (and so scroll) a widget whose content scrolls (ipywidgets 8)."""
    if "tabbable" in widget.keys:
        widget.tabbable = True


def display_bundle(bundle: tuple[dict, dict]) -> None:
    """Publish ``(data, metadata)`` as one display output.

    For a widget's ``_ipython_display_``, which ipywidgets 7 calls instead of
    ``_repr_mimebundle_``.
    """
    from IPython.display import display

    data, metadata = bundle
    display(data, metadata=metadata, raw=True)
