r"""Receptive fields of networks with branches: theoretical (followed through the graph) and effective.

The *theoretical* receptive field of a unit is every input pixel it depends on. For a chain of
layers it follows the recurrence of :func:`~course_lib.models.receptive_fields`; a residual
block has two branches, and the layers of its shortcut are registered (and may run) after its
main path, so reading a network's layers in order gets it wrong. :func:`graph_receptive_fields`
follows the computation itself: the network runs once on the ``meta`` device (shapes only),
every tensor it makes carries the chain of windows (kernel, stride) behind it, and where two
tensors meet (an addition) the result carries the larger field. :func:`graph_layer_table` is
:func:`~course_lib.models.layer_table` with that column.

The *effective* receptive field (Luo, Li, Urtasun & Zemel, "Understanding the Effective
Receptive Field in Deep Convolutional Neural Networks", NIPS 2016) is how much each input pixel
actually moves a unit: the gradient of one central output unit with respect to the input,
averaged over images (:func:`effective_receptive_field`). It is concentrated in the middle of
the theoretical field, roughly like a Gaussian; :func:`effective_size` measures its extent and
:func:`support_size` the extent of the nonzero gradient, which is the theoretical field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from numbers import Integral

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from .._checks import as_float_array, check_int, check_real
from .._types import Batch
from ..engine.threads import model_threads
from .arithmetic import receptive_fields
from .summary import LayerTable, layer_table

__all__ = ["effective_receptive_field", "effective_size", "graph_layer_table",
           "graph_receptive_fields", "support_size"]

Path = tuple[tuple[int, int, int], ...]
"""The windows (kernel, stride, dilation) on the way from the input to a tensor."""

_aten = torch.ops.aten
_WHOLE = None  # the field of a tensor that a linear layer computed: every input pixel


def _square(value, name: str) -> int:
    """One number from an int or a square list, as ATen passes kernel sizes and strides."""
    if isinstance(value, Integral):
        return int(value)
    values = list(value)
    if not values:
        raise ValueError(f"empty `{name}`")
    if len(set(values)) != 1:
        raise ValueError(f"graph_receptive_fields handles square windows only; got {name} "
                         f"{values}.")
    return int(values[0])


class _FieldTracker(TorchDispatchMode):
    """Follow, for every tensor, the chain of windows from the input (see the module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: dict[int, Path | None] = {}
        self._alive: list[torch.Tensor] = []       # keeps every id in ``paths`` unique

    def track(self, tensor: torch.Tensor, path: Path | None) -> None:
        self.paths[id(tensor)] = path
        self._alive.append(tensor)

    def field(self, tensor: object) -> tuple[int | None, int | None] | None:
        """(receptive field, jump) of a tracked tensor, None if it does not come from the input."""
        if id(tensor) not in self.paths:
            return None
        path = self.paths[id(tensor)]
        if path is _WHOLE:
            return (None, None)
        return receptive_fields(list(path))[-1] if path else (1, 1)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        inputs = [t for t in tree_leaves((args, kwargs))
                  if isinstance(t, torch.Tensor) and id(t) in self.paths]
        if not inputs:
            return out                              # weights, constants: no field
        path = self._path_after(func, args, inputs)
        for tensor in tree_leaves(out):
            if isinstance(tensor, torch.Tensor):
                self.track(tensor, path)
        return out

    def _widest(self, inputs: list[torch.Tensor]) -> Path | None:
        """Return the path of the input with the largest field (where branches meet)."""
        paths = [self.paths[id(t)] for t in inputs]
        if any(p is _WHOLE for p in paths):
            return _WHOLE
        return max(paths, key=lambda p: receptive_fields(list(p))[-1][0] if p else 1)

    def _path_after(self, func, args, inputs) -> Path | None:
        path = self._widest(inputs)
        if path is _WHOLE:
            return _WHOLE
        packet = func.overloadpacket
        if packet is _aten.convolution:             # (x, weight, bias, stride, padding, dilation, ...)
            window = (_square(args[1].shape[-1:], "kernel_size"), _square(args[3], "stride"),
                      _square(args[5], "dilation"))
        elif packet in (_aten.max_pool2d_with_indices, _aten.avg_pool2d, _aten.max_pool2d):
            kernel = _square(args[1], "kernel_size")
            stride = _square(args[2], "stride") if len(args) > 2 and list(args[2]) else kernel
            dilation = _square(args[4], "dilation") if (
                packet is not _aten.avg_pool2d and len(args) > 4) else 1
            window = (kernel, stride, dilation)
        elif packet is _aten.mean and len(args) > 1 and _spatial_dims(args[1], args[0].ndim):
            side = _square(args[0].shape[-2:], "map size")   # a global average over the map
            window = (side, side, 1)
        elif packet in (_aten._adaptive_avg_pool2d, _aten.adaptive_max_pool2d):
            n_in, n_out = _square(args[0].shape[-2:], "map size"), _square(args[1], "output_size")
            if n_out == n_in:
                return path
            if n_out != 1:
                raise ValueError(f"graph_receptive_fields cannot follow adaptive pooling from "
                                 f"{n_in}x{n_in} to {n_out}x{n_out}; use layer_table for a "
                                 "chain of layers.")
            window = (n_in, n_in, 1)
        elif packet in (_aten.addmm, _aten.mm, _aten.bmm, _aten.linear, _aten.matmul):
            return _WHOLE                           # a linear layer mixes every position
        else:
            return path                             # element-wise, normalisation, views, padding
        return (*path, window)


def _spatial_dims(dims, ndim: int) -> bool:
    """Whether a reduction over ``dims`` of a 4-D tensor covers both spatial axes."""
    if ndim != 4 or dims is None:
        return False
    dims = [dims] if isinstance(dims, Integral) else list(dims)
    return {d % 4 for d in dims} >= {2, 3}


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if not list(m.children())]


def _check_model_and_shape(model, input_shape) -> tuple[int, ...]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    if isinstance(input_shape, torch.Size):
        input_shape = tuple(input_shape)
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 4
            or not all(isinstance(v, Integral) and not isinstance(v, bool) and int(v) >= 1
                       for v in input_shape)):
        raise ValueError("`input_shape` must be four positive integers (batch, channels, "
                         f"height, width), e.g. (1, 3, 224, 224); got {input_shape!r}.")
    return tuple(int(v) for v in input_shape)


def graph_receptive_fields(model: nn.Module, input_shape: Sequence[int] = (1, 3, 224, 224)
                           ) -> list[tuple[str, int | None, int | None]]:
    """Receptive field and jump of every layer's output, followed through the computation graph.

    The model runs once, in evaluation mode, on the ``meta`` device (no memory, no
    arithmetic; its real weights are not touched). For each call of a leaf module, in the order
    they run: ``(name, receptive_field, jump)``; both ``None`` once a linear layer has mixed all
    positions. Where branches meet (a residual addition) the larger field wins. Square windows
    only; dilated convolutions, pools and global averages are followed.

    Examples
    --------
    A residual block whose shortcut's 1x1/2 convolution is registered last: the layers read in
    order would multiply the jump by its stride once more.

    >>> class Block(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.conv1 = nn.Conv2d(1, 1, 3, stride=2, padding=1)
    ...         self.conv2 = nn.Conv2d(1, 1, 3, padding=1)
    ...         self.shortcut = nn.Conv2d(1, 1, 1, stride=2)
    ...     def forward(self, x):
    ...         return self.conv2(self.conv1(x)) + self.shortcut(x)
    >>> graph_receptive_fields(nn.Sequential(Block(), nn.Conv2d(1, 1, 3, padding=1)),
    ...                        (1, 1, 16, 16))
    [('0.conv1', 3, 2), ('0.conv2', 7, 2), ('0.shortcut', 1, 2), ('1', 11, 2)]
    """
    from torch.func import functional_call

    input_shape = _check_model_and_shape(model, input_shape)
    tracker = _FieldTracker()
    calls: list[tuple[str, torch.Tensor]] = []

    def record(name):
        def hook(_module, _args, output):  # a forward hook's signature
            first = output[0] if isinstance(output, (tuple, list)) else output
            calls.append((name, first))
        return hook

    handles = [module.register_forward_hook(record(name)) for name, module in _leaves(model)]
    state: dict[str, torch.Tensor] = dict(model.named_parameters(remove_duplicate=False))
    state.update(dict(model.named_buffers(remove_duplicate=False)))
    meta_state = {name: torch.empty_like(t, device="meta") for name, t in state.items()}
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros(input_shape, device="meta")            # (N, C, H, W), no memory
        with torch.no_grad(), tracker:
            tracker.track(x, ())
            functional_call(model, meta_state, (x,))
    except (ValueError, RuntimeError) as exc:  # a model's own check, or torch's
        raise ValueError(f"`input_shape` {input_shape} cannot pass: {exc}") from None
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    out = []
    for name, tensor in calls:
        field = tracker.field(tensor)
        rf, jump = (None, None) if field is None else field
        out.append((name, rf, jump))
    return out


def graph_layer_table(model: nn.Module, input_shape: Sequence[int] = (1, 3, 224, 224), *,
                      compact: bool = False, title: str | None = None) -> LayerTable:
    """:func:`~course_lib.models.layer_table` with receptive fields followed through the graph.

    Shapes, parameters and multiply-adds are ``layer_table``'s; the receptive field and jump of
    each row are :func:`graph_receptive_fields`'. For a chain of layers (AlexNet, VGG) both
    tables are the same; for a network with branches (ResNet) only this one is right.

    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3))
    >>> graph_layer_table(net, (1, 1, 8, 8))["2"].receptive_field
    5
    """
    table = layer_table(model, input_shape, compact=compact, title=title)
    fields = iter(graph_receptive_fields(model, input_shape))
    rows = []
    for row in table.rows:                 # the table's rows are a subsequence of the calls
        for name, rf, jump in fields:
            if name == row.name:
                rows.append(replace(row, receptive_field=rf, jump=jump))
                break
        else:
            raise RuntimeError(f"layer {row.name} of the table was not seen running.")
    return LayerTable(title=table.title, input_shape=table.input_shape, rows=tuple(rows))


# --------------------------------------------------------------------------------------------
# The effective receptive field
# --------------------------------------------------------------------------------------------

def effective_receptive_field(model: nn.Module, images: Batch, *, layer: str,
                              batch_size: int = 64) -> np.ndarray:
    r"""Mean absolute gradient of a central unit of ``layer`` with respect to the input pixels.

    For each image :math:`x` the unit is :math:`y = \sum_c a_c(h/2, w/2)`, the channels of
    ``layer``'s output ``a`` (N, C, h, w) summed at the central position (row ``h // 2``,
    column ``w // 2``); the result is :math:`|\partial y / \partial x|` summed over the input
    channels and averaged over the images: an (H, W) map, zero outside the theoretical
    receptive field. The model runs in evaluation mode (batch norm uses its running
    statistics, so images do not mix) and is left as it was.

    Parameters
    ----------
    model : nn.Module
    images : array or tensor (N, C, H, W)
        The inputs to average over: real images for the field the data sees, noise for the
        field the architecture gives.
    layer : str
        The qualified name of a module of ``model`` (as in ``model.named_modules()``) with a
        4-D output.
    batch_size : int
        Images per backward pass.

    Returns
    -------
    numpy.ndarray (H, W)

    Examples
    --------
    Two 3x3 layers of ones: the central unit depends on a 5x5 patch, the middle pixel most
    (the counts of paths through the two kernels, 1-2-3-2-1 along each axis).

    >>> net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, bias=False),
    ...                     nn.Conv2d(1, 1, 3, padding=1, bias=False))
    >>> _ = [nn.init.ones_(p) for p in net.parameters()]
    >>> erf = effective_receptive_field(net, torch.zeros(1, 1, 9, 9), layer="1")
    >>> erf[4, 2:7]
    array([3., 6., 9., 6., 3.])
    >>> support_size(erf)
    5
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    modules = dict(model.named_modules())
    if not isinstance(layer, str) or layer not in modules or layer == "":
        names = [n for n in modules if n][:12]
        raise ValueError(f"`layer` must name a module of `model`, e.g. {names}; got {layer!r}.")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    dtype = parameter.dtype if parameter is not None else torch.float32
    x_all = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor)
                            else images).to(device=device, dtype=dtype)
    if x_all.ndim != 4 or len(x_all) == 0:
        raise ValueError(f"`images` must be a non-empty batch (N, C, H, W); got shape "
                         f"{tuple(x_all.shape)}.")
    captured: list[torch.Tensor] = []
    handle = modules[layer].register_forward_hook(lambda _m, _a, out: captured.append(out))
    was_training = model.training
    model.eval()
    total = torch.zeros(x_all.shape[2:], dtype=torch.float64)
    try:
        with model_threads(model):
            for start in range(0, len(x_all), batch_size):
                x = x_all[start:start + batch_size].clone().requires_grad_(True)   # (B, C, H, W)
                captured.clear()
                model(x)
                if not captured or captured[-1].ndim != 4:
                    raise ValueError(f"`layer` {layer!r} must output maps (N, C, h, w); got "
                                     f"{'nothing' if not captured else tuple(captured[-1].shape)}.")
                maps = captured[-1]                                                # (B, C', h, w)
                unit = maps[:, :, maps.shape[2] // 2, maps.shape[3] // 2].sum()
                (grad,) = torch.autograd.grad(unit, x)                             # (B, C, H, W)
                total += grad.abs().sum(dim=(0, 1)).double().cpu()
    finally:
        handle.remove()
        model.train(was_training)
    return (total / len(x_all)).numpy()


def _centre_of_mass(weights: np.ndarray) -> tuple[float, float]:
    total = weights.sum()
    rows, cols = np.indices(weights.shape)
    return float((rows * weights).sum() / total), float((cols * weights).sum() / total)


def _checked_map(erf, name: str = "erf") -> np.ndarray:
    erf = as_float_array(erf, name, ndim=2)
    if np.any(erf < 0) or not np.any(erf > 0):
        raise ValueError(f"`{name}` must be a map of gradient magnitudes: non-negative, not all "
                         "zero.")
    return erf


def effective_size(erf: np.ndarray, *, mass: float = 0.9) -> int:
    """Side of the smallest square, centred on the map's centre of mass, holding ``mass`` of it.

    A pixel is in the square of side ``s`` when its centre is less than ``s / 2`` from the
    centre of mass along both axes. Compare with the theoretical receptive field
    (:func:`support_size`).

    >>> erf = np.zeros((9, 9)); erf[3:6, 3:6] = 1.0; erf[4, 4] = 8.0
    >>> effective_size(erf, mass=0.5), effective_size(erf, mass=1.0)
    (1, 3)
    """
    erf = _checked_map(erf)
    mass = check_real(mass, "mass", positive=True, maximum=1.0)
    total = erf.sum()
    r0, c0 = _centre_of_mass(erf)
    rows, cols = np.indices(erf.shape)
    distance = np.maximum(np.abs(rows - r0), np.abs(cols - c0))      # (H, W), Chebyshev
    for side in range(1, 2 * max(erf.shape) + 2):
        if erf[distance < side / 2].sum() >= mass * total * (1 - 1e-12):
            return side
    return 2 * max(erf.shape) + 1     # unreachable: the last square holds the whole map


def support_size(erf: np.ndarray) -> int:
    """Side of the region where the gradient is nonzero: the theoretical field, measured.

    The larger of its height and width (the field is clipped where it meets the border).

    >>> erf = np.zeros((9, 9)); erf[2:7, 3:6] = 1.0
    >>> support_size(erf)
    5
    """
    erf = _checked_map(erf)
    rows = np.nonzero(erf.sum(axis=1))[0]
    cols = np.nonzero(erf.sum(axis=0))[0]
    return int(max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1))
