"""Run every notebook and the widget tests in the Colab-like environment (.venv-colab).

The environment holds Google Colab's versions of the key packages (requirements/colab.txt:
ipywidgets 7.7.1, numpy 2.1.3, matplotlib 3.10.0, ...). `make colab-env` builds it; `make test`
builds it before running the tests.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.colab

ROOT = Path(__file__).resolve().parents[1]
COLAB_PYTHON = ROOT / ".venv-colab" / "bin" / "python"
REQUIREMENTS = ROOT / "requirements" / "colab.txt"
WIDGET_TESTS = [
    "tests/test_widgets_filters.py",
    "tests/test_widgets_layers.py",
    "tests/test_widgets_activations.py",
    "tests/test_widgets_training.py",
    "tests/test_quiz.py",
    "tests/test_frontend.py",  # course_lib.doctor() with Colab's ipywidgets 7.7.1
]
# Distribution name in requirements/colab.txt -> module whose __version__ we read.
MODULES = {
    "ipywidgets": "ipywidgets",
    "ipykernel": "ipykernel",
    "ipython": "IPython",
    "traitlets": "traitlets",
    "anywidget": "anywidget",
    "numpy": "numpy",
    "scipy": "scipy",
    "matplotlib": "matplotlib",
    "scikit-learn": "sklearn",
    "scikit-image": "skimage",
    "torch": "torch",
}


def colab_python() -> Path:
    if not COLAB_PYTHON.exists():
        pytest.fail(f"{COLAB_PYTHON.relative_to(ROOT)} is missing: run `make colab-env`")
    return COLAB_PYTHON


def pinned_versions() -> dict[str, str]:
    """The ``name==version`` lines of requirements/colab.txt (version may end in ``.*``)."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.*+]*)", line.split("#")[0].strip())
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    # The inherited environment keeps conftest's network block (course_lib/grading/offline on PYTHONPATH).
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    return subprocess.run([str(colab_python()), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_colab_env_has_colabs_versions():
    pins = pinned_versions()
    assert set(MODULES) <= set(pins), f"requirements/colab.txt should pin {sorted(MODULES)}"
    script = ";".join([*(f"import {module}; print({name!r}, {module}.__version__)"
                         for name, module in MODULES.items()),
                       "import course_lib; print('course_lib', course_lib.__file__)"])
    result = run(["-c", script], timeout=120)
    assert result.returncode == 0, result.stderr
    installed = dict(line.split() for line in result.stdout.splitlines())
    # course_lib is this checkout (editable install), not a copy from some index.
    assert installed.pop("course_lib") == str(ROOT / "course_lib" / "__init__.py")
    assert installed["ipywidgets"] == "7.7.1"
    for name, pin in pins.items():
        if name not in MODULES:
            continue
        version = installed[name].split("+")[0]  # torch's local tag: 2.13.0+cpu
        if pin.endswith(".*"):
            assert version.startswith(pin[:-1]), f"{name}: {version}, expected {pin}"
        else:
            assert version == pin, f"{name}: {version}, expected {pin}"


def test_notebooks_and_widget_tests_pass_in_colab_env():
    missing = [path for path in WIDGET_TESTS if not (ROOT / path).exists()]
    assert not missing, f"widget test files not found: {missing}"
    result = run(["-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q",
                  "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=300",
                  "notebooks/", *WIDGET_TESTS], timeout=1500)
    summary = result.stdout[-6000:]
    assert result.returncode == 0, f"Colab-like run failed:\n{summary}\n{result.stderr[-2000:]}"
    assert re.search(r"\d+ passed", summary), summary
    assert not re.search(r"\d+ (skipped|xfailed|error)", summary), summary
