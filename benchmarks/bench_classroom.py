"""A class on one machine: a real JupyterHub, N simulated students, and the presenter's start-up.

    python benchmarks/bench_classroom.py                       # N = 1, 5, 10, 20, then the presenter
    python benchmarks/bench_classroom.py --students 5          # one class size
    python benchmarks/bench_classroom.py --students 1 5 --no-presenter

For each class size N it starts JupyterHub on 127.0.0.1 with ``classroom/jupyterhub_config.py``
(a local-process spawner, an authenticator that accepts only the N generated users), and, for
every student at once (asyncio, not N browsers):

1. logs in through the hub's login form, asks the hub's REST API for a token and starts the
   student's server;
2. starts a kernel through the server's REST API (behind the hub's proxy) and talks to it over
   the kernel websocket protocol: ``kernel_info`` until it answers (a *ready kernel*), then
   chapter 1's opening cells (the code cells before its first exercise), then the kernel
   explorer, created as the notebook creates it;
3. changes the kernel explorer's preset ``--updates`` times the way a browser does (a widget
   ``comm_msg`` that sets the dropdown's ``index``) and times each change until the new filtered
   image has arrived and the kernel is idle.

It prints, per N: the peak memory per student (resident memory of the student's server and
kernel together, sampled every second; and its proportional share, PSS, at the end), the
hub and proxy's own memory, the time to a ready kernel (login to ``kernel_info_reply``), and the
median and 95th percentile of a kernel-explorer update. Then it stops the servers and the hub,
and checks that no process it started is left (it kills and reports any that is).

Last, the presenter: the time from ``make present`` to the first demo drawn in headless
Chromium (Debian's, at /usr/bin/chromium; skipped with a note when it is missing).

Loopback only; at most ``MAX_STUDENTS`` students; each class size has a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nbformat
import psutil
import websockets
from jupyter_server.services.kernels.connection.base import deserialize_binary_message

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser_servers import CHROMIUM, chromium, free_port, voila  # noqa: E402  (the tests' servers)

HUB_CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
CHAPTER1 = ROOT / "notebooks" / "01_image_filters.ipynb"
BIN = Path(sys.executable).parent
MAX_STUDENTS = 40
HUB_START_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 300
CELL_TIMEOUT_S = 300
UPDATE_TIMEOUT_S = 60
# The explorer computes its pictures in the browser: an update then asks nothing of the hub. The
# classroom's load is measured on the path that does ask: the kernel computes each picture.
EXPLORER_CODE = ("from course_lib.widgets.filters import kernel_explorer\n"
                 "explorer = kernel_explorer()\nexplorer.compute = 'kernel'\nexplorer")
FILTERED_CLASS = "course-filtered-image"


def opening_cells(notebook: Path = CHAPTER1) -> list[str]:
    """Chapter 1's code cells before its first exercise, as a student first runs them."""
    nb = nbformat.read(notebook, as_version=4)
    cells = []
    for cell in nb.cells:
        if "exercise" in cell.metadata.get("tags", []):
            break
        if cell.cell_type == "code" and cell.source.strip():
            cells.append(cell.source)
    return cells


# --------------------------------------------------------------------------- the hub


@dataclass
class Hub:
    """A running JupyterHub: its students' URL, users, password and process."""

    url: str
    users: list[str]
    password: str
    process: subprocess.Popen
    state: Path
    seen: dict[int, psutil.Process] = field(default_factory=dict)  # every process it started
    left_behind: list[str] = field(default_factory=list)  # what outlived stop_hub (then killed)

    def descendants(self) -> list[psutil.Process]:
        """List the hub's processes now (proxy, students' servers, kernels), remembered in ``seen``."""
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.process.pid).children(recursive=True):
                self.seen.setdefault(child.pid, child)
            return psutil.Process(self.process.pid).children(recursive=True)
        return []


def proxy_command() -> str:
    """Find the configurable-http-proxy the hub starts (as classroom/jupyterhub_config.py does)."""
    return shutil.which("configurable-http-proxy") or str(BIN / "configurable-http-proxy")


def _wait_for_hub(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + HUB_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/hub/api/", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"JupyterHub did not answer within {HUB_START_TIMEOUT_S} s:\n"
                       f"{log.read_text()[-3000:]}")


def _alive(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    return False


def stop_hub(hub: Hub) -> list[str]:
    """Stop the hub (which stops the servers and the proxy); kill and name what outlives it."""
    hub.descendants()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(hub.process.pid, signal.SIGTERM)
    try:
        hub.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(hub.process.pid, signal.SIGKILL)
        hub.process.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in hub.seen.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = []
    for process in hub.seen.values():
        if _alive(process):
            with contextlib.suppress(psutil.Error):
                left.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
                process.kill()
    return left


@contextlib.contextmanager
def jupyterhub(n_students: int, state: Path):
    """Start JupyterHub for ``n_students`` generated users on 127.0.0.1; stop it on exit."""
    if not 1 <= n_students <= MAX_STUDENTS:
        raise ValueError(f"`n_students` must be between 1 and {MAX_STUDENTS}; got {n_students!r}.")
    users = [f"student{i:02d}" for i in range(1, n_students + 1)]
    password = secrets.token_urlsafe(16)
    port = free_port()
    env = dict(os.environ)
    env.update({
        "COURSE_HUB_DIR": str(state), "COURSE_HUB_PORT": str(port),
        "COURSE_HUB_API_PORT": str(free_port()), "COURSE_HUB_PROXY_PORT": str(free_port()),
        "COURSE_HUB_USERS": ",".join(users), "COURSE_HUB_PASSWORD": password,
    })
    log = state / "jupyterhub.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(HUB_CONFIG)], cwd=state,
                                   env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    hub = Hub(url=f"http://127.0.0.1:{port}", users=users, password=password, process=process,
              state=state)
    try:
        _wait_for_hub(hub.url, process, log)
        yield hub
    finally:
        hub.left_behind = stop_hub(hub)


# --------------------------------------------------------------------------- a student


@dataclass
class StudentResult:
    """What one student saw: the times to a ready kernel and to each update, or an error."""

    name: str
    ready_s: float | None = None  # login -> kernel_info_reply
    server_s: float | None = None  # login -> server ready
    opening_s: float | None = None  # chapter 1's opening cells
    updates_ms: list[float] = field(default_factory=list)
    error: str = ""
    auth: dict = field(default_factory=dict, repr=False)  # the student's token header


class Kernel:
    """A kernel's websocket (Jupyter's JSON protocol, binary frames for buffers)."""

    def __init__(self, socket_):
        self.ws = socket_
        self.session = uuid.uuid4().hex
        self.comms: dict[str, dict] = {}  # comm id -> the widget's state, as last sent

    def _message(self, msg_type: str, content: dict, channel: str = "shell") -> dict:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self.session,
                  "username": "student", "version": "5.3", "date": ""}
        return {"header": header, "parent_header": {}, "metadata": {}, "content": content,
                "channel": channel, "buffers": []}

    async def receive(self) -> dict:
        """Read one message, keeping the widgets' state up to date."""
        frame = await self.ws.recv()
        message = deserialize_binary_message(frame) if isinstance(frame, bytes) else json.loads(frame)
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "comm_open":
            self.comms[content["comm_id"]] = dict(content.get("data", {}).get("state", {}))
        elif kind == "comm_msg" and content.get("data", {}).get("method") == "update":
            # Later changes, e.g. CSS classes added after the widget was created.
            self.comms.setdefault(content["comm_id"], {}).update(content["data"].get("state", {}))
        return message

    async def request(self, msg_type: str, content: dict, *, until: callable | None = None) -> list[dict]:
        """Send a shell request; gather what answers it until the kernel is idle again."""
        message = self._message(msg_type, content)
        msg_id = message["header"]["msg_id"]
        await self.ws.send(json.dumps(message))
        replies, idle = [], False
        while not idle or (until is not None and not until(replies)):
            answer = await self.receive()
            if answer.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            replies.append(answer)
            if answer["header"]["msg_type"] == "status" and answer["content"]["execution_state"] == "idle":
                idle = True
        return replies

    async def execute(self, code: str) -> None:
        """Run ``code`` in the kernel; raise if the cell fails or takes too long."""
        replies = await asyncio.wait_for(
            self.request("execute_request", {"code": code, "silent": False, "store_history": True,
                                             "user_expressions": {}, "allow_stdin": False,
                                             "stop_on_error": True}),
            CELL_TIMEOUT_S)
        for reply in replies:
            if reply["header"]["msg_type"] == "error":
                raise RuntimeError(f"cell failed: {reply['content']['ename']}: "
                                   f"{reply['content']['evalue']}\n{code[:200]}")

    def widget(self, kind: str) -> tuple[str, dict]:
        """Find the explorer widget of this ``kind`` ("kernel"): its comm id and state."""
        for comm_id, state in self.comms.items():
            if state.get("kind") == kind:
                return comm_id, state
        raise RuntimeError(f"no {kind!r} explorer among {len(self.comms)} comms")

    async def set_widget(self, comm_id: str, state: dict, changed_comm: str) -> None:
        """Update a widget as a browser does; return when ``changed_comm`` has a new picture."""
        content = {"comm_id": comm_id, "data": {"method": "update", "state": state,
                                                "buffer_paths": []}}

        def image_arrived(replies):
            return any(r["header"]["msg_type"] == "comm_msg"
                       and r["content"]["comm_id"] == changed_comm
                       and "result" in json.dumps(r["content"]["data"].get("buffer_paths", []))
                       for r in replies)

        await asyncio.wait_for(self.request("comm_msg", content, until=image_arrived), UPDATE_TIMEOUT_S)


async def run_student(hub: Hub, name: str, cells: list[str], updates: int) -> StudentResult:
    """One student's session, from the login form to the kernel explorer's updates."""
    result = StudentResult(name)
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=hub.url, timeout=REQUEST_TIMEOUT_S) as client:
        try:
            await client.get("/hub/login")
            xsrf = client.cookies.get("_xsrf", "")
            login = await client.post("/hub/login", data={"username": name, "password": hub.password,
                                                         "_xsrf": xsrf})
            if login.status_code != 302:
                raise RuntimeError(f"login answered {login.status_code}")
            token_reply = await client.post(f"/hub/api/users/{name}/tokens", json={"note": "bench"},
                                            headers={"X-XSRFToken": client.cookies.get("_xsrf", xsrf)})
            token_reply.raise_for_status()
            auth = result.auth = {"Authorization": f"token {token_reply.json()['token']}"}
            spawn = await client.post(f"/hub/api/users/{name}/server", headers=auth)
            if spawn.status_code not in (201, 202):
                raise RuntimeError(f"spawn answered {spawn.status_code}: {spawn.text[:200]}")
            while True:
                model = (await client.get(f"/hub/api/users/{name}", headers=auth)).json()
                if model.get("servers", {}).get("", {}).get("ready"):
                    break
                if time.monotonic() - start > REQUEST_TIMEOUT_S:
                    raise RuntimeError("the server was not ready in time")
                await asyncio.sleep(0.5)
            result.server_s = time.monotonic() - start
            reply = await client.post(f"/user/{name}/api/kernels", json={"name": "python3"},
                                      headers=auth)
            reply.raise_for_status()
            kernel_id = reply.json()["id"]
            ws_url = f"{hub.url.replace('http', 'ws', 1)}/user/{name}/api/kernels/{kernel_id}/channels"
            async with websockets.connect(ws_url, additional_headers=auth, max_size=None,
                                          open_timeout=REQUEST_TIMEOUT_S) as ws:
                kernel = Kernel(ws)
                await asyncio.wait_for(kernel.request("kernel_info_request", {}), REQUEST_TIMEOUT_S)
                result.ready_s = time.monotonic() - start
                began = time.monotonic()
                for code in cells:
                    await kernel.execute(code)
                result.opening_s = time.monotonic() - began
                await kernel.execute(EXPLORER_CODE)
                explorer_id, explorer = kernel.widget("kernel")
                # Named presets, each different from the one shown.
                names = list(explorer["presets"])
                index = names.index(explorer["preset"])
                for _ in range(updates):
                    index = (index + 1) % len(names)
                    began = time.monotonic()
                    await kernel.set_widget(explorer_id, {"preset": names[index]}, explorer_id)
                    result.updates_ms.append((time.monotonic() - began) * 1e3)
        except Exception as exc:  # a failed student is reported, the others go on
            result.error = f"{type(exc).__name__}: {str(exc)[:300]}"
    return result


async def refused_logins(hub: Hub) -> list[str]:
    """Logins the hub must refuse: an unknown user, a known one with a wrong password."""
    accepted = []
    async with httpx.AsyncClient(base_url=hub.url, timeout=60) as client:
        for name, password in [("intruder", hub.password), (hub.users[0], "wrong-password")]:
            client.cookies.clear()
            await client.get("/hub/login")
            reply = await client.post("/hub/login", data={"username": name, "password": password,
                                                          "_xsrf": client.cookies.get("_xsrf", "")})
            if reply.status_code == 302:
                accepted.append(name)
    return accepted


# --------------------------------------------------------------------------- memory


def student_memory(hub: Hub, *, pss: bool = False) -> dict[str, int]:
    """Bytes used by each student's processes (server + kernels): RSS, or PSS when ``pss``."""
    used: dict[str, int] = {}
    for process in hub.descendants():
        with contextlib.suppress(psutil.Error):
            user = process.environ().get("JUPYTERHUB_USER")
            if user is None:
                continue
            info = process.memory_full_info() if pss else process.memory_info()
            used[user] = used.get(user, 0) + (info.pss if pss else info.rss)
    return used


def hub_memory(hub: Hub) -> int:
    """Resident bytes of the hub and its proxy (the class's fixed cost)."""
    total = 0
    with contextlib.suppress(psutil.Error):
        total += psutil.Process(hub.process.pid).memory_info().rss
    for process in hub.descendants():
        with contextlib.suppress(psutil.Error):
            if "JUPYTERHUB_USER" not in process.environ():
                total += process.memory_info().rss
    return total


async def sample_memory(hub: Hub, peaks: dict[str, int], stop: asyncio.Event) -> None:
    """Keep each student's peak memory in ``peaks``, sampled every second until ``stop``."""
    while not stop.is_set():
        for user, rss in (await asyncio.to_thread(student_memory, hub)).items():
            peaks[user] = max(peaks.get(user, 0), rss)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


# --------------------------------------------------------------------------- one class


@dataclass
class ClassResult:
    """One class's run: every student's result, their memory, and the refused logins."""

    students: int
    results: list[StudentResult]
    peak_rss: dict[str, int]
    pss: dict[str, int]
    hub_rss: int
    refused: bool
    left_behind: list[str]
    seconds: float


async def _class(hub: Hub, cells: list[str], updates: int, time_limit: float):
    peaks: dict[str, int] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(hub, peaks, stop))
    accepted = await refused_logins(hub)
    tasks = [asyncio.create_task(run_student(hub, name, cells, updates)) for name in hub.users]
    done, pending = await asyncio.wait(tasks, timeout=time_limit)
    for task in pending:
        task.cancel()
    results = [t.result() if t in done else StudentResult(name, error=f"over {time_limit:g} s")
               for t, name in zip(tasks, hub.users, strict=True)]
    stop.set()
    await sampler
    pss = await asyncio.to_thread(student_memory, hub, pss=True)  # every session still open
    fixed = hub_memory(hub)
    async with httpx.AsyncClient(base_url=hub.url, timeout=REQUEST_TIMEOUT_S) as client:
        await asyncio.gather(*(client.delete(f"/hub/api/users/{r.name}/server", headers=r.auth)
                               for r in results if r.auth), return_exceptions=True)
    return results, peaks, pss, fixed, not accepted


def run_class(n_students: int, *, updates: int = 10, time_limit: float | None = None) -> ClassResult:
    """Measure one class of ``n_students`` on a fresh hub; everything is stopped at the end."""
    cells = opening_cells()
    limit = time_limit or 120 + 30 * n_students
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="course-hub-") as tmp:
        state = Path(tmp)
        with jupyterhub(n_students, state) as hub:
            results, peaks, pss, hub_rss, refused = asyncio.run(_class(hub, cells, updates, limit))
    return ClassResult(n_students, results, peaks, pss, hub_rss, refused, hub.left_behind,
                       time.monotonic() - began)


# --------------------------------------------------------------------------- presenter


def presenter_first_demo_s() -> float | None:
    """Seconds from `make present` to the first demo drawn in headless Chromium (None: no browser)."""
    if not CHROMIUM.exists():
        return None
    with tempfile.TemporaryDirectory(prefix="course-presenter-") as tmp, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        with voila(Path(tmp)) as server:
            page.goto(server.url, wait_until="commit", timeout=240_000)
            page.wait_for_function(
                """(selector) => { const canvas = document.querySelector(selector);
                   return Boolean(canvas && Number(canvas.dataset.paints || 0) > 0); }""",
                arg=f".course-kernel-explorer canvas.{FILTERED_CLASS}", timeout=240_000, polling=50)
            seconds = time.monotonic() - server.started
            page.close(run_before_unload=True)
    return seconds


# --------------------------------------------------------------------------- report


def _mib(n: float) -> str:
    return f"{n / 2**20:7.0f}"


def report(result: ClassResult) -> str:
    """Summarise one class's run as a few lines of text."""
    ok = [r for r in result.results if not r.error]
    updates = sorted(u for r in ok for u in r.updates_ms)
    ready = [r.ready_s for r in ok]
    rss = list(result.peak_rss.values())
    pss = list(result.pss.values())

    def p95(values):
        return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]

    cells = [f"{result.students:>3}", f"{len(ok):>3}/{result.students:<3}"]
    cells += [(_mib(statistics.median(rss)) if rss else "      -") + (_mib(max(rss)) if rss else "      -")]
    cells += [_mib(statistics.median(pss)) if pss else "      -", _mib(result.hub_rss)]
    cells += [f"{statistics.median(ready):8.1f}{max(ready):8.1f}" if ready else "       -       -"]
    cells += [f"{statistics.median(updates):8.0f}{p95(updates):8.0f}" if updates else "       -       -"]
    cells += [f"{result.seconds:7.0f}", "yes" if result.refused else "NO",
              "none" if not result.left_behind else f"{len(result.left_behind)} KILLED"]
    return "  ".join(cells)


HEADER = ("  N  ok       peak RSS MiB   PSS MiB  hub+proxy  ready s (med, max)  update ms "
          "(med, p95)  total s  strangers refused  left behind\n"
          "                 med    max      med        MiB")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 5, 10, 20],
                        help="class sizes to measure (default: 1 5 10 20)")
    parser.add_argument("--updates", type=int, default=10,
                        help="kernel-explorer updates per student (default 10)")
    parser.add_argument("--no-presenter", action="store_true", help="skip the presenter's timing")
    args = parser.parse_args(argv)
    for n in args.students:
        if not 1 <= n <= MAX_STUDENTS:
            parser.error(f"--students must be between 1 and {MAX_STUDENTS}; got {n}")
    if args.updates < 1:
        parser.error(f"--updates must be at least 1; got {args.updates}")
    print(f"machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB memory, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    print(f"chapter 1's opening cells: {len(opening_cells())}; {args.updates} kernel-explorer "
          "updates per student; proxy: " + proxy_command())
    print(HEADER)
    failed = False
    for n in args.students:
        result = run_class(n, updates=args.updates)
        print(report(result), flush=True)
        for student in result.results:
            if student.error:
                print(f"     {student.name}: {student.error}")
        for line in result.left_behind:
            print(f"     left behind (killed): {line}")
        failed |= bool(result.left_behind) or not result.refused or any(r.error for r in result.results)
    if not args.no_presenter:
        seconds = presenter_first_demo_s()
        print("presenter: make present -> first demo drawn: "
              + (f"{seconds:.1f} s" if seconds is not None else "skipped (no /usr/bin/chromium)"))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
