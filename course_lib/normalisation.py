r"""Batch normalisation (Ioffe and Szegedy, 2015), written out in NumPy, and added to a model.

In **training mode** a batch-norm layer standardises each channel with the statistics of the
batch it is given, then rescales and shifts it with two learned numbers per channel:

.. math:: \hat x = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}, \qquad
          y = \gamma \hat x + \beta,

where :math:`\mu_B` and :math:`\sigma_B^2` (the biased variance) are taken over every value of
the channel in the batch: over ``N`` for ``(N, C)`` inputs, over ``N, H, W`` for images
``(N, C, H, W)``. It also keeps **running statistics**, an exponential average of the batch
means and of the *unbiased* batch variances. In **evaluation mode** it uses those instead of the
batch's, so a prediction does not depend on the other images in the batch.

- :func:`batch_statistics`, :func:`batch_norm`, :func:`update_running_statistics`: the layer,
  step by step, as ``torch.nn.BatchNorm1d``/``BatchNorm2d`` compute it;
- :func:`with_batch_norm`: a copy of a model with a batch-norm layer after each convolution;
- :func:`set_batch_norm_statistics`: give a model's batch-norm layers the exact statistics of a
  data set (what they would converge to), to look at its evaluation-mode behaviour.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from ._checks import as_float_array, check_real
from ._devices import to_model_device

__all__ = ["EPS", "MOMENTUM", "batch_norm", "batch_statistics", "set_batch_norm_statistics",
           "update_running_statistics", "with_batch_norm"]

EPS = 1e-5
"""PyTorch's default :math:`\\varepsilon`, added to the variance before the square root."""
MOMENTUM = 0.1
"""PyTorch's default momentum: the weight of the newest batch in the running statistics."""


def _channels_axes(x: np.ndarray) -> tuple[int, ...]:
    """Return the axes a channel's statistics are taken over: all but axis 1 (the channels)."""
    return (0, *range(2, x.ndim))


def _as_batch(x, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name, ndim=(2, 3, 4, 5))
    if x.size // max(x.shape[1], 1) < 2:
        raise ValueError(f"`{name}` must hold at least 2 values per channel to compute a "
                         f"variance; got shape {x.shape}.")
    return x


def _per_channel(values, name: str, channels: int) -> np.ndarray:
    values = as_float_array(values, name, ndim=1)
    if values.shape != (channels,):
        raise ValueError(f"`{name}` must hold one number per channel, shape ({channels},); "
                         f"got {values.shape}.")
    return values


def _broadcast(values: np.ndarray, ndim: int) -> np.ndarray:
    return values.reshape((1, -1) + (1,) * (ndim - 2))  # (1, C, 1, 1) for images


def batch_statistics(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Compute the per-channel mean and biased variance of a batch ``(N, C, ...)``.

    They are what training-mode batch norm normalises with.

    Examples
    --------
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])   # (N=2, C=2)
    >>> batch_statistics(x)
    (array([ 2., 20.]), array([  1., 100.]))
    """
    x = _as_batch(x)
    axes = _channels_axes(x)
    return x.mean(axis=axes), x.var(axis=axes)


def batch_norm(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, *, mean: ArrayLike | None = None,
               var: ArrayLike | None = None, eps: float = EPS) -> np.ndarray:
    """Batch normalisation of ``x`` ``(N, C, ...)``, channel by channel.

    Without ``mean`` and ``var`` it is the training-mode layer: the batch's own statistics
    (:func:`batch_statistics`). With them (the running statistics) it is the evaluation-mode
    layer.

    Parameters
    ----------
    x : array_like, shape (N, C) or (N, C, H, W) (or any trailing sizes)
        The batch; axis 1 holds the channels.
    gamma, beta : array_like, shape (C,)
        The learned scale and shift of each channel.
    mean, var : array_like, shape (C,), optional
        Statistics to use instead of the batch's (evaluation mode); give both or neither.
    eps : float
        Added to the variance before the square root.

    Examples
    --------
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> batch_norm(x, gamma=[1.0, 1.0], beta=[0.0, 0.0], eps=0.0)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> batch_norm(x, gamma=[2.0, 1.0], beta=[0.5, 0.0], mean=[0.0, 0.0], var=[1.0, 1.0], eps=0.0)
    array([[ 2.5, 10. ],
           [ 6.5, 30. ]])
    """
    x = _as_batch(x)
    channels = x.shape[1]
    gamma = _per_channel(gamma, "gamma", channels)
    beta = _per_channel(beta, "beta", channels)
    eps = check_real(eps, "eps", minimum=0.0)
    if (mean is None) != (var is None):
        raise ValueError("give both `mean` and `var` (evaluation mode) or neither (training "
                         "mode, the batch's own statistics).")
    if mean is None:
        mean, var = batch_statistics(x)
    else:
        mean = _per_channel(mean, "mean", channels)
        var = _per_channel(var, "var", channels)
        if np.any(var < 0):
            raise ValueError("`var` must not be negative.")
    if eps == 0 and np.any(var == 0):
        raise ValueError("a channel has zero variance: use `eps` > 0.")
    x_hat = (x - _broadcast(mean, x.ndim)) / np.sqrt(_broadcast(var, x.ndim) + eps)
    return _broadcast(gamma, x.ndim) * x_hat + _broadcast(beta, x.ndim)


def update_running_statistics(running_mean: ArrayLike, running_var: ArrayLike, x: ArrayLike, *,
                              momentum: float = MOMENTUM) -> tuple[np.ndarray, np.ndarray]:
    """Update the running statistics after one training step on the batch ``x``, as PyTorch does.

    ``running = (1 - momentum) * running + momentum * batch``, with the batch's
    **unbiased** variance (divided by ``n - 1``, ``n`` the values per channel), although the
    batch itself is normalised with the biased one.

    Examples
    --------
    >>> x = np.array([[1.0], [3.0]])                     # one channel, n = 2: mean 2, var 2
    >>> update_running_statistics([0.0], [1.0], x, momentum=0.5)
    (array([1.]), array([1.5]))
    """
    x = _as_batch(x)
    channels = x.shape[1]
    running_mean = _per_channel(running_mean, "running_mean", channels)
    running_var = _per_channel(running_var, "running_var", channels)
    momentum = check_real(momentum, "momentum", minimum=0.0, maximum=1.0)
    mean, var = batch_statistics(x)
    n = x.size // channels
    unbiased = var * n / (n - 1)
    return ((1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * unbiased)


# --- batch norm in a model -----------------------------------------------------------------

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _with_batch_norm(sequential: nn.Sequential) -> nn.Sequential:
    layers: list[nn.Module] = []
    for layer in sequential:
        layers.append(layer)
        if isinstance(layer, nn.Conv2d):
            layers.append(nn.BatchNorm2d(layer.out_channels))
    return nn.Sequential(*layers)


def with_batch_norm(model: nn.Module) -> nn.Module:
    """Copy ``model``, adding an ``nn.BatchNorm2d`` after every ``nn.Conv2d``.

    The new layers go into its ``nn.Sequential`` parts, before the activation that follows each
    convolution. The weights are copied, so
    the two models start from the same convolutions; ``model`` itself is not changed.

    (A convolution followed by batch norm needs no bias: the mean subtraction removes it. It is
    kept here so the copy starts from exactly the original's weights.)

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten())
    >>> [type(layer).__name__ for layer in with_batch_norm(net)]
    ['Conv2d', 'BatchNorm2d', 'ReLU', 'Flatten']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    if not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        raise ValueError("`model` has no nn.Conv2d to put a batch-norm layer after.")
    result = copy.deepcopy(model)
    if isinstance(result, nn.Sequential):
        return _with_batch_norm(result)
    parents = [m for m in result.modules() if not isinstance(m, nn.Sequential)]
    for parent in parents:
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Sequential):
                setattr(parent, name, _with_batch_norm(child))
    if not any(isinstance(m, nn.BatchNorm2d) for m in result.modules()):
        raise ValueError("`model`'s convolutions are not inside an nn.Sequential; add the "
                         "batch-norm layers by hand.")
    return result


def set_batch_norm_statistics(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """Give every batch-norm layer of ``model`` its input's exact statistics over the batch ``x``.

    The mean and unbiased variance come from one pass in training mode, no gradients. Its learned
    ``gamma`` and ``beta`` are not changed, and the model is left in the mode it was in.

    Examples
    --------
    >>> net = nn.Sequential(nn.BatchNorm1d(1))
    >>> _ = set_batch_norm_statistics(net, torch.tensor([[1.0], [3.0]]))
    >>> net[0].running_mean, net[0].running_var
    (tensor([2.]), tensor([2.]))
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x):
        raise TypeError(f"`x` must be a float tensor (N, ...); got {type(x).__name__}.")
    norms = [m for m in model.modules() if isinstance(m, _BATCH_NORMS)]
    if not norms:
        raise ValueError("`model` has no batch-norm layer.")
    was_training, momenta = model.training, [m.momentum for m in norms]
    try:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a cumulative average: after one batch, that batch's statistics
        model.train()
        with torch.no_grad():
            try:
                model(*to_model_device(model, x))
            except RuntimeError as error:  # a shape or dtype the model cannot take
                raise ValueError(f"`x` of shape {tuple(x.shape)} and dtype {x.dtype} does not fit "
                                 f"the model: {error}") from error
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        model.train(was_training)
    return model
