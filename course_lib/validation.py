"""Validation: choosing on data the model was not trained on, and stopping at the right epoch.

The test set stands for data the model will only meet later, so nothing may be chosen on it: not
the learning rate, not the model's size, not the epoch to stop at. Such choices are made on a
**validation** split held out of the training data (:func:`course_lib.data.split_validation`),
and the test set is used once, at the end, to report.

- :func:`per_class_subset`: a few examples of every class, to train with little data (learning
  curves, regularisation, transfer);
- :func:`fit_validated`: train epoch by epoch, measuring the validation split after each epoch,
  with an optional augmentation drawn anew every epoch, an optional optimiser of one's choice,
  early stopping and keeping the weights of the best epoch;
- :func:`best_epoch` and :func:`early_stopping_epoch`: the early-stopping rule on a list of
  validation losses;
- :func:`selection_bias`: why a score used for choosing is optimistic, shown with candidates
  that all guess at random.

Shown in chapter 4 (notebooks/04_training_part_2.ipynb), sections 4.1 and 4.4.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._checks import as_float_array, check_int, check_real
from ._types import DataPair
from .history import History
from .train import TrainConfig, Trainer

__all__ = ["SelectionBias", "ValidatedRun", "best_epoch", "early_stopping_epoch", "fit_validated",
           "per_class_subset", "selection_bias"]


def _pair(data, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Check an ``(x, y)`` pair of equal length with 1-D integer labels; return tensors."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"`{name}` must be a pair (x, y); got {type(data).__name__}.")
    x, y = (torch.as_tensor(v) for v in data)
    if y.ndim != 1 or y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ValueError(f"`{name}`: the labels must be a 1-D integer tensor; got shape "
                         f"{tuple(y.shape)} and dtype {y.dtype}.")
    if len(x) != len(y) or len(y) == 0:
        raise ValueError(f"`{name}` must hold as many images as labels, at least one; got "
                         f"{len(x)} and {len(y)}.")
    return x, y.long()


def per_class_subset(data: DataPair, per_class: int, *, seed: int = 0
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep ``per_class`` examples of every class of ``data = (x, y)``, drawn at random.

    The examples kept are in class order (all the 0s, then the 1s, ...); the same ``seed``
    keeps the same ones, and a larger ``per_class`` keeps a superset of a smaller one.

    Parameters
    ----------
    data : (x, y) pair
        Images (N, ...) and integer labels (N,).
    per_class : int
        Examples kept of every class; every class must have that many.
    seed : int
        Seed of the draw.

    Returns
    -------
    (x, y)
        ``per_class * classes`` examples.

    Examples
    --------
    >>> x, y = torch.arange(10.0)[:, None], torch.tensor([0, 1] * 5)
    >>> per_class_subset((x, y), 2)[1]
    tensor([0, 0, 1, 1])
    >>> per_class_subset((x, y), 6)
    Traceback (most recent call last):
    ...
    ValueError: `per_class` = 6 is more than the 5 examples of class 0 in `data`.
    """
    x, y = _pair(data, "data")
    per_class = check_int(per_class, "per_class", minimum=1)
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    rng = np.random.default_rng(seed)
    labels = y.numpy()
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)  # (n_c,) this class's indices
        if len(members) < per_class:
            raise ValueError(f"`per_class` = {per_class} is more than the {len(members)} "
                             f"examples of class {label} in `data`.")
        chosen.append(rng.permutation(members)[:per_class])
    index = torch.from_numpy(np.concatenate(chosen))
    return x[index], y[index]


# --------------------------------------------------------------------------- the rule


def _losses(val_losses, name: str = "val_losses") -> np.ndarray:
    return as_float_array(val_losses, name, ndim=1)


def best_epoch(val_losses: Sequence[float] | np.ndarray, *, min_delta: float = 0.0) -> int:
    """Return the epoch (from 1) of the lowest validation loss, counting only real improvements.

    An epoch improves on the best so far only if its loss is lower by more than ``min_delta``;
    a tie keeps the earlier epoch.

    Examples
    --------
    >>> best_epoch([0.9, 0.5, 0.6, 0.5, 0.7])
    2
    >>> best_epoch([0.9, 0.5, 0.49], min_delta=0.02)
    2
    """
    losses = _losses(val_losses)
    min_delta = check_real(min_delta, "min_delta", minimum=0.0)
    best, best_loss = 1, losses[0]
    for epoch, loss in enumerate(losses[1:], start=2):
        if loss < best_loss - min_delta:
            best, best_loss = epoch, loss
    return best


def early_stopping_epoch(val_losses: Sequence[float] | np.ndarray, *, patience: int,
                         min_delta: float = 0.0) -> int:
    """Return the epoch after which early stopping ends training (``patience`` epochs without progress).

    After each epoch the rule looks at the validation losses so far: once ``patience`` epochs
    have passed since the best one (:func:`best_epoch`), training stops. If that never happens,
    training runs to the end and the result is ``len(val_losses)``.

    Parameters
    ----------
    val_losses : sequence of float
        The validation loss after each epoch.
    patience : int
        Epochs without improvement that end training.
    min_delta : float
        How much lower than the best a loss must be to count as an improvement.

    Examples
    --------
    >>> early_stopping_epoch([0.9, 0.5, 0.6, 0.55, 0.7, 0.4], patience=3)
    5
    >>> early_stopping_epoch([0.9, 0.5, 0.6, 0.55, 0.7, 0.4], patience=5)
    6
    """
    losses = _losses(val_losses)
    patience = check_int(patience, "patience", minimum=1)
    min_delta = check_real(min_delta, "min_delta", minimum=0.0)
    for epoch in range(1, len(losses) + 1):
        if epoch - best_epoch(losses[:epoch], min_delta=min_delta) >= patience:
            return epoch
    return len(losses)


# --------------------------------------------------------------------------- training


@dataclass
class ValidatedRun:
    """What :func:`fit_validated` measured.

    ``history`` holds the training columns and, in its ``test_*`` columns, the **validation**
    split measured after every epoch (the trainer calls whatever it evaluates ``test``).

    Examples
    --------
    >>> run = ValidatedRun(History(), best_epoch=3, epochs_trained=5, stopped_early=True)
    >>> run
    ValidatedRun(epochs trained: 5, stopped early, best validation loss at epoch 3)
    """

    history: History  # per epoch: training loss and accuracy, validation loss and accuracy
    best_epoch: int  # epoch (from 1) of the lowest validation loss
    epochs_trained: int  # epochs actually trained
    stopped_early: bool  # whether the early-stopping rule ended training

    @property
    def val_loss(self) -> list[float]:
        """The validation loss after every epoch."""
        return [float(v) for v in self.history.test_loss if v is not None]

    @property
    def val_acc(self) -> list[float]:
        """The validation accuracy after every epoch."""
        return [float(v) for v in self.history.test_acc if v is not None]

    def __repr__(self) -> str:
        how = "stopped early" if self.stopped_early else "ran to the end"
        return (f"ValidatedRun(epochs trained: {self.epochs_trained}, {how}, best validation loss "
                f"at epoch {self.best_epoch})")


OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
"""Makes an optimiser for a model's parameters: ``lambda params: torch.optim.AdamW(params, lr=1e-3)``."""


def fit_validated(model: nn.Module, train: DataPair, val: DataPair, *, epochs: int, lr: float,
                  augment: Callable[..., torch.Tensor] | None = None,
                  make_optimizer: OptimizerFactory | None = None, patience: int | None = None,
                  min_delta: float = 0.0, keep_best: bool = False, batch_size: int = 64,
                  weight_decay: float = 0.0, seed: int = 0, threads: int | None = None,
                  device: str | None = None) -> ValidatedRun:
    """Train ``model`` epoch by epoch with :class:`course_lib.train.Trainer`, validating after each.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place.
    train, val : (x, y) pairs
        The training split and the validation split (never the test split).
    epochs : int
        The most epochs to train.
    lr : float
        Learning rate of the trainer's Adam (ignored when ``make_optimizer`` is given: set it
        there).
    augment : callable, optional
        ``augment(x, generator=...)`` returns a transformed copy of the training images, drawn
        anew before every epoch (an :class:`course_lib.augmentation.Augmentation`).
    make_optimizer : callable, optional
        Builds the optimiser from ``model.parameters()`` (for instance AdamW); the trainer's
        Adam otherwise.
    patience : int, optional
        Early stopping: stop once ``patience`` epochs passed without a lower validation loss
        (:func:`early_stopping_epoch`); None trains all ``epochs``.
    min_delta : float
        How much lower a validation loss must be to count as progress.
    keep_best : bool
        At the end, give the model back the weights of its best epoch (lowest validation loss).
    batch_size, weight_decay, seed, threads, device
        As in :class:`course_lib.train.TrainConfig` (``seed`` also seeds the augmentation).

    Returns
    -------
    ValidatedRun

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.randn(64, 2); y = (x[:, 0] > 0).long()
    >>> run = fit_validated(nn.Linear(2, 2), (x[:48], y[:48]), (x[48:], y[48:]), epochs=30,
    ...                     lr=0.1, patience=3, keep_best=True)
    >>> run.epochs_trained <= 30, run.best_epoch <= run.epochs_trained
    (True, True)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    x_train, y_train = _pair(train, "train")
    _pair(val, "val")
    epochs = check_int(epochs, "epochs", minimum=1, maximum=100_000)
    if augment is not None and not callable(augment):
        raise TypeError(f"`augment` must be callable (an Augmentation); got {type(augment).__name__}.")
    if make_optimizer is not None and not callable(make_optimizer):
        raise TypeError(f"`make_optimizer` must be callable; got {type(make_optimizer).__name__}.")
    if patience is not None:
        patience = check_int(patience, "patience", minimum=1)
    min_delta = check_real(min_delta, "min_delta", minimum=0.0)
    if not isinstance(keep_best, bool):
        raise TypeError(f"`keep_best` must be True or False; got {type(keep_best).__name__}.")
    config = TrainConfig(epochs=1, lr=lr, batch_size=batch_size, weight_decay=weight_decay,
                         seed=seed, threads=threads, device=device)
    trainer = Trainer(model, config)
    if make_optimizer is not None:
        optimizer = make_optimizer(model.parameters())
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"`make_optimizer` must return a torch.optim.Optimizer; got "
                            f"{type(optimizer).__name__}.")
        trainer.optimizer = optimizer
    generator = torch.Generator().manual_seed(seed)
    best_state, best, stopped = None, 0, False
    history = trainer.history
    for epoch in range(1, epochs + 1):
        config.epochs = epoch
        data = (augment(x_train, generator=generator), y_train) if augment is not None else train
        history = trainer.fit(data, val, progress=False)
        if history.interrupted:
            break
        losses = [float(v) for v in history.test_loss]
        if not math.isfinite(losses[-1]):
            break
        current = best_epoch(losses, min_delta=min_delta)
        if current == epoch and keep_best:
            best_state = copy.deepcopy(model.state_dict())
        best = current
        if patience is not None and epoch - current >= patience:
            stopped = epoch < epochs
            break
    if keep_best and best_state is not None:
        model.load_state_dict(best_state)
    return ValidatedRun(history, best_epoch=best, epochs_trained=len(history), stopped_early=stopped)


# --------------------------------------------------------------------------- selection bias


@dataclass(frozen=True)
class SelectionBias:
    """Accuracies of candidates that guess at random, and the one chosen on validation."""

    val_acc: np.ndarray  # (candidates,) each candidate's accuracy on the validation labels
    test_acc: np.ndarray  # (candidates,) each candidate's accuracy on the test labels
    chosen: int  # index of the candidate with the best validation accuracy

    def __repr__(self) -> str:
        return (f"SelectionBias({len(self.val_acc)} candidates; chosen #{self.chosen}: validation "
                f"{self.val_acc[self.chosen]:.1%}, test {self.test_acc[self.chosen]:.1%})")


def selection_bias(y_val: Sequence[int] | np.ndarray | torch.Tensor,
                   y_test: Sequence[int] | np.ndarray | torch.Tensor, *, candidates: int,
                   seed: int = 0) -> SelectionBias:
    """Score ``candidates`` classifiers that guess at random, then pick the best on validation.

    Every candidate is exactly as good as chance (one class in ``k``); still, the best of many
    on the validation labels scores well above chance there, by luck alone, and falls back to
    chance on labels it was not chosen on. The accuracy used for choosing is an optimistic
    estimate; only a set not used for the choice measures the chosen model honestly.

    Examples
    --------
    >>> result = selection_bias(np.arange(200) % 10, np.arange(300) % 10, candidates=50)
    >>> bool(result.val_acc[result.chosen] == result.val_acc.max())
    True
    """
    y_val = np.asarray(torch.as_tensor(y_val))
    y_test = np.asarray(torch.as_tensor(y_test))
    for name, labels in (("y_val", y_val), ("y_test", y_test)):
        if labels.ndim != 1 or labels.size == 0 or labels.dtype.kind not in "iu" or labels.min() < 0:
            raise ValueError(f"`{name}` must be a non-empty 1-D array of class indices (0, 1, ...); "
                             f"got shape {labels.shape} and dtype {labels.dtype}.")
    candidates = check_int(candidates, "candidates", minimum=1, maximum=100_000)
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    classes = int(max(y_val.max(), y_test.max())) + 1
    rng = np.random.default_rng(seed)
    val_guess = rng.integers(0, classes, size=(candidates, len(y_val)))  # (candidates, N_val)
    test_guess = rng.integers(0, classes, size=(candidates, len(y_test)))  # (candidates, N_test)
    val_acc = (val_guess == y_val).mean(axis=1)
    test_acc = (test_guess == y_test).mean(axis=1)
    return SelectionBias(val_acc, test_acc, int(np.argmax(val_acc)))
