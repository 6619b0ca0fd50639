"""The course in a real browser: JupyterLab, Notebook 7 and the Voilà classroom view in Chromium.

Each chapter notebook is opened in JupyterLab, run top to bottom through the page (the
"Run All Cells" command), and checked: no cell shows an error, every widget rendered, and the
chapter's apps react to the reader (chapter 1: the kernel explorer's preset and a kernel cell
change the filtered image; chapter 3: live training curves and a progress bar appear). Every
chapter also runs in the Notebook 7 interface, and the classroom view (`make present`) is opened in Voilà
and one demo is driven. Screenshots land in artifacts/screenshots/.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install -y chromium`); without it the
tests skip, except in CI (CI=true), where a missing browser fails them.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import urllib.request

import numpy as np
import pytest
from browser_servers import chromium, jupyter_lab, kernel_pids, require_chromium, screenshot, voila
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

NOTEBOOK_TIMEOUT_MS = 240_000  # one chapter runs in about a minute on a 2-core CPU
REACT_TIMEOUT_MS = 30_000  # a widget's answer to a change travels browser -> kernel -> browser
VIEWPORT = {"width": 1600, "height": 1100}

# What each chapter must show once run (CSS classes the course_lib widget apps add).
CHAPTER_WIDGETS = {
    "01_image_filters": [
        ".course-kernel-explorer", ".course-kernel-preset select", ".course-kernel-cell input",
        "canvas.course-original-image", "canvas.course-filtered-image",
        ".course-gaussian-explorer", ".course-sigma-slider", "canvas.course-gaussian-image",
        ".course-kernel-descent",
    ],
    "02_cnn_architectures": [
        ".course-layer-explorer", ".course-layer-model select", ".course-layer-slider",
    ],
    "03_training": [
        ".course-activation-explorer", "img.course-train-plot", ".course-train-progress",
        ".course-training-demo",
    ],
    "04_training_part_2": [".course-optimizer-explorer", ".course-quiz"],
}
PRESENTER_DEMOS = [
    ".course-kernel-explorer", ".course-gaussian-explorer", ".course-kernel-descent",
    ".course-layer-explorer", ".course-activation-explorer", ".course-depth-explorer",
    ".course-optimizer-explorer", ".course-training-demo",
]
# Errors Notebook 7's own front end raises on any notebook page, even an empty notebook.
NOTEBOOK7_NOISE = [
    "Cannot read properties of undefined (reading 'schema')",
    "Command 'filebrowser:open-path' not registered.",
]
WIDGET_FAILURE_TEXTS = ["Error displaying widget", "Failed to load model class"]

# --- JavaScript run in the page (JupyterLab and Notebook 7 expose `window.jupyterapp`) ---------

KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return Boolean(panel && panel.content && panel.context && panel.context.isReady
        && kernel && kernel.status === 'idle');
}"""
RUN_ALL = """() => {
    window.__courseRunAll = null;
    window.jupyterapp.commands.execute('notebook:run-all-cells').then(
        ok => { window.__courseRunAll = ok ? 'ok' : 'a cell failed'; },
        err => { window.__courseRunAll = 'run-all raised ' + err; });
}"""
# A widget's view in an output area: ipywidgets' root element has the class jupyter-widgets; an
# anywidget's (the filter explorers) is a plain Lumino widget.
CODE_CELLS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.filter(cell => cell.model.type === 'code').map(cell => {
        const areas = cell.outputArea.node.querySelectorAll(
            ':scope > .jp-OutputArea-child > .jp-OutputArea-output');
        return {
            source: cell.model.sharedModel.getSource(),
            count: cell.model.executionCount,
            outputs: cell.model.toJSON().outputs,
            renderedWidgets: Array.from(areas).filter(
                area => area.querySelector(':scope > :is(.jupyter-widgets, .lm-Widget)')).length,
        };
    });
}"""
# Every widget output of every code cell has its view in the page (views render asynchronously).
WIDGETS_SETTLED = """() => window.jupyterapp.shell.currentWidget.content.widgets
    .filter(cell => cell.model.type === 'code').every(cell => {
        const views = cell.model.toJSON().outputs.filter(
            output => output.data && output.data['application/vnd.jupyter.widget-view+json']).length;
        const rendered = cell.outputArea.node.querySelectorAll(
            ':scope > .jp-OutputArea-child > .jp-OutputArea-output > '
            + ':is(.jupyter-widgets, .lm-Widget)').length;
        return rendered === views;
    })"""
# Count the pictures an Image shows over time (its blob URL changes on each update).
WATCH_IMAGE_UPDATES = """([key, selector]) => {
    window.__courseImages = window.__courseImages || {};
    const seen = window.__courseImages[key] = new Set();
    const record = () => document.querySelectorAll(selector).forEach(
        img => img.src && img.naturalWidth > 0 && seen.add(img.src));
    new MutationObserver(record).observe(document.body,
        {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
    document.addEventListener('load', record, true);  // an <img> finished loading
}"""
IMAGES_SEEN = "(key) => window.__courseImages[key].size"
# The presenter's first demo drawn (Voilà renders each demo as soon as its cell has run). How
# long that takes from `make present` is a benchmark's figure (benchmarks/bench_presenter.py),
# never a test's: the tests wait NOTEBOOK_TIMEOUT_MS, which only catches a hang.
PRESENTER_FIRST_DEMO = ".course-kernel-explorer canvas.course-filtered-image"
# The explorers draw on canvases (in the browser); each drawing counts itself in data-paints.
DRAWN = """(selector) => { const canvas = document.querySelector(selector);
    return Boolean(canvas && Number(canvas.dataset.paints || 0) > 0); }"""
PAINTS = "(selector) => Number(document.querySelector(selector).dataset.paints || 0)"
KERNEL_SHUTDOWN_S = 60  # a closed page's kernel is gone within this time (a hang, not a speed)
# Every demo shown, or Voilà reports a failed cell: stop waiting either way.
PRESENTER_SETTLED = """(demos) => demos.every(selector => document.querySelector(selector))
    || (document.body !== null  // null until the streamed page's body has begun
        && document.body.innerText.includes('There was an error when executing cell'))"""
IMAGE_LOADED = "img => img.complete && img.naturalWidth > 0"


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):  # noqa: ARG001 - Chromium must be found before the server starts
    with jupyter_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(REACT_TIMEOUT_MS)
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def lab_page(page, lab):
    yield page
    shut_down_kernels(lab.url)


# --- helpers ---------------------------------------------------------------------------------


def shut_down_kernels(url: str) -> None:
    """Stop every kernel of the server, so the next notebook has the CPU to itself."""
    with urllib.request.urlopen(f"{url}/api/kernels", timeout=10) as response:
        kernels = json.load(response)
    for kernel in kernels:
        request = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def open_and_run_all(page, url: str, *, before_run=None) -> list[dict]:
    """Open a notebook page, run all cells through the UI and return its code cells' state."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(KERNEL_IDLE, timeout=NOTEBOOK_TIMEOUT_MS)
    if before_run:
        before_run(page)
    page.evaluate(RUN_ALL)
    page.wait_for_function("window.__courseRunAll !== null", timeout=NOTEBOOK_TIMEOUT_MS)
    outcome = page.evaluate("window.__courseRunAll")
    page.wait_for_function(KERNEL_IDLE, timeout=NOTEBOOK_TIMEOUT_MS)
    with contextlib.suppress(PlaywrightTimeout):  # if not, assert_widgets_rendered says which
        page.wait_for_function(WIDGETS_SETTLED, timeout=REACT_TIMEOUT_MS)
    cells = page.evaluate(CODE_CELLS)
    assert outcome == "ok", f"Run All Cells: {outcome}\n{describe_errors(cells)}"
    return cells


def describe_errors(cells: list[dict]) -> str:
    lines = []
    for index, cell in enumerate(cells):
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                lines.append(f"code cell {index}: {output['ename']}: {output['evalue']}\n"
                             f"  source: {cell['source'][:200]!r}")
    return "\n".join(lines)


def assert_ran_without_errors(cells: list[dict]) -> None:
    assert not describe_errors(cells), describe_errors(cells)
    not_run = [i for i, cell in enumerate(cells)
               if cell["source"].strip() and cell["count"] is None]
    assert not not_run, f"code cells {not_run} were not executed"


def assert_widgets_rendered(page, cells: list[dict], expected: list[str]) -> None:
    """Every widget output has a live view, none shows an error, and the chapter's apps exist."""
    for index, cell in enumerate(cells):
        views = sum("application/vnd.jupyter.widget-view+json" in output.get("data", {})
                    for output in cell["outputs"])
        assert cell["renderedWidgets"] == views, (
            f"code cell {index}: {views} widget outputs but {cell['renderedWidgets']} rendered")
    body = page.inner_text("body")
    for text in WIDGET_FAILURE_TEXTS:
        assert text not in body, f"the page shows {text!r}"
    assert page.locator(".jupyter-widgets-error-widget").count() == 0, "an error widget is shown"
    for selector in expected:
        element = page.locator(selector).first
        assert page.locator(selector).count() > 0, f"{selector} did not render"
        element.scroll_into_view_if_needed()
        assert element.is_visible(), f"{selector} is not visible"
    for image in page.locator("img[class*='course-']").all():
        image.scroll_into_view_if_needed()
        assert image.evaluate(IMAGE_LOADED), f"image {image.get_attribute('class')} is empty"


def pixels(locator) -> np.ndarray:
    """What the browser shows for an element, as an RGB array."""
    locator.scroll_into_view_if_needed()
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=float)


def wait_for_new_picture(page, selector: str, paints: int) -> None:
    """Wait until the explorer's canvas ``selector`` has been drawn again (after ``paints``)."""
    page.wait_for_function(f"() => ({PAINTS})({selector!r}) > {paints}", timeout=REACT_TIMEOUT_MS)


def assert_picture_changed(before: np.ndarray, after: np.ndarray, what: str) -> None:
    assert before.shape == after.shape, f"{what}: the picture changed size {before.shape} -> {after.shape}"
    assert np.abs(before - after).mean() > 0.5, f"{what}: the displayed picture did not change"


def change_kernel_preset(page, scope: str) -> None:
    """Pick another preset in the kernel explorer; assert that the filtered image changed."""
    select = page.locator(f"{scope} .course-kernel-preset select").first
    filtered = f"{scope} canvas.course-filtered-image"
    page.wait_for_function(DRAWN, arg=filtered, timeout=REACT_TIMEOUT_MS)
    paints = page.evaluate(PAINTS, filtered)
    before = pixels(page.locator(filtered).first)
    current = select.input_value()
    options = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    others = [value for value in options if value != current]
    assert others, f"the preset menu offers only {options}"
    select.select_option(others[-1])
    wait_for_new_picture(page, filtered, paints)
    assert_picture_changed(before, pixels(page.locator(filtered).first),
                           f"preset {current!r} -> {others[-1]!r}")


def edit_kernel_cell(page, scope: str) -> None:
    """Type a new weight into a kernel cell; the filtered image changes. Then a bad entry."""
    cell = page.locator(f"{scope} .course-kernel-cell input").first
    filtered = f"{scope} canvas.course-filtered-image"
    paints = page.evaluate(PAINTS, filtered)
    before = pixels(page.locator(filtered).first)
    new_value = "-7" if cell.input_value().strip() != "-7" else "9"
    cell.fill(new_value)
    cell.press("Enter")
    wait_for_new_picture(page, filtered, paints)
    assert_picture_changed(before, pixels(page.locator(filtered).first),
                           f"kernel cell set to {new_value}")
    # Nonsense keeps the last good picture; the message line says what was wrong with it.
    paints = page.evaluate(PAINTS, filtered)
    cell.fill("abc")
    cell.press("Enter")
    message = page.locator(f"{scope} .course-message").first
    message.filter(has_text="abc").wait_for(timeout=REACT_TIMEOUT_MS)
    assert page.evaluate(PAINTS, filtered) == paints
    cell.fill(new_value)
    cell.press("Enter")


def change_image(page, scope: str, name: str) -> None:
    """Pick a sample image in an explorer: the kernel sends it, the explorer filters it."""
    filtered = f"{scope} canvas.course-filtered-image"
    paints = page.evaluate(PAINTS, filtered)
    page.locator(f"{scope} .course-image-choice select").first.select_option(name)
    wait_for_new_picture(page, filtered, paints)
    size = page.locator(f"{scope} canvas.course-original-image").first.evaluate("c => [c.height, c.width]")
    assert size == [303, 384], f"the {name} image is {size}"


def move_slider(page, selector: str, image: str) -> None:
    """Move a slider (``selector`` holds an ``<input type=range>``) with the keyboard; assert that
    the canvas ``image`` changed."""
    page.wait_for_function(DRAWN, arg=image, timeout=REACT_TIMEOUT_MS)
    paints = page.evaluate(PAINTS, image)
    before = pixels(page.locator(image).first)
    handle = page.locator(f"{selector} input[type=range]").first
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    wait_for_new_picture(page, image, paints)
    assert_picture_changed(before, pixels(page.locator(image).first), f"{selector} moved")


def lab_url(lab, chapter: str) -> str:
    return f"{lab.url}/lab/tree/notebooks/{chapter}.ipynb"


# --- JupyterLab -----------------------------------------------------------------------------


def test_chapter1_in_jupyterlab_runs_and_kernel_explorer_reacts(lab, lab_page):
    page, chapter = lab_page, "01_image_filters"
    cells = open_and_run_all(page, lab_url(lab, chapter))
    assert_ran_without_errors(cells)
    assert_widgets_rendered(page, cells, CHAPTER_WIDGETS[chapter])

    explorer = ".course-kernel-explorer"
    screenshot(page.locator(explorer).first, "lab-01-kernel-explorer-before")
    change_kernel_preset(page, explorer)
    edit_kernel_cell(page, explorer)
    change_image(page, explorer, "coins")
    screenshot(page.locator(explorer).first, "lab-01-kernel-explorer-after")

    gaussian = ".course-gaussian-explorer"
    move_slider(page, f"{gaussian} .course-sigma-slider", f"{gaussian} canvas.course-gaussian-image")
    screenshot(page.locator(gaussian).first, "lab-01-gaussian-explorer")
    assert not page.js_errors, page.js_errors


def test_chapter2_in_jupyterlab_runs_and_layer_explorer_renders(lab, lab_page):
    page, chapter = lab_page, "02_cnn_architectures"
    cells = open_and_run_all(page, lab_url(lab, chapter))
    assert_ran_without_errors(cells)
    assert_widgets_rendered(page, cells, CHAPTER_WIDGETS[chapter])
    screenshot(page.locator(".course-layer-explorer").first, "lab-02-layer-explorer")
    assert not page.js_errors, page.js_errors


def assert_progress_moved(progress) -> None:
    bar = progress.locator(".progress-bar")
    assert bar.count(), "no progress bar"
    width = bar.first.evaluate("el => el.getBoundingClientRect().width")
    assert width > 0, "the training progress bar stayed empty"


def test_chapter3_in_jupyterlab_shows_live_training(lab, lab_page):
    page, chapter = lab_page, "03_training"
    fit_plot = "img.course-train-plot:not(.course-training-demo *)"  # fit(..., view=LivePlot())
    demo = ".course-training-demo"
    cells = open_and_run_all(
        page, lab_url(lab, chapter),
        before_run=lambda p: p.evaluate(WATCH_IMAGE_UPDATES, ["fit", fit_plot]))
    assert_ran_without_errors(cells)
    pictures = page.evaluate(IMAGES_SEEN, "fit")
    assert pictures >= 2, f"fit's training curves were drawn {pictures} time(s), not live"
    assert_progress_moved(page.locator(".course-train-progress:not(.course-training-demo *)").first)
    screenshot(page.locator(fit_plot).first, "lab-03-fit-live-curves")

    # The training demo: press Train, watch the curves grow and the bar fill.
    page.evaluate(WATCH_IMAGE_UPDATES, ["demo", f"{demo} img.course-train-plot"])
    page.locator(f"{demo} button", has_text="Train").first.click()
    message = page.locator(f"{demo} .course-message").first
    message.filter(has_text="test accuracy").wait_for(timeout=NOTEBOOK_TIMEOUT_MS)
    pictures = page.evaluate(IMAGES_SEEN, "demo")
    assert pictures >= 2, f"the demo's curves were drawn {pictures} time(s), not live"
    assert_progress_moved(page.locator(f"{demo} .course-train-progress").first)
    assert_widgets_rendered(page, page.evaluate(CODE_CELLS), CHAPTER_WIDGETS[chapter])
    screenshot(page.locator(demo).first, "lab-03-training-demo")
    screenshot(page.locator(".course-activation-explorer").first, "lab-03-activation-explorer")
    assert not page.js_errors, page.js_errors


def test_chapter4_in_jupyterlab_runs_and_its_quiz_answers(lab, lab_page):
    page, chapter = lab_page, "04_training_part_2"
    cells = open_and_run_all(page, lab_url(lab, chapter))
    assert_ran_without_errors(cells)
    assert_widgets_rendered(page, cells, CHAPTER_WIDGETS[chapter])
    quiz = page.locator(".course-quiz").first
    quiz.locator("button", has_text="Check").first.click()
    quiz.locator(".course-quiz-feedback").first.filter(has_text="Not attempted yet").wait_for(
        timeout=REACT_TIMEOUT_MS)
    screenshot(quiz, "lab-04-quiz")
    assert not page.js_errors, page.js_errors


# --- course_lib.doctor() in JupyterLab ------------------------------------------------------


def test_doctor_in_jupyterlab_finds_no_problem_and_its_widget_answers(lab, lab_page):
    import nbformat

    from course_lib.frontend import _Probe

    page = lab_page
    cell = "import course_lib\nreport = course_lib.doctor()"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, lab.root / "doctor.ipynb")
    cells = open_and_run_all(page, f"{lab.url}/lab/tree/doctor.ipynb")
    assert_ran_without_errors(cells)
    assert_widgets_rendered(page, cells, [".course-doctor"])
    # the doctor's own output (the Lab may also show a notebook an earlier test opened, hidden)
    text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea").first.inner_text()
    assert "Front end: a Jupyter server" in text
    assert "No known cause of a missing widget" in text, text
    probe = page.locator(".course-doctor").first
    # the front end drew the probe and told the kernel, whose answer changed the text
    probe.get_by_text(_Probe.DRAWN).wait_for(timeout=REACT_TIMEOUT_MS)
    probe.get_by_role("button", name="Click me").click()
    probe.get_by_text(_Probe.ANSWERED).wait_for(timeout=REACT_TIMEOUT_MS)
    screenshot(probe, "lab-doctor")
    assert not page.js_errors, page.js_errors


# --- Notebook 7 ------------------------------------------------------------------------------
# Notebook 7 draws widgets with the same widget manager as JupyterLab, in another shell. It runs
# chapter 1 in full (the in-browser explorers, widgets served by the kernel, the quiz) and the
# classroom notebook, which makes every other app of the course (the layer, activation, depth and
# optimiser explorers, the training demo). Chapters 2 to 4 run in full in JupyterLab above, under
# nbval twice, and in the Colab-like environment: a fifth full run here would add minutes to
# `make test` and test no other widget.


def assert_notebook7(page) -> None:
    assert page.locator("#main-panel, .jp-NotebookPanel").count() > 0
    assert "/notebooks/" in page.url, f"not the Notebook 7 interface: {page.url}"
    errors = [error for error in page.js_errors if error not in NOTEBOOK7_NOISE]
    assert not errors, errors


def test_chapter1_in_notebook7_runs_and_widgets_render(lab, lab_page):
    page, chapter = lab_page, "01_image_filters"
    cells = open_and_run_all(page, f"{lab.url}/notebooks/notebooks/{chapter}.ipynb")
    assert_ran_without_errors(cells)
    assert_widgets_rendered(page, cells, [*CHAPTER_WIDGETS[chapter], ".course-quiz"])
    change_kernel_preset(page, ".course-kernel-explorer")
    screenshot(page, "notebook7-01-image-filters")
    assert_notebook7(page)


def test_every_demo_of_the_course_renders_in_notebook7(lab, lab_page):
    page = lab_page
    cells = open_and_run_all(page, f"{lab.url}/notebooks/classroom/presenter.ipynb")
    assert_ran_without_errors(cells)
    assert_widgets_rendered(page, cells, PRESENTER_DEMOS)
    screenshot(page, "notebook7-classroom-demos")
    assert_notebook7(page)


# --- Classroom mode (Voilà) ------------------------------------------------------------------


def test_presenter_in_voila_shows_demos_without_code(tmp_path, page):
    with voila(tmp_path) as server:
        # Voila streams the page, drawing each demo as soon as its cell has run.
        page.goto(server.url, wait_until="commit", timeout=NOTEBOOK_TIMEOUT_MS)
        page.wait_for_function(DRAWN, arg=PRESENTER_FIRST_DEMO, timeout=NOTEBOOK_TIMEOUT_MS,
                               polling=50)
        page.wait_for_function(PRESENTER_SETTLED, arg=PRESENTER_DEMOS, timeout=NOTEBOOK_TIMEOUT_MS)
        body = page.inner_text("body")
        missing = [selector for selector in PRESENTER_DEMOS if not page.locator(selector).count()]
        assert not missing, f"demos not shown: {missing}\n{body[:2000]}\n{server.log_text()[-3000:]}"
        assert "There was an error when executing cell" not in body, body[:2000]
        assert "Traceback" not in body, body[:2000]
        for text in WIDGET_FAILURE_TEXTS:
            assert text not in body, f"the page shows {text!r}"
        # No code: Voilà strips the code cells' inputs; no editor, no prompt.
        code = page.locator(".jp-CodeCell .jp-InputArea, .cm-editor, .jp-InputPrompt")
        assert code.count() == 0, "code is shown"
        assert "kernel_explorer()" not in body
        # Large figures: the filtered image fills a good part of a 1600-px-wide screen.
        filtered = page.locator(".course-kernel-explorer canvas.course-filtered-image").first
        filtered.scroll_into_view_if_needed()
        assert filtered.bounding_box()["width"] >= 400, filtered.bounding_box()
        for selector in PRESENTER_DEMOS:
            screenshot(page.locator(selector).first, f"presenter-{selector.removeprefix('.')}")
        change_kernel_preset(page, ".course-kernel-explorer")
        screenshot(page.locator(".course-kernel-explorer").first, "presenter-kernel-explorer-after")
        assert not page.js_errors, page.js_errors
        # The visit's kernel goes when the page closes (Voila's unload beacon).
        assert len(kernel_pids(server)) == 1, kernel_pids(server)
        page.close(run_before_unload=True)
        deadline = time.monotonic() + KERNEL_SHUTDOWN_S
        while kernel_pids(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not kernel_pids(server), f"kernels left after the page closed: {kernel_pids(server)}"
