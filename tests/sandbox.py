"""Run one call of the course library in its own process, with a memory cap and a time cap.

Each call runs in a fresh child forked from a server process that has already imported the
library (``multiprocessing``'s "forkserver": a fork costs milliseconds, where a new interpreter
importing torch costs seconds). The child caps its address space with ``resource.setrlimit``
before the call, so an allocation beyond the cap fails in the child (a ``MemoryError``, or the
child dies) instead of swapping the machine; the parent kills a child that runs past its time.

The call is named, not pickled as code: ``module:qualname`` of the function, its arguments, and
optionally ``module:qualname`` of a checker that receives the result and asserts it is right.

    >>> outcome = run("course_lib.filters:gaussian_kernel", 1e4)
    >>> outcome.kind, outcome.error
    ('raised', 'ValueError')
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import resource
import sys
import time
import traceback
from dataclasses import dataclass

GIB = 1 << 30
PRELOAD = ["numpy", "scipy.signal", "scipy.ndimage", "torch", "course_lib.conv",
           "course_lib.filters", "course_lib.data", "course_lib.preprocessing", "course_lib.train",
           "course_lib.models",
           "course_lib.activations", "course_lib.images", "course_lib.plotting",
           "course_lib.exercises.ch1", "course_lib.exercises.ch2", "course_lib.exercises.ch3",
           "course_lib.widgets.filters"]
_CONTEXT = None


@dataclass(frozen=True)
class Outcome:
    """What became of one call."""

    kind: str  # "ok", "raised", "wrong" (the checker failed), "hang" or "died"
    error: str = ""  # the exception's type name ("raised", "wrong")
    message: str = ""  # its message, or what went wrong
    seconds: float = 0.0  # wall time of the child, start to end

    def __str__(self) -> str:
        return f"{self.kind} {self.error}: {self.message[:400]} ({self.seconds:.2f} s)"


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        tests = os.path.dirname(os.path.abspath(__file__))
        if tests not in sys.path:
            sys.path.insert(0, tests)
        _CONTEXT.set_forkserver_preload([*PRELOAD, "sandbox"])
    return _CONTEXT


def resolve(name: str):
    """The object called ``module:qualname``."""
    module, _, qualname = name.partition(":")
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _child(connection, target: str, args, kwargs, checker, memory: int, threads: int) -> None:
    """The child's side: cap memory, make the call, check the result, report."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import torch

    torch.set_num_threads(threads)
    os.environ["COURSE_SANDBOX"] = "1"
    try:
        result = resolve(target)(*args, **kwargs)
    except Exception as exc:
        connection.send(("raised", type(exc).__name__, str(exc)))
        return
    if checker is not None:
        try:
            resolve(checker)(result, *args, **kwargs)
        except Exception as exc:
            connection.send(("wrong", type(exc).__name__,
                             "".join(traceback.format_exception(exc))[-2000:]))
            return
    connection.send(("ok", "", repr(result)[:200]))


def run(target: str, *args, checker: str | None = None, memory: int = 2 * GIB,
        seconds: float = 20.0, threads: int = 1, **kwargs) -> Outcome:
    """Call ``target(*args, **kwargs)`` in a capped child process and say what happened."""
    context = _context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, target, args, kwargs, checker, memory,
                                                 threads), daemon=True)
    start = time.monotonic()
    child.start()
    send.close()
    report = None
    if receive.poll(seconds):
        try:
            report = receive.recv()
        except EOFError:  # the child died without a word (killed, or a crash)
            report = None
    child.join(timeout=max(0.0, seconds - (time.monotonic() - start)) + 0.2)
    elapsed = time.monotonic() - start
    if child.is_alive():
        child.kill()
        child.join()
        return Outcome("hang", message=f"still running after {seconds} s", seconds=elapsed)
    receive.close()
    if report is None:
        return Outcome("died", message=f"exit code {child.exitcode}", seconds=elapsed)
    kind, error, message = report
    return Outcome(kind, error, message, elapsed)
