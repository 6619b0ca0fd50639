"""A picture for every widget: the notebooks read well before anything runs.

Where no kernel runs (GitHub, nbviewer, nbconvert, the course website, a notebook just opened in
JupyterLab), a widget output shows the best static type of its bundle. So every widget output of
the committed notebooks must carry a picture (``image/png``, with alt text) or, for a quiz, its
questions as HTML; and no text form may read like a widget's repr.

Checked three ways: on the widget apps themselves, on the committed notebooks (parsed, and
rendered to HTML by nbconvert), and in JupyterLab in Chromium with the notebook opened, not run.

``COURSE_NOTEBOOKS`` (a folder) checks other copies of the notebooks, e.g. freshly executed ones.
"""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = Path(os.environ.get("COURSE_NOTEBOOKS", ROOT / "notebooks"))
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What only a widget's repr (or a widget's state) writes.
WIDGET_REPR = re.compile(r"\b(?:VBox|HBox|Box)\(children=|\(value=b'|_dom_classes=|Layout\(|"
                         r"\b(?:IntSlider|FloatSlider|Dropdown|Image|Output)\((?:value|description)=")
MAX_PICTURE_BYTES = 200_000  # one widget picture (at 72 dpi they are 20-130 kB)
MAX_TEXT = 200  # a widget output's text/plain is one short sentence


def widget_outputs(nb) -> list[tuple[int, dict]]:
    return [(index, output) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for output in cell.outputs if WIDGET_VIEW in output.get("data", {})]


def decode_png(data: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


# --- the mechanism, on the apps themselves ----------------------------------------------------


def _apps():
    from course_lib.exercises import ch1
    from course_lib.widgets.activations import activation_explorer
    from course_lib.widgets.filters import gaussian_explorer, kernel_explorer
    from course_lib.widgets.layers import layer_explorer
    from course_lib.widgets.optimizers import optimizer_explorer
    from course_lib.widgets.training import training_demo

    return {"kernel explorer": kernel_explorer, "Gaussian explorer": gaussian_explorer,
            "layer explorer": layer_explorer, "activation explorer": activation_explorer,
            "optimizer explorer": optimizer_explorer, "training demo": training_demo,
            "quiz": ch1.quiz}


@pytest.mark.parametrize("name", list(_apps()))
def test_every_app_displays_a_picture_or_html_and_a_stable_short_text(name):
    build = _apps()[name]
    data, metadata = build()._repr_mimebundle_()
    again, _ = build()._repr_mimebundle_()
    assert WIDGET_VIEW in data
    assert data["text/plain"] == again["text/plain"], "the text form must not change between runs"
    assert len(data["text/plain"]) <= MAX_TEXT
    assert not WIDGET_REPR.search(data["text/plain"])
    assert "0x" not in data["text/plain"], "no memory address in the text form"
    if name == "quiz":
        assert "<ol>" in data["text/html"]
        assert "Quiz:" in data["text/html"]
    else:
        pixels = decode_png(data["image/png"])
        assert pixels.shape[0] >= 100
        assert pixels.shape[1] >= 200
        assert pixels.std() > 5
        assert len(metadata["image/png"]["alt"]) > 40


def test_the_picture_follows_the_state():
    from course_lib.widgets.filters import kernel_explorer

    box = kernel_explorer()
    before = decode_png(box._repr_mimebundle_()[0]["image/png"])
    box.preset = "box 5x5"
    data, metadata = box._repr_mimebundle_()
    after = decode_png(data["image/png"])
    assert "box 5x5" in metadata["image/png"]["alt"]
    assert before.shape != after.shape or np.abs(before.astype(float) - after).mean() > 1.0


def test_a_display_that_changes_is_updated_with_its_last_picture():
    """fit(view=LivePlot()) shows its plot with a handle and updates it with the final curves."""
    import ipywidgets as widgets

    from course_lib.widgets.app import Pictured

    frames = iter([b"first", b"last"])
    view = Pictured(widgets.Label("x"), text="Live", snapshot=lambda: next(frames), alt="curves")
    first, _ = view._repr_mimebundle_()
    last, metadata = view._repr_mimebundle_()
    assert base64.b64decode(first["image/png"]) == b"first"
    assert base64.b64decode(last["image/png"]) == b"last"
    assert metadata["image/png"]["alt"] == "curves"


def test_every_widget_control_has_a_name():
    """Every control a reader operates has a visible description, or text of its own (buttons),
    which is what a screen reader reads for it; every picture has a text alternative."""
    import ipywidgets as widgets

    from course_lib.widgets.app import NamedImage

    controls = (widgets.Text, widgets.Dropdown, widgets.FloatSlider, widgets.IntSlider,
                widgets.SelectionSlider, widgets.SelectMultiple, widgets.IntText, widgets.Checkbox,
                widgets.RadioButtons)
    for name, build in _apps().items():
        app = build()
        root = getattr(app, "widget", app)
        stack, unnamed, images = [root], [], []
        while stack:
            widget = stack.pop()
            stack.extend(getattr(widget, "children", ()))
            if isinstance(widget, controls) and not widget.description.strip():
                unnamed.append(type(widget).__name__)
            if isinstance(widget, widgets.Image):
                images.append(widget)
        assert not unnamed, f"{name}: controls without a name: {unnamed}"
        for image in images:
            assert isinstance(image, NamedImage), f"{name}: an image is not a NamedImage"
            assert image.tooltip, f"{name}: an image has no name"


# --- the committed notebooks --------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_widget_outputs_carry_a_picture(path):
    nb = nbformat.read(path, as_version=4)
    outputs = widget_outputs(nb)
    assert outputs, f"{path.name} has no widget output"
    for index, output in outputs:
        data = output["data"]
        where = f"{path.name} cell {index}"
        assert "image/png" in data or "course-quiz-static" in data.get("text/html", ""), \
            f"{where}: a widget output without a picture (re-execute the notebook)"
        if "image/png" in data:
            assert len(base64.b64decode(data["image/png"])) <= MAX_PICTURE_BYTES, f"{where}: too big"
            assert output.get("metadata", {}).get("image/png", {}).get("alt"), f"{where}: no alt text"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_committed_output_reads_like_a_widget_repr(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", "") + output.get("text", "")
            found = WIDGET_REPR.search(text)
            assert not found, f"{path.name} cell {index}: {text[:120]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbconvert_html_shows_the_pictures(path):
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert not WIDGET_REPR.search(body), WIDGET_REPR.search(body)
    for _index, output in widget_outputs(nb):
        if "image/png" in output["data"]:
            assert output["data"]["image/png"][:200] in body, "a widget picture is missing"
    assert "course-quiz-static" in body


# --- JupyterLab, notebook opened and not run -------------------------------------------------------


@pytest.mark.browser
def test_jupyterlab_shows_widget_pictures_before_running(tmp_path):
    from browser_servers import chromium, jupyter_lab, require_chromium

    require_chromium()
    with jupyter_lab(tmp_path) as server, chromium() as browser:
        if NOTEBOOK_DIR != ROOT / "notebooks":  # check the other copies in the served course
            for path in NOTEBOOKS:
                (server.root / "notebooks" / path.name).write_bytes(path.read_bytes())
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for path in NOTEBOOKS:
            nb = nbformat.read(server.root / "notebooks" / path.name, as_version=4)  # as served
            expected = {i for i, _ in widget_outputs(nb)}
            page.goto(f"{server.url}/lab/tree/notebooks/{path.name}", wait_until="domcontentloaded")
            page.wait_for_function(
                "(name) => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " return Boolean(p && p.context && p.context.isReady && p.context.path.endsWith(name)"
                " && p.content.widgets.length); }", arg=path.name, timeout=120_000)
            page.wait_for_function(  # every cell that has outputs has drawn them
                """() => window.jupyterapp.shell.currentWidget.content.widgets.every(cell =>
                    cell.model.type !== 'code' || cell.model.outputs.length === 0
                    || cell.outputArea.node.querySelector('.jp-OutputArea-output'))""",
                timeout=60_000)
            shown = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
                .map((cell, i) => [i, cell.model.type === 'code'
                    ? Array.from(cell.outputArea.node.querySelectorAll('.jp-OutputArea-output'))
                        .map(o => [o.querySelectorAll('img').length, o.innerText.slice(0, 200),
                                   o.querySelectorAll('.course-quiz-static').length]) : []])""")
            by_cell = dict(shown)
            assert len(shown) == len(nb.cells), f"{path.name}: {len(shown)} cells shown, not {len(nb.cells)}"
            for index in expected:
                outputs = by_cell[index]
                assert any(images or quizzes for images, _text, quizzes in outputs), (
                    f"{path.name} cell {index} shows {outputs}")
                for _images, text, _quizzes in outputs:
                    assert "Error displaying widget" not in text
                    assert not WIDGET_REPR.search(text)
