"""The layer table: one row a layer, with its shape, parameters, multiply-adds, receptive field.

:func:`layer_table` runs a model on the ``meta`` device (shapes only, no memory, no arithmetic)
and lists, one row a layer, the output shape, parameters, multiply-adds (measured with PyTorch's
own ``torch.utils.flop_counter.FlopCounterMode``) and receptive field.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from .._checks import check_choice
from .arithmetic import _ADAPTIVE, _ELEMENTWISE, _POOLS, _grow_receptive_field, _window
from .shapes import _check_shape, _describe_layer, _leaves, layer_output_shape

__all__ = ["LayerRow", "LayerTable", "layer_table"]

# --------------------------------------------------------------------------------------------
# The layer table
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerRow:
    """One layer of a :class:`LayerTable`."""

    name: str                      # qualified module name, e.g. "features.conv1"
    layer: str                     # short description, e.g. "Conv2d 3->64, 11x11 /4 pad 2"
    output_shape: tuple[int, ...]  # without the batch axis, e.g. (64, 55, 55)
    parameters: int                # weights and biases of this layer
    multiply_adds: int             # per example (FLOPs / 2 as FlopCounterMode counts them)
    receptive_field: int | None    # input pixels one output unit sees; None: the whole input
    jump: int | None               # input pixels between neighbouring output units
    kind: str = ""                 # the module's class name, e.g. "Conv2d"

    @property
    def activations(self) -> int:
        """Number of values this layer outputs for one example."""
        return math.prod(self.output_shape)


_COLUMNS = ("name", "layer", "output_shape", "parameters", "multiply_adds", "receptive_field")
_HEADERS = ("layer", "type", "output", "parameters", "multiply-adds", "receptive field")


@dataclass(frozen=True)
class LayerTable:
    """The layers of a model for one input shape; prints as a table with totals at the bottom."""

    title: str
    input_shape: tuple[int, ...]                   # (N, C, H, W) the table was computed for
    rows: tuple[LayerRow, ...] = field(repr=False)

    @property
    def total_parameters(self) -> int:
        """Parameters of all the rows."""
        return sum(r.parameters for r in self.rows)

    @property
    def total_multiply_adds(self) -> int:
        """Multiply-adds of all the rows."""
        return sum(r.multiply_adds for r in self.rows)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Output shape of the last row (the input's shape for an empty table)."""
        return self.rows[-1].output_shape if self.rows else tuple(self.input_shape[1:])

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: int | str) -> LayerRow:
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key or row.name.rsplit(".", 1)[-1] == key:
                    return row
            raise KeyError(f"no layer named {key!r}; layers: {[r.name for r in self.rows]}")
        return self.rows[key]

    def total(self, column: str, *, kind: str | None = None) -> int:
        """Sum of a column, over all rows or over the layers of one ``kind`` ("Conv2d", ...).

        >>> table = layer_table(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(),
        ...                                   nn.Linear(2 * 4 * 4, 3)), (1, 1, 6, 6))
        >>> table.total("parameters", kind="Linear"), table.total("parameters")
        (99, 119)
        """
        check_choice(column, "column", ("parameters", "multiply_adds", "activations"))
        return sum(getattr(r, column) for r in self._rows_of_kind(kind))

    def total_by_size(self, column: str, *, kind: str | None = None) -> dict[int, int]:
        """Sum a column per output size.

        ``{side: total}`` over the layers whose output map is ``side`` pixels high, in the order
        the sizes occur (VGG's stages: 224, 112, 56, ...).

        Layers with a flat output (``Linear``, ``Flatten``) have no map and are left out;
        ``kind`` keeps one kind of layer, as in :meth:`total`.

        >>> table = layer_table(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2),
        ...                                   nn.Conv2d(2, 2, 3, padding=1)), (1, 1, 8, 8))
        >>> table.total_by_size("multiply_adds", kind="Conv2d")    # 8*8*2*9, then 4*4*2*18
        {8: 1152, 4: 576}
        """
        check_choice(column, "column", ("parameters", "multiply_adds", "activations"))
        sums: dict[int, int] = {}
        for row in self._rows_of_kind(kind):
            if len(row.output_shape) == 3:                     # (C, H, W): a map
                side = row.output_shape[1]
                sums[side] = sums.get(side, 0) + getattr(row, column)
        return sums

    def _rows_of_kind(self, kind: str | None) -> list[LayerRow]:
        return [r for r in self.rows if kind is None or r.kind == kind]

    def column(self, name: str) -> list:
        """One column as a list, e.g. ``table.column("parameters")``."""
        check_choice(name, "name", (*_COLUMNS, "activations", "jump"))
        return [getattr(row, name) for row in self.rows]

    def _cells(self) -> tuple[list[tuple[str, ...]], tuple[str, ...]]:
        body: list[tuple[str, ...]] = [(r.name, r.layer, _shape_text(r.output_shape), f"{r.parameters:,}",
                 f"{r.multiply_adds:,}", _rf_text(r.receptive_field)) for r in self.rows]
        total = ("total", "", _shape_text(self.output_shape), f"{self.total_parameters:,}",
                 f"{self.total_multiply_adds:,}", "")
        return body, total

    def __str__(self) -> str:
        body, total = self._cells()
        widths = [max(len(h), *(len(row[i]) for row in [*body, total]))
                  for i, h in enumerate(_HEADERS)]
        right = (False, False, True, True, True, True)

        def line(cells) -> str:
            return "  ".join(c.rjust(w) if r else c.ljust(w)
                             for c, w, r in zip(cells, widths, right, strict=True)).rstrip()

        rule = "-" * len(line(_HEADERS))
        shape = "x".join(str(v) for v in self.input_shape)
        return "\n".join([f"{self.title}, input {shape}", line(_HEADERS), rule,
                          *(line(row) for row in body), rule, line(total)])

    __repr__ = __str__

    def _repr_html_(self, *, highlight: int | None = None) -> str:
        body, total = self._cells()
        cell = 'style="text-align:{};padding:1px 8px;font-family:monospace"'
        align = ("left", "left", "right", "right", "right", "right")
        head = "".join(f"<th {cell.format(a)}>{html.escape(h)}</th>"
                       for h, a in zip(_HEADERS, align, strict=True))
        rows = []
        for i, row in enumerate(body):
            style = ' style="background:#fff3b0"' if i == highlight else ""
            tds = "".join(f"<td {cell.format(a)}>{html.escape(c)}</td>"
                          for c, a in zip(row, align, strict=True))
            rows.append(f"<tr{style}>{tds}</tr>")
        foot = "".join(f"<td {cell.format(a)}><b>{html.escape(c)}</b></td>"
                       for c, a in zip(total, align, strict=True))
        shape = "x".join(str(v) for v in self.input_shape)
        return (f'<div class="course-layer-table"><b>{html.escape(self.title)}</b>, input '
                f"{shape}<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
                f"<tfoot><tr>{foot}</tr></tfoot></table></div>")


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(v) for v in shape)


def _rf_text(rf: int | None) -> str:
    return "whole input" if rf is None else f"{rf}x{rf}"


def _adaptive_window(n_in: int, n_out: int | None) -> tuple[int, int]:
    """Largest window and smallest step of adaptive pooling from n_in to n_out."""
    if n_out is None or n_out == n_in:
        return 1, 1
    starts = [(i * n_in) // n_out for i in range(n_out)]
    ends = [-(-((i + 1) * n_in) // n_out) for i in range(n_out)]
    kernel = max(e - s for s, e in zip(starts, ends, strict=True))
    step = min((b - a for a, b in itertools.pairwise(starts)), default=n_in)
    return kernel, max(step, 1)


def _meta_copy_of_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Meta tensors standing in for every parameter and buffer: shapes without memory."""
    state: dict[str, torch.Tensor] = dict(model.named_parameters(remove_duplicate=False))
    state.update(dict(model.named_buffers(remove_duplicate=False)))
    return {name: torch.empty_like(t, device="meta") for name, t in state.items()}


def layer_table(model: nn.Module, input_shape: Sequence[int] = (1, 3, 224, 224), *,
                compact: bool = False, title: str | None = None) -> LayerTable:
    """Trace ``model`` on an input of ``input_shape`` and list its layers.

    The model runs once on the ``meta`` device (its real weights are neither copied nor used,
    so this takes milliseconds even for VGG-19), in evaluation mode. For each leaf layer, in the
    order it runs: output shape, parameters, multiply-adds per example (``FlopCounterMode``
    FLOPs / 2: convolutions and linear layers; pooling, ReLU and normalisation are not counted)
    and receptive field of one output unit (``None`` once a linear layer has mixed all
    positions).

    Parameters
    ----------
    model : nn.Module
    input_shape : (N, C, H, W)
        The batch size ``N`` does not change the per-example figures.
    compact : bool
        Leave out activations and dropout, which change neither shape nor counts.
    title : str, optional
        Defaults to the model's class name.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    >>> table = layer_table(net, (1, 1, 8, 8))
    >>> table.total_parameters == sum(p.numel() for p in net.parameters()), table.total_multiply_adds
    (True, 1584)
    >>> table["0"].output_shape, table["0"].receptive_field
    ((4, 6, 6), 3)
    """
    from torch.func import functional_call
    from torch.utils.flop_counter import FlopCounterMode

    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    input_shape = _check_shape(input_shape)
    batch = input_shape[0]
    records: list[dict] = []
    stack: list[tuple[float, tuple]] = []
    counter = FlopCounterMode(display=False)
    seen_params: set[str] = set()

    def pre_hook(name):
        def hook(module, args):
            shape = tuple(args[0].shape[1:]) if args and hasattr(args[0], "shape") else ()
            if isinstance(module, (nn.Conv2d, *_POOLS, nn.Linear)):
                layer_output_shape(module, shape, name=name)   # clear error before torch's
            stack.append((counter.get_total_flops(), shape))
        return hook

    def post_hook(name):
        def hook(module, _args, output):  # a forward hook's signature
            flops_before, in_shape = stack.pop()
            own = {f"{name}.{n}" if name else n: p.numel()
                   for n, p in module.named_parameters(recurse=False)}
            params = sum(v for k, v in own.items() if k not in seen_params)
            seen_params.update(own)
            records.append(dict(name=name or type(module).__name__, module=module,
                                in_shape=in_shape, out_shape=tuple(output.shape[1:]),
                                params=params,
                                flops=counter.get_total_flops() - flops_before))
        return hook

    handles = []
    for name, module in _leaves(model):
        handles.append(module.register_forward_pre_hook(pre_hook(name)))
        handles.append(module.register_forward_hook(post_hook(name)))
    was_training = model.training
    model.eval()
    try:
        x = torch.zeros(input_shape, device="meta")              # (N, C, H, W), no memory
        with counter, torch.no_grad():
            functional_call(model, _meta_copy_of_state(model), (x,))
    except ValueError as exc:  # the model's own check, or a layer's: say which argument
        raise ValueError(f"`input_shape` {input_shape} cannot pass: {exc}") from None
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    rows = _rows_from_records(records, batch, compact=compact)
    return LayerTable(title=title or type(model).__name__, input_shape=input_shape,
                      rows=tuple(rows))


def _rows_from_records(records: list[dict], batch: int, *, compact: bool) -> list[LayerRow]:
    rows = []
    rf: int | None = 1
    jump: int | None = 1
    for rec in records:
        module = rec["module"]
        if rf is not None and jump is not None:
            if isinstance(module, nn.Linear):
                rf = jump = None
            elif isinstance(module, _ADAPTIVE):
                size = module.output_size
                size = size[0] if isinstance(size, tuple) else size
                window = _adaptive_window(rec["in_shape"][1], size)
                rf, jump = _grow_receptive_field(rf, jump, *window)
            elif isinstance(module, (nn.Conv2d, *_POOLS)):
                rf, jump = _grow_receptive_field(rf, jump, *_window(module))
        if compact and isinstance(module, _ELEMENTWISE):
            continue
        rows.append(LayerRow(name=rec["name"], layer=_describe_layer(module), kind=type(module).__name__,
                             output_shape=rec["out_shape"], parameters=rec["params"],
                             multiply_adds=int(rec["flops"]) // (2 * batch),
                             receptive_field=rf, jump=jump))
    return rows
