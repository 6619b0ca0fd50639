"""course_lib.doctor(): the front end told from its traces, each known cause found, the probe widget.

The front ends the tests cannot start (Colab, VS Code, an old JupyterLab) are faked by their
facts; the real ones are tested elsewhere: a Jupyter kernel here (nbclient), JupyterLab in
Chromium in test_browser.py, and the Colab-like environment (ipywidgets 7.7.1) runs this file.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

import course_lib
from course_lib import frontend as F

GOOD = {"ipywidgets": "8.1.9", "jupyterlab": "4.6.6", "jupyterlab_widgets": "3.0.17",
        "notebook": "7.6.5", "widgetsnbextension": "4.0.16", "anywidget": "0.9.21"}


def facts(front_end: str, **versions: str | None) -> F.Facts:
    installed = dict(F.gather_facts().versions)
    installed.update(GOOD)
    installed.update(versions)
    return F.Facts("3.13.0", "Linux x86_64", front_end, installed)


def problems(found: list[F.Finding]) -> list[str]:
    return [finding.what for finding in found if finding.level == "problem"]


# --- which front end ------------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "modules", "user_ns", "expected"), [
    ({}, {"google.colab": object()}, {}, F.COLAB),
    ({"COLAB_RELEASE_TAG": "release-colab-20260825"}, {}, {}, F.COLAB),
    ({"JPY_PARENT_PID": "1"}, {}, {"__vsc_ipynb_file__": "/home/me/01.ipynb"}, F.VSCODE),
    ({"VSCODE_PID": "4242", "JPY_PARENT_PID": "1"}, {}, {}, F.VSCODE),
    ({"VOILA_KERNEL_ID": "abc", "JPY_PARENT_PID": "1"}, {}, {}, F.VOILA),
    ({"JPY_SESSION_NAME": "notebooks/01.ipynb", "JPY_PARENT_PID": "1"}, {}, {}, F.JUPYTER),
    ({}, {}, {}, F.KERNEL),
    ({"JPY_PARENT_PID": "1"}, {}, None, F.NO_KERNEL),
])
def test_front_end_is_told_from_its_traces(environ, modules, user_ns, expected):
    assert F.detect_front_end(environ, modules, user_ns) == expected


def test_outside_a_notebook_the_doctor_says_so(capsys):
    report = course_lib.doctor()  # pytest runs no IPython shell: no widget is shown
    printed = capsys.readouterr().out
    assert report.facts.front_end == F.NO_KERNEL
    assert report.probe is None
    assert report.drawn is None
    assert "Front end: plain Python, not a notebook" in printed
    assert f"numpy {report.facts.versions['numpy']}" in printed
    assert "widgets need a notebook front end" in printed


# --- known causes, from faked facts ----------------------------------------------------------


def test_a_healthy_jupyterlab_has_no_problem():
    found = F.diagnose(facts(F.JUPYTER))
    assert problems(found) == []
    assert found[-1].level == "ok"


@pytest.mark.parametrize(("front_end", "versions", "cause", "todo"), [
    (F.COLAB, {"ipywidgets": "8.1.5"}, "ipywidgets 8.1.5 in Colab", "ipywidgets==7.7.1"),
    (F.JUPYTER, {"ipywidgets": None}, "ipywidgets is not installed", '%pip install "ipywidgets'),
    (F.JUPYTER, {"jupyterlab": "2.3.2"}, "JupyterLab 2.3.2 needs widget extensions",
     "jupyterlab>=4"),
    (F.JUPYTER, {"jupyterlab_widgets": None}, "ipywidgets 8 needs jupyterlab_widgets 3",
     "jupyterlab_widgets>=3"),
    (F.JUPYTER, {"jupyterlab_widgets": "1.1.1"}, "found 1.1.1", "jupyterlab_widgets>=3"),
    (F.JUPYTER, {"ipywidgets": "7.7.1", "jupyterlab_widgets": "1.1.1"},
     "ipywidgets 7.7.1 with JupyterLab 4.6.6", "ipywidgets>=8"),
    (F.KERNEL, {"jupyterlab": None, "notebook": "6.5.7", "widgetsnbextension": None},
     "classic Notebook 6.5.7", "pip install widgetsnbextension"),
    (F.JUPYTER, {"numpy": "1.21.0"}, "numpy 1.21.0 is installed; the course needs >=1.24",
     '%pip install "numpy>=1.24"'),
    (F.JUPYTER, {"scipy": None}, "scipy is not installed", '%pip install "scipy>=1.10"'),
])
def test_each_known_cause_is_found_with_what_to_do(front_end, versions, cause, todo):
    found = [finding for finding in F.diagnose(facts(front_end, **versions))
             if finding.level == "problem"]
    assert [finding.what for finding in found if cause in finding.what], problems(found)
    assert all(todo in finding.todo for finding in found if cause in finding.what), found
    assert "No known cause" not in str(F.diagnose(facts(front_end, **versions)))


def test_colabs_own_versions_are_fine_in_colab_and_the_widget_manager_is_explained():
    found = F.diagnose(F.Facts("3.13.0", "Linux x86_64", F.COLAB,
                               {**facts(F.COLAB).versions, "ipywidgets": "7.7.1"},
                               colab_custom_widgets=False))
    assert problems(found) == []
    note = next(finding for finding in found if "custom widget manager" in finding.what)
    assert "enable_custom_widget_manager()" in note.todo


def test_vs_code_gets_its_advice():
    found = F.diagnose(facts(F.VSCODE))
    assert any("widgetScriptSources" in finding.todo for finding in found)


def test_findings_print_as_plain_words():
    report = F.DoctorReport(facts(F.COLAB, ipywidgets="8.1.5"),
                            F.diagnose(facts(F.COLAB, ipywidgets="8.1.5")))
    text = report.text()
    assert "Front end: Google Colab" in text
    assert "✗ ipywidgets 8.1.5 in Colab" in text
    assert "What to do: `%pip install \"ipywidgets==7.7.1\"`" in text
    assert repr(report) == "DoctorReport(1 problem, front end: Google Colab)"


# --- the probe widget ---------------------------------------------------------------------------


def test_the_probe_changes_when_drawn_and_when_clicked():
    probe = F._Probe()
    assert probe.label.value == probe.WAITING
    probe.box._view_count = 1  # what the front end reports when it draws the widget
    assert probe.label.value == probe.DRAWN
    probe.button.click()
    assert probe.label.value == probe.ANSWERED


def test_doctor_in_a_jupyter_kernel_shows_the_probe():
    cell = ("import course_lib\n"
            "report = course_lib.doctor()\n"
            "print('front end:', report.facts.front_end)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    text = "".join(output.get("text", "") for output in outputs)
    assert "course_lib doctor" in text
    assert f"front end: {F.JUPYTER}" in text  # nbclient starts kernels as a Jupyter server does
    views = [output for output in outputs
             if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    assert len(views) == 1
    assert not any(output.output_type == "error" for output in outputs)
