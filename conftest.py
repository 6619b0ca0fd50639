"""Test-suite set-up shared by every test, notebook and doctest.

It lives at the root so that ``pytest notebooks`` alone is covered too.

Every process the tests start (nbval's notebook kernels, the Jupyter server of the browser tests,
the Colab-like environment's run) inherits an environment that blocks the network: see
``course_lib/grading/offline/sitecustomize.py``. So running the notebooks under nbval *is* the offline test.
"""

import os
from pathlib import Path

import matplotlib

from course_lib.grading import OFFLINE_DIR

matplotlib.use("Agg")

# sitecustomize.py is for child processes, not a module to import here (for its doctests);
# tests/hostile/ holds hostile submissions for the grader's tests, never to run under nbval.
collect_ignore = [str(OFFLINE_DIR.relative_to(Path(__file__).resolve().parent)), "tests/hostile"]


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
