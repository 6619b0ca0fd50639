"""Write (or check) every exercise's statement and starter cells from the one copy in the library.

An exercise is written once, in ``course_lib/exercises/chN.py``: its ``statement`` and its
``starter`` code. A chapter notebook shows it in two cells:

- a markdown cell tagged ``exercise-statement``: ``**Exercise `chN.name`.**``, the statement, and
  where to answer and ask for help (:func:`statement_cell`);
- the next cell, a code cell tagged ``exercise``: the starter, exactly.

This tool rewrites both from the library; the name in the statement cell's first words says
which exercise it is. Every exercise of ``course_lib.exercises.chN`` must appear in notebook N
once. ``make sync`` runs it; ``tests/test_packaging.py`` runs ``--check``.

    python tools/sync_exercises.py          # rewrite the cells in place
    python tools/sync_exercises.py --check  # exit 1 if a cell differs from the library
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
STATEMENT_TAG, EXERCISE_TAG = "exercise-statement", "exercise"
NAME = re.compile(r"\*\*Exercise `(ch(\d+)\.\w+)`\.\*\*")


def statement_cell(exercise) -> str:
    """Write the markdown of an exercise's statement cell."""
    name = exercise.name
    return (f"**Exercise `{name}`.** {exercise.statement}\n\n"
            f"Write your answer in the next cell and run it. Stuck? `{name}.hint()` gives a hint "
            f"(call it again for the next one); `{name}.solution()` shows a solution.")


def chapter_exercises(chapter: int) -> dict:
    """Return the exercises of ``course_lib.exercises.chN`` by their full name (``chN.name``)."""
    from course_lib.exercises import Exercise

    module = importlib.import_module(f"course_lib.exercises.ch{chapter}")
    return {value.name: value for value in vars(module).values() if isinstance(value, Exercise)}


def sync_notebook(nb: nbformat.NotebookNode, chapter: int) -> list[str]:
    """Rewrite the exercise cells of ``nb`` (chapter ``chapter``); return what was wrong or changed."""
    exercises = chapter_exercises(chapter)
    problems, seen = [], []
    for index, cell in enumerate(nb.cells):
        if STATEMENT_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        found = NAME.search(cell.source)
        name = found.group(1) if found else None
        if name not in exercises:
            problems.append(f"cell {index}: no exercise of course_lib.exercises.ch{chapter} is "
                            f"named {name or 'there'}")
            continue
        seen.append(name)
        exercise = exercises[name]
        following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
        if following is None or EXERCISE_TAG not in following.get("metadata", {}).get("tags", []):
            problems.append(f"cell {index + 1}: {name}'s statement is not followed by a cell "
                            f"tagged {EXERCISE_TAG!r}")
            continue
        for target, text, what in ((cell, statement_cell(exercise), "statement"),
                                   (following, exercise.starter, "starter")):
            if target.source != text:
                problems.append(f"{name}: the {what} differs from the library's")
                target.source = text
    for name in sorted(set(exercises) - set(seen)):
        problems.append(f"{name} is in the library but in no cell tagged {STATEMENT_TAG!r}")
    for name in sorted({name for name in seen if seen.count(name) > 1}):
        problems.append(f"{name} has more than one statement cell")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or check) the exercise cells of every chapter notebook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report cells that differ")
    args = parser.parse_args(argv)
    failed = False
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        problems = sync_notebook(nb, int(path.name[:2]))
        if not problems:
            continue
        print(f"{path.name}:\n  " + "\n  ".join(problems))
        if args.check:
            failed = True
        elif any("differs" in p for p in problems):
            nbformat.write(nb, path)
        failed = failed or any("differs" not in p for p in problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
