"""Pieces shared by the widget apps: a message line and PNG image views."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from numpy.typing import ArrayLike

from ..plotting import to_png
from .app import NamedImage, screen_reader_name

MESSAGE_LIMIT = 200
"""Characters a message line shows at most."""


def message_line() -> widgets.HTML:
    """Make an HTML line where an app writes what went wrong (or nothing when all is well)."""
    line = widgets.HTML(value="")
    line.add_class("course-message")
    return line


def show_message(line: widgets.HTML, text: str, *, kind: str = "error") -> None:
    """Write ``text`` into ``line``: red for an error, grey for information, empty to clear."""
    if not text:
        line.value = ""
        return
    colour = {"error": "#b00020", "info": "#555555", "ok": "#1b7f3b"}[kind]
    if len(text) > MESSAGE_LIMIT:  # a message is read at a glance: never a wall of text
        text = text[:MESSAGE_LIMIT - 3] + "..."
    line.value = f'<span style="color:{colour}">{html.escape(text)}</span>'


def image_view(*, width: int = 256, css_class: str | None = None, alt: str | None = None
               ) -> widgets.Image:
    """Make an empty PNG ``Image`` widget of a given display width in pixels.

    ``alt`` names it for screen readers.
    """
    view = NamedImage(format="png", layout=widgets.Layout(width=f"{width}px", height="auto"))
    if alt:
        screen_reader_name(view, alt)
    if css_class:
        view.add_class(css_class)
    return view


def update_image(view: widgets.Image, image: ArrayLike, **png_options: Any) -> None:
    """Render ``image`` as PNG into ``view``."""
    view.value = to_png(image, **png_options)
