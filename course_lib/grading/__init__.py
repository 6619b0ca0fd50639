"""Grading handed-in notebooks: grades decided outside the student's kernel, in a sandbox.

``tools/grade.py`` (``make grade``) is the command; this package holds its parts:

- ``offline/sitecustomize.py``: the course's network guard for Python processes (see
  :data:`OFFLINE_DIR`), also used by the classroom hub and the test suite.
"""

from pathlib import Path

OFFLINE_DIR = Path(__file__).resolve().parent / "offline"
"""The folder to put first on ``PYTHONPATH`` (with ``COURSE_BLOCK_NETWORK=1``) to block the
network for a Python process; see ``offline/sitecustomize.py``."""

__all__ = ["OFFLINE_DIR"]
