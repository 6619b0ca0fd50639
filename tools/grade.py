"""Grade handed-in notebooks: run each one offline in its own kernel and write a gradebook.

    python tools/grade.py SUBMISSIONS/                    # -> SUBMISSIONS/gradebook.csv + a summary
    python tools/grade.py SUBMISSIONS/ --chart chart.png  # the summary as a bar chart too
    make grade SUBMISSIONS=folder                         # the same, from the Makefile

Every file in the folder is a submission (hidden files and the grader's own outputs excepted):
the students' copies of any chapter, as they hand them in. Each notebook runs top to bottom in a
fresh kernel, in a process group of its own, with

- a time limit per cell (``--cell-timeout``, 120 s): a cell that runs longer is interrupted and
  the notebook goes on with the next cell;
- a time limit per notebook (``--notebook-timeout``, 600 s): what has not run by then is marked
  ``timeout`` and the whole process group is stopped;
- the network blocked (``course_lib/grading/offline/sitecustomize.py``: only loopback works).

``gradebook.csv`` has one row per submission: ``submission`` (the file name without ``.ipynb``),
one column per exercise, named as in the library (``ch1.conv2d``, ...), and ``note`` (what went
wrong with the file itself, if anything). Each exercise is one of

==================  ==========================================================================
``correct``         its check passed (the last check of it in the notebook counts)
``incorrect``       its check ran and failed
``not attempted``   the answer was still the placeholder, or the exercise was never checked
``error``           the cell that checks it raised an error before the check could finish,
                    or the file is not a notebook that can run
``timeout``         that cell hit the cell time limit, or the notebook's time ran out first
==================  ==========================================================================

The columns are the exercises that appear in the submissions, in the order the notebooks check them. Who
solved what is read from the metadata each check leaves on its output
(:data:`course_lib.exercises._feedback.RESULT_KEY`), never from the text shown to the student.

This is not a security sandbox: a notebook runs as you, with your files. Grade hostile code
only inside the hub's containers (or another sandbox).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import importlib
import json
import os
import pkgutil
import re
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRADEBOOK = "gradebook.csv"
OWN_OUTPUTS = {GRADEBOOK, "gradebook.png"}
STATUSES = ("correct", "incorrect", "not attempted", "error", "timeout")
_FROM_FEEDBACK = {"correct": "correct", "incorrect": "incorrect", "not_attempted": "not attempted"}
_CHECK_CALL = re.compile(r"\b(ch\d+)\.(\w+)\.check\s*\(")
_TIMEOUT_ENAME = "GradeCellTimeout"
_KILL_MARGIN_S = 60  # the worker gets this long beyond the notebook limit before it is killed


@dataclass(frozen=True)
class Limits:
    """The time limits of one notebook's run."""

    cell_s: float = 120.0  # a cell running longer is interrupted; the notebook goes on
    notebook_s: float = 600.0  # after this, what has not run is marked timeout

    def __post_init__(self):
        for name in ("cell_s", "notebook_s"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"`{name}` must be a positive number of seconds; got {value!r}.")


@dataclass
class Grade:
    """One submission's row: a status per exercise it touched, and a note about the file."""

    submission: str
    statuses: dict[str, str] = field(default_factory=dict)
    note: str = ""
    failed: bool = False  # the file could not be run at all: every exercise is an error


# --------------------------------------------------------------------------- the library


def library_exercises() -> list[str]:
    """Names of every exercise in ``course_lib.exercises`` (``ch1.conv2d``, ...), in order.

    >>> names = library_exercises()
    >>> names[0].startswith("ch1."), "ch1.conv2d" in names
    (True, True)
    """
    from course_lib import exercises
    from course_lib.exercises import Exercise

    names = []
    chapters = sorted((m.name for m in pkgutil.iter_modules(exercises.__path__)
                       if re.fullmatch(r"ch\d+", m.name)), key=lambda n: int(n[2:]))
    for chapter in chapters:
        module = importlib.import_module(f"course_lib.exercises.{chapter}")
        names += [v.name for v in vars(module).values() if isinstance(v, Exercise)]
    return list(dict.fromkeys(names))


def checked_in(source: str, known: set[str]) -> list[str]:
    """Find the library exercises a cell's code checks (``ch1.conv2d.check(...)``).

    >>> checked_in("ch1.conv2d.check(my_conv2d)", {"ch1.conv2d"})
    ['ch1.conv2d']
    """
    found = (f"{chapter}.{name}" for chapter, name in _CHECK_CALL.findall(source))
    return [name for name in dict.fromkeys(found) if name in known]


# --------------------------------------------------------------------------- one notebook


def _read_notebook(path: Path):
    """Read the notebook at ``path``, or a note saying why it is not one."""
    import nbformat

    if path.suffix != ".ipynb":
        return None, f"not a notebook ({path.suffix or 'no extension'})"
    if path.stat().st_size == 0:
        return None, "empty file"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # any unreadable file is recorded, never raised
        return None, f"not a valid notebook: {type(exc).__name__}: {str(exc)[:120]}"
    return nb, ""


def _statuses(nb, ran: dict[int, str], known: set[str], *, unreached: str) -> dict[str, str]:
    """Statuses from the run: check results first, then errors and timeouts of check cells.

    ``ran`` maps the index of each cell that finished to ``"ok"``, ``"error"`` or ``"timeout"``;
    a check cell that never finished gets ``unreached``.
    """
    from course_lib.exercises._feedback import RESULT_KEY

    statuses: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        names = checked_in(cell.source, known)
        recorded = {}
        for output in cell.get("outputs", []):
            result = output.get("metadata", {}).get(RESULT_KEY)
            if isinstance(result, dict) and result.get("name") in known:
                recorded[result["name"]] = _FROM_FEEDBACK.get(result.get("status"), "error")
        for name in dict.fromkeys([*names, *recorded]):
            if name in recorded:
                statuses[name] = recorded[name]
            elif index not in ran:
                statuses[name] = unreached
            elif ran[index] in ("error", "timeout"):
                statuses[name] = ran[index]
            else:
                statuses.setdefault(name, "not attempted")
    return statuses


@dataclass
class _Run:
    """How a notebook's run went: how each finished cell ended, and how the run ended."""

    ran: dict[int, str] = field(default_factory=dict)  # cell index -> "ok", "error", "timeout"
    ending: str = "finished"  # or "out of time", or "kernel died: ..."


async def _execute(nb, limits: Limits, workdir: Path) -> _Run:
    """Run ``nb`` in a fresh kernel, within the notebook's time limit."""
    from nbclient import NotebookClient

    run = _Run()

    def finished(*, cell_index, execute_reply, **_cell):  # nbclient passes cell= too
        content = execute_reply.get("content", {}) if execute_reply else {}
        if content.get("status") != "error":
            run.ran[cell_index] = "ok"
        elif content.get("ename") == _TIMEOUT_ENAME:
            run.ran[cell_index] = "timeout"
        else:
            run.ran[cell_index] = "error"

    client = NotebookClient(
        nb, timeout=limits.cell_s, interrupt_on_timeout=True, allow_errors=True,
        error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": f"over {limits.cell_s:g} s",
                          "traceback": []},
        kernel_name="python3", resources={"metadata": {"path": str(workdir)}},
        on_cell_executed=finished, record_timing=False, startup_timeout=120)
    task = asyncio.ensure_future(client.async_execute(cleanup_kc=True))
    done, _ = await asyncio.wait({task}, timeout=limits.notebook_s)
    if not done:
        # nbclient reports its cancellation as a dead kernel: decide here, then stop it. What
        # outlives this (a kernel that ignores shutdown) goes with the worker's process group.
        run.ending = "out of time"
        task.cancel()
        await asyncio.wait({task}, timeout=10)
        return run
    if task.exception() is not None:
        error = task.exception()
        run.ending = f"kernel died: {type(error).__name__}: {str(error)[:100]}"
    return run


def grade_notebook(path: Path, known: list[str], limits: Limits) -> Grade:
    """Run one submission in this process (the worker's job) and grade it."""
    grade = Grade(submission=path.name.removesuffix(".ipynb"))
    nb, note = _read_notebook(path)
    if nb is None:
        grade.note, grade.failed = note, True
        return grade
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if not any(cell.cell_type == "code" and cell.source.strip() for cell in nb.cells):
        grade.note = "no code in the notebook"
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        run = asyncio.run(_execute(nb, limits, Path(workdir)))
    unreached = "timeout" if run.ending == "out of time" else "error"
    grade.statuses = _statuses(nb, run.ran, set(known), unreached=unreached)
    if run.ending == "out of time":
        grade.note = f"stopped at the notebook time limit ({limits.notebook_s:g} s)"
    elif run.ending != "finished":
        grade.note = run.ending
    elif "timeout" in run.ran.values():
        grade.note = f"a cell hit the cell time limit ({limits.cell_s:g} s)"
    return grade


# --------------------------------------------------------------------------- the folder


def submissions(folder: Path) -> list[Path]:
    """List the files of ``folder`` that are submissions (not hidden, not the grader's outputs)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"`folder` must be a folder of submissions; got {str(folder)!r}.")
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.name not in OWN_OUTPUTS)


def offline_env() -> dict[str, str]:
    """Copy this environment, with the network blocked for Python processes (kernels included)."""
    env = dict(os.environ)
    inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    from course_lib.grading import OFFLINE_DIR

    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([str(OFFLINE_DIR), str(ROOT), *inherited]))
    env["COURSE_BLOCK_NETWORK"] = "1"
    return env


def _stop_group(process: subprocess.Popen) -> None:
    """Stop a worker and everything it started (its kernel): the whole process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_worker(path: Path, known: list[str], limits: Limits) -> Grade:
    """Grade ``path`` in a separate process group, killed if it outlives the notebook limit."""
    name = path.name.removesuffix(".ipynb")
    with tempfile.TemporaryDirectory(prefix="grade-result-") as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path),
                   "--result", str(result), "--cell-timeout", str(limits.cell_s),
                   "--notebook-timeout", str(limits.notebook_s), "--exercises", ",".join(known)]
        process = subprocess.Popen(command, env=offline_env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=limits.notebook_s + _KILL_MARGIN_S)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            return Grade(name, note=f"killed after {limits.notebook_s + _KILL_MARGIN_S:g} s",
                         statuses={n: "timeout" for n in known})
        _stop_group(process)  # a kernel left behind goes with its group
        if not result.exists():
            tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            return Grade(name, note=f"grader failed: {tail[0][:160]}", failed=True)
        data = json.loads(result.read_text())
    return Grade(data["submission"], statuses=data["statuses"], note=data["note"],
                 failed=data["failed"])


def grade_folder(folder: Path, *, limits: Limits = Limits(), jobs: int = 1) -> tuple[list[str], list[Grade]]:
    """Grade every submission in ``folder``; return the exercise columns and the rows."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"`jobs` must be a whole number >= 1; got {jobs!r}.")
    known = library_exercises()
    paths = submissions(folder)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        grades = list(pool.map(lambda p: run_worker(p, known, limits), paths))
    # Columns in the order the notebooks check them (then the library's order for the rest).
    touched = dict.fromkeys(name for grade in grades for name in grade.statuses)
    columns = [name for name in touched if name in known] or known
    for grade in grades:
        fill = "error" if grade.failed else "not attempted"
        grade.statuses = {name: grade.statuses.get(name, fill) for name in columns}
    return columns, grades


def write_gradebook(path: Path, columns: list[str], grades: list[Grade]) -> Path:
    """Write the rows as CSV: ``submission``, one column per exercise, ``note``."""
    with Path(path).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *columns, "note"])
        for grade in grades:
            writer.writerow([grade.submission, *(grade.statuses[c] for c in columns), grade.note])
    return Path(path)


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


def main(argv: list[str] | None = None) -> int:
    """Grade a folder from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of submissions")
    parser.add_argument("--cell-timeout", type=_positive, default=Limits.cell_s,
                        help="seconds per cell (default %(default)s)")
    parser.add_argument("--notebook-timeout", type=_positive, default=Limits.notebook_s,
                        help="seconds per notebook (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")
    parser.add_argument("--chart", type=Path, help="also draw the summary as a bar chart (PNG)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--exercises", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    limits = Limits(cell_s=args.cell_timeout, notebook_s=args.notebook_timeout)
    if args.worker:  # one notebook, in the process group run_worker made for it
        grade = grade_notebook(args.folder, args.exercises.split(","), limits)
        args.result.write_text(json.dumps(grade.__dict__))
        return 0
    if not args.folder.is_dir():
        parser.error(f"FOLDER must be a folder of submissions; got {str(args.folder)!r}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    columns, grades = grade_folder(args.folder, limits=limits, jobs=args.jobs)
    book = write_gradebook(args.folder / GRADEBOOK, columns, grades)
    counts = summary(columns, grades)
    print(f"{len(grades)} submissions graded -> {book}")
    print(summary_text(counts, len(grades)))
    for grade in grades:
        if grade.note:
            print(f"note: {grade.submission}: {grade.note}")
    if args.chart is not None:
        print(f"chart -> {draw_chart(counts, args.chart)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
