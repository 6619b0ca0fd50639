r"""Weight initialisation: why not zeros, and how large the random weights should be.

A layer computes :math:`y = \sum_{i=1}^{n_\text{in}} w_i x_i` (plus a bias). With weights and
inputs independent, the weights centred on zero, the variance of one output is

.. math:: \operatorname{Var}(y) = n_\text{in}\,\operatorname{Var}(w)\,\mathbb{E}[x^2],

which is :math:`n_\text{in} \operatorname{Var}(w) \operatorname{Var}(x)` for centred inputs. To
keep the signal's size from layer to layer:

- **Xavier / Glorot** (Glorot and Bengio, 2010), for activations that are linear around zero
  (tanh): :math:`\operatorname{Var}(w) = 1/n_\text{in}` keeps the forward signal,
  :math:`1/n_\text{out}` the backward one; the compromise is
  :math:`2/(n_\text{in} + n_\text{out})`;
- **He / Kaiming** (He et al., 2015), for ReLU: a ReLU zeroes half of a centred signal, so
  :math:`\mathbb{E}[\mathrm{ReLU}(z)^2] = \operatorname{Var}(z)/2`, and the factor 2 comes back
  in the weights: :math:`\operatorname{Var}(w) = 2/n_\text{in}`.

For a convolution the fan-in is ``in_channels * kernel_height * kernel_width`` (every input
value one output sees), as in PyTorch.

- :func:`he_std`, :func:`xavier_std`, :func:`fans`: the numbers;
- :func:`initialise`: apply a scheme (:data:`INIT_SCHEMES`) to every convolution and linear layer;
- :func:`deep_mlp`, :func:`activation_statistics`, :func:`layer_gradient_norms`: a deep
  perceptron, the mean and spread of each layer's activations and the size of each layer's
  gradient, to watch a signal vanish or explode through depth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
from torch import nn

from ._checks import check_choice, check_int, check_real, check_size
from .activations import get_activation
from .engine.threads import torch_threads

__all__ = [
    "INIT_SCHEMES",
    "LayerStatistics",
    "activation_statistics",
    "deep_mlp",
    "fans",
    "he_std",
    "init_std",
    "initialise",
    "layer_gradient_norms",
    "xavier_std",
]

INIT_SCHEMES: tuple[str, ...] = ("zeros", "constant", "small", "default", "xavier", "he")
"""Initialisation schemes: ``"zeros"`` (every weight 0), ``"constant"`` (every weight
:data:`CONSTANT`), ``"small"`` (normal, std :data:`SMALL_STD`), ``"default"`` (PyTorch's own:
uniform, variance ``1 / (3 fan_in)``), ``"xavier"`` (normal, variance ``2 / (fan_in +
fan_out)``) and ``"he"`` (normal, variance ``2 / fan_in``). All but ``"default"`` set the biases
to zero."""

SMALL_STD = 0.01
"""Standard deviation of the ``"small"`` scheme: the 'small random numbers' of early practice."""
CONSTANT = 0.05
"""The value of every weight in the ``"constant"`` scheme."""
MAX_SEED = 2**63 - 1
"""The largest seed torch's generators take."""


def fans(shape: Sequence[int] | torch.Size) -> tuple[int, int]:
    """Return the fan-in and fan-out of a weight of ``shape``.

    ``shape`` is ``(out, in)`` for a linear layer, ``(out, in, kh, kw)`` (or any trailing kernel
    size) for a convolution.

    Examples
    --------
    >>> fans((10, 64))            # nn.Linear(64, 10)
    (64, 10)
    >>> fans((16, 3, 3, 3))       # nn.Conv2d(3, 16, 3)
    (27, 144)
    """
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"`shape` must be a sequence of ints; got {shape!r}.")
    dims = tuple(check_int(d, "shape", minimum=1) for d in shape)
    if len(dims) < 2:
        raise ValueError(f"`shape` must have at least 2 positive sizes (out, in, *kernel); "
                         f"got {dims}.")
    area = math.prod(dims[2:])  # 1 for a linear layer
    return dims[1] * area, dims[0] * area


def he_std(fan_in: int) -> float:
    r"""Return the standard deviation of He initialisation for ReLU, :math:`\sqrt{2 / n_\text{in}}`.

    Examples
    --------
    >>> he_std(50)
    0.2
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    return math.sqrt(2.0 / fan_in)


def xavier_std(fan_in: int, fan_out: int) -> float:
    r"""Return the standard deviation of Xavier (Glorot) initialisation.

    :math:`\sqrt{2/(n_\text{in} + n_\text{out})}`, as ``torch.nn.init.xavier_normal_`` draws
    it.

    Examples
    --------
    >>> xavier_std(100, 100)
    0.1
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    return math.sqrt(2.0 / (fan_in + fan_out))


def init_std(scheme: str, shape: Sequence[int] | torch.Size) -> float:
    """Return the standard deviation of a weight of ``shape`` under ``scheme``.

    ``scheme`` is one of :data:`INIT_SCHEMES`; the two constant schemes give 0.

    Examples
    --------
    >>> [round(init_std(s, (100, 100)), 4) for s in INIT_SCHEMES]
    [0.0, 0.0, 0.01, 0.0577, 0.1, 0.1414]
    """
    check_choice(scheme, "scheme", INIT_SCHEMES)
    fan_in, fan_out = fans(shape)
    return {"zeros": 0.0, "constant": 0.0, "small": SMALL_STD,
            "default": 1.0 / math.sqrt(3.0 * fan_in), "xavier": xavier_std(fan_in, fan_out),
            "he": he_std(fan_in)}[scheme]


def _initialise_layer(layer: nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d, scheme: str) -> None:
    weight, bias = layer.weight, layer.bias
    if scheme == "default":
        layer.reset_parameters()
    elif scheme == "zeros":
        nn.init.zeros_(weight)
    elif scheme == "constant":
        nn.init.constant_(weight, CONSTANT)
    elif scheme == "he":
        nn.init.kaiming_normal_(weight, nonlinearity="relu")
    else:  # "small", "xavier": normal with the scheme's std
        nn.init.normal_(weight, 0.0, init_std(scheme, weight.shape))
    if bias is not None and scheme != "default":
        nn.init.zeros_(bias)


def initialise(model: nn.Module, scheme: str, *, seed: int | None = None) -> nn.Module:
    """Re-initialise, in place, every ``nn.Linear`` and ``nn.Conv*d`` of ``model`` with ``scheme``.

    With ``seed`` the draws come from that seed and torch's global random state is left as it
    was; without, they come from the global state. Returns ``model``.

    Examples
    --------
    >>> net = initialise(nn.Sequential(nn.Linear(3, 2), nn.Tanh()), "zeros")
    >>> net[0].weight
    Parameter containing:
    tensor([[0., 0., 0.],
            [0., 0., 0.]], requires_grad=True)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    check_choice(scheme, "scheme", INIT_SCHEMES)
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d,
                                                          nn.Conv3d))]
    if not layers:
        raise ValueError("`model` has no linear or convolution layer to initialise.")
    with torch.random.fork_rng(devices=[], enabled=seed is not None), torch.no_grad():
        if seed is not None:
            torch.manual_seed(check_int(seed, "seed", minimum=0, maximum=MAX_SEED))
        for layer in layers:
            _initialise_layer(layer, scheme)
    return model


def deep_mlp(activation: str, *, depth: int, width: int, init: str = "default",
             seed: int = 0) -> nn.Sequential:
    """``depth`` blocks of ``Linear(width, width)`` and the activation, in float64.

    Each layer is built by PyTorch (its default initialisation, drawn from ``seed``) and then,
    unless ``init="default"``, re-initialised with ``init`` in turn, so the draws of every scheme
    come from one seeded stream. Torch's global random state is left as it was.

    Examples
    --------
    >>> deep_mlp("tanh", depth=2, width=4, init="xavier")
    Sequential(
      (0): Linear(in_features=4, out_features=4, bias=True)
      (1): Tanh()
      (2): Linear(in_features=4, out_features=4, bias=True)
      (3): Tanh()
    )
    """
    act = get_activation(activation)
    depth = check_int(depth, "depth", minimum=1, maximum=200)
    width = check_int(width, "width", minimum=1, maximum=4096)
    check_choice(init, "init", INIT_SCHEMES)
    seed = check_int(seed, "seed", minimum=0, maximum=MAX_SEED)
    check_size(depth * width * (width + 1), "width",  # float64 weights and biases
               f"= {width} with depth {depth}", what="a network")
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(depth):
            linear = nn.Linear(width, width)
            if init != "default":
                with torch.no_grad():
                    _initialise_layer(linear, init)
            layers += [linear, act.module()]
    return nn.Sequential(*layers).double()


def layer_gradient_norms(name: str, *, depth: int = 10, width: int = 64, batch: int = 128,
                         init: str = "default", seed: int = 0) -> np.ndarray:
    """Norm of the loss gradient on each layer's weights, in a deep MLP of one activation.

    The network is :func:`deep_mlp`: ``depth`` blocks of ``Linear(width, width)`` followed by
    the activation, fed standard-normal inputs; the loss is the mean of the last layer's
    outputs. Layer 1 is the one nearest the input. ``init`` is one of :data:`INIT_SCHEMES`:
    ``"default"`` keeps PyTorch's initialisation (uniform, variance ``1 / (3 fan_in)``); ``"he"``
    draws normal weights of variance ``2 / fan_in`` and zero biases (He et al., 2015), the
    initialisation designed for ReLU; ``"xavier"`` variance ``2 / (fan_in + fan_out)``. Shown in
    notebook 03 (vanishing gradients).

    Examples
    --------
    >>> norms = layer_gradient_norms("sigmoid", depth=6, width=16, batch=32)
    >>> norms.shape, bool(norms[0] < norms[-1])
    ((6,), True)
    """
    batch = check_int(batch, "batch", minimum=1, maximum=100_000)
    depth, width = check_int(depth, "depth", minimum=1), check_int(width, "width", minimum=1)
    # float64 weights, their gradients, and each layer's outputs and their gradients
    check_size(2 * depth * width * (width + 1 + 2 * batch), "depth",
               f"= {depth} layers of width {width} on a batch of {batch}", what="a network")
    net = deep_mlp(name, depth=depth, width=width, init=init, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=generator, dtype=torch.float64)  # (B, W)
    net(x).mean().backward()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    return np.array([float(cast(torch.Tensor, m.weight.grad).norm()) for m in linears])


@dataclass(frozen=True)
class LayerStatistics:
    """The activations of each layer of a deep MLP on one batch, and their summary.

    Two spreads are kept apart. :attr:`std` is over every value of a layer, as in the variance
    argument of Xavier and He; :attr:`spread` is across *examples* only (per unit, then averaged
    over units), which is what tells one input from another. They coincide when every unit is
    centred; an offset that is the same for every example (a bias, the 0.5 of a sigmoid) counts
    in :attr:`std` but not in :attr:`spread`.
    """

    activation: str  # the activation's name, e.g. "tanh"
    init: str  # the initialisation scheme, one of INIT_SCHEMES
    outputs: np.ndarray  # (depth, batch, width): each layer's activations

    @property
    def depth(self) -> int:
        """The number of layers."""
        return self.outputs.shape[0]

    @property
    def mean(self) -> np.ndarray:
        """(depth,) the mean activation of each layer."""
        return self.outputs.mean(axis=(1, 2))

    @property
    def std(self) -> np.ndarray:
        """(depth,) the standard deviation of all the activations of each layer."""
        return self.outputs.std(axis=(1, 2))

    @property
    def spread(self) -> np.ndarray:
        """(depth,) the standard deviation across examples, averaged over the layer's units."""
        return self.outputs.std(axis=1).mean(axis=1)

    def __repr__(self) -> str:
        return (f"LayerStatistics({self.activation}, init={self.init!r}, {self.depth} layers: "
                f"spread across examples {self.spread[0]:.3g} at layer 1, "
                f"{self.spread[-1]:.3g} at layer {self.depth})")


def activation_statistics(activation: str, *, init: str, depth: int = 10, width: int = 256,
                          batch: int = 256, seed: int = 0, gain: float = 1.0) -> LayerStatistics:
    """Feed standard-normal inputs through :func:`deep_mlp`; keep every layer's activations.

    Parameters
    ----------
    activation : str
        One of :data:`course_lib.activations.ACTIVATION_NAMES`.
    init : str
        One of :data:`INIT_SCHEMES`.
    depth, width, batch : int
        Layers, units per layer, and inputs in the batch.
    seed : int
        Seeds both the weights and the inputs.
    gain : float
        Multiplies every weight after initialisation (1: the scheme as it is), to see what a
        scale a little too small or too large does.

    Examples
    --------
    >>> stats = activation_statistics("relu", init="he", depth=10, width=64, batch=64)
    >>> stats.outputs.shape
    (10, 64, 64)
    >>> bool(0.3 < stats.std[-1] / stats.std[0] < 3)       # He keeps ReLU's signal
    True
    >>> small = activation_statistics("relu", init="small", depth=10, width=64, batch=64)
    >>> bool(small.spread[-1] < 1e-8)                       # small weights lose it
    True
    """
    batch = check_int(batch, "batch", minimum=2, maximum=100_000)
    gain = check_real(gain, "gain", minimum=0.0, maximum=100.0)
    depth = check_int(depth, "depth", minimum=1, maximum=200)
    width = check_int(width, "width", minimum=1, maximum=4096)
    check_size(depth * batch * width, "batch",  # every layer's activations are kept
               f"= {batch} through {depth} layers of width {width}", what="activations")
    with torch_threads(1):  # a small network: threads would only wait for each other
        net = deep_mlp(activation, depth=depth, width=width, init=init, seed=seed)
        generator = torch.Generator().manual_seed(seed)
        h = torch.randn(batch, width, generator=generator, dtype=torch.float64)  # (B, W)
        outputs = []
        with torch.no_grad():
            for layer in net:
                if isinstance(layer, nn.Linear):
                    layer.weight.mul_(gain)  # gain 1: the scheme as it is
                h = layer(h)
                if not isinstance(layer, nn.Linear):
                    outputs.append(h.numpy().copy())  # (B, W) after the activation
    return LayerStatistics(activation=activation, init=init, outputs=np.stack(outputs))
