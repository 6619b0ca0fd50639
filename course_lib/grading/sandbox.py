"""A sandbox for each submission's kernel, with what Linux gives without Docker.

Layers, each used where the machine allows it (:func:`detect` finds out, and
:meth:`Isolation.describe` says what is in place and what is missing):

- **its own folder**: the kernel's working folder holds only a copy of the submission; the
  requests it answers come from a folder it can only read; it writes its answers into a folder
  opened for one answer at a time.
- **resource limits** (``setrlimit``, inherited by everything the kernel starts): address space,
  CPU seconds, processes, file size, open files, no core files (:class:`Resources`). The grader
  also stops the kernel's whole process group at its time limit.
- **its own user**: when the grader runs as root, each kernel runs as an unprivileged user id of
  its own (one per parallel job), so it can write none of the grader's files, and the process
  limit counts its processes only.
- **namespaces**, with bubblewrap (Debian's ``bubblewrap``): a private view of the files (the
  system, Python and the course library read-only; the rest of the machine, the teacher's files,
  the other submissions and the gradebook are not there), a private ``/tmp`` of limited size,
  no network (a network namespace with loopback only), its own process tree (all of it ends
  with the kernel) and IPC. Without bubblewrap, ``unshare`` (util-linux) still gives the network,
  process, IPC and mount namespaces, a private ``/tmp``, but the machine's files stay visible.
- **the course's network guard** (``offline/sitecustomize.py``) in the kernel, for a clear
  message (a namespace is what code cannot undo).

The kernel talks to the grader over Unix sockets in a folder of its own (ZeroMQ's ``ipc``
transport), which works across a network namespace.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.manager import AsyncKernelManager

from . import OFFLINE_DIR, launch

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
UID_BASE = 62400
"""The first user id tried for the sandboxes (when the grader runs as root); see :func:`free_uid`."""

_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


@dataclass(frozen=True)
class Resources:
    """What one submission's kernel may use (each process of it, for the per-process limits)."""

    memory: int = 4 * GIB  # address space of each process (RLIMIT_AS); torch alone maps ~1 GiB
    cpu_s: int = 1200  # CPU seconds of each process (RLIMIT_CPU); wall time is the grader's limit
    processes: int = 128  # processes and threads of the sandbox's user (RLIMIT_NPROC)
    file_size: int = 64 * MIB  # the largest file it may write (RLIMIT_FSIZE)
    open_files: int = 256  # files and sockets open at once (RLIMIT_NOFILE)
    scratch: int = 256 * MIB  # its private /tmp, and its working folder (tmpfs; namespaces only)
    total_memory: int = 6 * GIB  # resident memory of all its processes together (the watchdog)

    def __post_init__(self) -> None:
        for name in ("memory", "cpu_s", "processes", "file_size", "open_files", "scratch",
                     "total_memory"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{name}` must be a positive whole number; got {value!r}.")

    def limits(self, *, extra_processes: int = 0) -> dict[str, int]:
        """Give the ``setrlimit`` values, by the names :mod:`.launch` uses.

        >>> Resources(memory=GIB).limits()["memory"] == GIB
        True
        """
        return {"memory": self.memory, "cpu": self.cpu_s,
                "processes": self.processes + extra_processes, "file_size": self.file_size,
                "open_files": self.open_files, "core": 0}

    def describe(self) -> str:
        """One line: the limits in words.

        >>> Resources().describe().split(", ")[:2]
        ['memory 4 GiB per process and 6 GiB in all', 'CPU 1200 s per process']
        """
        return (f"memory {_size(self.memory)} per process and {_size(self.total_memory)} in all, "
                f"CPU {self.cpu_s} s per process, {self.processes} processes, files up to "
                f"{_size(self.file_size)}, {self.open_files} open files")


def _size(n: int) -> str:
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


# --------------------------------------------------------------------------- what the machine allows


@dataclass(frozen=True)
class Isolation:
    """How the kernels are isolated on this machine: the method and whether each has its own user."""

    method: str  # "bubblewrap", "unshare" or "none"
    own_user: bool  # each kernel runs as an unprivileged user of its own (the grader is root)
    missing: tuple[str, ...] = ()  # why each stronger method could not be used

    def __post_init__(self) -> None:
        if self.method not in ("bubblewrap", "unshare", "none"):
            raise ValueError(f"`method` must be 'bubblewrap', 'unshare' or 'none'; got {self.method!r}.")

    def describe(self, resources: Resources) -> list[str]:
        """Say what protects the machine from a submission, and what does not, line by line."""
        lines = []
        if self.method == "bubblewrap":
            lines.append("sandbox: bubblewrap: a private view of the files (system, Python and the "
                         "course library read-only; your files, the other submissions and the "
                         "gradebook are not there), no network, its own processes, IPC and "
                         f"/tmp ({_size(resources.scratch)})")
        elif self.method == "unshare":
            lines.append("sandbox: unshare: no network, its own processes, IPC and /tmp "
                         f"({_size(resources.scratch)}); /root, /home, the course's checkout and "
                         "the class's folder hidden; WARNING: no private view of the other files "
                         "(install bubblewrap: make sandbox): a submission can read any other "
                         "file that your system lets other users read")
        else:
            lines.append("sandbox: WARNING: no namespaces on this machine: a submission sees "
                         "the network (beyond the course's Python guard) and every file "
                         "that its user may read")
        if self.own_user:
            lines.append("sandbox: each submission runs as an unprivileged user of its own: it "
                         "cannot write your files")
        else:
            lines.append("sandbox: WARNING: submissions run as your user (the grader is not "
                         "root)" + (": the private view of the files is what keeps them from "
                                    "your files" if self.method == "bubblewrap"
                                    else ": they can change your files"))
        lines.append(f"sandbox limits: {resources.describe()}")
        lines += [f"sandbox: not used: {reason}" for reason in self.missing]
        return lines


def detect(*, prefer: str = "auto") -> Isolation:
    """Find the strongest isolation this machine allows (``prefer`` caps it: for tests).

    ``prefer``: ``"auto"`` (bubblewrap, else unshare, else none), or one of the methods. Each
    candidate is tried for real: a Python started the way a kernel is, as the sandbox's own user
    when the grader is root (else, or when that user cannot run this Python, as the grader's).
    """
    order = ["bubblewrap", "unshare", "none"]
    if prefer != "auto" and prefer not in order:
        raise ValueError(f"`prefer` must be 'auto' or one of {order}; got {prefer!r}.")
    candidates = order[order.index(prefer):] if prefer != "auto" else order
    missing: list[str] = []
    for method in candidates:
        if method != "none" and shutil.which(_TOOLS[method]) is None:
            missing.append(f"{method}: `{_TOOLS[method]}` is not installed")
            continue
        for own_user in ([True, False] if os.getuid() == 0 else [False]):
            reason = _try(Isolation(method, own_user))
            if reason is None:
                return Isolation(method, own_user, tuple(missing))
            who = "as its own user" if own_user else "as the grader's user"
            missing.append(f"{method} ({who}): {reason}")
    return Isolation("none", False, tuple(missing))


def _try(isolation: Isolation) -> str | None:
    """``None`` when a Python starts and runs in ``isolation``, else why not (one line)."""
    parent = Path(os.path.realpath(tempfile_dir())) / f"grade-probe-{os.getpid()}-{time.monotonic_ns()}"
    parent.mkdir(mode=0o711)
    os.chmod(parent, 0o711)
    try:
        (parent / "probe.ipynb").write_text("{}")
        uid = free_uid(0) if isolation.own_user else None
        box = make_box(parent, parent / "probe.ipynb", uid=uid)
        log = parent / "log.txt"
        program = [sys.executable, "-I", "-S", "-c", "import os; os.listdir('.')"]
        try:
            result = subprocess.run(command(program, box=box, isolation=isolation,
                                            resources=Resources(), log=str(log)),
                                    timeout=60, check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{type(exc).__name__}: {exc}"
        if result.returncode == 0:
            return None
        text = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
        return (text or [f"exit status {result.returncode}"])[-1][:200]
    finally:
        shutil.rmtree(parent, ignore_errors=True)


_TOOLS = {"bubblewrap": "bwrap", "unshare": "unshare"}


# --------------------------------------------------------------------------- one submission's folders


@dataclass(frozen=True)
class Box:
    """The folders of one submission's sandbox, all inside ``root``.

    ``work``: the kernel's working folder (a copy of the submission); ``sockets``: its Unix
    sockets and connection file; ``inbox``: the grader's requests (read-only for the kernel);
    ``outbox``: one folder per answer, opened by the grader for that answer only.
    """

    root: Path
    submission: str  # the file name of the copy in ``work``
    uid: int | None = None  # the kernel's user (None: the grader's own)
    gid: int | None = None
    paths: tuple[str, ...] = ()  # more folders for the kernel's imports (read-only)
    hide: tuple[str, ...] = ()  # folders to hide where no private view hides everything (unshare)

    @property
    def work(self) -> Path:
        """The kernel's working folder."""
        return self.root / "work"

    @property
    def copy(self) -> Path:
        """The grader's copy of the submission (bound read-only into ``work``)."""
        return self.root / "copy" / self.submission

    @property
    def sockets(self) -> Path:
        """The kernel's Unix sockets and connection file."""
        return self.root / "sockets"

    @property
    def inbox(self) -> Path:
        """The grader's requests (inputs for the student's functions)."""
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        """The answers, one folder each."""
        return self.root / "outbox"


def make_box(parent: Path, submission: Path, *, uid: int | None = None,
             paths: Sequence[str] = (), hide: Sequence[str] | None = None) -> Box:
    """Make the sandbox folders of ``submission`` in a new folder inside ``parent``.

    ``paths``: folders the kernel may import from besides Python's and the course library's.
    ``hide``: folders to hide from it (default: the submission's own folder, the class's).
    """
    root = Path(os.path.realpath(parent)) / f"box-{os.getpid()}-{time.monotonic_ns()}"
    root.mkdir(mode=0o711)
    os.chmod(root, 0o711)
    if hide is None:
        hide = [os.path.dirname(os.path.realpath(submission))]
    box = Box(root, submission.name, uid, uid, tuple(os.path.realpath(p) for p in paths),
              tuple(os.path.realpath(h) for h in hide))
    for folder, mode in ((box.work, 0o700), (box.copy.parent, 0o711), (box.sockets, 0o700),
                         (box.inbox, 0o711), (box.outbox, 0o711)):
        folder.mkdir(mode=mode)
        os.chmod(folder, mode)
    shutil.copyfile(submission, box.copy)
    os.chmod(box.copy, 0o644)
    shutil.copyfile(submission, box.work / submission.name)
    if uid is not None:
        for path in (box.work, box.work / submission.name, box.sockets):
            os.chown(path, uid, uid)
    return box


def lock_sockets(box: Box) -> None:
    """Take the sockets folder back once the kernel is listening: it may write there no more."""
    if box.uid is not None:
        for path in [box.sockets, *box.sockets.iterdir()]:
            os.chown(path, 0, 0, follow_symlinks=False)
        os.chmod(box.sockets, 0o711)


def open_answer(box: Box, token: str) -> Path:
    """Make the folder for one answer, writable by the kernel until :func:`close_answer`."""
    folder = box.outbox / token
    folder.mkdir(mode=0o700)
    if box.uid is not None:
        os.chown(folder, box.uid, box.uid)
    return folder


def close_answer(folder: Path) -> None:
    """Remove one answer's folder (links inside are removed, never followed)."""
    shutil.rmtree(folder, ignore_errors=True)


def tempfile_dir() -> str:
    """Return the folder for the grader's temporary folders (``TMPDIR`` or ``/tmp``)."""
    import tempfile

    return tempfile.gettempdir()


# --------------------------------------------------------------------------- the command


def _bind_points() -> list[str]:
    """Folders the kernel needs read-only besides the system's: Python, the environment, course_lib."""
    import course_lib

    points = [os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)]
    points.append(os.path.dirname(os.path.realpath(sys.executable)))
    points.append(os.path.dirname(os.path.realpath(course_lib.__file__)))
    kept: list[str] = []
    for point in sorted(set(points), key=len):
        if not any(point == k or point.startswith(k.rstrip("/") + "/") for k in kept + list(_SYSTEM)):
            kept.append(point)
    return kept


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _bwrap(box: Box, resources: Resources | None = None) -> list[str]:
    args = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--hostname", "grading"]
    for path in _SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    points = _bind_points() + [p for p in box.paths if p not in _bind_points()]
    made = set()
    for point in points:
        for folder in _ancestors(point + "/x"):
            if folder not in made and not any(folder == s or folder.startswith(s + "/") for s in _SYSTEM):
                args += ["--perms", "0755", "--dir", folder]
                made.add(folder)
        args += ["--ro-bind", point, point]
    scratch = resources.scratch if resources is not None else 16 * MIB
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(scratch), "--tmpfs", "/tmp", "--chmod", "1777", "/tmp"]
    for folder in _ancestors(str(box.work) + "/x"):  # on the new /tmp (or the sandbox's root)
        if folder != "/tmp" and not any(folder == s or folder.startswith(s + "/") for s in _SYSTEM):
            args += ["--perms", "0755", "--dir", folder]
    args += ["--size", str(scratch), "--perms", "0700", "--tmpfs", str(box.work),
             "--ro-bind", str(box.copy), str(box.work / box.submission),
             "--bind", str(box.sockets), str(box.sockets),
             "--ro-bind", str(box.inbox), str(box.inbox),
             "--bind", str(box.outbox), str(box.outbox)]
    return args


def _unshare() -> list[str]:
    args = ["unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child",
            "--mount-proc"]
    if os.getuid() != 0:
        args[1:1] = ["--user", "--map-root-user"]
    return args


def _wrap(method: str, *, box: Box, resources: Resources | None = None) -> list[str]:
    if method == "bubblewrap":
        return _bwrap(box, resources)
    if method == "unshare":
        return _unshare()
    return []


def _checkout() -> list[str]:
    """Find the course's source checkout (notebooks with solutions), if course_lib runs from one."""
    import course_lib

    folder = os.path.dirname(os.path.dirname(os.path.realpath(course_lib.__file__)))
    return [folder] if os.path.isfile(os.path.join(folder, "pyproject.toml")) else []


def _hidden(box: Box, resources: Resources) -> list[tuple[str, int]]:
    """Folders an ``unshare`` sandbox covers with an empty tmpfs, and the tmpfs sizes.

    >>> box = Box(Path("/tmp/run/box"), "a.ipynb", hide=("/tmp/class", "/srv/class"))
    >>> [folder for folder, _ in _hidden(box, Resources()) if "class" in folder]
    ['/srv/class']
    """
    candidates = [("/root", MIB), ("/home", MIB), ("/tmp", resources.scratch),
                  ("/var/tmp", 16 * MIB), ("/dev/shm", 16 * MIB)]
    candidates += [(os.path.realpath(folder), MIB) for folder in (*_checkout(), *box.hide)]
    kept: list[tuple[str, int]] = []
    for folder, size in candidates:
        inside_another = any(folder == k or folder.startswith(k + "/") for k, _ in kept)
        system = folder == "/" or any(folder == s or folder.startswith(s + "/") for s in _SYSTEM)
        if not inside_another and not system and (os.path.isdir(folder) or folder in box.hide):
            kept = [(k, n) for k, n in kept if not k.startswith(folder + "/")]
            kept.append((folder, size))
    return kept


def _steps(method: str, box: Box, resources: Resources) -> list[list[Any]]:
    """List the inside stage's steps (see :func:`.launch.inside`)."""
    steps: list[list[Any]] = []
    if method == "unshare":
        # Private /tmp and the like; homes, the course's checkout and the class's folder hidden;
        # what the kernel needs shown again, read-only.
        hidden = _hidden(box, resources)
        needed = [point for point in [*_bind_points(), *box.paths]
                  if any(point.startswith(folder + "/") for folder, _ in hidden)]
        steps += [["keep", str(box.root), False], *(["keep", point, True] for point in needed)]
        steps += [["tmpfs", folder, size, "1777" if "tmp" in folder or "shm" in folder else "0755"]
                  for folder, size in hidden]
        steps += [["rebind"],
                  ["tmpfs", str(box.work), resources.scratch, "0700"],
                  ["copy", str(box.copy), str(box.work / box.submission)]]
    if method == "bubblewrap" and box.uid is not None:
        steps.append(["own", str(box.work)])  # the copy in it is bound read-only
    if method == "unshare" and box.uid is not None:
        steps += [["own", str(box.work)], ["own", str(box.work / box.submission)]]
    return steps


def kernel_env(box: Box) -> dict[str, str]:
    """Give the kernel's whole environment: nothing of the grader's (no tokens, no paths)."""
    home = str(box.work)
    return {
        "PATH": os.pathsep.join(dict.fromkeys([os.path.dirname(sys.executable), "/usr/local/bin",
                                               "/usr/bin", "/bin"])),
        "HOME": home,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([str(OFFLINE_DIR), *box.paths]),
        "COURSE_BLOCK_NETWORK": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        # One thread each: parallel jobs share the cores (and threads count as processes).
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }


def command(program: Sequence[str], *, box: Box, isolation: Isolation,
            resources: Resources, log: str | None = None) -> list[str]:
    """Build the command that starts ``program`` (a kernel) in the sandbox of ``box``."""
    extra = 0 if box.uid is not None else processes_of(os.getuid())
    config = {"stage": "outside", "limits": resources.limits(extra_processes=extra),
              "wrap": _wrap(isolation.method, box=box, resources=resources),
              "steps": _steps(isolation.method, box, resources),
              "uid": box.uid, "gid": box.gid, "cwd": str(box.work), "env": kernel_env(box),
              "log": log or os.environ.get("COURSE_SANDBOX_LOG") or None}
    return [sys.executable, "-I", "-S", launch.__file__, json.dumps(config), "--", *program]


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that starts its kernel in a sandbox, over Unix sockets.

    Set :attr:`box`, :attr:`isolation` and :attr:`resources` before starting the kernel.
    """

    box: Box | None = None
    isolation: Isolation = Isolation("none", False)
    resources: Resources = Resources()

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """Wrap the kernel spec's command with :func:`command`; make the connection file readable."""
        if self.box is None:
            raise RuntimeError("SandboxKernelManager needs its `box` before the kernel starts.")
        program = super().format_kernel_cmd(extra_arguments)
        if self.box.uid is not None:
            os.chown(self.connection_file, self.box.uid, self.box.uid)
        return command(program, box=self.box, isolation=self.isolation, resources=self.resources)


    def client(self, **kwargs: Any) -> Any:
        """Make a client whose sockets refuse messages over :data:`MAX_MESSAGE` bytes."""
        kc = super().client(**kwargs)
        kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        return kc


MAX_MESSAGE = 32 * MIB
"""The largest message the grader accepts from a kernel; a larger one is dropped unread."""


def manager(box: Box, isolation: Isolation, resources: Resources) -> SandboxKernelManager:
    """Make a :class:`SandboxKernelManager` for ``box``, over Unix sockets in ``box.sockets``."""
    km = SandboxKernelManager(kernel_name="python3", transport="ipc",
                              ip=str(box.sockets / "kernel"),
                              connection_file=str(box.sockets / "connection.json"))
    km.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    km.box, km.isolation, km.resources = box, isolation, resources
    return km


# --------------------------------------------------------------------------- users and processes


def _uids_of_processes() -> dict[int, int]:
    """Map the id of every process to its real user id."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry.name}/status") as handle:
                for line in handle:
                    if line.startswith("Uid:"):
                        found[int(entry.name)] = int(line.split()[1])
                        break
    return found


def _children() -> dict[int, list[int]]:
    """Map the id of every process to the ids of its children."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry.name}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    return children


def sandbox_processes(box: Box, launcher: int | None) -> list[int]:
    """List a sandbox's processes: its user's, or (without one) the launcher and its descendants."""
    if box.uid is not None:
        return [pid for pid, owner in _uids_of_processes().items() if owner == box.uid]
    if launcher is None:
        return []
    children, found, todo = _children(), [], [launcher]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def resident_bytes(pids: Sequence[int]) -> int:
    """Add up the resident memory of ``pids`` (pages in RAM; shared pages count each time)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * page
    return total


def proportional_bytes(pids: Sequence[int]) -> int:
    """Add up the memory of ``pids``, shared pages split between their sharers (PSS).

    Slower than :func:`resident_bytes` (it walks each process's pages), so the watchdog only
    asks when the resident sum, an upper bound, is over its limit: forked processes share their
    parent's pages until they write them.
    """
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * KIB
                        break
    return total


def folder_size(folder: Path, *, most: int = 10_000) -> tuple[int, int]:
    """Bytes and entries under ``folder`` (links not followed), counting at most ``most`` entries."""
    total, entries, todo = 0, 0, [str(folder)]
    while todo and entries < most:
        with contextlib.suppress(OSError), os.scandir(todo.pop()) as listing:
            for entry in listing:
                entries += 1
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_size
    return total, entries


def kill_processes(pids: Sequence[int]) -> None:
    """Send SIGKILL to each of ``pids`` (those already gone are skipped)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def processes_of(uid: int) -> int:
    """How many processes user ``uid`` runs now."""
    return sum(1 for owner in _uids_of_processes().values() if owner == uid)


def free_uid(slot: int, *, taken: Sequence[int] = ()) -> int:
    """Pick an unprivileged user id for parallel job ``slot``: no account, no process, not taken."""
    running = set(_uids_of_processes().values())
    candidate = UID_BASE + slot
    while True:
        try:
            pwd.getpwuid(candidate)
        except KeyError:
            if candidate not in running and candidate not in taken:
                return candidate
        candidate += 64


def kill_user(uid: int, *, rounds: int = 50) -> int:
    """Kill every process of user ``uid`` (a sandbox's own user); return how many were left."""
    if uid == 0 or uid == os.getuid():
        raise ValueError(f"`uid` must be a sandbox's own user, not {uid}.")
    left = 0
    for _ in range(rounds):
        left = 0
        for pid, owner in _uids_of_processes().items():
            if owner == uid:
                left += 1
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        if not left:
            return 0
        time.sleep(0.02)
    return left

