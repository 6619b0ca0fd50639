"""The project's own files: dependencies declared consistently, notebooks with their Colab header."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CONDA_TO_PYPI = {"pytorch": "torch"}


def _pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _specs(requirements):
    out = {}
    for text in requirements:
        req = Requirement(text)
        out[req.name.lower()] = req.specifier
    return out


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = _pyproject()["project"]
    expected = _specs(project["dependencies"] + project["optional-dependencies"]["lab"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for item in env["dependencies"]:
        if not isinstance(item, str) or item in ("pip",):
            continue
        name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", item).groups()
        conda[CONDA_TO_PYPI.get(name, name).lower()] = spec
    python_spec = conda.pop("python")
    assert python_spec == project["requires-python"]
    assert {name: str(spec) for name, spec in expected.items()} == {
        name: str(Requirement(f"x{spec}").specifier) for name, spec in conda.items()}


def test_torch_has_a_lower_bound_only():
    deps = _specs(_pyproject()["project"]["dependencies"])
    operators = {spec.operator for spec in deps["torch"]}
    assert operators == {">="}, "torch must never be pinned or capped: Colab's own torch must satisfy it"


# Colab's runtimes (its public package list, read on 2026-12-04), beyond what requirements/colab.txt
# pins: the current runtime's Python and torch, which this machine cannot install, and the older
# runtime users can still pick (Python 3.12, numpy 2.0.2, torch 2.8 to 2.11).
COLAB_VERSIONS_NOT_PINNED = {"torch": ["2.11.0", "2.8.0"], "numpy": ["2.0.2"]}


def _colab_pins() -> dict[str, str]:
    """The ``name==version`` pins of requirements/colab.txt (``1.6.*`` read as its first release)."""
    pins = {}
    for line in (ROOT / "requirements" / "colab.txt").read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.*+]*)", line.split("#")[0].strip())
        if match:
            pins[match[1].lower()] = match[2].removesuffix(".*")
    return pins


def test_colab_pins_are_todays_colab():
    pins = _colab_pins()
    expected = {"numpy": "2.1.3", "scipy": "1.16.3", "matplotlib": "3.10.0", "ipywidgets": "7.7.1",
                "ipython": "7.34.0", "traitlets": "5.7.1", "ipykernel": "6.17.1", "anywidget": "0.9.21"}
    assert {name: pins.get(name) for name in expected} == expected


def test_dependency_ranges_admit_every_colab_version():
    project = _pyproject()["project"]
    # What Colab's `pip install course_lib` resolves, and the `lab` extra. The `test` extra is the
    # course's own test machine (it drives Notebook 7 in a browser), never installed in Colab.
    requirements = project["dependencies"] + project["optional-dependencies"]["lab"]
    versions = {name: [version] for name, version in _colab_pins().items()}
    for name, extra in COLAB_VERSIONS_NOT_PINNED.items():
        versions.setdefault(name, []).extend(extra)
    checked = set()
    for text in requirements:
        req = Requirement(text)
        for version in versions.get(req.name.lower(), []):
            assert req.specifier.contains(version, prereleases=True), (
                f"pyproject.toml asks for {text!r}, which refuses Colab's {req.name} {version}")
            checked.add(req.name.lower())
    # the ranges that matter most in Colab were really compared, not skipped for a missing name
    assert {"numpy", "scipy", "matplotlib", "ipywidgets", "torch", "ipykernel"} <= checked


def test_requires_python_admits_colab_and_this_machine():
    spec = Requirement("x" + _pyproject()["project"]["requires-python"]).specifier
    assert all(v in spec for v in ("3.10", "3.11", "3.12", "3.13"))
    assert "3.9" not in spec


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_title_badge_and_colab_setup(path):
    nb = nbformat.read(path, as_version=4)
    title, setup = nb.cells[0], nb.cells[1]
    repository = _pyproject()["project"]["urls"]["Repository"].removeprefix("https://github.com/")
    assert title.cell_type == "markdown"
    assert title.source.startswith("# ")
    assert "colab-badge.svg" not in title.source, "a web image: broken offline; a text link reads"
    assert "[Open in Colab](" in title.source
    assert (f"https://colab.research.google.com/github/{repository}/blob/main/notebooks/{path.name}"
            in title.source)
    assert setup.cell_type == "code"
    assert '"google.colab" in sys.modules' in setup.source
    install_lines = [line for line in setup.source.splitlines() if "pip install" in line]
    assert install_lines, "the Colab branch installs nothing"
    assert all(line.startswith("    ") for line in install_lines), \
        "the install must happen only inside the Colab branch"
    assert not re.search(r"pip install[^\n]*\btorch\b", setup.source), "never reinstall torch"
    assert "--upgrade" not in setup.source
    assert "-U " not in setup.source


def test_repository_address_is_written_in_one_place():
    """Every notebook header is what tools/notebook_header.py generates from pyproject.toml."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "notebook_header.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    url = _pyproject()["project"]["urls"]["Repository"]
    sources = [p for p in ROOT.rglob("*.py") if not any(part.startswith(".venv") for part in p.parts)]
    hand_written = [p for p in sources if url in p.read_text(encoding="utf-8", errors="ignore")]
    assert hand_written == [], f"the repository address is copied into {hand_written}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_executed_and_small(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count for c in code), "commit the notebook executed (make notebooks)"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert path.stat().st_size < 2_000_000, "keep committed notebooks small (figures at a modest dpi)"


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_finds_nothing():
    """course_lib ships py.typed, so its type hints must hold ([tool.mypy] in pyproject.toml)."""
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True,
                            cwd=ROOT, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues found" in result.stdout


def _unannotated(path) -> list[str]:
    """Public functions and methods in ``path`` with a parameter or the return not annotated."""
    import ast

    found = []

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if child.name.startswith("_") and child.name not in ("__init__", "__call__"):
                    continue
                arguments = child.args
                names = [a for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                     arguments.vararg, arguments.kwarg)
                         if a is not None and a.arg not in ("self", "cls")]
                where = f"{path.relative_to(ROOT)}:{child.lineno} {prefix}{child.name}"
                found.extend(f"{where}({a.arg})" for a in names if a.annotation is None)
                if child.returns is None and child.name != "__init__":
                    found.append(f"{where} -> ?")

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def test_the_public_api_is_annotated():
    """Every public function and method says what it takes and returns (PEP 484 hints)."""
    modules = [p for p in (ROOT / "course_lib").rglob("*.py")
               if not p.name.startswith("_") or p.name == "__init__.py"]
    assert len(modules) > 30
    missing = [entry for path in sorted(modules) for entry in _unannotated(path)]
    assert not missing, "\n".join(missing)


def test_pip_install_keeps_the_torch_already_installed(tmp_path):
    """`pip install .` resolves against the environment's own torch (as in Colab) and installs
    nothing but course_lib itself: no torch download, no reinstall."""
    import json
    import os

    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", str(ROOT), "--dry-run", "--no-index",
                    "--no-build-isolation", "--quiet", "--report", str(report)],
                   check=True, capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    planned = [item["metadata"]["name"].lower().replace("-", "_")
               for item in json.loads(report.read_text())["install"]]
    assert planned == ["course_lib"]


def test_the_version_is_written_once():
    import course_lib

    project = _pyproject()["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "course_lib.__version__"}
    from importlib.metadata import version

    assert version("course_lib") == course_lib.__version__


def test_no_path_of_the_reference_machine_in_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    machine_paths = re.compile(r"/opt/wheels|/opt/pypi|/work/main|/root/")
    offenders = [name for name in tracked
                 if name != "tests/test_packaging.py"  # the pattern itself
                 and (ROOT / name).suffix in {".py", ".txt", ".toml", ".md", ".yml", ".cfg", ".mk", ""}
                 and (ROOT / name).is_file()
                 and machine_paths.search((ROOT / name).read_text(errors="ignore"))]
    assert offenders == []
