"""What a check says: :class:`Feedback`, and how answers and values are written in it.

A feedback is a status and a short teaching message, shown as HTML in Jupyter and as plain text
elsewhere.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

_TITLES = {
    "correct": "Correct",
    "incorrect": "Not quite",
    "not_attempted": "Not attempted yet",
    "hint": "Hint",
    "solution": "Solution",
}
_COLOURS = {
    "correct": "#1b7f3b",
    "incorrect": "#b00020",
    "not_attempted": "#8a6d00",
    "hint": "#1f5fa8",
    "solution": "#555555",
}


# --------------------------------------------------------------------------- feedback


class Feedback:
    """What a check, a hint or a solution says: a status, a message, details and code.

    ``bool(feedback)`` is ``True`` only when ``status == "correct"``.

    >>> fb = Feedback("incorrect", "expected shape (3, 3), got (5, 5).")
    >>> bool(fb), fb.status
    (False, 'incorrect')
    >>> print(fb.text)
    Not quite: expected shape (3, 3), got (5, 5).
    """

    def __init__(self, status: str, message: str, *, details: Sequence[tuple[str, str]] = (),
                 code: str | None = None, title: str | None = None):
        if status not in _TITLES:
            raise ValueError(f"`status` must be one of {', '.join(map(repr, _TITLES))}; "
                             f"got {status!r}.")
        self.status = status
        self.message = str(message)
        self.details = tuple((str(k), str(v)) for k, v in details)
        self.code = code
        self.title = title or _TITLES[status]
        self._shown_at: object = None

    @property
    def passed(self) -> bool:
        """``True`` when the answer was correct."""
        return self.status == "correct"

    @property
    def attempted(self) -> bool:
        """``False`` when the answer was still the placeholder."""
        return self.status != "not_attempted"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def text(self) -> str:
        """The plain-text form."""
        lines = [f"{self.title}: {self.message}" if self.message else f"{self.title}:"]
        width = max((len(k) for k, _ in self.details), default=0) + 1
        for key, value in self.details:
            label = f"{key}:".ljust(width + 1)
            pad = " " * (4 + len(label))
            body = value.replace("\n", "\n" + pad)
            lines.append(f"    {label}{body}")
        if self.code is not None:
            lines.append("")
            lines.append(self.code.rstrip())
        return "\n".join(lines)

    @property
    def html(self) -> str:
        """The HTML form: a coloured title, the message, details and code in ``<pre>``."""
        colour = _COLOURS[self.status]
        parts = [
            f'<div class="course-feedback course-feedback-{self.status}">',
            f'<span style="color:{colour};font-weight:bold">{html.escape(self.title)}</span>',
        ]
        if self.message:
            parts.append(f": {html.escape(self.message)}")
        if self.details:
            width = max(len(k) for k, _ in self.details) + 1
            rows = []
            for key, value in self.details:
                label = f"{key}:".ljust(width + 1)
                rows.append(label + value.replace("\n", "\n" + " " * len(label)))
            parts.append('<pre style="margin:0.3em 0 0 1.5em">'
                         + html.escape("\n".join(rows)) + "</pre>")
        if self.code is not None:
            parts.append('<pre style="margin:0.3em 0 0 0"><code>'
                         + html.escape(self.code.rstrip()) + "</code></pre>")
        parts.append("</div>")
        return "".join(parts)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Feedback({self.status!r}, {self.message!r})"

    def _ipython_display_(self) -> None:
        # check() has already shown this feedback in the running cell; when the cell ends with
        # the call, IPython would show it a second time. Show it again only in a later cell.
        shell = _shell()
        if shell is not None and self._shown_at == shell.execution_count:
            return
        show(self)


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


RESULT_KEY = "course_exercise"
"""Key of the output metadata a check leaves in the notebook: ``{"name": ..., "status": ...}``.

A checked answer's output carries the exercise's name and the status in its metadata (not in
its text), so a notebook run by ``tools/grade.py`` says who solved what without the display text
being parsed.
"""


def show(feedback: Feedback, *, exercise: str | None = None) -> Feedback:
    """Display ``feedback``: HTML and plain text in a Jupyter kernel, plain text elsewhere.

    ``exercise``: the name of the exercise checked, recorded in the output's metadata under
    :data:`RESULT_KEY` (with the status) when given.
    """
    if not isinstance(feedback, Feedback):
        raise TypeError(f"`feedback` must be a Feedback; got {type(feedback).__name__}.")
    shell = _shell()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        metadata = ({RESULT_KEY: {"name": exercise, "status": feedback.status}}
                    if exercise is not None else None)
        display({"text/plain": feedback.text, "text/html": feedback.html}, raw=True,
                metadata=metadata)
    else:
        print(feedback.text)
    feedback._shown_at = shell.execution_count if shell is not None else None
    return feedback


# --------------------------------------------------------------------------- formatting


def format_value(value: Any) -> str:
    r"""Write a short, deterministic text for an input or output shown in a message.

    >>> format_value(np.array([[1.0, -2.5], [0.0, 3.0]]))
    '[[ 1. , -2.5],\n [ 0. ,  3. ]]'
    >>> format_value(0.1 + 0.2)
    '0.3'
    >>> format_value(np.zeros((20, 3)))
    'array of shape (20, 3), values from 0 to 0'
    """
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf" and (value.size > 49 or value.ndim > 2):
            return (f"array of shape {value.shape}, values from "
                    f"{_number(value.min())} to {_number(value.max())}")
        if value.dtype.kind in "biuf":
            return np.array2string(value, precision=4, suppress_small=True, separator=", ",
                                   max_line_width=90)
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (Real, np.number)):
        return _number(value)
    if isinstance(value, tuple):
        parts = [format_value(v) for v in value]
        if any("\n" in p for p in parts):
            return "(" + ",\n ".join(p.replace("\n", "\n ") for p in parts) + ")"
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _number(x) -> str:
    if isinstance(x, (Integral, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return f"{int(x):,}" if abs(int(x)) >= 10_000 else str(int(x))
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x)) if abs(x) < 10_000 else f"{int(x):,}"
    return f"{x:.6g}"


def describe_type(value: Any) -> str:
    """Describe what a value is, for "expected ..., got ..." messages.

    >>> describe_type(np.zeros((2, 3)))
    'an array of shape (2, 3)'
    >>> describe_type(np.zeros((2, 3), dtype=complex))
    'an array of shape (2, 3) and dtype complex128 (not real numbers)'
    >>> describe_type("18")
    "the str '18'"
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return f"an array of shape {value.shape} and dtype {value.dtype} (not real numbers)"
        return f"an array of shape {value.shape}"
    if value is None:
        return "None"
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"the {type(value).__name__} {text}"
