"""The trainer: a small, readable training loop with the comforts of a classroom.

:func:`fit` trains a classifier on ``(x, y)`` tensors with cross-entropy and Adam (or SGD) and
returns a :class:`History` of per-epoch loss, accuracy and time, on the training split and,
if given, the test split. Along the way it

- shows a ``tqdm`` progress bar (a widget in a notebook, text in a terminal);
- draws the curves live (``live_plot=True``): a PNG rendered into an ``ipywidgets.Image``, so
  the picture is replaced in place without flicker in JupyterLab, Notebook, VS Code and Colab;
- saves a checkpoint after every epoch and resumes from it (``checkpoint=..., resume=True``);
- stops cleanly on Ctrl-C (``KeyboardInterrupt``), keeping the model and the finished epochs;
- raises :class:`TrainingDiverged`, naming the epoch and step, when the loss becomes NaN or inf;
- is deterministic on a CPU: the shuffling of every epoch comes from ``seed`` and the epoch number.

Settings live in :class:`TrainConfig`; :class:`Trainer` holds the model, the optimiser and the
history, so training can continue where it stopped.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._checks import as_float_array, check_choice, check_int, check_real, check_size
from .threads import choose_threads, torch_threads

__all__ = [
    "EpochRecord",
    "History",
    "LivePlot",
    "StepInfo",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "descent_path",
    "evaluate",
    "fit",
    "linear_loss_surface",
    "load_checkpoint",
    "plot_history",
    "save_checkpoint",
]

PLOT_CLASS = "course-train-plot"
PROGRESS_CLASS = "course-train-progress"


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


# --- settings ------------------------------------------------------------------------------


MAX_LR = 1e6
"""The largest learning rate accepted: far beyond any useful one, and small enough that the
optimisers' float32 arithmetic cannot overflow (Adam fails with a torch error near 4e37)."""


@dataclass
class TrainConfig:
    """Settings of a training run.

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
    device: str | None = None  # "cpu", "cuda", ...; None picks CUDA when available
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
    return device


def _epoch_seed(seed: int, epoch: int) -> int:
    """A seed for one epoch's shuffle, so a resumed run shuffles exactly as an unbroken one."""
    state = np.random.SeedSequence([seed, epoch]).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> 1  # below 2**63, as torch.Generator.manual_seed wants


# --- history -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch measured."""

    epoch: int  # 1 for the first epoch
    train_loss: float  # mean cross-entropy over the epoch's steps (weights changing meanwhile)
    train_acc: float  # fraction of training samples classified right during the epoch
    test_loss: float | None  # cross-entropy on the test split after the epoch (None: no test)
    test_acc: float | None  # accuracy on the test split after the epoch
    seconds: float  # wall-clock time of the epoch, evaluation included


@dataclass
class History:
    """Per-epoch records of a training run, plus the loss of every step.

    Prints as a table; columns are available as lists (``history.test_acc``).

    Examples
    --------
    >>> h = History()
    >>> h.append(EpochRecord(1, 0.9, 0.7, 0.8, 0.75, 1.2))
    >>> print(h.table(times=False))
    epoch  train loss  train acc  test loss  test acc
        1      0.9000     70.00%     0.8000    75.00%
    >>> h.test_acc
    [0.75]
    """

    records: list[EpochRecord] = field(default_factory=list)  # one per finished epoch
    step_losses: list[float] = field(default_factory=list)  # the loss of every step
    interrupted: bool = False  # True when the last run was stopped by KeyboardInterrupt

    def append(self, record: EpochRecord) -> None:
        self.records.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index):
        return self.records[index]

    def _column(self, name: str) -> list:
        return [getattr(r, name) for r in self.records]

    train_loss = property(lambda self: self._column("train_loss"))
    train_acc = property(lambda self: self._column("train_acc"))
    test_loss = property(lambda self: self._column("test_loss"))
    test_acc = property(lambda self: self._column("test_acc"))
    seconds = property(lambda self: self._column("seconds"))

    @property
    def has_test(self) -> bool:
        return any(r.test_loss is not None for r in self.records)

    def table(self, *, times: bool = True) -> str:
        """The history as a text table; ``times=False`` leaves out the (varying) seconds."""
        head = ["epoch", "train loss", "train acc"]
        if self.has_test:
            head += ["test loss", "test acc"]
        if times:
            head.append("seconds")
        rows = []
        for r in self.records:
            row = [f"{r.epoch}", f"{r.train_loss:.4f}", f"{100 * r.train_acc:.2f}%"]
            if self.has_test:
                row += ["-" if r.test_loss is None else f"{r.test_loss:.4f}",
                        "-" if r.test_acc is None else f"{100 * r.test_acc:.2f}%"]
            if times:
                row.append(f"{r.seconds:.2f}")
            rows.append(row)
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in
                           enumerate(zip(head, widths, strict=True))).rstrip()]
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        if self.interrupted:
            lines.append(f"(interrupted after {len(self.records)} finished epochs)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        if not self.records:
            return "History(no epochs yet)"
        return self.table()

    def to_dict(self) -> dict:
        """Plain lists and numbers (what a ``weights_only`` checkpoint may hold)."""
        return {"records": [asdict(r) for r in self.records],
                "step_losses": list(self.step_losses), "interrupted": self.interrupted}

    @classmethod
    def from_dict(cls, data: Mapping) -> History:
        return cls([EpochRecord(**r) for r in data["records"]], list(data["step_losses"]),
                   bool(data["interrupted"]))


@dataclass(frozen=True)
class StepInfo:
    """What a ``callback`` learns after each optimisation step."""

    epoch: int  # 1-based epoch number
    step: int  # 1-based step within the epoch
    steps_per_epoch: int  # steps in a full epoch
    loss: float  # this step's training loss
    history: History  # the run's history so far (finished epochs)


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
def evaluate(model: nn.Module, data, *, batch_size: int = 1024,
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
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    try:
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size].to(device)  # (B, ...)
            yb = y[start:start + batch_size].to(device)  # (B,)
            logits = model(xb)  # (B, classes)
            total_loss += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
            correct += int((logits.argmax(dim=1) == yb).sum())
    finally:
        model.train(was_training)
    return total_loss / len(x), correct / len(x)


# --- plots ---------------------------------------------------------------------------------


def _draw_history(fig, histories: Mapping[str, History], *, steps: bool = False) -> None:
    """Loss and accuracy panels; train solid, test dashed; one colour per run."""
    from matplotlib.ticker import MaxNLocator

    ax_loss, ax_acc = fig.subplots(1, 2)
    several = len(histories) > 1
    for i, (name, h) in enumerate(histories.items()):
        colour = f"C{i % 10}"
        epochs = [r.epoch for r in h.records]
        if steps and h.step_losses:
            per_epoch = round(len(h.step_losses) / len(h.records)) if h.records else 0
            per_epoch = per_epoch or len(h.step_losses)
            xs = np.arange(1, len(h.step_losses) + 1) / per_epoch
            ax_loss.plot(xs, h.step_losses, color=colour, alpha=0.25, lw=0.8,
                         label=None if several else "train, each step")
        train_label, test_label = (name, None) if several else ("train", "test")
        ax_loss.plot(epochs, h.train_loss, "o-", color=colour, ms=4, label=train_label)
        ax_acc.plot(epochs, [100 * a for a in h.train_acc], "o-", color=colour, ms=4,
                    label=train_label)
        if h.has_test:
            ax_loss.plot(epochs, h.test_loss, "s--", color=colour, ms=4, label=test_label)
            ax_acc.plot(epochs, [100 * a for a in h.test_acc], "s--", color=colour, ms=4,
                        label=test_label)
    suffix = " (solid: train, dashed: test)" if several else ""
    ax_loss.set(title="loss (cross-entropy)" + suffix, xlabel="epoch", ylabel="loss")
    ax_acc.set(title="accuracy" + suffix, xlabel="epoch", ylabel="accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    if any(len(h) for h in histories.values()):
        ax_acc.legend(fontsize=8, loc="lower right")
    elif not any(h.step_losses for h in histories.values()):  # nothing yet: a clean, labelled frame
        ax_loss.set(xlim=(0, 5), ylim=(0, 2.5))
        ax_acc.set(xlim=(0, 5), ylim=(0, 100))
        for ax in (ax_loss, ax_acc):
            ax.text(0.5, 0.5, "the curves appear here\nas the network trains", ha="center",
                    va="center", color="0.5", transform=ax.transAxes)
    fig.tight_layout()


def _as_histories(history) -> dict[str, History]:
    if isinstance(history, History):
        return {"": history}
    if isinstance(history, Mapping) and history and all(
            isinstance(h, History) for h in history.values()):
        return {str(k): h for k, h in history.items()}
    raise TypeError("`history` must be a History or a non-empty dict of name -> History; got "
                    f"{type(history).__name__}.")


def plot_history(history, *, figsize: tuple[float, float] = (9.0, 3.2)):
    """Plot loss and accuracy per epoch (train solid, test dashed) of one or more runs.

    Parameters
    ----------
    history : History or dict of str to History
        One run, or several runs to compare (one colour each).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    histories = _as_histories(history)
    fig = plt.figure(figsize=figsize)
    _draw_history(fig, histories)
    return fig


class LivePlot:
    """Loss and accuracy curves redrawn in place: a PNG in an ``ipywidgets.Image``.

    The figure is drawn with matplotlib's Agg canvas (no pyplot, no window, safe from a
    background thread) and its PNG bytes replace the Image's value, which the browser swaps
    without flicker. The Image carries the CSS class ``course-train-plot``.
    """

    def __init__(self, *, width: int = 640, figsize: tuple[float, float] = (9.0, 3.2),
                 dpi: int = 72):
        import ipywidgets as widgets

        from .widgets._static import NamedImage, screen_reader_name

        self.figsize, self.dpi = figsize, check_int(dpi, "dpi", minimum=30, maximum=300)
        width = check_int(width, "width", minimum=100, maximum=4000)
        self.image = NamedImage(format="png", layout=widgets.Layout(width=f"{width}px"))
        self.image.add_class(PLOT_CLASS)
        screen_reader_name(self.image, "loss and accuracy per epoch, training and test")
        self.image.value = self.render(History())  # empty axes until the first epoch, not a broken image
        self.updates = 0  # how many pictures were drawn from a run

    def render(self, history: History) -> bytes:
        """The PNG of the curves of ``history``."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(fig)
        _draw_history(fig, {"": history}, steps=True)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()

    def update(self, history: History) -> None:
        """Redraw the picture from ``history``."""
        self.image.value = self.render(history)
        self.updates += 1


# --- checkpoints ---------------------------------------------------------------------------


def save_checkpoint(path, model: nn.Module, *, optimizer: torch.optim.Optimizer | None = None,
                    history: History | None = None, config: TrainConfig | None = None) -> Path:
    """Save model (and optimiser, history, settings) to ``path`` with ``torch.save``.

    Everything stored is tensors, numbers, strings and lists, so :func:`load_checkpoint` can
    read it with ``torch.load(..., weights_only=True)``, which runs no code from the file.
    """
    path = Path(path)
    payload = {
        "format": 1,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "history": (history or History()).to_dict(),
        "config": asdict(config) if config is not None else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    torch.save(payload, partial)
    partial.replace(path)  # never leave a half-written checkpoint behind
    return path


def load_checkpoint(path, model: nn.Module, *,
                    optimizer: torch.optim.Optimizer | None = None) -> History:
    """Restore ``model`` (and ``optimizer``) from a checkpoint; return its :class:`History`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path`: no checkpoint at {str(path)!r}.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"`path` {str(path)!r} is not a readable checkpoint ({exc}).") from exc
    if not isinstance(payload, dict) or payload.get("format") != 1:
        raise ValueError(f"`path` {str(path)!r} is not a course_lib checkpoint.")
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:
        raise ValueError(f"The checkpoint {path.name} does not fit this model: {exc}") from exc
    if optimizer is not None and payload["optimizer"] is not None:
        optimizer.load_state_dict(payload["optimizer"])
    return History.from_dict(payload["history"])


# --- the trainer ---------------------------------------------------------------------------


def _notebook_tqdm():
    """tqdm's widget bar class when tqdm.auto chose it (inside a Jupyter kernel), else None."""
    from tqdm.auto import tqdm as auto_tqdm

    try:
        from tqdm.notebook import tqdm as notebook_tqdm
    except ImportError:  # pragma: no cover - ipywidgets is a dependency
        return None
    return auto_tqdm if issubclass(auto_tqdm, notebook_tqdm) else None


class Trainer:
    """Holds a model, its optimiser and its history; :meth:`fit` trains up to ``config.epochs``.

    Calling :meth:`fit` again after an interruption, or with a larger ``config.epochs``,
    continues from where training stopped.
    """

    def __init__(self, model: nn.Module, config: TrainConfig):
        if not isinstance(model, nn.Module):
            raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
        if not isinstance(config, TrainConfig):
            raise TypeError(f"`config` must be a TrainConfig; got {type(config).__name__}.")
        if not any(True for _ in model.parameters()):
            raise ValueError("`model` has no parameters to train.")
        self.config = config
        self.device = _resolve_device(config.device)
        self.model = model.to(self.device)
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

    def save(self, path) -> Path:
        """Save model, optimiser state, history and settings."""
        return save_checkpoint(path, self.model, optimizer=self.optimizer, history=self.history,
                               config=self.config)

    def load(self, path) -> History:
        """Restore model, optimiser and history from a checkpoint made by :meth:`save`."""
        self.history = load_checkpoint(path, self.model, optimizer=self.optimizer)
        self.history.interrupted = False
        return self.history

    def fit(self, train, test=None, *, progress: bool = True, live_plot: bool | LivePlot = False,
            checkpoint=None, resume: bool = False,
            callback: Callable[[StepInfo], None] | None = None, quiet: bool = False) -> History:
        """Train until ``config.epochs`` epochs are done; see :func:`fit` for the options."""
        x, y = (t.to(self.device) for t in _as_split(train, "train"))
        test = _as_split(test, "test") if test is not None else None
        if callback is not None and not callable(callback):
            raise TypeError(f"`callback` must be callable; got {type(callback).__name__}.")
        if resume:
            if checkpoint is None:
                raise ValueError("`resume=True` needs `checkpoint`, the file to resume from.")
            if Path(checkpoint).is_file():
                self.load(checkpoint)
        plot = self._make_plot(live_plot)
        steps_per_epoch = math.ceil(len(x) / self.config.batch_size)
        remaining = self.config.epochs - len(self.history)
        bar = self._progress(progress, plot, total=max(remaining, 0) * steps_per_epoch)
        was_training = self.model.training
        self.history.interrupted = False
        epoch, step = len(self.history) + 1, 0
        with torch_threads(self.config.threads or choose_threads(self.model)):
            try:
                for epoch in range(len(self.history) + 1, self.config.epochs + 1):
                    if bar is not None:
                        bar.set_description(f"epoch {epoch}/{self.config.epochs}")
                    start = time.perf_counter()
                    for info in self._train_epoch(x, y, epoch, steps_per_epoch):
                        step = info.step
                        if bar is not None:
                            bar.update(1)
                        if callback is not None:
                            callback(info)
                        if plot is not None and plot.due():
                            plot.update(self.history)
                    record = self._finish_epoch(epoch, test, start)
                    self.history.append(record)
                    if bar is not None:
                        bar.set_postfix(loss=f"{record.train_loss:.4f}",
                                        acc=f"{100 * (record.test_acc or record.train_acc):.1f}%")
                    if plot is not None:
                        plot.update(self.history, force=True)
                    if checkpoint is not None:
                        self.save(checkpoint)
            except KeyboardInterrupt:
                self.history.interrupted = True
                if not quiet:
                    print(f"Training was interrupted in epoch {epoch}, after {step} of its "
                          f"{steps_per_epoch} steps: the model keeps its latest weights and the "
                          f"history its {len(self.history)} finished epochs.")
            finally:
                self.model.train(was_training)
                if bar is not None:
                    bar.close()
        if plot is not None and self.history.interrupted:
            plot.update(self.history, force=True)
        if plot is not None:
            plot.publish()  # the output keeps a picture of the final curves
        return self.history

    def _train_epoch(self, x, y, epoch: int, steps_per_epoch: int):
        """Run one epoch, yielding a :class:`StepInfo` after every optimisation step."""
        self.model.train()
        generator = torch.Generator().manual_seed(_epoch_seed(self.config.seed, epoch))
        order = torch.randperm(len(x), generator=generator).to(self.device)  # (N,)
        self._loss_sum, self._correct = 0.0, 0
        bs = self.config.batch_size
        for step, begin in enumerate(range(0, len(x), bs), 1):
            idx = order[begin:begin + bs]
            xb, yb = x[idx], y[idx]  # (B, C, H, W), (B,)
            logits = self.model(xb)  # (B, classes)
            loss = nn.functional.cross_entropy(logits, yb)
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"The training loss became {value} at epoch {epoch}, step {step} of "
                    f"{steps_per_epoch}: the weights blew up. Try a smaller learning rate "
                    f"(lr={self.config.lr}) or check the inputs for NaN/inf.")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self._loss_sum += value * len(yb)
            self._correct += int((logits.argmax(dim=1) == yb).sum())
            self.history.step_losses.append(value)
            yield StepInfo(epoch, step, steps_per_epoch, value, self.history)
        self._seen = len(x)

    def _finish_epoch(self, epoch: int, test, start: float) -> EpochRecord:
        test_loss = test_acc = None
        if test is not None:
            test_loss, test_acc = evaluate(self.model, test, device=self.device)
        return EpochRecord(epoch, self._loss_sum / self._seen, self._correct / self._seen,
                           test_loss, test_acc, time.perf_counter() - start)

    def _make_plot(self, live_plot) -> _PlotDriver | None:
        if isinstance(live_plot, LivePlot):
            return _PlotDriver(live_plot, show=False)
        if live_plot is True:
            return _PlotDriver(LivePlot(), show=True)
        if live_plot is False or live_plot is None:
            return None
        raise TypeError(f"`live_plot` must be True, False or a LivePlot; got {live_plot!r}.")

    def _progress(self, enabled: bool, plot: _PlotDriver | None, *, total: int):
        if not enabled:
            if plot is not None and plot.show:
                plot.display(plot.plot.image)
            return None
        from tqdm.auto import tqdm

        widget_bar = _notebook_tqdm()
        if widget_bar is not None and plot is not None and plot.show:
            # One box: the widget progress bar above the live picture.
            import ipywidgets as widgets

            bar = widget_bar(total=total, unit="step", display=False)
            bar.container.add_class(PROGRESS_CLASS)
            plot.display(widgets.VBox([bar.container, plot.plot.image]))
            return bar
        bar = tqdm(total=total, unit="step")
        container = getattr(bar, "container", None)
        if container is not None:
            container.add_class(PROGRESS_CLASS)
        if plot is not None and plot.show:
            plot.display(plot.plot.image)
        return bar


def _display(view):
    """Display ``view`` and return its handle, for a later update."""
    from IPython.display import display

    return display(view, display_id=True)


class _PlotDriver:
    """Redraws a LivePlot at most every ``interval`` seconds within an epoch."""

    def __init__(self, plot: LivePlot, *, show: bool, interval: float = 1.0):
        self.plot, self.show, self.interval = plot, show, interval
        self._last = time.perf_counter()
        self._handle = None  # the display, when this driver showed the plot itself

    def display(self, widget) -> None:
        """Show ``widget`` (the live plot, maybe with a progress bar) with a picture of the plot
        for pages without a live kernel; :meth:`publish` refreshes that picture."""
        from .widgets._static import Pictured

        self._view = Pictured(widget, text="Training: progress, and the loss and accuracy curves",
                              snapshot=lambda: self.plot.image.value,
                              alt="Loss and accuracy per epoch, training and test, as training went.")
        self._handle = _display(self._view)

    def publish(self) -> None:
        """Replace the displayed picture by one of the plot as it is now."""
        if self._handle is not None:
            self._handle.update(self._view)

    def due(self) -> bool:
        return time.perf_counter() - self._last >= self.interval

    def update(self, history: History, *, force: bool = False) -> None:
        if force or self.due():
            self.plot.update(history)
            self._last = time.perf_counter()


def fit(model: nn.Module, train, *, epochs: int, lr: float, batch_size: int = 64, test=None,
        seed: int = 0, progress: bool = True, live_plot: bool | LivePlot = False,
        optimizer: str = "adam", momentum: float | None = None, weight_decay: float = 0.0,
        device: str | None = None, threads: int | None = None, checkpoint=None, resume: bool = False,
        callback: Callable[[StepInfo], None] | None = None, quiet: bool = False) -> History:
    """Train a classifier ``model`` on ``train = (x, y)`` with cross-entropy.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch ``x`` of shape (B, ...) to class scores (B, classes). Trained in place.
    train, test : tuple of torch.Tensor
        ``(x, y)``: float inputs and int64 class indices. ``test`` is evaluated after each epoch.
    epochs, lr, batch_size, seed, optimizer, momentum, weight_decay, device, threads
        See :class:`TrainConfig`. With ``threads=None`` a small model trains on one CPU thread
        (see :mod:`course_lib.threads`); the caller's thread setting is restored afterwards.
    progress : bool
        Show a tqdm progress bar (CSS class ``course-train-progress`` in a notebook).
    live_plot : bool or LivePlot
        ``True`` displays live curves under the bar; a :class:`LivePlot` is updated instead of
        displaying a new one (the training widget passes its own).
    checkpoint : str or pathlib.Path, optional
        Save model, optimiser and history there after every epoch.
    resume : bool
        Start from ``checkpoint`` if that file exists (``epochs`` counts the epochs done before).
    callback : callable, optional
        Called with a :class:`StepInfo` after every step. Raising ``KeyboardInterrupt`` in it
        stops training as Ctrl-C does.
    quiet : bool
        Do not print the note that training was interrupted (the training widget shows it in
        its own message line instead).

    Returns
    -------
    History
        One :class:`EpochRecord` per finished epoch; ``history.interrupted`` tells whether
        Ctrl-C stopped the run.

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
    """
    config = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, optimizer=optimizer,
                         momentum=momentum, weight_decay=weight_decay, seed=seed, device=device,
                         threads=threads)
    return Trainer(model, config).fit(train, test, progress=progress, live_plot=live_plot,
                                      checkpoint=checkpoint, resume=resume, callback=callback,
                                      quiet=quiet)


# --- lessons: gradient descent on a linear model -------------------------------------------


def linear_loss_surface(x, y, w1, w2) -> np.ndarray:
    """Mean squared error :math:`\\frac12 \\overline{(x_1 w_1 + x_2 w_2 - y)^2}` on a grid.

    Parameters
    ----------
    x : array_like, shape (N, 2)
        Two input features.
    y : array_like, shape (N,)
        Targets.
    w1, w2 : array_like, 1-D
        Grid values of the two weights.

    Returns
    -------
    numpy.ndarray, shape (len(w2), len(w1))
        The loss, rows along ``w2`` (ready for ``plt.contour(w1, w2, loss)``).

    Examples
    --------
    >>> linear_loss_surface([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0], [0.0, 1.0], [1.0])
    array([[0.25, 0.  ]])
    """
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if x.shape != (len(y), 2):
        raise ValueError(f"`x` must have shape (N, 2) with N = len(y) = {len(y)}; got {x.shape}.")
    w1 = as_float_array(w1, "w1", ndim=1)
    w2 = as_float_array(w2, "w2", ndim=1)
    check_size(len(w1) * len(w2) * len(y), "w1", f"({len(w1)} values) and `w2` ({len(w2)} "
               f"values) on {len(y)} samples", what="residuals")
    # residuals for every grid point: (len(w2), len(w1), N)
    r = x[:, 0] * w1[None, :, None] + x[:, 1] * w2[:, None, None] - y
    return 0.5 * np.mean(r**2, axis=-1)


def descent_path(x, y, *, lr: float, steps: int, w0=None, batch_size: int | None = None,
                 seed: int = 0) -> np.ndarray:
    """Weights visited by gradient descent on the least-squares loss of a linear model.

    The loss is :math:`\\frac12 \\overline{(x w - y)^2}` over a batch; ``batch_size=None``
    uses all samples each step (full-batch descent), ``batch_size=1`` one random sample per
    step (stochastic descent, where each update is a multiple of that one input vector).

    Returns
    -------
    numpy.ndarray, shape (steps + 1, D)
        The start ``w0`` (zeros by default) and the weights after every step.

    Examples
    --------
    >>> descent_path([[1.0], [1.0]], [2.0, 2.0], lr=0.5, steps=2)
    array([[0. ],
           [1. ],
           [1.5]])
    """
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if len(x) != len(y):
        raise ValueError(f"`x` and `y` must hold the same number of samples; got {len(x)} and "
                         f"{len(y)}.")
    lr = check_real(lr, "lr", positive=True)
    steps = check_int(steps, "steps", minimum=1, maximum=1_000_000)
    w = np.zeros(x.shape[1]) if w0 is None else as_float_array(w0, "w0", ndim=1).copy()
    if w.shape != (x.shape[1],):
        raise ValueError(f"`w0` must have {x.shape[1]} values, one per feature; got {w.shape}.")
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=len(x))
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    path = [w.copy()]
    for _ in range(steps):
        if batch_size is None:
            xb, yb = x, y
        else:
            pick = rng.choice(len(x), size=batch_size, replace=False)
            xb, yb = x[pick], y[pick]
        w = w - lr * xb.T @ (xb @ w - yb) / len(xb)
        path.append(w.copy())
    return np.array(path)
