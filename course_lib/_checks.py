"""Input checks shared by the public functions.

Each failure names the parameter, what it got and what it expects, so a student never sees a
broadcasting traceback from deep inside numpy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction
from numbers import Integral, Real

import numpy as np


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def as_float_array(value, name: str, *, ndim: int | Iterable[int] | None = None,
                   allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a finite float64 array, or raise a clear error.

    >>> as_float_array([[1, 2], [3, 4]], "image", ndim=2).dtype
    dtype('float64')
    >>> as_float_array([1, 2], "image", ndim=2)
    Traceback (most recent call last):
    ...
    ValueError: `image` must be a 2-D array; got an array of shape (2,) and dtype int64.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`{name}` must be a numeric array; got {_describe(value)}.")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"`{name}` must be a rectangular numeric array; got {_describe(value)}.") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"`{name}` must hold numbers; got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"`{name}` must hold real numbers; got dtype {arr.dtype}.")
    if ndim is not None:
        allowed = tuple(ndim) if isinstance(ndim, Iterable) else (ndim,)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"`{name}` must be a {want} array; got {_describe(arr)}.")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` must not be empty; got shape {arr.shape}.")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must not contain NaN or infinity.")
    return arr


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``.

    >>> check_choice("same", "mode", ("full", "same", "valid"))
    'same'
    >>> check_choice("sane", "mode", ("full", "same", "valid"))
    Traceback (most recent call last):
    ...
    ValueError: `mode` must be one of 'full', 'same', 'valid'; got 'sane'.
    """
    choices = tuple(choices)
    # isinstance first: an array compared with a string gives an array, not a bool
    if not any(isinstance(value, type(c)) and value == c for c in choices):
        options = ", ".join(repr(c) for c in choices)
        got = repr(value) if isinstance(value, str) else _describe(value)
        raise ValueError(f"`{name}` must be one of {options}; got {got}.")
    return value


def check_bool(value, name: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (NumPy's bools too).

    >>> check_bool(True, "grey")
    True
    >>> check_bool("yes", "grey")
    Traceback (most recent call last):
    ...
    TypeError: `grey` must be True or False; got 'yes' (str).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False; got {_describe(value)}.")
    return bool(value)


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` within bounds (``bool`` is refused).

    >>> check_int(3, "size", minimum=1)
    3
    >>> check_int(0, "size", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: `size` must be at least 1; got 0.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"`{name}` must be an integer; got {_describe(value)}.")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be at most {maximum}; got {value}.")
    return value


def check_int_pair(value, name: str, *, minimum: int = 1) -> tuple[int, int]:
    """Return ``value``, a pair of integers such as a kernel's ``(rows, cols)``, as two ``int``.

    >>> check_int_pair((3, 5), "kernel_shape")
    (3, 5)
    >>> check_int_pair((3, 0), "kernel_shape")
    Traceback (most recent call last):
    ...
    ValueError: `kernel_shape` must be a pair of integers of at least 1; got (3, 0).
    """
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in value)):
        raise ValueError(f"`{name}` must be a pair of integers (rows, cols); got "
                         f"{_describe(value)}.")
    if min(value) < minimum:
        raise ValueError(f"`{name}` must be a pair of integers of at least {minimum}; got "
                         f"{tuple(int(v) for v in value)}.")
    return int(value[0]), int(value[1])


def check_real(value, name: str, *, minimum: float | None = None, positive: bool = False,
               maximum: float | None = None) -> float:
    """Return ``value`` as a finite ``float`` within bounds.

    >>> check_real(1.5, "sigma", positive=True)
    1.5
    >>> check_real(-1, "sigma", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: `sigma` must be positive; got -1.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"`{name}` must be a real number; got {_describe(value)}.")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        raise ValueError(f"`{name}` must be finite; got {type(value).__name__} too large for a "
                         "float.") from None
    if not math.isfinite(number):
        raise ValueError(f"`{name}` must be finite; got {value}.")
    if positive and number <= 0:
        raise ValueError(f"`{name}` must be positive; got {value}.")
    if minimum is not None and number < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}; got {value}.")
    if maximum is not None and number > maximum:
        raise ValueError(f"`{name}` must be at most {maximum}; got {value}.")
    return number


MAX_NUMBERS = 2**25
"""The most numbers (float64 values, 256 MiB) that a size parameter may make the library hold in
one array: a ``(5792, 5792)`` image or kernel. Larger requests are refused before allocating."""


def _bytes_text(count: int) -> str:
    size = float(min(count, 2**120))
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    return f"{size:.3g} PiB"  # pragma: no cover


def count_text(number: int, *, commas: bool = True) -> str:
    """Format a count for a message: ``1,234,567``, or ``1e+300`` when it is astronomically large.

    >>> count_text(1234567), count_text(1234567, commas=False), count_text(10**300)
    ('1,234,567', '1234567', '1e+300')
    """
    number = int(number)
    if abs(number) >= 10**15:
        try:
            return f"{float(number):.3g}"
        except OverflowError:  # beyond a float
            return "over 1e+308"
    return f"{number:,}" if commas else str(number)


def check_size(numbers: int, name: str, value, *, limit: int = MAX_NUMBERS,
               what: str = "an array", itemsize: int = 8, unit: str = "numbers") -> None:
    """Refuse, before allocating, a request that needs more than ``limit`` float64 numbers.

    ``numbers`` is a Python int (no overflow); the message names the parameter, its value
    (or, when ``value`` is a str, that description of it), the size it would need and the limit
    (in bytes too, at ``itemsize`` bytes a number).

    >>> check_size(10**12, "shape", (10**6, 10**6))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `shape` = (1000000, 1000000) would need an array of 1,000,000,000,000 numbers ...
    >>> try:
    ...     check_size(10**12, "shape", (10**6, 10**6))
    ... except ValueError as error:
    ...     print(str(error).split("numbers ", 1)[1])
    (7.28 TiB); the limit is 33,554,432 numbers (256 MiB).
    """
    numbers = int(numbers)
    if numbers > limit:
        text = repr(value)
        if len(text) > 60:
            text = text[:57] + "..."
        text = value if isinstance(value, str) else f"= {text}"  # a str is a description
        raise ValueError(f"`{name}` {text} would need {what} of {count_text(numbers)} {unit} "
                         f"({_bytes_text(itemsize * numbers)}); the limit is {limit:,} {unit} "
                         f"({_bytes_text(itemsize * limit)}).")


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"


def read_number(text, *, thousands: bool = False) -> float:
    """Read a number as a reader types it: ``"0.25"``, ``"-2"``, ``"1e-3"`` or a fraction ``"1/9"``.

    A fraction is computed exactly, then rounded once. With ``thousands=True`` spaces, commas and
    underscores between digits are thousands separators (``"73,856"``); otherwise a comma is
    refused, since ``"1,5"`` may mean 1.5. Raises ``ValueError`` for anything else, and for a
    number too large for a float.

    >>> read_number("1/9") == 1 / 9, read_number(" -2 "), read_number("73,856", thousands=True)
    (True, -2.0, 73856.0)
    >>> read_number("1,5")
    Traceback (most recent call last):
    ...
    ValueError: '1,5' is not a number (write e.g. 0.25, -1 or 1/9).
    """
    raw = str(text).strip()
    shown = repr(raw if len(raw) <= 24 else raw[:14] + "..." + raw[-6:])
    cleaned = re.sub(r"[\s,_]", "", raw) if thousands else raw
    match = re.fullmatch(f"({_NUMBER})(?:/({_NUMBER}))?", cleaned, flags=re.IGNORECASE)
    if match is None:
        raise ValueError(f"{shown} is not a number (write e.g. 0.25, -1 or 1/9).")
    numerator, denominator = match.groups()
    try:
        value = Fraction(numerator) / Fraction(denominator) if denominator else Fraction(numerator)
        return float(value)
    except ZeroDivisionError:
        raise ValueError(f"{shown} divides by zero.") from None
    except OverflowError:
        raise ValueError(f"{shown} is not a finite number (at most about 1.8e308).") from None
