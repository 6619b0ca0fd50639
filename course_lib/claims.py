"""Claims a notebook makes about results that vary from one computer to another, checked in code.

Training a network, or any float computation whose order of additions depends on the CPU's
kernels (AVX-512, AVX2, plain), gives numbers that differ in their last digits from one machine
to the next: a test accuracy of 98.4% here may be 97.8% on a student's laptop. Such a number is
never quoted exactly. Instead a notebook states the *claim* it makes, one that holds on every
computer ("test accuracy at least 97%"), and checks it here:

>>> claim("test accuracy after 6 epochs", 0.984, ">=", 0.97, fmt=".1%")
✓ test accuracy after 6 epochs ≥ 97.0% (measured: 98.4%)

The measured value is printed for the reader, in brackets after ``measured:``; the course's
notebook tests mask that part (``tests/nbval_sanitize.cfg``) and compare the rest, so what they
compare is the claim and its tick. A claim that fails stops the notebook with a clear message:

>>> claim("test accuracy after 6 epochs", 0.62, ">=", 0.97, fmt=".1%")
Traceback (most recent call last):
...
course_lib.claims.ClaimFailed: ✗ test accuracy after 6 epochs ≥ 97.0% does not hold: measured 62.0%.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from numbers import Real
from typing import SupportsFloat

__all__ = ["ClaimFailed", "claim", "claim_close"]

_OPERATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    ">=": ("≥", operator.ge),
    ">": (">", operator.gt),
    "<=": ("≤", operator.le),
    "<": ("<", operator.lt),
}


class ClaimFailed(AssertionError):
    """A claim the course makes did not hold on this computer (see :func:`claim`)."""


def _as_real(value: object, name: str) -> float:
    if hasattr(value, "item") and not isinstance(value, Real):
        try:
            value = value.item()  # a numpy scalar or array, or a tensor, holding one number
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"`{name}` must be a single number; got {value!r}.") from exc
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"`{name}` must be a real number; got {value!r} ({type(value).__name__}).")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"`{name}` must be a number; got NaN.")
    return value


def _report(statement: str, holds: bool, measured: str) -> None:
    if not holds:
        raise ClaimFailed(f"✗ {statement} does not hold: measured {measured}.")
    print(f"✓ {statement} (measured: {measured})")


def claim(description: str, value: SupportsFloat, op: str, bound: SupportsFloat, *,
          fmt: str = ".4g") -> None:
    """Check that ``value op bound`` holds, print ``✓ description op bound (measured: value)``.

    Parameters
    ----------
    description : str
        What is measured, in words ("test accuracy after 6 epochs").
    value : float
        The measured value.
    op : {">=", ">", "<=", "<"}
        The comparison the claim makes.
    bound : float
        The bound, chosen so that the claim holds on every computer.
    fmt : str, optional
        Format specification for ``value`` and ``bound`` (``".1%"``, ``".2f"``, ...).

    Raises
    ------
    ClaimFailed
        If the claim does not hold, naming the claim and the measured value.

    Examples
    --------
    >>> claim("loss after training", 0.08, "<", 0.5, fmt=".2f")
    ✓ loss after training < 0.50 (measured: 0.08)
    """
    if op not in _OPERATORS:
        raise ValueError(f"`op` must be one of {sorted(_OPERATORS)}; got {op!r}.")
    value = _as_real(value, "value")
    bound = _as_real(bound, "bound")
    symbol, compare = _OPERATORS[op]
    _report(f"{description} {symbol} {bound:{fmt}}", compare(value, bound), f"{value:{fmt}}")


def claim_close(description: str, value: SupportsFloat, target: SupportsFloat, *,
                tol: SupportsFloat, fmt: str = ".4g") -> None:
    """Check that ``|value - target| <= tol``, print ``✓ description ≈ target ± tol (measured: value)``.

    Examples
    --------
    >>> claim_close("noise standard deviation after the central difference", 0.0349, 0.0354, tol=0.002,
    ...             fmt=".4f")
    ✓ noise standard deviation after the central difference ≈ 0.0354 ± 0.0020 (measured: 0.0349)
    """
    value = _as_real(value, "value")
    target = _as_real(target, "target")
    tol = _as_real(tol, "tol")
    if tol < 0:
        raise ValueError(f"`tol` must be zero or positive; got {tol}.")
    statement = f"{description} ≈ {target:{fmt}} ± {tol:{fmt}}"
    _report(statement, abs(value - target) <= tol, f"{value:{fmt}}")
