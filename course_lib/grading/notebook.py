"""Grade one handed-in notebook: run it in a sandboxed kernel, take each answer out, judge it here.

Cell by cell, in a fresh kernel started by :mod:`.sandbox`, with a time limit per cell and per
notebook. After each cell that checks a library exercise (``chN.name.check(answer)``), the
grader asks the kernel for that answer (:mod:`.probe`): the value, or the student's function
called on the grading cases (:mod:`.cases`), as plain data (:mod:`.plain`), and judges it in its
own process with the library's checker (:mod:`.judge`). Nothing the notebook prints, displays
or leaves in metadata decides a status; the notebook's output is not even kept.

==================  ==========================================================================
``correct``         the answer taken out after its check cell passes the library's check
``incorrect``       it does not
``not attempted``   the answer was still the placeholder (``...``, a function returning
                    ``None``), or the exercise was never checked
``error``           the check cell raised an error before its check ran, the answer could not
                    be taken out of the kernel, or the file is not a notebook that can run
``timeout``         that cell (or taking its answer out) hit the cell time limit, or the
                    notebook's time ran out first
==================  ==========================================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..exercises import Exercise, FunctionCheck
from ..exercises._feedback import RESULT_KEY
from . import plain, sandbox
from .answers import CheckCall, check_calls, definitions
from .cases import GradingCases, grading_cases
from .judge import verdict

STATUSES = ("correct", "incorrect", "not attempted", "error", "timeout")
_FROM_FEEDBACK = {"correct": "correct", "incorrect": "incorrect", "not_attempted": "not attempted"}
_TIMEOUT_ENAME = "GradeCellTimeout"
MAX_MESSAGE = 32 << 20
"""The largest message the grader accepts from a kernel (bytes); a larger one is dropped."""


@dataclass(frozen=True)
class Limits:
    """The time limits of one notebook's run."""

    cell_s: float = 120.0  # a cell running longer is interrupted; the notebook goes on
    notebook_s: float = 600.0  # after this, what has not run is marked timeout
    calls_s: float = 30.0  # the student's function, on all grading cases of one exercise

    def __post_init__(self) -> None:
        for name in ("cell_s", "notebook_s", "calls_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"`{name}` must be a positive number of seconds; got {value!r}.")


@dataclass
class Grade:
    """One submission's row: a status per exercise it touched, and a note about the file."""

    submission: str
    statuses: dict[str, str] = field(default_factory=dict)
    note: str = ""
    failed: bool = False  # the file could not be run at all: every exercise is an error


def read_notebook(path: Path) -> tuple[Any, str]:
    """Read the notebook at ``path``: ``(notebook, "")``, or ``(None, why it is not one)``."""
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


def _client_class() -> type:
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """nbclient's client keeping no output: it only notes which checks showed a result.

        That note only tells a cell that failed after its check from one that failed before
        (an error either way unless the answer taken out says otherwise); it grades nothing.
        """

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.checks_shown: set[tuple[int, str]] = set()  # (cell index, exercise name)

        def output(self, _outs: list, msg: dict, _display_id: str | None, cell_index: int) -> None:
            content = msg.get("content") or {}
            result = (content.get("metadata") or {}).get(RESULT_KEY)
            if isinstance(result, dict) and isinstance(result.get("name"), str):
                self.checks_shown.add((cell_index, result["name"]))
            return None

    return GradingClient


@dataclass
class _Run:
    """How a notebook's run went."""

    ran: dict[int, str] = field(default_factory=dict)  # cell index -> "ok", "error", "timeout"
    errors: dict[int, str] = field(default_factory=dict)  # cell index -> the error's name
    stopped: str = ""  # why the watchdog stopped the sandbox
    statuses: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    ending: str = "finished"  # or "out of time", or "kernel died: ..."


class NotebookGrader:
    """Grade notebooks against the library's exercises, in sandboxes, with fresh cases.

    Parameters
    ----------
    exercises : mapping of str to Exercise
        The library's exercises by name (:func:`.answers.library_exercises`).
    limits : Limits
        Time limits.
    isolation : sandbox.Isolation
        What the machine allows (:func:`.sandbox.detect`).
    resources : sandbox.Resources
        The kernel's resource limits.
    seed : int
        Seeds the fresh grading cases (the same seed gives the same cases).
    workspace : path
        A folder for the sandboxes' folders (each removed after its notebook).
    locators : mapping of str to str, optional
        Where a kernel finds an exercise that is not the library's (``"module:attribute"``).
    paths : tuple of str
        Folders the kernels may import from besides Python's and the course library's.
    """

    def __init__(self, exercises: Mapping[str, Exercise], *, limits: Limits,
                 isolation: sandbox.Isolation, resources: sandbox.Resources, seed: int,
                 workspace: Path, locators: Mapping[str, str] | None = None,
                 paths: tuple[str, ...] = ()):
        self.exercises = dict(exercises)
        self.locators = dict(locators or {})  # exercises outside the library: "module:attribute"
        self.paths = paths  # folders the kernels may import from (for such exercises)
        self.limits = limits
        self.isolation = isolation
        self.resources = resources
        self.seed = seed
        self.workspace = Path(workspace)
        self._cases: dict[str, GradingCases] = {}

    def cases(self, name: str) -> GradingCases:
        """Give the grading cases of function exercise ``name`` (the same for a whole run)."""
        if name not in self._cases:
            index = list(self.exercises).index(name)
            rng = np.random.default_rng([self.seed, index])
            self._cases[name] = grading_cases(self.exercises[name], rng)
        return self._cases[name]

    def grade(self, path: Path, *, uid: int | None = None) -> Grade:
        """Run the notebook at ``path`` in a sandbox (as user ``uid``) and grade it."""
        grade = Grade(submission=path.name.removesuffix(".ipynb"))
        nb, note = read_notebook(path)
        if nb is None:
            grade.note, grade.failed = note, True
            return grade
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        if not any(cell.cell_type == "code" and cell.source.strip() for cell in nb.cells):
            grade.note = "no code in the notebook"
        box = sandbox.make_box(self.workspace, path, uid=uid, paths=self.paths)
        try:
            run = asyncio.run(self._execute(nb, box))
        finally:
            if uid is not None:
                sandbox.kill_user(uid)
            shutil.rmtree(box.root, ignore_errors=True)
        grade.statuses = run.statuses
        cell_limit = f"its cell hit the cell time limit ({self.limits.cell_s:g} s)"
        notes = []
        if run.ending == "out of time":  # this explains every timeout
            notes.append(f"stopped at the notebook time limit ({self.limits.notebook_s:g} s)")
            run.notes = [note for note in run.notes if not note.endswith(cell_limit)]
        elif run.ending != "finished":
            notes.append(run.ending)
        elif ("timeout" in run.ran.values()
              and not any(note.endswith(cell_limit) for note in run.notes)):
            notes.append(f"a cell hit the cell time limit ({self.limits.cell_s:g} s)")
        grade.note = "; ".join(filter(None, [grade.note, *notes, *run.notes]))
        return grade

    async def _execute(self, nb: Any, box: sandbox.Box) -> _Run:
        run = _Run()
        km = sandbox.manager(box, self.isolation, self.resources)

        def finished(*, cell_index: int, execute_reply: dict | None, **_cell: Any) -> None:
            content = execute_reply.get("content", {}) if execute_reply else {}
            if content.get("status") != "error":
                run.ran[cell_index] = "ok"
            elif content.get("ename") == _TIMEOUT_ENAME:
                run.ran[cell_index] = "timeout"
            else:
                run.ran[cell_index] = "error"
                run.errors[cell_index] = str(content.get("ename", "an error"))[:60]

        client = _client_class()(
            nb, km=km, timeout=self.limits.cell_s, interrupt_on_timeout=True, allow_errors=True,
            error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": f"over {self.limits.cell_s:g} s",
                              "traceback": []},
            timeout_func=self._timeout, kernel_name="python3", on_cell_executed=finished,
            record_timing=False,
            startup_timeout=120, store_widget_state=False, shutdown_kernel="immediate")
        task = asyncio.ensure_future(self._cells(client, nb, box, run))
        watchdog = asyncio.ensure_future(self._watch(km, box, run))
        done, _ = await asyncio.wait({task}, timeout=self.limits.notebook_s)
        watchdog.cancel()
        if not done:
            run.ending = "out of time"
            task.cancel()
            await asyncio.wait({task}, timeout=10)
        elif run.stopped:
            run.ending = run.stopped
        elif task.exception() is not None:
            error = task.exception()
            run.ending = f"kernel died: {type(error).__name__}: {str(error)[:100]}"
        with contextlib.suppress(Exception):
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
        unreached = "timeout" if run.ending == "out of time" else "error"
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and index not in run.ran:
                for call in check_calls(cell.source, self.exercises):
                    run.statuses.pop(call.exercise, None)
                    run.statuses[call.exercise] = unreached
        return run

    async def _watch(self, km: Any, box: sandbox.Box, run: _Run) -> None:
        """Stop the sandbox when it holds more memory, or writes more to disk, than allowed.

        Memory: all its processes together. Disk: the folders on the grader's disk it may write
        to (its answer folders; without namespaces, its working folder too).
        """
        limit = self.resources.total_memory
        folders = [box.outbox] + ([box.work] if self.isolation.method == "none" else [])
        disk = self.resources.scratch + 2 * plain.MAX_BYTES
        while True:
            await asyncio.sleep(0.2)
            launcher = getattr(getattr(km, "provisioner", None), "pid", None)
            pids = sandbox.sandbox_processes(box, launcher)
            if (pids and sandbox.resident_bytes(pids) > limit
                    and sandbox.proportional_bytes(pids) > limit):
                run.stopped = (f"stopped: its processes held more than {limit / sandbox.GIB:g} GiB "
                               "of memory together")
            written = [sandbox.folder_size(folder) for folder in folders]
            if sum(b for b, _ in written) > disk or sum(n for _, n in written) > 5_000:
                run.stopped = (f"stopped: it wrote more than {disk / sandbox.MIB:g} MiB or 5,000 "
                               "files on the grader's disk")
            if run.stopped:
                sandbox.kill_processes(pids)
                return

    async def _trial(self, box: sandbox.Box, exercise: Exercise, call: CheckCall,
                     code: str) -> tuple[Any, tuple[str, str] | None]:
        """Run the exercise's check of the student's function in a fresh kernel (see probe.trial)."""
        locator = self.locators.get(exercise.name, exercise.name)
        try:
            return await _run_trial(self, box, locator, call, code)
        except Exception as exc:  # the fresh kernel died or did not start
            return None, ("error", f"its trial in a fresh kernel failed: {type(exc).__name__}")

    def _timeout(self, cell: Any) -> float:
        """Give a cell's time limit: the cell limit, or for taking an answer out, the calls' limit."""
        if cell.metadata.get("grading") == "answer":
            return max(self.limits.cell_s, self.limits.calls_s + 30)
        return self.limits.cell_s

    async def _cells(self, client: Any, nb: Any, box: sandbox.Box, run: _Run) -> None:
        async with client.async_setup_kernel():
            sandbox.lock_sockets(box)
            for index, cell in enumerate(list(nb.cells)):
                if cell.cell_type != "code":
                    continue
                await client.async_execute_cell(cell, index, execution_count=index + 1)
                calls = check_calls(cell.source, self.exercises)
                for number, call in enumerate(calls):
                    try:
                        status = await self._status(client, nb, box, index, call, run)
                    except BaseException as stop:  # out of time, or the kernel died meanwhile
                        ending = "timeout" if isinstance(stop, asyncio.CancelledError) else "error"
                        for unjudged in calls[number:]:
                            run.statuses.pop(unjudged.exercise, None)
                            run.statuses[unjudged.exercise] = ending
                        raise
                    run.statuses.pop(call.exercise, None)
                    run.statuses[call.exercise] = status

    async def _status(self, client: Any, nb: Any, box: sandbox.Box, index: int, call: CheckCall,
                      run: _Run) -> str:
        """Decide the status of ``call``'s exercise after its cell ``index`` ran."""
        ran = run.ran.get(index, "error")
        if ran == "timeout":
            run.notes.append(f"{call.exercise}: its cell hit the cell time limit "
                             f"({self.limits.cell_s:g} s)")
            return "timeout"
        if ran == "error" and (index, call.exercise) not in client.checks_shown:
            # the cell failed before its check (the check never showed a result)
            run.notes.append(f"{call.exercise}: its cell raised {run.errors.get(index, 'an error')} "
                             "before the check")
            return "error"
        exercise = self.exercises[call.exercise]
        status, note = await self._take_out(client, nb, box, exercise, call, run, index)
        if note:
            run.notes.append(f"{exercise.name}: {note}")
        return status

    async def _take_out(self, client: Any, nb: Any, box: sandbox.Box, exercise: Exercise,
                        call: CheckCall, run: _Run, index: int) -> tuple[str, str]:
        """Ask the kernel for ``call``'s answer, judge it here: ``(status, note)``."""
        token = secrets.token_hex(12)
        cases = None
        request = None
        if isinstance(exercise.checker, FunctionCheck):
            cases = self.cases(exercise.name).cases
            request = box.inbox / token
            plain.write(request, [[case.args, dict(case.kwargs)] for case in cases])
            for item in [request, *request.iterdir()]:
                os.chmod(item, 0o755 if item.is_dir() else 0o644)
        out = sandbox.open_answer(box, token)
        code = (f"__import__('course_lib.grading.probe', fromlist=['answer']).answer("
                f"{call.answer!r}, {str(out)!r}, {str(request) if request else None!r}, "
                f"{self.limits.calls_s!r})")
        probe = _extraction_cell(code)
        nb.cells.append(probe)
        where = len(nb.cells) - 1
        try:
            await client.async_execute_cell(probe, where, store_history=False)
        finally:
            nb.cells.pop()
            ended = run.ran.pop(where, "error")
            client.checks_shown = {(i, n) for i, n in client.checks_shown if i != where}
        try:
            if ended == "timeout":
                return "timeout", "taking its answer out of the kernel hit the cell time limit"
            try:
                data = plain.read(out)
            except plain.PlainDataError as exc:
                how = "failed" if ended == "error" else "ran"
                return "error", f"the kernel gave no readable answer ({exc}; the grader's probe {how})"
            if isinstance(data, dict) and set(data) == {"missing"}:
                return "error", f"no answer `{call.answer}` after its check cell ({data['missing']})"
            if (not isinstance(exercise.checker, FunctionCheck) and isinstance(data, dict)
                    and isinstance(data.get("value"), plain.OpaqueFunction)):
                # A function for a checker that runs it itself (a training loop, say): that
                # runs in a fresh kernel holding only the student's definitions.
                sources = [c.source for c in nb.cells[:index + 1] if c.cell_type == "code"]
                data, failed = await self._trial(box, exercise, call, definitions(sources))
                if failed is not None:
                    return failed
            if isinstance(data, dict) and set(data) == {"missing"}:
                return "error", f"no answer `{call.answer}` in a fresh kernel ({data['missing']})"
            try:
                feedback = verdict(exercise, data, cases)
            except plain.PlainDataError as exc:
                return "error", f"the kernel's answer was not plain data of the expected form ({exc})"
            status = _FROM_FEEDBACK.get(feedback.status, "error")
            return status, _fresh_note(exercise, data, cases, self, status)
        finally:
            sandbox.close_answer(out)
            if request is not None:
                shutil.rmtree(request, ignore_errors=True)


async def _run_trial(grader: NotebookGrader, box: sandbox.Box, locator: str, call: CheckCall,
                     code: str) -> tuple[Any, tuple[str, str] | None]:
    """Run ``code`` (the student's definitions), then the exercise's trial, in a fresh kernel."""
    import nbformat

    fresh = sandbox.make_box(grader.workspace, box.copy, uid=box.uid, paths=box.paths,
                             hide=box.hide)
    token = secrets.token_hex(12)
    out = sandbox.open_answer(fresh, token)
    probe = _extraction_cell(f"__import__('course_lib.grading.probe', fromlist=['trial']).trial("
                             f"{locator!r}, {call.answer!r}, {str(out)!r})")
    cells = [nbformat.v4.new_code_cell(code), probe]
    ran: dict[int, str] = {}

    def finished(*, cell_index: int, execute_reply: dict | None, **_cell: Any) -> None:
        content = execute_reply.get("content", {}) if execute_reply else {}
        ran[cell_index] = ("timeout" if content.get("ename") == _TIMEOUT_ENAME
                           else content.get("status", "error"))

    km = sandbox.manager(fresh, grader.isolation, grader.resources)
    client = _client_class()(
        nbformat.v4.new_notebook(cells=cells), km=km, timeout=grader.limits.cell_s,
        interrupt_on_timeout=True, allow_errors=True, timeout_func=grader._timeout,
        error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": "", "traceback": []},
        kernel_name="python3", on_cell_executed=finished, record_timing=False,
        startup_timeout=120, store_widget_state=False, shutdown_kernel="immediate")
    try:
        async with client.async_setup_kernel():
            sandbox.lock_sockets(fresh)
            for index, cell in enumerate(cells):
                await client.async_execute_cell(cell, index)
        if ran.get(1) == "timeout":
            return None, ("timeout", "its trial in a fresh kernel hit the time limit")
        try:
            return plain.read(out), None
        except plain.PlainDataError as exc:
            return None, ("error", f"its trial in a fresh kernel gave no readable result ({exc})")
    finally:
        with contextlib.suppress(Exception):
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
        shutil.rmtree(fresh.root, ignore_errors=True)


def _extraction_cell(code: str) -> Any:
    import nbformat

    return nbformat.v4.new_code_cell(code, metadata={"grading": "answer"})


def _fresh_note(exercise: Exercise, data: Any, cases: Any, grader: NotebookGrader,
                status: str) -> str:
    """Say so when a function passed the exercise's own cases but failed fresh ones."""
    if status != "incorrect" or cases is None or not isinstance(data, dict) or "calls" not in data:
        return ""
    grading = grader.cases(exercise.name)
    fixed_only = verdict(exercise, {"calls": data["calls"][:grading.fixed]}, cases[:grading.fixed])
    if fixed_only.status == "correct":
        return (f"passes the exercise's own {grading.fixed} cases but not the "
                f"{grading.fresh} fresh ones drawn for grading (an answer looked up from the "
                "known cases, or an input the statement does not cover)")
    return ""
