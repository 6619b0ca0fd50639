"""Sphinx extension for the course website: what the committed notebooks need to read well offline.

- Each chapter page starts with its title and two text links: "Open in Colab" (the address
  comes from ``tools/notebook_header.py``, i.e. from pyproject.toml) and "Download the notebook".
  The Colab *badge* is an image on the web, broken offline, so it is never shown here.
- A widget's picture keeps its alt text: the course's widgets store it in the output's metadata
  (``{"image/png": {"alt": ...}}``), which myst-nb does not read by itself.
- MathJax is served from the site itself (the ``django-static-mathjax`` wheel ships MathJax 3),
  never from a CDN, so formulas render with no network.
- The student copies (``tools/student_copy.py``) and the classroom notebook are written into the
  site's ``downloads/`` folder, for the home page's links.
- The filter explorers are live: an output whose metadata holds the explorer's settings
  (``course_lib.widgets.filters.LIVE_METADATA``) is rebuilt here, in Python, and written into the
  page as the standard widget state and view, beside its picture. ``_static/course-widgets.js``
  (a small static widget manager, part of the site) runs the explorers' own module on it with no
  kernel, and the sample images are served from ``_static/course/samples/``. Each chapter says
  under its title which parts are live there.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import notebook_header  # noqa: E402  (tools/ is not a package)
import student_copy  # noqa: E402

from course_lib.widgets.filters import LIVE_METADATA  # noqa: E402

MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output", "a11y", "sre", "ui", "adaptors")
MATHJAX_DIR = "mathjax"  # under _static/
SAMPLES_DIR = "course/samples"  # under _static/: the explorers' sample images
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE_NAMES = {"kernel_explorer": "the kernel explorer", "gaussian_explorer": "the Gaussian explorer"}


def mathjax_source() -> Path:
    """Find the MathJax 3 ``es5`` folder inside the installed ``django-static-mathjax`` wheel."""
    try:
        import mathjax
    except ImportError:
        raise RuntimeError("The course website serves MathJax itself: install the test extra "
                           '(pip install -e ".[test]"), which has django-static-mathjax.') from None
    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def chapter_links(name: str) -> str:
    """Write the line of links under a chapter's title (MyST markdown)."""
    return (f"[Open in Colab]({notebook_header.colab_url(name)}) · "
            f"{{download}}`Download the notebook <{name}.ipynb>`")


def live_explorer(app_name: str, settings: dict):
    """Build the explorer that an output's ``LIVE_METADATA`` describes (``app_name``, ``settings``)."""
    from course_lib.widgets import filters

    if app_name not in LIVE_NAMES:
        raise RuntimeError(f"unknown live app {app_name!r}; expected one of {sorted(LIVE_NAMES)}")
    app = getattr(filters, app_name)(display_width=settings.get("display_width", 256))
    first = ["image_name", "preset", "size", "weights"]  # a preset sets the cells: cells last
    for trait in sorted(settings, key=lambda name: first.index(name) if name in first else len(first)):
        if trait != "display_width":
            setattr(app, trait, settings[trait])
    return app


def live_html(app, *, picture: str | None, alt: str, sample_url: str | None) -> str:
    """HTML of a live explorer: its picture, then its widget state and view (standard format).

    ``picture``: the output's PNG (base64), shown until the explorer starts and where scripts do
    not run. ``sample_url``: where the page finds the sample images (``{name}`` in it); the
    image then stays out of the page. None: the image travels in the state.
    """
    from ipywidgets.embed import dependency_state

    if sample_url is not None:
        app.sample_url = sample_url
    state = dependency_state([app], drop_defaults=False)
    if sample_url is not None:  # the page loads the sample from the site
        entry = state[app.model_id]
        entry["buffers"] = [b for b in entry.get("buffers", []) if b["path"] != ["image"]]
        entry["state"].pop("image", None)
    # "</" written as "<\/" (the same JSON): no "</script>" inside the script element
    state_json = json.dumps({"version_major": 2, "version_minor": 0, "state": state}).replace("</", "<\\/")
    view_json = json.dumps({"version_major": 2, "version_minor": 0, "model_id": app.model_id})
    img = (f'<img class="course-live-picture" src="data:image/png;base64,{picture}" '
           f'alt="{html.escape(alt)}">' if picture else "")
    return (f'<div class="course-live">{img}'
            f'<script type="{WIDGET_STATE}">{state_json}</script>'
            f'<script type="{WIDGET_VIEW}">{view_json}</script></div>')


def _make_live(nb: dict, docname: str) -> tuple[list[str], int]:
    """Replace each live explorer's output by its live HTML.

    Returns the live apps' names and the number of other widget outputs (pictures only).
    """
    sample_url = "../" * docname.count("/") + f"_static/{SAMPLES_DIR}/{{name}}.png"
    live, pictures = [], 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            described = output.get("metadata", {}).get(LIVE_METADATA)
            if not described:
                pictures += 1
                continue
            app = live_explorer(described["app"], described["settings"])
            alt = output.get("metadata", {}).get("image/png", {}).get("alt", app.alt())
            output["data"] = {"text/html": live_html(app, picture=data.get("image/png"), alt=alt,
                                                     sample_url=sample_url),
                              "text/plain": data.get("text/plain", "")}
            live.append(LIVE_NAMES[described["app"]])
    return live, pictures


def live_line(live: list[str], pictures: int) -> str:
    """Write the line under a chapter's title: what is live on the page, what needs a kernel."""
    plural = pictures != 1
    others = (f"{pictures} interactive output{'s' if plural else ''} need{'' if plural else 's'} a kernel: "
              f"here {'they are' if plural else 'it is'} shown as {'pictures' if plural else 'a picture'} "
              f"or text; open the notebook in Jupyter or Colab to use {'them' if plural else 'it'}.")
    if not live:
        return f"Nothing on this page is live: its {others}" if pictures else "Nothing here needs a kernel."
    names = " and ".join(dict.fromkeys(live))
    rest = f"The page's other {others}" if pictures else "Nothing else on this page needs a kernel."
    return f"**Live on this page**, in your browser with no kernel: {names}. {rest}"


def _rewrite_header(_app, docname: str, source: list[str]) -> None:  # a Sphinx event's signature
    """``source-read``: the title cell of a chapter becomes its title, links and live line.

    The explorers' outputs become live.
    """
    name = Path(docname).name
    if not docname.startswith("notebooks/") or name not in notebook_header.CHAPTERS:
        return
    nb = json.loads(source[0])
    live, pictures = _make_live(nb, docname)
    for cell in nb["cells"]:
        if "course-title" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = (f"# {notebook_header.CHAPTERS[name]}\n\n{chapter_links(name)}\n\n"
                              f"{live_line(live, pictures)}")
            break
    else:
        raise RuntimeError(f"{docname}: no cell tagged 'course-title' (run `make sync`).")
    source[0] = json.dumps(nb)


def _carry_alt_text() -> None:
    """Let myst-nb write an image output's ``alt`` metadata into its ``<img>``."""
    from myst_nb.core.render import NbElementRenderer

    if getattr(NbElementRenderer.render_image, "_course_alt", False):
        return
    original = NbElementRenderer.render_image

    def render_image(self, data):
        nodes = original(self, data)
        alt = data.output_metadata.get(data.mime_type, {}).get("alt")
        if alt and nodes and "alt" not in nodes[0]:
            nodes[0]["alt"] = str(alt)
        return nodes

    render_image._course_alt = True
    NbElementRenderer.render_image = render_image


def _copy_mathjax(app, exception) -> None:
    """``build-finished``: MathJax's files into ``_static/mathjax``; the downloads into place."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    source, target = mathjax_source(), outdir / "_static" / MATHJAX_DIR
    for part in MATHJAX_PARTS:
        if (target / part).exists():
            continue
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)
    shutil.copy2(source.parent / "LICENSE", target / "LICENSE")
    downloads = outdir / "downloads"
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        student_copy.write_student_copy(path, downloads / "student")
    shutil.copy2(ROOT / "classroom" / "presenter.ipynb", downloads / "presenter.ipynb")
    _write_samples(outdir / "_static" / SAMPLES_DIR)


def _write_samples(folder: Path) -> None:
    """Write the explorers' sample images, as the explorers use them (PNG, shrunk for live filtering)."""
    from course_lib.images import sample_names
    from course_lib.widgets.filters import kernel_explorer

    folder.mkdir(parents=True, exist_ok=True)
    app = kernel_explorer()
    for name in sample_names():
        app.image_name = name
        (folder / f"{name}.png").write_bytes(bytes(app.image))


def _remove_scratch(app, exception) -> None:
    """``build-finished``: remove myst-nb's scratch folder, which is not part of the site.

    It is ``jupyter_execute``, written beside the output folder (e.g. in the repository's root).
    """
    if exception is None:
        shutil.rmtree(Path(app.outdir).parent / "jupyter_execute", ignore_errors=True)


def setup(app):
    """Connect the course's steps to Sphinx's events (a Sphinx extension's entry point)."""
    _carry_alt_text()
    app.add_js_file("course-widgets.js")  # the live explorers' static widget manager
    app.connect("source-read", _rewrite_header)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _remove_scratch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
