r"""The live view of a training run: a progress bar and loss and accuracy curves redrawn in place.

:class:`LivePlot` is the curves: a PNG in an ``ipywidgets.Image``, replaced without flicker in
JupyterLab, Notebook 7, VS Code and Colab. :class:`TrainingDisplay` is what
:func:`course_lib.train.fit` shows while it trains (``progress=True``, ``live_plot=True``): a
``tqdm`` bar (a widget in a notebook, text in a terminal) and the live curves, in one box in a
notebook; the curves are redrawn at most once a second within an epoch and after every epoch.

Browser tests and the classroom's style sheet find the parts by their CSS classes,
``course-train-plot`` (the curves) and ``course-train-progress`` (the bar). ipywidgets,
matplotlib and tqdm are imported only when a plot or a bar is made, so a run that shows nothing
(``progress=False``) imports none of them.

>>> plot = LivePlot(width=320)
>>> bytes(plot.image.value[:8]), plot.updates
(b'\x89PNG\r\n\x1a\n', 0)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .._checks import check_int
from ..history import EpochRecord, History, draw_history

if TYPE_CHECKING:
    import ipywidgets as widgets

__all__ = ["PLOT_CLASS", "PROGRESS_CLASS", "LivePlot", "TrainingDisplay"]

PLOT_CLASS = "course-train-plot"
PROGRESS_CLASS = "course-train-progress"


class LivePlot:
    """Loss and accuracy curves redrawn in place: a PNG in an ``ipywidgets.Image``.

    The figure is drawn with matplotlib's Agg canvas (no pyplot, no window, safe from a
    background thread) and its PNG bytes replace the Image's value, which the browser swaps
    without flicker. The Image carries the CSS class ``course-train-plot``.

    Parameters
    ----------
    width : int
        Width of the picture on the page, in pixels.
    figsize : tuple of float
        Size of the figure in inches.
    dpi : int
        Pixels per inch of the PNG (144 for a projector).

    Examples
    --------
    >>> plot = LivePlot()
    >>> plot.update(History([EpochRecord(1, 0.9, 0.7, 0.8, 0.75, 1.2)]))
    >>> plot.updates, bytes(plot.image.value[1:4])
    (1, b'PNG')
    """

    def __init__(self, *, width: int = 640, figsize: tuple[float, float] = (9.0, 3.2),
                 dpi: int = 72):
        import ipywidgets as widgets

        from ._static import NamedImage, screen_reader_name

        self.figsize, self.dpi = figsize, check_int(dpi, "dpi", minimum=30, maximum=300)
        width = check_int(width, "width", minimum=100, maximum=4000)
        self.image = NamedImage(format="png", layout=widgets.Layout(width=f"{width}px"))
        self.image.add_class(PLOT_CLASS)
        screen_reader_name(self.image, "loss and accuracy per epoch, training and test")
        self.image.value = self.render(History())  # empty axes until the first epoch, not a broken image
        self.updates = 0  # how many pictures were drawn from a run

    def render(self, history: History) -> bytes:
        """Draw the curves of ``history`` (the loss of every step behind them) as PNG bytes."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from ..plotting import figure_to_png

        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(fig)
        draw_history(fig, {"": history}, steps=True)
        return figure_to_png(fig)

    def update(self, history: History) -> None:
        """Redraw the picture from ``history``."""
        self.image.value = self.render(history)
        self.updates += 1


def _notebook_tqdm():
    """Return tqdm's widget bar class when tqdm.auto chose it (inside a Jupyter kernel), else None."""
    from tqdm.auto import tqdm as auto_tqdm

    try:
        from tqdm.notebook import tqdm as notebook_tqdm
    except ImportError:  # pragma: no cover - ipywidgets is a dependency
        return None
    return auto_tqdm if issubclass(auto_tqdm, notebook_tqdm) else None


def _display(view):
    """Display ``view`` and return its handle, for a later update."""
    from IPython.display import display

    return display(view, display_id=True)


class TrainingDisplay:
    """What a training run shows: a progress bar, live curves, both or nothing.

    Parameters
    ----------
    progress : bool
        Show a ``tqdm`` bar counting the steps (CSS class ``course-train-progress``).
    live_plot : bool or LivePlot
        ``True`` displays new live curves (under the bar); a :class:`LivePlot` is updated in
        place and not displayed (its owner shows it, as the training widget does).
    total : int
        Steps the run will take, for the bar.
    interval : float
        Within an epoch, the curves are redrawn at most this often (seconds).

    Examples
    --------
    >>> shown = TrainingDisplay(progress=False, live_plot=False, total=10)
    >>> shown.plot is None
    True
    """

    def __init__(self, *, progress: bool, live_plot: bool | LivePlot, total: int,
                 interval: float = 1.0):
        self.plot: LivePlot | None
        if isinstance(live_plot, LivePlot):
            self.plot, show = live_plot, False
        elif live_plot is True:
            self.plot, show = LivePlot(), True
        elif live_plot is False or live_plot is None:
            self.plot, show = None, False
        else:
            raise TypeError(f"`live_plot` must be True, False or a LivePlot; got {live_plot!r}.")
        self.interval = interval
        self._last = time.perf_counter()
        self._handle = None  # the display, when this object showed the plot itself
        self.bar = self._open(progress, show, total)

    def _open(self, progress: bool, show: bool, total: int):
        """Display the bar and the plot; return the bar (None without ``progress``)."""
        plot = self.plot if show else None  # the plot this object displays itself
        if not progress:
            if plot is not None:
                self._show(plot.image, plot)
            return None
        from tqdm.auto import tqdm

        widget_bar = _notebook_tqdm()
        if widget_bar is not None and plot is not None:
            # One box: the widget progress bar above the live picture.
            import ipywidgets as widgets

            bar = widget_bar(total=total, unit="step", display=False)
            bar.container.add_class(PROGRESS_CLASS)
            self._show(widgets.VBox([bar.container, plot.image]), plot)
            return bar
        bar = tqdm(total=total, unit="step")
        container = getattr(bar, "container", None)
        if container is not None:
            container.add_class(PROGRESS_CLASS)
        if plot is not None:
            self._show(plot.image, plot)
        return bar

    def _show(self, widget: widgets.Widget, plot: LivePlot) -> None:
        """Show ``widget``, with a picture of ``plot`` for pages without a live kernel.

        :meth:`finish` refreshes that picture.
        """
        from ._static import Pictured

        self._view = Pictured(widget, text="Training: progress, and the loss and accuracy curves",
                              snapshot=lambda: plot.image.value,
                              alt="Loss and accuracy per epoch, training and test, as training went.")
        self._handle = _display(self._view)

    def start_epoch(self, epoch: int, epochs: int) -> None:
        """Name the epoch on the bar."""
        if self.bar is not None:
            self.bar.set_description(f"epoch {epoch}/{epochs}")

    def step(self, history: History) -> None:
        """Count a step; redraw the curves when the last picture is ``interval`` old."""
        if self.bar is not None:
            self.bar.update(1)
        if self.plot is not None and time.perf_counter() - self._last >= self.interval:
            self._redraw(history)

    def end_epoch(self, history: History, record: EpochRecord) -> None:
        """Show the epoch's loss and accuracy on the bar and redraw the curves."""
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{record.train_loss:.4f}",
                                 acc=f"{100 * (record.test_acc or record.train_acc):.1f}%")
        if self.plot is not None:
            self._redraw(history)

    def close(self) -> None:
        """Close the bar (also when training failed)."""
        if self.bar is not None:
            self.bar.close()

    def finish(self, history: History) -> None:
        """Draw the curves of a run that stopped early; keep a picture of the final curves."""
        if self.plot is not None and history.interrupted:
            self._redraw(history)
        if self._handle is not None:
            self._handle.update(self._view)

    def _redraw(self, history: History) -> None:
        if self.plot is None:
            return
        self.plot.update(history)
        self._last = time.perf_counter()
