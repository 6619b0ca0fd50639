"""The grader against hostile submissions (tests/hostile/*.ipynb), graded as `make grade` grades.

A class folder holds the hostile notebooks, an honest student's solved chapter 1 (``victim``,
the one the others try to read and overwrite) and a marker that tells the hostile notebooks
where the class is (they search /tmp for it, as a student could search a shared machine). Beside
it lies a teacher's file. A server on the grader's loopback waits for what the network notebook
sends. For each hostile notebook the gradebook row must say what happened, every other row must
be right, and no file outside a submission's own sandbox may change: the class folder (but for
the gradebook the grader writes), the teacher's file, the course library and the grader.

Every hostile notebook is bounded by itself (400 processes, 6 GiB, 50 MB of output, 1.2 GB of
files, ports 47800-47899 only), so that a sandbox that fails cannot take the machine down: the
test fails.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
from test_grade import exercise_cells, hand_in, processes_touching, read_gradebook, solved

from course_lib.grading import sandbox

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "hostile"
OWN_OUTPUTS = {"gradebook.csv", "gradebook.txt"}
CELL_TIMEOUT_S = 20  # catches the endless cells; generous for a busy 2-core machine


def snapshot(*folders: Path) -> dict[str, str]:
    """Path -> SHA-256 (or the link's target) of every file under ``folders``."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts:
                continue
            if path.is_symlink():
                found[str(path)] = "link to " + str(path.readlink())
            elif path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class Listener:
    """A TCP server on 127.0.0.1, port 47800-47899: what the network notebook would reach."""

    def __init__(self) -> None:
        self.server = None
        for port in range(47800, 47900):
            try:
                self.server = socket.create_server(("127.0.0.1", port))
                break
            except OSError:
                continue
        assert self.server is not None, "no free port in 47800-47899 for the listener"
        self.server.settimeout(0.5)
        self.received: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    self.received.append(connection.recv(1000) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.server.close()


def make_class(base: Path) -> Path:
    """The class folder: the hostile notebooks, an honest solved chapter 1, the marker; a teacher's file."""
    folder = base / "hand-ins"
    folder.mkdir()
    for notebook in sorted(HOSTILE.glob("*.ipynb")):
        shutil.copy(notebook, folder / notebook.name)
    hand_in(folder, "victim.ipynb", [solved(source) for source in exercise_cells()])
    (folder / ".hostile-test-targets").write_text("the class is here\n")
    teacher = base / "teacher"
    teacher.mkdir()
    (teacher / "solutions.txt").write_text("centre_value = 18\n")
    return folder


def grade(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), str(folder),
                           "--cell-timeout", str(CELL_TIMEOUT_S), "--jobs", "2", *args],
                          capture_output=True, text=True, timeout=1800, check=False)


@pytest.fixture(scope="module")
def isolation():
    return sandbox.detect()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    folder = make_class(base)
    watched = (base, ROOT / "course_lib", ROOT / "tools")
    before = snapshot(*watched)
    listener = Listener()
    try:
        result = grade(folder)
    finally:
        listener.stop()
    after = snapshot(*watched)
    return folder, result, before, after, listener.received


def row(folder: Path, name: str) -> dict[str, str]:
    _, rows = read_gradebook(folder)
    return rows[name]


def others(record: dict[str, str], *named: str) -> set[str]:
    """The statuses of the exercises ``record`` does not name (they should be 'not attempted')."""
    return {v for k, v in record.items() if k not in {"submission", "note", *named}}


@pytest.mark.slow
def test_the_grader_runs_and_says_what_the_sandbox_does(graded, isolation):
    folder, result, *_ = graded
    assert result.returncode == 0, result.stderr[-3000:]
    summary = (folder / "gradebook.txt").read_text()
    assert f"sandbox: {isolation.method}" in summary or "no namespaces" in summary
    assert "sandbox limits: memory 4 GiB per process" in summary
    if isolation.method != "bubblewrap":
        assert "WARNING" in summary


@pytest.mark.slow
def test_forged_metadata_decides_nothing(graded):
    folder, *_ = graded
    record = row(folder, "forge_metadata")
    assert record["ch1.predict_pixel"] == "incorrect"
    assert record["ch1.conv2d"] == "incorrect"
    assert others(record, "ch1.predict_pixel", "ch1.conv2d") == {"not attempted"}


@pytest.mark.slow
def test_a_patched_checker_or_probe_decides_nothing(graded):
    folder, *_ = graded
    record = row(folder, "patch_checker")
    assert record["ch1.conv2d"] == "incorrect"
    assert record["ch1.predict_pixel"] == "incorrect"
    assert record["ch1.gaussian_kernel"] == "error"  # the replaced probe answered with a link
    assert "ch1.gaussian_kernel: the kernel gave no readable answer" in record["note"]


@pytest.mark.slow
def test_other_students_and_the_gradebook_cannot_be_written_or_read(graded, isolation):
    if isolation.method == "none":
        pytest.skip(f"no namespaces on this machine ({'; '.join(isolation.missing)})")
    folder, _, before, after, _ = graded
    for name in ("write_files", "read_other"):
        record = row(folder, name)
        assert record["ch1.predict_pixel"] == "error", record
        assert "ch1.predict_pixel: its cell raised StopIteration before the check" in record["note"]
    changed = {path for path in set(before) | set(after) if before.get(path) != after.get(path)}
    assert {Path(p).name for p in changed} <= OWN_OUTPUTS, sorted(changed)
    for name in OWN_OUTPUTS:
        assert not (folder / name).is_symlink()
        assert (folder / name).is_file()
    assert "write_files,correct" not in (folder / "gradebook.csv").read_text()


@pytest.mark.slow
def test_memory_far_over_the_limit_fails_in_the_sandbox(graded):
    folder, *_ = graded
    record = row(folder, "memory_hog")
    assert record["ch1.predict_pixel"] == "error"
    assert "MemoryError" in record["note"]


@pytest.mark.slow
def test_filling_the_disk_stops_at_the_scratch_size_and_the_watchdog(graded):
    folder, *_ = graded
    record = row(folder, "fill_disk")
    assert record["ch1.predict_pixel"] == "error"  # the sandbox was stopped while answering
    assert record["ch1.conv_params"] == "error"  # never reached: the kernel was gone
    assert "stopped: it wrote more than 288 MiB or 5,000 files on the grader's disk" in record["note"]


@pytest.mark.slow
def test_processes_without_end_are_stopped_at_the_limit(graded):
    folder, *_ = graded
    record = row(folder, "fork_bomb")
    assert record["ch1.predict_pixel"] == "error"
    assert "BlockingIOError" in record["note"]


@pytest.mark.slow
def test_output_without_end_is_cut_by_the_cell_limit(graded):
    folder, *_ = graded
    record = row(folder, "print_flood")
    assert record["ch1.predict_pixel"] == "correct"  # 50 MB of output first: dropped, graded
    assert record["ch1.conv2d"] == "timeout"
    assert "ch1.conv2d: its cell hit the cell time limit" in record["note"]


@pytest.mark.slow
def test_the_network_is_out_of_reach(graded, isolation):
    if isolation.method == "none":
        pytest.skip(f"no network namespace on this machine ({'; '.join(isolation.missing)})")
    folder, *_, received = graded
    assert received == []
    assert row(folder, "network")["ch1.predict_pixel"] == "incorrect"


@pytest.mark.slow
def test_sleeping_forever_is_a_timeout_and_the_notebook_goes_on(graded):
    folder, *_ = graded
    record = row(folder, "sleep_forever")
    assert record["ch1.predict_pixel"] == "timeout"
    assert record["ch1.conv2d"] == "correct"
    assert "ch1.predict_pixel: its cell hit the cell time limit" in record["note"]


@pytest.mark.slow
def test_the_honest_student_is_graded_right_beside_them(graded):
    folder, *_ = graded
    record = row(folder, "victim")
    assert others(record) == {"correct"}, record
    assert record["note"] == ""


@pytest.mark.slow
def test_nothing_of_the_sandboxes_is_left_running(graded):
    folder, *_ = graded
    assert not processes_touching(folder)
    users = [p.info for p in psutil.process_iter(["pid", "uids", "name"])
             if p.info["uids"] and p.info["uids"].real >= sandbox.UID_BASE
             and (p.info["uids"].real - sandbox.UID_BASE) % 64 < 8]
    assert users == []


@pytest.mark.slow
def test_without_bubblewrap_unshare_still_keeps_the_class_and_the_network_apart(tmp_path):
    if sandbox.detect(prefer="unshare").method != "unshare":
        pytest.skip("unshare cannot make namespaces on this machine")
    folder = tmp_path / "hand-ins"
    folder.mkdir()
    for name in ("write_files", "read_other", "network"):
        shutil.copy(HOSTILE / f"{name}.ipynb", folder)
    hand_in(folder, "victim.ipynb", [solved(source) for source in exercise_cells()])
    (folder / ".hostile-test-targets").write_text("the class is here\n")
    (tmp_path / "teacher").mkdir()
    (tmp_path / "teacher" / "solutions.txt").write_text("centre_value = 18\n")
    before = snapshot(tmp_path)
    listener = Listener()
    try:
        result = grade(folder, "--sandbox", "unshare")
    finally:
        listener.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    summary = (folder / "gradebook.txt").read_text()
    assert "sandbox: unshare" in summary
    assert "WARNING: no private view of the other files" in summary
    assert listener.received == []
    assert row(folder, "network")["ch1.predict_pixel"] == "incorrect"
    for name in ("write_files", "read_other"):
        assert row(folder, name)["ch1.predict_pixel"] == "error"
    assert others(row(folder, "victim")) == {"correct"}
    after = snapshot(tmp_path)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert {Path(p).name for p in changed} <= OWN_OUTPUTS, sorted(changed)


@pytest.mark.slow
def test_without_namespaces_the_summary_says_what_is_missing(tmp_path):
    folder = tmp_path / "hand-ins"
    folder.mkdir()
    hand_in(folder, "honest.ipynb", [solved(source) for source in exercise_cells()[:2]])
    result = grade(folder, "--sandbox", "none")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING: no namespaces on this machine" in result.stdout
    assert others(row(folder, "honest")) == {"correct"}
