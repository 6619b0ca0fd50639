"""The optimiser explorer: an optimiser's path on a 2-D loss surface, redrawn as you change it.

Pick an optimiser, type a learning rate, move the momentum: the path from the same start is
drawn over the surface's contours, optionally beside plain SGD at the same learning rate. Thin
over :func:`course_lib.loss_surfaces.optimizer_path` and :func:`~course_lib.loss_surfaces.draw_paths`;
a learning rate that is not a positive number, or a setting the optimiser refuses (Nesterov
without momentum), is explained in the message line and the last good picture stays.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .._checks import check_bool, check_choice, check_int, check_real, read_number
from ..loss_surfaces import (
    Surface,
    describe_paths,
    draw_paths,
    optimizer_path,
    path_outcome,
    quadratic,
    rosenbrock,
)
from ..plotting import figure_to_png
from ._common import message_line, show_message
from .app import App, NamedImage, screen_reader_name

__all__ = ["OPTIMIZER_CHOICES", "SURFACES", "OptimizerExplorer", "explorer_paths",
           "optimizer_explorer", "optimizer_figure"]

CSS_CLASS = "course-optimizer-explorer"

OPTIMIZER_CHOICES: dict[str, tuple[str, dict]] = {
    "SGD + momentum": ("sgd", {}),
    "SGD + Nesterov": ("sgd", {"nesterov": True}),
    "RMSprop": ("rmsprop", {}),
    "Adam": ("adam", {}),
}
"""Label -> (optimizer name, fixed settings). The momentum slider is SGD's and RMSprop's
``momentum`` and Adam's :math:`\\beta_1`."""

SURFACES: dict[str, Surface] = {
    "narrow bowl": quadratic((1.0, 20.0)),  # curvatures 1 and 20: condition number 20
    "narrow bowl, turned 30°": quadratic((1.0, 20.0), angle=30.0),
    "Rosenbrock valley": rosenbrock(),
}
"""The surfaces the explorer offers, by label."""


def explorer_paths(surface: Surface, optimizer: str, *, lr: float, momentum: float,
                   steps: int, compare: bool) -> dict[str, np.ndarray]:
    r"""Return the paths the explorer draws: the chosen optimiser's, and plain SGD's if asked.

    ``optimizer`` is a label of :data:`OPTIMIZER_CHOICES`; ``momentum`` is Adam's
    :math:`\beta_1` (its :math:`\beta_2` stays 0.999); ``compare`` adds plain SGD.

    Examples
    --------
    >>> paths = explorer_paths(SURFACES["Rosenbrock valley"], "Adam", lr=0.05, momentum=0.9,
    ...                        steps=20, compare=True)
    >>> list(paths), paths["Adam, lr 0.05, β1 0.9"].shape
    (['Adam, lr 0.05, β1 0.9', 'plain SGD, lr 0.05'], (21, 2))
    """
    name, fixed = OPTIMIZER_CHOICES[check_choice(optimizer, "optimizer", OPTIMIZER_CHOICES)]
    lr = check_real(lr, "lr", positive=True)
    momentum = check_real(momentum, "momentum", minimum=0.0, maximum=0.99)
    if name == "adam":
        settings: dict = {"betas": (momentum, 0.999)}
        label = f"{optimizer}, lr {lr:g}, β1 {momentum:g}"
    else:
        settings = {"momentum": momentum, **fixed}
        label = f"{optimizer}, lr {lr:g}, momentum {momentum:g}"
    paths = {label: optimizer_path(surface, name, lr=lr, steps=steps, **settings)}
    if check_bool(compare, "compare"):
        paths[f"plain SGD, lr {lr:g}"] = optimizer_path(surface, "sgd", lr=lr, steps=steps)
    return paths


def optimizer_figure(surface: Surface, paths: dict[str, np.ndarray], *, dpi: int = 72) -> bytes:
    r"""Draw ``paths`` over the contours of ``surface`` as a PNG (:func:`draw_paths`).

    Examples
    --------
    >>> bowl = SURFACES["narrow bowl"]
    >>> optimizer_figure(bowl, {"SGD": optimizer_path(bowl, "sgd", lr=0.05)})[:4]
    b'\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = check_int(dpi, "dpi", minimum=30, maximum=300)
    fig = Figure(figsize=(7.0, 4.3), dpi=dpi)
    FigureCanvasAgg(fig)
    draw_paths(fig.add_subplot(), surface, paths)
    fig.tight_layout()
    return figure_to_png(fig)


class OptimizerExplorer(App):
    """The optimiser explorer app: the path of an optimiser on a 2-D surface, redrawn live.

    Widgets: ``optimizer`` and ``surface`` (drop-downs), ``lr`` (a text box: a number such as
    0.05 or 1e-3), ``momentum`` and ``steps`` (sliders), ``compare`` (plain SGD beside it), the
    picture ``plot`` and a ``message`` line; ``widget`` is the whole app.
    """

    def __init__(self, *, optimizer: str = "SGD + momentum",
                 surface: str = "narrow bowl", lr: float = 0.02,
                 momentum: float = 0.9, steps: int = 100, compare: bool = True,
                 dpi: int = 72) -> None:
        check_choice(optimizer, "optimizer", OPTIMIZER_CHOICES)
        check_choice(surface, "surface", SURFACES)
        lr = check_real(lr, "lr", positive=True)
        momentum = check_real(momentum, "momentum", minimum=0.0, maximum=0.99)
        steps = check_int(steps, "steps", minimum=10, maximum=500)
        self.dpi = check_int(dpi, "dpi", minimum=30, maximum=300)
        self.optimizer = widgets.Dropdown(options=list(OPTIMIZER_CHOICES), value=optimizer,
                                          description="optimiser")
        self.surface = widgets.Dropdown(options=list(SURFACES), value=surface,
                                        description="loss surface")
        self.lr = widgets.Text(value=f"{lr:g}", description="learning rate",
                               continuous_update=False)
        self.momentum = widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                                            description="momentum (β1 for Adam)",
                                            continuous_update=False,
                                            style={"description_width": "initial"})
        self.steps = widgets.IntSlider(value=steps, min=10, max=500, step=10, description="steps",
                                       continuous_update=False)
        self.compare = widgets.Checkbox(value=check_bool(compare, "compare"),
                                        description="plain SGD beside it")
        self.plot = NamedImage(format="png", layout=widgets.Layout(width="720px"))
        screen_reader_name(self.plot, "the optimiser's path over the contours of the loss surface")
        self.message = message_line()
        self.widget = widgets.VBox([
            widgets.HBox([self.optimizer, self.surface]),
            widgets.HBox([self.lr, self.momentum]),
            widgets.HBox([self.steps, self.compare]),
            self.message, self.plot])
        self.widget.add_class(CSS_CLASS)
        self._paths: dict[str, np.ndarray] = {}
        self._alt = ""
        for control in (self.optimizer, self.surface, self.lr, self.momentum, self.steps,
                        self.compare):
            control.observe(self._update, names="value")
        self._update()

    def paths(self) -> dict[str, np.ndarray]:
        """Return the paths drawn now (label -> (steps + 1, 2) points)."""
        return dict(self._paths)

    def _learning_rate(self) -> float:
        text = str(self.lr.value).strip()
        try:
            value = read_number(text)
        except ValueError as error:
            raise ValueError(f"learning rate: {error}") from None
        if not 0 < value <= 1e3:
            raise ValueError(f"learning rate: {text!r} must be a number above 0 and at most "
                             "1000 (try 0.01).")
        return value

    def _update(self, _change=None) -> None:  # an observer's signature
        surface = SURFACES[self.surface.value]
        try:
            paths = explorer_paths(surface, self.optimizer.value, lr=self._learning_rate(),
                                   momentum=float(self.momentum.value),
                                   steps=int(self.steps.value), compare=bool(self.compare.value))
        except (ValueError, TypeError) as error:  # a bad learning rate, Nesterov without momentum
            show_message(self.message, f"{error} The picture shows the last good setting.")
            return
        self.plot.value = optimizer_figure(surface, paths, dpi=self.dpi)
        self._paths = paths
        self._alt = describe_paths(surface, paths)
        first = next(iter(paths))
        show_message(self.message, f"{first}: {path_outcome(surface, paths[first])}", kind="info")

    def __repr__(self) -> str:
        return (f"OptimizerExplorer(optimizer={self.optimizer.value!r}, "
                f"surface={self.surface.value!r}, lr={self.lr.value!r}, "
                f"momentum={self.momentum.value:g}, steps={self.steps.value})")

    def snapshot(self) -> bytes:
        """PNG of the explorer as it is now (its plot)."""
        return self.plot.value

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        return self._alt


def optimizer_explorer(*, optimizer: str = "SGD + momentum",
                       surface: str = "narrow bowl", lr: float = 0.02,
                       momentum: float = 0.9, steps: int = 100, compare: bool = True,
                       dpi: int = 72) -> OptimizerExplorer:
    """Build the optimiser explorer (display it, or its ``.widget``, in a notebook).

    Examples
    --------
    >>> optimizer_explorer(optimizer="Adam", lr=0.1, steps=50)  # doctest: +NORMALIZE_WHITESPACE
    OptimizerExplorer(optimizer='Adam', surface='narrow bowl', lr='0.1',
                      momentum=0.9, steps=50)
    """
    return OptimizerExplorer(optimizer=optimizer, surface=surface, lr=lr, momentum=momentum,
                             steps=steps, compare=compare, dpi=dpi)
