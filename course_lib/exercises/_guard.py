"""A student's function runs under guard.

A time limit, its prints captured, its errors (and ``SystemExit``) turned into messages; see the
module docstring of :mod:`._core`.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import signal
import threading
import time
import warnings
from collections.abc import Callable

import numpy as np


def _quietly(func: Callable, *args):
    """Run student code without numpy/Python warnings leaking into the cell's output."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return func(*args)


class _TimeUp(BaseException):
    """Raised inside a student's function when its time is up.

    A BaseException, so that the student's own ``except Exception:`` does not swallow it.
    """


def _guarded(call: Callable, answer: Callable, deadline: float):
    """``_quietly(call, answer)``, stopped with :class:`_TimeUp` at ``deadline``."""
    seconds = deadline - time.monotonic()
    if seconds <= 0:
        raise _TimeUp
    on_main = threading.current_thread() is threading.main_thread()
    limit = _alarm if on_main and hasattr(signal, "setitimer") else _watchdog
    with limit(seconds):
        return _quietly(call, answer)


@contextlib.contextmanager
def _alarm(seconds: float):
    """Raise _TimeUp in the main thread after ``seconds``, through SIGALRM.

    It is raised again every 0.2 s after that, in case the student's code catches it; the
    previous handler is restored.
    """
    armed = [True]

    def on_alarm(_signum, _frame):
        if armed[0]:
            raise _TimeUp

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _watchdog(seconds: float):
    """Raise _TimeUp in this thread after ``seconds``, from a watchdog thread.

    Works in any thread and on Windows; the exception arrives at the next Python instruction.
    """
    target = ctypes.c_ulong(threading.get_ident())
    lock, state = threading.Lock(), {"armed": True, "fired": False}
    stop = threading.Event()

    def watch():
        while not stop.wait(seconds if not state["fired"] else 0.2):
            with lock:
                if state["armed"]:
                    state["fired"] = True
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(_TimeUp))

    watcher = threading.Thread(target=watch, daemon=True, name="course-check-watchdog")
    watcher.start()
    try:
        yield
    finally:
        with lock:
            state["armed"] = False
            if state["fired"]:  # clear an exception that was sent but has not arrived yet
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
        stop.set()


class _Printed(io.TextIOBase):
    """Collects what a student's function prints: the start is kept, the rest only counted."""

    KEEP = 400  # characters kept, from which the feedback shows a few lines

    def __init__(self) -> None:
        super().__init__()
        self.text, self.total = "", 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if len(self.text) < self.KEEP:
            self.text += text[:self.KEEP - len(self.text)]
        self.total += len(text)
        return len(text)

    def details(self) -> list[tuple[str, str]]:
        """Return ``[("printed", first lines)]``, or nothing when the function printed nothing."""
        if not self.total:
            return []
        lines = self.text.splitlines()[:4]
        shown = "\n".join(line if len(line) <= 80 else line[:77] + "..." for line in lines)
        hidden = self.total - len(shown)
        if hidden > 1:
            shown += f"\n... ({hidden:,} more characters not shown)"
        return [("printed", shown)]
