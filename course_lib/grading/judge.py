"""The verdict on one answer, decided in the grader's process with the library's reference.

What comes out of a student's kernel (:mod:`.probe`) is plain data: the answer's value, or the
results of the student's function on the grader's inputs. :func:`verdict` hands it to the
exercise's own checker, here, so the gradebook says exactly what ``check()`` would have said in
a kernel nobody tampered with:

- a value goes to ``exercise.evaluate``, as in the notebook;
- a function's results are replayed: the exercise's :class:`~course_lib.exercises.FunctionCheck`
  runs on the grading cases against a stand-in that returns, case by case, what the student's
  function returned in the kernel (or raises what it raised there).
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator, Sequence
from typing import Any

from ..exercises import Case, Exercise, Feedback, FunctionCheck, _core
from ..exercises._guard import _TimeUp
from .plain import PlainDataError


class Replay:
    """Stands for a student's function: returns, call after call, what it returned in the kernel.

    >>> replay = Replay([{"returned": 4}, {"raised": "ValueError", "message": "no"}], name="f")
    >>> replay(2)
    4
    >>> replay(3)
    Traceback (most recent call last):
    ...
    course_lib.grading.judge.ValueError: no
    """

    def __init__(self, records: Sequence[dict], *, name: str):
        self.records = list(records)
        self.__name__ = name
        self._next = 0

    def __call__(self, *_args: Any, **_kwargs: Any) -> Any:
        """Return (or raise) what the student's function did on the next case."""
        if self._next >= len(self.records):
            raise PlainDataError("fewer results than cases came out of the kernel")
        record = self.records[self._next]
        self._next += 1
        if not isinstance(record, dict):
            raise PlainDataError("a malformed result came out of the kernel")
        if "returned" in record:
            return record["returned"]
        if "timeout" in record:
            raise _TimeUp
        if "exit" in record:
            raise SystemExit
        if "raised" in record:
            raise _student_error(str(record["raised"]))(str(record.get("message", "")))
        raise PlainDataError("a malformed result came out of the kernel")


def _student_error(name: str) -> type[Exception]:
    """Make an exception class named like the one the student's code raised."""
    name = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", name) else "Exception"
    return type(name, (Exception,), {})


@contextlib.contextmanager
def _no_time_limit() -> Iterator[None]:
    """Lift the time limit: it was applied in the kernel; a replay is instant, the reference not."""
    limit = _core.TIME_LIMIT
    _core.TIME_LIMIT = 10_000.0
    try:
        yield
    finally:
        _core.TIME_LIMIT = limit


def verdict(exercise: Exercise, data: Any, cases: Sequence[Case] | None = None) -> Feedback:
    """Judge what came out of the kernel for ``exercise``.

    ``data``: ``{"value": v}``, ``{"calls": [records]}`` (the results of the student's function on
    ``cases``, in order), ``{"trial": result}`` (for the checker's ``judge``), ``{"status": s}`` (a
    trial's verdict, see :func:`.probe.trial`) or ``{"unreadable": why}``.

    Raises
    ------
    PlainDataError
        ``data`` is not one of these (the kernel wrote something else).
    """
    if not isinstance(data, dict) or len(data) != 1:
        raise PlainDataError("the answer is not in the grader's format")
    (kind, body), = data.items()
    if kind == "value":
        return exercise.evaluate(body)
    if kind == "calls":
        checker = exercise.checker
        if not isinstance(checker, FunctionCheck) or cases is None:
            raise PlainDataError(f"{exercise.name} takes a value, yet results of calls came out")
        if not isinstance(body, list) or len(body) != len(cases):
            raise PlainDataError("the kernel returned another number of results than cases")
        replaying = copy.copy(checker)
        grading = list(cases)
        replaying.cases = lambda: grading
        with _no_time_limit():
            return replaying(Replay(body, name=exercise.answer_name), name=exercise.answer_name)
    if kind == "trial":
        judge = getattr(exercise.checker, "judge", None)
        if not callable(judge):
            raise PlainDataError(f"{exercise.name}'s checker has no judge for a trial's result")
        return judge(body, name=exercise.answer_name)
    if kind == "status":
        if body not in ("correct", "incorrect", "not_attempted"):
            raise PlainDataError(f"unexpected status {body!r} from a trial")
        return Feedback(body, "as the exercise's check found it in a fresh kernel")
    if kind == "unreadable":
        return Feedback("incorrect", f"the answer could not be passed on as plain data: {body}")
    raise PlainDataError(f"unexpected {kind!r} in the answer")
