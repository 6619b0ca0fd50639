"""The inputs a student's function is graded on: the exercise's own cases and fresh ones.

An exercise's :class:`~course_lib.exercises.FunctionCheck` has fixed cases, which a student
can read from the library (``ch1.conv2d.checker.cases()``) and answer from a table. The grader
adds, at grading time, one *fresh* case per fixed case, drawn from a seed the student never
sees, by one rule for every exercise:

- a case that holds arrays keeps its shapes and its other arguments (sizes, flags, a learning
  rate) and gets new array values: whole numbers between the old minimum and maximum where the
  old values were whole numbers, else real numbers in that range;
- a case of numbers only gets new numbers: whole numbers grow by an even amount (an odd size
  stays odd), real numbers are scaled by a factor between 0.7 and 1.4; booleans and text stay.

A fresh case is kept only if the library's reference accepts it and the exercise's own
solution (its ``solution`` code, run here) agrees with the reference on it: an input outside
what the statement promises (an even size where it says odd) is drawn again (up to
:data:`DRAWS` times), never held against the student.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exercises import Case, Exercise, FunctionCheck
from ..exercises._guard import _quietly

DRAWS = 8
"""Draws per fixed case until the reference and the solution accept one (a stride of 1 or 2
drawn as 3, say); after that many refusals the case gets no fresh twin."""


@dataclass(frozen=True)
class GradingCases:
    """The cases of one exercise for one grading run."""

    cases: tuple[Case, ...]  # the exercise's own cases, then the fresh ones
    fixed: int  # how many of them are the exercise's own
    dropped: int = 0  # fixed cases left without a fresh twin (every draw was refused)

    @property
    def fresh(self) -> int:
        """How many fresh cases were added."""
        return len(self.cases) - self.fixed


def solution_function(exercise: Exercise) -> Callable | None:
    """Run the exercise's solution code and return the function it defines (``None`` if none)."""
    namespace: dict[str, Any] = {"__name__": "course_solution"}
    try:
        exec(compile(exercise.solution_code, f"<{exercise.name} solution>", "exec"), namespace)
    except Exception:  # a solution that needs a notebook's context: no fresh cases
        return None
    function = namespace.get(exercise.answer_name)
    return function if callable(function) else None


def grading_cases(exercise: Exercise, rng: np.random.Generator) -> GradingCases:
    """Give the exercise's own cases and the fresh ones that its reference and solution accept.

    >>> from course_lib.exercises import ch2
    >>> cases = grading_cases(ch2.output_size, np.random.default_rng(0))
    >>> cases.fixed, cases.fresh + cases.dropped == cases.fixed
    (10, True)
    """
    checker = exercise.checker
    if not isinstance(checker, FunctionCheck):
        raise TypeError(f"`exercise` must be checked by a FunctionCheck; {exercise.name} is not.")
    fixed = list(checker.cases())
    solution = solution_function(exercise)
    fresh: list[Case] = []
    dropped = 0
    for case in fixed:
        new = _accepted_draw(checker, solution, case, rng, avoid=fixed + fresh)
        if new is None:
            dropped += 1
        else:
            fresh.append(new)
    return GradingCases(tuple(fixed + fresh), len(fixed), dropped)


def _accepted_draw(checker: FunctionCheck, solution: Callable | None, case: Case,
                   rng: np.random.Generator, *, avoid: list[Case]) -> Case | None:
    """Draw a fresh case like ``case`` until the reference and the solution accept one."""
    if solution is None:  # no solution to agree with: no fresh case
        return None
    for _ in range(DRAWS):  # a refused draw is drawn again
        new = _draw(case, rng, avoid=avoid)
        if new is not None and _accepted(checker, solution, new):
            return new
    return None


def _accepted(checker: FunctionCheck, solution: Callable, case: Case) -> bool:
    try:
        expected = _quietly(case.call, checker.reference)
        answer = _quietly(case.call, solution)
        return expected is not None and checker.compare(expected, answer) is None
    except Exception:  # the reference or the solution refused this input
        return False


def fresh_case(case: Case, rng: np.random.Generator) -> Case | None:
    """Draw a new case like ``case`` (the module's rules); ``None`` when nothing can change.

    >>> rng = np.random.default_rng(1)
    >>> new = fresh_case(Case((np.array([[1.0, 5.0], [3.0, 2.0]]), 3)), rng)
    >>> new.args[0].shape, new.args[1], bool(np.all(new.args[0] == np.round(new.args[0])))
    ((2, 2), 3, True)
    >>> fresh_case(Case((7, 1.5)), rng).args[0] % 2
    1
    """
    return _draw(case, rng, avoid=[case])


def _draw(case: Case, rng: np.random.Generator, *, avoid: list[Case], tries: int = 10) -> Case | None:
    """Draw a fresh case like ``case`` that is none of ``avoid`` (``None`` after ``tries``)."""
    has_arrays = _has_arrays((case.args, dict(case.kwargs)))
    for _ in range(tries):
        args = tuple(_fresh(a, rng, arrays=has_arrays) for a in case.args)
        kwargs = {k: _fresh(v, rng, arrays=has_arrays) for k, v in case.kwargs.items()}
        new = Case(args, kwargs)
        if not any(_same(new, known) for known in avoid):
            return new
    return None


def _has_arrays(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iuf" and value.size > 0
    if isinstance(value, (list, tuple)):
        return any(_has_arrays(v) for v in value)
    if isinstance(value, dict):
        return any(_has_arrays(v) for v in value.values())
    return False


def _fresh(value: Any, rng: np.random.Generator, *, arrays: bool) -> Any:
    if isinstance(value, np.ndarray):
        return _fresh_array(value, rng) if arrays else copy.deepcopy(value)
    if isinstance(value, (list, tuple)):
        items = [_fresh(v, rng, arrays=arrays) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if arrays or isinstance(value, (bool, np.bool_)):
        return copy.deepcopy(value)  # with arrays, numbers are sizes and settings: kept
    if isinstance(value, (int, np.integer)):
        step = max(1, abs(int(value)) // 2)
        return type(value)(int(value) + 2 * int(rng.integers(0, step + 1)))
    if isinstance(value, (float, np.floating)) and math.isfinite(float(value)):
        return type(value)(float(value) * float(rng.uniform(0.7, 1.4)))
    return copy.deepcopy(value)


def _fresh_array(array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if array.dtype.kind not in "iuf" or array.size == 0 or not np.all(np.isfinite(array)):
        return array.copy()
    low, high = float(array.min()), float(array.max())
    if low == high:
        return array.copy()
    if np.all(array == np.round(array)):
        whole = rng.integers(math.floor(low), math.floor(high) + 1, size=array.shape)
        return whole.astype(array.dtype)
    return rng.uniform(low, high, size=array.shape).astype(array.dtype)


def _same(a: Case, b: Case) -> bool:
    def equal(x: Any, y: Any) -> bool:
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and \
                x.shape == y.shape and bool(np.array_equal(x, y))
        if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            return len(x) == len(y) and all(equal(u, v) for u, v in zip(x, y, strict=True))
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
        return type(x) is type(y) and bool(x == y)

    return equal(a.args, b.args) and equal(dict(a.kwargs), dict(b.kwargs))
