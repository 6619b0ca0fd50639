r"""Optimisers written from scratch: SGD (momentum, Nesterov), RMSprop, Adam and AdamW.

Each is a ``torch.optim.Optimizer`` with the constructor arguments of its PyTorch namesake
(``lr``, ``momentum``, ``dampening``, ``nesterov``, ``alpha``, ``betas``, ``eps``,
``weight_decay``), so it drops into any training loop, and each ``step()`` is the update rule
written out in a few lines, for one parameter tensor at a time. After 100 steps on a small
network they hold the same parameters as ``torch.optim`` (tests/test_optim.py checks this to
1e-6). Shown in chapter 4 (``04_training_part_2.ipynb``), beyond the lecture notes.

For a parameter :math:`w` with gradient :math:`g` (``weight_decay`` :math:`\lambda`, learning rate
:math:`\eta`):

==========  =====================================================================================
SGD         :math:`w \leftarrow w - \eta\,(g + \lambda w)`
momentum    :math:`b \leftarrow \mu b + (1-\tau)(g + \lambda w)`, :math:`w \leftarrow w - \eta b`
Nesterov    as momentum, but :math:`w \leftarrow w - \eta\,(g + \lambda w + \mu b)`
RMSprop     :math:`s \leftarrow \alpha s + (1-\alpha) g^2`, :math:`w \leftarrow w - \eta g/(\sqrt s+\epsilon)`
Adam        :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
            :math:`w \leftarrow w - \eta\,\hat m / (\sqrt{\hat v} + \epsilon)` with
            :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat v = v/(1-\beta_2^t)`
AdamW       :math:`w \leftarrow (1 - \eta\lambda)\,w`, then Adam's step without :math:`\lambda`
==========  =====================================================================================

Left out of PyTorch's options: ``maximize``, ``foreach``, ``fused``, ``capturable``,
``differentiable``, RMSprop's ``centered`` and Adam's ``amsgrad`` (passing them is a
``TypeError``).

**Why AdamW's decay is not L2 with Adam.** Adding :math:`\frac\lambda2\lVert w\rVert^2` to the loss
(``Adam(weight_decay=...)``) puts :math:`\lambda w` into the gradient, and Adam then divides the
whole gradient by :math:`\sqrt{\hat v}`, the size of the recent gradients of each weight. So the
decay is scaled differently for every weight: a weight whose gradients are large is hardly
decayed, one whose gradients are small is decayed hard, and where the loss gives no gradient at all
the step is :math:`\eta\,\lambda w/(\lvert\lambda w\rvert + \epsilon) \approx \eta\,\mathrm{sign}(w)`:
the same whatever :math:`\lambda` is. AdamW (Loshchilov & Hutter, 2019) *decouples* the decay from
the gradient: every weight shrinks by the same factor :math:`1 - \eta\lambda` per step, as weight
decay does in plain SGD. :func:`decay_comparison` measures both on a toy problem.

>>> w = torch.tensor([1.0, -2.0], requires_grad=True)
>>> optimizer = SGD([w], lr=0.1, momentum=0.9)
>>> for _ in range(2):
...     optimizer.zero_grad()
...     (w ** 2).sum().backward()
...     optimizer.step()
>>> w.detach()
tensor([ 0.4600, -0.9200])
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ._checks import _describe, check_bool, check_choice, check_int, check_real
from ._types import DataPair
from .history import History
from .train import StepInfo, TrainConfig, Trainer

__all__ = ["OPTIMIZERS", "SGD", "Adam", "AdamW", "DecayComparison", "RMSprop", "adam_step",
           "decay_comparison", "fit_with", "make_optimizer"]

Params = Iterable[torch.Tensor] | Iterable[dict[str, Any]]
"""What an optimiser takes: tensors, or parameter groups (dicts with a ``"params"`` key)."""
Closure = Callable[[], torch.Tensor] | None


# --- the checks every constructor shares ---------------------------------------------------


def _param_list(params: Any) -> list:
    """``params`` as a non-empty list of tensors or groups, or a clear error."""
    if isinstance(params, torch.Tensor) or not isinstance(params, Iterable) or isinstance(
            params, (str, bytes, dict)):
        raise TypeError(f"`params` must be an iterable of tensors (e.g. model.parameters()) or of "
                        f"parameter groups (dicts); got {_describe(params)}.")
    params = list(params)
    if not params:
        raise ValueError("`params` must hold at least one tensor; got an empty list (a model "
                         "without parameters, or a generator already used up?).")
    for item in params:
        if not isinstance(item, (torch.Tensor, dict)):
            raise TypeError(f"`params` must hold tensors or parameter groups (dicts); got an item "
                            f"{_describe(item)}.")
    return params


def _fraction(value: Any, name: str, *, below_one: bool = False) -> float:
    """Return ``value`` if it is a real number in [0, 1] (or [0, 1) with ``below_one``)."""
    value = check_real(value, name, minimum=0.0, maximum=1.0)
    if below_one and value == 1.0:
        raise ValueError(f"`{name}` must be below 1 (an average that never forgets); got 1.0.")
    return value


def _betas(betas: Any) -> tuple[float, float]:
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise TypeError(f"`betas` must be a pair (beta1, beta2) such as (0.9, 0.999); got "
                        f"{_describe(betas)}.")
    return (_fraction(betas[0], "betas", below_one=True),
            _fraction(betas[1], "betas", below_one=True))


def _closure_loss(closure: Closure) -> torch.Tensor | None:
    """Evaluate the closure (which recomputes the loss and the gradients), as PyTorch does."""
    if closure is None:
        return None
    if not callable(closure):
        raise TypeError(f"`closure` must be callable or None; got {_describe(closure)}.")
    with torch.enable_grad():
        return closure()


def _with_grad(group: dict) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Return ``(w, w.grad)`` for the parameters of ``group`` that have a gradient.

    The others (frozen, or unused by the loss) stay as they are.
    """
    pairs = [(w, w.grad) for w in group["params"] if w.grad is not None]
    if any(g.is_sparse for _, g in pairs):
        raise RuntimeError("course_lib.optim does not handle sparse gradients; use "
                           "torch.optim.SparseAdam or dense gradients.")
    return pairs


# --- the optimisers ------------------------------------------------------------------------


class SGD(torch.optim.Optimizer):
    r"""Stochastic gradient descent, with optional momentum (heavy ball or Nesterov).

    Update rule, for each parameter :math:`w` with gradient :math:`g`:

    .. math::

        g &\leftarrow g + \lambda w  &&\text{(weight\_decay: L2, as part of the gradient)}\\
        b &\leftarrow \mu b + (1 - \tau) g  &&\text{(momentum } \mu\text{; at the first step } b = g)\\
        d &= g + \mu b \text{ (nesterov) or } b \text{ (momentum) or } g \text{ (none)}\\
        w &\leftarrow w - \eta d

    Parameters
    ----------
    params : iterable of torch.Tensor or of dict
        The tensors to optimise (``model.parameters()``) or parameter groups.
    lr : float
        The learning rate :math:`\eta` (at least 0; PyTorch's default 1e-3).
    momentum : float
        :math:`\mu`, from 0 (plain SGD) to 1.
    dampening : float
        :math:`\tau`, from 0 to 1: how much of the new gradient *not* to add to the buffer.
    weight_decay : float
        :math:`\lambda \ge 0`, the L2 penalty's coefficient.
    nesterov : bool
        Look ahead: step along :math:`g + \mu b` (needs ``momentum > 0`` and ``dampening = 0``).

    Examples
    --------
    One step of plain SGD on :math:`w^2` (gradient :math:`2w`) moves :math:`w = 1` to
    :math:`1 - 0.25 \cdot 2 = 0.5`:

    >>> w = torch.tensor([1.0], requires_grad=True)
    >>> optimizer = SGD([w], lr=0.25)
    >>> (w ** 2).sum().backward(); optimizer.step()
    >>> w.detach()
    tensor([0.5000])
    >>> SGD([w], lr=0.1, nesterov=True)
    Traceback (most recent call last):
    ...
    ValueError: `nesterov` needs momentum > 0 and dampening = 0; got momentum=0.0, dampening=0.0.
    """

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        momentum = _fraction(momentum, "momentum")
        dampening = _fraction(dampening, "dampening")
        nesterov = check_bool(nesterov, "nesterov")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"`nesterov` needs momentum > 0 and dampening = 0; got "
                             f"momentum={momentum}, dampening={dampening}.")
        defaults = {"lr": check_real(lr, "lr", minimum=0.0), "momentum": momentum,
                    "dampening": dampening, "nesterov": nesterov,
                    "weight_decay": check_real(weight_decay, "weight_decay", minimum=0.0)}
        super().__init__(_param_list(params), defaults)

    @torch.no_grad()
    def step(self, closure: Closure = None) -> torch.Tensor | None:  # type: ignore[override]
        """Update every parameter that has a gradient; return the closure's loss, if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
            for w, g in _with_grad(group):
                g = g.add(w, alpha=wd) if wd else g  # g + wd * w
                if mu:
                    state = self.state[w]
                    if "momentum_buffer" not in state:  # the first step: the buffer is g
                        state["momentum_buffer"] = g.clone()
                    else:
                        state["momentum_buffer"].mul_(mu).add_(g, alpha=1 - tau)
                    b = state["momentum_buffer"]
                    g = g.add(b, alpha=mu) if group["nesterov"] else b  # g + mu * b, or b
                w.add_(g, alpha=-lr)
        return loss


class RMSprop(torch.optim.Optimizer):
    r"""RMSprop (Hinton, 2012): divide each gradient by a running root mean square of its history.

    Update rule, for each parameter :math:`w` with gradient :math:`g`:

    .. math::

        g &\leftarrow g + \lambda w  &&\text{(weight\_decay: L2, as part of the gradient)}\\
        s &\leftarrow \alpha s + (1 - \alpha) g^2  &&(s = 0 \text{ at the start})\\
        d &= g / (\sqrt{s} + \epsilon)\\
        b &\leftarrow \mu b + d, \quad d = b  &&\text{(only with momentum } \mu > 0)\\
        w &\leftarrow w - \eta d

    Weights whose gradients are large take small steps and those whose gradients are small take
    large ones, which evens out a badly conditioned loss surface.

    Parameters
    ----------
    params : iterable of torch.Tensor or of dict
        The tensors to optimise or parameter groups.
    lr : float
        The learning rate :math:`\eta` (at least 0; PyTorch's default 1e-2).
    alpha : float
        :math:`\alpha`, from 0 to 1: how slowly the mean square forgets.
    eps : float
        :math:`\epsilon \ge 0`, keeps the division finite.
    weight_decay : float
        :math:`\lambda \ge 0`, the L2 penalty's coefficient.
    momentum : float
        :math:`\mu`, from 0 to 1.

    Examples
    --------
    The first step is :math:`\eta\, g/\sqrt{(1-\alpha) g^2} = \eta/\sqrt{1-\alpha}` whatever the
    gradient's size (here :math:`0.01/\sqrt{0.01} = 0.1`):

    >>> w = torch.tensor([1.0, 1.0], requires_grad=True)
    >>> optimizer = RMSprop([w], lr=0.01, alpha=0.99)
    >>> (torch.tensor([1.0, 1000.0]) * w).sum().backward(); optimizer.step()
    >>> w.detach()
    tensor([0.9000, 0.9000])
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0) -> None:
        defaults = {"lr": check_real(lr, "lr", minimum=0.0), "alpha": _fraction(alpha, "alpha"),
                    "eps": check_real(eps, "eps", minimum=0.0),
                    "weight_decay": check_real(weight_decay, "weight_decay", minimum=0.0),
                    "momentum": _fraction(momentum, "momentum")}
        super().__init__(_param_list(params), defaults)

    @torch.no_grad()
    def step(self, closure: Closure = None) -> torch.Tensor | None:  # type: ignore[override]
        """Update every parameter that has a gradient; return the closure's loss, if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps, wd, mu = (group[k] for k in ("lr", "alpha", "eps", "weight_decay",
                                                         "momentum"))
            for w, g in _with_grad(group):
                g = g.add(w, alpha=wd) if wd else g  # g + wd * w
                state = self.state[w]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = torch.zeros_like(w)
                    if mu:
                        state["momentum_buffer"] = torch.zeros_like(w)
                state["step"] += 1
                s = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
                rms = s.sqrt().add_(eps)  # sqrt(s) + eps
                if mu:
                    b = state["momentum_buffer"].mul_(mu).addcdiv_(g, rms)  # mu * b + g / rms
                    w.add_(b, alpha=-lr)
                else:
                    w.addcdiv_(g, rms, value=-lr)  # w - lr * g / rms
        return loss


def adam_step(w: torch.Tensor, g: torch.Tensor, state: dict, *, lr: float, betas: tuple[float, float],
              eps: float) -> None:
    r"""Adam's update of one tensor ``w`` in place, given its gradient ``g`` and its ``state``.

    The one step that :class:`Adam` and :class:`AdamW` share (they differ only in where the
    weight decay goes). ``state`` holds the step count and the two running averages; an empty
    dict starts them. Shown in notebook 04 (section 4.2).

    .. math::

        m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2\\
        w &\leftarrow w - \eta\, \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    Examples
    --------
    The first step has size :math:`\eta` whatever the gradient (the bias corrections undo the
    averages' start at zero): :math:`\hat m = g`, :math:`\hat v = g^2`.

    >>> w, state = torch.tensor([1.0, 1.0]), {}
    >>> adam_step(w, torch.tensor([0.001, -1000.0]), state, lr=0.1, betas=(0.9, 0.999), eps=0.0)
    >>> w, state["step"]
    (tensor([0.9000, 1.1000]), 1)
    """
    beta1, beta2 = betas
    if not state:
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(w)  # m, the running mean of g
        state["exp_avg_sq"] = torch.zeros_like(w)  # v, the running mean of g**2
    state["step"] += 1
    t = state["step"]
    m = state["exp_avg"].lerp_(g, 1 - beta1)  # beta1 * m + (1 - beta1) * g
    v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
    m_hat_scale = 1 - beta1 ** t  # bias corrections: the averages start at 0
    v_hat_sqrt = (v.sqrt() / (1 - beta2 ** t) ** 0.5).add_(eps)
    w.addcdiv_(m, v_hat_sqrt, value=-lr / m_hat_scale)


class Adam(torch.optim.Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum and RMSprop together, with bias-corrected averages.

    Update rule (:func:`adam_step`), for each parameter :math:`w` with gradient :math:`g`:

    .. math::

        g &\leftarrow g + \lambda w  &&\text{(weight\_decay: L2, as part of the gradient)}\\
        m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2\\
        w &\leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon),
           \quad \hat m = \frac{m}{1-\beta_1^t},\ \hat v = \frac{v}{1-\beta_2^t}

    ``weight_decay`` here is an L2 penalty: :math:`\lambda w` joins the gradient and is divided by
    :math:`\sqrt{\hat v}` with it, so each weight is decayed at its own rate. That is not weight
    decay; :class:`AdamW` is (see the module's docstring and :func:`decay_comparison`).

    Parameters
    ----------
    params : iterable of torch.Tensor or of dict
        The tensors to optimise or parameter groups.
    lr : float
        The learning rate :math:`\eta` (at least 0; PyTorch's default 1e-3).
    betas : pair of float
        :math:`(\beta_1, \beta_2)`, each from 0 to below 1: how slowly :math:`m` and :math:`v`
        forget.
    eps : float
        :math:`\epsilon \ge 0`, keeps the division finite.
    weight_decay : float
        :math:`\lambda \ge 0`, the L2 penalty's coefficient.

    Examples
    --------
    Two weights whose gradients differ a millionfold take the same first step, of size ``lr``:

    >>> w = torch.tensor([1.0, 1.0], requires_grad=True)
    >>> optimizer = Adam([w], lr=0.1)
    >>> (torch.tensor([0.001, 1000.0]) * w).sum().backward(); optimizer.step()
    >>> w.detach()
    tensor([0.9000, 0.9000])
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        defaults = {"lr": check_real(lr, "lr", minimum=0.0), "betas": _betas(betas),
                    "eps": check_real(eps, "eps", minimum=0.0),
                    "weight_decay": check_real(weight_decay, "weight_decay", minimum=0.0)}
        super().__init__(_param_list(params), defaults)

    @torch.no_grad()
    def step(self, closure: Closure = None) -> torch.Tensor | None:  # type: ignore[override]
        """Update every parameter that has a gradient; return the closure's loss, if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            wd = group["weight_decay"]
            for w, g in _with_grad(group):
                g = g.add(w, alpha=wd) if wd else g  # L2: g + wd * w
                adam_step(w, g, self.state[w], lr=group["lr"], betas=group["betas"],
                          eps=group["eps"])
        return loss


class AdamW(torch.optim.Optimizer):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with weight decay *decoupled* from the gradient.

    Update rule, for each parameter :math:`w` with gradient :math:`g`:

    .. math::

        w &\leftarrow (1 - \eta\lambda)\, w  &&\text{(weight decay: every weight shrinks alike)}\\
        w &\leftarrow \text{Adam's step with } g  &&(:func:`adam_step`, \text{ no } \lambda w \text{ in } g)

    With L2 in Adam (``Adam(weight_decay=...)``) the decay :math:`\lambda w` is divided by
    :math:`\sqrt{\hat v}` like the rest of the gradient: weights with large gradients are
    hardly decayed, and where the loss gives no gradient the step is about :math:`\eta` whatever
    :math:`\lambda` is. Here the decay does not pass through Adam's normalisation, so it is
    :math:`\eta\lambda w` for every weight, as weight decay is in plain SGD.
    :func:`decay_comparison` measures the difference.

    Parameters
    ----------
    params : iterable of torch.Tensor or of dict
        The tensors to optimise or parameter groups.
    lr : float
        The learning rate :math:`\eta` (at least 0; PyTorch's default 1e-3).
    betas : pair of float
        :math:`(\beta_1, \beta_2)`, each from 0 to below 1.
    eps : float
        :math:`\epsilon \ge 0`, keeps the division finite.
    weight_decay : float
        :math:`\lambda \ge 0` (PyTorch's default 1e-2): each step multiplies the weights by
        :math:`1 - \eta\lambda`.

    Examples
    --------
    Where the loss gives no gradient, AdamW shrinks a weight by :math:`1 - \eta\lambda` per step
    (here :math:`1 - 0.1 \cdot 0.5 = 0.95`), and Adam with L2 moves it by about :math:`\eta`:

    >>> w = torch.tensor([2.0], requires_grad=True)
    >>> w.grad = torch.zeros(1)
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step(); w.detach()
    tensor([1.9000])
    >>> Adam([w], lr=0.1, weight_decay=0.5).step(); w.detach()
    tensor([1.8000])
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        defaults = {"lr": check_real(lr, "lr", minimum=0.0), "betas": _betas(betas),
                    "eps": check_real(eps, "eps", minimum=0.0),
                    "weight_decay": check_real(weight_decay, "weight_decay", minimum=0.0)}
        super().__init__(_param_list(params), defaults)

    @torch.no_grad()
    def step(self, closure: Closure = None) -> torch.Tensor | None:  # type: ignore[override]
        """Update every parameter that has a gradient; return the closure's loss, if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            for w, g in _with_grad(group):
                w.mul_(1 - lr * wd)  # decoupled: the decay never meets Adam's normalisation
                adam_step(w, g, self.state[w], lr=lr, betas=group["betas"], eps=group["eps"])
        return loss


OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
"""The course's optimisers by name (the names ``TrainConfig.optimizer`` uses, in lower case)."""


def make_optimizer(name: str, params: Params, **settings: Any) -> torch.optim.Optimizer:
    """Build the course's optimiser ``name`` (a key of :data:`OPTIMIZERS`) with ``settings``.

    Parameters
    ----------
    name : str
        ``"sgd"``, ``"rmsprop"``, ``"adam"`` or ``"adamw"``.
    params : iterable of torch.Tensor or of dict
        The tensors to optimise or parameter groups.
    **settings
        The optimiser's constructor arguments (``lr``, ``momentum``, ``betas``, ...); one it does
        not take is refused with the list of those it does.

    Examples
    --------
    >>> make_optimizer("sgd", [torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    ... # doctest: +NORMALIZE_WHITESPACE
    SGD (
    Parameter Group 0
        dampening: 0.0
        lr: 0.1
        momentum: 0.9
        nesterov: False
        weight_decay: 0.0
    )
    >>> make_optimizer("adam", [torch.zeros(2, requires_grad=True)], momentum=0.9)
    Traceback (most recent call last):
    ...
    TypeError: `momentum` is not a setting of Adam; it takes lr, betas, eps, weight_decay.
    """
    cls = OPTIMIZERS[check_choice(name, "name", tuple(OPTIMIZERS))]
    return _build(cls, params, settings)


def _build(cls: type[torch.optim.Optimizer], params: Params, settings: dict) -> torch.optim.Optimizer:
    """``cls(params, **settings)``, refusing a setting ``cls`` does not take by name."""
    import inspect

    accepted = [n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "params")]
    for key in settings:
        if key not in accepted:
            raise TypeError(f"`{key}` is not a setting of {cls.__name__}; it takes "
                            f"{', '.join(accepted)}.")
    return cls(params, **settings)


# --- training with them ----------------------------------------------------------------------


def fit_with(model: nn.Module, train: DataPair, *, optimizer: str, lr: float, epochs: int,
             schedule: Callable[[int], float] | None = None, test: DataPair | None = None,
             batch_size: int = 64, seed: int = 0, device: str | None = None,
             progress: bool = False, callback: Callable[[StepInfo], None] | None = None,
             stop: threading.Event | None = None, quiet: bool = False,
             **settings: Any) -> History:
    """Train ``model`` as :func:`course_lib.train.fit` does, with one of these optimisers.

    The course's trainer (same loop, shuffling, checks and history), with the optimiser
    ``make_optimizer(optimizer, model.parameters(), lr=lr, **settings)`` and, if given, a
    learning-rate ``schedule`` (:mod:`course_lib.schedules`, or any ``step -> factor``
    callable) stepped after every batch: step :math:`t` (counted from 0) uses
    ``lr * schedule(t)``.

    Parameters
    ----------
    model : torch.nn.Module
        The classifier, trained in place.
    train, test : tuple of torch.Tensor
        ``(x, y)`` as for :func:`~course_lib.train.fit`; ``test`` is evaluated after each epoch.
    optimizer : str
        ``"sgd"``, ``"rmsprop"``, ``"adam"`` or ``"adamw"``.
    lr : float
        The (base) learning rate.
    epochs, batch_size, seed, device, progress, callback, stop, quiet
        As for :func:`~course_lib.train.fit` (``callback`` runs after the schedule's step).
    schedule : callable, optional
        Step -> factor of ``lr``, as ``torch.optim.lr_scheduler.LambdaLR`` takes it.
    **settings
        The optimiser's other arguments (``momentum``, ``nesterov``, ``betas``, ...).

    Returns
    -------
    History
        As :func:`~course_lib.train.fit` returns it.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(64, 2); y = (x[:, 0] > 0).long()
    >>> history = fit_with(nn.Linear(2, 2), (x, y), optimizer="adamw", lr=0.1, epochs=5,
    ...                    schedule=lambda t: 0.9 ** t, weight_decay=0.01)
    >>> len(history), history.train_loss[-1] < history.train_loss[0]
    (5, True)
    """
    optimizer = check_choice(optimizer, "optimizer", tuple(OPTIMIZERS))
    config = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, device=device)
    trainer = Trainer(model, config)
    trainer.optimizer = make_optimizer(optimizer, model.parameters(), lr=config.lr, **settings)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"`schedule` must be callable (step -> factor of lr), or None; got "
                        f"{_describe(schedule)}.")
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable, or None; got {_describe(callback)}.")
    scheduler = (torch.optim.lr_scheduler.LambdaLR(trainer.optimizer, schedule)
                 if schedule is not None else None)

    def after_step(info: StepInfo) -> None:
        if scheduler is not None:
            scheduler.step()  # the learning rate of the next step
        if callback is not None:
            callback(info)

    return trainer.fit(train, test, progress=progress, callback=after_step, stop=stop, quiet=quiet)


# --- weight decay: L2 in Adam against AdamW --------------------------------------------------


@dataclass(frozen=True)
class DecayComparison:
    """Weights of Adam with L2 and of AdamW, step by step, on :func:`decay_comparison`'s toy."""

    scales: np.ndarray  # (D,) the gradient scale of each weight's loss term
    adam_l2: np.ndarray  # (steps + 1, D) weights of Adam(weight_decay=...), the start first
    adamw: np.ndarray  # (steps + 1, D) weights of AdamW(weight_decay=...)
    no_decay: np.ndarray  # (steps + 1, D) weights of Adam without decay (the baseline)
    lr: float  # the learning rate of all three
    weight_decay: float  # lambda

    def __repr__(self) -> str:
        rows = [f"{s:>14g} {n:>9.4f} {a:>10.4f} {b:>8.4f}" for s, n, a, b in zip(
            self.scales, self.no_decay[-1], self.adam_l2[-1], self.adamw[-1], strict=True)]
        return (f"DecayComparison(lr={self.lr:g}, weight_decay={self.weight_decay:g}, "
                f"{len(self.adamw) - 1} steps; final weights, all started at 1)\n"
                f"gradient scale  no decay  Adam + L2    AdamW\n" + "\n".join(rows))


def decay_comparison(*, scales: Sequence[float] = (0.0, 0.01, 1.0, 100.0), lr: float = 0.01,
                     weight_decay: float = 0.1, steps: int = 200, seed: int = 0) -> DecayComparison:
    r"""Run Adam with L2, AdamW and Adam without decay on the same toy problem; return every step.

    The toy problem has one weight per entry of ``scales``, all starting at 1, and the loss
    :math:`\xi_t \sum_i s_i w_i`: a pull of size :math:`s_i` in a random direction (the noise
    :math:`\xi_t` is standard normal, drawn from ``seed``, the same for every weight and for the
    three runs), so the weights only drift by chance and the decay is what shrinks them. A scale
    of 0 is a weight the loss never touches.

    Without decay the weights the loss touches all follow one path (Adam divides out the scale,
    up to :math:`\epsilon`), and with AdamW too: its decay treats them alike, and a weight the
    loss never touches shrinks exactly as :math:`(1 - \eta\lambda)^t`. With Adam + L2 the decay
    :math:`\lambda w` is divided by the size of each weight's gradients: a weight with large
    gradients is hardly decayed, one with small gradients is decayed hard (to about zero), and
    one the loss never touches moves by about :math:`\eta` a step, whatever :math:`\lambda` is.

    Parameters
    ----------
    scales : sequence of float
        :math:`s_i \ge 0`: the size of each weight's gradient from the loss (one to 100 weights).
    lr : float
        :math:`\eta`, the learning rate of the three runs.
    weight_decay : float
        :math:`\lambda \ge 0`, for Adam's L2 penalty and for AdamW's decay alike.
    steps : int
        Optimisation steps (1 to 100,000).
    seed : int
        Seed of the noise.

    Returns
    -------
    DecayComparison
        The weights of the three runs after every step (it prints their final weights).

    Examples
    --------
    >>> result = decay_comparison(scales=(0.0, 0.01, 1.0, 100.0), lr=0.01, weight_decay=0.1,
    ...                           steps=200)
    >>> result  # doctest: +NORMALIZE_WHITESPACE
    DecayComparison(lr=0.01, weight_decay=0.1, 200 steps; final weights, all started at 1)
    gradient scale  no decay  Adam + L2    AdamW
                 0    1.0000     0.0156   0.8186
              0.01    0.9326     0.0232   0.7647
                 1    0.9326     0.7478   0.7647
               100    0.9326     0.9306   0.7647
    >>> bool(np.isclose(result.adamw[-1, 0], (1 - 0.01 * 0.1) ** 200, rtol=1e-12, atol=0))
    True
    """
    scales_array = np.array([check_real(s, "scales", minimum=0.0) for s in _sequence(scales)])
    if not 1 <= len(scales_array) <= 100:
        raise ValueError(f"`scales` must hold 1 to 100 numbers; got {len(scales_array)}.")
    lr = check_real(lr, "lr", positive=True, maximum=1.0)
    weight_decay = check_real(weight_decay, "weight_decay", minimum=0.0, maximum=1.0 / lr)
    steps = check_int(steps, "steps", minimum=1, maximum=100_000)
    seed = check_int(seed, "seed", minimum=0)
    noise = torch.from_numpy(np.random.default_rng(seed).standard_normal((steps, 1)))  # (steps, 1)
    pull = torch.from_numpy(scales_array) * noise  # (steps, D): the loss's gradient at each step

    def run(cls: type[torch.optim.Optimizer], decay: float) -> np.ndarray:
        w = torch.ones(len(scales_array), dtype=torch.float64, requires_grad=True)
        optimizer = cls([w], lr=lr, weight_decay=decay)  # type: ignore[call-arg]
        path = [w.detach().clone()]
        for t in range(steps):
            optimizer.zero_grad()
            (pull[t] * w).sum().backward()  # loss = xi_t * sum_i s_i w_i
            optimizer.step()
            path.append(w.detach().clone())
        return torch.stack(path).numpy()

    return DecayComparison(scales=scales_array, adam_l2=run(Adam, weight_decay),
                           adamw=run(AdamW, weight_decay), no_decay=run(Adam, 0.0), lr=lr,
                           weight_decay=weight_decay)


def _sequence(value: Any) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"`scales` must be a sequence of numbers; got {_describe(value)}.")
    return list(value)
