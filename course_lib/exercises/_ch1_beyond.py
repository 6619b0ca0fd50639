"""Chapter 1 exercises beyond the notes (section 1.2). Imported into :mod:`.ch1`.

Weight sharing, learning a kernel, backpropagation through a convolution, channels, stride and
pooling.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import convolve2d, correlate2d

from ._core import (
    Case,
    Exercise,
    FunctionCheck,
    Mistake,
    ValueCheck,
    as_array,
    compare_arrays,
)

# --------------------------------------------------------------------------- beyond the notes (1.2)


def conv_layer_params(in_channels: int, out_channels: int, kernel_size: int) -> int:
    """Weights and biases of a convolutional layer with square kernels.

    >>> conv_layer_params(3, 64, 3)
    1792
    """
    return out_channels * (in_channels * kernel_size * kernel_size + 1)


conv_params = Exercise(
    "ch1.conv_params",
    statement=(
        "A convolutional layer reads an RGB image (3 channels) and has 64 filters of size "
        "3x3, each with a bias. How many parameters (weights and biases) does it have? Set "
        "`n_params` to that number (it does not depend on the image's size)."),
    checker=ValueCheck(
        conv_layer_params(3, 64, 3), expects="a whole number of parameters",
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


def conv_output_size(size: int, kernel: int, *, padding: int = 0, stride: int = 1) -> int:
    """Pixels along one axis after a convolution: ``(size + 2 padding - kernel) // stride + 1``.

    >>> conv_output_size(224, 3, padding=1, stride=2)
    112
    """
    return (size + 2 * padding - kernel) // stride + 1


strided_output_size = Exercise(
    "ch1.strided_output_size",
    statement=(
        "A 224x224 image goes through a 3x3 convolution with padding 1 and stride 2 "
        "(`torch.nn.Conv2d(3, 64, 3, padding=1, stride=2)`). How many pixels wide is the "
        "output? Set `width` to that number."),
    checker=ValueCheck(
        conv_output_size(224, 3, padding=1, stride=2), expects="a whole number of pixels",
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
