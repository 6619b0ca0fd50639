"""Block diagrams of the course's networks, drawn from the models themselves.

:func:`architecture_boxes` runs a model's layer table (shapes on the ``meta`` device) and turns
its layers, in the order they run, into boxes: one per convolution, pooling, normalisation and
linear layer, or one per residual block; :func:`plot_architecture` draws them left to right, a
box's height growing with the side of its output map, with the map's size under each stage.
Nothing is typed by hand, so a diagram cannot drift from the model it shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from torch import nn

from .._checks import check_int
from .resnet import BasicBlock, Bottleneck, SmallBlock
from .summary import layer_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DiagramBox", "architecture_boxes", "plot_architecture"]

_BLOCKS = (BasicBlock, Bottleneck, SmallBlock)
_SKIPPED = (nn.ReLU, nn.Dropout, nn.Flatten, nn.BatchNorm2d, nn.Identity)
# Okabe-Ito colours (safe for colour-blind readers), one per kind of box
_COLOURS = {"conv": "#0072B2", "pool": "#D55E00", "norm": "#999999", "linear": "#009E73",
            "block": "#56B4E9"}
_WIDTHS = {"conv": 0.6, "pool": 0.5, "norm": 0.3, "linear": 0.6, "block": 0.6}
_KIND_NAMES = {"conv": "convolution", "pool": "pooling", "norm": "normalisation (LRN)",
               "linear": "fully connected", "block": "block of layers (arc: its shortcut)"}


@dataclass(frozen=True)
class DiagramBox:
    """One box of a block diagram."""

    name: str                 # the layer's (or block's) qualified name, e.g. "features.conv1"
    kind: str                 # "conv", "pool", "norm", "linear" or "block"
    label: str                # the text in the box, e.g. "3x3 conv, 64"
    side: int | None          # side of the output map; None for a flat output (linear)
    channels: int             # output channels (or features)
    residual: bool = False    # a block with a shortcut around it


def _pair(value) -> int:
    return int(value[0] if isinstance(value, tuple) else value)


def _layer_box(name: str, module: nn.Module, shape: tuple[int, ...]) -> DiagramBox | None:
    side = shape[1] if len(shape) == 3 else None
    short = name.rsplit(".", 1)[-1]
    if isinstance(module, nn.Conv2d):
        k, s = _pair(module.kernel_size), _pair(module.stride)
        label = f"{short}\n{k}x{k}{f' /{s}' if s > 1 else ''}, {module.out_channels}"
        if module.groups > 1:
            label += f", {module.groups} groups"
        return DiagramBox(name, "conv", label, side, module.out_channels)
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
        kind = "max" if isinstance(module, nn.MaxPool2d) else "avg"
        return DiagramBox(name, "pool", f"{kind} pool\n{k}x{k} /{s}", side, shape[0])
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        kind = "global\navg pool" if side == 1 else f"avg pool\nto {side}x{side}"
        return DiagramBox(name, "pool", kind, side, shape[0])
    if isinstance(module, nn.LocalResponseNorm):
        return DiagramBox(name, "norm", "LRN", side, shape[0])
    if isinstance(module, nn.Linear):
        return DiagramBox(name, "linear", f"{short}\nfc, {module.out_features}", None,
                          module.out_features)
    return None


def _block_box(name: str, block: nn.Module, shape: tuple[int, ...]) -> DiagramBox:
    side = shape[1]
    conv2 = cast(nn.Conv2d, block.conv2)
    if isinstance(block, Bottleneck):
        label = (f"bottleneck{' /2' if _pair(conv2.stride) > 1 else ''}\n"
                 f"{conv2.out_channels}-{block.conv3.out_channels}")
        residual = True
    else:
        stride = _pair(cast(nn.Conv2d, block.conv1).stride)
        label = f"2 x 3x3{' /2' if stride > 1 else ''}\n{conv2.out_channels}"
        residual = getattr(block, "residual", True)
    return DiagramBox(name, "block", label, side, shape[0], residual=residual)


def architecture_boxes(model: nn.Module, input_shape: Sequence[int] | None = None
                       ) -> list[DiagramBox]:
    r"""List the boxes of ``model``'s block diagram, in the order its layers run.

    Convolutions, poolings, LRN and linear layers get a box each; activations, dropout,
    flattening and batch norm none (they change neither the shape nor the stage). The layers
    of a residual block (:class:`~course_lib.models.resnet.BasicBlock`, ``Bottleneck``,
    ``SmallBlock``) make one box.

    Parameters
    ----------
    model : nn.Module
    input_shape : (N, C, H, W), optional
        Default: one image of the model's ``input_size`` (224 for AlexNet and VGG).

    Examples
    --------
    >>> import torch
    >>> from course_lib.models import vgg
    >>> with torch.device("meta"):
    ...     boxes = architecture_boxes(vgg(11))
    >>> [box.label for box in boxes[:3]]
    ['conv1_1\n3x3, 64', 'max pool\n2x2 /2', 'conv2_1\n3x3, 128']
    >>> sum(box.kind == "conv" for box in boxes), sum(box.kind == "linear" for box in boxes)
    (8, 3)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module; got {type(model).__name__}.")
    if input_shape is None:
        side = getattr(model, "input_size", 224)
        input_shape = (1, getattr(model, "in_channels", 3), side, side)
    table = layer_table(model, input_shape)
    modules = dict(model.named_modules())
    boxes: list[DiagramBox] = []
    for row in table.rows:
        parts = row.name.split(".")
        owner = next((".".join(parts[:i]) for i in range(1, len(parts))
                      if isinstance(modules.get(".".join(parts[:i])), _BLOCKS)), None)
        if owner is not None:
            box = _block_box(owner, modules[owner], row.output_shape)
            if boxes and boxes[-1].name == owner:
                boxes[-1] = box                     # the block's last layer gives its output
            else:
                boxes.append(box)
            continue
        module = modules.get(row.name)
        if module is None or isinstance(module, _SKIPPED):
            continue
        layer_box = _layer_box(row.name, module, row.output_shape)
        if layer_box is not None:
            boxes.append(layer_box)
    return boxes


def plot_architecture(model: nn.Module, *, input_size: int | None = None,
                      title: str | None = None) -> Figure:
    """Draw ``model``'s block diagram (:func:`architecture_boxes`) left to right.

    A box's height grows with the logarithm of its output map's side (flat outputs: a fixed
    low box), its colour says its kind, its label the layer (kernel, stride, channels). Under
    the boxes, a bracket per stage gives the output map's size; an arc over a residual block
    is its shortcut.

    Parameters
    ----------
    model : nn.Module
    input_size : int, optional
        Side of the square input; default the model's ``input_size``.
    title : str, optional
        Default: the model's ``title`` and the input size.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

    side = getattr(model, "input_size", 224) if input_size is None else check_int(
        input_size, "input_size", minimum=1)
    channels = getattr(model, "in_channels", 3)
    boxes = architecture_boxes(model, (1, channels, side, side))
    top = math.log2(max(side, 2))

    def height(box: DiagramBox) -> float:
        if box.side is None:
            return 0.45
        return 0.45 + 0.55 * math.log2(max(box.side, 1)) / top

    gap = 0.08
    x, placed = 0.0, []
    for box in boxes:
        placed.append((box, x))
        x += _WIDTHS[box.kind] + gap
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * x + 1.0), 3.6))
    ax.plot([-0.2, x], [0, 0], color="#555555", lw=0.8, zorder=0)          # the data's path
    for box, left in placed:
        w, h = _WIDTHS[box.kind], height(box)
        ax.add_patch(Rectangle((left, -h / 2), w, h, facecolor=_COLOURS[box.kind],
                               edgecolor="black", lw=0.6, zorder=2))
        ax.text(left + w / 2, 0, box.label, rotation=90, ha="center", va="center",
                fontsize=6.5, color="black" if box.kind in ("block", "norm") else "white",
                zorder=3)
        if box.residual:
            ax.add_patch(FancyArrowPatch((left + 0.05, h / 2), (left + w - 0.05, h / 2),
                                         connectionstyle="arc3,rad=-0.8", arrowstyle="-|>",
                                         mutation_scale=7, lw=0.9, color="black", zorder=3))
    # one bracket per stage (a run of boxes with the same output side)
    start = 0
    for index in range(1, len(placed) + 1):
        if index == len(placed) or placed[index][0].side != placed[start][0].side:
            box, left = placed[start]
            right = placed[index - 1][1] + _WIDTHS[placed[index - 1][0].kind]
            y = -0.62
            ax.plot([left, left, right, right], [y + 0.03, y, y, y + 0.03], color="black",
                    lw=0.7)
            text = "flat" if box.side is None else f"{box.side}x{box.side}"
            ax.text((left + right) / 2, y - 0.04, text, ha="center", va="top", fontsize=7)
            start = index
    kinds = [k for k in _COLOURS if any(b.kind == k for b in boxes)]
    handles = [Patch(facecolor=_COLOURS[k], edgecolor="black", label=_KIND_NAMES[k])
               for k in kinds]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=len(kinds),
              fontsize=7, frameon=False)
    ax.set_xlim(-0.3, x + 0.1)
    ax.set_ylim(-0.85, 0.95)
    ax.set_axis_off()
    name = getattr(model, "title", type(model).__name__)
    ax.set_title(title or f"{name}, {side}x{side} input", fontsize=9)
    ax.text(x + 0.1, -0.84, "box height: side of the output map (log scale); under each stage: "
            "its map size", ha="right", va="bottom", fontsize=6.5, color="#333333")
    fig.tight_layout()
    return fig
