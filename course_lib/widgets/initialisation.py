"""Activations through depth: watch the signal keep its size, vanish or explode.

Pick an activation, an initialisation, a depth and a weight scale, and follow the signal layer
after layer.

Thin over :func:`course_lib.initialisation.activation_statistics`; the picture is a PNG in an
``ipywidgets.Image``.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np

from .._checks import check_choice, check_int
from ..activations import ACTIVATION_NAMES, get_activation
from ..initialisation import LayerStatistics, activation_statistics
from ._common import message_line, show_message
from .app import App, NamedImage, screen_reader_name

__all__ = ["DEPTH_INITS", "DepthExplorer", "depth_explorer", "depth_figure", "depth_summary"]

CSS_CLASS = "course-depth-explorer"
DEPTH_INITS: tuple[tuple[str, str], ...] = (
    ("small (std 0.01)", "small"),
    ("PyTorch default", "default"),
    ("Xavier (Glorot)", "xavier"),
    ("He (Kaiming)", "he"),
)
"""The initialisations the explorer offers: (label, scheme)."""
WIDTH, BATCH = 128, 128  # units per layer and inputs in the batch: smooth statistics, quick updates
VANISHED, SHRUNK, EXPLODED = 1e-3, 0.2, 1e3  # last / first layer spread: what the message says


def _label(init: str) -> str:
    return dict((scheme, label) for label, scheme in DEPTH_INITS)[init]


def depth_summary(stats: LayerStatistics) -> tuple[str, str]:
    """Say in one sentence what happened to the signal's spread across examples.

    Also returns its kind: ``"info"`` when it vanished, shrank, grew or exploded, ``"ok"`` when
    it kept its size.

    Examples
    --------
    >>> from course_lib.initialisation import activation_statistics
    >>> text, kind = depth_summary(activation_statistics("relu", init="small", depth=8,
    ...                                                  width=32, batch=32))
    >>> kind, text.startswith("The signal vanishes")
    ('info', True)
    """
    first, last = float(stats.spread[0]), float(stats.spread[-1])
    ratio = last / first if first > 0 else 0.0
    numbers = (f"spread across examples {first:.3g} after layer 1, {last:.3g} after layer "
               f"{stats.depth} (x {ratio:.3g})")
    if ratio < VANISHED:
        return (f"The signal vanishes: {numbers}. The last layers give almost the same output "
                "for every input.", "info")
    if ratio < SHRUNK:
        return f"The signal shrinks: {numbers}.", "info"
    if ratio > EXPLODED:
        return f"The signal explodes: {numbers}.", "info"
    if ratio > 1 / SHRUNK:
        return f"The signal grows: {numbers}.", "info"
    return f"The signal keeps its size: {numbers}.", "ok"


def depth_figure(stats: LayerStatistics, *, dpi: int = 72) -> bytes:
    """Draw the statistics of each layer as a PNG.

    Each layer's spread across examples and standard deviation of all its activations (log
    scale), and histograms of the activations of the first, middle and last layers.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.5, 3.4), dpi=dpi)
    FigureCanvasAgg(fig)
    ax_std, ax_hist = fig.subplots(1, 2)
    layers = np.arange(1, stats.depth + 1)
    floor = 1e-300  # log axis: a dead signal sits at the floor
    ax_std.semilogy(layers, np.maximum(stats.spread, floor), "o-", color="C0", ms=4,
                    label="spread across examples")
    ax_std.semilogy(layers, np.maximum(stats.std, floor), "s--", color="C1", ms=3,
                    label="std of all values")
    ax_std.set(title="size of each layer's activations", xlabel="layer",
               ylabel="standard deviation")
    ax_std.grid(True, which="major", alpha=0.3)
    ax_std.legend(fontsize=8)
    picked = sorted({1, (stats.depth + 1) // 2, stats.depth})
    for colour, layer in zip(("C0", "C1", "C2"), picked, strict=False):
        values = stats.outputs[layer - 1].ravel()
        ax_hist.hist(values, bins=60, histtype="step", color=colour, lw=1.5,
                     label=f"layer {layer} (std {stats.std[layer - 1]:.2g})")
    ax_hist.set(title="activations of three layers", xlabel="activation value",
                ylabel="count")
    ax_hist.legend(fontsize=8)
    act = get_activation(stats.activation)
    fig.suptitle(f"{act.label}, {_label(stats.init)} initialisation, {stats.depth} layers of "
                 f"{stats.outputs.shape[2]} units")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


class DepthExplorer(App):
    """The depth explorer's app.

    Widgets: ``activation`` and ``init`` (dropdowns), ``depth`` and ``gain`` sliders, the
    picture ``plot`` and a ``message`` line; ``widget`` is the whole app; ``stats`` holds the
    :class:`~course_lib.initialisation.LayerStatistics` of the picture shown.
    """

    def __init__(self, *, activation: str = "tanh", init: str = "xavier", depth: int = 10,
                 gain: float = 1.0, dpi: int = 72):
        check_choice(activation, "activation", ACTIVATION_NAMES)
        check_choice(init, "init", tuple(scheme for _, scheme in DEPTH_INITS))
        self.dpi = check_int(dpi, "dpi", minimum=30, maximum=300)  # 144 for a projector
        self.activation = widgets.Dropdown(
            options=[(get_activation(n).label, n) for n in ACTIVATION_NAMES], value=activation,
            description="activation")
        self.init = widgets.Dropdown(options=list(DEPTH_INITS), value=init,
                                     description="initialisation",
                                     style={"description_width": "initial"})
        self.depth = widgets.IntSlider(value=check_int(depth, "depth", minimum=2, maximum=30),
                                       min=2, max=30, description="layers",
                                       continuous_update=False)
        self.gain = widgets.FloatLogSlider(value=gain, base=2, min=-2, max=2, step=0.25,
                                           description="weights x", continuous_update=False,
                                           readout_format=".2f")
        self.plot = NamedImage(format="png", layout=widgets.Layout(width="760px"))
        screen_reader_name(self.plot, "plots of the size of each layer's activations through the "
                                      "network, and histograms of three layers' activations")
        self.message = message_line()
        self.stats: LayerStatistics | None = None
        controls = widgets.HBox([widgets.VBox([self.activation, self.init]),
                                 widgets.VBox([self.depth, self.gain])])
        self.widget = widgets.VBox([controls, self.message, self.plot])
        self.widget.add_class(CSS_CLASS)
        for control in (self.activation, self.init, self.depth, self.gain):
            control.observe(self._update, names="value")
        self._update()

    def _update(self, _change=None) -> None:  # an observer's signature
        try:
            stats = activation_statistics(self.activation.value, init=self.init.value,
                                          depth=int(self.depth.value), width=WIDTH, batch=BATCH,
                                          gain=float(self.gain.value))
            picture = depth_figure(stats, dpi=self.dpi)
        except (ValueError, TypeError) as error:
            show_message(self.message, str(error))
            return  # keep the last good picture
        self.stats, self.plot.value = stats, picture
        text, kind = depth_summary(stats)
        show_message(self.message, text, kind=kind)

    def snapshot(self) -> bytes:
        """PNG of the explorer as it is now (its plot: the last good one)."""
        return self.plot.value

    def __repr__(self) -> str:
        return (f"DepthExplorer(activation={self.activation.value!r}, init={self.init.value!r}, "
                f"layers={self.depth.value}, gain={self.gain.value:g})")

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        label = get_activation(self.activation.value).label
        alt = (f"Activations through depth for {label} with {_label(self.init.value)} "
               f"initialisation and {self.depth.value} layers: the standard deviation of each "
               "layer's activations on a log scale, and histograms of three layers' activations.")
        return alt


def depth_explorer(*, activation: str = "tanh", init: str = "xavier", depth: int = 10,
                   gain: float = 1.0, dpi: int = 72) -> DepthExplorer:
    """Build the explorer of activations through depth (display it, or its ``.widget``).

    Examples
    --------
    >>> app = depth_explorer(activation="relu", init="small")
    >>> app.message.value.count("vanishes")
    1
    >>> app.activation.value, app.init.value = "tanh", "he"
    >>> "keeps its size" in app.message.value
    True
    """
    return DepthExplorer(activation=activation, init=init, depth=depth, gain=gain, dpi=dpi)
