"""Where a model lives, and moving data there: one rule for every function that runs a model.

A model is on the device of its parameters (or buffers); a model with neither runs anywhere,
and counts as on the CPU. Functions that take a model and tensors move the tensors to the
model, so that a model trained on a GPU can be examined with data made on the CPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn


def model_device(model: nn.Module) -> torch.device:
    """Return the device of ``model``'s first parameter or buffer (the CPU when it has none)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def to_model_device(model: nn.Module, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Return ``tensors`` moved to ``model``'s device (no copy for those already there)."""
    device = model_device(model)
    return tuple(t.to(device) for t in tensors)


def move_optimizer_state(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Move an optimiser's per-parameter tensors (Adam's averages, SGD's momentum) to ``device``.

    Scalars such as Adam's step count stay where PyTorch keeps them (on the CPU).
    """
    for state in optimizer.state.values():
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and value.ndim > 0 and value.device != device:
                state[key] = value.to(device)


@contextlib.contextmanager
def deterministic_cudnn(device: torch.device) -> Iterator[None]:
    """On a CUDA device, use cuDNN's deterministic algorithms for the duration, then restore.

    cuDNN otherwise picks algorithms that may sum in a different order from run to run, so two
    runs with one seed would drift apart in the last digits. On other devices, nothing changes.
    """
    if device.type != "cuda":
        yield
        return
    settings = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = settings
