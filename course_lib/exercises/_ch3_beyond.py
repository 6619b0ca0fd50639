"""Chapter 3 exercises beyond the notes: He initialisation, batch normalisation, Maxout.

Imported into :mod:`.ch3`.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import (
    Case,
    Exercise,
    FunctionCheck,
    Mistake,
    compare_arrays,
    compare_numbers,
)

# --------------------------------------------------------------------------- he_std


def _he_std_reference(in_channels, kernel_size):
    return math.sqrt(2.0 / (in_channels * kernel_size**2))  # fan-in: every input value one output sees


he_std = Exercise(
    "ch3.he_std",
    statement=(
        "A convolution `nn.Conv2d(in_channels, out_channels, kernel_size)` (square kernel) is "
        "followed by a ReLU. Write `my_he_std(in_channels, kernel_size)` returning the standard "
        "deviation of its weights under **He initialisation**, "
        "$\\operatorname{Var}(w) = 2 / n_\\text{in}$, where the fan-in $n_\\text{in}$ is the "
        "number of input values one output value is computed from."),
    checker=FunctionCheck(
        _he_std_reference,
        lambda: [Case(args) for args in [(3, 3), (16, 3), (64, 1), (1, 5), (32, 7), (128, 3),
                                         (2, 2)]],
        arg_names=("in_channels", "kernel_size"),
        compare=lambda e, a: compare_numbers(e, a, rtol=1e-6, atol=0.0),
        mistakes=[
            Mistake(lambda c, k: 2.0 / (c * k**2),
                    "that is the variance 2 / n_in; the standard deviation is its square root."),
            Mistake(lambda c, _k: math.sqrt(2.0 / c),  # a mistake takes every argument
                    "the fan-in of a convolution is not just in_channels: each output value "
                    "sees a k x k window in every input channel, n_in = in_channels * k * k."),
            Mistake(lambda c, k: math.sqrt(1.0 / (c * k**2)),
                    "that is Var(w) = 1 / n_in (Xavier/LeCun, right for tanh). A ReLU zeroes "
                    "half of its input, halving the signal's mean square; He initialisation "
                    "doubles the variance to make up for it: 2 / n_in."),
            Mistake(lambda c, k: math.sqrt(2.0 / (c * k)),
                    "a k x k kernel has k * k weights per input channel: n_in = in_channels * "
                    "k ** 2."),
        ],
        description="sqrt(2 / (in_channels * kernel_size**2))"),
    hints=[
        "One output value of the convolution is a weighted sum: how many input values enter it?",
        "n_in = in_channels * kernel_size * kernel_size; He initialisation draws the weights "
        "with variance 2 / n_in.",
        "Return the square root of the variance: math.sqrt(2 / (in_channels * kernel_size**2)).",
    ],
    solution=("import math\n\n"
              "def my_he_std(in_channels, kernel_size):\n"
              "    fan_in = in_channels * kernel_size**2   # values in one output's window\n"
              "    return math.sqrt(2 / fan_in)            # Var(w) = 2 / fan_in\n"),
    answer_name="my_he_std",
    starter=("def my_he_std(in_channels, kernel_size):\n"
             "    ...  # your code here\n\n"
             "ch3.he_std.check(my_he_std)"),
)


# --------------------------------------------------------------------------- batch_norm

BN_EPS = 1e-5
"""The batch-norm exercise's epsilon (PyTorch's default)."""


def _batch_norm_reference(x, gamma, beta):
    from ..normalisation import batch_norm as course_batch_norm

    return course_batch_norm(x, gamma, beta, eps=BN_EPS)


def _bn_with(x, gamma, beta, *, axes, ddof=0, eps_inside=True, use_eps=True, root=True):
    """Batch norm with one thing changed: the realistic mistakes below."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    eps = BN_EPS if use_eps else 0.0
    if not root:
        scale = var + eps
    elif eps_inside:
        scale = np.sqrt(var + eps)
    else:
        scale = np.sqrt(var) + eps
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return gamma.reshape(shape) * (x - mean) / scale + beta.reshape(shape)


_CHANNEL_AXES = (0, 2, 3)


def _batch_norm_cases() -> list[Case]:
    rng = np.random.default_rng(11)
    cases = []
    for n, c, h, w in [(4, 3, 5, 5), (8, 2, 3, 4), (2, 4, 6, 6), (16, 1, 2, 2), (3, 5, 4, 3)]:
        loc = rng.uniform(-3, 5, size=(1, c, 1, 1))
        scale = rng.uniform(0.5, 4, size=(1, c, 1, 1))
        scale[0, 0] = 0.01  # a channel of small variance (1e-4): eps matters there
        x = rng.normal(size=(n, c, h, w)) * scale + loc  # (N, C, H, W)
        gamma = rng.uniform(0.5, 2.0, size=c)  # (C,)
        beta = rng.uniform(-1.0, 1.0, size=c)  # (C,)
        cases.append(Case((np.round(x, 4), np.round(gamma, 2), np.round(beta, 2))))
    return cases


batch_norm = Exercise(
    "ch3.batch_norm",
    statement=(
        "Write `my_batch_norm(x, gamma, beta)`: batch normalisation in **training mode** of a "
        "batch of feature maps `x` of shape (N, C, H, W), with `gamma` and `beta` of shape (C,). "
        "Each channel is standardised with its mean $\\mu$ and (biased, `ddof=0`) variance "
        "$\\sigma^2$ over the batch and all positions, "
        "$\\hat x = (x - \\mu) / \\sqrt{\\sigma^2 + \\varepsilon}$ with "
        "$\\varepsilon = 10^{-5}$ (`ch3.BN_EPS`), then $y = \\gamma \\hat x + \\beta$."),
    checker=FunctionCheck(
        _batch_norm_reference, _batch_norm_cases, arg_names=("x", "gamma", "beta"),
        compare=lambda e, a: compare_arrays(e, a, rtol=1e-7, atol=1e-9),
        mistakes=[
            Mistake(lambda x, g, b: _bn_with(x, g, b, axes=(0, 1, 2, 3)),
                    "you used one mean and one variance for the whole batch; batch norm "
                    "takes one per channel, over the batch and the positions: "
                    "axis=(0, 2, 3)."),
            Mistake(lambda x, g, b: _bn_with(x, g, b, axes=(1, 2, 3)),
                    "you normalised each example with its own statistics (that is layer "
                    "normalisation); batch norm pools the statistics of one channel over the "
                    "whole batch: axis=(0, 2, 3)."),
            Mistake(lambda x, g, b: _bn_with(x, g, b, axes=(0,)),
                    "you took the statistics over the batch only (axis=0), one per channel "
                    "*and position*. A convolution's channel shares its weights across "
                    "positions, so batch norm pools the positions too: axis=(0, 2, 3)."),
            Mistake(lambda x, g, b: _bn_with(x, g, b, axes=(0, 2, 3), ddof=1),
                    "batch norm normalises with the biased variance (ddof=0, numpy's default). "
                    "PyTorch uses the unbiased one (ddof=1) only for its running statistics."),
            Mistake(lambda x, g, b: _bn_with(x, g, b, axes=(0, 2, 3), use_eps=False),
                    "you left out epsilon: sqrt(var + eps), with eps = ch3.BN_EPS = 1e-5. It "
                    "matters for a channel of small variance, and keeps a constant channel "
                    "from dividing by zero."),
            Mistake(lambda x, g, b: _bn_with(x, g, b, axes=(0, 2, 3), eps_inside=False),
                    "epsilon goes inside the square root: sqrt(var + eps), not sqrt(var) + eps."),
            Mistake(lambda x, g, b: _bn_with(x, g, b, axes=(0, 2, 3), root=False),
                    "divide by the standard deviation sqrt(var + eps), not by the variance."),
            Mistake(lambda x, g, b: _bn_with(x, np.ones_like(g), np.zeros_like(b),
                                             axes=(0, 2, 3)),
                    "you standardised x but forgot the learned scale and shift: "
                    "y = gamma * x_hat + beta, one gamma and one beta per channel."),
            Mistake(lambda x, g, b: _bn_with(x, b, g, axes=(0, 2, 3)),
                    "gamma and beta are swapped: gamma scales, beta shifts: "
                    "y = gamma * x_hat + beta."),
        ],
        description="batch normalisation in training mode"),
    hints=[
        "Each channel c has its own mean and variance, computed over every value of x[:, c]: "
        "all the examples and all the positions.",
        "mean = x.mean(axis=(0, 2, 3), keepdims=True) has shape (1, C, 1, 1) and broadcasts "
        "against x; the variance likewise with x.var (ddof=0).",
        "x_hat = (x - mean) / np.sqrt(var + ch3.BN_EPS); reshape gamma and beta to "
        "(1, C, 1, 1) and return gamma * x_hat + beta.",
    ],
    solution=("import numpy as np\n\n"
              "def my_batch_norm(x, gamma, beta, eps=1e-5):\n"
              "    mean = x.mean(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1) per channel\n"
              "    var = x.var(axis=(0, 2, 3), keepdims=True)    # biased, ddof=0\n"
              "    x_hat = (x - mean) / np.sqrt(var + eps)       # (N, C, H, W)\n"
              "    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)\n"),
    answer_name="my_batch_norm",
    starter=("def my_batch_norm(x, gamma, beta):\n"
             "    ...  # your code here\n\n"
             "ch3.batch_norm.check(my_batch_norm)"),
)


# --------------------------------------------------------------------------- maxout


def _maxout_reference(z, pieces):
    n, values = z.shape
    return z.reshape(n, values // pieces, pieces).max(axis=2)  # (N, units)


def _maxout_cases() -> list[Case]:
    rng = np.random.default_rng(5)
    return [Case((np.round(rng.normal(size=(n, units * k)), 2), k))
            for n, units, k in [(2, 3, 2), (3, 2, 4), (4, 3, 3), (1, 1, 5), (5, 4, 1)]]


maxout = Exercise(
    "ch3.maxout",
    statement=(
        "A maxout layer with `pieces` linear pieces per unit gives, for each example, "
        "`units * pieces` values `z` (its linear maps' outputs); unit `j` outputs the largest "
        "of its `pieces` **consecutive** values `z[:, j * pieces : (j + 1) * pieces]`. Write "
        "`my_maxout(z, pieces)` for `z` of shape (N, units * pieces), returning (N, units)."),
    checker=FunctionCheck(
        _maxout_reference, _maxout_cases, arg_names=("z", "pieces"),
        compare=lambda e, a: compare_arrays(e, a, rtol=0.0, atol=0.0),
        mistakes=[
            Mistake(lambda z, k: z.reshape(len(z), k, -1).max(axis=1),
                    "your groups take every `pieces`-th value; a unit's pieces are "
                    "consecutive: z.reshape(N, units, pieces), then the max over the last axis."),
            Mistake(lambda z, k: z.reshape(len(z), -1, k).min(axis=2),
                    "that is the minimum of each group; maxout takes the maximum."),
            Mistake(lambda z, _k: z.max(axis=1),
                    "that is one maximum per example, over all the values; maxout gives one "
                    "value per unit, the maximum of its own `pieces` values."),
            Mistake(lambda z, _k: np.maximum(z, 0.0),
                    "that is ReLU, max(z, 0), value by value. Maxout compares the `pieces` "
                    "values of a unit with each other, and returns one value per unit."),
        ],
        description="the maximum over each unit's consecutive pieces"),
    hints=[
        "Group the values of each row by unit: unit j owns pieces consecutive values.",
        "z.reshape(N, units, pieces) puts each unit's pieces on the last axis (units = "
        "z.shape[1] // pieces).",
        "Return z.reshape(len(z), -1, pieces).max(axis=2).",
    ],
    solution=("def my_maxout(z, pieces):\n"
              "    n, values = z.shape\n"
              "    groups = z.reshape(n, values // pieces, pieces)   # (N, units, pieces)\n"
              "    return groups.max(axis=2)                          # (N, units)\n"),
    answer_name="my_maxout",
    starter=("def my_maxout(z, pieces):\n"
             "    ...  # your code here\n\n"
             "ch3.maxout.check(my_maxout)"),
)
