r"""The live view of a training run: a progress bar and loss and accuracy curves redrawn in place.

:class:`LivePlot` is a :class:`course_lib.train.TrainingView`: passed to
``fit(..., view=LivePlot())`` it shows, in one box, the progress bar above the curves, a PNG in
an ``ipywidgets.Image`` replaced without flicker in JupyterLab, Notebook 7, VS Code and Colab.
The curves are redrawn at most once a second within an epoch, and after every epoch. The
trainer does not know this module: the view attaches from above.

Browser tests and the classroom's style sheet find the picture by its CSS class,
``course-train-plot`` (the trainer's bar carries ``course-train-progress``).

>>> plot = LivePlot(width=320)
>>> bytes(plot.image.value[:8]), plot.updates
(b'\x89PNG\r\n\x1a\n', 0)
"""

from __future__ import annotations

import time

import ipywidgets as widgets
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._checks import check_int, check_real
from ..history import EpochRecord, History, draw_history
from ..plotting import figure_to_png
from ..train import ProgressBar, StepInfo, TrainingView
from .app import NamedImage, Pictured, screen_reader_name

__all__ = ["PLOT_CLASS", "LivePlot"]

PLOT_CLASS = "course-train-plot"


class LivePlot(TrainingView):
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
    interval : float
        Within an epoch, the curves are redrawn at most this often (seconds).
    show : bool
        Display the picture when training starts (with a still picture of it, for pages read
        without a kernel). False when its owner shows ``image`` itself, as the training widget
        does.
    progress : bool
        Show the trainer's progress bar (:class:`course_lib.train.ProgressBar`) above the
        picture, in the same box (the trainer then shows none of its own).

    Examples
    --------
    >>> plot = LivePlot()
    >>> plot.update(History([EpochRecord(1, 0.9, 0.7, 0.8, 0.75, 1.2)]))
    >>> plot.updates, bytes(plot.image.value[1:4])
    (1, b'PNG')
    """

    def __init__(self, *, width: int = 640, figsize: tuple[float, float] = (9.0, 3.2),
                 dpi: int = 72, interval: float = 1.0, show: bool = True, progress: bool = True):
        self.figsize, self.dpi = figsize, check_int(dpi, "dpi", minimum=30, maximum=300)
        width = check_int(width, "width", minimum=100, maximum=4000)
        self.interval = check_real(interval, "interval", minimum=0.0)
        for name, flag in (("show", show), ("progress", progress)):
            if not isinstance(flag, bool):
                raise TypeError(f"`{name}` must be True or False; got {flag!r}.")
        self.show, self.shows_progress = show, progress
        self.bar: ProgressBar | None = None
        self.image = NamedImage(format="png", layout=widgets.Layout(width=f"{width}px"))
        self.image.add_class(PLOT_CLASS)
        screen_reader_name(self.image, "loss and accuracy per epoch, training and test")
        self.image.value = self.render(History())  # empty axes until the first epoch, not a broken image
        self.updates = 0  # how many pictures were drawn from a run
        self._last = time.perf_counter()
        self._view: Pictured | None = None
        self._handle = None  # the display, when this plot showed itself

    def render(self, history: History) -> bytes:
        """Draw the curves of ``history`` (the loss of every step behind them) as PNG bytes."""
        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(fig)
        draw_history(fig, {"": history}, steps=True)
        return figure_to_png(fig)

    def update(self, history: History) -> None:
        """Redraw the picture from ``history``."""
        self.image.value = self.render(history)
        self.updates += 1
        self._last = time.perf_counter()

    # -- the TrainingView side: what the trainer calls ----------------------------------------

    def start(self, total_steps: int) -> None:
        """Start the bar, and display it above the picture (unless ``show`` is False)."""
        self._last = time.perf_counter()
        self.bar = ProgressBar(display=False) if self.shows_progress else None
        if self.bar is not None:
            self.bar.start(total_steps)
        if self.show:
            bar = self.bar.widget if self.bar is not None else None  # None in a terminal
            shown = widgets.VBox([bar, self.image]) if bar is not None else self.image
            self._view = Pictured(shown, text="Training: progress, and the loss and accuracy curves",
                                  snapshot=lambda: self.image.value,
                                  alt="Loss and accuracy per epoch, training and test, as "
                                      "training went.")
            self._handle = _display(self._view)

    def start_epoch(self, epoch: int, epochs: int) -> None:
        """Name the epoch on the bar."""
        if self.bar is not None:
            self.bar.start_epoch(epoch, epochs)

    def step(self, info: StepInfo) -> None:
        """Count the step; redraw when the last picture is ``interval`` old."""
        if self.bar is not None:
            self.bar.step(info)
        if time.perf_counter() - self._last >= self.interval:
            self.update(info.history)

    def end_epoch(self, history: History, record: EpochRecord) -> None:
        """Show the epoch's loss and accuracy on the bar; redraw after every epoch."""
        if self.bar is not None:
            self.bar.end_epoch(history, record)
        self.update(history)

    def close(self) -> None:
        """Close the bar (also when training failed)."""
        if self.bar is not None:
            self.bar.close()

    def finish(self, history: History) -> None:
        """Draw the last steps of a run stopped early; keep a picture of the final curves."""
        if history.interrupted:
            self.update(history)
        if self._handle is not None:
            self._handle.update(self._view)


def _display(view):
    """Display ``view`` and return its handle, for a later update."""
    return display(view, display_id=True)
