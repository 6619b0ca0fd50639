"""Block the network for Python processes: the course's offline guard.

A process started with this folder first on ``PYTHONPATH`` and ``COURSE_BLOCK_NETWORK=1`` in its
environment imports this module at start-up (Python imports ``sitecustomize`` by itself), and
from then on refuses to connect anywhere but to loopback addresses. Connections to loopback (a
kernel's own channels, local servers) still work; anything else raises ``OSError`` at once, so
a notebook that tries to download fails loudly. Three users set it up:

- the grader (``tools/grade.py``, :mod:`course_lib.grading.sandbox`): every submission's kernel.
  There it is the first layer only, a clear message; a network namespace, where the machine
  allows one, is what a submission cannot undo;
- the classroom hub (``classroom/jupyterhub_config.py``): every student's server and kernels;
- the test suite (``conftest.py``): every process the tests start, nbval's kernels included.

It is a guard against accidents (a forgotten download), not against code that wants the network:
such code can undo it (for instance by starting another program).
"""

import errno
import ipaddress
import os
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or str(host).lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(target):
    raise OSError(errno.ENETUNREACH,
                  f"network access is blocked: the course runs offline here (tried {target!r})")


def _install():
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            _refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


if os.environ.get("COURSE_BLOCK_NETWORK") == "1":
    _install()
