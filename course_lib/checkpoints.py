"""Checkpoints: a model, its optimiser, its training history and settings in one file.

Everything stored is tensors, numbers, strings and lists, so :func:`load_checkpoint` reads it
with ``torch.load(..., weights_only=True)``, which runs no code from the file. A checkpoint is
written to a ``.part`` file first and then renamed, so an interrupted save never leaves a
half-written checkpoint behind.

>>> import tempfile
>>> from pathlib import Path
>>> from torch import nn
>>> with tempfile.TemporaryDirectory() as folder:
...     path = save_checkpoint(Path(folder) / "run.pt", nn.Linear(2, 2))
...     history = load_checkpoint(path, nn.Linear(2, 2))
>>> history
History(no epochs yet)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ._types import PathLike
from .history import History

__all__ = ["load_checkpoint", "save_checkpoint"]

FORMAT = 1  # the layout of the stored dictionary; a file of another format is refused


def save_checkpoint(path: PathLike, model: nn.Module, *, optimizer: torch.optim.Optimizer | None = None,
                    history: History | None = None, settings: dict[str, Any] | None = None) -> Path:
    """Save model (and optimiser, history, settings) to ``path`` with ``torch.save``.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write (its folder is created if needed).
    model : torch.nn.Module
        Its ``state_dict`` is stored.
    optimizer : torch.optim.Optimizer, optional
        Its state (Adam's moments, SGD's momentum) is stored, so training resumes exactly.
    history : History, optional
        The finished epochs.
    settings : dict, optional
        The settings of the run (a ``TrainConfig`` as a dictionary).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    payload = {
        "format": FORMAT,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "history": (history or History()).to_dict(),
        "config": dict(settings) if settings is not None else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    torch.save(payload, partial)
    partial.replace(path)  # never leave a half-written checkpoint behind
    return path


def load_checkpoint(path: PathLike, model: nn.Module, *,
                    optimizer: torch.optim.Optimizer | None = None) -> History:
    """Restore ``model`` (and ``optimizer``) from a checkpoint; return its :class:`History`.

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    ValueError
        When the file is not a course checkpoint, or its weights do not fit ``model``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path`: no checkpoint at {str(path)!r}.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"`path` {str(path)!r} is not a readable checkpoint ({exc}).") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"`path` {str(path)!r} is not a course_lib checkpoint.")
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:
        raise ValueError(f"The checkpoint {path.name} does not fit this model: {exc}") from exc
    if optimizer is not None and payload["optimizer"] is not None:
        optimizer.load_state_dict(payload["optimizer"])
    return History.from_dict(payload["history"])
