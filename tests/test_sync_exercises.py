"""One copy of each exercise: the notebooks' exercise cells are written from the library."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import sync_exercises  # noqa: E402  (tools/ is not a package)

from course_lib.exercises import ch1  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_shows_the_library_s_statements_and_starters():
    """`make sync` has been run: each statement and starter cell is the library's, and every
    exercise of the library appears in its chapter's notebook."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_exercises.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def chapter_1():
    return nbformat.read(NOTEBOOKS[0], as_version=4)


def cell_of(nb, name):
    index = next(i for i, c in enumerate(nb.cells) if f"**Exercise `{name}`.**" in c.source)
    return nb.cells[index], nb.cells[index + 1]


def test_a_changed_statement_or_starter_is_rewritten_from_the_library():
    nb = chapter_1()
    statement, starter = cell_of(nb, "ch1.conv2d")
    statement.source = statement.source.replace("valid", "VALID")
    starter.source = "def my_conv2d(image, kernel):\n    return image\n"
    problems = sync_exercises.sync_notebook(nb, 1)
    assert problems == ["ch1.conv2d: the statement differs from the library's",
                        "ch1.conv2d: the starter differs from the library's"]
    assert statement.source == sync_exercises.statement_cell(ch1.conv2d)
    assert ch1.conv2d.statement in statement.source
    assert starter.source == ch1.conv2d.starter
    assert sync_exercises.sync_notebook(nb, 1) == []  # written: nothing left to do


@pytest.mark.parametrize("change", ["unknown", "missing", "untagged starter"])
def test_a_notebook_out_of_step_with_the_library_is_reported(change):
    nb = chapter_1()
    statement, starter = cell_of(nb, "ch1.max_pool")
    if change == "unknown":
        statement.source = statement.source.replace("ch1.max_pool", "ch1.min_pool")
        expected = ["no exercise of course_lib.exercises.ch1 is named ch1.min_pool",
                    "ch1.max_pool is in the library but in no cell"]
    elif change == "missing":
        statement.metadata["tags"] = []
        expected = ["ch1.max_pool is in the library but in no cell"]
    else:
        starter.metadata["tags"] = []
        expected = ["statement is not followed by a cell tagged 'exercise'"]
    problems = sync_exercises.sync_notebook(nb, 1)
    assert len(problems) == len(expected)
    for problem, words in zip(problems, expected, strict=True):
        assert words in problem
