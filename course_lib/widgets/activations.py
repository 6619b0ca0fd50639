"""The activation explorer: pick activations, move the input, see value and gradient.

It also shows what is left of the gradient after a chain of ``n`` layers of the same
activation.

Thin over :mod:`course_lib.activations`; the picture is a PNG in an ``ipywidgets.Image``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from .._checks import check_int
from ..activations import ACTIVATION_NAMES, chain_gradient, get_activation
from ..plotting import figure_to_png
from ._common import message_line, show_message
from .app import App, NamedImage, screen_reader_name

__all__ = ["ActivationExplorer", "activation_explorer", "explorer_figure", "explorer_rows"]

CSS_CLASS = "course-activation-explorer"


def explorer_rows(names: Sequence[str], x: float, depth: int) -> list[dict]:
    """For each activation: f(x), f'(x), and d h_n / d x after ``depth`` layers.

    Examples
    --------
    >>> row = explorer_rows(["sigmoid"], 0.0, 2)[0]
    >>> row["value"], row["grad"], round(row["chain_grad"], 5)
    (0.5, 0.25, 0.05875)
    """
    rows = []
    for name in names:
        act = get_activation(name)
        _, grads = chain_gradient(name, float(x), depth=depth)
        rows.append({"name": name, "label": act.label, "value": float(act.function(x)),
                     "grad": float(act.derivative(x)), "chain_grad": float(grads[-1])})
    return rows


def explorer_figure(names: Sequence[str], x: float, depth: int, *, dpi: int = 72) -> bytes:
    """PNG with three panels: f, f' (with a dot at ``x``) and |gradient| through the layers."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.5, 3.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax_f, ax_g, ax_chain = fig.subplots(1, 3)
    layers = np.arange(1, depth + 1)
    span = max(6.0, abs(x) + 1.0)
    curve_x = np.linspace(-span, span, 241)
    for i, name in enumerate(names):
        act, colour = get_activation(name), f"C{i}"
        ax_f.plot(curve_x, act.function(curve_x), color=colour, label=act.label)
        ax_f.plot([x], [act.function(x)], "o", color=colour)
        ax_g.plot(curve_x, act.derivative(curve_x), color=colour, label=act.label)
        ax_g.plot([x], [act.derivative(x)], "o", color=colour)
        _, grads = chain_gradient(name, float(x), depth=depth)
        magnitude = np.maximum(np.abs(grads), 1e-300)  # log axis: a dead gradient sits at the floor
        ax_chain.semilogy(layers, magnitude, "o-", color=colour, label=act.label, ms=3)
    for ax in (ax_f, ax_g):
        ax.axvline(x, color="0.6", lw=0.8, ls=":")
        ax.axhline(0, color="0.8", lw=0.8)
    ax_f.set(title="f(x)", xlabel="x")
    ax_g.set(title="f'(x)", xlabel="x")
    ax_chain.set(title=f"|d h_n / d x| from x = {x:g}", xlabel="layers n",
                 ylim=(1e-12, 10))
    ax_f.legend(fontsize=8)
    fig.tight_layout()
    return figure_to_png(fig)


def _rows_html(rows, x: float, depth: int) -> str:
    head = (f"<tr><th>function</th><th>f({x:g})</th><th>f'({x:g})</th>"
            f"<th>gradient after {depth} layer{'s' if depth > 1 else ''}</th></tr>")
    body = "".join(
        f"<tr><td>{html.escape(r['label'])}</td><td>{r['value']:.6g}</td>"
        f"<td>{r['grad']:.6g}</td><td>{r['chain_grad']:.3e}</td></tr>" for r in rows)
    return (f'<table class="course-activation-table" style="border-spacing: 14px 2px">'
            f"{head}{body}</table>")


class ActivationExplorer(App):
    """The activation explorer's app.

    Widgets: ``functions`` (SelectMultiple), ``x`` and ``depth`` sliders, the picture ``plot``,
    the numbers ``table``, a ``message`` line; ``widget`` is the whole app.
    """

    def __init__(self, *, functions: Sequence[str] = ("sigmoid", "tanh", "relu"), x: float = 2.0,
                 depth: int = 5, dpi: int = 72):
        self.dpi = check_int(dpi, "dpi", minimum=30, maximum=300)  # 144 for a projector
        options = [(get_activation(n).label, n) for n in ACTIVATION_NAMES]
        self.functions = widgets.SelectMultiple(options=options, value=tuple(functions),
                                                description="functions", rows=6)
        self.x = widgets.FloatSlider(value=x, min=-10.0, max=10.0, step=0.1,
                                     description="input x", continuous_update=False)
        self.depth = widgets.IntSlider(value=depth, min=1, max=30, description="layers n",
                                       continuous_update=False)
        self.plot = NamedImage(format="png", layout=widgets.Layout(width="760px"))
        screen_reader_name(self.plot, "plots of the chosen functions, their derivatives, and the "
                                      "size of the gradient after each layer")
        self.table = widgets.HTML()
        self.message = message_line()
        controls = widgets.HBox([self.functions, widgets.VBox([self.x, self.depth])])
        self.widget = widgets.VBox([controls, self.message, self.table, self.plot])
        self.widget.add_class(CSS_CLASS)
        for control in (self.functions, self.x, self.depth):
            control.observe(self._update, names="value")
        self._update()

    def _update(self, _change=None) -> None:  # an observer's signature
        names = list(self.functions.value)
        if not names:
            show_message(self.message, "Pick at least one function (Ctrl- or Shift-click to "
                                       "choose several).")
            return  # keep the last picture
        x, depth = float(self.x.value), int(self.depth.value)
        rows = explorer_rows(names, x, depth)
        self.table.value = _rows_html(rows, x, depth)
        self.plot.value = explorer_figure(names, x, depth, dpi=self.dpi)
        show_message(self.message, "")

    def snapshot(self) -> bytes:
        """PNG of the explorer as it is now (its plot: the last good one)."""
        return self.plot.value

    def __repr__(self) -> str:
        return (f"ActivationExplorer(functions={tuple(self.functions.value)!r}, "
                f"x={self.x.value:g}, layers={self.depth.value})")

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        names = ", ".join(get_activation(n).label for n in self.functions.value)
        alt = (f"Activation explorer for {names} at x = {self.x.value:g}: three plots, the "
               f"functions, their derivatives, and the size of the gradient after 1 to "
               f"{self.depth.value} layers on a log scale.")
        return alt


def activation_explorer(*, functions: Sequence[str] = ("sigmoid", "tanh", "relu"),
                        x: float = 2.0, depth: int = 5,
                        dpi: int = 72) -> ActivationExplorer:
    """Build the activation explorer (display it, or its ``.widget``, in a notebook).

    Examples
    --------
    >>> app = activation_explorer()
    >>> app.x.value = 10.0
    >>> "4.53958e-05" in app.table.value  # sigmoid'(10)
    True
    """
    return ActivationExplorer(functions=functions, x=x, depth=depth, dpi=dpi)
