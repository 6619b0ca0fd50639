"""Write (or check) the first two cells of every chapter notebook, and the README's Colab links.

The cells are the title with an "Open in Colab" link, and the set-up cell; the README, read on
GitHub, keeps Colab's badge.
The repository address comes from one place, ``[project.urls] Repository`` in pyproject.toml.

    python tools/notebook_header.py          # rewrite the header cells in place
    python tools/notebook_header.py --check  # exit 1 if a notebook's header is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BRANCH = "main"

CHAPTERS = {
    "01_image_filters": "Chapter 1 — Image filters",
    "02_cnn_architectures": "Chapter 2 — CNN architectures: AlexNet and VGG",
    "03_training": "Chapter 3 — Training neural networks",
}


def repository_url() -> str:
    """Read the repository address from pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")


def colab_url(name: str) -> str:
    """Build the 'Open in Colab' link of notebook ``name`` (without ``.ipynb``)."""
    path = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/{name}.ipynb"


def title_source(name: str) -> str:
    """Write the title cell: the chapter's title and an "Open in Colab" link.

    A text link, not Colab's badge: the badge is an image on the web, shown broken wherever the
    notebook is read offline (JupyterLab on a laptop, the classroom, the course website).
    """
    return f"# {CHAPTERS[name]}\n\n[Open in Colab]({colab_url(name)})"


def setup_source() -> str:
    """Write the set-up cell: in Colab, install course_lib from the repository."""
    return (
        "# Set-up. In Google Colab, install course_lib from the course's repository; Colab's own\n"
        "# torch is kept, since course_lib only asks for torch>=2.2. Locally `make lab` did this.\n"
        "# A widget does not show? Run `import course_lib; course_lib.doctor()`: it says why.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "course_lib @ git+{repository_url()}"'
    )


def sync_readme(text: str) -> str:
    """Point the README's Colab links at the repository named in pyproject.toml."""
    for name in CHAPTERS:
        pattern = rf"https://colab\.research\.google\.com/github/[^)\s]+/notebooks/{name}\.ipynb"
        text = re.sub(pattern, colab_url(name), text)
    return text


def apply_header(nb, name: str) -> bool:
    """Make the first two cells the title and the set-up cell; return whether anything changed."""
    title = nbformat.v4.new_markdown_cell(title_source(name), metadata={"tags": ["course-title"]})
    setup = nbformat.v4.new_code_cell(setup_source(), metadata={"tags": ["course-setup"]})
    cells = nb.cells
    changed = False
    for index, (cell, tag) in enumerate(((title, "course-title"), (setup, "course-setup"))):
        current = cells[index] if len(cells) > index else None
        if current is not None and tag in current.get("metadata", {}).get("tags", []):
            if current.source != cell.source or current.cell_type != cell.cell_type:
                current.source = cell.source
                changed = True
        else:
            cells.insert(index, cell)
            changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or check) the headers from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date headers")
    args = parser.parse_args(argv)
    stale = []
    for name in CHAPTERS:
        path = NOTEBOOKS / f"{name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        if apply_header(nb, name):
            stale.append(path.name)
            if not args.check:
                nbformat.write(nb, path)
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    fresh = sync_readme(readme)
    if fresh != readme:
        stale.append(readme_path.name)
        if not args.check:
            readme_path.write_text(fresh, encoding="utf-8")
    if stale:
        verb = "out of date" if args.check else "updated"
        print(f"{verb}: {', '.join(stale)}")
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
