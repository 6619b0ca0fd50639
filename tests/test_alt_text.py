"""Every figure has alt text that says what it shows, written in the notebook and carried to the site.

A matplotlib figure's output is a bare ``image/png``: nothing in it says what the picture shows.
So each code cell that draws figures carries its alt text in its own metadata, in the form myst-nb
reads for a cell's image outputs::

    "metadata": {"mystnb": {"image": {"alt": "Two panels: ..."}}}

Cell metadata survives re-execution (``tools/run_notebooks.py`` keeps it), where output metadata
would not. A widget's picture carries its own alt text in its output's metadata (see
``test_static_outputs.py``), which ``site/_ext/course_site.py`` hands to the ``<img>``.

Checked on the committed notebooks (parsed), on the website Sphinx builds from them (every
``<img>`` of a chapter page has the notebook's alt text, never a file name), and on a re-executed
notebook (the alt text is still there).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from browser_servers import ROOT

CHAPTERS = ["01_image_filters", "02_cnn_architectures", "03_training", "04_training_part_2"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MIN_ALT_CHARS = 40  # a sentence that says what the figure shows, not a label
MIN_ALT_WORDS = 6
# A file name or path (what Sphinx writes as alt when none is given), or matplotlib's repr.
FILE_NAME = re.compile(r"\S*\.(?:png|jpe?g|gif|svg|webp)|\S*/\S*", re.IGNORECASE)
FIGURE_REPR = re.compile(r"<Figure size|<matplotlib\.|\bAxes\b.*\bat 0x")
BUILD_TIMEOUT_S = 240


def is_figure(output: dict) -> bool:
    """A picture that is not a widget's: matplotlib's ``image/png`` (the inline backend's)."""
    data = output.get("data", {})
    return "image/png" in data and WIDGET_VIEW not in data


def figure_cells(nb) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            and any(is_figure(output) for output in cell.outputs)]


def cell_alt(cell) -> object:
    """The alt text myst-nb gives the cell's image outputs (None when there is none)."""
    return cell.metadata.get("mystnb", {}).get("image", {}).get("alt")


def alt_problem(alt: object) -> str | None:
    """Why ``alt`` does not describe a figure, or None when it can."""
    if not isinstance(alt, str) or not alt.strip():
        return f"no alt text (got {alt!r})"
    text = alt.strip()
    if FILE_NAME.fullmatch(text):
        return f"a file name, not a description: {text!r}"
    if FIGURE_REPR.search(text):
        return f"matplotlib's repr, not a description: {text!r}"
    if len(text) < MIN_ALT_CHARS or len(text.split()) < MIN_ALT_WORDS:
        return (f"too short to say what the figure shows ({len(text)} characters, "
                f"{len(text.split())} words; at least {MIN_ALT_CHARS} and {MIN_ALT_WORDS}): {text!r}")
    return None


def read_chapter(name: str):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    assert path.is_file(), f"chapter notebook {path} is missing"
    return nbformat.read(path, as_version=4)


def expected_alts(nb) -> Counter:
    """The alt text of every picture output of the notebook, once per picture."""
    alts: Counter = Counter()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if is_figure(output):
                alts[cell_alt(cell)] += 1
            elif "image/png" in output.get("data", {}):
                alts[output.get("metadata", {}).get("image/png", {}).get("alt")] += 1
    return alts


# --- the rule itself ----------------------------------------------------------------------------


@pytest.mark.parametrize("alt", [None, "", "   ", 7, "figure.png", "../_images/9a0c96c8.png",
                                 "<Figure size 640x480 with 1 Axes>", "A plot of the loss."])
def test_alt_problem_rejects_what_does_not_describe(alt):
    assert alt_problem(alt) is not None


def test_alt_problem_accepts_a_description():
    assert alt_problem("Two panels: the camera photo blurred by a 5x5 box and by a Gaussian; "
                       "the box blur leaves faint square ringing around edges.") is None


# --- the committed notebooks --------------------------------------------------------------------


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_figure_has_alt_text(name):
    nb = read_chapter(name)
    cells = figure_cells(nb)
    assert cells, f"{name} has no matplotlib figure: is this the right notebook?"
    problems = [f"cell {index} ({cell.get('id')}): {alt_problem(cell_alt(cell))}"
                for index, cell in cells if alt_problem(cell_alt(cell))]
    assert not problems, (f"{name}: figures without a proper alt text (set the cell's metadata "
                          '{"mystnb": {"image": {"alt": "..."}}}):\n' + "\n".join(problems))


@pytest.mark.parametrize("name", CHAPTERS)
def test_each_figure_cell_has_its_own_alt_text(name):
    """Copied alt text describes the wrong figure."""
    alts = Counter(cell_alt(cell).strip() for _, cell in figure_cells(read_chapter(name))
                   if isinstance(cell_alt(cell), str))
    repeated = [alt for alt, count in alts.items() if count > 1]
    assert not repeated, f"{name}: one alt text on several cells: {repeated}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_cell_alt_text_does_not_hide_a_widget_picture(name):
    """A cell-level alt applies to every picture of the cell; a widget picture has its own, so a
    cell with a widget output must not set one (nor mix a figure into it)."""
    for index, cell in enumerate(read_chapter(name).cells):
        widget = [o for o in cell.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
        if widget:
            assert cell_alt(cell) is None, f"{name} cell {index}: a cell alt over a widget picture"
            assert not any(is_figure(o) for o in cell.outputs), \
                f"{name} cell {index}: a figure and a widget in one cell: split the cell"


# --- the website --------------------------------------------------------------------------------


class _Images(HTMLParser):
    """The ``src`` and ``alt`` of every ``<img>`` of a page (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            attrs = dict(attrs)
            self.images.append((attrs.get("src", ""), attrs.get("alt")))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The website, built as `make site` builds it, into a temporary folder (network blocked,
    as for every process the tests start; myst-nb's scratch folder lands beside it)."""
    out = tmp_path_factory.mktemp("alt_site") / "_site"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-d", str(out / ".doctrees"),
               "site", str(out)]
    start = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            timeout=BUILD_TIMEOUT_S, check=False)
    assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
    print(f"make site: {time.monotonic() - start:.1f} s")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_site_images_carry_the_notebook_alt_text(site, name):
    page = site / "notebooks" / f"{name}.html"
    assert page.is_file(), f"the site has no page {page.relative_to(site)}"
    parser = _Images()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.images, f"{page.name}: no image at all"
    bad = [(src, alt_problem(alt)) for src, alt in parser.images if alt_problem(alt)]
    assert not bad, f"{page.name}: images without a real alt text:\n" + "\n".join(map(str, bad))
    shown = Counter((alt or "").strip() for _, alt in parser.images)
    expected = expected_alts(read_chapter(name))
    missing = {str(alt)[:80]: count - shown[(alt or "").strip()] for alt, count in expected.items()
               if shown[(alt or "").strip()] < count}
    assert not missing, f"{page.name}: the notebook's alt text is not on the page: {missing}"


# --- re-execution keeps it -----------------------------------------------------------------------


@pytest.mark.slow
def test_re_execution_keeps_the_alt_text(tmp_path):
    """The lead's `make notebooks` (tools/run_notebooks.py) re-executes in place: the alt text,
    in the cell's metadata, must survive it (an output's metadata would be rewritten)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import run_notebooks  # tools/ is not a package

    alt = "A line plot of y = x squared for x from 0 to 3, rising ever more steeply."
    cell = nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nplt.plot([0, 1, 2, 3], [0, 1, 4, 9])\nplt.show()",
        metadata={"mystnb": {"image": {"alt": alt}}})
    path = tmp_path / "figure.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    run_notebooks.execute(path, timeout=120)
    nb = nbformat.read(path, as_version=4)
    assert [index for index, _ in figure_cells(nb)] == [0], "the cell drew no figure"
    assert cell_alt(nb.cells[0]) == alt
