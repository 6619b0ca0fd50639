"""Chapter 3 exercises (training).

Sigmoid gradient, vanishing gradients, leakage, learning rate, He initialisation, batch
normalisation, maxout.

>>> from course_lib.exercises import ch3
>>> _ = ch3.gradient_after_layers.check(lambda n: 0.25 ** n)
Correct: <lambda> agrees with 0.25 ** n on 7 test cases you had not seen.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.special import expit

from ._core import (
    Case,
    Exercise,
    Feedback,
    FunctionCheck,
    Mistake,
    as_number,
    compare_arrays,
    compare_numbers,
    describe_type,
    format_value,
)
from .quiz import Choice, MultipleChoice, NumericQuestion, Quiz, quiz_widget

__all__ = ["BN_EPS", "QUIZ", "batch_norm", "gradient_after_layers", "he_std", "learning_rate",
           "maxout", "quiz", "sigmoid_grad", "standardise"]


# --------------------------------------------------------------------------- sigmoid_grad


def _sigmoid_grad_reference(x):
    s = expit(x)  # numerically stable sigmoid, same shape as x
    return s * (1 - s)


def _sigmoid_grad_cases() -> list[Case]:
    rng = np.random.default_rng(3)
    return [
        Case((np.array([-10.0, -1.0, 0.0, 1.0, 10.0]),)),
        Case((np.linspace(-6.0, 6.0, 13),)),
        Case((np.array([-1000.0, -750.0, -50.0, 50.0, 750.0, 1000.0]),)),
        Case((np.round(rng.normal(0.0, 3.0, size=(3, 4)), 2),)),
        Case((np.array([0.5]),)),
    ]


def _sigmoid_lesson(case: Case, expected, actual) -> str | None:
    x = case.args[0]
    arr = np.asarray(actual, dtype=float) if actual is not None else None
    if arr is not None and arr.shape == expected.shape and not np.all(np.isfinite(arr)):
        bad = x[~np.isfinite(arr)]
        return (f"your function returns NaN or infinity at x = {format_value(bad[0])}: "
                "np.exp overflowed. Compute s = sigmoid(x) first (it stays between 0 and 1) "
                "and return s * (1 - s).")
    return None


sigmoid_grad = Exercise(
    "ch3.sigmoid_grad",
    statement=(
        "Write `my_sigmoid_grad(x)` returning the derivative of the sigmoid "
        "$\\sigma(x) = \\frac{1}{1 + e^{-x}}$, element-wise, for a numpy array `x` of any shape. "
        "It must stay finite for large $|x|$ (e.g. $x = \\pm 1000$)."),
    checker=FunctionCheck(
        _sigmoid_grad_reference, _sigmoid_grad_cases, arg_names=("x",),
        compare=lambda e, a: compare_arrays(e, a, rtol=1e-6, atol=1e-12),
        mistakes=[
            Mistake(lambda x: expit(x) * (1 + expit(x)),
                    "check the sign: the derivative is σ(x)·(1 − σ(x)), not σ(x)·(1 + σ(x)). "
                    "At x = 0 it must be 0.25."),
            Mistake(lambda x: expit(x),
                    "that is σ(x) itself, not its derivative σ(x)·(1 − σ(x))."),
            Mistake(lambda x: 1 - expit(x),
                    "that is 1 − σ(x); multiply it by σ(x): σ'(x) = σ(x)·(1 − σ(x))."),
            Mistake(lambda x: x * (1 - x),
                    "you applied the formula to x instead of to σ(x): first compute "
                    "s = 1 / (1 + np.exp(-x)), then s * (1 - s)."),
        ],
        diagnose=_sigmoid_lesson,
        description="σ(x)·(1 − σ(x))"),
    hints=[
        "The derivative of the sigmoid can be written with the sigmoid itself.",
        "σ'(x) = σ(x) · (1 − σ(x)); at x = 0 that is 0.5 · 0.5 = 0.25.",
        "s = 1 / (1 + np.exp(-x)) stays between 0 and 1 even when np.exp overflows to inf; "
        "then return s * (1 - s).",
    ],
    solution=("import numpy as np\n\n"
              "def my_sigmoid_grad(x):\n"
              "    with np.errstate(over='ignore'):       # exp(1000) = inf is harmless here\n"
              "        s = 1.0 / (1.0 + np.exp(-x))         # sigmoid, in (0, 1)\n"
              "    return s * (1.0 - s)\n"),
    answer_name="my_sigmoid_grad",
    starter=("def my_sigmoid_grad(x):\n"
             "    ...  # your code here\n\n"
             "ch3.sigmoid_grad.check(my_sigmoid_grad)"),
)


# --------------------------------------------------------------------------- gradient_after_layers


def max_sigmoid_grad() -> float:
    """Return the largest value of σ'(x), reached at x = 0.

    >>> max_sigmoid_grad()
    0.25
    """
    return float(_sigmoid_grad_reference(0.0))


def _gradient_bound(n):
    return max_sigmoid_grad() ** n


gradient_after_layers = Exercise(
    "ch3.gradient_after_layers",
    statement=(
        "By the chain rule, the gradient reaching the input of `n` stacked sigmoid layers is "
        "multiplied by one factor σ'(·) per layer. Write `my_gradient_factor(n)` returning "
        "the **largest possible** value of that product of `n` factors (weights set aside)."),
    checker=FunctionCheck(
        _gradient_bound, lambda: [Case((n,)) for n in (1, 2, 3, 5, 10, 20, 50)],
        arg_names=("n",), compare=lambda e, a: compare_numbers(e, a, rtol=1e-9, atol=0.0),
        mistakes=[
            Mistake(lambda n: 0.5**n,
                    "0.5 is σ(0), the sigmoid's value at 0; its derivative there is "
                    "0.5 · (1 − 0.5) = 0.25, the largest factor per layer."),
            Mistake(lambda n: 0.25 * n,
                    "the chain rule multiplies the factors, it does not add them: "
                    "0.25 · 0.25 · ... (n times)."),
            Mistake(lambda n: 0.25 ** (n - 1),
                    "off by one: each of the n layers contributes one factor 0.25."),
            Mistake(lambda n: 0.25 ** (n + 1),
                    "off by one: each of the n layers contributes one factor 0.25, no more."),
        ],
        description="0.25 ** n"),
    hints=[
        "What is the largest value of σ'(x) = σ(x)(1 − σ(x))? Try x = 0.",
        "Each layer multiplies the gradient by at most 0.25.",
        "n layers: 0.25 multiplied n times.",
    ],
    solution=("def my_gradient_factor(n):\n"
              "    return 0.25 ** n   # max of σ'(x) is σ'(0) = 0.25, once per layer\n"),
    answer_name="my_gradient_factor",
    starter=("def my_gradient_factor(n):\n"
             "    ...  # your code here\n\n"
             "ch3.gradient_after_layers.check(my_gradient_factor)"),
)


# --------------------------------------------------------------------------- standardise


def _standardise_reference(train, test):
    mean = train.mean(axis=0)  # (D,) training statistics only
    std = train.std(axis=0)  # (D,)
    return (train - mean) / std, (test - mean) / std


def _own_statistics(train, test):
    return ((train - train.mean(axis=0)) / train.std(axis=0),
            (test - test.mean(axis=0)) / test.std(axis=0))


def _pooled_statistics(train, test):
    both = np.concatenate([train, test])  # (N_train + N_test, D)
    mean, std = both.mean(axis=0), both.std(axis=0)
    return (train - mean) / std, (test - mean) / std


def _standardise_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    cases = []
    for n_train, n_test, dims in [(10, 4, 2), (50, 12, 4), (12, 5, 1), (30, 30, 3)]:
        loc = rng.uniform(-5, 100, size=dims)
        scale = rng.uniform(0.5, 30, size=dims)
        train = rng.normal(loc, scale, size=(n_train, dims))  # (N_train, D)
        test = rng.normal(loc + scale, 1.5 * scale, size=(n_test, dims))  # shifted: (N_test, D)
        cases.append(Case((np.round(train, 2), np.round(test, 2))))
    return cases


def _compare_pair(expected, actual) -> str | None:
    if not isinstance(actual, (tuple, list)) or len(actual) != 2:
        return f"expected a pair (train_std, test_std), got {describe_type(actual)}."
    for label, e, a in zip(("train_std", "test_std"), expected, actual, strict=True):
        problem = compare_arrays(e, a, rtol=1e-6, atol=1e-9)
        if problem is not None:
            return f"{label}: {problem}"
    return None


_LEAK = ("test-set leakage: {how}. The test set stands for data you will only see later, so it "
         "must be transformed with the mean and standard deviation of the training set alone.")

standardise = Exercise(
    "ch3.standardise",
    statement=(
        "Write `my_standardise(train, test)` for two arrays of shape (N, D) (rows are samples, "
        "columns are features). Return the pair `(train_std, test_std)`: both arrays "
        "standardised per feature, $(x - \\mu) / \\sigma$, with the mean $\\mu$ and standard "
        "deviation $\\sigma$ (numpy's default, `ddof=0`) of each column **of the training set**."),
    checker=FunctionCheck(
        _standardise_reference, _standardise_cases, arg_names=("train", "test"),
        compare=_compare_pair,
        mistakes=[
            Mistake(_own_statistics, _LEAK.format(
                how="you standardised the test set with its own statistics")),
            Mistake(_pooled_statistics, _LEAK.format(
                how="you computed the statistics on train and test together")),
            Mistake(lambda tr, te: ((tr - tr.mean()) / tr.std(), (te - tr.mean()) / tr.std()),
                    "use one mean and one standard deviation per feature (column): "
                    "train.mean(axis=0), train.std(axis=0), not of the whole array."),
            Mistake(lambda tr, te: ((tr - tr.mean(0)) / tr.std(0, ddof=1),
                                    (te - tr.mean(0)) / tr.std(0, ddof=1)),
                    "use numpy's default standard deviation (ddof=0), as scikit-learn's "
                    "StandardScaler does, not ddof=1."),
            Mistake(lambda tr, te: (tr - tr.mean(0), te - tr.mean(0)),
                    "you only centred the data: also divide by the training standard deviation."),
            Mistake(lambda tr, te: (tr / tr.std(0), te / tr.std(0)),
                    "you only scaled the data: also subtract the training mean."),
        ],
        description="standardisation with training statistics"),
    hints=[
        "Compute the statistics once, from the training set only, one per column (axis=0).",
        "mean = train.mean(axis=0) and std = train.std(axis=0) have shape (D,) and broadcast "
        "over the rows.",
        "Apply the same mean and std to both sets: ((train - mean) / std, (test - mean) / std).",
    ],
    solution=("def my_standardise(train, test):\n"
              "    mean = train.mean(axis=0)   # (D,) from the training set only\n"
              "    std = train.std(axis=0)     # (D,)\n"
              "    return (train - mean) / std, (test - mean) / std\n"),
    answer_name="my_standardise",
    starter=("def my_standardise(train, test):\n"
             "    ...  # your code here\n\n"
             "ch3.standardise.check(my_standardise)"),
)


# --------------------------------------------------------------------------- learning_rate

LR_EPOCHS = 2
"""Epochs of the learning-rate check's training run."""
LR_TARGET = 0.80
"""Test accuracy the tiny CNN must reach on the digits after ``LR_EPOCHS`` epochs."""


@functools.lru_cache(maxsize=32)
def digits_trial(lr: float) -> tuple[tuple[float, ...], float | None, float]:
    """Train the tiny CNN on the digits for ``LR_EPOCHS`` epochs (Adam, seeded, on the CPU).

    Returns the per-epoch training losses, the test accuracy (``None`` when the loss became
    NaN or infinite) and the loss of the first step. The global torch random state is left
    as it was.
    """
    import torch

    from ..data import load_digits_split
    from ..models import tiny_cnn
    from ..train import TrainingDiverged, fit

    split = load_digits_split(seed=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = tiny_cnn(in_channels=1, num_classes=10, image_size=8)
        steps: list[float] = []
        try:
            history = fit(model, split.train, epochs=LR_EPOCHS, lr=lr, test=split.test,
                          seed=0, progress=False, device="cpu",
                          callback=lambda info: steps.append(info.loss))
        except TrainingDiverged:
            return (), None, steps[0] if steps else math.log(10)
    return tuple(history.train_loss), float(history.test_acc[-1]), history.step_losses[0]


def _check_learning_rate(answer, *, name: str) -> Feedback:
    lr = as_number(answer)
    if lr is None:
        return Feedback("incorrect", f"{name} must be a number such as 0.5; got "
                        f"{describe_type(answer)}.")
    if not math.isfinite(lr) or lr <= 0:
        return Feedback("incorrect", f"a learning rate must be a positive number; got "
                        f"{format_value(lr)}. It is the size of each step downhill.")
    from ..train import MAX_LR

    if lr > MAX_LR:
        return Feedback("incorrect", f"far too large: {format_value(lr)} would make every step "
                        "astronomically long (the training accepts at most "
                        f"{format_value(MAX_LR)}). Try a learning rate below 1.")
    losses, accuracy, first = digits_trial(lr)
    what = (f"trained the tiny CNN on the digits for {LR_EPOCHS} epochs with Adam, "
            f"lr = {format_value(lr)}")
    if accuracy is None:
        return Feedback("incorrect", "too large: the loss blew up to NaN or infinity. The "
                        "steps are so big that the weights fly off. Try a learning rate 10 "
                        "times smaller.", details=[("training", what)])
    curve = " -> ".join(f"{v:.3f}" if v < 1e4 else f"{v:.3g}" for v in (first, *losses))
    details = [("training", what), ("loss", f"{curve} (first step, then each epoch)"),
               ("test accuracy", f"{100 * accuracy:.1f}% (needed: {100 * LR_TARGET:.0f}%)")]
    if accuracy >= LR_TARGET:
        return Feedback("correct", f"the network reached {100 * accuracy:.1f}% test accuracy "
                        f"in {LR_EPOCHS} epochs.", details=details)
    if losses[0] > first + 0.02:
        return Feedback("incorrect", "too large: the loss went up instead of down (the steps "
                        "overshoot the valley) and the network is stuck near chance. Try a "
                        "smaller learning rate.", details=details)
    return Feedback("incorrect", "too small: the loss goes down, but too slowly to learn much "
                    f"in {LR_EPOCHS} epochs. Try a larger learning rate.", details=details)


learning_rate = Exercise(
    "ch3.learning_rate",
    statement=(
        f"Pick a learning rate `lr` for Adam such that the tiny CNN "
        f"(`course_lib.models.tiny_cnn`) reaches at least {100 * LR_TARGET:.0f}% test accuracy "
        f"on the 8x8 digits after only {LR_EPOCHS} epochs. The check trains it (about a second) "
        "and tells you whether your rate is too large, too small or right."),
    checker=_check_learning_rate,
    hints=[
        "Learning rates are chosen on a logarithmic scale: try 1, 0.1, 0.01, 0.001, ...",
        "If the loss goes up or the accuracy stays at 10%, the rate is too large; if the loss "
        "barely moves, it is too small.",
        "Adam's usual default is 0.001; a little larger works well on this small problem.",
    ],
    solution="lr = 0.01  # Adam: between about 0.001 and 0.05 works here\n",
    answer_name="lr",
    starter="lr = ...  # a learning rate\n\nch3.learning_rate.check(lr)",
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


# --------------------------------------------------------------------------- quiz

QUIZ = (
    NumericQuestion(
        "What is the largest value the sigmoid's derivative σ'(x) = σ(x)(1 − σ(x)) can take?",
        answer=max_sigmoid_grad(),
        explanation="At x = 0: σ(0) = 0.5, so σ'(0) = 0.5 · 0.5 = 0.25.",
        mistakes=((0.5, "0.5 is σ(0); its derivative there is 0.5 · (1 − 0.5)."),
                  (1.0, "σ'(x) = σ(x)(1 − σ(x)) is a product of two numbers in (0, 1) that "
                        "sum to 1: at most 0.5 · 0.5.")),
        rtol=1e-3),
    MultipleChoice(
        "A sigmoid neuron receives the input x = 10. What is its local gradient σ'(10)?",
        (
            Choice(f"About {_sigmoid_grad_reference(10.0):.1e}: almost zero.",
                   "Yes: the neuron is saturated, σ(10) ≈ 1, so σ(1 − σ) ≈ 0 and the gradient "
                   "dies here.", correct=True),
            Choice("0.25", "That is the maximum, at x = 0 only."),
            Choice("10", "σ' is at most 0.25 everywhere."),
            Choice("1", "σ(10) is close to 1, but σ'(10) = σ(10)(1 − σ(10)) is close to 0."),
        )),
    NumericQuestion(
        "At most, by what factor is a gradient multiplied when it flows back through 4 "
        "sigmoid layers (weights set aside)?",
        answer=_gradient_bound(4),
        explanation="0.25⁴ = 0.0039: the gradient shrinks at least 256-fold.",
        mistakes=((0.5**4, "0.5 is σ(0); the largest derivative is 0.25."),
                  (1.0, "Each layer multiplies by at most 0.25: 0.25⁴.")),
        rtol=1e-2),
    MultipleChoice(
        "Sigmoid outputs are always positive (not centred on zero). What does that do to "
        "the gradient of a neuron that receives them?",
        (
            Choice("All its weight gradients have the same sign, so updates zig-zag.",
                   "Yes: ∂L/∂w_i = (∂L/∂z) · x_i with all x_i > 0, so every w_i moves in the "
                   "same direction at each step.", correct=True),
            Choice("The gradients become exactly zero.",
                   "That is saturation, the first problem; this one is about signs."),
            Choice("Nothing: only the magnitude of the inputs matters.",
                   "The sign matters: it fixes the direction of every update."),
        )),
    MultipleChoice(
        "You standardise your images before training. Which statistics do you use for the "
        "test set?",
        (
            Choice("The mean and standard deviation of the training set.",
                   "Yes: the test set must be treated like future data, unseen when the "
                   "statistics were computed.", correct=True),
            Choice("The test set's own mean and standard deviation.",
                   "That leaks information about the test set into the preprocessing."),
            Choice("Those of train and test together.",
                   "Still leakage: the test set must not shape the preprocessing."),
        )),
    MultipleChoice(
        "Every weight of a network starts at the same value (say 0.05). What happens to the "
        "hidden units of a layer during training?",
        (
            Choice("They stay identical to one another: the layer behaves like a single unit.",
                   "Yes: identical units compute the same output, receive the same gradient and "
                   "make the same update, so nothing ever tells them apart. Random weights "
                   "break the symmetry.", correct=True),
            Choice("Nothing at all can change: every gradient is zero.",
                   "That happens only with zeros and an activation with f(0) = 0 (tanh, ReLU). "
                   "With 0.05 the gradients are not zero, but they are equal."),
            Choice("They drift apart after a few steps, so training is only slower.",
                   "Nothing makes them drift apart: the same inputs, weights and gradients give "
                   "the same update, step after step (the optimiser too acts unit by unit)."),
        )),
    NumericQuestion(
        "A 3×3 convolution with 64 input channels is followed by a ReLU. What standard "
        "deviation does He initialisation give its weights?",
        answer=_he_std_reference(64, 3),
        explanation="n_in = 64 · 3 · 3 = 576 inputs per output, Var(w) = 2 / 576, so "
                    "std = √(2/576) ≈ 0.0589.",
        mistakes=((2 / 576, "That is the variance 2/576; take its square root."),
                  (math.sqrt(2 / 64), "The fan-in counts the 3×3 window too: 64 · 9 = 576."),
                  (math.sqrt(1 / 576), "That is √(1/n_in); for ReLU He initialisation doubles "
                                        "the variance: √(2/n_in).")),
        rtol=2e-2),
    MultipleChoice(
        "A network with batch normalisation is switched to evaluation mode (`model.eval()`). "
        "Which mean and variance does a batch-norm layer use there?",
        (
            Choice("The running averages of the batch statistics, collected during training.",
                   "Yes: fixed numbers, so a prediction does not depend on the other images in "
                   "the batch (and works for a single image).", correct=True),
            Choice("Those of the batch being evaluated.",
                   "That is training mode: each prediction would then depend on the other images "
                   "in the batch."),
            Choice("None: batch norm is switched off at test time.",
                   "The next layers were trained on normalised features; the layer still "
                   "normalises, with fixed statistics, and still applies γ and β."),
        )),
)
"""The chapter's end-of-chapter quiz questions."""


def quiz() -> Quiz:
    """Show the chapter 3 quiz as a widget (CSS class ``course-quiz``)."""
    return quiz_widget("Chapter 3, training", QUIZ)
