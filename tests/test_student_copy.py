"""Tests of tools/student_copy.py on a small teacher notebook written by the test."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "student_copy.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("student_copy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def teacher_notebook() -> nbformat.NotebookNode:
    v4 = nbformat.v4
    exercise = v4.new_code_cell(
        "def my_conv2d(image, kernel):\n    ...  # your code here\n\nch1.conv2d.check(my_conv2d)",
        metadata={"tags": ["exercise"]}, execution_count=5,
        outputs=[v4.new_output("display_data", data={"text/plain": "Not attempted yet: ..."})])
    solution = v4.new_code_cell(
        "ch1.conv2d.solution()", execution_count=6,
        metadata={"tags": ["solution"], "jupyter": {"source_hidden": True, "outputs_hidden": True}},
        outputs=[v4.new_output("stream", name="stdout", text="Solution: def my_conv2d...")])
    plain = v4.new_code_cell("1 + 1", execution_count=7,
                             outputs=[v4.new_output("execute_result", data={"text/plain": "2"},
                                                    execution_count=7)])
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Chapter"), exercise, solution, plain,
                                v4.new_markdown_cell("Solution tag on markdown too",
                                                     metadata={"tags": ["solution"]})])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


@pytest.fixture
def notebook(tmp_path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    path = folder / "01_demo.ipynb"
    nbformat.write(teacher_notebook(), path)
    return path


def test_student_copy_drops_solutions_and_clears_exercise_outputs(notebook, tmp_path, capsys):
    tool = load_tool()
    out = tmp_path / "student"
    assert tool.main([str(notebook), "--out", str(out)]) == 0
    assert "2 solution cells removed, 1 exercise cells cleared" in capsys.readouterr().out
    copy = nbformat.read(out / notebook.name, as_version=4)
    nbformat.validate(copy)
    sources = [c.source for c in copy.cells]
    assert not any("solution()" in s or "Solution tag" in s for s in sources)
    assert len(copy.cells) == 3
    exercise = copy.cells[1]
    assert "my_conv2d" in exercise.source
    assert exercise.outputs == []
    assert exercise.execution_count is None
    plain = copy.cells[2]
    assert plain.outputs[0]["data"]["text/plain"] == "2"
    assert plain.execution_count == 7
    assert "widgets" not in copy.metadata


def test_teacher_notebook_is_left_untouched(notebook, tmp_path):
    before = notebook.read_text()
    load_tool().write_student_copy(notebook, tmp_path / "out")
    assert notebook.read_text() == before
    assert len(nbformat.read(notebook, as_version=4).cells) == 5


def test_refuses_to_overwrite_the_teacher_notebook_and_missing_files(notebook, tmp_path):
    tool = load_tool()
    with pytest.raises(ValueError, match="`out_dir` must differ"):
        tool.write_student_copy(notebook, notebook.parent)
    with pytest.raises(FileNotFoundError, match="`source` must be an existing notebook"):
        tool.write_student_copy(tmp_path / "missing.ipynb", tmp_path / "out")


def test_command_line_runs_as_documented(notebook, tmp_path):
    out = tmp_path / "handout"
    result = subprocess.run([sys.executable, str(SCRIPT), str(notebook), "--out", str(out)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert (out / notebook.name).is_file()
