"""Choosing hyperparameters on a small budget: grid search against random search.

A search tries a handful of settings, trains with each and keeps the one with the best score
**on the validation split**. A *grid* tries every combination of a few values per
hyperparameter; *random search* (Bergstra and Bengio, 2012) draws each setting at random in the
same ranges. With the same budget of ``n`` runs and two hyperparameters, a grid tries only
``sqrt(n)`` values of each, while random search tries ``n`` different values of each: when one
hyperparameter matters much more than the other (the learning rate usually does), random search
explores the one that matters far better.

- :class:`Range`: the values a hyperparameter may take, on a linear or a logarithmic scale
  (learning rates and weight decays are searched on a log scale);
- :func:`grid_points` and :func:`random_points`: the settings each search tries;
- :func:`run_search`: score every setting with a function, keep the best.

Shown in chapter 4, section 4.6 (notebooks/04_training_part_2.ipynb).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._checks import as_float_array, check_choice, check_int, check_real

__all__ = ["Range", "SearchResult", "grid_points", "random_points", "run_search"]


@dataclass(frozen=True)
class Range:
    """The interval a hyperparameter is searched in, on a linear or a logarithmic scale.

    On the log scale a value is ``low * (high / low) ** u`` for ``u`` between 0 and 1, so each
    factor of ten gets the same share of the points.

    Examples
    --------
    >>> lr = Range(1e-4, 1e-1, scale="log")
    >>> [f"{v:.0e}" for v in lr.grid(4)]
    ['1e-04', '1e-03', '1e-02', '1e-01']
    >>> float(lr.from_unit(0.5)) == math.sqrt(1e-4 * 1e-1)
    True
    >>> Range(0.0, 1.0, scale="log")
    Traceback (most recent call last):
    ...
    ValueError: `low` must be positive on a log scale; got 0.0.
    """

    low: float  # the smallest value
    high: float  # the largest value (greater than low)
    scale: str = "linear"  # "linear" or "log" (learning rates, weight decays)

    def __post_init__(self):
        low = check_real(self.low, "low")
        high = check_real(self.high, "high")
        check_choice(self.scale, "scale", ("linear", "log"))
        if high <= low:
            raise ValueError(f"`high` must be greater than `low`; got low={low}, high={high}.")
        if self.scale == "log" and low <= 0:
            raise ValueError(f"`low` must be positive on a log scale; got {low}.")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def from_unit(self, u: float | np.ndarray) -> np.ndarray:
        """Map ``u`` in [0, 1] to the range: evenly on the range's scale."""
        u = as_float_array(u, "u")
        if np.any(u < 0) or np.any(u > 1):
            raise ValueError(f"`u` must lie between 0 and 1; got values from {u.min()} to {u.max()}.")
        if self.scale == "log":
            return self.low * (self.high / self.low) ** u
        return self.low + (self.high - self.low) * u

    def grid(self, n: int) -> np.ndarray:
        """``n`` values evenly spaced on the range's scale, both ends included (one: the middle)."""
        n = check_int(n, "n", minimum=1, maximum=10_000)
        return self.from_unit(np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.5]))


def _space(space) -> dict[str, Range]:
    if not isinstance(space, Mapping) or not space:
        raise TypeError(f"`space` must be a non-empty dict of name -> Range; got {type(space).__name__}.")
    for name, value in space.items():
        if not isinstance(name, str) or not isinstance(value, Range):
            raise TypeError(f"`space` must map names (str) to Range objects; got {name!r}: "
                            f"{type(value).__name__}.")
    return dict(space)


def grid_points(space: Mapping[str, Range], per_axis: int) -> list[dict[str, float]]:
    """Every combination of ``per_axis`` evenly spaced values of each hyperparameter.

    Examples
    --------
    >>> points = grid_points({"lr": Range(1e-3, 1e-1, scale="log"), "p": Range(0.0, 0.5)}, 2)
    >>> [(round(d["lr"], 3), d["p"]) for d in points]
    [(0.001, 0.0), (0.001, 0.5), (0.1, 0.0), (0.1, 0.5)]
    """
    ranges = _space(space)
    per_axis = check_int(per_axis, "per_axis", minimum=1, maximum=1000)
    if per_axis ** len(ranges) > 100_000:
        raise ValueError(f"`per_axis` = {per_axis} over {len(ranges)} hyperparameters makes "
                         f"{per_axis ** len(ranges):,} points; the limit is 100,000.")
    axes = [[float(v) for v in r.grid(per_axis)] for r in ranges.values()]
    return [dict(zip(ranges, values, strict=True)) for values in itertools.product(*axes)]


def random_points(space: Mapping[str, Range], n: int, *, seed: int = 0) -> list[dict[str, float]]:
    """``n`` settings drawn at random, each hyperparameter uniformly on its range's scale.

    Examples
    --------
    >>> points = random_points({"lr": Range(1e-3, 1e-1, scale="log")}, 3, seed=0)
    >>> [round(d["lr"], 4) for d in points]
    [0.0188, 0.0035, 0.0012]
    """
    ranges = _space(space)
    n = check_int(n, "n", minimum=1, maximum=100_000)
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    unit = np.random.default_rng(seed).random((n, len(ranges)))  # (n, hyperparameters) in [0, 1)
    columns = [r.from_unit(unit[:, j]) for j, r in enumerate(ranges.values())]
    return [{name: float(column[i]) for name, column in zip(ranges, columns, strict=True)}
            for i in range(n)]


@dataclass(frozen=True)
class SearchResult:
    """The settings tried, their scores (higher is better) and the best one."""

    points: tuple[dict[str, float], ...]  # the settings, in the order they were tried
    scores: np.ndarray  # (len(points),) the score of each, e.g. validation accuracy

    @property
    def best(self) -> int:
        """Index of the best setting (the first one, if several tie)."""
        return int(np.argmax(self.scores))

    @property
    def best_point(self) -> dict[str, float]:
        """The best setting."""
        return self.points[self.best]

    def distinct(self, name: str) -> int:
        """How many different values of hyperparameter ``name`` were tried."""
        if not self.points or name not in self.points[0]:
            raise ValueError(f"`name` must be one of the hyperparameters searched; got {name!r}.")
        return len({point[name] for point in self.points})

    def __repr__(self) -> str:
        best = ", ".join(f"{k}={v:.3g}" for k, v in self.best_point.items())
        return f"SearchResult({len(self.points)} settings; best: {best}, score {self.scores[self.best]:.4g})"


def run_search(objective: Callable[..., float], points: Sequence[Mapping[str, float]]) -> SearchResult:
    """Score every setting with ``objective(**point)`` (higher is better) and keep them all.

    Examples
    --------
    >>> result = run_search(lambda x: -(x - 2.0) ** 2, [{"x": 0.0}, {"x": 1.5}, {"x": 4.0}])
    >>> result.best_point, result.scores.tolist()
    ({'x': 1.5}, [-4.0, -0.25, -4.0])
    """
    if not callable(objective):
        raise TypeError(f"`objective` must be callable; got {type(objective).__name__}.")
    if isinstance(points, Mapping) or not isinstance(points, Sequence) or not points:
        raise TypeError(f"`points` must be a non-empty list of settings (dicts); got "
                        f"{type(points).__name__}.")
    scores = []
    for point in points:
        if not isinstance(point, Mapping):
            raise TypeError(f"`points` must hold dicts of name -> value; got {type(point).__name__}.")
        score = float(objective(**point))
        if math.isnan(score):
            raise ValueError(f"`objective` returned NaN for {dict(point)}.")
        scores.append(score)
    return SearchResult(tuple(dict(p) for p in points), np.array(scores))
