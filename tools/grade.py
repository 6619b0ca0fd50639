"""Grade handed-in notebooks: each runs in a sandbox, each answer is judged outside it.

    python tools/grade.py SUBMISSIONS/                    # -> SUBMISSIONS/gradebook.csv + a summary
    python tools/grade.py SUBMISSIONS/ --chart chart.png  # the summary as a bar chart too
    make grade SUBMISSIONS=folder                         # the same, from the Makefile

Every file in the folder is a submission (hidden files and the grader's own outputs excepted):
the students' copies of any chapter, as they hand them in. Each notebook runs top to bottom in a
fresh kernel, in a sandbox of its own (:mod:`course_lib.grading.sandbox`: its own folder holding
a copy of the submission, resource limits, its own unprivileged user when the grader is root,
and namespaces where the machine allows them: bubblewrap, else unshare), with

- a time limit per cell (``--cell-timeout``, 120 s): a cell that runs longer is interrupted and
  the notebook goes on with the next cell;
- a time limit per notebook (``--notebook-timeout``, 600 s): what has not run by then is marked
  ``timeout`` and the whole sandbox is stopped.

**Grades are decided outside the student's kernel.** After each cell that checks an exercise
(``ch1.conv2d.check(my_conv2d)``), the grader takes that answer out of the kernel as plain data
(the value; or, for a function, its results on the exercise's cases and on fresh cases drawn
for this run) and judges it in its own process with the library's checker
(:mod:`course_lib.grading.notebook`). What the notebook prints or displays, and what ``check()``
said inside the kernel, decide nothing.

``gradebook.csv`` has one row per submission: ``submission`` (the file name without ``.ipynb``),
one column per exercise, named as in the library (``ch1.conv2d``, ...), and ``note`` (what went
wrong with the file itself, if anything). Each exercise is ``correct``, ``incorrect``,
``not attempted``, ``error`` or ``timeout`` (see :mod:`course_lib.grading.notebook`). The
columns are the exercises that appear in the submissions, in the order the notebooks check
them. ``gradebook.txt`` holds the summary printed at the end, with what the sandbox did and did
not protect on this machine.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course_lib.grading import sandbox
from course_lib.grading.answers import check_calls
from course_lib.grading.answers import library_exercises as _library
from course_lib.grading.notebook import STATUSES, Grade, Limits, NotebookGrader

ROOT = Path(__file__).resolve().parents[1]
GRADEBOOK = "gradebook.csv"
SUMMARY = "gradebook.txt"
OWN_OUTPUTS = {GRADEBOOK, SUMMARY, "gradebook.png"}
_KILL_MARGIN_S = 60  # the worker gets this long beyond the notebook limit before it is killed

__all__ = ["STATUSES", "Grade", "Limits", "checked_in", "grade_folder", "library_exercises",
           "submissions", "summary", "write_gradebook"]


# --------------------------------------------------------------------------- the library


def library_exercises() -> list[str]:
    """Names of every exercise in ``course_lib.exercises`` (``ch1.conv2d``, ...), in order.

    >>> names = library_exercises()
    >>> names[0].startswith("ch1."), "ch1.conv2d" in names
    (True, True)
    """
    return list(_library())


def checked_in(source: str, known: set[str]) -> list[str]:
    """Find the library exercises a cell's code checks (``ch1.conv2d.check(...)``).

    >>> checked_in("ch1.conv2d.check(my_conv2d)", {"ch1.conv2d"})
    ['ch1.conv2d']
    """
    exercises = {name: ex for name, ex in _library().items() if name in known}
    return [call.exercise for call in check_calls(source, exercises)]


# --------------------------------------------------------------------------- the folder


def submissions(folder: Path) -> list[Path]:
    """List the files of ``folder`` that are submissions (not hidden, not the grader's outputs)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"`folder` must be a folder of submissions; got {str(folder)!r}.")
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
                  and p.name not in OWN_OUTPUTS)


def _stop_group(process: subprocess.Popen) -> None:
    """Stop a worker and everything it started (its sandbox dies with it): the process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(path: Path, limit: int = 4000) -> str:
    """Return the last line of a file, reading at most its last ``limit`` bytes."""
    with contextlib.suppress(OSError), path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - limit))
        lines = handle.read().decode(errors="replace").strip().splitlines()
        return lines[-1][:160] if lines else "no message"
    return "no message"


def run_worker(path: Path, *, limits: Limits, isolation: sandbox.Isolation, seed: int,
               workspace: Path, uid: int | None) -> Grade:
    """Grade ``path`` in a worker process of its own, killed if it outlives the notebook limit."""
    name = path.name.removesuffix(".ipynb")
    with tempfile.TemporaryDirectory(prefix="worker-", dir=workspace) as tmp:
        result, log = Path(tmp) / "result.json", Path(tmp) / "worker.log"
        command = [sys.executable, str(Path(__file__).resolve()), str(path), "--worker",
                   "--result", str(result), "--cell-timeout", str(limits.cell_s),
                   "--notebook-timeout", str(limits.notebook_s), "--seed", str(seed),
                   "--sandbox", isolation.method, "--workspace", str(workspace),
                   "--own-user" if isolation.own_user else "--no-own-user"]
        if uid is not None:
            command += ["--uid", str(uid)]
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=stderr, start_new_session=True)
            try:
                process.wait(timeout=limits.notebook_s + _KILL_MARGIN_S)
            except subprocess.TimeoutExpired:
                _stop_group(process)
                return Grade(name, note=f"killed after {limits.notebook_s + _KILL_MARGIN_S:g} s",
                             statuses={n: "timeout" for n in library_exercises()})
            finally:
                _stop_group(process)  # whatever it left behind goes with its group
                if uid is not None:
                    sandbox.kill_user(uid)
        if not result.exists():
            return Grade(name, note=f"grader failed: {_tail(log)}", failed=True)
        data = json.loads(result.read_text())
    return Grade(data["submission"], statuses=data["statuses"], note=data["note"],
                 failed=data["failed"])


def grade_folder(folder: Path, *, limits: Limits | None = None, jobs: int = 1,
                 isolation: sandbox.Isolation | None = None,
                 seed: int | None = None) -> tuple[list[str], list[Grade]]:
    """Grade every submission in ``folder``; return the exercise columns and the rows.

    ``isolation``: what the sandbox may use (default: the strongest this machine allows);
    ``seed``: for the fresh grading cases (default: a new random one).
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"`jobs` must be a whole number >= 1; got {jobs!r}.")
    limits = limits if limits is not None else Limits()
    isolation = isolation if isolation is not None else sandbox.detect()
    seed = seed if seed is not None else secrets.randbits(63)
    known = library_exercises()
    paths = submissions(folder)
    users: queue.Queue = queue.Queue()
    taken: list[int] = []
    for slot in range(jobs):
        taken.append(sandbox.free_uid(slot, taken=taken) if isolation.own_user else -1)
        users.put(taken[-1])

    with tempfile.TemporaryDirectory(prefix="grade-run-") as workspace:
        os.chmod(workspace, 0o711)

        def one(path: Path) -> Grade:
            uid = users.get()
            try:
                return run_worker(path, limits=limits, isolation=isolation, seed=seed,
                                  workspace=Path(workspace), uid=None if uid < 0 else uid)
            finally:
                users.put(uid)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            grades = list(pool.map(one, paths))
    # Columns in the order the notebooks check them (then the library's order for the rest).
    touched = dict.fromkeys(name for grade in grades for name in grade.statuses)
    columns = [name for name in touched if name in known] or known
    for grade in grades:
        fill = "error" if grade.failed else "not attempted"
        grade.statuses = {name: grade.statuses.get(name, fill) for name in columns}
    return columns, grades


def _replace(path: Path, text: str) -> Path:
    """Write ``text`` to a new file and move it to ``path``: a link there is replaced, not followed."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def write_gradebook(path: Path, columns: list[str], grades: list[Grade]) -> Path:
    """Write the rows as CSV: ``submission``, one column per exercise, ``note``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["submission", *columns, "note"])
    for grade in grades:
        writer.writerow([grade.submission, *(grade.statuses[c] for c in columns), grade.note])
    return _replace(path, buffer.getvalue())


def summary(columns: list[str], grades: list[Grade]) -> dict[str, Counter]:
    """For each exercise, how many submissions ended in each status.

    >>> summary(["ch1.conv2d"], [Grade("a", {"ch1.conv2d": "correct"})])["ch1.conv2d"]["correct"]
    1
    """
    return {name: Counter(grade.statuses[name] for grade in grades) for name in columns}


def summary_text(counts: dict[str, Counter], total: int) -> str:
    """Format the summary as a table: solved out of all submissions, then every status."""
    width = max((len(name) for name in counts), default=8)
    lines = [f"{'exercise':<{width}}  solved  " + "  ".join(f"{s:>13}" for s in STATUSES)]
    for name, counter in counts.items():
        cells = "  ".join(f"{counter.get(s, 0):>13}" for s in STATUSES)
        lines.append(f"{name:<{width}}  {counter.get('correct', 0):>2}/{total:<3}  {cells}")
    return "\n".join(lines)


def draw_chart(counts: dict[str, Counter], path: Path) -> Path:
    """Plot a horizontal stacked bar per exercise: how many submissions ended in each status."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    colours = {"correct": "#009E73", "incorrect": "#D55E00", "not attempted": "#BBBBBB",
               "error": "#CC79A7", "timeout": "#E69F00"}  # Okabe-Ito, colour-blind safe
    names = list(counts)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.6))
    left = [0] * len(names)
    for status in STATUSES:
        widths = [counts[n].get(status, 0) for n in names]
        ax.barh(names, widths, left=left, color=colours[status], label=status)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("submissions")
    ax.set_ylabel("exercise")
    ax.set_title("Gradebook: how each exercise ended")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


# --------------------------------------------------------------------------- command line


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds; got {text!r}")
    return value


def _worker(args: argparse.Namespace, limits: Limits) -> int:
    """Grade one notebook in this process (run_worker's child, in its own process group)."""
    isolation = sandbox.Isolation(args.sandbox, args.own_user)
    grader = NotebookGrader(_library(), limits=limits, isolation=isolation,
                            resources=sandbox.Resources(), seed=args.seed,
                            workspace=args.workspace)
    grade = grader.grade(args.folder, uid=args.uid)
    args.result.write_text(json.dumps(grade.__dict__))
    return 0


def _fresh_line(seed: int, columns: list[str]) -> str:
    """Say how many fresh cases each function exercise got in this run."""
    from course_lib.exercises import FunctionCheck

    exercises = _library()
    grader = NotebookGrader(exercises, limits=Limits(), isolation=sandbox.Isolation("none", False),
                            resources=sandbox.Resources(), seed=seed, workspace=Path("."))
    parts = []
    for name in columns:
        if isinstance(exercises[name].checker, FunctionCheck):
            cases = grader.cases(name)
            parts.append(f"{name} {cases.fixed}+{cases.fresh}")
    return (f"functions graded on their exercise's own cases + fresh ones (seed {seed}; "
            f"--seed {seed} draws the same): " + (", ".join(parts) or "none in these submissions"))


def main(argv: list[str] | None = None) -> int:
    """Grade a folder from the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of submissions")
    parser.add_argument("--cell-timeout", type=_positive, default=Limits.cell_s,
                        help="seconds per cell (default %(default)s)")
    parser.add_argument("--notebook-timeout", type=_positive, default=Limits.notebook_s,
                        help="seconds per notebook (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")
    parser.add_argument("--chart", type=Path, help="also draw the summary as a bar chart (PNG)")
    parser.add_argument("--seed", type=int, help="seed of the fresh grading cases (default: random)")
    parser.add_argument("--sandbox", default="auto",
                        choices=["auto", "bubblewrap", "unshare", "none"],
                        help="the strongest isolation to try (default: the best the machine allows)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--uid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--own-user", action=argparse.BooleanOptionalAction, default=False,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    limits = Limits(cell_s=args.cell_timeout, notebook_s=args.notebook_timeout)
    if args.worker:  # one notebook, in the process group run_worker made for it
        return _worker(args, limits)
    if not args.folder.is_dir():
        parser.error(f"FOLDER must be a folder of submissions; got {str(args.folder)!r}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    isolation = sandbox.detect(prefer=args.sandbox)
    seed = args.seed if args.seed is not None else secrets.randbits(63)
    columns, grades = grade_folder(args.folder, limits=limits, jobs=args.jobs,
                                   isolation=isolation, seed=seed)
    book = write_gradebook(args.folder / GRADEBOOK, columns, grades)
    counts = summary(columns, grades)
    lines = [f"{len(grades)} submissions graded -> {book}", summary_text(counts, len(grades))]
    lines += [f"note: {grade.submission}: {grade.note}" for grade in grades if grade.note]
    lines.append(_fresh_line(seed, columns))
    lines += isolation.describe(sandbox.Resources())
    text = "\n".join(lines)
    print(text)
    _replace(args.folder / SUMMARY, re.sub(r"[ \t]+\n", "\n", text) + "\n")
    if args.chart is not None:
        print(f"chart -> {draw_chart(counts, args.chart)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
