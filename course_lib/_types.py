"""Type aliases of the public API, written once."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

PathLike = str | os.PathLike[str]
"""A file or folder: a ``str`` or a ``pathlib.Path``."""

DataPair = Sequence[torch.Tensor | np.ndarray]
"""A labelled data set ``(x, y)``: images or vectors, and class indices (tensors or arrays)."""

Batch = ArrayLike | torch.Tensor
"""A batch of images ``(N, C, H, W)`` (or vectors ``(N, D)``): an array or a tensor."""
