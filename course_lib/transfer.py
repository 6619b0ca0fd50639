"""Transfer learning without a download: reuse the features a network learned on another task.

A network trained on one task (the *source*: here the generated shapes of
:func:`course_lib.data.make_shapes`) has learned features, its convolutions; a new task (the
*target*: the digits) can start from them instead of from random weights. Three ways to use them,
from the cheapest to the most flexible:

- a **linear classifier on frozen features** (a *linear probe*): the features are computed once
  and only a linear layer is trained on them (:func:`frozen_features`, :func:`linear_probe`);
- **fine-tuning**: the whole network is trained on the target, starting from the source's
  weights with a new classifier (:func:`with_new_head`);
- training **from scratch**, the baseline every transfer must beat.

The models are the course's :class:`~course_lib.models.TinyCNN` or any module with a ``features``
part and a ``classifier`` ending in an ``nn.Linear``. :func:`resize` brings the target's images
to the size the source network was trained on.

Shown in chapter 4, section 4.5 (notebooks/04_training_part_2.ipynb).
"""

from __future__ import annotations

import copy
from typing import cast

import torch
from torch import nn

from ._checks import check_bool, check_int
from ._devices import model_device
from ._types import Batch, DataPair
from .history import History
from .models import TinyCNN
from .train import fit

__all__ = ["freeze", "frozen_features", "linear_probe", "resize", "with_new_head"]


def _parts(model) -> tuple[nn.Module, nn.Sequential]:
    """Check ``model`` and return its ``features`` and its ``classifier``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    features, classifier = getattr(model, "features", None), getattr(model, "classifier", None)
    if not isinstance(features, nn.Module) or not isinstance(classifier, nn.Sequential) \
            or not isinstance(classifier[-1], nn.Linear):
        raise ValueError("`model` must have a `features` module and a `classifier` nn.Sequential "
                         f"ending in an nn.Linear, as the tiny CNN has; got {type(model).__name__}.")
    return features, classifier


def _images(x, name: str = "x") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"`{name}` must be a batch of images (N, C, H, W); got "
                            f"{type(x).__name__}.") from exc
    if x.ndim != 4 or x.numel() == 0 or not torch.is_floating_point(x):
        raise ValueError(f"`{name}` must be a non-empty float batch of images (N, C, H, W); got "
                         f"shape {tuple(x.shape)} and dtype {x.dtype}.")
    return x


def resize(images: Batch, size: int) -> torch.Tensor:
    """Resize a batch of images to ``size`` x ``size`` pixels (bilinear interpolation).

    Examples
    --------
    >>> resize(torch.ones(2, 1, 8, 8), 16).shape
    torch.Size([2, 1, 16, 16])
    """
    x = _images(images, "images")
    size = check_int(size, "size", minimum=1, maximum=4096)
    return nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def freeze(module: nn.Module) -> nn.Module:
    """Stop the training of ``module``'s parameters (``requires_grad = False``); return it.

    An optimiser skips a parameter that gets no gradient, so a frozen part keeps its weights.

    Examples
    --------
    >>> layer = freeze(nn.Linear(2, 2))
    >>> [p.requires_grad for p in layer.parameters()]
    [False, False]
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"`module` must be a torch.nn.Module; got {type(module).__name__}.")
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def with_new_head(model: nn.Module, num_classes: int, *, freeze_features: bool = False) -> nn.Module:
    """Copy ``model`` with its features and a new, randomly initialised last linear layer.

    The copy's features hold the same weights as ``model``'s (``model`` itself is unchanged); its
    classifier's last ``nn.Linear`` is replaced by a fresh one with ``num_classes`` outputs,
    drawn from the global random state like any new layer. With ``freeze_features`` only the
    new classifier is trained.

    Examples
    --------
    >>> from course_lib.models import tiny_cnn
    >>> source = tiny_cnn(num_classes=4)
    >>> target = with_new_head(source, 10, freeze_features=True)
    >>> target.classifier[-1], target.features[0].weight.requires_grad
    (Linear(in_features=512, out_features=10, bias=True), False)
    >>> bool(torch.equal(target.features[0].weight, source.features[0].weight))
    True
    """
    _parts(model)
    num_classes = check_int(num_classes, "num_classes", minimum=2, maximum=100_000)
    freeze_features = check_bool(freeze_features, "freeze_features")
    result = copy.deepcopy(model)
    features, classifier = _parts(result)
    old = cast(nn.Linear, classifier[-1])
    classifier[-1] = nn.Linear(old.in_features, num_classes).to(model_device(model))
    if isinstance(result, TinyCNN):
        result.num_classes = num_classes  # what it reports and checks
    if freeze_features:
        freeze(features)
    return result


@torch.no_grad()
def frozen_features(model: nn.Module, x: Batch, *, batch_size: int = 1024) -> torch.Tensor:
    """Compute ``model``'s features of the images ``x``, flattened: what its classifier reads.

    The model runs in evaluation mode, without gradients; it is put back in its former mode.

    Returns
    -------
    torch.Tensor
        (N, D) features, on the CPU.

    Examples
    --------
    >>> from course_lib.models import tiny_cnn
    >>> frozen_features(tiny_cnn(), torch.zeros(3, 1, 8, 8)).shape
    torch.Size([3, 512])
    """
    features, _ = _parts(model)
    x = _images(x)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    was_training = model.training
    model.eval()
    device = model_device(model)
    try:
        parts = [features(x[i:i + batch_size].to(device)).flatten(1).cpu()  # (B, D)
                 for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(parts)


def linear_probe(model: nn.Module, train: DataPair, val: DataPair | None = None, *, num_classes: int,
                 epochs: int, lr: float, batch_size: int = 64, seed: int = 0
                 ) -> tuple[nn.Linear, History]:
    """Train a linear classifier on ``model``'s frozen features of ``train`` (a linear probe).

    The features are computed once (:func:`frozen_features`), so each epoch costs a linear
    layer's work only. It is the same training as that of ``with_new_head(model, num_classes,
    freeze_features=True)`` (the tiny CNN has no dropout or batch norm in its features), given
    the same new layer.

    Parameters
    ----------
    model : torch.nn.Module
        The source network (with ``features`` and ``classifier``); not changed.
    train, val : (x, y) pairs
        Target images and labels; ``val`` is evaluated after each epoch if given.
    num_classes : int
        Classes of the target.
    epochs, lr, batch_size, seed
        As in :func:`course_lib.train.fit` (Adam).

    Returns
    -------
    (torch.nn.Linear, History)
        The trained linear layer and its history.

    Examples
    --------
    >>> from course_lib.models import tiny_cnn
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.randn(40, 1, 8, 8); y = (x.mean(dim=(1, 2, 3)) > 0).long()
    >>> layer, history = linear_probe(tiny_cnn(), (x, y), num_classes=2, epochs=3, lr=0.01)
    >>> layer, len(history)
    (Linear(in_features=512, out_features=2, bias=True), 3)
    """
    _parts(model)
    if not (isinstance(train, (tuple, list)) and len(train) == 2):
        raise TypeError(f"`train` must be a pair (x, y); got {type(train).__name__}.")
    if val is not None and not (isinstance(val, (tuple, list)) and len(val) == 2):
        raise TypeError(f"`val` must be a pair (x, y) or None; got {type(val).__name__}.")
    num_classes = check_int(num_classes, "num_classes", minimum=2, maximum=100_000)
    features = frozen_features(model, train[0])  # (N, D)
    layer = nn.Linear(features.shape[1], num_classes)
    val_features = None if val is None else (frozen_features(model, val[0]), val[1])
    history = fit(layer, (features, train[1]), test=val_features, epochs=epochs, lr=lr,
                  batch_size=batch_size, seed=seed, progress=False, device="cpu")
    return layer, history
