"""Which exercises a notebook checks, and which expression holds each answer.

The library's exercises are found by their chapter modules (``course_lib.exercises.ch1``,
``ch2``, ... any ``chN`` there), so a new chapter's exercises are graded with no change here.
A cell checks an exercise with ``chN.name.check(answer)``; the grader reads that call from the
cell's code (never from its output) and takes the same ``answer`` out of the kernel after the
cell has run.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from dataclasses import dataclass

from ..exercises import Exercise

_CHAPTER = re.compile(r"ch\d+")
_CHECK_CALL = re.compile(r"\b(ch\d+)\.(\w+)\.check\s*\(\s*([A-Za-z_][\w.]*)?")


def library_exercises() -> dict[str, Exercise]:
    """Every exercise of ``course_lib.exercises``'s chapter modules, by name, chapter by chapter.

    >>> exercises = library_exercises()
    >>> next(iter(exercises)).startswith("ch1."), exercises["ch1.conv2d"].answer_name
    (True, 'my_conv2d')
    """
    from .. import exercises as package

    chapters = sorted((m.name for m in pkgutil.iter_modules(package.__path__)
                       if _CHAPTER.fullmatch(m.name)), key=lambda n: int(n[2:]))
    found: dict[str, Exercise] = {}
    for chapter in chapters:
        module = importlib.import_module(f"{package.__name__}.{chapter}")
        for value in vars(module).values():
            if isinstance(value, Exercise):
                found.setdefault(value.name, value)
    return found


@dataclass(frozen=True)
class CheckCall:
    """One ``chN.name.check(answer)`` in a cell: the exercise and the answer's expression."""

    exercise: str  # "ch1.conv2d"
    answer: str  # the code of the argument, "my_conv2d"


def _python(source: str) -> str:
    """Translate the cell's code to plain Python (IPython's ``%magics`` and ``!commands``)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # a cell IPython cannot read: the plain text will do
        return source


def check_calls(source: str, known: dict[str, Exercise]) -> list[CheckCall]:
    r"""List the library exercises a cell's code checks, with the expression given to each check.

    The last call of an exercise in the cell counts; an exercise checked without an argument the
    grader can read keeps its ``answer_name``.

    >>> known = library_exercises()
    >>> check_calls("def f(i, k):\n    return i\nch1.conv2d.check(f)", known)
    [CheckCall(exercise='ch1.conv2d', answer='f')]
    >>> check_calls("def oops(:\nch1.predict_pixel.check(centre_value)", known)
    [CheckCall(exercise='ch1.predict_pixel', answer='centre_value')]
    """
    code = _python(source)
    found: dict[str, str] = {}
    try:
        tree = ast.parse(code)
    except SyntaxError:  # the cell fails anyway; the text still says what it checks
        for chapter, name, argument in _CHECK_CALL.findall(source):
            exercise = known.get(f"{chapter}.{name}")
            if exercise is not None:
                found.pop(exercise.name, None)
                found[exercise.name] = argument or exercise.answer_name
        return [CheckCall(name, answer) for name, answer in found.items()]
    for call in ast.walk(tree):
        name = _checked(call)
        if name is None or name not in known or not isinstance(call, ast.Call):
            continue
        argument = call.args[0] if len(call.args) == 1 and not call.keywords else None
        text = ast.get_source_segment(code, argument) if argument is not None else None
        found.pop(name, None)
        found[name] = text or known[name].answer_name
    ordered = sorted(found.items(), key=lambda item: _position(tree, item[0]))
    return [CheckCall(name, answer) for name, answer in ordered]


def _checked(node: ast.AST) -> str | None:
    """``"chN.name"`` when ``node`` is a call ``chN.name.check(...)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "check"):
        return None
    target = node.func.value
    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
            and _CHAPTER.fullmatch(target.value.id)):
        return f"{target.value.id}.{target.attr}"
    return None


def _position(tree: ast.AST, name: str) -> tuple[int, int]:
    """Where the last check of ``name`` is in the cell (calls are taken in the cell's order)."""
    where = [(node.lineno, node.col_offset) for node in ast.walk(tree)
             if _checked(node) == name and isinstance(node, ast.Call)]
    return max(where)


_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def definitions(sources: list[str]) -> str:
    r"""Keep the student's definitions in ``sources`` (cells' code): imports, defs, constants.

    What a fresh kernel runs to have the student's function without the rest of the notebook
    (its computations, its output, anything it did to the library): top-level ``import``,
    ``def`` and ``class`` statements, and assignments of literal constants, in order.

    >>> print(definitions(["import numpy as np\nx = np.ones(3)\nRATE = 0.1", "def f(w):\n    return w"]))
    import numpy as np
    RATE = 0.1
    def f(w):
        return w
    """
    kept = []
    for source in sources:
        code = _python(source)
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, _DEFINITIONS) or (isinstance(node, (ast.Assign, ast.AnnAssign))
                                                   and _constant(node.value)):
                segment = ast.get_source_segment(code, node, padded=True)
                if segment:
                    decorators = [ast.get_source_segment(code, d) for d in
                                  getattr(node, "decorator_list", [])]
                    kept += [f"@{d}" for d in decorators if d] + [segment]
    return "\n".join(kept)


def _constant(value: ast.AST | None) -> bool:
    if value is None:
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
