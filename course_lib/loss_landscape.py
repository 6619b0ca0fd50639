"""Gradient descent on a linear model: the lessons of chapter 3 before the real trainer.

For a linear model ``x @ w`` with two weights, the least-squares loss is a bowl over the
``(w1, w2)`` plane: :func:`linear_loss_surface` computes it on a grid (for a contour plot) and
:func:`descent_path` the weights that full-batch or stochastic gradient descent visits on it.

>>> x, y = [[1.0, 0.0], [0.0, 1.0]], [1.0, 2.0]
>>> descent_path(x, y, lr=1.0, steps=50)[-1].round(6)  # the bottom of the bowl
array([1., 2.])
>>> linear_loss_surface(x, y, [1.0], [2.0])  # where the loss is zero
array([[0.]])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_int, check_real, check_size

__all__ = ["descent_path", "linear_loss_surface"]


def linear_loss_surface(x: ArrayLike, y: ArrayLike, w1: ArrayLike, w2: ArrayLike) -> np.ndarray:
    r"""Mean squared error :math:`\frac12 \overline{(x_1 w_1 + x_2 w_2 - y)^2}` on a grid.

    Parameters
    ----------
    x : array_like, shape (N, 2)
        Two input features.
    y : array_like, shape (N,)
        Targets.
    w1, w2 : array_like, 1-D
        Grid values of the two weights.

    Returns
    -------
    numpy.ndarray, shape (len(w2), len(w1))
        The loss, rows along ``w2`` (ready for ``plt.contour(w1, w2, loss)``).

    Examples
    --------
    >>> linear_loss_surface([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0], [0.0, 1.0], [1.0])
    array([[0.25, 0.  ]])
    """
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if x.shape != (len(y), 2):
        raise ValueError(f"`x` must have shape (N, 2) with N = len(y) = {len(y)}; got {x.shape}.")
    w1 = as_float_array(w1, "w1", ndim=1)
    w2 = as_float_array(w2, "w2", ndim=1)
    check_size(len(w1) * len(w2) * len(y), "w1", f"({len(w1)} values) and `w2` ({len(w2)} "
               f"values) on {len(y)} samples", what="residuals")
    # residuals for every grid point: (len(w2), len(w1), N)
    r = x[:, 0] * w1[None, :, None] + x[:, 1] * w2[:, None, None] - y
    return 0.5 * np.mean(r**2, axis=-1)


def descent_path(x: ArrayLike, y: ArrayLike, *, lr: float, steps: int, w0: ArrayLike | None = None,
                 batch_size: int | None = None,
                 seed: int = 0) -> np.ndarray:
    r"""Weights visited by gradient descent on the least-squares loss of a linear model.

    The loss is :math:`\frac12 \overline{(x w - y)^2}` over a batch; ``batch_size=None``
    uses all samples each step (full-batch descent), ``batch_size=1`` one random sample per
    step (stochastic descent, where each update is a multiple of that one input vector).

    Returns
    -------
    numpy.ndarray, shape (steps + 1, D)
        The start ``w0`` (zeros by default) and the weights after every step.

    Examples
    --------
    >>> descent_path([[1.0], [1.0]], [2.0, 2.0], lr=0.5, steps=2)
    array([[0. ],
           [1. ],
           [1.5]])
    """
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if len(x) != len(y):
        raise ValueError(f"`x` and `y` must hold the same number of samples; got {len(x)} and "
                         f"{len(y)}.")
    lr = check_real(lr, "lr", positive=True)
    steps = check_int(steps, "steps", minimum=1, maximum=1_000_000)
    w = np.zeros(x.shape[1]) if w0 is None else as_float_array(w0, "w0", ndim=1).copy()
    if w.shape != (x.shape[1],):
        raise ValueError(f"`w0` must have {x.shape[1]} values, one per feature; got {w.shape}.")
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=len(x))
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    path = [w.copy()]
    for _ in range(steps):
        if batch_size is None:
            xb, yb = x, y
        else:
            pick = rng.choice(len(x), size=batch_size, replace=False)
            xb, yb = x[pick], y[pick]
        w = w - lr * xb.T @ (xb @ w - yb) / len(xb)
        path.append(w.copy())
    return np.array(path)
