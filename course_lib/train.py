"""The trainer: a small, readable training loop with the comforts of a classroom.

:func:`fit` trains a classifier on ``(x, y)`` tensors with cross-entropy and Adam (or SGD) and
returns a :class:`~course_lib.history.History` of per-epoch loss, accuracy and time, on the
training split and, if given, the test split. Along the way it

- shows a ``tqdm`` progress bar (a widget in a notebook, text in a terminal);
- tells a :class:`TrainingView` how it goes, so that a view attaches from above without the
  trainer knowing it: the live curves of :class:`course_lib.widgets.live_plot.LivePlot`
  (``fit(..., view=LivePlot())``), for one;
- saves a checkpoint after every epoch and resumes from it (``checkpoint=..., resume=True``;
  :mod:`course_lib.checkpoints`);
- stops cleanly on Ctrl-C (``KeyboardInterrupt``) or when asked to (``stop``, a
  ``threading.Event`` checked after every step), keeping the model and the finished epochs;
- raises :class:`TrainingDiverged`, naming the epoch and step, when the loss becomes NaN or inf;
- trains on the GPU when there is one (``device=None``) and hands the model back on the device it
  came from, so that code written for the CPU keeps working after training;
- is deterministic: the shuffling of every epoch comes from ``seed`` and the epoch number, and
  on a GPU cuDNN is held to its deterministic algorithms while training;
- picks the CPU threads for the model's size (:mod:`course_lib.engine.threads`).

Settings live in :class:`TrainConfig`, the one place that names and checks them; :func:`fit`
takes them as keywords (``fit(model, data, epochs=3, lr=0.01)``) or as a ``TrainConfig``.
:class:`Trainer` holds the model, the optimiser and the history, so training can continue where
it stopped.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from tqdm.notebook import tqdm as notebook_tqdm

from ._checks import check_choice, check_int, check_real
from ._devices import deterministic_cudnn, model_device, move_optimizer_state
from ._types import DataPair, PathLike
from .checkpoints import load_checkpoint, save_checkpoint
from .engine.threads import choose_threads, model_threads, torch_threads
from .history import EpochRecord, History

__all__ = [
    "MAX_LR",
    "PROGRESS_CLASS",
    "ProgressBar",
    "StepInfo",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "TrainingView",
    "evaluate",
    "fit",
]

PROGRESS_CLASS = "course-train-progress"
"""The CSS class of the progress bar in a notebook (browser tests and style sheets find it)."""


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


# --- settings ------------------------------------------------------------------------------


MAX_LR = 1e6
"""The largest learning rate accepted: far beyond any useful one, and small enough that the
optimisers' float32 arithmetic cannot overflow (Adam fails with a torch error near 4e37)."""


@dataclass
class TrainConfig:
    """Settings of a training run: the one place that names, documents and checks them.

    :func:`fit` takes these fields as keywords (``fit(model, data, epochs=3, lr=0.01)``), or a
    ``TrainConfig`` with keyword overrides.

    Examples
    --------
    >>> TrainConfig(epochs=3, lr=0.01).optimizer
    'adam'
    >>> TrainConfig(epochs=0, lr=0.01)
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be at least 1; got 0.
    """

    epochs: int  # total number of passes over the training set (a resumed run counts the old ones)
    lr: float  # learning rate: the step size of the optimiser (at most MAX_LR)
    batch_size: int = 64  # samples per optimisation step (the last batch may be smaller)
    optimizer: str = "adam"  # "adam", or "sgd" (plain SGD with the momentum below)
    momentum: float | None = None  # momentum of "sgd" (None: 0.9; 0: plain gradient descent)
    weight_decay: float = 0.0  # L2 penalty on the weights, passed to the optimiser
    seed: int = 0  # fixes the order of the samples in every epoch
    device: str | None = None  # where to train: "cpu", "cuda", ...; None picks CUDA when available
    threads: int | None = None  # CPU threads while training; None: chosen from the model's size

    def __post_init__(self):
        self.epochs = check_int(self.epochs, "epochs", minimum=1, maximum=100_000)
        self.lr = check_real(self.lr, "lr", positive=True, maximum=MAX_LR)
        self.batch_size = check_int(self.batch_size, "batch_size", minimum=1)
        self.optimizer = check_choice(self.optimizer, "optimizer", ("adam", "sgd"))
        if self.momentum is not None:
            self.momentum = check_real(self.momentum, "momentum", minimum=0.0, maximum=1.0)
            if self.optimizer != "sgd":
                raise ValueError(f"`momentum` applies to optimizer='sgd' only; got momentum="
                                 f"{self.momentum} with optimizer={self.optimizer!r}.")
        self.weight_decay = check_real(self.weight_decay, "weight_decay", minimum=0.0)
        self.seed = check_int(self.seed, "seed", minimum=0, maximum=2**63 - 1)
        if self.device is not None and not isinstance(self.device, str):
            raise TypeError(f"`device` must be a str such as 'cpu' or 'cuda', or None; got "
                            f"{type(self.device).__name__}.")
        if self.threads is not None:
            self.threads = check_int(self.threads, "threads", minimum=1, maximum=1024)


def _resolve_device(name: str | None) -> torch.device:
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"`device` must name a torch device ('cpu', 'cuda', ...); got {name!r}.") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"`device` is {name!r} but PyTorch sees no CUDA GPU here; use 'cpu' "
                         "or device=None.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"`device` is {name!r} but PyTorch sees {torch.cuda.device_count()} CUDA "
                         f"GPU(s), numbered from 0; use 'cuda' or 'cuda:0'.")
    return device


def _epoch_seed(seed: int, epoch: int) -> int:
    """Return a seed for one epoch's shuffle, so a resumed run shuffles exactly as an unbroken one."""
    state = np.random.SeedSequence([seed, epoch]).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> 1  # below 2**63, as torch.Generator.manual_seed wants


# --- data and evaluation -------------------------------------------------------------------


def _as_split(data, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Check an ``(x, y)`` pair: float images or vectors, and int64 class indices."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"`{name}` must be a pair (x, y) of tensors; got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
                        + ".")
    x, y = (torch.as_tensor(v) for v in data)
    if isinstance(data[0], np.ndarray) and x.dtype == torch.float64:
        x = x.float()  # NumPy's default float64 -> float32, the dtype of a fresh torch model
    if isinstance(data[1], np.ndarray) and not torch.is_floating_point(y) and y.dtype != torch.bool:
        y = y.long()  # NumPy integer labels (int32 on some systems) -> int64 class indices
    if not torch.is_floating_point(x) or x.ndim < 2:
        raise ValueError(f"`{name}`: x must be a float tensor (N, ...); got {x.dtype} of shape "
                         f"{tuple(x.shape)}.")
    if y.dtype != torch.int64 or y.ndim != 1:
        raise ValueError(f"`{name}`: y must be an int64 tensor (N,) of class indices; got "
                         f"{y.dtype} of shape {tuple(y.shape)}.")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"`{name}`: x and y must hold the same, non-zero number of samples; "
                         f"got {len(x)} and {len(y)}.")
    return x, y


@torch.no_grad()
def evaluate(model: nn.Module, data: DataPair, *, batch_size: int = 1024,
             device: str | torch.device | None = None) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``data = (x, y)``.

    The model is put in evaluation mode for the measurement and then back in its former mode.

    Examples
    --------
    >>> model = nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.eye(2)); _ = model.bias.zero_()
    >>> loss, acc = evaluate(model, (torch.tensor([[5.0, 0.0], [0.0, 5.0]]), torch.tensor([0, 0])))
    >>> round(loss, 4), acc
    (2.5067, 0.5)
    """
    x, y = _as_split(data, "data")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if device is None:
        device = model_device(model)
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    try:
        with torch.no_grad(), model_threads(model):
            for start in range(0, len(x), batch_size):
                xb = x[start:start + batch_size].to(device)  # (B, ...)
                yb = y[start:start + batch_size].to(device)  # (B,)
                logits = model(xb)  # (B, classes)
                total_loss += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
                correct += int((logits.argmax(dim=1) == yb).sum())
    finally:
        model.train(was_training)
    return total_loss / len(x), correct / len(x)


@dataclass(frozen=True)
class StepInfo:
    """What a ``callback`` learns after each optimisation step.

    Examples
    --------
    >>> info = StepInfo(epoch=1, step=2, steps_per_epoch=4, loss=0.5, history=History(),
    ...                 samples=64, correct=40)
    >>> info.correct / info.samples
    0.625
    """

    epoch: int  # 1-based epoch number
    step: int  # 1-based step within the epoch
    steps_per_epoch: int  # steps in a full epoch
    loss: float  # this step's training loss (the mean over its batch)
    history: History  # the run's history so far (finished epochs)
    samples: int  # samples in this step's batch (the last batch may be smaller)
    correct: int  # how many of them the model classified right before this step's update


# --- what watches a run --------------------------------------------------------------------


class TrainingView:
    """Something that watches a training run; the trainer calls these methods as it goes.

    The trainer draws nothing and imports no widget: a view attaches from above, through
    ``fit(..., view=...)``, and overrides the methods it needs (here they do nothing). The
    progress bar (:class:`ProgressBar`) is one; the live curves of
    :class:`course_lib.widgets.live_plot.LivePlot` are another. A view that shows a progress
    bar of its own sets :attr:`shows_progress`, and the trainer then shows none.

    Examples
    --------
    >>> class Count(TrainingView):
    ...     steps = 0
    ...     def step(self, info):
    ...         self.steps += 1
    >>> counter = Count()
    >>> x = torch.randn(8, 2); y = (x[:, 0] > 0).long()
    >>> _ = fit(nn.Linear(2, 2), (x, y), epochs=2, lr=0.1, batch_size=4, progress=False,
    ...         view=counter)
    >>> counter.steps
    4
    """

    shows_progress = False  # whether this view shows a progress bar of its own

    def start(self, total_steps: int) -> None:
        """Get ready: training begins, with ``total_steps`` optimisation steps to go."""

    def start_epoch(self, epoch: int, epochs: int) -> None:
        """Get ready for epoch ``epoch`` of ``epochs``."""

    def step(self, info: StepInfo) -> None:
        """Take in an optimisation step, just done (``info`` says which and how it went)."""

    def end_epoch(self, history: History, record: EpochRecord) -> None:
        """Take in an epoch, just done and evaluated (``record`` is its line of ``history``)."""

    def close(self) -> None:
        """Let go of what :meth:`start` made: training ended, perhaps by an error."""

    def finish(self, history: History) -> None:
        """Show the end: training ended after its last epoch, or early (``history.interrupted``)."""


class ProgressBar(TrainingView):
    """A ``tqdm`` bar counting the steps: a widget in a notebook, text in a terminal.

    In a notebook the bar is a widget with the CSS class ``course-train-progress``
    (:data:`PROGRESS_CLASS`); with ``display=False`` it is not displayed, and its owner places
    :attr:`widget` itself.
    """

    shows_progress = True

    def __init__(self, *, display: bool = True) -> None:
        self.display = display
        self.bar: Any = None

    @property
    def widget(self) -> Any:
        """The bar's widget in a notebook, once started (None in a terminal)."""
        return getattr(self.bar, "container", None)

    def start(self, total_steps: int) -> None:
        """Show a bar of ``total_steps`` steps."""
        in_notebook = issubclass(tqdm, notebook_tqdm)  # tqdm.auto's choice
        options = {} if self.display or not in_notebook else {"display": False}
        self.bar = tqdm(total=total_steps, unit="step", **options)
        if self.widget is not None:
            self.widget.add_class(PROGRESS_CLASS)

    def start_epoch(self, epoch: int, epochs: int) -> None:
        """Name the epoch on the bar."""
        if self.bar is not None:
            self.bar.set_description(f"epoch {epoch}/{epochs}")

    def step(self, _info: StepInfo) -> None:
        """Count a step."""
        if self.bar is not None:
            self.bar.update(1)

    def end_epoch(self, _history: History, record: EpochRecord) -> None:
        """Show the epoch's loss and accuracy on the bar."""
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{record.train_loss:.4f}",
                                 acc=f"{100 * (record.test_acc or record.train_acc):.1f}%")

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()


class _Views(TrainingView):
    """Several views watching one run, told in turn."""

    def __init__(self, views: list[TrainingView]) -> None:
        self.views = views

    def start(self, total_steps: int) -> None:
        for view in self.views:
            view.start(total_steps)

    def start_epoch(self, epoch: int, epochs: int) -> None:
        for view in self.views:
            view.start_epoch(epoch, epochs)

    def step(self, info: StepInfo) -> None:
        for view in self.views:
            view.step(info)

    def end_epoch(self, history: History, record: EpochRecord) -> None:
        for view in self.views:
            view.end_epoch(history, record)

    def close(self) -> None:
        for view in self.views:
            view.close()

    def finish(self, history: History) -> None:
        for view in self.views:
            view.finish(history)


# --- the trainer ---------------------------------------------------------------------------


class Trainer:
    """Holds a model, its optimiser and its history; :meth:`fit` trains up to ``config.epochs``.

    Calling :meth:`fit` again after an interruption, or with a larger ``config.epochs``,
    continues from where training stopped.

    Examples
    --------
    >>> trainer = Trainer(nn.Linear(2, 2), TrainConfig(epochs=2, lr=0.1, device="cpu"))
    >>> x = torch.randn(8, 2); y = (x[:, 0] > 0).long()
    >>> len(trainer.fit((x, y), progress=False))
    2
    >>> trainer.config.epochs = 3  # one more epoch, from where it stopped
    >>> len(trainer.fit((x, y), progress=False)), len(trainer.history.step_losses)
    (3, 3)
    """

    def __init__(self, model: nn.Module, config: TrainConfig):
        if not isinstance(model, nn.Module):
            raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
        if not isinstance(config, TrainConfig):
            raise TypeError(f"`config` must be a TrainConfig; got {type(config).__name__}.")
        if not any(True for _ in model.parameters()):
            raise ValueError("`model` has no parameters to train.")
        self.config = config
        self.device = _resolve_device(config.device)  # where fit() trains
        self.model = model  # stays where it is between calls of fit()
        self.optimizer = self._make_optimizer()
        self.history = History()

    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self.config
        if c.optimizer == "sgd":
            momentum = 0.9 if c.momentum is None else c.momentum
            return torch.optim.SGD(self.model.parameters(), lr=c.lr, momentum=momentum,
                                   weight_decay=c.weight_decay)
        return torch.optim.Adam(self.model.parameters(), lr=c.lr, weight_decay=c.weight_decay)

    def __repr__(self) -> str:
        return (f"Trainer({type(self.model).__name__}, {self.config}, device={self.device}, "
                f"{len(self.history)} epochs done)")

    def save(self, path: PathLike) -> Path:
        """Save model, optimiser state, history and settings."""
        return save_checkpoint(path, self.model, optimizer=self.optimizer, history=self.history,
                               settings=asdict(self.config))

    def load(self, path: PathLike) -> History:
        """Restore model, optimiser and history from a checkpoint made by :meth:`save`."""
        self.history = load_checkpoint(path, self.model, optimizer=self.optimizer)
        self.history.interrupted = False
        return self.history

    def fit(self, train: DataPair, test: DataPair | None = None, *, progress: bool = True,
            view: TrainingView | None = None, checkpoint: PathLike | None = None, resume: bool = False,
            callback: Callable[[StepInfo], None] | None = None,
            stop: threading.Event | None = None, quiet: bool = False) -> History:
        """Train until ``config.epochs`` epochs are done; see :func:`fit` for the options.

        The model trains on ``self.device`` and goes back afterwards to the device it was on.
        """
        x, y = (t.to(self.device) for t in _as_split(train, "train"))
        test = _as_split(test, "test") if test is not None else None
        if callback is not None and not callable(callback):
            raise TypeError(f"`callback` must be callable; got {type(callback).__name__}.")
        if view is not None and not isinstance(view, TrainingView):
            raise TypeError(f"`view` must be a TrainingView (e.g. course_lib.widgets.live_plot."
                            f"LivePlot()) or None; got {type(view).__name__}.")
        if stop is not None and not callable(getattr(stop, "is_set", None)):
            raise TypeError(f"`stop` must be a threading.Event (or None); got "
                            f"{type(stop).__name__}.")
        if resume and checkpoint is None:
            raise ValueError("`resume=True` needs `checkpoint`, the file to resume from.")
        home = model_device(self.model)
        self.model.to(self.device)
        try:
            with deterministic_cudnn(self.device):
                own_bar = view is not None and view.shows_progress
                views = [ProgressBar()] if progress and not own_bar else []
                return self._fit(x, y, test, view=_Views(views + ([view] if view else [])),
                                 checkpoint=checkpoint, resume=resume, callback=callback,
                                 stop=stop, quiet=quiet)
        finally:
            self.model.to(home)

    def _fit(self, x, y, test, *, view: TrainingView, checkpoint, resume, callback, stop,
             quiet) -> History:
        """Train on ``self.device``, where the model and the data already are."""
        if resume and Path(checkpoint).is_file():
            self.load(checkpoint)
        move_optimizer_state(self.optimizer, self.device)  # e.g. after load() on the CPU
        steps_per_epoch = math.ceil(len(x) / self.config.batch_size)
        remaining = max(self.config.epochs - len(self.history), 0)
        view.start(remaining * steps_per_epoch)
        was_training = self.model.training
        self.history.interrupted = False
        epoch, first_step = len(self.history) + 1, len(self.history.step_losses)
        with torch_threads(self.config.threads or choose_threads(self.model)):
            try:
                for epoch in range(len(self.history) + 1, self.config.epochs + 1):
                    view.start_epoch(epoch, self.config.epochs)
                    first_step = len(self.history.step_losses)
                    record = self._epoch(x, y, test, epoch, view=view, callback=callback,
                                         stop=stop)
                    if record is None:  # `stop` was set
                        self._stopped("stopped", epoch, len(self.history.step_losses) - first_step,
                                      steps_per_epoch, quiet=quiet)
                        break
                    self.history.append(record)
                    view.end_epoch(self.history, record)
                    if checkpoint is not None:
                        self.save(checkpoint)
            except KeyboardInterrupt:  # Ctrl-C
                self._stopped("interrupted", epoch, len(self.history.step_losses) - first_step,
                              steps_per_epoch, quiet=quiet)
            finally:
                self.model.train(was_training)
                view.close()
        view.finish(self.history)
        return self.history

    def _epoch(self, x, y, test, epoch: int, *, view: TrainingView,
               callback: Callable[[StepInfo], None] | None,
               stop: threading.Event | None) -> EpochRecord | None:
        """Train one epoch, then evaluate on ``test``; None when ``stop`` was set meanwhile."""
        start = time.perf_counter()
        loss_sum, correct = 0.0, 0
        for info in self.train_epoch(x, y, epoch):
            loss_sum += info.loss * info.samples
            correct += info.correct
            view.step(info)
            if callback is not None:
                callback(info)
            if stop is not None and stop.is_set():
                return None
        test_loss = test_acc = None
        if test is not None:
            test_loss, test_acc = evaluate(self.model, test, device=self.device)
        return EpochRecord(epoch, loss_sum / len(x), correct / len(x), test_loss, test_acc,
                           time.perf_counter() - start)

    def train_epoch(self, x: torch.Tensor, y: torch.Tensor, epoch: int) -> Iterator[StepInfo]:
        """Run one epoch, yielding a :class:`StepInfo` after every optimisation step.

        ``x`` and ``y`` are the training split, already on ``self.device``; ``epoch`` (from 1)
        seeds the shuffle. Shown in notebook 03 (training a tiny CNN).
        """
        self.model.train()
        generator = torch.Generator().manual_seed(_epoch_seed(self.config.seed, epoch))
        order = torch.randperm(len(x), generator=generator).to(self.device)  # (N,)
        bs = self.config.batch_size
        steps = math.ceil(len(x) / bs)
        for step, begin in enumerate(range(0, len(x), bs), 1):
            idx = order[begin:begin + bs]
            xb, yb = x[idx], y[idx]  # (B, C, H, W), (B,)
            logits = self.model(xb)  # (B, classes)
            loss = nn.functional.cross_entropy(logits, yb)
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"The training loss became {value} at epoch {epoch}, step {step} of "
                    f"{steps}: the weights blew up. Try a smaller learning rate "
                    f"(lr={self.config.lr}) or check the inputs for NaN/inf.")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.history.step_losses.append(value)
            correct = int((logits.argmax(dim=1) == yb).sum())
            yield StepInfo(epoch, step, steps, value, self.history, len(yb), correct)

    def _stopped(self, how: str, epoch: int, step: int, steps_per_epoch: int, *,
                 quiet: bool) -> None:
        """Mark the history as cut short and say where (unless ``quiet``)."""
        self.history.interrupted = True
        if not quiet:
            print(f"Training was {how} in epoch {epoch}, after {step} of its "
                  f"{steps_per_epoch} steps: the model keeps its latest weights and the "
                  f"history its {len(self.history)} finished epochs.")


# --- one call ------------------------------------------------------------------------------


_SETTINGS = tuple(f.name for f in fields(TrainConfig))


def _config(config: TrainConfig | None, settings: dict) -> TrainConfig:
    """``config`` with ``settings`` (TrainConfig fields) replaced, or a TrainConfig of them."""
    unknown = [name for name in settings if name not in _SETTINGS]
    if unknown:
        raise TypeError(f"`{unknown[0]}` is not a training setting; the settings are the fields "
                        f"of TrainConfig: {', '.join(_SETTINGS)}.")
    if config is None:
        missing = [f"`{name}`" for name in ("epochs", "lr") if name not in settings]
        if missing:
            raise TypeError(f"fit needs {' and '.join(missing)}, e.g. "
                            "fit(model, train, epochs=5, lr=0.01), or a TrainConfig.")
        return TrainConfig(**settings)
    if not isinstance(config, TrainConfig):
        hint = " (pass the test split as test=(x, y))" if isinstance(config, (tuple, list)) else ""
        raise TypeError(f"`config` must be a TrainConfig or None; got "
                        f"{type(config).__name__}{hint}.")
    return replace(config, **settings)


def fit(model: nn.Module, train: DataPair, config: TrainConfig | None = None, *,
        test: DataPair | None = None, progress: bool = True, view: TrainingView | None = None,
        checkpoint: PathLike | None = None,
        resume: bool = False, callback: Callable[[StepInfo], None] | None = None,
        stop: threading.Event | None = None, quiet: bool = False, **settings: Any) -> History:
    """Train a classifier ``model`` on ``train = (x, y)`` with cross-entropy.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch ``x`` of shape (B, ...) to class scores (B, classes). Trained in place.
    train, test : tuple of torch.Tensor
        ``(x, y)``: float inputs and int64 class indices. ``test`` is evaluated after each epoch.
    config : TrainConfig, optional
        All settings at once; keyword settings below replace its fields.
    **settings
        The fields of :class:`TrainConfig`, which checks them (``epochs`` and ``lr`` are
        needed unless ``config`` is given):

        - ``epochs`` (int): total passes over the training set (a resumed run counts the old);
        - ``lr`` (float): the learning rate;
        - ``batch_size`` (int, 64): samples per step;
        - ``optimizer`` (``"adam"`` or ``"sgd"``), ``momentum`` (SGD only; None: 0.9),
          ``weight_decay`` (float, 0);
        - ``seed`` (int, 0): fixes the order of the samples in every epoch;
        - ``device`` (str or None): where to train; None picks CUDA when available. The model
          goes back to the device it was on once training ends;
        - ``threads`` (int or None): CPU threads; None: one for a small model (see
          :mod:`course_lib.engine.threads`); the caller's setting is restored afterwards.
    progress : bool
        Show a tqdm progress bar (:class:`ProgressBar`; CSS class ``course-train-progress`` in a
        notebook), unless ``view`` shows its own.
    view : TrainingView, optional
        Told of every step and epoch: ``LivePlot()`` from :mod:`course_lib.widgets.live_plot`
        shows the progress bar and the loss and accuracy curves live, in one box.
    checkpoint : str or pathlib.Path, optional
        Save model, optimiser and history there after every epoch.
    resume : bool
        Start from ``checkpoint`` if that file exists (``epochs`` counts the epochs done before).
    callback : callable, optional
        Called with a :class:`StepInfo` after every step.
    stop : threading.Event, optional
        Checked after every step (after ``callback``): once it is set, training stops as
        Ctrl-C stops it (the Stop button of the training widget sets it from another thread).
    quiet : bool
        Do not print the note that training was stopped (the training widget shows it in its
        own message line instead).

    Returns
    -------
    History
        One :class:`~course_lib.history.EpochRecord` per finished epoch;
        ``history.interrupted`` tells whether Ctrl-C or ``stop`` cut the run short.

    Raises
    ------
    TrainingDiverged
        When the loss becomes NaN or infinite (the message names the epoch and step).

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.randn(64, 2); y = (x[:, 0] > 0).long()
    >>> model = nn.Linear(2, 2)
    >>> history = fit(model, (x, y), epochs=10, lr=0.1, batch_size=16, progress=False)
    >>> len(history), evaluate(model, (x, y))[1] > 0.9
    (10, True)

    The same settings as one object, with one of them changed:

    >>> config = TrainConfig(epochs=2, lr=0.1, batch_size=16)
    >>> len(fit(nn.Linear(2, 2), (x, y), config, epochs=3, progress=False))
    3
    """
    return Trainer(model, _config(config, settings)).fit(
        train, test, progress=progress, view=view, checkpoint=checkpoint,
        resume=resume, callback=callback, stop=stop, quiet=quiet)
