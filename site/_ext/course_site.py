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
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import notebook_header  # noqa: E402  (tools/ is not a package)
import student_copy  # noqa: E402

MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output", "a11y", "sre", "ui", "adaptors")
MATHJAX_DIR = "mathjax"  # under _static/


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


def _rewrite_header(_app, docname: str, source: list[str]) -> None:  # a Sphinx event's signature
    """``source-read``: the title cell of a chapter becomes its title and the two links."""
    name = Path(docname).name
    if not docname.startswith("notebooks/") or name not in notebook_header.CHAPTERS:
        return
    nb = json.loads(source[0])
    for cell in nb["cells"]:
        if "course-title" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = f"# {notebook_header.CHAPTERS[name]}\n\n{chapter_links(name)}"
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


def _remove_scratch(app, exception) -> None:
    """``build-finished``: remove myst-nb's scratch folder, which is not part of the site.

    It is ``jupyter_execute``, written beside the output folder (e.g. in the repository's root).
    """
    if exception is None:
        shutil.rmtree(Path(app.outdir).parent / "jupyter_execute", ignore_errors=True)


def setup(app):
    """Connect the course's steps to Sphinx's events (a Sphinx extension's entry point)."""
    _carry_alt_text()
    app.connect("source-read", _rewrite_header)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _remove_scratch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
