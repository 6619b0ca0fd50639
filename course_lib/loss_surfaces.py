r"""Optimisers' paths on two-dimensional loss surfaces: where SGD zig-zags and Adam does not.

A :class:`Surface` is a loss over two weights :math:`(w_1, w_2)`: an ill-conditioned quadratic
bowl (:func:`quadratic`, long and narrow, the picture behind "momentum helps") or Rosenbrock's
curved valley (:func:`rosenbrock`). :func:`optimizer_path` runs any optimiser of
:mod:`course_lib.optim` (or of ``torch.optim``) on it and returns the points it visits;
:func:`plot_paths` draws paths over the loss's contours, and :func:`describe_paths` says in
words what the picture shows (its alt text). Shown in chapter 4 and in the optimiser explorer
(:mod:`course_lib.widgets.optimizers`).

>>> bowl = quadratic((1.0, 4.0))
>>> path = optimizer_path(bowl, "sgd", lr=0.25, steps=3, start=(1.0, 1.0))
>>> path  # w1 shrinks by 1 - 0.25 * 1 a step, w2 by 1 - 0.25 * 4 = 0: one step to its minimum
array([[1.      , 1.      ],
       [0.75    , 0.      ],
       [0.5625  , 0.      ],
       [0.421875, 0.      ]])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ._checks import _describe, as_float_array, check_int, check_real
from .optim import OPTIMIZERS, _build

__all__ = ["PATH_COLOURS", "Surface", "describe_paths", "draw_paths", "optimizer_path",
           "path_outcome", "plot_paths", "quadratic", "rosenbrock"]

PATH_COLOURS = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
"""Okabe and Ito's colour-blind-safe palette (orange, blue, green, purple, vermilion, sky blue,
black); paths also differ in line style, so they stay apart in grey print."""
PATH_COLOUR_NAMES = ("orange", "blue", "green", "purple", "vermilion", "sky blue", "black")
LINE_STYLES = ("-", "--", "-.", ":")
LINE_STYLE_NAMES = ("solid", "dashed", "dash-dotted", "dotted")
MAX_STEPS = 100_000


@dataclass(frozen=True)
class Surface:
    """A loss over two weights, with where to look at it.

    ``loss`` takes a tensor of points ``(..., 2)`` and returns their losses ``(...)``,
    differentiably (so an optimiser can follow its gradient); calling the surface on an array does
    the same in NumPy.
    """

    name: str  # what the titles and the alt text call it
    loss: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)  # (..., 2) -> (...)
    minimum: tuple[float, float]  # where the loss is smallest
    start: tuple[float, float]  # where paths start unless told otherwise
    xlim: tuple[float, float]  # the plotted range of w1
    ylim: tuple[float, float]  # the plotted range of w2
    hessian: np.ndarray | None = field(default=None, repr=False)  # (2, 2), for a quadratic

    def __call__(self, points: ArrayLike) -> np.ndarray:
        """Loss at ``points`` of shape (..., 2) (float64).

        >>> quadratic((1.0, 10.0))([[1.0, 0.0], [0.0, 1.0]])
        array([0.5, 5. ])
        """
        w = as_float_array(points, "points")
        if w.shape[-1] != 2:
            raise ValueError(f"`points` must have shape (..., 2), one (w1, w2) pair per point; "
                             f"got shape {w.shape}.")
        with torch.no_grad():
            return self.loss(torch.from_numpy(w)).numpy()

    def grid(self, *, size: int = 201) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``w1`` (size,), ``w2`` (size,) over the plotted ranges, and the loss (size, size) there.

        Rows follow ``w2``, ready for ``ax.contour(w1, w2, loss)``.

        >>> w1, w2, loss = quadratic((1.0, 10.0)).grid(size=5)
        >>> loss.shape, float(loss.min())
        ((5, 5), 0.0)
        """
        size = check_int(size, "size", minimum=2, maximum=2000)
        w1 = np.linspace(*self.xlim, size)
        w2 = np.linspace(*self.ylim, size)
        points = np.stack(np.meshgrid(w1, w2), axis=-1)  # (size, size, 2), rows along w2
        return w1, w2, self(points)


def _pair(value: Any, name: str) -> tuple[float, float]:
    """Return ``value`` as a pair of finite floats, or raise an error naming ``name``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) \
            or len(value) != 2:
        raise TypeError(f"`{name}` must be a pair of numbers (w1, w2); got {_describe(value)}.")
    return check_real(value[0], name), check_real(value[1], name)


def quadratic(curvatures: Sequence[float] = (1.0, 20.0), *, angle: float = 0.0,
              start: Sequence[float] = (-4.0, 1.0)) -> Surface:
    r"""Make the bowl :math:`L(w) = \frac12 w^\top H w`, with ``curvatures`` along its axes.

    :math:`H = R\,\mathrm{diag}(h_1, h_2)\,R^\top`, with :math:`R` the rotation by ``angle``
    degrees: the bowl's axes turned away from the weights' axes (where RMSprop and Adam, which
    scale each weight on its own, lose their advantage). The ratio :math:`h_2 / h_1` is the
    condition number: the larger, the longer and narrower the bowl. Gradient descent converges
    for learning rates below :math:`2 / \max h` and zig-zags across the bowl as it nears that.

    Parameters
    ----------
    curvatures : pair of float
        :math:`h_1, h_2 > 0`, the second derivatives along the bowl's axes.
    angle : float
        Rotation of the bowl's axes, in degrees.
    start : pair of float
        Where paths start by default; the plotted range holds it, with a margin.

    Returns
    -------
    Surface
        Minimum at (0, 0); ``hessian`` holds :math:`H`.

    Examples
    --------
    >>> bowl = quadratic((1.0, 20.0))
    >>> bowl  # doctest: +NORMALIZE_WHITESPACE
    Surface(name='quadratic bowl, curvatures 1 and 20', minimum=(0.0, 0.0), start=(-4.0, 1.0),
            xlim=(-5.0, 5.0), ylim=(-1.3, 1.3))
    >>> float(bowl([-4.0, 1.0]))  # (1 * 16 + 20 * 1) / 2
    18.0
    """
    h1, h2 = _pair(curvatures, "curvatures")
    if h1 <= 0 or h2 <= 0:
        raise ValueError(f"`curvatures` must both be positive (a bowl with a minimum); got "
                         f"({h1}, {h2}).")
    theta = math.radians(check_real(angle, "angle"))
    start_pair = _pair(start, "start")
    rotation = np.array([[math.cos(theta), -math.sin(theta)],
                         [math.sin(theta), math.cos(theta)]])
    hessian = rotation @ np.diag([h1, h2]) @ rotation.T  # (2, 2)
    h = torch.from_numpy(hessian)

    def loss(w: torch.Tensor) -> torch.Tensor:
        return 0.5 * torch.einsum("...i,ij,...j->...", w, h.to(w.dtype), w)

    # the plotted range: the start and the minimum, with a margin
    reach = max(abs(start_pair[0]), abs(start_pair[1]), 1e-6)
    half = [math.ceil(12.5 * max(abs(x), 0.25 * reach)) / 10 for x in start_pair]  # 1.25x, up
    return Surface(name=f"quadratic bowl, curvatures {h1:g} and {h2:g}"
                   + (f", turned {math.degrees(theta):g}°" if theta else ""),
                   loss=loss, minimum=(0.0, 0.0), start=start_pair, xlim=(-half[0], half[0]),
                   ylim=(-half[1], half[1]), hessian=hessian)


def rosenbrock(*, a: float = 1.0, b: float = 100.0, start: Sequence[float] = (-1.5, 2.0)) -> Surface:
    r"""Rosenbrock's valley :math:`L(w) = (a - w_1)^2 + b\,(w_2 - w_1^2)^2`.

    A narrow, curved valley along the parabola :math:`w_2 = w_1^2` with its minimum, 0, at
    :math:`(a, a^2)`: easy to fall into, slow to follow (Rosenbrock, 1960).

    Parameters
    ----------
    a : float
        Where the minimum is, :math:`a > 0`.
    b : float
        How steep the valley's walls are, :math:`b > 0`.
    start : pair of float
        Where paths start by default.

    Examples
    --------
    >>> valley = rosenbrock()
    >>> valley.minimum, float(valley(valley.minimum)), float(valley([0.0, 0.0]))
    ((1.0, 1.0), 0.0, 1.0)
    """
    a = check_real(a, "a", positive=True, maximum=1e3)
    b = check_real(b, "b", positive=True, maximum=1e6)
    start_pair = _pair(start, "start")

    def loss(w: torch.Tensor) -> torch.Tensor:
        x, y = w[..., 0], w[..., 1]
        return (a - x) ** 2 + b * (y - x ** 2) ** 2

    reach = max(2 * a, 1.1 * abs(start_pair[0]))
    return Surface(name=f"Rosenbrock valley, a = {a:g}, b = {b:g}", loss=loss,
                   minimum=(a, a * a), start=start_pair, xlim=(-reach, reach),
                   ylim=(min(-a * a, start_pair[1] - 0.5), max(3 * a * a, 1.1 * start_pair[1])))


def _optimizer_class(optimizer: Any) -> type[torch.optim.Optimizer]:
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"`optimizer` must be one of {', '.join(map(repr, OPTIMIZERS))} (or "
                             f"an optimiser class); got {optimizer!r}.")
        return OPTIMIZERS[optimizer]
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        return optimizer
    raise TypeError(f"`optimizer` must be a name such as 'sgd' or a torch.optim.Optimizer class; "
                    f"got {_describe(optimizer)}.")


def optimizer_path(surface: Surface, optimizer: str | type[torch.optim.Optimizer], *, lr: float,
                   steps: int = 100, start: Sequence[float] | None = None,
                   **settings: Any) -> np.ndarray:
    r"""Return the points an optimiser visits on ``surface``, from ``start``, one per step.

    Parameters
    ----------
    surface : Surface
        The loss to descend (:func:`quadratic`, :func:`rosenbrock`).
    optimizer : str or torch.optim.Optimizer subclass
        ``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"`` (:mod:`course_lib.optim`), or a class
        such as ``torch.optim.SGD``.
    lr : float
        The learning rate.
    steps : int
        How many steps to take (1 to 100,000).
    start : pair of float, optional
        The first point; ``surface.start`` by default.
    **settings
        The optimiser's other arguments: ``momentum``, ``nesterov``, ``betas``, ...

    Returns
    -------
    numpy.ndarray, shape (steps + 1, 2)
        The start and the point after every step (float64). Should the optimiser diverge until
        the point or its loss overflows, the points from there on are NaN (:func:`path_outcome`
        says when).

    Examples
    --------
    Heavy-ball momentum on :math:`\frac12 \lVert w\rVert^2` (gradient :math:`w`): the first
    step is plain SGD's, :math:`0.25 \cdot (1, 2)`; the second goes along the gradient plus half
    the first step's direction, :math:`0.25 \cdot ((0.75, 1.5) + 0.5 \cdot (1, 2))`.

    >>> bowl = quadratic((1.0, 1.0))
    >>> optimizer_path(bowl, "sgd", lr=0.25, momentum=0.5, steps=2, start=(1.0, 2.0))
    array([[1.    , 2.    ],
           [0.75  , 1.5   ],
           [0.4375, 0.875 ]])
    """
    surface = _check_surface(surface)
    cls = _optimizer_class(optimizer)
    steps = check_int(steps, "steps", minimum=1, maximum=MAX_STEPS)
    first = surface.start if start is None else _pair(start, "start")
    w = torch.tensor(first, dtype=torch.float64, requires_grad=True)  # (2,)
    opt = _build(cls, [w], {"lr": lr, **settings})
    path = np.full((steps + 1, 2), np.nan)
    path[0] = first
    for t in range(1, steps + 1):
        opt.zero_grad()
        surface.loss(w).backward()
        opt.step()
        with torch.no_grad():
            if not (bool(torch.isfinite(w).all()) and bool(torch.isfinite(surface.loss(w)))):
                break  # the point or its loss overflowed: the rest of the path stays NaN
        path[t] = w.detach().numpy()
    return path


def _check_path(path: Any, name: str, label: str | None = None) -> np.ndarray:
    """Return ``path`` as a float array (steps + 1, 2) with a finite start, or a named error."""
    array = None
    if not isinstance(path, (str, bytes)):
        try:
            array = np.asarray(path, dtype=float)
        except (TypeError, ValueError):
            array = None
    what = f"`{name}` must be an array of shape (steps + 1, 2)" if label is None else \
        f"`{name}` must map each label to an array of shape (steps + 1, 2)"
    which = "" if label is None else f" for {label!r}"
    if array is None or array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        raise ValueError(f"{what}; got {_describe(path)}{which}.")
    if not np.all(np.isfinite(array[0])):
        raise ValueError(f"`{name}` must start at a finite point; got {array[0]}{which}.")
    return array


def _check_paths(paths: Any) -> dict[str, np.ndarray]:
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError(f"`paths` must be a non-empty dict of label -> path (steps + 1, 2); got "
                        f"{_describe(paths)}.")
    if len(paths) > len(PATH_COLOURS):
        raise ValueError(f"`paths` may hold at most {len(PATH_COLOURS)} paths (one colour "
                         f"each); got {len(paths)}.")
    return {str(label): _check_path(path, "paths", str(label)) for label, path in paths.items()}


def _check_surface(surface: Any) -> Surface:
    if not isinstance(surface, Surface):
        raise TypeError(f"`surface` must be a Surface (quadratic(), rosenbrock()); got "
                        f"{_describe(surface)}.")
    return surface


def path_outcome(surface: Surface, path: ArrayLike) -> str:
    """Say in a few words where ``path`` ended.

    Its loss and its distance to the minimum, or when it diverged or left the plotted area.

    >>> bowl = quadratic((1.0, 10.0))
    >>> path_outcome(bowl, optimizer_path(bowl, "sgd", lr=0.1, steps=100))
    'after 100 steps, loss 5.6e-09 and 0.00011 from the minimum'
    >>> path_outcome(bowl, optimizer_path(bowl, "sgd", lr=0.25, steps=1000))
    'diverged: left the plotted area at step 1 and overflowed at step 873'
    """
    surface = _check_surface(surface)
    path = _check_path(path, "path")
    steps = len(path) - 1
    finite = np.all(np.isfinite(path), axis=1)
    inside = finite & (path[:, 0] >= surface.xlim[0]) & (path[:, 0] <= surface.xlim[1]) \
        & (path[:, 1] >= surface.ylim[0]) & (path[:, 1] <= surface.ylim[1])
    left = "started outside the plotted area" if not inside[0] else \
        f"left the plotted area at step {int(np.argmin(inside))}"
    if not finite.all():
        overflow = int(np.argmin(finite))
        where = f"{left} and " if not inside[:overflow].all() else ""
        return f"diverged: {where}overflowed at step {overflow}"
    end = path[-1]
    loss = float(surface(end))
    if not inside[-1] and loss > float(surface(path[0])):
        return f"diverged: {left}; loss {loss:.2g} after {steps} steps"
    distance = float(np.hypot(*(end - np.array(surface.minimum))))
    text = f"after {steps} steps, loss {loss:.2g} and {distance:.2g} from the minimum"
    if not inside[-1]:
        back = np.flatnonzero(inside)
        text += (f" (outside the plotted area since step {int(back[-1]) + 1})" if len(back)
                 else " (outside the plotted area)")
    return text


def draw_paths(ax: Axes, surface: Surface, paths: Mapping[str, ArrayLike], *,
               levels: int = 15, title: str | None = None) -> Axes:
    """Draw the contours of ``surface`` and ``paths`` over them on ``ax``.

    Contours are grey lines at geometrically spaced losses (a bowl's floor and its walls both
    get lines); the minimum is a black star, each path's start a black dot and its end a cross;
    paths take :data:`PATH_COLOURS` and line styles in order. The axes keep the surface's
    plotted range (a diverging path is cut off at its edge).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    surface : Surface
        The loss whose contours to draw.
    paths : dict of str to array (steps + 1, 2)
        Label -> path (:func:`optimizer_path`), at most seven.
    levels : int
        How many contour lines.
    title : str, optional
        The axes' title; by default the surface's name.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, with a legend naming the paths.
    """
    surface = _check_surface(surface)
    paths_checked = _check_paths(paths)
    levels = check_int(levels, "levels", minimum=2, maximum=100)
    w1, w2, loss = surface.grid()
    low = float(surface(surface.minimum))
    positive = loss - low
    floor = max(float(np.quantile(positive, 0.005)), 1e-12 * max(float(positive.max()), 1e-300))
    spaced = low + np.geomspace(floor, float(positive.max()), levels)
    ax.contour(w1, w2, loss, levels=spaced, colors="0.65", linewidths=0.8)
    ax.plot(*surface.minimum, marker="*", color="black", markersize=13, linestyle="none",
            label="minimum", zorder=4)
    starts = np.unique(np.array([path[0] for path in paths_checked.values()]), axis=0)  # (k, 2)
    ax.plot(starts[:, 0], starts[:, 1], marker="o", color="black", markersize=6, linestyle="none",
            label="start", zorder=5)
    for i, (label, path) in enumerate(paths_checked.items()):
        colour = PATH_COLOURS[i % len(PATH_COLOURS)]
        style = LINE_STYLES[i % len(LINE_STYLES)]
        ax.plot(path[:, 0], path[:, 1], style, color=colour, linewidth=1.8, marker=".",
                markersize=4, label=label, zorder=3)
        finite = path[np.all(np.isfinite(path), axis=1)]
        ax.plot(*finite[-1], marker="X", color=colour, markersize=9, markeredgecolor="black",
                linestyle="none", zorder=5)
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="weight $w_1$", ylabel="weight $w_2$",
           title=surface.name if title is None else title)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    return ax


def plot_paths(surface: Surface, paths: Mapping[str, ArrayLike], *, title: str | None = None,
               levels: int = 15, figsize: tuple[float, float] = (6.4, 4.4)) -> Figure:
    """Draw ``paths`` over the contours of ``surface`` in a new figure (see :func:`draw_paths`).

    Its alt text is :func:`describe_paths` of the same arguments.

    Examples
    --------
    >>> bowl = quadratic((1.0, 20.0))
    >>> paths = {"SGD": optimizer_path(bowl, "sgd", lr=0.09, steps=30),
    ...          "momentum 0.9": optimizer_path(bowl, "sgd", lr=0.01, momentum=0.9, steps=30)}
    >>> fig = plot_paths(bowl, paths, title="Thirty steps")
    >>> ax = fig.axes[0]
    >>> ax.get_title(), ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('Thirty steps', 'weight $w_1$', ['minimum', 'start', 'SGD', 'momentum 0.9'])
    """
    import matplotlib.pyplot as plt

    if not (isinstance(figsize, tuple) and len(figsize) == 2):
        raise TypeError(f"`figsize` must be a pair (width, height) in inches; got "
                        f"{_describe(figsize)}.")
    size = (check_real(figsize[0], "figsize", positive=True, maximum=40),
            check_real(figsize[1], "figsize", positive=True, maximum=40))
    fig, ax = plt.subplots(figsize=size)
    draw_paths(ax, surface, paths, levels=levels, title=title)
    fig.tight_layout()
    return fig


def describe_paths(surface: Surface, paths: Mapping[str, ArrayLike]) -> str:
    """Alt text for :func:`plot_paths`: the surface, and where each path went, in its colour.

    Examples
    --------
    >>> bowl = quadratic((1.0, 20.0))
    >>> import textwrap
    >>> alt = describe_paths(bowl, {"SGD": optimizer_path(bowl, "sgd", lr=0.09, steps=30)})
    >>> print(textwrap.fill(alt, 90))
    Contour plot of the quadratic bowl, curvatures 1 and 20, over the weights w1 (from -5 to
    5) and w2 (from -1.3 to 1.3), its minimum at (0, 0) marked by a star, with one path from
    (-4, 1): SGD (orange, solid): after 30 steps, loss 0.028 and 0.24 from the minimum.
    """
    surface = _check_surface(surface)
    paths_checked = _check_paths(paths)
    parts = []
    for i, (label, path) in enumerate(paths_checked.items()):
        look = (f"{PATH_COLOUR_NAMES[i % len(PATH_COLOURS)]}, "
                f"{LINE_STYLE_NAMES[i % len(LINE_STYLES)]}")
        parts.append(f"{label} ({look}): {path_outcome(surface, path)}")
    starts = {tuple(p[0]) for p in paths_checked.values()}
    start = (f" from ({_num(paths_checked[next(iter(paths_checked))][0])})" if len(starts) == 1
             else "")
    count = "one path" if len(parts) == 1 else f"{len(parts)} paths"
    return (f"Contour plot of the {surface.name}, over the weights w1 (from {surface.xlim[0]:g} "
            f"to {surface.xlim[1]:g}) and w2 (from {surface.ylim[0]:g} to {surface.ylim[1]:g}), "
            f"its minimum at ({_num(surface.minimum)}) marked by a star, with {count}{start}: "
            + "; ".join(parts) + ".")


def _num(point: Sequence[float] | np.ndarray) -> str:
    return ", ".join(f"{float(v):g}" for v in point)
