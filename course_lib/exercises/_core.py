"""The exercise framework: an answer goes in, a short teaching message comes out.

An :class:`Exercise` is declared from four things: its statement, a *checker* (a callable
that turns an answer into :class:`Feedback`), a list of progressive hints and its solution
code. Two checkers cover most exercises:

- :class:`ValueCheck` compares a number or an array with the expected one, within a
  tolerance, and recognises known wrong answers (``-18`` for a forgotten flip).
- :class:`FunctionCheck` runs a submitted function on test cases the student does not see,
  compares each output with a reference implementation and, on the first failing case,
  names the likely mistake (each :class:`Mistake` is a wrong implementation and its lesson)
  and shows the input, the expected and the actual output.

Answers are always passed explicitly (``ex.check(my_conv2d)``); nothing reads the notebook's
globals, nothing is tracked, nothing goes over the network.

The placeholder
---------------
A student cell starts as ``answer = ...`` (the value :data:`PLACEHOLDER`, Python's
``Ellipsis``) or as a function whose body is only ``...`` or ``pass`` (so it returns
``None``). Both are reported as "Not attempted yet" rather than as a failure, so a notebook
with untouched exercise cells still runs top to bottom.

Output
------
``check``, ``hint`` and ``solution`` show their :class:`Feedback` at once and return it. In
a Jupyter kernel it is displayed with a coloured HTML form and a plain-text form; elsewhere
the plain text is printed. Both forms depend only on the answer, so nbval can compare them.
``bool(feedback)`` is ``True`` only for a correct answer.

A student's function runs under guard
-------------------------------------
:class:`FunctionCheck` gives the submitted function :data:`TIME_LIMIT` seconds for all its test
cases together. In the main thread (where Jupyter, Colab and Voila run a cell) a timer signal
(``SIGALRM``) stops it, even inside ``time.sleep``; elsewhere (another thread, Windows) a
watchdog thread stops it at its next Python instruction. A function that takes too long gets
"Not quite: ... did not finish within 5 seconds ... Look for a loop that never ends", with the
input it was working on, and the cell finishes normally. What the function prints is captured,
not sent to the cell (a few lines are shown in the feedback), and an error it raises, a
``SystemExit`` (``exit()``, ``sys.exit()``) included, becomes a message instead of stopping the
cell. Only a function stuck inside one long C call (a huge NumPy operation) runs on until that
call returns.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np

from .._checks import check_int
from ._feedback import Feedback, _number, describe_type, format_value, show
from ._guard import _guarded, _Printed, _quietly, _TimeUp

PLACEHOLDER = ...
"""What an unanswered value cell holds: ``answer = ...`` (Python's ``Ellipsis``)."""

TIME_LIMIT = 5.0
"""Seconds a submitted function gets for all the test cases of one check."""

# --------------------------------------------------------------------------- comparisons


def as_number(value) -> float | None:
    """``value`` as a float if it is a real number (or a 0-d / 1-element array), else ``None``.

    >>> as_number(np.float32(2.5)), as_number(np.array([3])), as_number("3")
    (2.5, 3.0, None)
    """
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (Real, np.number)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    return None


def as_array(value) -> np.ndarray | None:
    """``value`` as a float64 array, or ``None`` when it is not numeric and rectangular."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return None
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return None
    if arr.dtype.kind not in "biuf":
        return None
    return arr.astype(np.float64)


def compare_arrays(expected, actual, *, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """``None`` when ``actual`` is an array equal to ``expected`` within tolerance, else why not.

    >>> compare_arrays(np.ones((3, 4)), np.ones((5, 6)))
    'expected shape (3, 4), got (5, 6).'
    >>> compare_arrays(np.ones(2), [1.0, 1.0]) is None
    True
    """
    expected = np.asarray(expected, dtype=np.float64)
    arr = as_array(actual)
    if arr is None:
        return (f"expected an array of real numbers of shape {expected.shape}, got "
                f"{describe_type(actual)}.")
    if arr.shape != expected.shape:
        return f"expected shape {expected.shape}, got {arr.shape}."
    if not np.all(np.isfinite(arr)):
        return "your result contains NaN or infinity."
    if not np.allclose(arr, expected, rtol=rtol, atol=atol):
        diff = np.abs(arr - expected)
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        return (f"values differ; the largest difference is {_number(diff[where])} "
                f"at index {where if len(where) != 1 else where[0]}.")
    return None


def compare_numbers(expected, actual, *, rtol: float = 1e-9, atol: float = 1e-12) -> str | None:
    """``None`` when ``actual`` is a number close to ``expected``, else why not.

    >>> compare_numbers(0.0625, 0.25 ** 2) is None
    True
    >>> compare_numbers(0.0625, 0.125)
    'expected 0.0625, got 0.125.'
    >>> compare_numbers(0.25, 0.25 + 1e-8)  # as many digits as it takes to tell them apart
    'expected 0.25, got 0.25000001.'
    """
    x = as_number(actual)
    if x is None:
        return f"expected a number, got {describe_type(actual)}."
    if not math.isfinite(x) or not math.isclose(x, float(expected), rel_tol=rtol, abs_tol=atol):
        want, got = _distinct_numbers(float(expected), x)
        return f"expected {want}, got {got}."
    return None


def _distinct_numbers(a: float, b: float) -> tuple[str, str]:
    """Write ``a`` and ``b`` as short text, with enough significant digits to differ."""
    first, second = _number(a), _number(b)
    digits = 7
    while first == second and a != b and digits <= 15:
        first, second = f"{a:.{digits}g}", f"{b:.{digits}g}"
        digits += 1
    if first == second and a != b:  # the shortest texts that read back as each number
        first, second = repr(a), repr(b)
    return first, second


def compare_ints(expected, actual) -> str | None:
    """``None`` when ``actual`` is the integer ``expected``; floats are refused with a reason.

    >>> compare_ints(55, 55.0)
    'expected a whole number (int), got the float 55.0: use // (floor division) or int().'
    """
    if isinstance(actual, (bool, np.bool_)):
        return f"expected an int, got {describe_type(actual)}."
    if isinstance(actual, (float, np.floating)):
        return (f"expected a whole number (int), got {describe_type(actual)}: "
                "use // (floor division) or int().")
    if not isinstance(actual, (Integral, np.integer)):
        return f"expected an int, got {describe_type(actual)}."
    if int(actual) != int(expected):
        return f"expected {_number(int(expected))}, got {_number(int(actual))}."
    return None


# --------------------------------------------------------------------------- checkers


@dataclass(frozen=True)
class Case:
    """One hidden test case: the positional and keyword arguments of a call."""

    args: tuple
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def call(self, func: Callable) -> Any:
        """Call ``func`` on deep copies of the arguments (so a function may modify them)."""
        return func(*copy.deepcopy(self.args), **copy.deepcopy(dict(self.kwargs)))


@dataclass(frozen=True)
class Mistake:
    """A known wrong implementation and the lesson shown when an answer behaves like it."""

    func: Callable  # same signature as the reference; computes the wrong answer
    message: str  # what to tell the student


class FunctionCheck:
    """Check a submitted function against a reference on hidden test cases.

    Parameters
    ----------
    reference : callable
        The correct implementation.
    cases : callable
        Returns the list of :class:`Case` (called on each check; make it deterministic).
    arg_names : sequence of str
        Names of the positional arguments, used to show a failing input.
    compare : callable, optional
        ``compare(expected, actual) -> str | None``: ``None`` when equal, else what differs.
        Defaults to :func:`compare_arrays`.
    mistakes : sequence of Mistake
        Known wrong implementations; the first one that reproduces the student's output on
        the failing case supplies the message.
    diagnose : callable, optional
        ``diagnose(case, expected, actual) -> str | None``: further lessons, tried after
        ``mistakes``.
    description : str
        What the cases are compared with, for the "Correct" message.

    Examples
    --------
    >>> check = FunctionCheck(lambda n: 2 * n, lambda: [Case((1,)), Case((5,))],
    ...                       arg_names=("n",), compare=compare_ints,
    ...                       mistakes=[Mistake(lambda n: n + 2, "double, don't add 2.")])
    >>> print(check(lambda n: n + 2, name="f").text)
    Not quite: double, don't add 2.
        input:    n = 1
        expected: 2
        got:      3
        problem:  expected 2, got 3.
    """

    def __init__(self, reference: Callable, cases: Callable[[], Sequence[Case]], *,
                 arg_names: Sequence[str], compare: Callable | None = None,
                 mistakes: Sequence[Mistake] = (), diagnose: Callable | None = None,
                 description: str = "the reference solution"):
        self.reference = reference
        self.cases = cases
        self.arg_names = tuple(arg_names)
        self.compare = compare or compare_arrays
        self.mistakes = tuple(mistakes)
        self.diagnose = diagnose
        self.description = description

    def __call__(self, answer, *, name: str) -> Feedback:
        if not callable(answer):
            return Feedback("incorrect", f"expected a function, got {describe_type(answer)}. "
                            f"Pass the function itself: check({name}), without calling it.")
        name = getattr(answer, "__name__", name)
        cases = list(self.cases())
        runs = []  # (case, expected, actual) for every case the answer went through
        printed = _Printed()
        deadline = time.monotonic() + TIME_LIMIT
        for case in cases:
            expected = case.call(self.reference)
            try:
                with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                    actual = _guarded(case.call, answer, deadline)
            except _TimeUp:
                return Feedback("incorrect", f"{name} did not finish within {TIME_LIMIT:g} "
                                "seconds on this input, so the check stopped it. Look for a "
                                "loop that never ends (a `while` whose condition stays true) "
                                "or one that runs far more often than the input needs.",
                                details=[("input", self._show_input(case)), *printed.details()])
            except (Exception, SystemExit) as exc:  # the student's code failed: teach
                what = ("called exit() or sys.exit(), which would stop the whole notebook: end "
                        "it with `return` instead." if isinstance(exc, SystemExit)
                        else f"raised {type(exc).__name__}: {exc}")
                return Feedback("incorrect", f"{name} {what}",
                                details=[("input", self._show_input(case)), *printed.details()])
            runs.append((case, expected, actual))
        if all(actual is None for _, _, actual in runs):
            return Feedback("not_attempted", f"{name} returned None. Write its body "
                            "(replace the `...`) and end it with `return`.")
        for case, _, actual in runs:
            if actual is None:
                return Feedback("incorrect", f"{name} returned None for this input; "
                                "does every branch end with `return`?",
                                details=[("input", self._show_input(case)), *printed.details()])
        for case, expected, actual in runs:
            problem = self.compare(expected, actual)
            if problem is not None:
                lesson = self._lesson(runs, case, expected, actual)
                details = [("input", self._show_input(case)),
                           ("expected", format_value(expected)),
                           ("got", format_value(actual)),
                           ("problem", problem), *printed.details()]
                return Feedback("incorrect", lesson or problem, details=details)
        return Feedback("correct", f"{name} agrees with {self.description} on "
                        f"{len(cases)} test cases you had not seen.", details=printed.details())

    def _behaves_like(self, mistake: Mistake, case: Case, expected, actual) -> bool:
        wrong = _quietly(case.call, mistake.func)
        return self.compare(expected, wrong) is not None and self.compare(wrong, actual) is None

    def _lesson(self, runs, case: Case, expected, actual) -> str | None:
        # A mistake that reproduces the answer on every case is the surest diagnosis; one
        # that reproduces it on the failing case only is the next best.
        for mistake in self.mistakes:
            if all(self.compare(_quietly(c.call, mistake.func), a) is None
                   for c, _, a in runs) and self._behaves_like(mistake, case, expected, actual):
                return mistake.message
        for mistake in self.mistakes:
            if self._behaves_like(mistake, case, expected, actual):
                return mistake.message
        if self.diagnose is not None:
            return self.diagnose(case, expected, actual)
        return None

    def _show_input(self, case: Case) -> str:
        parts = []
        for arg_name, value in zip(self.arg_names, case.args, strict=False):
            text = format_value(value)
            parts.append(f"{arg_name} =" + ("\n" if "\n" in text else " ") + text)
        parts += [f"{k} = {format_value(v)}" for k, v in case.kwargs.items()]
        return "\n".join(parts)


class ValueCheck:
    """Check a submitted number against the expected one, recognising known wrong answers.

    The expected value itself is never printed: a wrong answer gets the lesson of the
    matching known mistake (or of ``advice``), else a nudge towards ``hint()``.

    Parameters
    ----------
    expected : float
        The correct answer.
    expects : str
        What kind of answer is expected, e.g. ``"a number of pixels"``.
    rtol, atol : float
        Tolerances of :func:`math.isclose`.
    mistakes : mapping of float to str
        Known wrong answers and their lessons.
    advice : callable, optional
        ``advice(value) -> str | None`` for wrong answers that are not in ``mistakes``.

    Examples
    --------
    >>> check = ValueCheck(18, expects="a number", mistakes={-18: "flip the kernel."})
    >>> print(check(-18, name="answer").text)
    Not quite: flip the kernel.
        expected: a number
        got:      -18
    >>> bool(check(18.0, name="answer"))
    True
    """

    def __init__(self, expected: float, *, expects: str, rtol: float = 1e-9,
                 atol: float = 1e-9, mistakes: Mapping[float, str] | None = None,
                 advice: Callable[[float], str | None] | None = None):
        self.expected = expected
        self.expects = expects
        self.rtol = rtol
        self.atol = atol
        self.mistakes = dict(mistakes or {})
        self.advice = advice

    def _close(self, a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=self.rtol, abs_tol=self.atol)

    def __call__(self, answer, *, name: str) -> Feedback:
        value = as_number(answer)
        if value is None or not math.isfinite(value):
            return Feedback("incorrect", f"{name} must be a single number.",
                            details=[("expected", self.expects),
                                     ("got", describe_type(answer))])
        details = [("expected", self.expects), ("got", format_value(answer))]
        if self._close(value, float(self.expected)):
            return Feedback("correct", f"{name} = {format_value(answer)}.")
        for wrong, lesson in self.mistakes.items():
            if self._close(value, float(wrong)):
                return Feedback("incorrect", lesson, details=details)
        advice = self.advice(value) if self.advice is not None else None
        return Feedback("incorrect", advice or "not this one. Try again, or ask this exercise "
                        "for a .hint().",
                        details=details)


# --------------------------------------------------------------------------- exercise


class Exercise:
    r"""A self-checking exercise: statement, checker, progressive hints and solution code.

    Parameters
    ----------
    name : str
        Dotted name shown to students, e.g. ``"ch1.conv2d"``.
    statement : str
        The task, in Markdown.
    checker : callable
        ``checker(answer, name=...) -> Feedback`` (a :class:`ValueCheck`,
        :class:`FunctionCheck` or any function with that signature). It is never called with
        the placeholder.
    hints : sequence of str
        Progressive hints, gentlest first.
    solution : str
        Python code that defines ``answer_name``; it must pass the exercise's own check.
    answer_name : str
        The name the student's cell defines (``my_conv2d``, ``edge_kernel``, ...).
    starter : str
        The student's cell, with the placeholder.

    Examples
    --------
    >>> ex = Exercise("demo.double", statement="Write `double(n)`.",
    ...               checker=FunctionCheck(lambda n: 2 * n, lambda: [Case((3,))],
    ...                                     arg_names=("n",), compare=compare_ints),
    ...               hints=["Multiply.", "By two."], answer_name="double",
    ...               solution="def double(n):\n    return 2 * n\n",
    ...               starter="def double(n):\n    ...  # your code here\n")
    >>> result = ex.check(lambda n: 2 * n)
    Correct: <lambda> agrees with the reference solution on 1 test cases you had not seen.
    >>> bool(result)
    True
    >>> def double(n):
    ...     ...  # your code here
    >>> _ = ex.check(double)
    Not attempted yet: double returned None. Write its body (replace the `...`) and end it with `return`.
    >>> _ = ex.hint()
    Hint 1 of 2: Multiply.
    """

    def __init__(self, name: str, *, statement: str, checker: Callable[..., Feedback],
                 hints: Sequence[str], solution: str, answer_name: str, starter: str):
        if not hints:
            raise ValueError(f"exercise {name!r} needs at least one hint.")
        self.name = name
        self.statement = statement
        self.checker = checker
        self.hints = tuple(hints)
        self.solution_code = solution
        self.answer_name = answer_name
        self.starter = starter
        self._next_hint = 0

    def __repr__(self) -> str:
        first = self.statement.strip().splitlines()[0]
        return f"<Exercise {self.name}: {first}>"

    def evaluate(self, answer) -> Feedback:
        """Judge ``answer`` and return the feedback, without showing it."""
        if answer is PLACEHOLDER or answer is None:
            return Feedback("not_attempted", f"replace the `...` in `{self.answer_name} = ...` "
                            "with your answer, then run the cell again.")
        return self.checker(answer, name=self.answer_name)

    def check(self, answer) -> Feedback:
        """Check ``answer``, show the feedback and return it (truthy only when correct)."""
        return show(self.evaluate(answer), exercise=self.name)

    def hint(self, number: int | None = None) -> Feedback:
        """Show the next hint (or hint ``number``, counting from 1) and return it."""
        total = len(self.hints)
        if number is None:
            number = min(self._next_hint + 1, total)
        number = check_int(number, "number", minimum=1, maximum=total)
        self._next_hint = max(self._next_hint, number)
        text = self.hints[number - 1]
        if number == total and total > 1:
            text += f" (That was the last hint; `{self.name}.solution()` shows the solution.)"
        return show(Feedback("hint", text, title=f"Hint {number} of {total}"))

    def reset_hints(self) -> None:
        """Start the hints again from the first one."""
        self._next_hint = 0

    def solution(self) -> Feedback:
        """Show the solution code and return it."""
        return show(Feedback("solution", f"one way to define `{self.answer_name}`:",
                             code=self.solution_code))
