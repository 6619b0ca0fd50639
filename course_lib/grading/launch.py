"""Start a program inside the grader's sandbox (a script: the standard library only).

:mod:`course_lib.grading.sandbox` runs a submission's kernel as::

    python -I -S launch.py CONFIG -- PROGRAM ARGS...

``-I -S``: nothing from the environment (``PYTHONPATH``, site-packages, a ``sitecustomize``)
is imported before the sandbox is in place. ``CONFIG`` is JSON. The launcher runs twice:

- **outside** (``"stage": "outside"``), in the process the kernel manager started (its own
  process group): it asks to be killed when the grader dies, sets the resource limits
  (inherited by everything started below), sends its own output to ``/dev/null``, then starts
  the namespaces (``bwrap`` or ``unshare``, as ``wrap``) around a second run of itself;
- **inside** (``"stage": "inside"``): in ``unshare`` mode it mounts the private temporary
  folders, copies the submission in; then it leaves root for the sandbox's own user (when it
  runs as root), moves to the working folder and replaces itself by the program, with a clean
  environment (only ``env``).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC = 1, 2, 4, 32, 4096, 16384
_LIMITS = {"memory": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU,
           "processes": resource.RLIMIT_NPROC, "file_size": resource.RLIMIT_FSIZE,
           "open_files": resource.RLIMIT_NOFILE, "core": resource.RLIMIT_CORE}


def set_limits(limits: dict[str, int]) -> None:
    """Lower this process's resource limits (``memory``, ``cpu``, ``processes``, ...) to ``limits``."""
    for name, value in limits.items():
        which = _LIMITS[name]
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    """Ask the kernel (Linux) to kill this process when the one that started it ends."""
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent already left
            os._exit(1)


def _quiet(log: str | None) -> None:
    """Send this process's standard streams to /dev/null (nobody reads them, nothing piles up).

    ``log``: a file for the output instead (to find out why a sandbox does not start).
    """
    devnull = os.open(os.devnull, os.O_RDWR)
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if log else devnull
    os.dup2(devnull, 0)
    for stream in (1, 2):
        os.dup2(target, stream)
    os.close(devnull)
    if target != devnull:
        os.close(target)


def _mount_tmpfs(path: str, size: int, mode: str) -> None:
    os.makedirs(path, exist_ok=True)
    options = f"size={size},mode={mode}".encode()
    if _libc().mount(b"tmpfs", path.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mounting a tmpfs on {path}: {os.strerror(error)}")


def _bind(source: str, target: str, *, read_only: bool) -> None:
    libc = _libc()
    if libc.mount(source.encode(), target.encode(), None, _MS_BIND | _MS_REC, None) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"binding {source} on {target}: {os.strerror(error)}")
    flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV
    if read_only and libc.mount(None, target.encode(), None, flags, None) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"making {target} read-only: {os.strerror(error)}")


def _drop_user(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:  # pragma: no cover - the kernel refused
        raise OSError(f"could not become user {uid}")


def inside(config: dict[str, Any], program: list[str]) -> None:
    """Take the sandbox's last step: private folders, another user, a clean environment, exec.

    ``config["steps"]`` run in order: ``["keep", path]`` (remember a folder that a tmpfs is
    about to hide), ``["tmpfs", path, size, mode]``, ``["rebind"]`` (show the kept folders
    again), ``["copy", source, target]``, ``["own", path]`` (give it to the sandbox's user).
    """
    kept: list[tuple[int, str, bool]] = []
    uid: int | None = config.get("uid")
    gid: int = config.get("gid") or 0
    for step, *args in config.get("steps", []):
        if step == "keep":
            kept.append((os.open(args[0], os.O_PATH | os.O_DIRECTORY), args[0], bool(args[1])))
        elif step == "tmpfs":
            _mount_tmpfs(*args)
        elif step == "rebind":
            for handle, path, read_only in kept:
                os.makedirs(path, exist_ok=True)
                _bind(f"/proc/self/fd/{handle}", path, read_only=read_only)
                os.close(handle)
            kept = []
        elif step == "copy":
            shutil.copyfile(*args)
        elif step == "own" and uid is not None:
            os.chown(args[0], uid, gid)
    if uid is not None and os.getuid() == 0:
        _drop_user(uid, gid)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the kernel's interrupts are for it alone
    os.chdir(config["cwd"])
    os.umask(0o077)
    os.execve(program[0], program, config["env"])


def outside(config: dict[str, Any], program: list[str]) -> None:
    """Take the sandbox's first step: die with the grader, limits, silence, the namespaces."""
    _die_with_parent()
    # An interrupt goes to the whole process group: bwrap and unshare ignore it (they would
    # die of it, and the sandbox with them); the inside stage restores it for the kernel.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_limits(config["limits"])
    _quiet(config.get("log"))
    wrap = config.get("wrap") or []
    inner = dict(config, stage="inside")
    if not wrap:
        inside(inner, program)
        return
    command = [*wrap, sys.executable, "-I", "-S", os.path.abspath(__file__), json.dumps(inner),
               "--", *program]
    os.execvp(command[0], command)


def main(argv: list[str]) -> None:
    """Run one stage: ``launch.py CONFIG -- PROGRAM ARGS...``."""
    if len(argv) < 4 or argv[2] != "--":
        raise SystemExit("usage: launch.py CONFIG -- PROGRAM ARGS...")
    config = json.loads(argv[1])
    program = argv[3:]
    if config["stage"] == "outside":
        outside(config, program)
    else:
        inside(config, program)


if __name__ == "__main__":
    main(sys.argv)
