"""Chapter 1 exercises (image filters).

Convolution, Gaussian kernel, edge kernel, worked example; beyond the notes: a layer's
parameters, its kernel gradient, a descent step, channels, max pooling.

>>> from course_lib.exercises import ch1
>>> _ = ch1.predict_pixel.check(18)
Correct: centre_value = 18.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import convolve2d, correlate2d

from ..im2col import im2col as _im2col
from ..models.arithmetic import conv_output_size, conv_parameters
from ._core import (
    Case,
    Exercise,
    Feedback,
    FunctionCheck,
    Mistake,
    ValueCheck,
    as_array,
    compare_arrays,
    describe_type,
    format_value,
)
from .quiz import Choice, MultipleChoice, NumericQuestion, Quiz, quiz_widget

__all__ = ["QUIZ", "conv2d", "conv_layer", "conv_params", "descent_step", "gaussian_kernel",
           "im2col", "kernel_gradient", "max_pool", "predict_pixel", "quiz", "strided_output_size",
           "vertical_edge_kernel"]


# --------------------------------------------------------------------------- conv2d


def _conv2d_reference(image, kernel):
    return convolve2d(image, kernel, mode="valid")


def _conv2d_cases() -> list[Case]:
    rng = np.random.default_rng(2024)
    shapes = [((5, 5), (3, 3)), ((6, 7), (2, 3)), ((7, 5), (3, 1)), ((4, 6), (1, 2)),
              ((6, 6), (3, 3)), ((3, 4), (3, 4)), ((8, 6), (5, 3))]
    cases = []
    for number, (image_shape, kernel_shape) in enumerate(shapes):
        image = rng.integers(0, 10, size=image_shape).astype(float)  # (H, W)
        while True:  # a kernel that changes under the flip, so a correlation is caught
            kernel = rng.integers(-3, 4, size=kernel_shape).astype(float)  # (kh, kw)
            if not np.array_equal(kernel, kernel[::-1, ::-1]):
                break
        if number == 4:  # one case with non-integer values
            image = image / 4 + 0.1
            kernel = kernel / 3
        cases.append(Case((image, kernel)))
    return cases


def _conv2d_shape_lesson(case: Case, expected, actual) -> str | None:
    arr = as_array(actual)
    if arr is None or arr.shape == expected.shape:
        return None
    (h, w), (kh, kw) = case.args[0].shape, case.args[1].shape
    got = f"expected shape {expected.shape}, got {arr.shape}"
    if arr.shape == (h, w):
        return (f"{got}: that is the image's own shape ('same' mode). In 'valid' mode the "
                "kernel must fit entirely inside the image, so the output is "
                "(H - kh + 1, W - kw + 1).")
    if arr.shape == (h + kh - 1, w + kw - 1):
        return f"{got}: that is 'full' mode. 'valid' keeps only (H - kh + 1, W - kw + 1) pixels."
    if arr.shape == (h - kh, w - kw):
        return (f"{got}: off by one. A kernel of width kw fits in W - kw + 1 positions "
                "(count them on a 5-wide image with a 3-wide kernel: 3).")
    if arr.shape == expected.shape[::-1]:
        return f"{got}: rows and columns are swapped. Index as image[row, column]."
    return f"{got}: the 'valid' output has shape (H - kh + 1, W - kw + 1)."


_FLIP_LESSON = ("your function computes the correlation, not the convolution: the kernel must be "
                "flipped (kernel[::-1, ::-1]) before it slides over the image. Convolution is "
                "correlation with the flipped kernel.")

conv2d = Exercise(
    "ch1.conv2d",
    statement=(
        "Write `my_conv2d(image, kernel)` returning the 'valid'-mode 2-D **convolution** of a "
        "2-D `image` with a 2-D `kernel` (any shape, not only square): "
        "$f[m, n] = \\sum_{k, l} I[m - k, n - l]\\, g[k, l]$, kept only where the kernel lies "
        "entirely inside the image, so the output has shape $(H - k_h + 1, W - k_w + 1)$. "
        "Use plain numpy loops or slicing (not scipy)."),
    checker=FunctionCheck(
        _conv2d_reference, _conv2d_cases, arg_names=("image", "kernel"),
        compare=compare_arrays,
        mistakes=[
            Mistake(lambda image, kernel: correlate2d(image, kernel, mode="valid"), _FLIP_LESSON),
            Mistake(lambda image, kernel: correlate2d(image, kernel[::-1, :], mode="valid"),
                    "you flipped the kernel upside down only; flip it left-right too "
                    "(kernel[::-1, ::-1])."),
            Mistake(lambda image, kernel: correlate2d(image, kernel[:, ::-1], mode="valid"),
                    "you flipped the kernel left-right only; flip it upside down too "
                    "(kernel[::-1, ::-1])."),
        ],
        diagnose=_conv2d_shape_lesson,
        description="scipy.signal.convolve2d(image, kernel, mode='valid')"),
    hints=[
        "The output has shape (H - kh + 1, W - kw + 1): create it with np.zeros, then fill "
        "one pixel at a time.",
        "Flip the kernel first: flipped = kernel[::-1, ::-1]. Convolution is correlation "
        "with the flipped kernel.",
        "Output pixel [i, j] is (image[i:i + kh, j:j + kw] * flipped).sum().",
    ],
    solution=(
        "import numpy as np\n\n"
        "def my_conv2d(image, kernel):\n"
        "    image = np.asarray(image, dtype=float)            # (H, W)\n"
        "    flipped = np.asarray(kernel, dtype=float)[::-1, ::-1]  # (kh, kw)\n"
        "    kh, kw = flipped.shape\n"
        "    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1\n"
        "    out = np.zeros((out_h, out_w))                    # (H - kh + 1, W - kw + 1)\n"
        "    for i in range(out_h):\n"
        "        for j in range(out_w):\n"
        "            out[i, j] = (image[i:i + kh, j:j + kw] * flipped).sum()\n"
        "    return out\n"),
    answer_name="my_conv2d",
    starter=("def my_conv2d(image, kernel):\n"
             "    ...  # your code here\n\n"
             "ch1.conv2d.check(my_conv2d)"),
)


# --------------------------------------------------------------------------- gaussian_kernel


def _gaussian_reference(sigma, size):
    x = np.arange(size) - (size - 1) / 2  # (size,) centred coordinates
    g = np.exp(-(x**2) / (2 * sigma**2))  # (size,)
    kernel = np.outer(g, g)  # (size, size)
    return kernel / kernel.sum()


def _gaussian_cases() -> list[Case]:
    return [Case((sigma, size)) for sigma, size in
            [(1.5, 7), (0.5, 3), (2.0, 9), (1.0, 5), (3.0, 11), (0.8, 5), (4.0, 15)]]


def _unnormalised(size, *, scale):
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-(x**2) / scale)
    return np.outer(g, g)


def _normalise(kernel):
    return kernel / kernel.sum()


def _spread(kernel) -> float:
    """Measure the standard deviation of the kernel's column marginal, around the centre."""
    weights = kernel.sum(axis=0) / kernel.sum()
    x = np.arange(kernel.shape[1]) - (kernel.shape[1] - 1) / 2
    return float(np.sqrt(max((weights * x**2).sum(), 0.0)))


def _equivalent_sigma(kernel, size: int) -> float | None:
    """Find the sigma whose normalised ``size`` x ``size`` Gaussian spreads like ``kernel``."""
    target = _spread(kernel)
    lo, hi = 0.05, 100.0
    if not _spread(_gaussian_reference(lo, size)) <= target <= _spread(_gaussian_reference(hi, size)):
        return None
    for _ in range(60):  # bisection: the spread grows with sigma
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _spread(_gaussian_reference(mid, size)) < target else (lo, mid)
    return (lo + hi) / 2


def _gaussian_lesson(case: Case, expected, actual) -> str | None:
    sigma, size = case.args
    arr = as_array(actual)
    if arr is None:
        return None
    if arr.shape != expected.shape:
        if arr.shape == (size,):
            return (f"expected shape {expected.shape}, got {arr.shape}: that is the 1-D "
                    "Gaussian. Build the 2-D kernel with np.outer(g, g).")
        return (f"expected shape {expected.shape}, got {arr.shape}: a kernel of `size` "
                "has shape (size, size).")
    if not np.all(np.isfinite(arr)):
        return None
    total = float(arr.sum())
    if not np.isclose(total, 1.0, rtol=1e-6):
        if total != 0 and np.allclose(arr / total, expected, rtol=1e-6, atol=1e-12):
            return (f"the bell has the right shape but is not normalised: its entries sum to "
                    f"{format_value(total)}. Divide by kernel.sum() so that they sum to 1 "
                    "(otherwise blurring changes the image's brightness).")
        return (f"not normalised: the entries sum to {format_value(total)}, they must sum "
                "to 1. Divide by kernel.sum().")
    if not (np.allclose(arr, arr[::-1, ::-1]) and np.allclose(arr, arr.T)):
        return ("not symmetric: a Gaussian kernel peaks at its centre and looks the same "
                "from all sides. Measure the coordinates from the centre: "
                "x = np.arange(size) - (size - 1) / 2.")
    width = _equivalent_sigma(arr, size)
    if width is not None:
        return (f"normalised and symmetric, but the bell has the wrong width: it looks like "
                f"sigma = {width:.2f} instead of {sigma:g}. Check exp(-x**2 / (2 * sigma**2)).")
    return "normalised and symmetric, but not the Gaussian of this sigma."


gaussian_kernel = Exercise(
    "ch1.gaussian_kernel",
    statement=(
        "Write `my_gaussian_kernel(sigma, size)` returning the `size` x `size` Gaussian "
        "kernel: $g[x, y] \\propto \\exp\\left(-\\frac{x^2 + y^2}{2\\sigma^2}\\right)$, with $x, y$ "
        "measured from the centre of the array and the entries **normalised** to sum to 1. "
        "`size` is odd."),
    checker=FunctionCheck(
        _gaussian_reference, _gaussian_cases, arg_names=("sigma", "size"),
        compare=lambda e, a: compare_arrays(e, a, rtol=1e-6, atol=1e-10),
        mistakes=[
            Mistake(lambda s, n: _normalise(_unnormalised(n, scale=2 * s)),
                    "normalised and symmetric, but the bell has the wrong width: you divided "
                    "by 2 * sigma instead of 2 * sigma**2."),
            Mistake(lambda s, n: _normalise(_unnormalised(n, scale=s**2)),
                    "normalised and symmetric, but the bell is too narrow: the exponent is "
                    "-(x**2 + y**2) / (2 * sigma**2); the factor 2 is missing."),
        ],
        diagnose=_gaussian_lesson,
        description="the normalised Gaussian"),
    hints=[
        "Start with the 1-D coordinates measured from the centre: "
        "x = np.arange(size) - (size - 1) / 2.",
        "The 1-D Gaussian is g = np.exp(-x**2 / (2 * sigma**2)); the 2-D kernel is the outer "
        "product np.outer(g, g), because exp(-(x² + y²)/2σ²) = exp(-x²/2σ²) · exp(-y²/2σ²).",
        "Finally divide by the sum, so that a flat image keeps its brightness.",
    ],
    solution=(
        "import numpy as np\n\n"
        "def my_gaussian_kernel(sigma, size):\n"
        "    x = np.arange(size) - (size - 1) / 2       # (size,) distance from the centre\n"
        "    g = np.exp(-x**2 / (2 * sigma**2))         # (size,) 1-D Gaussian\n"
        "    kernel = np.outer(g, g)                    # (size, size)\n"
        "    return kernel / kernel.sum()\n"),
    answer_name="my_gaussian_kernel",
    starter=("def my_gaussian_kernel(sigma, size):\n"
             "    ...  # your code here\n\n"
             "ch1.gaussian_kernel.check(my_gaussian_kernel)"),
)


# --------------------------------------------------------------------------- vertical_edge_kernel


def _step(axis: int) -> np.ndarray:
    image = np.zeros((6, 6))  # (H, W)
    if axis == 1:
        image[:, 3:] = 1.0  # dark left half, bright right half: a vertical edge
    else:
        image[3:, :] = 1.0  # dark top, bright bottom: a horizontal edge
    return image


def edge_responses(kernel: ArrayLike) -> dict[str, float]:
    """Strongest absolute response of ``kernel`` to a flat image and to the two unit steps.

    >>> edge_responses(np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]))
    {'flat': 0.0, 'vertical': 4.0, 'horizontal': 0.0}
    """
    kernel = np.asarray(kernel, dtype=float)
    flat = np.ones((6, 6))
    return {
        "flat": float(np.abs(convolve2d(flat, kernel, mode="valid")).max()),
        "vertical": float(np.abs(convolve2d(_step(1), kernel, mode="valid")).max()),
        "horizontal": float(np.abs(convolve2d(_step(0), kernel, mode="valid")).max()),
    }


def _check_edge_kernel(answer, *, name: str) -> Feedback:
    arr = as_array(answer)
    if arr is None:
        return Feedback("incorrect", f"{name} must be a 3x3 array of numbers; "
                        f"got {describe_type(answer)}.")
    if arr.shape != (3, 3):
        return Feedback("incorrect", f"your kernel needs a shape (3, 3), but yours has shape "
                        f"{arr.shape}.")
    if not np.all(np.isfinite(arr)):
        return Feedback("incorrect", "your kernel contains NaN or infinity.")
    scale = float(np.abs(arr).sum())
    if scale == 0:
        return Feedback("incorrect", "an all-zero kernel responds to nothing at all.")
    r = edge_responses(arr)
    details = [("kernel", format_value(arr)),
               ("response", f"flat image {r['flat']:.3g}, vertical step {r['vertical']:.3g}, "
                            f"horizontal step {r['horizontal']:.3g}")]
    tiny = 1e-9 * scale
    if r["flat"] > tiny:
        return Feedback("incorrect", f"your kernel responds to a flat image (its entries sum to "
                        f"{format_value(float(arr.sum()))}). An edge detector must answer 0 "
                        "where nothing changes: make the entries sum to 0.", details=details)
    if r["vertical"] <= tiny and r["horizontal"] > tiny:
        return Feedback("incorrect", "your kernel detects horizontal edges (a change from top "
                        "to bottom) instead. A vertical edge is a change from left to right: "
                        "transpose your kernel (kernel.T).", details=details)
    if r["horizontal"] > 0.1 * r["vertical"]:
        return Feedback("incorrect", "your kernel also responds to horizontal edges. Keep "
                        "every row the same (for example [-1, 0, 1]), so that a change from "
                        "top to bottom cancels out.", details=details)
    if r["vertical"] < 0.25 * scale:
        return Feedback("incorrect", "your kernel barely responds to a vertical step. Weigh "
                        "the left column against the right one, e.g. -1 on the left and +1 "
                        "on the right.", details=details)
    return Feedback("correct", "no response on a flat image, a strong one on a vertical "
                    "step, none on a horizontal step.", details=details)


vertical_edge_kernel = Exercise(
    "ch1.vertical_edge_kernel",
    statement=(
        "Define `edge_kernel`, a 3x3 array that detects **vertical** edges (a change of "
        "brightness from left to right): it must give 0 on a flat image, a strong response on "
        "a vertical step and (almost) none on a horizontal step."),
    checker=_check_edge_kernel,
    hints=[
        "A vertical edge is a difference between the pixels on the left and those on the "
        "right.",
        "Weights that sum to 0 give 0 on a flat image, wherever the whole kernel lies over it "
        "(the check uses 'valid' mode, so no zero padding).",
        "Use the same row [-1, 0, 1] three times (Prewitt), or weight the middle row twice "
        "(Sobel).",
    ],
    solution=("import numpy as np\n\n"
              "edge_kernel = np.array([[-1, 0, 1],\n"
              "                        [-2, 0, 2],\n"
              "                        [-1, 0, 1]])  # Sobel\n"),
    answer_name="edge_kernel",
    starter=("edge_kernel = ...  # a 3x3 array\n\n"
             "ch1.vertical_edge_kernel.check(edge_kernel)"),
)


# --------------------------------------------------------------------------- predict_pixel

NOTES_IMAGE = np.array([[8, 5, 2], [7, 5, 3], [9, 4, 1]])
"""The image ``I`` of the notes' worked example (section 1.1.0)."""
NOTES_KERNEL = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
"""The kernel ``g`` of the notes' worked example; ``g[k, l]`` is at ``NOTES_KERNEL[1 + k, 1 + l]``."""


def notes_centre_value() -> int:
    """``(I * g)`` at the centre pixel, summed term by term as in the notes' formula.

    >>> notes_centre_value()
    18
    """
    m = n = 1  # the centre pixel
    total = 0
    for k in (-1, 0, 1):
        for l in (-1, 0, 1):  # noqa: E741 (the notes' name)
            total += NOTES_IMAGE[m - k, n - l] * NOTES_KERNEL[1 + k, 1 + l]
    return int(total)


predict_pixel = Exercise(
    "ch1.predict_pixel",
    statement=(
        "The notes' worked example: $I = \\begin{bmatrix} 8 & 5 & 2 \\\\ 7 & 5 & 3 \\\\ 9 & 4 & 1 "
        "\\end{bmatrix}$ and $g = \\begin{bmatrix} -1 & 0 & 1 \\\\ -1 & 0 & 1 \\\\ -1 & 0 & 1 "
        "\\end{bmatrix}$. By hand (no code), what is the convolution $(I * g)$ at the centre "
        "pixel? Set `centre_value` to that number."),
    checker=ValueCheck(
        notes_centre_value(), expects="one number: (I * g) at the centre pixel",
        mistakes={
            -notes_centre_value(): "that is the correlation: you multiplied each pixel by the "
                                   "kernel entry on top of it. Convolution flips the kernel "
                                   "first (left-right and upside down), which changes the sign "
                                   "here.",
            0: "the convolution sums all nine products of the 3x3 neighbourhood, not only the "
               "centre one.",
        }),
    hints=[
        "Convolution = flip the kernel (left-right and upside down), then multiply "
        "element-wise with the patch and sum.",
        "The flipped kernel is [[1, 0, -1], [1, 0, -1], [1, 0, -1]]: +1 on the left column, "
        "-1 on the right.",
        "Left column of I: 8 + 7 + 9; right column: 2 + 3 + 1.",
    ],
    solution="centre_value = (8 + 7 + 9) - (2 + 3 + 1)  # flipped kernel: +1 left, -1 right\n",
    answer_name="centre_value",
    starter=("centre_value = ...  # a number, worked out by hand\n\n"
             "ch1.predict_pixel.check(centre_value)"),
)


# --------------------------------------------------------------------------- beyond the notes (1.2)


conv_params = Exercise(
    "ch1.conv_params",
    statement=(
        "A convolutional layer reads an RGB image (3 channels) and has 64 filters of size "
        "3x3, each with a bias. How many parameters (weights and biases) does it have? Set "
        "`n_params` to that number (it does not depend on the image's size)."),
    checker=ValueCheck(
        conv_parameters(3, 64, 3), expects="a whole number of parameters",
        mistakes={
            64 * 3 * 3 * 3: "that counts the weights only: each of the 64 filters also has one "
                            "bias.",
            64 * (3 * 3 + 1): "each filter spans all 3 input channels: it has 3 x 3 x 3 = 27 "
                              "weights, not 9.",
            64 * 3 * 3: "each filter spans all 3 input channels (3 x 3 x 3 weights) and has a "
                        "bias.",
            3 * 3 * 3 + 1: "that is one filter; the layer has 64 of them.",
        }),
    hints=[
        "One filter covers a 3x3 window of every input channel.",
        "One filter: 3 x 3 x 3 weights + 1 bias. The layer has 64 filters.",
    ],
    solution="n_params = 64 * (3 * 3 * 3 + 1)  # 64 filters of 3x3x3 weights and a bias\n",
    answer_name="n_params",
    starter=("n_params = ...  # a whole number\n\n"
             "ch1.conv_params.check(n_params)"),
)


def _kernel_grad_reference(image, grad_output):
    return correlate2d(image, grad_output, mode="valid")


def _kernel_grad_cases() -> list[Case]:
    rng = np.random.default_rng(11)
    cases = []
    for image_shape, kernel_shape in [((6, 7), (2, 3)), ((6, 5), (3, 3)), ((4, 6), (1, 1)),
                                      ((7, 5), (3, 2)), ((6, 6), (4, 4))]:
        image = rng.integers(-3, 4, size=image_shape).astype(float)  # (H, W)
        out_shape = (image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1)
        grad_output = rng.integers(-2, 3, size=out_shape).astype(float)  # (H', W')
        cases.append(Case((image, grad_output)))
    return cases


def _kernel_grad_shape_lesson(case: Case, expected, actual) -> str | None:
    arr = as_array(actual)
    if arr is None or arr.shape == expected.shape:
        return None
    got = f"expected shape {expected.shape}, got {arr.shape}"
    if arr.shape == case.args[1].shape:
        return (f"{got}: that is the output's shape. The gradient has one entry per kernel "
                "weight: slide grad_output over the image in 'valid' mode, "
                "(H - H' + 1, W - W' + 1) positions.")
    return f"{got}: the kernel gradient has the kernel's shape, (H - H' + 1, W - W' + 1)."


kernel_gradient = Exercise(
    "ch1.kernel_gradient",
    statement=(
        "A layer computes `out = correlate2d(image, kernel, mode='valid')`, "
        "$y[i, j] = \\sum_{a,b} I[i + a, j + b]\\, g[a, b]$, and backpropagation hands it "
        "`grad_output`, $\\delta = \\partial L / \\partial y$. **Derive** "
        "$\\partial L / \\partial g[a, b]$ with the chain rule (in which outputs did the weight "
        "$g[a, b]$ take part, and which pixel did it multiply there?), then write "
        "`my_kernel_grad(image, grad_output)` returning it. It has the kernel's shape, "
        "$(H - H' + 1, W - W' + 1)$ for an image of shape $(H, W)$ and a `grad_output` of shape "
        "$(H', W')$. Use numpy loops or slicing."),
    checker=FunctionCheck(
        _kernel_grad_reference, _kernel_grad_cases, arg_names=("image", "grad_output"),
        compare=compare_arrays,
        mistakes=[
            Mistake(lambda image, grad: convolve2d(image, grad, mode="valid"),
                    "you convolved (flipped grad_output). The weight g[a, b] met the pixel "
                    "I[i + a, j + b] for output [i, j], so its gradient is a correlation: "
                    "slide grad_output over the image without flipping it."),
        ],
        diagnose=_kernel_grad_shape_lesson,
        description="the chain rule (a 'valid' correlation of the image with grad_output)"),
    hints=[
        "Chain rule: ∂L/∂g[a, b] = Σ_{i,j} ∂L/∂y[i, j] · ∂y[i, j]/∂g[a, b] = Σ_{i,j} δ[i, j] · "
        "∂y[i, j]/∂g[a, b]. Every output [i, j] used the weight g[a, b] once.",
        "In y[i, j] = Σ_{a,b} I[i + a, j + b] g[a, b] the weight g[a, b] multiplies "
        "I[i + a, j + b], so ∂y[i, j]/∂g[a, b] = I[i + a, j + b] and ∂L/∂g[a, b] = "
        "Σ_{i,j} δ[i, j] I[i + a, j + b].",
        "That sum is the patch of the image under grad_output, placed at offset (a, b): "
        "grad[a, b] = (image[a:a + H', b:b + W'] * grad_output).sum() with (H', W') = "
        "grad_output.shape (the 'valid' correlation of the image with grad_output).",
    ],
    solution=(
        "import numpy as np\n\n"
        "def my_kernel_grad(image, grad_output):\n"
        "    image = np.asarray(image, dtype=float)              # (H, W)\n"
        "    grad_output = np.asarray(grad_output, dtype=float)  # (H', W')\n"
        "    oh, ow = grad_output.shape\n"
        "    kh, kw = image.shape[0] - oh + 1, image.shape[1] - ow + 1\n"
        "    grad = np.zeros((kh, kw))                           # the kernel's shape\n"
        "    for a in range(kh):\n"
        "        for b in range(kw):\n"
        "            grad[a, b] = (image[a:a + oh, b:b + ow] * grad_output).sum()\n"
        "    return grad\n"),
    answer_name="my_kernel_grad",
    starter=("def my_kernel_grad(image, grad_output):\n"
             "    ...  # your code here\n\n"
             "ch1.kernel_gradient.check(my_kernel_grad)"),
)


def _mse_grad(kernel, images, targets):
    count = sum(t.size for t in targets)
    grad = np.zeros_like(kernel)
    for x, t in zip(images, targets, strict=True):
        grad += correlate2d(x, 2 * (correlate2d(x, kernel, mode="valid") - t), mode="valid")
    return grad / count


def _descent_reference(kernel, images, targets, lr):
    return kernel - lr * _mse_grad(kernel, images, targets)


def _descent_cases() -> list[Case]:
    rng = np.random.default_rng(12)
    cases = []
    for kernel_shape, count, size in [((3, 3), 2, 6), ((1, 2), 3, 5), ((2, 3), 1, 7), ((3, 3), 4, 5)]:
        images = [rng.random((size, size)) for _ in range(count)]
        true = rng.normal(size=kernel_shape)
        targets = [correlate2d(x, true, mode="valid") for x in images]
        cases.append(Case((rng.normal(size=kernel_shape), images, targets, 0.1)))
    return cases


descent_step = Exercise(
    "ch1.descent_step",
    statement=(
        "Section 1.2.2's loss is the mean squared error "
        "$L(g) = \\frac{1}{N} \\sum_i \\| X_i \\star g - T_i \\|^2$ ($N$: the number of output "
        "pixels of all images together; $X_i \\star g$: `correlate2d(x, kernel, mode='valid')` "
        "from `course_lib.conv`). **Derive** its gradient $\\partial L / \\partial g$: first the "
        "gradient with respect to each output, $\\delta_i = \\partial L / \\partial (X_i \\star "
        "g)$, then the kernel gradient of the correlation (`ch1.kernel_gradient`, above). Then "
        "write `my_descent_step(kernel, images, targets, lr)` returning the kernel after one "
        "step of gradient descent with learning rate `lr`."),
    checker=FunctionCheck(
        _descent_reference, _descent_cases, arg_names=("kernel", "images", "targets", "lr"),
        compare=lambda e, a: compare_arrays(e, a, rtol=1e-6, atol=1e-9),
        mistakes=[
            Mistake(lambda k, xs, ts, lr: k + lr * _mse_grad(k, xs, ts),
                    "your step goes uphill: the gradient points where the loss grows, so "
                    "descent subtracts it: kernel - lr * gradient."),
            Mistake(lambda k, xs, ts, lr: k - lr * _mse_grad(k, xs, ts) / 2,
                    "the factor 2 is missing: the derivative of r² is 2r."),
            Mistake(lambda k, xs, ts, lr: k - lr * _mse_grad(k, xs, ts) * sum(t.size for t in ts),
                    "you summed the squared errors instead of averaging them: divide the "
                    "gradient by N, the number of output pixels."),
            Mistake(lambda k, xs, ts, lr: -lr * _mse_grad(k, xs, ts),
                    "you returned the change (-lr * gradient), not the new kernel: add it to "
                    "the kernel."),
        ],
        description="one step of gradient descent on the mean squared error"),
    hints=[
        "With the residual r_i = X_i ⋆ g - T_i, L = (1/N) Σ_i Σ_{p,q} r_i[p, q]², and the "
        "derivative of r² is 2r: δ_i = ∂L/∂(X_i ⋆ g) = 2 r_i / N.",
        "The kernel gradient of a 'valid' correlation is the 'valid' correlation of its input "
        "with the output's gradient (ch1.kernel_gradient): ∂L/∂g = (2/N) Σ_i "
        "correlate2d(x_i, r_i, mode='valid'), with N = sum of t.size.",
        "Gradient descent goes downhill: return kernel - lr * gradient.",
    ],
    solution=(
        "from course_lib.conv import correlate2d\n\n"
        "def my_descent_step(kernel, images, targets, lr):\n"
        "    count = sum(t.size for t in targets)          # N output pixels\n"
        "    grad = 0 * kernel                             # (kh, kw)\n"
        "    for x, t in zip(images, targets):\n"
        "        residual = correlate2d(x, kernel, mode='valid') - t\n"
        "        grad = grad + correlate2d(x, 2 * residual, mode='valid')\n"
        "    return kernel - lr * grad / count\n"),
    answer_name="my_descent_step",
    starter=("def my_descent_step(kernel, images, targets, lr):\n"
             "    ...  # your code here\n\n"
             "ch1.descent_step.check(my_descent_step)"),
)


def _conv_layer_reference(x, weight):
    return np.stack([sum(correlate2d(x[c], weight[o, c], mode="valid") for c in range(x.shape[0]))
                     for o in range(weight.shape[0])])  # (C_out, H', W')


def _conv_layer_cases() -> list[Case]:
    rng = np.random.default_rng(13)
    cases = []
    for c_in, c_out, size, k in [(3, 2, 5, 3), (2, 3, 6, 2), (1, 2, 4, 3), (4, 1, 5, 1), (3, 2, 7, 3)]:
        x = rng.integers(-2, 3, size=(c_in, size, size + 1)).astype(float)  # (C_in, H, W)
        weight = rng.integers(-2, 3, size=(c_out, c_in, k, k)).astype(float)  # (C_out, C_in, k, k)
        cases.append(Case((x, weight)))
    return cases


def _conv_layer_lesson(case: Case, expected, actual) -> str | None:
    arr = as_array(actual)
    if arr is None or arr.shape == expected.shape:
        return None
    x, weight = case.args
    got = f"expected shape {expected.shape}, got {arr.shape}"
    if arr.ndim == 4:
        return (f"{got}: you kept one map per (output, input) channel pair. Sum over the input "
                "channels: each output channel is one map.")
    if arr.shape[0] == x.shape[0] != weight.shape[0]:
        return f"{got}: one map per *output* channel (weight.shape[0]), not per input channel."
    return f"{got}: the output is (C_out, H - kh + 1, W - kw + 1)."


conv_layer = Exercise(
    "ch1.conv_layer",
    statement=(
        "Write `my_conv_layer(x, weight)`: a convolutional layer without bias, as PyTorch's "
        "`conv2d` computes it. `x` has shape (C_in, H, W), `weight` (C_out, C_in, kh, kw); "
        "output channel `o` is the sum over input channels `c` of the 'valid' **correlation** "
        "of `x[c]` with `weight[o, c]`, shape (C_out, H - kh + 1, W - kw + 1). You may use "
        "`course_lib.conv.correlate2d`."),
    checker=FunctionCheck(
        _conv_layer_reference, _conv_layer_cases, arg_names=("x", "weight"),
        compare=compare_arrays,
        mistakes=[
            Mistake(lambda x, w: np.stack([sum(convolve2d(x[c], w[o, c], mode="valid")
                                               for c in range(x.shape[0])) for o in range(w.shape[0])]),
                    "you convolved (flipped the kernels); a CNN layer correlates: no flip."),
            Mistake(lambda x, w: np.stack([correlate2d(x[0], w[o, 0], mode="valid")
                                           for o in range(w.shape[0])]),
                    "you used the first input channel only: each output channel sums the "
                    "correlations of *all* input channels with their own kernels."),
            Mistake(lambda x, w: np.stack([sum(correlate2d(x[c], w[o, c], mode="valid")
                                               for c in range(x.shape[0])) / x.shape[0]
                                           for o in range(w.shape[0])]),
                    "you averaged over the input channels; the layer sums them."),
        ],
        diagnose=_conv_layer_lesson,
        description="torch.nn.functional.conv2d (without bias)"),
    hints=[
        "Loop over the output channels o; each gives one (H', W') map.",
        "Map o = sum over c of correlate2d(x[c], weight[o, c], mode='valid').",
        "np.stack the C_out maps along a new first axis.",
    ],
    solution=(
        "import numpy as np\n"
        "from course_lib.conv import correlate2d\n\n"
        "def my_conv_layer(x, weight):\n"
        "    maps = []\n"
        "    for o in range(weight.shape[0]):                  # output channels\n"
        "        maps.append(sum(correlate2d(x[c], weight[o, c], mode='valid')\n"
        "                        for c in range(x.shape[0])))  # (H', W')\n"
        "    return np.stack(maps)                             # (C_out, H', W')\n"),
    answer_name="my_conv_layer",
    starter=("def my_conv_layer(x, weight):\n"
             "    ...  # your code here\n\n"
             "ch1.conv_layer.check(my_conv_layer)"),
)


strided_output_size = Exercise(
    "ch1.strided_output_size",
    statement=(
        "A 224x224 image goes through a 3x3 convolution with padding 1 and stride 2 "
        "(`torch.nn.Conv2d(3, 64, 3, padding=1, stride=2)`). How many pixels wide is the "
        "output? Set `width` to that number."),
    checker=ValueCheck(
        conv_output_size(224, 3, padding=1, stride=2, rounding="floor"),
        expects="a whole number of pixels",
        mistakes={
            224: "that is the width with stride 1 ('same' mode). A stride of 2 keeps every second "
                 "position.",
            111: "that forgets the padding: with 1 pixel of padding on each side the padded "
                 "width is 224 + 2 = 226.",
            112.5: "a width is a whole number: (224 + 2 - 3) / 2 = 111.5 is rounded down (the "
                   "kernel must fit), then + 1.",
            113: "(224 + 2 - 3) // 2 + 1: the division rounds down before the + 1.",
        }),
    hints=[
        "With padding p, stride s and a k-wide kernel the output has (W + 2p - k) // s + 1 "
        "pixels.",
        "(224 + 2 * 1 - 3) // 2 + 1.",
    ],
    solution="width = (224 + 2 * 1 - 3) // 2 + 1  # (W + 2p - k) // s + 1\n",
    answer_name="width",
    starter=("width = ...  # a whole number of pixels\n\n"
             "ch1.strided_output_size.check(width)"),
)


def _max_pool_reference(image):
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    return image[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


def _avg_pool(image):
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    return image[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def _max_pool_cases() -> list[Case]:
    rng = np.random.default_rng(14)
    return [Case((rng.integers(0, 10, size=shape).astype(float),)) for shape in
            [(4, 4), (6, 8), (2, 6), (5, 7), (8, 6)]]


def _max_pool_lesson(case: Case, expected, actual) -> str | None:
    arr = as_array(actual)
    if arr is None or arr.shape == expected.shape:
        return None
    (h, w), got = case.args[0].shape, f"expected shape {expected.shape}, got {arr.shape}"
    if arr.shape == (h - 1, w - 1):
        return (f"{got}: your windows overlap (stride 1). Move the 2x2 window by 2 pixels: "
                "the windows tile the image.")
    if arr.shape == (-(-h // 2), -(-w // 2)):
        return (f"{got}: an odd last row or column that no full 2x2 window covers is left "
                "out, as in PyTorch: H // 2 rows.")
    return f"{got}: the output has (H // 2, W // 2) pixels."


max_pool = Exercise(
    "ch1.max_pool",
    statement=(
        "Write `my_max_pool(image)`: 2x2 max pooling with stride 2 on a 2-D image. Each output "
        "pixel is the largest of a 2x2 window; the windows tile the image without overlap; an "
        "odd last row or column is left out (as in PyTorch), so the output has shape "
        "(H // 2, W // 2)."),
    checker=FunctionCheck(
        _max_pool_reference, _max_pool_cases, arg_names=("image",), compare=compare_arrays,
        mistakes=[Mistake(_avg_pool, "you averaged each window (average pooling); max pooling "
                                     "keeps its largest value.")],
        diagnose=_max_pool_lesson,
        description="torch.nn.functional.max_pool2d(image, 2)"),
    hints=[
        "Output pixel [i, j] looks at image[2*i:2*i + 2, 2*j:2*j + 2].",
        "Loop over i in range(H // 2) and j in range(W // 2) and take .max() of each window.",
    ],
    solution=(
        "import numpy as np\n\n"
        "def my_max_pool(image):\n"
        "    image = np.asarray(image, dtype=float)          # (H, W)\n"
        "    out = np.zeros((image.shape[0] // 2, image.shape[1] // 2))\n"
        "    for i in range(out.shape[0]):\n"
        "        for j in range(out.shape[1]):\n"
        "            out[i, j] = image[2 * i:2 * i + 2, 2 * j:2 * j + 2].max()\n"
        "    return out\n"),
    answer_name="my_max_pool",
    starter=("def my_max_pool(image):\n"
             "    ...  # your code here\n\n"
             "ch1.max_pool.check(my_max_pool)"),
)


# --------------------------------------------------------------------------- im2col


def _im2col_reference(x, k):
    return _im2col(x, k)  # (H' W', C k k)


def _im2col_cases() -> list[Case]:
    rng = np.random.default_rng(15)
    cases = []
    for channels, height, width, k in [(1, 4, 4, 3), (2, 4, 5, 2), (3, 5, 4, 3), (2, 3, 3, 1),
                                       (1, 5, 6, 2), (2, 6, 5, 3)]:
        x = rng.integers(0, 10, size=(channels, height, width)).astype(float)  # (C, H, W)
        cases.append(Case((x, k)))
    return cases


def _patches(x, k) -> np.ndarray:
    """Return the patches of ``x``, shape (H', W', C, k, k), for building the wrong answers."""
    x = np.asarray(x, dtype=float)
    out_h, out_w = x.shape[1] - k + 1, x.shape[2] - k + 1
    return np.array([[x[:, i:i + k, j:j + k] for j in range(out_w)] for i in range(out_h)])


def _im2col_lesson(case: Case, expected, actual) -> str | None:
    arr = as_array(actual)
    if arr is None or arr.shape == expected.shape:
        return None
    x, k = case.args
    (channels, height, width), got = x.shape, f"expected shape {expected.shape}, got {arr.shape}"
    if arr.shape == expected.shape[::-1]:
        return (f"{got}: that is the transpose, one patch per column (the layout of PyTorch's "
                "unfold). Here each patch is a row: (H' W', C k k).")
    if arr.shape == (expected.shape[0], k * k) and channels > 1:
        return (f"{got}: each row must hold the patch of every channel, C x k x k = "
                f"{expected.shape[1]} numbers, not one channel's k x k.")
    if arr.ndim == 2 and arr.shape[0] == (height - k) * (width - k):
        return (f"{got}: off by one. A k-wide kernel fits in W - k + 1 positions along a row "
                "(count them on a 5-wide image with a 3-wide kernel: 3).")
    return f"{got}: one row per output position, H' W' = (H - k + 1)(W - k + 1) rows."


im2col = Exercise(
    "ch1.im2col",
    statement=(
        "Write `my_im2col(x, k)` returning the patch matrix of an input `x` of shape "
        "`(C, H, W)` for a `k` x `k` kernel (stride 1, no padding). It has one row per output "
        "position, $H' W'$ rows with $H' = H - k + 1$ and $W' = W - k + 1$, in reading order "
        "(row `i * W' + j` holds the patch whose top-left corner is `x[:, i, j]`), and $C k^2$ "
        "columns: the patch `x[:, i:i + k, j:j + k]` flattened channel by channel, then row by "
        "row (`.ravel()`, the order of `weight.reshape(C_out, -1)`). No flip: a CNN layer "
        "correlates."),
    checker=FunctionCheck(
        _im2col_reference, _im2col_cases, arg_names=("x", "k"), compare=compare_arrays,
        mistakes=[
            Mistake(lambda x, k: _patches(x, k)[:, :, :, ::-1, ::-1].reshape(
                        -1, np.shape(x)[0] * k * k),
                    "your patches are flipped (a convolution's order); a CNN layer correlates, so "
                    "each row is the patch as it lies in the image: x[:, i:i + k, j:j + k].ravel()."),
            Mistake(lambda x, k: _patches(x, k).transpose(0, 1, 3, 4, 2).reshape(
                        -1, np.shape(x)[0] * k * k),
                    "the numbers of each patch are in the wrong order: you put the channels last "
                    "(pixel by pixel). List channel 0's k x k patch first, then channel 1's, ...: "
                    "x[:, i:i + k, j:j + k].ravel(), the order of weight.reshape(C_out, -1)."),
            Mistake(lambda x, k: _patches(x, k).transpose(1, 0, 2, 3, 4).reshape(
                        -1, np.shape(x)[0] * k * k),
                    "your rows go down the columns of the output first. Use reading order, row "
                    "after row: the patch at (i, j) is row i * W' + j, so that a column of the "
                    "product reshapes into the (H', W') output map."),
        ],
        diagnose=_im2col_lesson,
        description="course_lib.im2col.im2col (the transpose of torch.nn.functional.unfold)"),
    hints=[
        "The output has (H - k + 1) * (W - k + 1) rows and C * k * k columns: create it with "
        "np.zeros, then fill one row per output position (i, j).",
        "The patch at (i, j) is x[:, i:i + k, j:j + k], of shape (C, k, k); .ravel() flattens it "
        "channel by channel, then row by row.",
        "rows[i * W_out + j] = x[:, i:i + k, j:j + k].ravel(), for i in range(H_out) and j in "
        "range(W_out).",
    ],
    solution=(
        "import numpy as np\n\n"
        "def my_im2col(x, k):\n"
        "    x = np.asarray(x, dtype=float)                  # (C, H, W)\n"
        "    c, h, w = x.shape\n"
        "    out_h, out_w = h - k + 1, w - k + 1\n"
        "    rows = np.zeros((out_h * out_w, c * k * k))    # (H' W', C k k)\n"
        "    for i in range(out_h):\n"
        "        for j in range(out_w):\n"
        "            rows[i * out_w + j] = x[:, i:i + k, j:j + k].ravel()  # (C, k, k) -> C k k\n"
        "    return rows\n"),
    answer_name="my_im2col",
    starter=("def my_im2col(x, k):\n"
             "    ...  # your code here\n\n"
             "ch1.im2col.check(my_im2col)"),
)


# --------------------------------------------------------------------------- quiz


def valid_output_width(width: int, kernel_width: int) -> int:
    """Width of a 'valid' convolution output.

    >>> valid_output_width(32, 5)
    28
    """
    return width - kernel_width + 1


QUIZ = (
    MultipleChoice(
        "What is the difference between a convolution and a correlation?",
        (
            Choice("The convolution flips the kernel (left-right and upside down) before "
                   "sliding it; the correlation does not.",
                   "Yes: $I[m - k, n - l]$ in the convolution, $I[m + k, n + l]$ in the "
                   "correlation. For a symmetric kernel they agree.", correct=True),
            Choice("The convolution is linear, the correlation is not.",
                   "Both are linear: each output pixel is a weighted sum of input pixels."),
            Choice("The correlation pads the image with zeros, the convolution does not.",
                   "Padding is a separate choice ('valid', 'same', 'full') for both."),
            Choice("There is none: they always give the same result.",
                   "Only for kernels that are symmetric under the flip. Try the notes' "
                   "kernel [-1, 0, 1]: the sign changes."),
        )),
    NumericQuestion(
        "A 32x32 image is convolved with a 5x5 kernel in 'valid' mode. How many pixels wide "
        "is the output?",
        answer=valid_output_width(32, 5),
        explanation="32 - 5 + 1 = 28: the kernel fits in 28 positions along each axis.",
        mistakes=((32.0, "32 is 'same' mode (the image is padded). 'valid' keeps only the "
                         "positions where the whole kernel fits."),
                  (27.0, "Off by one: count the positions of a 3-wide kernel on a 5-wide "
                         "image: 3 = 5 - 3 + 1."),
                  (36.0, "36 is 'full' mode (32 + 5 - 1)."))),
    MultipleChoice(
        "Which kernel leaves every image unchanged?",
        (
            Choice("A kernel of zeros with a single 1 at its centre (an impulse).",
                   "Yes: each output pixel takes exactly its own input pixel.", correct=True),
            Choice("A kernel of zeros with a single 1 three pixels from the centre.",
                   "That shifts the image by three pixels."),
            Choice("[1/3, 1/3, 1/3]",
                   "That averages each pixel with its neighbours: a blur."),
            Choice("[-1, 0, 1]", "That is a derivative: it keeps only the edges."),
        )),
    MultipleChoice(
        "The entries of a kernel sum to 0. What does it give on a flat (constant) image, "
        "filtered in 'same' mode with zero padding (boundary='fill')?",
        (
            Choice("0 wherever the whole kernel lies over the image; near the borders, where the "
                   "padding brings in zeros, in general not 0.",
                   "Yes: where every weight meets the constant c, the output is c · Σ g = 0 (edge "
                   "detectors are built this way). At a border some weights meet the padded "
                   "zeros instead, and c times the sum of the other weights is left: the spike "
                   "at the last column in 1.1.3. In 'valid' mode, or with a mirrored border "
                   "('symm'), it is 0 everywhere.", correct=True),
            Choice("0 everywhere, the borders included.",
                   "Only where every weight meets the constant. Near a zero-padded border part "
                   "of the window sees zeros: Sobel x on a 5x5 image of 7s gives 28 in size "
                   "down the first and last columns (21 at the corners), 0 elsewhere."),
            Choice("The same flat image.", "That happens when the entries sum to 1, as for a "
                                           "blur."),
            Choice("A brighter image.", "Inside the image the output is the constant times the "
                                        "sum of the entries: here 0."),
        )),
    MultipleChoice(
        "Convolution is linear. If you double the brightness of an image and then blur it, "
        "you get ...",
        (
            Choice("twice the blurred image (homogeneity: T[a·X] = a·T[X]).",
                   "Yes: scaling and filtering can be swapped.", correct=True),
            Choice("the blurred image, unchanged.", "The output scales with the input."),
            Choice("something that cannot be predicted without computing it.",
                   "Linearity predicts it exactly: T[2X] = 2·T[X]."),
        )),
    NumericQuestion(
        "A fully connected layer maps a 224x224x3 image to 64 numbers (with biases). A "
        "convolutional layer maps it with 64 filters of 3x3 (with biases). How many times more "
        "parameters does the fully connected layer have? (Round to the nearest whole number.)",
        answer=round((224 * 224 * 3 + 1) * 64 / conv_parameters(3, 64, 3)),
        explanation="(150,528 + 1) x 64 = 9,633,856 against 64 x (27 + 1) = 1,792: about 5,376 "
                    "times more. The convolution shares 28 numbers per filter across all "
                    "positions.",
        mistakes=((float(round(224 * 224 * 3 / 27)), "Count the biases too: "
                   "(150,528 + 1) x 64 against 64 x (27 + 1)."),)),
    MultipleChoice(
        "You shift an image 3 pixels to the right, then filter it (a correlation with "
        "circular 'wrap' padding). Compared with filtering first and shifting after, you get ...",
        (
            Choice("the same image: convolution is translation-equivariant.",
                   "Yes: every position uses the same weights, so shifting commutes with the "
                   "filter. With zero padding it holds except near the borders.", correct=True),
            Choice("the same image only if the kernel is symmetric.",
                   "Equivariance holds for every kernel: the same weights are used at every "
                   "position."),
            Choice("a different image: the filter sees other pixels.",
                   "It sees the same pixels, moved: the output moves with them."),
        )),
    MultipleChoice(
        "A CNN layer computes out = correlate(image, kernel, 'valid'). The gradient of the loss "
        "with respect to the kernel is ...",
        (
            Choice("the 'valid' correlation of the image with the output's gradient.",
                   "Yes: weight g[a, b] met pixel I[i + a, j + b] for output [i, j], so it "
                   "collects the sum of grad_out[i, j] * I[i + a, j + b].", correct=True),
            Choice("the 'full' convolution of the output's gradient with the kernel.",
                   "That is the gradient with respect to the image (what flows to the layer "
                   "below)."),
            Choice("the kernel itself, flipped.",
                   "The gradient depends on the data: on the image and on the output's "
                   "gradient."),
        )),
    MultipleChoice(
        "What does a 1x1 convolution with 3 input and 8 output channels do?",
        (
            Choice("At every pixel, the same linear map from 3 numbers to 8 (8 x 3 weights and "
                   "8 biases).",
                   "Yes: it mixes channels, pixel by pixel, and never looks at neighbours.",
                   correct=True),
            Choice("Nothing: a 1x1 kernel is the identity.",
                   "With one channel and weight 1, yes; across channels it mixes them."),
            Choice("It blurs each channel with a 1x1 box.",
                   "A 1x1 window sees one pixel: there is nothing to blur."),
        )),
    MultipleChoice(
        "During backpropagation through a 2x2 max pooling, where does the gradient of one "
        "output go?",
        (
            Choice("All of it to the input pixel that held the maximum; the other three get 0.",
                   "Yes: only that pixel changed the output.", correct=True),
            Choice("A quarter to each of the four pixels.",
                   "That is average pooling's gradient."),
            Choice("Nowhere: max is not differentiable.",
                   "It is differentiable almost everywhere: locally it is the identity on the "
                   "winning pixel."),
        )),
)
"""The chapter's end-of-chapter quiz questions."""


def quiz() -> Quiz:
    """Show the chapter 1 quiz as a widget (CSS class ``course-quiz``)."""
    return quiz_widget("Chapter 1, image filters", QUIZ)
