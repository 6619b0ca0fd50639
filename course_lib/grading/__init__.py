"""Grading handed-in notebooks: grades decided outside the student's kernel, in a sandbox.

``tools/grade.py`` (``make grade``) is the command; this package holds its parts:

- :mod:`.notebook`: one notebook, cell by cell in a sandboxed kernel; after each check cell the
  answer is taken out and judged here (statuses and notes of the gradebook);
- :mod:`.answers`: which exercises a cell checks (``chN.name.check(answer)``, from its code);
- :mod:`.probe`: the grader's side inside the kernel: the answer out, as plain data;
- :mod:`.plain`: plain data between kernel and grader (JSON and ``.npy``, nothing pickled);
- :mod:`.cases`: the inputs a function is graded on (the exercise's own and fresh ones);
- :mod:`.judge`: the verdict, with the exercise's own checker, in the grader's process;
- :mod:`.sandbox` and :mod:`.launch`: limits, namespaces (bubblewrap or unshare), own user;
- ``offline/sitecustomize.py``: the course's network guard for Python processes (see
  :data:`OFFLINE_DIR`), also used by the classroom hub and the test suite.

Nothing here is imported by the notebooks; only :mod:`.probe` (and :mod:`.plain`) runs in a
student's kernel, and only when the grader asks.
"""

from pathlib import Path

OFFLINE_DIR = Path(__file__).resolve().parent / "offline"
"""The folder to put first on ``PYTHONPATH`` (with ``COURSE_BLOCK_NETWORK=1``) to block the
network for a Python process; see ``offline/sitecustomize.py``."""

__all__ = ["OFFLINE_DIR"]
