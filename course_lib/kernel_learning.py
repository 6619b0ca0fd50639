r"""Learning a kernel from data: gradient descent on a correlation's weights.

A CNN layer is a correlation whose kernel is *learned*. Given input images and the outputs a
known kernel gives them, gradient descent on the mean squared error recovers that kernel. This
module does it from scratch in NumPy (the gradient comes from
:func:`course_lib.conv.correlate2d_backward`) and with PyTorch's autograd, with the same loss,
the same start and the same steps, so the two can be compared.

The loss, for images ``X_i`` and targets ``T_i`` (each the "valid" correlation of ``X_i`` with
the unknown kernel), averaged over all ``N`` output pixels:

.. math:: L(g) = \frac{1}{N} \sum_i \| X_i \star g - T_i \|^2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_int, check_int_pair, check_real
from .conv import correlate2d
from .engine.threads import torch_threads

Images: TypeAlias = "Sequence[ArrayLike] | np.ndarray"
"""2-D arrays: a list of them, or one 3-D array (n, H, W)."""

__all__ = ["KernelFit", "fit_kernel", "fit_kernel_torch", "kernel_descent", "kernel_loss"]


@dataclass(frozen=True)
class KernelFit:
    """Every step of a gradient descent on a kernel."""

    kernels: np.ndarray  # (steps + 1, kh, kw): the kernel before each step, then the last one
    losses: np.ndarray  # (steps + 1,): the loss of each of those kernels
    lr: float  # the learning rate used

    @property
    def kernel(self) -> np.ndarray:
        """The learned kernel (after the last step)."""
        return self.kernels[-1]

    def __repr__(self) -> str:
        steps = len(self.losses) - 1
        return (f"KernelFit(kernel shape {self.kernel.shape}, {steps} steps, lr={self.lr:g}, "
                f"loss {self.losses[0]:.3g} -> {self.losses[-1]:.3g})")


def _check_data(images, targets, kernel_shape) -> tuple[list[np.ndarray], list[np.ndarray], tuple[int, int]]:
    images = [as_float_array(x, f"images[{i}]", ndim=2) for i, x in enumerate(_as_list(images, "images"))]
    targets = [as_float_array(t, f"targets[{i}]", ndim=2) for i, t in enumerate(_as_list(targets, "targets"))]
    if len(images) != len(targets):
        raise ValueError(f"`targets` must have one target per image ({len(images)}); got {len(targets)}.")
    kh, kw = check_int_pair(kernel_shape, "kernel_shape")
    for i, (x, t) in enumerate(zip(images, targets, strict=True)):
        if kh > x.shape[0] or kw > x.shape[1]:
            raise ValueError(f"`kernel_shape` {(kh, kw)} must fit inside `images[{i}]`, "
                             f"of shape {x.shape}.")
        valid = (x.shape[0] - kh + 1, x.shape[1] - kw + 1)
        if t.shape != valid:
            raise ValueError(f"`targets[{i}]` must have the 'valid' output shape {valid} of "
                             f"images[{i}] {x.shape} and a {(kh, kw)} kernel; got {t.shape}.")
    return images, targets, (kh, kw)


def _as_list(values, name: str) -> list:
    if isinstance(values, np.ndarray):
        if values.ndim != 3:
            raise ValueError(f"`{name}` must be a list of 2-D arrays or a 3-D array (n, H, W); "
                             f"got shape {values.shape}.")
        return list(values)
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"`{name}` must be a non-empty list of 2-D arrays; got {type(values).__name__}.")
    return list(values)


def kernel_loss(images: Images, targets: Images, kernel: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean squared error of ``correlate2d(image, kernel, mode="valid")`` and its gradient.

    Returns ``(loss, grad)`` with ``grad`` the gradient with respect to ``kernel``: by the chain
    rule, ``2 / N`` times the sum over images of the kernel gradient of
    :func:`~course_lib.conv.correlate2d_backward` for the residual. Shown in notebook 01
    (1.2.2, learning a kernel from data).

    >>> x = np.arange(9.0).reshape(3, 3)
    >>> loss, grad = kernel_loss([x], [np.zeros((2, 2))], np.ones((2, 2)))
    >>> float(loss), grad
    (296.0, array([[ 84., 116.],
           [180., 212.]]))
    """
    kernel = as_float_array(kernel, "kernel", ndim=2)
    images, targets, _ = _check_data(images, targets, kernel.shape)
    count = sum(t.size for t in targets)  # N, the output pixels of all images
    loss, grad = 0.0, np.zeros_like(kernel)
    for x, t in zip(images, targets, strict=True):
        residual = correlate2d(x, kernel, mode="valid") - t  # (H - kh + 1, W - kw + 1)
        loss += float(np.sum(residual**2))
        # dL/dg for this image: the kernel half of correlate2d_backward(x, kernel, 2 * residual),
        # the image correlated with the residual (as large as the image: the FFT suits it)
        grad += correlate2d(x, 2.0 * residual, mode="valid", method="fft")  # (kh, kw)
    return loss / count, grad / count


def _check_options(images, targets, kernel_shape, lr, steps, seed
                   ) -> tuple[list[np.ndarray], list[np.ndarray], tuple[int, int], float, int, int]:
    images, targets, kernel_shape = _check_data(images, targets, kernel_shape)
    lr = check_real(lr, "lr", positive=True)
    steps = check_int(steps, "steps", minimum=0, maximum=1_000_000)
    seed = check_int(seed, "seed", minimum=0)
    return images, targets, kernel_shape, lr, steps, seed


def _stop_if_diverged(loss: float, losses: list, step: int, lr: float) -> None:
    """Raise when the loss has grown to 10,000 times its start (or is not finite).

    A stable step size makes this quadratic loss fall at every step; a loss 10,000 times its
    starting value can only come from steps that overshoot and grow.
    """
    if not np.isfinite(loss) or (losses and loss > 1e4 * max(losses[0], 1e-12)):
        raise ValueError(f"gradient descent diverged at step {step} (loss {loss:.3g}): "
                         f"`lr` = {lr:g} is too large for these images; try a smaller one.")


def _initial_kernel(kernel_shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.1, size=kernel_shape)  # (kh, kw)


def kernel_descent(images: Images, targets: Images, kernel_shape: tuple[int, int], *,
                   lr: float = 0.3, steps: int = 200, seed: int = 0) -> KernelFit:
    """Gradient descent on a kernel, from a small random start; every step is kept.

    Parameters
    ----------
    images : list of (H, W) arrays, or an (n, H, W) array
        The inputs (they may differ in size).
    targets : list of arrays
        ``targets[i]`` is the wanted "valid" correlation of ``images[i]``.
    kernel_shape : (int, int)
        The kernel's shape ``(kh, kw)``.
    lr : float
        The learning rate: each step is ``kernel -= lr * gradient``. It must stay below
        ``2 / lambda_max``, the largest curvature of the loss, which grows with the number of
        weights and the brightness of the images: for images in ``[0, 1]``, 0.3 suits a 3x3
        kernel, a 5x5 one needs about 0.12. Too large a rate makes the loss grow (an error).
    steps : int
        The number of steps.
    seed : int
        Seed of the start, ``N(0, 0.1^2)`` weights.

    Returns
    -------
    KernelFit
        ``kernels`` (steps + 1, kh, kw) and ``losses`` (steps + 1,).

    Raises
    ------
    ValueError
        For inconsistent shapes, or when the loss grows to 10,000 times its starting value (the
        learning rate is too large: the steps overshoot and grow).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xs = rng.random((4, 8, 8))
    >>> ts = [correlate2d(x, [[1.0, -1.0]], mode="valid") for x in xs]
    >>> fit = kernel_descent(xs, ts, (1, 2), lr=0.5, steps=300)
    >>> fit.kernel.round(4)
    array([[ 1., -1.]])
    """
    images, targets, kernel_shape, lr, steps, seed = _check_options(images, targets, kernel_shape,
                                                                    lr, steps, seed)
    kernel = _initial_kernel(kernel_shape, seed)
    kernels = [kernel.copy()]
    losses: list[float] = []
    for step in range(steps + 1):
        loss, grad = kernel_loss(images, targets, kernel)
        _stop_if_diverged(loss, losses, step, lr)
        losses.append(loss)
        if step < steps:
            kernel = kernel - lr * grad
            kernels.append(kernel.copy())
    return KernelFit(np.stack(kernels), np.array(losses), lr)


def fit_kernel(images: Images, targets: Images, kernel_shape: tuple[int, int], *,
               lr: float = 0.3, steps: int = 200, seed: int = 0) -> np.ndarray:
    """Learn a kernel by gradient descent from ``images`` and their ``targets``.

    The last kernel of :func:`kernel_descent` (same parameters).

    >>> rng = np.random.default_rng(1)
    >>> sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    >>> xs = rng.random((8, 16, 16))
    >>> learned = fit_kernel(xs, [correlate2d(x, sobel, mode="valid") for x in xs], (3, 3))
    >>> bool(np.abs(learned - sobel).max() < 1e-3)
    True
    """
    return kernel_descent(images, targets, kernel_shape, lr=lr, steps=steps, seed=seed).kernel


def fit_kernel_torch(images: Images, targets: Images, kernel_shape: tuple[int, int], *,
                     lr: float = 0.3, steps: int = 200, seed: int = 0) -> KernelFit:
    """Run the same descent as :func:`kernel_descent`, with PyTorch computing the gradient.

    ``torch.nn.functional.conv2d`` (a correlation) gives the outputs, ``backward()`` the
    gradient, ``torch.optim.SGD`` the steps; float64 throughout, same start as the NumPy version.

    >>> rng = np.random.default_rng(0)
    >>> xs = rng.random((4, 8, 8))
    >>> ts = [correlate2d(x, [[1.0, -1.0]], mode="valid") for x in xs]
    >>> fit = fit_kernel_torch(xs, ts, (1, 2), lr=0.5, steps=300)
    >>> fit.kernel.round(4)
    array([[ 1., -1.]])
    """
    import torch

    images, targets, kernel_shape, lr, steps, seed = _check_options(images, targets, kernel_shape,
                                                                    lr, steps, seed)
    start = _initial_kernel(kernel_shape, seed)[None, None]  # (1, 1, kh, kw)
    weight = torch.tensor(start, requires_grad=True)
    if len({x.shape for x in images}) == 1:  # one batch: a single conv2d call per step
        inputs = [torch.from_numpy(np.stack(images))[:, None]]  # [(n, 1, H, W)]
        wanted = [torch.from_numpy(np.stack(targets))[:, None]]  # [(n, 1, H', W')]
    else:
        inputs = [torch.from_numpy(x)[None, None] for x in images]  # each (1, 1, H, W)
        wanted = [torch.from_numpy(t)[None, None] for t in targets]  # each (1, 1, H', W')
    count = sum(t.size for t in targets)
    optimiser = torch.optim.SGD([weight], lr=lr)
    with torch_threads(1):  # a tiny problem: more threads only wait for each other
        kernels, losses = _torch_steps(weight, inputs, wanted, count, optimiser, steps, lr)
    return KernelFit(np.stack(kernels), np.array(losses), lr)


def _torch_steps(weight, inputs, wanted, count, optimiser, steps, lr) -> tuple[list, list]:
    import torch

    kernels: list[np.ndarray] = []
    losses: list[float] = []
    for step in range(steps + 1):
        optimiser.zero_grad()
        loss = sum(((torch.nn.functional.conv2d(x, weight) - t) ** 2).sum()
                   for x, t in zip(inputs, wanted, strict=True)) / count
        _stop_if_diverged(loss.item(), losses, step, lr)
        kernels.append(weight.detach()[0, 0].numpy().copy())
        losses.append(loss.item())
        if step < steps:
            loss.backward()
            optimiser.step()
    return kernels, losses
