"""Plain data between a student's kernel and the grader: JSON and NumPy arrays, nothing pickled.

The grader never unpickles what a kernel wrote, never evaluates it, never follows a link the
kernel made, and never reads more than a fixed number of bytes. An answer is written as a
folder holding ``data.json`` (the structure) and one ``<n>.npy`` file per array, loaded with
``allow_pickle=False`` after its header was checked against the file's size.

What travels: ``None``, ``bool``, ``int``, ``float`` (NaN and infinities included), ``complex``,
``str``, ``...`` (the placeholder), lists, tuples and dicts of these, NumPy arrays and scalars
of numbers or booleans, and PyTorch tensors (as arrays, made tensors again on reading when
PyTorch is there). Anything else arrives as an :class:`Opaque` stand-in that names its type,
so a checker can say "expected a number, got the Foo ..." but nothing of it runs.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     write(folder, {"lr": 0.01, "kernel": np.eye(2), "pair": (1, ...)})
...     back = read(folder)
>>> back["lr"], back["pair"], back["kernel"].dtype
(0.01, (1, Ellipsis), dtype('float64'))
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MAX_BYTES = 16 << 20
"""Default cap on one answer folder, all its files together (16 MiB)."""

MAX_NODES = 100_000
"""Most values (numbers, strings, containers) one answer may hold, arrays counted once each."""

MAX_DEPTH = 32
"""Deepest nesting of containers in one answer."""

MAX_TEXT = 10_000
"""Longest string kept (longer ones are cut); also the longest ``int`` in digits."""

PathLike = str | os.PathLike[str]  # not course_lib._types: it imports torch (seconds, in a kernel)
_STRUCTURE = "data.json"
_ARRAY_KINDS = "biufc"  # booleans, integers, floats, complex numbers


class PlainDataError(ValueError):
    """An answer folder that is missing, too large or not plain data of this format."""


class Opaque:
    """Stands for a value that is not plain data: its type's name and a short text, nothing more.

    >>> Opaque("Foo", "<Foo object>")
    <Foo object>
    """

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return self.text


class OpaqueFunction(Opaque):
    """Stands for a function that stayed in the kernel: its name, and it cannot be called here."""

    def __init__(self, type_name: str, text: str, name: str):
        super().__init__(type_name, text)
        self.__name__ = name


# --------------------------------------------------------------------------- writing (kernel side)


def write(folder: PathLike, value: Any, *, max_bytes: int = MAX_BYTES) -> None:
    """Write ``value`` into ``folder`` (created, must not exist yet or be empty) as plain data.

    Raises :class:`PlainDataError` when it would take more than ``max_bytes``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays: list[np.ndarray] = []
    budget = [max_bytes]
    tree = _encode(value, arrays, budget, depth=0, count=[0])
    text = json.dumps(tree, allow_nan=False)
    budget[0] -= len(text)
    if budget[0] < 0:
        raise PlainDataError(f"the answer takes more than {max_bytes:,} bytes")
    for index, array in enumerate(arrays):
        np.save(folder / f"{index}.npy", array, allow_pickle=False)
    (folder / _STRUCTURE).write_text(text)


def _encode(value: Any, arrays: list, budget: list, *, depth: int, count: list) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise PlainDataError(f"the answer holds more than {MAX_NODES:,} values")
    if depth > MAX_DEPTH:
        raise PlainDataError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return value
    if value is ...:
        return {"ellipsis": True}
    if isinstance(value, int):
        if value.bit_length() > 3 * MAX_TEXT:
            raise PlainDataError(f"an int of {value.bit_length():,} bits is too large")
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, complex):
        return {"complex": [repr(value.real), repr(value.imag)]}
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, (list, tuple)):
        key = "tuple" if isinstance(value, tuple) else "list"
        return {key: [_encode(v, arrays, budget, depth=depth + 1, count=count) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, arrays, budget, depth=depth + 1, count=count),
                          _encode(v, arrays, budget, depth=depth + 1, count=count)]
                         for k, v in value.items()]}
    kind = "array"
    if _is_tensor(value):
        value, kind = value.detach().cpu().numpy(), "tensor"
    elif isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        value, kind = np.asarray(value), "scalar"
    if isinstance(value, np.ndarray) and value.dtype.kind in _ARRAY_KINDS:
        budget[0] -= value.nbytes + 128
        if budget[0] < 0:
            raise PlainDataError("the answer's arrays take more than the size limit")
        arrays.append(np.array(value, order="C"))  # (ascontiguousarray makes 0-d arrays 1-d)
        return {kind: len(arrays) - 1}
    name = type(value).__name__
    text = _short_repr(value)
    if callable(value):
        return {"function": name, "text": text, "name": str(getattr(value, "__name__", name))[:200]}
    return {"object": name, "text": text}


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach")


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a student's class whose repr fails
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 200 else text[:197] + "..."


# --------------------------------------------------------------------------- reading (grader side)


def read(folder: PathLike, *, max_bytes: int = MAX_BYTES) -> Any:
    """Read the value a kernel wrote into ``folder``, within ``max_bytes``.

    Links are never followed, only ``data.json`` and ``<n>.npy`` files are read, every array's
    header is checked against its file before NumPy loads it (``allow_pickle=False``).

    Raises
    ------
    PlainDataError
        The folder is missing, too large, holds something else, or is not of this format.
    """
    try:
        directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise PlainDataError(f"no answer was written ({type(exc).__name__})") from exc
    try:
        budget = [max_bytes]
        structure = _read_file(directory, _STRUCTURE, budget)
        try:
            tree = json.loads(structure.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise PlainDataError("the answer's structure is not valid JSON") from exc
        names = set(os.listdir(directory))
        return _decode(tree, lambda index: _read_array(directory, index, names, budget),
                       depth=0, count=[0])
    finally:
        os.close(directory)


def _open_regular(directory: int, name: str) -> tuple[int, int]:
    try:
        handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=directory)
    except OSError as exc:
        raise PlainDataError(f"{name} cannot be opened ({type(exc).__name__})") from exc
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        raise PlainDataError(f"{name} is not a plain file")
    return handle, info.st_size


def _read_file(directory: int, name: str, budget: list) -> bytes:
    handle, size = _open_regular(directory, name)
    try:
        budget[0] -= size
        if budget[0] < 0:
            raise PlainDataError("the answer is larger than the size limit")
        with os.fdopen(os.dup(handle), "rb") as stream:
            data = stream.read(size + 1)
    finally:
        os.close(handle)
    if len(data) != size:
        raise PlainDataError(f"{name} changed while it was read")
    return data


def _read_array(directory: int, index: Any, names: set, budget: list) -> np.ndarray:
    if not isinstance(index, int) or isinstance(index, bool) or f"{index}.npy" not in names:
        raise PlainDataError(f"the answer refers to a missing array {index!r}")
    name = f"{index}.npy"
    handle, size = _open_regular(directory, name)
    try:
        budget[0] -= size
        if budget[0] < 0:
            raise PlainDataError("the answer is larger than the size limit")
        with os.fdopen(os.dup(handle), "rb") as stream:
            try:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
            except (ValueError, OSError, SyntaxError) as exc:
                raise PlainDataError(f"{name} is not a NumPy array file") from exc
            if dtype.kind not in _ARRAY_KINDS or dtype.hasobject or dtype.fields is not None:
                raise PlainDataError(f"{name} holds {dtype}, not numbers")
            items = math.prod(shape)
            if stream.tell() + items * dtype.itemsize != size:
                raise PlainDataError(f"{name}'s header does not match its size")
            stream.seek(0)
            try:
                array = np.load(stream, allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise PlainDataError(f"{name} cannot be read as an array") from exc
    finally:
        os.close(handle)
    if array.shape != shape or (fortran and array.ndim > 1 and not array.flags.f_contiguous):
        raise PlainDataError(f"{name} changed while it was read")
    return array


def _decode(tree: Any, load: Callable[[Any], np.ndarray], *, depth: int, count: list) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES or depth > MAX_DEPTH:
        raise PlainDataError("the answer is too large or too deeply nested")
    if tree is None or isinstance(tree, bool):
        return tree
    if isinstance(tree, str):
        return tree[:MAX_TEXT]
    if not isinstance(tree, dict) or len(tree) not in (1, 2, 3):
        raise PlainDataError(f"unexpected {type(tree).__name__} in the answer's structure")
    (key, body), *rest = tree.items()
    try:
        return _decode_node(key, body, dict(rest), load, depth=depth, count=count)
    except (TypeError, ValueError, OverflowError, KeyError) as exc:
        if isinstance(exc, PlainDataError):
            raise
        raise PlainDataError(f"a malformed {key!r} in the answer's structure") from exc


def _decode_node(key: str, body: Any, extra: dict, load: Callable, *, depth: int,
                 count: list) -> Any:
    if key == "ellipsis":
        return ...
    if key == "int":
        if not isinstance(body, str) or len(body) > MAX_TEXT:
            raise PlainDataError("a malformed int in the answer")
        return int(body)
    if key == "float":
        return float(_text(body))
    if key == "complex":
        real, imag = body
        return complex(float(_text(real)), float(_text(imag)))
    if key in ("list", "tuple"):
        if not isinstance(body, list):
            raise PlainDataError(f"a malformed {key} in the answer")
        items = [_decode(v, load, depth=depth + 1, count=count) for v in body]
        return tuple(items) if key == "tuple" else items
    if key == "dict":
        if not isinstance(body, list):
            raise PlainDataError("a malformed dict in the answer")
        out = {}
        for pair in body:
            k, v = pair
            out[_decode(k, load, depth=depth + 1, count=count)] = _decode(
                v, load, depth=depth + 1, count=count)
        return out
    if key in ("array", "scalar", "tensor"):
        array = load(body)
        if key == "scalar":
            if array.ndim != 0:
                raise PlainDataError("a scalar in the answer is not 0-dimensional")
            return array[()]
        if key == "tensor":
            return _tensor(array)
        return array
    if key == "function":
        return OpaqueFunction(_text(body), _text(extra.get("text", "")),
                              _text(extra.get("name", "function")))
    if key == "object":
        return Opaque(_text(body), _text(extra.get("text", "")))
    raise PlainDataError(f"unknown kind {key!r} in the answer's structure")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise PlainDataError("a malformed text in the answer")
    return value[:MAX_TEXT]


def _tensor(array: np.ndarray) -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of the course
        return array
    try:
        return torch.from_numpy(array.copy())
    except TypeError:  # a dtype torch has no tensor of: keep the array
        return array

