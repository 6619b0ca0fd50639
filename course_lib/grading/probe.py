"""The grader's side inside a student's kernel: take the answer out, as plain data.

After a cell that checks an exercise, the grader runs one line in the same kernel::

    import course_lib.grading.probe as probe; probe.answer("my_conv2d", "OUT", "REQUEST", 30.0)

:func:`answer` evaluates the answer's expression (the argument the cell gave to ``check``) in
the notebook's namespace. A function is called on the inputs the grader chose for this run
(``REQUEST``, plain data it wrote), under a time limit, its prints swallowed; every result, or
the error it raised, is written to ``OUT`` as plain data (:mod:`.plain`). Any other value is
written as it is. Nothing is judged here: the grader compares in its own process, with the
library's own reference, so whatever this kernel did to the checker (or to this module) can
change what it answers, never how the answer is judged.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from ..exercises._guard import _guarded, _Printed, _TimeUp
from . import plain


def _namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the kernel is IPython's
        get_ipython = None
    shell = get_ipython() if get_ipython is not None else None
    if shell is not None:
        return shell.user_ns
    import __main__

    return vars(__main__)


def _call(function: Any, args: Any, kwargs: Any, deadline: float, printed: _Printed) -> dict:
    """Call ``function`` once: ``{"returned": value}``, ``{"raised": ...}``, ``{"exit": True}``."""
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            value = _guarded(lambda f: f(*args, **kwargs), function, deadline)
    except _TimeUp:
        return {"timeout": True}
    except SystemExit:
        return {"exit": True}
    except Exception as exc:  # the student's code failed: recorded, judged by the grader
        return {"raised": type(exc).__name__, "message": str(exc)[:300]}
    return {"returned": value}


def calls(function: Any, cases: list, *, seconds: float) -> list[dict]:
    """Call ``function`` on each ``[args, kwargs]`` of ``cases`` within ``seconds`` in all.

    >>> calls(lambda n: 2 * n, [[(1,), {}], [("a",), {}]], seconds=5)
    [{'returned': 2}, {'returned': 'aa'}]
    >>> calls(lambda n: 1 / n, [[(0,), {}]], seconds=5)
    [{'raised': 'ZeroDivisionError', 'message': 'division by zero'}]
    """
    records = []
    printed = _Printed()
    deadline = time.monotonic() + seconds
    for args, kwargs in cases:
        record = _call(function, tuple(args), dict(kwargs), deadline, printed)
        records.append(record)
        if "timeout" in record:  # the time is spent: the rest would time out too
            records += [{"timeout": True}] * (len(cases) - len(records))
            break
    return records


def answer(expression: str, out: str, request: str | None = None, seconds: float = 30.0) -> None:
    """Write the answer ``expression`` names into the folder ``out``, as plain data.

    ``request``: a folder of inputs (a list of ``[args, kwargs]``, plain data); when the answer is
    a function it is called on each, and the results are written instead of the function.
    """
    try:
        value = eval(expression, _namespace())  # the cell's own argument to check()
    except Exception as exc:
        plain.write(out, {"missing": f"{type(exc).__name__}: {exc}"[:300]})
        return
    if request is not None and callable(value):
        cases = plain.read(request)
        result: dict[str, Any] = {"calls": calls(value, cases, seconds=seconds)}
    else:
        result = {"value": value}
    try:
        plain.write(out, result)
    except plain.PlainDataError as exc:
        plain.write(out, {"unreadable": str(exc)[:300]})


def _exercise(locator: str) -> Any:
    """Find the exercise ``locator`` names: ``"ch1.conv2d"`` (the library's), or ``"module:attr"``."""
    import importlib

    if ":" in locator:
        module, _, attribute = locator.partition(":")
        return getattr(importlib.import_module(module), attribute)
    from .answers import library_exercises

    return library_exercises()[locator]


def trial(locator: str, expression: str, out: str) -> None:
    """Run the exercise's check of the function ``expression`` names, here; write what it found.

    For checkers that run the student's function many times (a training loop): the grader runs
    this in a fresh kernel that holds only the student's definitions. A checker with ``trial``
    and ``judge`` methods is split: ``trial(function)`` runs here and its plain-data result is
    written (``{"trial": ...}``), to be judged by the grader. Any other checker runs whole and
    its status is written (``{"status": ...}``).
    """
    exercise = _exercise(locator)
    try:
        value = eval(expression, _namespace())
    except Exception as exc:
        plain.write(out, {"missing": f"{type(exc).__name__}: {exc}"[:300]})
        return
    checker = exercise.checker
    printed = _Printed()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        if callable(getattr(checker, "trial", None)) and callable(getattr(checker, "judge", None)):
            result: dict[str, Any] = {"trial": checker.trial(value)}
        else:
            result = {"status": exercise.evaluate(value).status}
    plain.write(out, result)
