"""The offline guarantee: processes started by the tests cannot reach the network, and the
notebooks (run by nbval in such processes) still pass."""

import os
import socket
import subprocess
import sys
import textwrap
import threading

from jupyter_client.manager import start_new_kernel

PROBE = textwrap.dedent("""
    import socket, urllib.request
    outcomes = []
    for attempt in (
        lambda: socket.create_connection(("93.184.215.14", 80), timeout=5),
        lambda: urllib.request.urlopen("https://download.pytorch.org", timeout=5),
        lambda: socket.getaddrinfo("pypi.org", 443),
    ):
        try:
            attempt()
            outcomes.append("connected")
        except OSError as exc:
            outcomes.append("blocked" if "network access is blocked" in str(exc) else f"other: {exc}")
    print(outcomes)
""")


def test_child_python_processes_have_the_network_blocked():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            env=os.environ.copy(), timeout=60, check=True)
    assert result.stdout.strip() == "['blocked', 'blocked', 'blocked']"


def test_loopback_still_works_under_the_guard():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
    accepted.start()
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5).close(); print('ok')"
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=os.environ.copy(), timeout=60, check=True)
    finally:
        accepted.join(timeout=5)
        server.close()
    assert result.stdout.strip() == "ok"


def test_notebook_kernels_start_offline():
    """A kernel started the way nbval starts one cannot download anything."""
    printed: list[str] = []

    def collect(message):
        if message["msg_type"] == "stream":
            printed.extend(message["content"]["text"].split())

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        reply = client.execute_interactive(
            "import urllib.request\n"
            "try:\n"
            "    urllib.request.urlopen('https://github.com', timeout=5)\n"
            "    print('ONLINE')\n"
            "except OSError as exc:\n"
            "    print('OFFLINE' if 'network access is blocked' in str(exc) else f'OTHER {exc}')\n",
            timeout=60, output_hook=collect)
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert printed == ["OFFLINE"]
