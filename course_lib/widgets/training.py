"""The live training demo for the classroom: press Train and watch the progress and the curves.

Choose a data set, an activation, a learning rate and a number of epochs, press Train, and
watch the progress and the curves.

Training runs in a background thread, so the notebook stays responsive (the Stop button works
while the model trains: it sets a ``threading.Event`` that the trainer checks after every
step). Thin over :func:`course_lib.train.fit`.
"""

from __future__ import annotations

import threading

import ipywidgets as widgets
import torch

from .._types import DataPair
from ..activations import ACTIVATION_NAMES, get_activation
from ..data import load_digits_split, make_shapes
from ..history import History
from ..models.tiny import tiny_cnn
from ..train import PROGRESS_CLASS, StepInfo, TrainingDiverged, fit
from ._common import message_line, show_message
from .app import App
from .live_plot import LivePlot

__all__ = ["DATASETS", "LEARNING_RATES", "TrainingDemo", "training_demo"]

CSS_CLASS = "course-training-demo"
# data set name -> (image size, number of classes)
DATASETS = {"digits": (8, 10), "shapes": (32, 4)}
SHAPES_TRAIN, SHAPES_TEST = 1200, 400  # small enough for a live demo on a laptop CPU
BATCH_SIZE = 64
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)  # the slider's stops


class TrainingDemo(App):
    """The training demo: its widgets, its last run, and Train and Stop.

    Widgets: ``dataset``, ``activation``, ``lr``, ``epochs``, ``train_button``,
    ``stop_button``, ``progress`` (+ ``progress_label``), the live ``plot``, ``message``;
    ``widget`` is the whole app and ``history`` the last run's :class:`History`.
    """

    def __init__(self, *, dataset: str = "digits", activation: str = "relu", lr: float = 3e-3,
                 epochs: int = 5, background: bool = True, dpi: int = 72):
        self.dataset = widgets.Dropdown(options=list(DATASETS), value=dataset,
                                        description="data set",
                                        style={"description_width": "initial"})
        self.activation = widgets.Dropdown(
            options=[(get_activation(n).label, n) for n in ACTIVATION_NAMES], value=activation,
            description="activation", style={"description_width": "initial"})
        if lr not in LEARNING_RATES:
            raise ValueError(f"`lr` must be one of {', '.join(f'{r:g}' for r in LEARNING_RATES)}; "
                             f"got {lr!r}.")
        wide = {"description_width": "initial"}
        self.lr = widgets.SelectionSlider(options=[(f"{r:g}", r) for r in LEARNING_RATES],
                                          value=lr, description="learning rate", style=wide)
        self.epochs = widgets.IntSlider(value=epochs, min=1, max=30, description="epochs",
                                        style=wide)
        self.train_button = widgets.Button(description="Train", button_style="primary",
                                           icon="play")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress")
        self.progress_label = widgets.HTML(value="")
        progress_box = widgets.HBox([self.progress, self.progress_label])
        progress_box.add_class(PROGRESS_CLASS)
        self.live = LivePlot(width=640, dpi=dpi, show=False, progress=False)  # dpi 144: projector
        self.plot = self.live.image  # CSS class course-train-plot
        self.message = message_line()
        self.background = bool(background)
        self.history: History | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()  # set by Stop; fit checks it after every step
        self._data: dict[str, tuple[DataPair, DataPair]] = {}
        controls = widgets.VBox([
            widgets.HBox([self.dataset, self.activation]),
            widgets.HBox([self.lr, self.epochs]),
            widgets.HBox([self.train_button, self.stop_button]),
        ])
        self.widget = widgets.VBox([controls, progress_box, self.message, self.plot])
        self.widget.add_class(CSS_CLASS)
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())

    # -- data and model ---------------------------------------------------------------------

    def data(self, name: str) -> tuple[DataPair, DataPair]:
        """``(train, test)`` pairs of the data set ``name`` (built once, then cached)."""
        if name not in self._data:
            if name == "digits":
                split = load_digits_split()
                self._data[name] = (split.train, split.test)
            else:
                self._data[name] = (make_shapes(SHAPES_TRAIN, seed=0),
                                    make_shapes(SHAPES_TEST, seed=1))
        return self._data[name]

    def _model(self):
        size, classes = DATASETS[self.dataset.value]
        with torch.random.fork_rng(devices=[]):  # same start every time, global RNG untouched
            torch.manual_seed(0)
            return tiny_cnn(image_size=size, num_classes=classes,
                            activation=self.activation.value)

    # -- running ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a background training run is under way."""
        return self._thread is not None and self._thread.is_alive()

    def train(self) -> None:
        """Start training with the current settings (in a thread when ``background``)."""
        if self.running:
            show_message(self.message, "Training is already running: press Stop first.")
            return
        self._stop.clear()
        self._set_busy(True)
        show_message(self.message, f"Training a tiny CNN ({self.activation.value}) on the "
                                   f"{self.dataset.value}...", kind="info")
        if self.background:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        else:
            self._run()

    def stop(self) -> None:
        """Ask a running training to stop after its current step."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until a background training run has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            train, test = self.data(self.dataset.value)
            epochs = int(self.epochs.value)
            steps = epochs * -(-len(train[1]) // BATCH_SIZE)  # ceil
            self.progress.max, self.progress.value = steps, 0
            history = fit(self._model(), train, test=test, epochs=epochs,
                          lr=float(self.lr.value), batch_size=BATCH_SIZE, progress=False,
                          view=self.live, callback=self._on_step, stop=self._stop, quiet=True)
            self.history = history
            self._report(history)
        except TrainingDiverged as exc:
            show_message(self.message, str(exc))
        except Exception as exc:  # a widget must show the problem, not die silently
            show_message(self.message, f"Training failed: {type(exc).__name__}: {exc}")
        finally:
            self._set_busy(False)

    def _on_step(self, info: StepInfo) -> None:
        self.progress.value += 1
        if info.step == info.steps_per_epoch or info.step % 5 == 0:
            self.progress_label.value = (f"epoch {info.epoch}, step {info.step}/"
                                         f"{info.steps_per_epoch}, loss {info.loss:.3f}")

    def _report(self, history) -> None:
        if not len(history):
            show_message(self.message, "Stopped before the first epoch finished.", kind="info")
            return
        last, epochs = history[-1], f"{len(history)} epoch{'s' if len(history) > 1 else ''}"
        text = (f"{'Stopped after ' if history.interrupted else ''}{epochs}: train accuracy "
                f"{100 * last.train_acc:.1f}%, test accuracy {100 * last.test_acc:.1f}%.")
        show_message(self.message, text, kind="ok")
        self.progress_label.value = f"done: test accuracy {100 * last.test_acc:.1f}%"

    def _set_busy(self, busy: bool) -> None:
        self.train_button.disabled = busy
        self.stop_button.disabled = not busy
        for control in (self.dataset, self.activation, self.lr, self.epochs):
            control.disabled = busy

    def snapshot(self) -> bytes:
        """PNG of the demo as it is now: the curves of the last run (empty axes before one)."""
        return self.plot.value

    def __repr__(self) -> str:
        return (f"TrainingDemo(dataset={self.dataset.value!r}, activation={self.activation.value!r}, "
                f"lr={self.lr.value:g}, epochs={self.epochs.value})")

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        alt = (f"Training demo: a tiny CNN on the {self.dataset.value} with "
               f"{get_activation(self.activation.value).label}, learning rate {self.lr.value:g}, "
               f"{self.epochs.value} epochs. Loss and accuracy axes"
               + (", with the curves of the last run." if self.history else
                  ", empty until Train is pressed in a live notebook."))
        return alt


def training_demo(*, dataset: str = "digits", activation: str = "relu", lr: float = 3e-3,
                  epochs: int = 5, background: bool = True, dpi: int = 72) -> TrainingDemo:
    """Build the live training demo (display it, or its ``.widget``, in a notebook).

    Examples
    --------
    >>> demo = training_demo(epochs=3)
    >>> demo.dataset.options, demo.epochs.value, demo.stop_button.disabled
    (('digits', 'shapes'), 3, True)
    """
    return TrainingDemo(dataset=dataset, activation=activation, lr=lr, epochs=epochs,
                        background=background, dpi=dpi)
