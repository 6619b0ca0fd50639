"""Block the network for every Python process started by the test suite.

pytest's conftest puts this folder first on PYTHONPATH and sets COURSE_BLOCK_NETWORK=1, so each
notebook kernel that nbval (or the browser test's Jupyter server) starts imports this module at
start-up. Connections to loopback addresses (the kernel's own channels, local servers) still work;
anything else raises ``OSError`` at once, so a notebook that tries to download fails loudly.
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
                  f"network access is blocked in the course's offline tests (tried {target!r})")


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

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo


if os.environ.get("COURSE_BLOCK_NETWORK") == "1":
    _install()
