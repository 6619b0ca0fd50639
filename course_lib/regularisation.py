r"""Regularisation written out: dropout, and the size of the weights that weight decay shrinks.

**Dropout** (Srivastava et al., 2014) sets each value of a layer's output to zero with
probability :math:`p` during training, a new random choice at every step, so that no unit can
rely on a particular other one. *Inverted* dropout, the form every framework uses, divides the
values it keeps by :math:`1 - p` during training, so that their expected value is unchanged and
the network is used as it is at evaluation time (``model.eval()`` turns dropout off):

.. math:: y = x \cdot m / (1 - p), \qquad m_i \sim \text{Bernoulli}(1 - p).

**Weight decay** shrinks every weight towards zero at every step. With plain SGD that is the
same as adding :math:`\tfrac{\lambda}{2}\lVert w\rVert^2` to the loss (L2 regularisation). With
Adam it is not: Adam divides each weight's gradient, the L2 term :math:`\lambda w` included, by
the size of that weight's recent gradients, so weights with large gradients are hardly
decayed. AdamW (Loshchilov and Hutter, 2019) *decouples* the decay from the gradient:
:math:`w \leftarrow w - \eta\lambda w` besides Adam's step, the same fraction for every weight
(``course_lib.optim`` writes both out and compares them).

- :func:`dropout_mask`, :func:`dropout`, :class:`Dropout`: dropout from scratch, equal to
  ``torch.nn.Dropout`` given the same random state;
- :func:`with_dropout`: a copy of a model with dropout before its linear layers;
- :func:`weight_norm`: the size of a model's weights, what weight decay shrinks.

Shown in chapter 4, section 4.4 (notebooks/04_training_part_2.ipynb).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from ._checks import as_float_array, check_bool, check_real

__all__ = ["Dropout", "dropout", "dropout_mask", "weight_norm", "with_dropout"]


def _check_p(p) -> float:
    return check_real(p, "p", minimum=0.0, maximum=1.0)


def _check_generator(generator) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"`generator` must be a torch.Generator or None; got "
                        f"{type(generator).__name__}.")
    return generator


def _as_tensor(x, name: str = "x") -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        if not torch.is_floating_point(x):
            raise TypeError(f"`{name}` must be a float tensor; got dtype {x.dtype}.")
        return x
    return torch.from_numpy(as_float_array(x, name, allow_empty=True))


def dropout_mask(x: torch.Tensor, p: float, *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw dropout's keep-mask for ``x``: 1 with probability ``1 - p``, else 0 (same shape).

    It is drawn as PyTorch draws its own (``bernoulli_`` on a tensor shaped like ``x``), so the
    same random state gives the same mask.

    Examples
    --------
    >>> mask = dropout_mask(torch.ones(10_000), 0.25, generator=torch.Generator().manual_seed(0))
    >>> sorted(set(mask.tolist())), round(float(mask.mean()), 2)
    ([0.0, 1.0], 0.75)
    """
    x = _as_tensor(x)
    p = _check_p(p)
    generator = _check_generator(generator)
    return torch.empty_like(x).bernoulli_(1.0 - p, generator=generator)


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
            mask: torch.Tensor | None = None,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout: in training, zero each value with probability ``p`` and scale the rest.

    Parameters
    ----------
    x : torch.Tensor
        Any shape.
    p : float
        Probability of dropping a value, from 0 to 1.
    training : bool
        In evaluation mode (``False``) the input is returned unchanged.
    mask : torch.Tensor, optional
        The keep-mask (1 keep, 0 drop), shaped like ``x``; drawn by :func:`dropout_mask` when
        None.
    generator : torch.Generator, optional
        Source of the mask when it is drawn (the global one when None).

    Returns
    -------
    torch.Tensor
        ``x * mask / (1 - p)`` in training; ``x`` in evaluation.

    Examples
    --------
    >>> x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    >>> dropout(x, 0.5, mask=torch.tensor([1.0, 0.0, 0.0, 1.0]))
    tensor([2., 0., 0., 8.])
    >>> dropout(x, 0.5, training=False)
    tensor([1., 2., 3., 4.])
    """
    x = _as_tensor(x)
    p = _check_p(p)
    training = check_bool(training, "training")
    if not training or p == 0.0:
        return x
    if mask is None:
        mask = dropout_mask(x, p, generator=generator)
    else:
        mask = _as_tensor(mask, "mask").to(x.dtype)
        if mask.shape != x.shape:
            raise ValueError(f"`mask` must have the shape of `x`, {tuple(x.shape)}; got "
                             f"{tuple(mask.shape)}.")
    if p == 1.0:
        return x * torch.zeros((), dtype=x.dtype)  # everything dropped (as PyTorch does)
    return x * mask.div(1.0 - p)  # kept values scaled by 1 / (1 - p), as PyTorch computes it


class Dropout(nn.Module):
    """Dropout as a layer: :func:`dropout` in training mode, the identity in evaluation mode.

    Examples
    --------
    >>> layer = Dropout(0.5)
    >>> layer
    Dropout(p=0.5)
    >>> layer.eval()(torch.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = _check_p(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Drop and scale in training mode; pass ``x`` through in evaluation mode."""
        return dropout(x, self.p, training=self.training)

    def extra_repr(self) -> str:
        """Show ``p`` when the layer prints, as ``nn.Dropout`` does."""
        return f"p={self.p}"


def with_dropout(model: nn.Module, p: float = 0.5) -> nn.Module:
    """Copy ``model``, adding a :class:`Dropout` layer before each ``nn.Linear`` in it.

    The layers go into the model's ``nn.Sequential`` parts (the tiny CNN's classifier); the
    weights are copied, so the copy starts from exactly the same weights. ``model`` itself is
    not changed.

    Examples
    --------
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> with_dropout(net, 0.3)
    Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Dropout(p=0.3)
      (2): Linear(in_features=4, out_features=2, bias=True)
    )
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    p = _check_p(p)
    result = copy.deepcopy(model)

    def rebuilt(sequential: nn.Sequential) -> nn.Sequential:
        layers: list[nn.Module] = []
        for layer in sequential:
            if isinstance(layer, nn.Linear):
                layers.append(Dropout(p))
            layers.append(rebuilt(layer) if isinstance(layer, nn.Sequential) else layer)
        return nn.Sequential(*layers)

    if isinstance(result, nn.Sequential):
        result = rebuilt(result)
    else:
        for parent in list(result.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, nn.Sequential):
                    setattr(parent, name, rebuilt(child))
    if not any(isinstance(m, Dropout) for m in result.modules()):
        raise ValueError("`model` has no nn.Linear inside an nn.Sequential to put dropout before.")
    return result


def weight_norm(model: nn.Module) -> float:
    """Return the Euclidean norm of ``model``'s weights, biases left out (what decay shrinks).

    Parameters named ``bias`` and one-dimensional ones (biases, batch-norm scales) are left out.

    Examples
    --------
    >>> layer = nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[3.0, 4.0]]))
    >>> weight_norm(layer)
    5.0
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    squares = [float((p.detach().double() ** 2).sum()) for name, p in model.named_parameters()
               if p.ndim > 1 and not name.endswith("bias")]
    return float(np.sqrt(sum(squares)))
