"""Sphinx configuration of the course website (`make site` builds it into _site/).

Built offline from the committed, executed notebooks: nothing is re-executed and nothing is
fetched (the theme's assets ship in its wheel; MathJax comes from the django-static-mathjax
wheel, see _ext/course_site.py). `notebooks` here is a link to the repository's notebooks/.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

from course_site import notebook_header  # tools/notebook_header.py

project = "Deep learning for computer vision"
author = "The course's authors"
copyright = "the course's authors, MIT licence"
language = "en"

extensions = ["myst_nb", "course_site"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "notebooks/*.md"]

# --- notebooks: show the committed outputs ------------------------------------------------------
nb_execution_mode = "off"
# A widget's live view needs a kernel: the site shows the picture (or HTML) stored beside it.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

# --- MathJax from the site itself -----------------------------------------------------------------
mathjax_path = "mathjax/tex-mml-chtml.js"  # relative to _static/, copied there at build end

# --- HTML ---------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Deep learning for computer vision"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": notebook_header.repository_url(),  # from pyproject.toml
    "use_repository_button": False,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
html_favicon = "_static/favicon.svg"
html_context = {"default_mode": "light"}  # the theme's light/dark switch starts on light
