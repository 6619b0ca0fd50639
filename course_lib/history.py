"""What a training run measured: one record per epoch, the loss of every step, and their plots.

:class:`History` is what :func:`course_lib.train.fit` returns: it prints as a table, gives its
columns as lists (``history.test_acc``) and turns into plain lists and numbers for a checkpoint.
:func:`plot_history` draws loss and accuracy per epoch for one run or several side by side.

>>> h = History()
>>> h.append(EpochRecord(1, 0.9, 0.7, None, None, 1.2))
>>> h.train_acc
[0.7]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - matplotlib is imported where it draws
    from matplotlib.figure import Figure

__all__ = ["EpochRecord", "History", "draw_history", "plot_history"]


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch measured.

    Examples
    --------
    >>> EpochRecord(1, 0.9, 0.7, None, None, 1.2).train_acc
    0.7
    """

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
    interrupted: bool = False  # True when the last run stopped early (Ctrl-C or a stop request)

    def append(self, record: EpochRecord) -> None:
        """Add the record of a finished epoch."""
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
        """Whether some epoch was evaluated on a test split."""
        return any(r.test_loss is not None for r in self.records)

    def table(self, *, times: bool = True) -> str:
        """Format the history as a text table; ``times=False`` leaves out the (varying) seconds."""
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
        """Rebuild the history that :meth:`to_dict` described."""
        return cls([EpochRecord(**r) for r in data["records"]], list(data["step_losses"]),
                   bool(data["interrupted"]))


# --- plots ---------------------------------------------------------------------------------


def draw_history(fig: Figure, histories: Mapping[str, History], *, steps: bool = False,
                 held_out: str = "test") -> None:
    """Draw loss and accuracy panels into ``fig``: train solid, test dashed, one colour per run.

    ``steps=True`` adds the loss of every step behind the per-epoch loss (the live plot's view).
    ``held_out`` names the split evaluated after each epoch in the labels (``"validation"``
    when the history's ``test`` columns were measured on a validation set).
    With no epoch and no step yet, both panels are a clean, labelled frame.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> draw_history(fig, {"": History()})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss (cross-entropy)', 'accuracy']
    """
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
        train_label, test_label = (name, None) if several else ("train", held_out)
        ax_loss.plot(epochs, h.train_loss, "o-", color=colour, ms=4, label=train_label)
        ax_acc.plot(epochs, [100 * a for a in h.train_acc], "o-", color=colour, ms=4,
                    label=train_label)
        if h.has_test:
            ax_loss.plot(epochs, h.test_loss, "s--", color=colour, ms=4, label=test_label)
            ax_acc.plot(epochs, [100 * a for a in h.test_acc], "s--", color=colour, ms=4,
                        label=test_label)
    suffix = f" (solid: train, dashed: {held_out})" if several else ""
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


def plot_history(history: History | Mapping[str, History], *,
                 figsize: tuple[float, float] = (9.0, 3.2), held_out: str = "test") -> Figure:
    """Plot loss and accuracy per epoch (train solid, test dashed) of one or more runs.

    Parameters
    ----------
    history : History or dict of str to History
        One run, or several runs to compare (one colour each).
    figsize : tuple of float
        Width and height of the figure in inches.
    held_out : str
        What the labels call the split evaluated after each epoch: ``"test"``, or
        ``"validation"`` when the runs were evaluated on a validation set (``fit(...,
        test=validation)``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> h = History([EpochRecord(1, 0.9, 0.7, 0.8, 0.75, 1.2)])
    >>> fig = plot_history({"a": h, "b": h})
    >>> len(fig.axes), len(fig.axes[0].lines)
    (2, 4)
    >>> plot_history({"a": h, "b": h}, held_out="validation").axes[1].get_title()
    'accuracy (solid: train, dashed: validation)'
    """
    import matplotlib.pyplot as plt

    if not isinstance(held_out, str) or not held_out.strip():
        raise TypeError(f"`held_out` must be a name such as 'validation' (a non-empty str); got "
                        f"{held_out!r}.")
    histories = _as_histories(history)
    fig = plt.figure(figsize=figsize)
    draw_history(fig, histories, held_out=held_out)
    return fig
