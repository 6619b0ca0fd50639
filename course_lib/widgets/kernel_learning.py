"""The kernel-descent explorer: watch gradient descent recover a known kernel, step by step.

Pick the kernel that made the targets and a learning rate; move the step slider and see the
kernel being learned next to the true one, their difference, and the loss so far. Thin over
:func:`course_lib.kernel_learning.kernel_descent`: each (kernel, learning rate) pair is descended once
and every step is kept, so the slider only picks a step.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from numpy.typing import ArrayLike

from .._checks import check_choice, check_int
from ..conv import correlate2d
from ..filters import box_kernel, sobel_kernel
from ..kernel_learning import KernelFit, kernel_descent
from ..plotting import figure_to_png
from ._common import message_line, show_message
from .app import App, NamedImage, screen_reader_name

__all__ = ["TRUE_KERNELS", "KernelDescentExplorer", "descent_data", "descent_figure",
           "kernel_descent_explorer"]

CSS_CLASS = "course-kernel-descent"

TRUE_KERNELS = {
    "Sobel x": sobel_kernel(axis=1),  # (3, 3)
    "Sobel y": sobel_kernel(axis=0),  # (3, 3)
    "box 3x3": box_kernel(3),  # (3, 3)
    "difference [1, -1]": np.array([[0.0, 0.0, 0.0], [0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]),  # (3, 3)
}
"""The kernels the targets can be made with (as correlation templates), all 3x3."""

LEARNING_RATES = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0)  # above ~0.43 the steps overshoot


def descent_data(true_kernel: ArrayLike, *, count: int = 8, size: int = 16, seed: int = 0
                 ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Random images in ``[0, 1]`` and their "valid" correlations with ``true_kernel``.

    >>> images, targets = descent_data(np.eye(3), count=2, size=5)
    >>> images.shape, targets[0].shape
    ((2, 5, 5), (3, 3))
    """
    count = check_int(count, "count", minimum=1, maximum=256)
    size = check_int(size, "size", minimum=3, maximum=256)
    images = np.random.default_rng(seed).random((count, size, size))  # (n, H, W)
    return images, [correlate2d(x, true_kernel, mode="valid") for x in images]


def descent_figure(fit: KernelFit, true_kernel: ArrayLike, step: int, *, dpi: int = 72) -> bytes:
    """PNG: the true kernel, the kernel after ``step`` steps, their difference, the loss curve.

    Kernels use a diverging map centred on zero with one scale for the first two panels, so
    equal colours mean equal weights.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    step = check_int(step, "step", minimum=0, maximum=len(fit.losses) - 1)
    true_kernel = np.asarray(true_kernel, dtype=float)
    current = fit.kernels[step]
    fig = Figure(figsize=(11.0, 2.8), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
    limit = max(float(np.abs(true_kernel).max()), float(np.abs(current).max())) or 1.0
    error = current - true_kernel
    error_limit = float(np.abs(error).max()) or 1e-12
    for ax, picture, title, lim in ((axes[0], true_kernel, "true kernel", limit),
                                    (axes[1], current, f"learned, step {step}", limit),
                                    (axes[2], error, "learned - true", error_limit)):
        shown = ax.imshow(picture, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set(title=title, xticks=[], yticks=[])
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    steps = np.arange(len(fit.losses))
    axes[3].semilogy(steps, fit.losses, color="0.7", label="all steps")
    axes[3].semilogy(steps[:step + 1], fit.losses[:step + 1], color="C0", label="so far")
    axes[3].plot([step], [fit.losses[step]], "o", color="C0")
    axes[3].set(title=f"loss {fit.losses[step]:.2e}", xlabel="step", ylabel="mean squared error")
    axes[3].legend(fontsize=8)
    fig.tight_layout()
    return figure_to_png(fig)


class KernelDescentExplorer(App):
    """The kernel-descent app: watch gradient descent learn a kernel, step by step.

    Widgets: ``kernel`` (the true kernel), ``lr`` and ``step`` sliders, the picture ``plot`` and
    a ``message`` line; ``widget`` is the whole app.
    """

    def __init__(self, *, kernel: str = "Sobel x", lr: float = 0.3, steps: int = 200,
                 step: int = 0, dpi: int = 72) -> None:
        check_choice(kernel, "kernel", TRUE_KERNELS)
        self.dpi = check_int(dpi, "dpi", minimum=30, maximum=300)
        self.steps = check_int(steps, "steps", minimum=1, maximum=2000)
        if lr not in LEARNING_RATES:
            raise ValueError(f"`lr` must be one of {LEARNING_RATES}; got {lr!r}.")
        self.kernel = widgets.Dropdown(options=list(TRUE_KERNELS), value=kernel,
                                       description="true kernel")
        self.lr = widgets.SelectionSlider(options=LEARNING_RATES, value=lr,
                                          description="learning rate", continuous_update=False)
        self.step = widgets.IntSlider(value=check_int(step, "step", minimum=0, maximum=self.steps),
                                      min=0, max=self.steps, description="step")
        self.plot = NamedImage(format="png", layout=widgets.Layout(width="790px"))
        screen_reader_name(self.plot, "the true kernel, the learned kernel, their difference, and "
                                      "the loss against the gradient-descent step")
        self.message = message_line()
        self.widget = widgets.VBox([widgets.HBox([self.kernel, self.lr]), self.step,
                                    self.message, self.plot])
        self.widget.add_class(CSS_CLASS)
        self._fits: dict[tuple[str, float], KernelFit] = {}
        for control in (self.kernel, self.lr, self.step):
            control.observe(self._update, names="value")
        self._update()

    def fit(self) -> KernelFit:
        """Run the descent for the current kernel and learning rate (computed once, then kept)."""
        key = (self.kernel.value, float(self.lr.value))
        if key not in self._fits:
            images, targets = descent_data(TRUE_KERNELS[key[0]])
            self._fits[key] = kernel_descent(images, targets, (3, 3), lr=key[1], steps=self.steps)
        return self._fits[key]

    def _update(self, _change=None) -> None:  # an observer's signature
        try:
            fit = self.fit()
        except ValueError as error:  # the learning rate is too large: the descent diverged
            show_message(self.message, f"{error} The picture shows the last good setting.")
            return
        true_kernel = TRUE_KERNELS[self.kernel.value]
        step = int(self.step.value)
        self.plot.value = descent_figure(fit, true_kernel, step, dpi=self.dpi)
        gap = float(np.abs(fit.kernels[step] - true_kernel).max())
        show_message(self.message, f"largest weight error after {step} steps: {gap:.1e}",
                     kind="info")

    def __repr__(self) -> str:
        return (f"KernelDescentExplorer(kernel={self.kernel.value!r}, lr={self.lr.value:g}, "
                f"step={self.step.value})")

    def snapshot(self) -> bytes:
        """PNG of the explorer as it is now (its plot)."""
        return self.plot.value

    def alt(self) -> str:
        """Describe the app's picture for screen readers."""
        alt = (f"Gradient descent learning the {self.kernel.value} kernel with learning rate "
               f"{self.lr.value:g}: the true kernel, the kernel after {self.step.value} steps, "
               "their difference, and the loss against the step on a log scale.")
        return alt


def kernel_descent_explorer(*, kernel: str = "Sobel x", lr: float = 0.3, steps: int = 200,
                            step: int = 0, dpi: int = 72) -> KernelDescentExplorer:
    """Build the kernel-descent explorer (display it, or its ``.widget``, in a notebook).

    >>> app = kernel_descent_explorer(step=5, steps=20)
    >>> app
    KernelDescentExplorer(kernel='Sobel x', lr=0.3, step=5)
    """
    return KernelDescentExplorer(kernel=kernel, lr=lr, steps=steps, step=step, dpi=dpi)
