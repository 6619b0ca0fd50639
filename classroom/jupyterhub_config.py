"""JupyterHub configuration for measuring a class on one machine (benchmarks/bench_classroom.py).

A real JupyterHub, configured for a throwaway test and nothing else:

- everything listens on 127.0.0.1 only: the proxy (students' address), the proxy's API and the
  hub's own API;
- ``SharedPasswordAuthenticator`` (part of JupyterHub) accepts only the generated test users
  (``allowed_users``) with one random password made for the run; every other login is refused;
- ``SimpleLocalProcessSpawner`` (part of JupyterHub) starts each student's Jupyter server as a
  local process, with a home folder inside the run's state folder, the network blocked for its
  Python processes (``course_lib/grading/offline/sitecustomize.py``: only loopback works);
- the proxy is ``configurable-http-proxy``: JupyterHub's own (npm) when it is on ``PATH``, else
  its pure-Python port (PyPI ``configurable-http-proxy``), which the course's test set-up installs;
- state (database, cookie secret, pid files, homes) lives in the run's own folder.

It is driven by environment variables that the benchmark sets:

==========================  ========================================================
``COURSE_HUB_DIR``          the run's state folder (created by the benchmark)
``COURSE_HUB_PORT``         the students' port (the proxy), on 127.0.0.1
``COURSE_HUB_API_PORT``     the hub's API port, on 127.0.0.1
``COURSE_HUB_PROXY_PORT``   the proxy's API port, on 127.0.0.1
``COURSE_HUB_USERS``        the test users' names, separated by commas
``COURSE_HUB_PASSWORD``     their shared password (random, per run; at least 8 characters)
==========================  ========================================================

This is not a configuration for a real class: there, use your university's authenticator and a
container spawner (DockerSpawner, KubeSpawner with Zero to JupyterHub), which also keep students
apart. See the README's classroom section.
"""

import os
import shutil
import sys
from pathlib import Path

from course_lib.grading import OFFLINE_DIR

c = get_config()  # noqa: F821  (JupyterHub's config loader provides get_config)

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ["COURSE_HUB_DIR"])
BIN = Path(sys.executable).parent
USERS = {name for name in os.environ["COURSE_HUB_USERS"].split(",") if name}

# Loopback only.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["COURSE_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["COURSE_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(os.environ['COURSE_HUB_PROXY_PORT'])}"
proxy = shutil.which("configurable-http-proxy") or str(BIN / "configurable-http-proxy")
c.ConfigurableHTTPProxy.command = [proxy]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.ConfigurableHTTPProxy.should_start = True

# State of this run only.
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server
c.JupyterHub.cleanup_proxy = True

# Only the generated users, with the run's password.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["COURSE_HUB_PASSWORD"]
c.Authenticator.allowed_users = USERS
c.Authenticator.admin_users = set()

# Each student: a local Jupyter server (JupyterLab's server) and its kernels.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.getuid() == 0 else []
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 300  # a busy 2-core machine starting 20 servers at once
c.Spawner.http_timeout = 300
c.Spawner.environment = {
    "PYTHONPATH": os.pathsep.join([str(OFFLINE_DIR), str(ROOT)]),
    "COURSE_BLOCK_NETWORK": "1",
    "MPLBACKEND": "Agg",
}
c.JupyterHub.concurrent_spawn_limit = 50
c.JupyterHub.active_server_limit = 50
