"""Start JupyterLab or Voilà on localhost and drive it with headless Chromium (for test_browser.py).

Everything a server touches lives in one temporary folder: a copy of the notebooks (the browser
runs and may save them; the committed ones stay untouched), the Jupyter config, data, runtime and
settings folders and the IPython profile, so a run never depends on, nor writes to, the user's home.
Servers listen on 127.0.0.1 on a free port, in their own process group, and are stopped (the whole
group) when the test that started them ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
STARTUP_TIMEOUT_S = 90


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_chromium() -> None:
    """Skip when Debian's Chromium is missing, except in CI (``CI=true``), where it is a failure."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI requires the browser tests)")
    pytest.skip(message)


@dataclass
class Server:
    """A running Jupyter server: its base URL, working folder, log file and start time."""

    url: str
    root: Path
    log: Path
    process: subprocess.Popen
    started: float  # time.monotonic() when its command was launched

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _isolated_env(home: Path) -> dict[str, str]:
    """Environment for a server whose Jupyter/IPython/matplotlib state lives under ``home``."""
    env = dict(os.environ)
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
        "IPYTHONDIR": home / "ipython",
        "MPLCONFIGDIR": home / "matplotlib",
        "TMPDIR": home / "tmp",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _lab_config(home: Path, root: Path, port: int) -> Path:
    """Write the server config (no token, no xsrf, app exposed as ``window.jupyterapp``)."""
    config = home / "config" / "jupyter_server_config.py"
    config.write_text(textwrap.dedent(f"""\
        from jupyterlab.galata import configure_jupyter_server

        configure_jupyter_server(c)
        c.ServerApp.ip = "127.0.0.1"
        c.ServerApp.port = {port}
        c.ServerApp.port_retries = 0
        c.ServerApp.root_dir = {str(root)!r}
        c.ServerApp.allow_root = True
        c.ServerApp.open_browser = False
        c.LabApp.news_url = None
        c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
        c.LabApp.workspaces_dir = {str(home / "lab-workspaces")!r}
        c.LabApp.user_settings_dir = {str(home / "lab-settings")!r}
        c.JupyterNotebookApp.expose_app_in_browser = True
        """))
    # The same switch as `jupyter labextension disable ...:announcements` (no news toast).
    labconfig = home / "config" / "labconfig"
    labconfig.mkdir(exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # Render every cell, also those scrolled out of view, so the test sees every widget.
    tracker = home / "lab-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    return config


def _answers(url: str, port: int) -> bool:
    """Whether the server is up: ``url`` answers 200, or (no ``url``) the port accepts connections."""
    if url is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0
    with contextlib.suppress(OSError, urllib.error.URLError):
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    return False


def _wait_until_up(url: str | None, port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        if _answers(url, port):
            return
        time.sleep(0.5)
    raise RuntimeError(f"server on port {port} did not answer within {STARTUP_TIMEOUT_S} s:\n"
                       f"{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """Stop a server and its kernels: SIGTERM to its process group, then SIGKILL if need be."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def _serve(command: list[str], *, home: Path, root: Path, port: int, status_url: str | None):
    env = _isolated_env(home)
    log = home / "server.log"
    started = time.monotonic()
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(status_url, port, process, log)
        yield Server(url=f"http://127.0.0.1:{port}", root=root, log=log, process=process,
                     started=started)
    finally:
        stop(process)


def copy_course(dest: Path) -> Path:
    """Copy the chapter notebooks and the classroom notebook into ``dest``; return ``dest``."""
    shutil.copytree(ROOT / "notebooks", dest / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "classroom", dest / "classroom",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


@contextlib.contextmanager
def jupyter_lab(tmp: Path):
    """JupyterLab (and, from the same server, Notebook 7) serving a copy of the course."""
    home, root = tmp / "home", copy_course(tmp / "course")
    port = free_port()
    _isolated_env(home)  # creates the folders the config is written into
    config = _lab_config(home, root, port)
    command = [sys.executable, "-m", "jupyterlab", f"--config={config}"]
    status = f"http://127.0.0.1:{port}/api/status"
    with _serve(command, home=home, root=root, port=port, status_url=status) as server:
        yield server


def make_recipe(target: str, **variables: str) -> str:
    """The shell command ``make <target>`` runs, as the Makefile writes it (``make -n``), for the
    environment running the tests (``VENV`` = this interpreter's prefix, its set-up taken as done)."""
    prefix = Path(sys.prefix)
    command = ["make", "--no-print-directory", "-n", "-o", f"{prefix}/.installed", target,
               f"VENV={prefix}", *(f"{name}={value}" for name, value in variables.items())]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode or len(lines) != 1:
        raise RuntimeError(f"`make -n {target}` should print one command; it printed "
                           f"(exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return lines[0]


def in_course(command: str, root: Path) -> list[str]:
    """Run a Makefile recipe from a copy of the course in ``root`` (its paths are relative)."""
    return ["bash", "-c", f"cd {shlex.quote(str(root))} && exec {command}"]


@contextlib.contextmanager
def make_lab(tmp: Path):
    """`make lab` exactly as the README says, on a free port, no browser, no token."""
    home, root = tmp / "home", copy_course(tmp / "course")
    port = free_port()
    args = (f"--no-browser --port={port} --ServerApp.port_retries=0 --ServerApp.ip=127.0.0.1 "
            "--IdentityProvider.token=")
    command = in_course(make_recipe("lab", LAB_ARGS=args), root)
    status = f"http://127.0.0.1:{port}/api/status"
    with _serve(command, home=home, root=root, port=port, status_url=status) as server:
        yield server


@contextlib.contextmanager
def voila(tmp: Path, *, prepare=None):
    """`make present` (the classroom view in Voilà) from a copy of the course, no browser.

    ``prepare``, if given, is called with the copy's folder before Voilà starts (a benchmark
    changes the copied presenter there).
    """
    home, root = tmp / "home", copy_course(tmp / "course")
    if prepare is not None:
        prepare(root)
    port = free_port()
    command = in_course(make_recipe("present", PORT=str(port), VOILA_ARGS="--no-browser"), root)
    # matplotlib builds its font cache once per machine, on its first import; do it here, for
    # this run's fresh config folder, so the timed start-up is that of a teacher's second start.
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                   env=_isolated_env(home), check=True, timeout=120)
    # Voilà runs the notebook on each page load, so wait for the port, not for a page.
    with _serve(command, home=home, root=root, port=port, status_url=None) as server:
        yield server


def kernel_pids(server: Server) -> list[int]:
    """Process ids of the kernels a server runs now (its live ``ipykernel`` descendants)."""
    import psutil

    pids = []
    for child in psutil.Process(server.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                pids.append(child.pid)
    return pids


@contextlib.contextmanager
def chromium():
    """A headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, name: str, **options) -> Path:
    """Save a screenshot of ``page`` (or of a locator) under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), **options)
    return path
