"""Test-suite set-up shared by every test, notebook and doctest.

It lives at the root so that ``pytest notebooks`` alone is covered too.

Every process the tests start (nbval's notebook kernels, the Jupyter server of the browser tests,
the Colab-like environment's run) inherits an environment that blocks the network: see
``tests/offline/sitecustomize.py``. So running the notebooks under nbval *is* the offline test.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

OFFLINE_DIR = Path(__file__).resolve().parent / "tests" / "offline"
collect_ignore = ["tests/offline"]  # sitecustomize.py is for child processes, not a test module


def _block_network_for_child_processes() -> None:
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    paths = [str(OFFLINE_DIR), *inherited]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    os.environ["COURSE_BLOCK_NETWORK"] = "1"


_block_network_for_child_processes()


def pytest_configure(config):
    """Keep a notebook's cells on one worker.

    With ``pytest -n N`` the cells of a notebook share a kernel and must run in order, so xdist's
    default ``load`` distribution becomes ``loadscope``.
    """
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadscope"
