"""Figures for chapter 2: learned filters next to hand-made ones, and where a model's cost lies.

Each function returns a matplotlib ``Figure`` and changes no global settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from .._checks import as_float_array, check_choice, check_int
from .summary import LayerTable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Filters: TypeAlias = "nn.Conv2d | torch.Tensor | ArrayLike"
"""A convolution, its weight tensor (out, in, k, k), or an array of 2-D kernels."""

__all__ = ["best_matches", "filter_bank", "kernel_cosines", "nearest_kernels", "plot_layer_costs",
           "random_best_cosines", "show_filters"]


def filter_bank(filters: Filters) -> np.ndarray:
    """Return the first-layer filters as an array (out_channels, k, k) or (out_channels, k, k, 3).

    ``filters`` is an ``nn.Conv2d``, a weight tensor (out, in, k, k) or an array of 2-D kernels.
    Grey filters (one input channel) lose that axis; colour filters (three) put it last.

    >>> filter_bank(nn.Conv2d(1, 4, 3)).shape
    (4, 3, 3)
    """
    if isinstance(filters, nn.Conv2d):
        filters = filters.weight
    if isinstance(filters, torch.Tensor):
        filters = filters.detach().cpu().numpy()
    bank = as_float_array(filters, "filters", ndim=(3, 4))
    if bank.ndim == 3:
        return bank
    if bank.shape[1] == 1:
        return bank[:, 0]
    if bank.shape[1] == 3:
        return np.moveaxis(bank, 1, -1)
    raise ValueError(f"`filters` must have 1 or 3 input channels to be drawn; got shape "
                     f"{bank.shape}.")


def show_filters(filters: Filters, *, titles: Sequence[str] | None = None, columns: int = 8,
                 title: str | None = None, size: float = 1.0, shared_limits: bool = False) -> Figure:
    """Draw a bank of filters as small images.

    Grey filters are signed weights: they are drawn with
    :func:`course_lib.plotting.show_images` on a diverging map (blue negative, white zero, red
    positive) with symmetric limits and a colorbar each, titled with their index (``#0``, ...)
    unless ``titles`` are given. Colour filters (three input channels) are stretched to [0, 1]
    and shown as RGB pictures.

    Parameters
    ----------
    filters : nn.Conv2d, tensor (out, in, k, k), or array (n, k, k)
    titles : list of str, optional
        One per filter (default: the filter's index).
    columns : int
        Filters per row.
    title : str, optional
        Figure title.
    size : float
        Inches per filter.
    shared_limits : bool
        Grey filters: one colour scale for all (so that sizes can be compared), instead of each
        filter scaled to its own largest weight.

    Examples
    --------
    >>> fig = show_filters(np.array([[[1.0, 0, -1]] * 3, [[0, 2.0, 0]] * 3]))
    >>> [(ax.get_title(), ax.images[0].get_cmap().name, *map(float, ax.images[0].get_clim()))
    ...  for ax in fig.axes if ax.images]
    [('#0', 'RdBu_r', -1.0, 1.0), ('#1', 'RdBu_r', -2.0, 2.0)]
    """
    import matplotlib.pyplot as plt

    from ..plotting import show_images

    bank = filter_bank(filters)
    columns = check_int(columns, "columns", minimum=1)
    n = len(bank)
    if titles is not None and len(titles) != n:
        raise ValueError(f"`titles` must have one entry per filter ({n}); got {len(titles)}.")
    if bank.ndim == 3:                                     # grey: signed weights
        fig, _ = show_images(list(bank), titles=titles or [f"#{i}" for i in range(n)],
                             signed=True, shared_limits=shared_limits, ncols=min(columns, n),
                             size=size, suptitle=title)
        return fig
    rows = -(-n // columns)
    cols = min(columns, n)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols + 0.2, size * rows + 0.5),
                             squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index >= n:
            continue
        kernel = bank[index]                       # colour: stretch to [0, 1] for display
        lo, hi = kernel.min(), kernel.max()
        ax.imshow((kernel - lo) / (hi - lo if hi > lo else 1.0))
        if titles is not None:
            ax.set_title(titles[index], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _unit_patterns(kernels: dict, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Each named kernel of ``shape`` with its mean removed, scaled to unit length (flattened)."""
    if not isinstance(kernels, dict) or not kernels:
        raise TypeError("`kernels` must be a non-empty dict of name -> 2-D kernel.")
    refs = {}
    for name, kernel in kernels.items():
        kernel = as_float_array(kernel, f"kernels[{name!r}]", ndim=2)
        if kernel.shape == shape:
            centred = (kernel - kernel.mean()).ravel()
            norm = np.linalg.norm(centred)
            if norm > 0:                           # a flat kernel has no pattern to match
                refs[name] = centred / norm
    if not refs:
        raise ValueError(f"no kernel in `kernels` has the filters' shape {shape} and a "
                         "pattern (non-constant).")
    return refs


def kernel_cosines(filters: Filters, kernels: dict) -> dict[str, np.ndarray]:
    """Compute the cosine similarity of every filter with every named kernel.

    Both have their mean removed (a brightness offset does not count). The result is
    ``{name: array (n_filters,)}``, signed (a filter and its negative detect the same edge, with
    cosines ``c`` and ``-c``). Kernels of another size than the filters are skipped.

    >>> kernel_cosines(np.array([[[1.0, 0, -1]] * 3, [[0, 1.0, 0]] * 3]),
    ...                {"vertical edge": np.array([[-1.0, 0, 1]] * 3)})
    {'vertical edge': array([-1.,  0.])}
    """
    bank = filter_bank(filters)
    if bank.ndim != 3:
        raise ValueError("`filters` must be grey (one input channel) to compare with kernels.")
    refs = _unit_patterns(kernels, bank.shape[1:])
    centred = (bank - bank.mean(axis=(1, 2), keepdims=True)).reshape(len(bank), -1)  # (n, k*k)
    norms = np.linalg.norm(centred, axis=1)
    norms[norms == 0] = 1.0
    return {name: np.round(centred @ ref / norms, 12) + 0.0 for name, ref in refs.items()}  # no -0


def nearest_kernels(filters: Filters, kernels: dict) -> list[tuple[str, float]]:
    """Find, for each filter, the most similar named kernel and their cosine, up to sign.

    See :func:`kernel_cosines`. A cosine of 1 means the same pattern, 0 nothing in common.

    >>> nearest_kernels(-2 * np.array([[[1.0, 0, -1]] * 3]), {"vertical edge": np.array(
    ...     [[1.0, 0, -1]] * 3), "flat": np.ones((3, 3))})
    [('vertical edge', 1.0)]
    """
    cosines = kernel_cosines(filters, kernels)
    names = list(cosines)
    table = np.abs(np.stack([cosines[name] for name in names], axis=1))  # (n_filters, n_kernels)
    return [(names[int(row.argmax())], round(float(row.max()), 3)) for row in table]


def best_matches(filters: Filters, kernels: dict) -> dict[str, tuple[int, float]]:
    """Find, for each named kernel, the filter most similar to it, up to sign.

    Returns ``{name: (index, cosine)}``, the cosine keeping its sign (negative: the filter is
    the kernel's negative).

    >>> best_matches(np.array([[[0, 1.0, 0]] * 3, [[1.0, 0, -1]] * 3]),
    ...              {"vertical edge": np.array([[-1.0, 0, 1]] * 3)})
    {'vertical edge': (1, -1.0)}
    """
    result = {}
    for name, values in kernel_cosines(filters, kernels).items():
        index = int(np.argmax(np.abs(values)))
        result[name] = (index, float(values[index]))
    return result


def random_best_cosines(kernels: dict, *, n_filters: int, trials: int = 2000,
                        seed: int = 0) -> dict[str, np.ndarray]:
    """Measure the null baseline for :func:`best_matches`.

    How well does the best of ``n_filters`` *random* filters match each kernel? Returns
    ``{name: array (trials,)}`` of best absolute
    cosines, one per trial of ``n_filters`` filters with independent uniform entries (the
    distribution of PyTorch's default initialisation; the cosine ignores the scale).

    A learned filter resembles a kernel only if its cosine is well above this distribution.

    >>> sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    >>> null = random_best_cosines({"Sobel x": sobel}, n_filters=16, trials=500)
    >>> print(f"median {np.median(null['Sobel x']):.2f}")
    median 0.69
    """
    n_filters = check_int(n_filters, "n_filters", minimum=1, maximum=4096)
    trials = check_int(trials, "trials", minimum=1, maximum=100_000)
    shapes = {as_float_array(k, f"kernels[{name!r}]", ndim=2).shape
              for name, k in (kernels.items() if isinstance(kernels, dict) else [])}
    if len(shapes) > 1:
        raise ValueError(f"`kernels` must all have one shape; got {sorted(shapes)}.")
    shape = shapes.pop() if shapes else (0, 0)
    if n_filters * trials * shape[0] * shape[1] > 50_000_000:
        raise ValueError(f"`n_filters` x `trials` x kernel size = "
                         f"{n_filters * trials * shape[0] * shape[1]:,} numbers; the limit is 50,000,000.")
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    bank = rng.uniform(-1.0, 1.0, size=(trials * n_filters, *shape))  # (trials * n, k, k)
    cosines = kernel_cosines(bank, kernels)
    return {name: np.abs(values).reshape(trials, n_filters).max(axis=1)
            for name, values in cosines.items()}


def plot_layer_costs(table: LayerTable, *, columns: Sequence[str] = ("parameters", "multiply_adds"),
                     title: str | None = None) -> Figure:
    """Plot bar charts of each layer's share (%) of the model's costs.

    The costs are parameters, multiply-adds or activations (memory), one panel per column;
    layers with nothing to show are left out (use a ``compact`` table, so that activations and
    dropout do not fill the chart).
    """
    import matplotlib.pyplot as plt

    if not isinstance(table, LayerTable):
        raise TypeError(f"`table` must be a LayerTable; got {type(table).__name__}.")
    if isinstance(columns, str):
        columns = (columns,)
    columns = tuple(check_choice(c, "columns", ("parameters", "multiply_adds", "activations"))
                    for c in columns)
    labels = {"parameters": "parameters", "multiply_adds": "multiply-adds",
              "activations": "activations (memory)"}
    keep = [r for r in table.rows if any(getattr(r, c) for c in columns)]
    names = [r.name.split(".")[-1] for r in keep]
    fig, axes = plt.subplots(1, len(columns), figsize=(4.5 * len(columns), 0.25 * len(keep) + 1),
                             squeeze=False, sharey=True)
    for ax, column in zip(axes[0], columns, strict=True):
        values = np.array([getattr(r, column) for r in keep], dtype=float)
        share = 100 * values / values.sum()
        colour = {"parameters": "#4c72b0", "multiply_adds": "#dd8452", "activations": "#55a868"}
        ax.barh(names, share, color=colour[column])
        ax.invert_yaxis()
        ax.set_xlabel(f"share of {labels[column]} (%)")
        for y, s in enumerate(share):
            ax.text(s, y, f" {s:.1f}", va="center", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
