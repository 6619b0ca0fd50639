"""Looking inside a network: what its features carry forward, and the gradients it passes back.

Chapter 3 uses these to find out *why* a tiny CNN with sigmoids does not learn: is it the
backward pass (vanishing gradients) or the forward pass (features that hardly differ from one
example to the next)?

- :func:`feature_statistics`: the mean of a model's features, and their **spread across
  examples** (how much the features of one example differ from another's: what the classifier
  can tell the classes apart by);
- :func:`weight_gradient_norms`: the norm of the loss gradient on each layer's weights, for one
  batch;
- :func:`weight_changes`: how far training moved each layer's weights from where they started;
- :func:`saturation_statistics`: for each activation layer, the average slope :math:`f'(z)` at
  its inputs and the share of inputs far out in the tails (``|z| > 3``): is it saturated?
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._checks import check_real
from ._devices import to_model_device
from .activations import ACTIVATION_NAMES, get_activation
from .engine.threads import model_threads

__all__ = ["FeatureStatistics", "SaturationStatistics", "feature_statistics", "saturation_statistics",
           "weight_changes", "weight_gradient_norms"]


@dataclass(frozen=True)
class FeatureStatistics:
    """Summary of a batch of feature vectors (N, D)."""

    mean: float  # the average feature value, over examples and features
    spread: float  # the standard deviation across examples, averaged over the D features
    features: int  # D, the number of features per example

    def __str__(self) -> str:
        return f"mean {self.mean:.3f}, spread across examples {self.spread:.4f} ({self.features} features)"


def _check_model_and_inputs(model, x) -> torch.Tensor:
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x):
        raise TypeError(f"`x` must be a float tensor (N, ...); got {type(x).__name__}"
                        f"{' of dtype ' + str(x.dtype) if isinstance(x, torch.Tensor) else ''}.")
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(f"`x` must hold a batch of at least 2 examples (N, ...); got shape "
                         f"{tuple(x.shape)}.")
    return x


def feature_statistics(model: nn.Module, x: torch.Tensor) -> FeatureStatistics:
    """Measure the mean and spread across examples of a model's features.

    The features are ``model.features(x)`` (or ``model(x)`` for a model with no ``features``
    part), flattened to one vector per example, computed without gradients.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Sigmoid())
    >>> x = torch.zeros(5, 4)                 # five identical examples
    >>> stats = feature_statistics(model, x)
    >>> stats.spread, stats.features
    (0.0, 3)
    """
    (x,) = to_model_device(model, _check_model_and_inputs(model, x))
    body = getattr(model, "features", model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), model_threads(model):
            features = body(x).reshape(len(x), -1).double()  # (N, D)
    finally:
        model.train(was_training)
    return FeatureStatistics(mean=float(features.mean()),
                             spread=float(features.std(dim=0, correction=0).mean()),
                             features=features.shape[1])


def weight_gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Measure the norm of the loss's gradient on each layer's weights.

    The loss is the cross-entropy on the batch ``(x, y)``; every convolution and linear layer
    gets ``{layer name: norm}``, input side first. The model's own ``.grad`` fields are left
    as they were.

    Examples
    --------
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> norms = weight_gradient_norms(model, torch.ones(4, 2), torch.tensor([0, 1, 0, 1]))
    >>> list(norms)
    ['0', '2']
    """
    x = _check_model_and_inputs(model, x)
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (len(x),):
        got = f"a tensor {tuple(y.shape)} of {y.dtype}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise TypeError(f"`y` must be an int64 tensor of {len(x)} class indices; got {got}.")
    layers = {name: m for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}
    weights = [m.weight for m in layers.values()]
    x, y = to_model_device(model, x, y)
    with model_threads(model):
        loss = nn.functional.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, weights)
    return {name: float(g.norm()) for name, g in zip(layers, grads, strict=True)}


def weight_changes(before: nn.Module, after: nn.Module) -> dict[str, float]:
    """Measure how far training moved each layer's weights.

    ``||W_after - W_before|| / ||W_before||`` for every weight tensor (biases left out), by
    parameter name.

    >>> a = nn.Linear(2, 2); b = nn.Linear(2, 2)
    >>> _ = b.load_state_dict(a.state_dict())
    >>> with torch.no_grad():
    ...     _ = b.weight.mul_(1.5)
    >>> weight_changes(a, b)
    {'weight': 0.5}
    """
    for name, model in (("before", before), ("after", after)):
        if not isinstance(model, nn.Module):
            raise TypeError(f"`{name}` must be a torch.nn.Module; got {type(model).__name__}.")
    old, new = dict(before.named_parameters()), dict(after.named_parameters())
    if old.keys() != new.keys() or any(old[k].shape != new[k].shape for k in old):
        raise ValueError("`before` and `after` must be the same architecture (the same parameter "
                         "names and shapes).")
    with torch.no_grad():
        return {name: round(float((new[name].to(w.device) - w).norm() / w.norm()), 6)
                for name, w in old.items() if name.endswith("weight") and float(w.norm()) > 0}


@dataclass(frozen=True)
class SaturationStatistics:
    """How one activation layer's inputs ``z`` sit on its curve, over a batch."""

    activation: str  # the activation's name, e.g. "sigmoid"
    mean_slope: float  # the average of f'(z) over every input value of the layer
    max_slope: float  # the largest slope f can have (0.25 for the sigmoid, 1 for tanh and ReLU)
    tail_share: float  # the share of input values with |z| > threshold
    threshold: float  # the |z| beyond which an input counts as in the tails
    values: int  # how many input values were measured (examples x units)

    def __str__(self) -> str:
        return (f"{self.activation}: mean slope {self.mean_slope:.4f} (at most {self.max_slope:g}), "
                f"{self.tail_share:.2%} of {self.values:,} inputs with |z| > {self.threshold:g}")


_MODULE_NAMES = {get_activation(name).module: name for name in ACTIVATION_NAMES}


def saturation_statistics(model: nn.Module, x: torch.Tensor, *,
                          threshold: float = 3.0) -> dict[str, SaturationStatistics]:
    """Measure, for each activation layer, how steep its curve is where its inputs fall.

    A layer is saturated when its inputs ``z`` lie in the flat tails of its curve: its slope
    :math:`f'(z)` there is near zero, so it passes back little gradient and squeezes the
    differences between examples. An average output near the middle of the range does not tell
    (half the units stuck at 0 and half at 1 also average 0.5); the slope at each input does.
    The inputs of every activation of :data:`course_lib.activations.ACTIVATION_NAMES` (as
    ``nn.Sigmoid``, ``nn.ReLU``, ...) are captured in one forward pass in evaluation mode,
    without gradients; the model is left as it was.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    x : torch.Tensor
        A batch of inputs (N, ...), N >= 2.
    threshold : float
        An input with ``|z| > threshold`` counts as in the tails (3 by default: there the
        sigmoid's slope is below 0.046, a fifth of its largest).

    Returns
    -------
    dict of str to SaturationStatistics
        By module name, input side first.

    Examples
    --------
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    >>> with torch.no_grad():
    ...     _ = model[0].weight.zero_(), model[0].bias.copy_(torch.tensor([0.0, 5.0, -5.0]))
    >>> stats = saturation_statistics(model, torch.zeros(4, 2))
    >>> s = stats["1"]
    >>> round(s.mean_slope, 3), round(s.tail_share, 3), s.max_slope, s.values  # (0.25 + 2 σ'(5)) / 3
    (0.088, 0.667, 0.25, 12)
    """
    (x,) = to_model_device(model, _check_model_and_inputs(model, x))
    threshold = check_real(threshold, "threshold", positive=True, maximum=1e6)
    layers = {name: module for name, module in model.named_modules()
              if type(module) in _MODULE_NAMES}
    inputs: dict[str, torch.Tensor] = {}
    hooks = [module.register_forward_hook(
        lambda _m, args, _out, name=name: inputs.__setitem__(name, args[0].detach()))
        for name, module in layers.items()]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), model_threads(model):
            model(x)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    result = {}
    for name, module in layers.items():
        if name not in inputs:  # an activation the forward pass did not use
            continue
        act = get_activation(_MODULE_NAMES[type(module)])
        z = inputs[name].double().cpu().numpy()  # (N, ...) the layer's inputs
        slopes = np.asarray(act.derivative(z))
        result[name] = SaturationStatistics(
            activation=act.name, mean_slope=float(slopes.mean()),
            max_slope=float(np.max(act.derivative(np.linspace(-5.0, 5.0, 10_001)))),
            tail_share=float(np.mean(np.abs(z) > threshold)), threshold=threshold, values=z.size)
    return result
