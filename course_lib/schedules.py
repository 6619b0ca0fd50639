r"""Learning-rate schedules, and the learning-rate range test that finds where to start.

A schedule is a small callable that maps the step number :math:`t = 0, 1, 2, \dots` to a factor
of the base learning rate, exactly what ``torch.optim.lr_scheduler.LambdaLR`` asks for:

>>> import torch
>>> model = torch.nn.Linear(2, 1)
>>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
>>> scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupCosine(warmup=2, total=6))
>>> lrs = []
>>> for _ in range(7):
...     lrs.append(round(optimizer.param_groups[0]["lr"], 4))
...     optimizer.step(); scheduler.step()
>>> lrs
[0.01, 0.055, 0.1, 0.0854, 0.05, 0.0146, 0.0]

- :class:`StepDecay`: multiply by ``gamma`` every ``step_size`` steps (``StepLR``);
- :class:`Cosine`: half a cosine from 1 down to ``min_factor`` over ``total`` steps
  (``CosineAnnealingLR``, Loshchilov & Hutter, 2017);
- :class:`LinearWarmup`: rise linearly from ``start_factor`` to 1 over ``warmup`` steps
  (``LinearLR``; Goyal et al., 2017), then stay;
- :class:`WarmupCosine`: the two in a row, the usual recipe for training from scratch.

Each is checked against its PyTorch scheduler in tests/test_schedules.py. The step is whatever
the scheduler counts: call ``scheduler.step()`` once per epoch, or once per batch.

:func:`lr_range_test` (Smith, 2017; fastai's ``lr_find``) trains for a few steps with the learning
rate growing exponentially, records the loss, stops when the loss diverges, and suggests a
learning rate. Shown in chapter 4 (``04_training_part_2.ipynb``), beyond the lecture notes.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from torch import nn

from ._checks import _describe, check_choice, check_int, check_real
from ._types import DataPair
from .loss_surfaces import LINE_STYLES, PATH_COLOURS
from .optim import OPTIMIZERS, fit_with
from .train import StepInfo, TrainingDiverged

__all__ = ["Cosine", "LinearWarmup", "RangeTest", "StepDecay", "WarmupCosine",
           "describe_range_test", "lr_range_test", "plot_range_test", "plot_schedules",
           "schedule_factors"]

Schedule = Callable[[int], float]
"""A learning-rate schedule: step number -> factor of the base learning rate."""


def _step(step: Any) -> int:
    return check_int(step, "step", minimum=0)


# --- schedules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepDecay:
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    :math:`f(t) = \gamma^{\lfloor t / s \rfloor}`; equal to ``torch.optim.lr_scheduler.StepLR``.

    Examples
    --------
    >>> schedule = StepDecay(3, gamma=0.5)
    >>> [schedule(t) for t in range(8)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    """

    step_size: int  # steps between two drops
    gamma: float = field(default=0.1, kw_only=True)  # the factor of each drop, in (0, 1]

    def __post_init__(self) -> None:
        check_int(self.step_size, "step_size", minimum=1)
        object.__setattr__(self, "gamma", check_real(self.gamma, "gamma", positive=True,
                                                     maximum=1.0))

    def __call__(self, step: int) -> float:
        """Return the factor of the base learning rate at ``step``."""
        return self.gamma ** (_step(step) // self.step_size)


@dataclass(frozen=True)
class Cosine:
    r"""Half a cosine from 1 down to ``min_factor`` over ``total`` steps, then ``min_factor``.

    :math:`f(t) = f_{\min} + (1 - f_{\min}) \frac{1 + \cos(\pi t / T)}{2}` for :math:`t \le T`;
    equal to ``torch.optim.lr_scheduler.CosineAnnealingLR`` with ``T_max = total`` and
    ``eta_min = min_factor * lr`` up to step ``total`` (PyTorch's rises again after it; this one
    stays at the bottom).

    Examples
    --------
    >>> schedule = Cosine(4)
    >>> [round(schedule(t), 4) for t in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    total: int  # steps from the top to the bottom
    min_factor: float = field(default=0.0, kw_only=True)  # the factor at the bottom, in [0, 1]

    def __post_init__(self) -> None:
        check_int(self.total, "total", minimum=1)
        object.__setattr__(self, "min_factor", check_real(self.min_factor, "min_factor",
                                                          minimum=0.0, maximum=1.0))

    def __call__(self, step: int) -> float:
        """Return the factor of the base learning rate at ``step``."""
        t = min(_step(step), self.total)
        return self.min_factor + (1 - self.min_factor) * (1 + math.cos(math.pi * t / self.total)) / 2


@dataclass(frozen=True)
class LinearWarmup:
    r"""Rise linearly from ``start_factor`` to 1 over ``warmup`` steps, then stay at 1.

    :math:`f(t) = s + (1 - s) \min(t, W) / W`; equal to ``torch.optim.lr_scheduler.LinearLR``
    with ``start_factor = s``, ``total_iters = W``. Early steps, taken while the weights are
    still random and Adam's averages still young, are the ones that blow up at a large learning
    rate; warming up lets training reach that rate safely (Goyal et al., 2017).

    Examples
    --------
    >>> schedule = LinearWarmup(4, start_factor=0.2)
    >>> [round(schedule(t), 2) for t in range(6)]
    [0.2, 0.4, 0.6, 0.8, 1.0, 1.0]
    """

    warmup: int  # steps to rise
    start_factor: float = field(default=0.1, kw_only=True)  # the factor at step 0, in (0, 1]

    def __post_init__(self) -> None:
        check_int(self.warmup, "warmup", minimum=1)
        object.__setattr__(self, "start_factor", check_real(self.start_factor, "start_factor",
                                                            positive=True, maximum=1.0))

    def __call__(self, step: int) -> float:
        """Return the factor of the base learning rate at ``step``."""
        t = min(_step(step), self.warmup)
        return self.start_factor + (1 - self.start_factor) * t / self.warmup


@dataclass(frozen=True)
class WarmupCosine:
    r"""Linear warm-up over ``warmup`` steps, then a cosine down to ``min_factor`` at ``total``.

    :class:`LinearWarmup` for :math:`t < W`, then :class:`Cosine` over the remaining
    :math:`T - W` steps, started at :math:`t - W`. Equal to PyTorch's
    ``SequentialLR([LinearLR(...), CosineAnnealingLR(...)], milestones=[warmup])``.

    Examples
    --------
    >>> schedule = WarmupCosine(warmup=2, total=6, start_factor=0.5)
    >>> [round(schedule(t), 4) for t in range(8)]
    [0.5, 0.75, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    warmup: int  # steps of the warm-up
    total: int  # the step where the cosine reaches its bottom (> warmup)
    start_factor: float = field(default=0.1, kw_only=True)  # the factor at step 0, in (0, 1]
    min_factor: float = field(default=0.0, kw_only=True)  # the factor at the bottom, in [0, 1]

    def __post_init__(self) -> None:
        warmup = check_int(self.warmup, "warmup", minimum=1)
        total = check_int(self.total, "total", minimum=1)
        if total <= warmup:
            raise ValueError(f"`total` must be larger than `warmup` ({warmup}), to leave steps "
                             f"for the cosine; got {total}.")
        LinearWarmup(warmup, start_factor=self.start_factor)  # checks start_factor
        Cosine(total - warmup, min_factor=self.min_factor)  # checks min_factor

    def __call__(self, step: int) -> float:
        """Return the factor of the base learning rate at ``step``."""
        t = _step(step)
        if t < self.warmup:
            return LinearWarmup(self.warmup, start_factor=self.start_factor)(t)
        return Cosine(self.total - self.warmup, min_factor=self.min_factor)(t - self.warmup)


def schedule_factors(schedule: Schedule, steps: int) -> np.ndarray:
    """Return the factors ``schedule(t)`` for ``t = 0 .. steps - 1``.

    Examples
    --------
    >>> schedule_factors(StepDecay(2, gamma=0.5), 5)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    """
    if not callable(schedule):
        raise TypeError(f"`schedule` must be callable (step -> factor); got {_describe(schedule)}.")
    steps = check_int(steps, "steps", minimum=1, maximum=10_000_000)
    return np.array([float(schedule(t)) for t in range(steps)])


def plot_schedules(schedules: dict[str, Schedule], steps: int, *, lr: float = 1.0,
                   title: str = "Learning-rate schedules",
                   figsize: tuple[float, float] = (6.4, 3.4)) -> Figure:
    """Plot the learning rate ``lr * schedule(t)`` of each schedule against the step.

    One colour and line style each (colour-blind safe, Okabe and Ito).

    Examples
    --------
    >>> fig = plot_schedules({"step": StepDecay(30), "cosine": Cosine(90)}, 100, lr=0.1)
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel(), [line.get_label() for line in ax.get_lines()]
    ('step t (scheduler.step() calls)', 'learning rate', ['step', 'cosine'])
    """
    import matplotlib.pyplot as plt

    if not isinstance(schedules, dict) or not schedules:
        raise TypeError(f"`schedules` must be a non-empty dict of name -> schedule; got "
                        f"{_describe(schedules)}.")
    lr = check_real(lr, "lr", positive=True)
    factors = {str(name): schedule_factors(s, steps) for name, s in schedules.items()}
    fig, ax = plt.subplots(figsize=figsize)
    for i, (name, values) in enumerate(factors.items()):
        ax.plot(np.arange(len(values)), lr * values, LINE_STYLES[i % len(LINE_STYLES)],
                color=PATH_COLOURS[i % len(PATH_COLOURS)], linewidth=1.8, label=name)
    ax.set(xlabel="step t (scheduler.step() calls)", ylabel="learning rate", title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- the learning-rate range test ------------------------------------------------------------


RULES = ("minimum/10", "steepest")


@dataclass(frozen=True)
class RangeTest:
    """What :func:`lr_range_test` measured, and the learning rate it suggests."""

    lrs: np.ndarray  # (k,) the learning rate of each step taken
    losses: np.ndarray  # (k,) the training loss of each step's batch, before its update
    smoothed: np.ndarray  # (k,) their exponential moving average, bias-corrected
    stopped: str  # why the sweep ended
    rule: str  # how the suggestion was chosen: "minimum/10" or "steepest"
    minimum: float  # the learning rate where the smoothed loss is lowest
    steepest: float  # the learning rate where the smoothed loss falls fastest (before the minimum)

    @property
    def suggestion(self) -> float:
        """The suggested learning rate, by :attr:`rule`."""
        return self.minimum / 10 if self.rule == "minimum/10" else self.steepest

    def __repr__(self) -> str:
        return (f"RangeTest({len(self.lrs)} steps, lr {self.lrs[0]:.2g} to {self.lrs[-1]:.2g}, "
                f"{self.stopped}; lowest smoothed loss at lr {self.minimum:.2g}, steepest fall "
                f"at lr {self.steepest:.2g}; suggestion ({self.rule}) {self.suggestion:.2g})")


def _sweep(lr_min: float, lr_max: float, steps: int) -> np.ndarray:
    """Return ``steps`` learning rates from ``lr_min`` to ``lr_max``, evenly spaced in log."""
    return lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))


def lr_range_test(model: nn.Module, train: DataPair, *, optimizer: str = "sgd",
                  lr_min: float = 1e-5, lr_max: float = 10.0, steps: int = 100,
                  batch_size: int = 64, smoothing: float = 0.98, divergence: float = 4.0,
                  rule: str = "minimum/10", seed: int = 0, device: str | None = None,
                  **settings: Any) -> RangeTest:
    r"""Train with a growing learning rate and see where the loss falls: the range test.

    A copy of ``model`` (the model itself is left as it is) is trained with the course's trainer
    (:func:`course_lib.optim.fit_with`) for up to ``steps`` mini-batches, the learning rate
    growing exponentially from ``lr_min`` to ``lr_max``: step :math:`i` uses
    :math:`\eta_i = \eta_{\min} (\eta_{\max}/\eta_{\min})^{i/(n-1)}`. Each step's training loss is
    recorded and smoothed with a bias-corrected exponential moving average
    (:math:`a_i = \beta a_{i-1} + (1-\beta)\,\ell_i`, smoothed :math:`a_i / (1 - \beta^{i+1})`).
    The sweep stops early once the smoothed loss exceeds ``divergence`` times its lowest value,
    or the loss becomes NaN or infinite (Smith, 2017; fastai's ``lr_find``).

    **The suggestion rule.** ``rule="minimum/10"`` (the default, fastai's ``lr_min``): a tenth of
    the learning rate where the smoothed loss is lowest, since at the minimum the loss is already
    about to blow up. ``rule="steepest"``: where the smoothed loss falls fastest against
    :math:`\log \eta` (fastai's ``lr_steep``), searched before the minimum. Both are reported.
    A range test is a rough guide from a few hundred noisy steps: check the choice on validation.

    Parameters
    ----------
    model : torch.nn.Module
        The classifier; it is copied, not changed.
    train : tuple of torch.Tensor
        ``(x, y)``: training inputs and class indices, as for :func:`course_lib.train.fit`.
    optimizer : str
        A name of :data:`course_lib.optim.OPTIMIZERS`: ``"sgd"``, ``"rmsprop"``, ``"adam"``,
        ``"adamw"`` (the course's own optimisers).
    lr_min, lr_max : float
        The first and the last learning rate of the sweep (``0 < lr_min < lr_max``).
    steps : int
        Steps of the sweep at most (2 to 10,000); the data are run through as many epochs as
        that needs, shuffled by ``seed``.
    batch_size : int
        Samples per step.
    smoothing : float
        :math:`\beta`, from 0 (no smoothing) to below 1.
    divergence : float
        Stop once the smoothed loss is more than this many times its lowest value (> 1).
    rule : str
        ``"minimum/10"`` or ``"steepest"``: which learning rate :attr:`RangeTest.suggestion` is.
    seed : int
        Fixes the order of the samples.
    device : str, optional
        Where to train (as for :func:`~course_lib.train.fit`).
    **settings
        The optimiser's other arguments (``momentum``, ``betas``, ``weight_decay``, ...).

    Returns
    -------
    RangeTest
        The learning rates and losses of the steps taken, why the sweep stopped, and the
        suggestion.

    Examples
    --------
    >>> import torch
    >>> x = torch.randn(256, 2, generator=torch.Generator().manual_seed(0))
    >>> y = (x[:, 0] > 0).long()
    >>> _ = torch.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    >>> result = lr_range_test(model, (x, y), lr_min=1e-3, lr_max=1e3, steps=60, batch_size=32)
    >>> result.stopped  # doctest: +ELLIPSIS
    'diverged at step ... (smoothed loss above 4x its lowest)'
    >>> float(result.lrs[0]), bool(result.suggestion == result.minimum / 10)
    (0.001, True)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {_describe(model)}.")
    optimizer = check_choice(optimizer, "optimizer", tuple(OPTIMIZERS))
    lr_min = check_real(lr_min, "lr_min", positive=True)
    lr_max = check_real(lr_max, "lr_max", positive=True, maximum=1e6)
    if lr_max <= lr_min:
        raise ValueError(f"`lr_max` must be larger than `lr_min` ({lr_min:g}); got {lr_max:g}.")
    steps = check_int(steps, "steps", minimum=2, maximum=10_000)
    smoothing = check_real(smoothing, "smoothing", minimum=0.0, maximum=1.0)
    if smoothing == 1.0:
        raise ValueError("`smoothing` must be below 1 (at 1 the average never moves); got 1.0.")
    divergence = check_real(divergence, "divergence", minimum=1.0)
    if divergence == 1.0:
        raise ValueError("`divergence` must be above 1 (a loss above its own minimum); got 1.0.")
    rule = check_choice(rule, "rule", RULES)
    n_train = len(train[0]) if isinstance(train, (tuple, list)) and len(train) == 2 else 0
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    per_epoch = max(1, math.ceil(n_train / batch_size))
    factors = _sweep(1.0, lr_max / lr_min, steps)  # the sweep is a schedule of factors of lr_min
    lrs = lr_min * factors
    losses: list[float] = []
    smoothed: list[float] = []
    stop = threading.Event()
    stopped = [f"reached lr_max after {steps} steps"]
    average, lowest = 0.0, math.inf

    def record(info: StepInfo) -> None:  # after each step: the loss of the lr just used
        nonlocal average, lowest
        i = len(losses)
        losses.append(info.loss)
        average = smoothing * average + (1 - smoothing) * info.loss
        smoothed.append(average / (1 - smoothing ** (i + 1)))  # bias-corrected
        lowest = min(lowest, smoothed[-1])
        if smoothed[-1] > divergence * lowest:
            stopped[0] = f"diverged at step {i + 1} (smoothed loss above {divergence:g}x its lowest)"
            stop.set()
        elif i + 1 == steps:
            stop.set()

    try:
        fit_with(copy.deepcopy(model), train, optimizer=optimizer, lr=lr_min,
                 epochs=math.ceil(steps / per_epoch), batch_size=batch_size, seed=seed,
                 device=device, schedule=lambda t: float(factors[min(t, steps - 1)]),
                 callback=record, stop=stop, quiet=True, **settings)
    except TrainingDiverged:
        stopped[0] = f"diverged at step {len(losses) + 1} (the loss became NaN or infinite)"
    smooth = np.array(smoothed)
    best = int(np.argmin(smooth)) if len(smooth) else 0
    if len(losses) < 2 or (best == 0 and stopped[0].startswith("diverged")):
        raise ValueError(f"the loss never fell below its first value before the sweep diverged "
                         f"at step {len(losses) + 1 if len(losses) < 2 else len(losses)}: "
                         f"`lr_min` ({lr_min:g}) is already too large; try a smaller one.")
    taken = lrs[:len(losses)]
    slopes = np.gradient(smooth, np.log(taken))  # d(smoothed loss) / d(log lr)
    steepest = int(np.argmin(slopes[:best + 1]))
    return RangeTest(lrs=taken, losses=np.array(losses), smoothed=smooth, stopped=stopped[0],
                     rule=rule, minimum=float(taken[best]), steepest=float(taken[steepest]))


def plot_range_test(result: RangeTest, *, title: str = "Learning-rate range test",
                    figsize: tuple[float, float] = (6.4, 3.6)) -> Figure:
    """Plot the losses of a range test against the learning rate (log scale), with the suggestion.

    Raw losses thin and light, the smoothed loss bold; dotted vertical lines mark the lowest
    smoothed loss and the suggestion. Alt text: :func:`describe_range_test`.
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, RangeTest):
        raise TypeError(f"`result` must be a RangeTest (from lr_range_test); got "
                        f"{_describe(result)}.")
    fig, ax = plt.subplots(figsize=figsize)
    ax.semilogx(result.lrs, result.losses, color="#56B4E9", linewidth=0.8, label="loss of each step")
    ax.semilogx(result.lrs, result.smoothed, color="#0072B2", linewidth=2.0, label="smoothed")
    ax.axvline(result.minimum, color="#D55E00", linestyle=":", label=f"lowest, lr {result.minimum:.2g}")
    ax.axvline(result.suggestion, color="#009E73", linestyle="--",
               label=f"suggestion ({result.rule}), lr {result.suggestion:.2g}")
    top = float(np.nanmax(result.smoothed[: int(np.argmin(result.smoothed)) + 1]))
    ax.set_ylim(max(0.0, float(np.nanmin(result.losses)) * 0.9), 1.5 * top)
    ax.set(xlabel="learning rate (log scale)", ylabel="training loss", title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def describe_range_test(result: RangeTest) -> str:
    """Alt text for :func:`plot_range_test`."""
    if not isinstance(result, RangeTest):
        raise TypeError(f"`result` must be a RangeTest (from lr_range_test); got "
                        f"{_describe(result)}.")
    return (f"The training loss of {len(result.lrs)} steps against the learning rate, from "
            f"{result.lrs[0]:.2g} to {result.lrs[-1]:.2g} on a log scale, raw and smoothed. "
            f"The smoothed loss starts at {result.smoothed[0]:.3g}, is lowest "
            f"({result.smoothed.min():.3g}) at learning rate {result.minimum:.2g}, and the sweep "
            f"{result.stopped}. A dashed line marks the suggestion, {result.suggestion:.2g} "
            f"({result.rule}).")
