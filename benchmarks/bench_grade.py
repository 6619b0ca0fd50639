"""The grader on a class: N copies of chapter 1's student notebook, graded as `make grade` grades.

    python benchmarks/bench_grade.py                    # 30 copies, --jobs 2, the best sandbox here
    python benchmarks/bench_grade.py --copies 6 --jobs 1 --sandbox none

The class is the student copy of ``notebooks/01_image_filters.ipynb`` (``tools/student_copy.py``)
handed in three ways, a third each: every exercise solved (each exercise's own solution in place
of the starter), untouched, and half solved. ``tools/grade.py`` grades the folder in a
subprocess (sandboxes, fresh grading cases, the gradebook); the benchmark prints the wall time,
the time per notebook, the sandbox the grader used, the CPU and the load average before and
after, and checks that the gradebook says what each copy holds.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from machine import cpu_name  # noqa: E402  benchmarks/machine.py, beside this script
from student_copy import student_notebook  # noqa: E402

from course_lib.grading.answers import check_calls, library_exercises  # noqa: E402

CHAPTER = ROOT / "notebooks" / "01_image_filters.ipynb"


def hand_ins(folder: Path, copies: int) -> dict[str, str]:
    """Write ``copies`` hand-ins of chapter 1 into ``folder``; return name -> what it holds."""
    exercises = library_exercises()
    student, _ = student_notebook(nbformat.read(CHAPTER, as_version=4))
    kinds = {}
    for number in range(copies):
        kind = ("solved", "untouched", "half solved")[number % 3]
        nb = nbformat.from_dict(student)
        solved_so_far = 0
        for cell in nb.cells:
            calls = check_calls(cell.source, exercises) if cell.cell_type == "code" else []
            if "exercise" not in cell.metadata.get("tags", []) or not calls:
                continue
            if kind == "solved" or (kind == "half solved" and solved_so_far % 2 == 0):
                check_line = cell.source.strip().splitlines()[-1]
                cell.source = exercises[calls[0].exercise].solution_code + "\n" + check_line
            solved_so_far += 1
        name = f"student{number:02d}"
        nbformat.write(nb, folder / f"{name}.ipynb")
        kinds[name] = kind
    return kinds


def main() -> int:
    """Grade a class of chapter 1 copies and print how long it took."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--copies", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sandbox", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        folder = Path(tmp)
        kinds = hand_ins(folder, args.copies)
        load_before = os.getloadavg()
        start = time.monotonic()
        result = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), str(folder),
                                 "--jobs", str(args.jobs), "--sandbox", args.sandbox],
                                capture_output=True, text=True, check=False)
        seconds = time.monotonic() - start
        load_after = os.getloadavg()
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:])
            return 1
        with (folder / "gradebook.csv").open(newline="") as handle:
            rows = {row["submission"]: row for row in csv.DictReader(handle)}
        sandbox_lines = [line for line in result.stdout.splitlines() if line.startswith("sandbox")]
    wrong = []
    for name, kind in kinds.items():
        statuses = [v for k, v in rows[name].items() if k not in ("submission", "note")]
        expected = {"solved": {"correct"}, "untouched": {"not attempted"},
                    "half solved": {"correct", "not attempted"}}[kind]
        if set(statuses) != expected:
            wrong.append(f"{name} ({kind}): {sorted(set(statuses))} {rows[name]['note'][:200]}")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}")
    print(f"load average (1, 5, 15 min) before: {', '.join(f'{x:.1f}' for x in load_before)}; "
          f"after: {', '.join(f'{x:.1f}' for x in load_after)}")
    print(*sandbox_lines[:1], sep="\n")
    print(f"{args.copies} copies of chapter 1, --jobs {args.jobs}: {seconds:.0f} s in all, "
          f"{seconds / args.copies:.1f} s per notebook, "
          f"{seconds * args.jobs / args.copies:.1f} s of one job per notebook")
    if wrong:
        print("gradebook rows not as expected:", *wrong, sep="\n  ")
        return 1
    print("every row as expected (solved: all correct; untouched: all not attempted; half: both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
