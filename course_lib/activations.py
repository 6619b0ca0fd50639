r"""Activation functions and their derivatives, in NumPy, with matching PyTorch modules.

Every function takes an array-like ``x`` (a number, a list, a NumPy array or a torch tensor) and
returns a NumPy array of the same shape (a NumPy scalar for a scalar input). They are written to
be numerically stable: ``sigmoid(-1000)`` is exactly ``0.0`` and ``sigmoid(1000)`` exactly
``1.0``, with no overflow warning, because ``exp`` is only ever called on non-positive numbers.

The derivatives are the formulas of the lecture notes, checked in the tests against
``torch.autograd``:

- ``sigmoid``: :math:`\sigma(x) = 1/(1 + e^{-x})`, derivative :math:`\sigma(x)(1 - \sigma(x))`
- ``tanh``: :math:`\tanh x`, derivative :math:`1 - \tanh^2 x`
- ``relu``: :math:`\max(0, x)`, derivative 1 for :math:`x > 0`, else 0
- ``leaky_relu``: :math:`x` for :math:`x > 0`, else :math:`a x`; derivative 1 or :math:`a`
- ``elu``: :math:`x` for :math:`x > 0`, else :math:`\alpha(e^x - 1)`; derivative 1 or
  :math:`\alpha e^x`
- ``gelu``: :math:`x\,\Phi(x)` (:math:`\Phi` the normal CDF), derivative
  :math:`\Phi(x) + x\,\varphi(x)`

Maxout (Goodfellow et al., 2013) is not element-wise: :func:`maxout` takes the largest of each
group of ``pieces`` values, and :func:`maxout_grad` sends the gradient to the winner; it is not in
the registry of element-wise activations (:data:`ACTIVATION_NAMES`).

At the kinks (``x = 0``) the derivatives follow PyTorch's conventions: ``relu'(0) = 0``,
``leaky_relu'(0) = a``, ``elu'(0) = alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special
from torch import nn

from ._checks import as_float_array, check_choice, check_int, check_real

__all__ = [
    "ACTIVATION_NAMES",
    "Activation",
    "activation_module",
    "chain_gradient",
    "dead_relu_fraction",
    "elu",
    "elu_grad",
    "gelu",
    "gelu_grad",
    "get_activation",
    "leaky_relu",
    "leaky_relu_grad",
    "maxout",
    "maxout_grad",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_jacobian",
    "tanh",
    "tanh_grad",
]


def _as_input(x: ArrayLike) -> np.ndarray:
    return as_float_array(x, "x", allow_empty=True)


def _result(values: np.ndarray) -> np.ndarray | np.float64:
    """Turn a 0-d result into a NumPy scalar, as NumPy's own ufuncs do."""
    return values[()] if values.ndim == 0 else values


# --- sigmoid -------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Stable logistic function: ``exp`` only ever sees ``-|x|``, so it never overflows."""
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid(x: ArrayLike) -> np.ndarray | np.float64:
    r"""Compute the logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, with values in (0, 1).

    Parameters
    ----------
    x : array_like
        Finite input values.

    Returns
    -------
    numpy.ndarray or numpy.float64
        :math:`\sigma(x)`, same shape as ``x``.

    Examples
    --------
    >>> print(sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0))
    0.5 0.0 1.0
    >>> print([f"{v:.6f}" for v in sigmoid([-10.0, 10.0])])
    ['0.000045', '0.999955']
    """
    return _result(_sigmoid(_as_input(x)))


def sigmoid_grad(x: ArrayLike) -> np.ndarray | np.float64:
    r"""Compute the derivative of the sigmoid, :math:`\sigma(x)(1 - \sigma(x))`.

    It is computed as :math:`\sigma(x)\,\sigma(-x)`, the same number written so that no
    digits are lost to the subtraction ``1 - sigma(x)`` when ``sigma(x)`` is close to 1.

    Examples
    --------
    >>> print(sigmoid_grad(0.0))
    0.25
    >>> print(f"{sigmoid_grad(10.0):.3e} {sigmoid_grad(-10.0):.3e}")
    4.540e-05 4.540e-05
    """
    x = _as_input(x)
    return _result(_sigmoid(x) * _sigmoid(-x))


# --- tanh ----------------------------------------------------------------------------------


def tanh(x: ArrayLike) -> np.ndarray | np.float64:
    """Compute the hyperbolic tangent, with values in (-1, 1) and centred on zero.

    Examples
    --------
    >>> print(tanh(0.0), tanh(1000.0))
    0.0 1.0
    """
    return _result(np.tanh(_as_input(x)))


def tanh_grad(x: ArrayLike) -> np.ndarray | np.float64:
    r"""Compute the derivative of tanh, :math:`1 - \tanh^2 x = 4 e^{-2|x|} / (1 + e^{-2|x|})^2`.

    The second form is used: it keeps full relative precision for large ``|x|``.

    Examples
    --------
    >>> print(tanh_grad(0.0))
    1.0
    """
    x = _as_input(x)
    e = np.exp(-2.0 * np.abs(x))  # in (0, 1]
    return _result(4.0 * e / (1.0 + e) ** 2)


# --- ReLU family ---------------------------------------------------------------------------


def relu(x: ArrayLike) -> np.ndarray | np.float64:
    r"""Compute the rectified linear unit :math:`\max(0, x)`.

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    return _result(np.maximum(_as_input(x), 0.0))


def relu_grad(x: ArrayLike) -> np.ndarray | np.float64:
    """Compute the derivative of ReLU: 1 where ``x > 0``, else 0 (PyTorch's choice at ``x = 0``).

    Examples
    --------
    >>> relu_grad([-2.0, 0.0, 3.0])
    array([0., 0., 1.])
    """
    return _result((_as_input(x) > 0).astype(np.float64))


def leaky_relu(x: ArrayLike, *, slope: float = 0.01) -> np.ndarray | np.float64:
    """Leaky ReLU: ``x`` for ``x > 0``, else ``slope * x``.

    Examples
    --------
    >>> leaky_relu([-2.0, 0.0, 3.0], slope=0.1)
    array([-0.2,  0. ,  3. ])
    """
    x = _as_input(x)
    slope = check_real(slope, "slope", minimum=0.0)
    return _result(np.where(x > 0, x, slope * x))


def leaky_relu_grad(x: ArrayLike, *, slope: float = 0.01) -> np.ndarray | np.float64:
    """Compute the derivative of leaky ReLU: 1 for ``x > 0``, else ``slope``.

    Examples
    --------
    >>> leaky_relu_grad([-2.0, 0.0, 3.0], slope=0.1)
    array([0.1, 0.1, 1. ])
    """
    x = _as_input(x)
    slope = check_real(slope, "slope", minimum=0.0)
    return _result(np.where(x > 0, 1.0, slope))


def elu(x: ArrayLike, *, alpha: float = 1.0) -> np.ndarray | np.float64:
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Examples
    --------
    >>> print(elu(-1000.0), elu(2.0))
    -1.0 2.0
    """
    x = _as_input(x)
    alpha = check_real(alpha, "alpha", positive=True)
    negative = alpha * np.expm1(np.minimum(x, 0.0))  # exp only of non-positive numbers
    return _result(np.where(x > 0, x, negative))


def elu_grad(x: ArrayLike, *, alpha: float = 1.0) -> np.ndarray | np.float64:
    """Compute the derivative of ELU: 1 for ``x > 0``, else ``alpha * exp(x)``.

    Examples
    --------
    >>> print(elu_grad(0.0), elu_grad(1.0))
    1.0 1.0
    """
    x = _as_input(x)
    alpha = check_real(alpha, "alpha", positive=True)
    return _result(np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0))))


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x: ArrayLike, *, approximate: str = "none") -> np.ndarray | np.float64:
    r"""Gaussian error linear unit :math:`x\,\Phi(x)`, :math:`\Phi` the normal CDF.

    ``approximate="tanh"`` uses the tanh formula of Hendrycks and Gimpel (2016), as PyTorch's
    ``nn.GELU(approximate="tanh")`` does.

    Examples
    --------
    >>> print(gelu(0.0), round(float(gelu(1.0)), 4), round(float(gelu(-1.0)), 4))
    0.0 0.8413 -0.1587
    """
    x = _as_input(x)
    check_choice(approximate, "approximate", ("none", "tanh"))
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        return _result(0.5 * x * (1.0 + np.tanh(inner)))
    return _result(x * special.ndtr(x))


def gelu_grad(x: ArrayLike, *, approximate: str = "none") -> np.ndarray | np.float64:
    r"""Compute the derivative of GELU: :math:`\Phi(x) + x\,\varphi(x)` (or of its tanh approximation).

    Examples
    --------
    >>> print(gelu_grad(0.0))
    0.5
    """
    x = _as_input(x)
    check_choice(approximate, "approximate", ("none", "tanh"))
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x**2)
        return _result(0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * d_inner)
    pdf = np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi)
    return _result(special.ndtr(x) + x * pdf)


# --- maxout ------------------------------------------------------------------------------


def _maxout_groups(x: ArrayLike, pieces: int, axis: int) -> tuple[np.ndarray, int]:
    """``x`` with ``axis`` split into (units, pieces), and that axis made non-negative."""
    x = as_float_array(x, "x", ndim=range(1, 33))
    axis = check_int(axis, "axis", minimum=-x.ndim, maximum=x.ndim - 1) % x.ndim
    pieces = check_int(pieces, "pieces", minimum=1)
    if x.shape[axis] % pieces:
        raise ValueError(f"`x` must have a multiple of `pieces` = {pieces} values along axis "
                         f"{axis}, one group of {pieces} per unit; got {x.shape[axis]}.")
    shape = (*x.shape[:axis], x.shape[axis] // pieces, pieces, *x.shape[axis + 1:])
    return x.reshape(shape), axis


def maxout(x: ArrayLike, *, pieces: int, axis: int = -1) -> np.ndarray:
    r"""Maxout (Goodfellow et al., 2013): the largest of each group of ``pieces`` values.

    A maxout unit computes ``pieces`` linear functions of its input, :math:`z_j = w_j^\top x +
    b_j`, and outputs :math:`\max_j z_j`. Here ``x`` holds those ``z``: along ``axis``, each run
    of ``pieces`` consecutive values belongs to one unit, so the output has ``pieces`` times
    fewer values along ``axis``. With the pieces :math:`(z, 0)` it is ReLU, with
    :math:`(z, 0.01 z)` leaky ReLU: maxout *learns* its piecewise-linear shape.

    Examples
    --------
    >>> maxout([[1.0, -2.0, 0.5, 3.0]], pieces=2)      # units (1, -2) and (0.5, 3)
    array([[1., 3.]])
    """
    groups, axis = _maxout_groups(x, pieces, axis)
    return groups.max(axis=axis + 1)


def maxout_grad(x: ArrayLike, grad_output: ArrayLike, *, pieces: int, axis: int = -1) -> np.ndarray:
    """Gradient of :func:`maxout` with respect to ``x``, given the gradient on its output.

    Each unit's gradient flows to the piece that won the max, and to no other (on a tie, to
    the first winning piece); the other pieces get 0.

    Examples
    --------
    >>> maxout_grad([[1.0, -2.0, 0.5, 3.0]], [[10.0, 20.0]], pieces=2)
    array([[10.,  0.,  0., 20.]])
    """
    groups, axis = _maxout_groups(x, pieces, axis)
    grad_output = as_float_array(grad_output, "grad_output", ndim=groups.ndim - 1)
    expected = groups.shape[:axis + 1] + groups.shape[axis + 2:]
    if grad_output.shape != expected:
        raise ValueError(f"`grad_output` must have the shape of maxout's output, {expected}; "
                         f"got {grad_output.shape}.")
    winner = groups.argmax(axis=axis + 1)  # the first largest piece of each unit
    mask = np.arange(pieces).reshape((pieces,) + (1,) * (groups.ndim - axis - 2))
    mask = mask == np.expand_dims(winner, axis + 1)  # (..., units, pieces, ...)
    grad = mask * np.expand_dims(grad_output, axis + 1)
    return grad.reshape(np.shape(x))


# --- softmax (output layer) ----------------------------------------------------------------


def softmax(x: ArrayLike, *, axis: int = -1) -> np.ndarray | np.float64:
    """Softmax along ``axis``: positive numbers that sum to 1.

    The maximum is subtracted first, so large scores do not overflow.

    Examples
    --------
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    >>> softmax([0.0, np.log(3.0)]).round(3)
    array([0.25, 0.75])
    """
    x = as_float_array(x, "x", ndim=range(1, 33))
    axis = check_int(axis, "axis", minimum=-x.ndim, maximum=x.ndim - 1)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(x: ArrayLike) -> np.ndarray:
    r"""Compute the Jacobian :math:`\partial s_i / \partial x_j = s_i (\delta_{ij} - s_j)` of a 1-D softmax.

    Examples
    --------
    >>> softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    x = as_float_array(x, "x", ndim=1)
    s = softmax(x)
    return np.diag(s) - np.outer(s, s)


# --- registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivative, its PyTorch module and its formula."""

    name: str  # the registry key, e.g. "relu"
    label: str  # a name for plot legends, e.g. "ReLU"
    function: Callable  # NumPy function f(x)
    derivative: Callable  # NumPy function f'(x)
    module: Callable[[], nn.Module]  # builds the matching torch module
    formula: str  # LaTeX of f(x)
    output_range: str  # the set of values f can take

    def __repr__(self) -> str:
        return f"Activation({self.name!r}: {self.formula}, range {self.output_range})"


_REGISTRY = {
    "sigmoid": Activation("sigmoid", "sigmoid", sigmoid, sigmoid_grad, nn.Sigmoid,
                          r"\sigma(x) = 1/(1+e^{-x})", "(0, 1)"),
    "tanh": Activation("tanh", "tanh", tanh, tanh_grad, nn.Tanh, r"\tanh(x)", "(-1, 1)"),
    "relu": Activation("relu", "ReLU", relu, relu_grad, nn.ReLU, r"\max(0, x)", "[0, inf)"),
    "leaky_relu": Activation("leaky_relu", "leaky ReLU", leaky_relu, leaky_relu_grad,
                             nn.LeakyReLU, r"\max(0.01x, x)", "(-inf, inf)"),
    "elu": Activation("elu", "ELU", elu, elu_grad, nn.ELU,
                      r"x \text{ if } x>0 \text{ else } e^x - 1", "(-1, inf)"),
    "gelu": Activation("gelu", "GELU", gelu, gelu_grad, nn.GELU, r"x\,\Phi(x)",
                       "[-0.16997, inf)"),
}

ACTIVATION_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def get_activation(name: str) -> Activation:
    """Look up an activation by name (one of :data:`ACTIVATION_NAMES`).

    Examples
    --------
    >>> act = get_activation("sigmoid")
    >>> print(act.function(0.0), act.derivative(0.0), act.output_range)
    0.5 0.25 (0, 1)
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be an activation name (a str); got {type(name).__name__}.")
    return _REGISTRY[check_choice(name, "name", ACTIVATION_NAMES)]


def activation_module(name: str) -> nn.Module:
    """Build a fresh PyTorch module for the activation ``name`` (``nn.ReLU()`` for ``"relu"``, ...).

    Examples
    --------
    >>> activation_module("gelu")
    GELU(approximate='none')
    """
    return get_activation(name).module()


# --- lessons: vanishing gradients, dead units ----------------------------------------------


def chain_gradient(name: str, x: ArrayLike, *, depth: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradient of ``f(f(...f(x)))`` (``depth`` times) with respect to ``x``, by the chain rule.

    With :math:`h_0 = x` and :math:`h_k = f(h_{k-1})`, the gradient after ``k`` layers is
    :math:`\prod_{i=1}^{k} f'(h_{i-1})`. Returned for every ``k = 1..depth``.

    Returns
    -------
    values, gradients : numpy.ndarray
        Arrays of shape ``(depth,) + x.shape``: :math:`h_k` and :math:`dh_k/dx`.

    Examples
    --------
    >>> _, grads = chain_gradient("sigmoid", 0.0, depth=3)
    >>> grads.round(5)
    array([0.25   , 0.05875, 0.01335])
    """
    act = get_activation(name)
    depth = check_int(depth, "depth", minimum=1, maximum=1000)
    h = _as_input(x)
    values, grads = [], []
    grad = np.ones_like(h)
    for _ in range(depth):
        grad = grad * act.derivative(h)
        h = np.asarray(act.function(h))
        values.append(h)
        grads.append(grad)
    return np.stack(values), np.stack(grads)


def dead_relu_fraction(pre_activations: ArrayLike) -> float:
    """Fraction of ReLU units that are dead on a batch: never positive, so never updated.

    Parameters
    ----------
    pre_activations : array_like, shape (N, units)
        The inputs to the ReLU (``x @ W.T + b``) for ``N`` samples.

    Examples
    --------
    >>> dead_relu_fraction([[1.0, -1.0, -2.0], [0.5, -3.0, 4.0]])
    0.3333333333333333
    """
    z = as_float_array(pre_activations, "pre_activations", ndim=2)
    return float(np.mean(np.all(z <= 0, axis=0)))
