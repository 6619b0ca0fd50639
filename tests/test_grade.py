"""The gradebook (tools/grade.py) on a folder of hand-ins built from chapter 1's exercise cells.

The hand-ins are small notebooks made of the committed chapter 1's ``exercise`` cells (so they
follow the notebook): untouched, solved (each exercise's own solution code in place of the
starter), one whose first exercise loops forever, one with a wrong answer, a syntax error and a
name error, one solved only if the network is blocked, one that ignores interrupts (only the
notebook time limit stops it), a broken file, an empty notebook and a text file. The grader runs
as a command, as ``make grade`` runs it.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER1 = ROOT / "notebooks" / "01_image_filters.ipynb"
sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402

CELL_TIMEOUT_S = 20  # catches the endless loop; generous for a busy 2-core machine


def exercise_cells() -> list[str]:
    """Sources of chapter 1's exercise cells, in notebook order."""
    nb = nbformat.read(CHAPTER1, as_version=4)
    return [c.source for c in nb.cells if "exercise" in c.metadata.get("tags", [])]


def exercise_name(source: str) -> str:
    return grade.checked_in(source, set(grade.library_exercises()))[0]


def solved(source: str) -> str:
    """The cell with the exercise's own solution in place of the starter (the check kept)."""
    from course_lib.exercises import ch1

    name = exercise_name(source)
    exercise = getattr(ch1, name.split(".", 1)[1])
    check_line = source.strip().splitlines()[-1]
    return exercise.solution_code + "\n" + check_line


def hand_in(folder: Path, name: str, sources: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s)
                for s in ["from course_lib.exercises import ch1", *sources]]
    nbformat.write(nb, folder / name)


def run_grader(folder: Path, *args: str, timeout: float = 600) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), str(folder), *args],
                            capture_output=True, text=True, timeout=timeout, check=False)
    return result, time.monotonic() - start


def read_gradebook(folder: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    with (folder / "gradebook.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return list(rows[0]), {row["submission"]: row for row in rows}


def processes_touching(path: Path) -> list[str]:
    """Live processes whose command line or working folder mentions ``path``."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd", "status"]):
        info = process.info
        if info["status"] == psutil.STATUS_ZOMBIE:
            continue
        text = " ".join(info["cmdline"] or []) + " " + (info["cwd"] or "")
        if str(path) in text:
            found.append(f"{info['pid']}: {text[:200]}")
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand-ins")
    cells = exercise_cells()
    assert len(cells) >= 3, "chapter 1 should have several exercise cells"
    hand_in(folder, "untouched.ipynb", cells)
    hand_in(folder, "solved.ipynb", [solved(s) for s in cells])
    hand_in(folder, "loops.ipynb", ["while True:\n    pass\n" + cells[0], *map(solved, cells[1:])])
    mistakes = [cells[0].replace("...", "-18", 1),  # a known wrong answer: the forgotten flip
                "def oops(:\n" + cells[1],  # a syntax error
                "undefined_name\n" + cells[2]]  # a NameError before the check
    hand_in(folder, "mistakes.ipynb", mistakes + cells[3:])
    # Solved only if the grader blocked the network (the course's offline guard says so).
    hand_in(folder, "offline.ipynb", [
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=2)\n"
        "    blocked = False\nexcept OSError as exc:\n    blocked = 'blocked' in str(exc)\n"
        + cells[0].replace("...", "18 if blocked else 0", 1)])
    (folder / "broken.ipynb").write_text('{"cells": [')
    nbformat.write(nbformat.v4.new_notebook(), folder / "empty.ipynb")
    (folder / "essay.txt").write_text("I did it all on paper.")
    result, seconds = run_grader(folder, "--cell-timeout", str(CELL_TIMEOUT_S), "--jobs", "2",
                                 "--chart", str(folder / "chart.png"))
    return folder, cells, result, seconds


@pytest.mark.slow
def test_gradebook_has_one_row_per_submission_and_one_column_per_exercise(graded):
    folder, cells, result, _ = graded
    assert result.returncode == 0, result.stderr[-3000:]
    header, rows = read_gradebook(folder)
    names = [exercise_name(s) for s in cells]
    assert header == ["submission", *names, "note"]
    assert sorted(rows) == ["broken", "empty", "essay.txt", "loops", "mistakes", "offline", "solved",
                            "untouched"]
    for row in rows.values():
        assert {row[n] for n in names} <= set(grade.STATUSES), row


@pytest.mark.slow
def test_gradebook_statuses(graded):
    folder, cells, _, _ = graded
    _, rows = read_gradebook(folder)
    names = [exercise_name(s) for s in cells]
    first, second, third, rest = names[0], names[1], names[2], names[3:]

    def statuses(submission):
        return [rows[submission][n] for n in names]

    assert statuses("solved") == ["correct"] * len(names)
    assert statuses("untouched") == ["not attempted"] * len(names)
    assert statuses("loops") == ["timeout"] + ["correct"] * (len(names) - 1)
    assert "cell time limit" in rows["loops"]["note"]
    assert rows["mistakes"][first] == "incorrect"
    assert rows["mistakes"][second] == "error"
    assert rows["mistakes"][third] == "error"
    assert [rows["mistakes"][n] for n in rest] == ["not attempted"] * len(rest)
    assert statuses("broken") == ["error"] * len(names)
    assert rows["broken"]["note"].startswith("not a valid notebook")
    assert statuses("essay.txt") == ["error"] * len(names)
    assert rows["essay.txt"]["note"] == "not a notebook (.txt)"
    assert statuses("empty") == ["not attempted"] * len(names)
    assert statuses("offline") == ["correct"] + ["not attempted"] * (len(names) - 1)
    assert rows["empty"]["note"] == "no code in the notebook"


@pytest.mark.slow
def test_summary_and_chart(graded):
    folder, cells, result, _ = graded
    first = exercise_name(cells[0])
    # solved and offline solve the first exercise; loops times out on it.
    line = next(line for line in result.stdout.splitlines() if line.startswith(first + " "))
    assert line.split()[1] == "2/8", line
    assert (folder / "chart.png").stat().st_size > 1000
    assert "note: essay.txt: not a notebook (.txt)" in result.stdout


@pytest.mark.slow
def test_grading_is_bounded_and_leaves_no_process(graded):
    folder, _, _, seconds = graded
    # Eight hand-ins, two at a time; the loop costs one cell limit. Only a hang fails this.
    assert seconds < 900, seconds
    assert not processes_touching(folder)


@pytest.mark.slow
def test_a_notebook_that_ignores_interrupts_is_stopped_at_the_notebook_limit(tmp_path):
    cells = exercise_cells()
    stubborn = ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "while True:\n    pass\n" + cells[0])
    hand_in(tmp_path, "stubborn.ipynb", [stubborn, *map(solved, cells[1:]), *map(solved, cells[1:])])
    result, seconds = run_grader(tmp_path, "--cell-timeout", "3", "--notebook-timeout", "12")
    assert result.returncode == 0, result.stderr[-3000:]
    _, rows = read_gradebook(tmp_path)
    assert [rows["stubborn"][exercise_name(s)] for s in cells] == ["timeout"] * len(cells)
    assert rows["stubborn"]["note"] == "stopped at the notebook time limit (12 s)"
    assert seconds < 12 + 60, seconds
    assert not processes_touching(tmp_path)


def test_bad_arguments_are_refused_with_their_name(tmp_path):
    with pytest.raises(ValueError, match="`cell_s` must be a positive number of seconds; got 0"):
        grade.Limits(cell_s=0)
    with pytest.raises(NotADirectoryError, match="`folder` must be a folder of submissions"):
        grade.submissions(tmp_path / "missing")
    with pytest.raises(ValueError, match="`jobs` must be a whole number >= 1; got 0"):
        grade.grade_folder(tmp_path, jobs=0)
    result, _ = run_grader(tmp_path, "--cell-timeout", "-1")
    assert result.returncode == 2
    assert "must be a positive number of seconds" in result.stderr


def test_make_grade_runs_this_grader():
    recipe = subprocess.run(["make", "--no-print-directory", "-n", "-o", f"{sys.prefix}/.installed",
                             "grade", "SUBMISSIONS=hand-ins", f"VENV={sys.prefix}"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert 'tools/grade.py "hand-ins"' in recipe, recipe
