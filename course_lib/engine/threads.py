"""How many CPU threads PyTorch uses while the course trains a model.

PyTorch splits each operation across all the CPU's cores by default. For the course's tiny
models (ten thousand parameters, 8x8 or 32x32 images) a step is little work: on an idle 2-core
machine a second thread speeds the 32x32 model up by a half at best, but as soon as another
program keeps a core busy (a browser, a classroom server, Colab's second vCPU) every step waits
for the thread on that core, and the same training runs several times slower than on one
thread (``benchmarks/bench_train.py`` measures both). One thread is the safe choice, so the
trainer makes it: one thread for a small model, the caller's setting for a large one, and the
caller's setting is restored afterwards.

>>> from torch import nn
>>> choose_threads(nn.Linear(10, 2))
1
>>> before = torch.get_num_threads()
>>> with torch_threads(1):
...     torch.get_num_threads()
1
>>> torch.get_num_threads() == before
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import torch
from torch import nn

from .._checks import check_int

__all__ = ["SMALL_MODEL_PARAMETERS", "choose_threads", "model_threads", "torch_threads"]

SMALL_MODEL_PARAMETERS = 1_000_000
"""Below this many parameters a model trains on one CPU thread (see the module's docstring)."""


def choose_threads(model: nn.Module) -> int:
    """Choose the number of CPU threads to train ``model`` with.

    1 below :data:`SMALL_MODEL_PARAMETERS` parameters, otherwise PyTorch's current setting (by
    default, one per core).

    >>> from course_lib.models import tiny_cnn
    >>> choose_threads(tiny_cnn(image_size=8, num_classes=10))
    1
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    parameters = sum(p.numel() for p in model.parameters())
    return 1 if parameters < SMALL_MODEL_PARAMETERS else torch.get_num_threads()


@contextmanager
def torch_threads(threads: int) -> Iterator[int]:
    """Run the ``with`` block with PyTorch using ``threads`` CPU threads.

    The caller's setting is restored afterwards, also when the block raises or is interrupted.
    """
    threads = check_int(threads, "threads", minimum=1, maximum=1024)
    previous = torch.get_num_threads()
    if threads != previous:
        torch.set_num_threads(threads)
    try:
        yield threads
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def model_threads(model: nn.Module) -> AbstractContextManager[int]:
    """Run the ``with`` block on the threads :func:`choose_threads` picks for ``model``.

    What the trainer does while it trains, for the functions that measure a model outside
    training (``evaluate``, the diagnostics, the effective receptive field).

    >>> with model_threads(nn.Linear(10, 2)):
    ...     torch.get_num_threads()
    1
    """
    return torch_threads(choose_threads(model))
