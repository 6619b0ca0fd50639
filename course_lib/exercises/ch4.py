"""Chapter 4 exercises (training that generalises).

A split without leakage, a momentum step, an Adam step, a cosine schedule, inverted dropout, a
shift that keeps the label, an early-stopping rule, a learning rate drawn on a log scale; and the
chapter's quiz.

>>> from course_lib.exercises import ch4
>>> _ = ch4.log_uniform.check(lambda u, low, high: low * (high / low) ** u)
Correct: <lambda> agrees with low * (high / low) ** u on 5 test cases you had not seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._core import (
    Case,
    Exercise,
    FunctionCheck,
    Mistake,
    compare_arrays,
    compare_ints,
    compare_numbers,
)
from .quiz import Choice, MultipleChoice, NumericQuestion, Quiz, quiz_widget

__all__ = ["QUIZ", "adam_step", "cosine_schedule", "dropout", "early_stopping", "group_split",
           "log_uniform", "momentum_step", "quiz", "shift"]


def _compare_pair(names: tuple[str, ...], *, rtol: float = 1e-7, atol: float = 1e-10):
    """Return a comparison of tuples of arrays that names the part that differs."""

    def compare(expected, actual) -> str | None:
        if not isinstance(actual, (tuple, list)) or len(actual) != len(names):
            return f"expected a tuple ({', '.join(names)}), got {_describe(actual)}."
        for label, e, a in zip(names, expected, actual, strict=True):
            problem = compare_arrays(e, a, rtol=rtol, atol=atol)
            if problem is not None:
                return f"{label}: {problem}"
        return None

    return compare


def _describe(value) -> str:
    from ._feedback import describe_type

    return describe_type(value)


# --------------------------------------------------------------------------- group_split


@dataclass(frozen=True)
class _SplitRule:
    """What a correct split must satisfy (any split that does is right)."""

    groups: np.ndarray  # (N,) the group of every example
    val_groups: int  # how many groups go to validation

    def __repr__(self) -> str:
        total = len(np.unique(self.groups))
        return (f"a mask of length {len(self.groups)}: {self.val_groups} of the {total} groups, "
                "whole, in validation")


def _split_rule(groups, val_fraction):
    count = round(val_fraction * len(np.unique(groups)))
    return _SplitRule(np.asarray(groups), count)


def _mask(actual, n: int) -> np.ndarray | None:
    if hasattr(actual, "detach"):
        actual = actual.detach().cpu().numpy()
    try:
        mask = np.asarray(actual)
    except (ValueError, TypeError):
        return None
    if mask.dtype != bool or mask.shape != (n,):
        return None
    return mask


def _compare_split(expected, actual) -> str | None:
    if not isinstance(expected, _SplitRule):  # comparing two answers with each other
        a, b = _mask(expected, np.size(expected)), _mask(actual, np.size(expected))
        return None if a is not None and b is not None and np.array_equal(a, b) else "different."
    groups = expected.groups
    mask = _mask(actual, len(groups))
    if mask is None:
        return (f"expected a boolean numpy array of length {len(groups)} (True: validation), got "
                f"{_describe(actual)}.")
    in_val, in_train = set(groups[mask].tolist()), set(groups[~mask].tolist())
    if in_val & in_train:
        return f"group {min(in_val & in_train)} has examples in both parts."
    if len(in_val) != expected.val_groups:
        return f"{len(in_val)} groups in validation, expected {expected.val_groups}."
    return None


def _split_lesson(case: Case, _expected, actual) -> str | None:
    groups, fraction = case.args
    mask = _mask(actual, len(groups))
    if mask is None:
        if np.asarray(actual).dtype.kind in "iu":
            return ("return a boolean mask, one True/False per example (True: validation), not "
                    "the indices: `np.isin(groups, val_groups)` makes one.")
        return None
    both = set(groups[mask].tolist()) & set(groups[~mask].tolist())
    if both:
        return ("leakage: examples of one group (one writer, one photo and its augmented copies) "
                "are on both sides, so validation shows the model examples almost identical to "
                "ones it trained on, and its score is too optimistic. Choose the validation "
                "*groups* first (np.unique(groups)), then take every example of those groups.")
    unique = np.unique(groups)
    group_share = len(set(groups[mask].tolist())) / len(unique)
    if abs(mask.mean() - fraction) < abs(group_share - fraction):
        return ("val_fraction is the share of the *groups* that go to validation, not of the "
                "examples (groups differ in size): take round(val_fraction * "
                "len(np.unique(groups))) groups.")
    return ("take exactly round(val_fraction * len(np.unique(groups))) groups for validation "
            "(Python's round).")


def _group_split_cases() -> list[Case]:
    rng = np.random.default_rng(4)
    cases = []
    for groups_count, fraction in [(10, 0.2), (7, 0.3), (25, 0.2), (12, 0.25), (40, 0.1)]:
        sizes = rng.integers(1, 9, size=groups_count)  # examples per group, uneven
        groups = np.repeat(rng.permutation(np.arange(100, 100 + groups_count)), sizes)
        cases.append(Case((rng.permutation(groups), fraction)))
    return cases


group_split = Exercise(
    "ch4.group_split",
    statement=(
        "Examples often come in **groups** that are almost the same: the digits written by one "
        "person, the augmented copies of one photo, the frames of one video. Write "
        "`my_split(groups, val_fraction)`, where `groups` is a numpy array giving each example's "
        "group (an integer). Return a boolean numpy array `is_val` of the same length (True: "
        "the example goes to validation) that keeps every group whole, on one side only, and "
        "puts `round(val_fraction * number_of_groups)` of the groups in validation. Which "
        "groups is up to you (draw them with `np.random.default_rng(0)`)."),
    checker=FunctionCheck(
        _split_rule, _group_split_cases, arg_names=("groups", "val_fraction"),
        compare=_compare_split, diagnose=_split_lesson,
        description="the rules of a split by groups"),
    hints=[
        "Choose groups, not examples: start from the distinct groups, `np.unique(groups)`.",
        "Shuffle the distinct groups with `np.random.default_rng(0).permutation(...)` and keep the "
        "first `round(val_fraction * len(unique))` of them for validation.",
        "`np.isin(groups, val_groups)` is True exactly for the examples of the chosen groups.",
    ],
    solution=("import numpy as np\n\n"
              "def my_split(groups, val_fraction):\n"
              "    unique = np.unique(groups)                         # the distinct groups\n"
              "    count = round(val_fraction * len(unique))          # groups for validation\n"
              "    chosen = np.random.default_rng(0).permutation(unique)[:count]\n"
              "    return np.isin(groups, chosen)                     # whole groups only\n"),
    answer_name="my_split",
    starter=("def my_split(groups, val_fraction):\n"
             "    ...  # your code here\n\n"
             "ch4.group_split.check(my_split)"),
)


# --------------------------------------------------------------------------- dropout


def _dropout_reference(x, mask, p, training):
    if not training:
        return x
    return x * mask / (1 - p)  # inverted dropout: scale what is kept, at training time


def _dropout_cases() -> list[Case]:
    rng = np.random.default_rng(9)
    cases = []
    for shape, p, training in [((6,), 0.5, True), ((3, 4), 0.2, True), ((2, 5), 0.75, True),
                               ((4, 3), 0.5, False), ((8,), 0.1, True), ((2, 2, 3), 0.3, False)]:
        x = np.round(rng.normal(size=shape), 2)
        mask = (rng.random(shape) >= p).astype(float)
        mask.flat[0], mask.flat[-1] = 1.0, 0.0  # at least one kept, one dropped
        cases.append(Case((x, mask, p, training)))
    return cases


dropout = Exercise(
    "ch4.dropout",
    statement=(
        "Write `my_dropout(x, mask, p, training)`, **inverted dropout** on a numpy array `x`. "
        "`mask` has the shape of `x` and holds 1 for the values kept and 0 for those dropped "
        "(each dropped with probability `p`). In training (`training=True`) return the kept "
        "values scaled so that their expected value does not change, and 0 for the dropped "
        "ones; in evaluation (`training=False`) return `x` unchanged, as `nn.Dropout` does after "
        "`model.eval()`."),
    checker=FunctionCheck(
        _dropout_reference, _dropout_cases, arg_names=("x", "mask", "p", "training"),
        mistakes=[
            Mistake(lambda x, m, _p, t: x * m if t else x,
                    "you dropped values but did not scale the kept ones: on average a value then "
                    "shrinks to (1 − p)·x in training, and the next layer sees larger inputs at "
                    "evaluation than it was trained on. Divide the kept values by 1 − p."),
            Mistake(lambda x, m, p, t: x * m / p if t else x,
                    "divide by the probability of *keeping* a value, 1 − p, not by p."),
            Mistake(lambda x, m, p, t: x * m * (1 - p) if t else x,
                    "multiplying by 1 − p shrinks the values twice; inverted dropout divides the "
                    "kept values by 1 − p, so that E[output] = x."),
            Mistake(lambda x, m, p, _t: x * m / (1 - p),
                    "in evaluation mode dropout does nothing: return x unchanged when training is "
                    "False."),
            Mistake(lambda x, m, p, t: x * m / (1 - p) if t else x * (1 - p),
                    "that is the original dropout of 2014, which scaled by 1 − p at test time. "
                    "Inverted dropout scales during training instead, so evaluation returns x "
                    "as it is."),
            Mistake(lambda x, m, p, t: x * (1 - m) / (1 - p) if t else x,
                    "the mask holds 1 for the values *kept*: multiply by mask, not by 1 − mask."),
        ],
        description="x * mask / (1 - p) in training, x in evaluation"),
    hints=[
        "A kept value survives with probability 1 − p; to keep its expected value, scale it.",
        "In training: x * mask / (1 - p). In evaluation: x.",
        "Write `if not training: return x` first.",
    ],
    solution=("def my_dropout(x, mask, p, training):\n"
              "    if not training:\n"
              "        return x                       # evaluation: the identity\n"
              "    return x * mask / (1 - p)          # kept values scaled: E[output] = x\n"),
    answer_name="my_dropout",
    starter=("def my_dropout(x, mask, p, training):\n"
             "    ...  # your code here\n\n"
             "ch4.dropout.check(my_dropout)"),
)


# --------------------------------------------------------------------------- shift


def _shift_reference(images, dy, dx):
    out = np.zeros_like(images)
    height, width = images.shape[-2:]
    if abs(dy) >= height or abs(dx) >= width:
        return out
    out[..., max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
        images[..., max(-dy, 0):height + min(-dy, 0), max(-dx, 0):width + min(-dx, 0)]
    return out


def _shift_cases() -> list[Case]:
    rng = np.random.default_rng(2)
    cases = []
    for shape, dy, dx in [((1, 1, 4, 4), 1, 0), ((2, 1, 5, 5), 0, 2), ((1, 1, 5, 4), -1, 2),
                          ((3, 2, 4, 6), 2, -3), ((1, 1, 3, 3), -2, -1), ((1, 1, 4, 4), 0, 0)]:
        images = rng.integers(1, 10, size=shape).astype(float)  # no zeros: the fill shows
        cases.append(Case((images, dy, dx)))
    return cases


shift = Exercise(
    "ch4.shift",
    statement=(
        "Write `my_shift(images, dy, dx)` for a batch of images, a numpy array of shape "
        "(N, C, H, W): move every image `dy` pixels **down** and `dx` pixels **right** (negative "
        "values move up and left). What leaves the frame is lost, and the pixels uncovered on "
        "the other side are 0, the background of the digits: a digit moved by a pixel is still "
        "the same digit, with nothing added."),
    checker=FunctionCheck(
        _shift_reference, _shift_cases, arg_names=("images", "dy", "dx"),
        mistakes=[
            Mistake(lambda im, dy, dx: np.roll(im, (dy, dx), axis=(-2, -1)),
                    "np.roll wraps around: what leaves the bottom comes back at the top, so a "
                    "stroke of the digit appears on the wrong side. Fill the uncovered rows and "
                    "columns with 0 instead."),
            Mistake(lambda im, dy, dx: _shift_reference(im, dx, dy),
                    "dy moves the rows (axis -2, down) and dx the columns (axis -1, right): you "
                    "swapped them."),
            Mistake(lambda im, dy, dx: _shift_reference(im, -dy, -dx),
                    "wrong direction: a positive dy moves the picture *down*, so pixel (r, c) "
                    "goes to (r + dy, c + dx)."),
        ],
        description="a shift with 0 filled in"),
    hints=[
        "Start from `out = np.zeros_like(images)` and copy a block of the images into it.",
        "For dy ≥ 0 the rows 0 .. H − dy of the input land on rows dy .. H of the output; "
        "for dy < 0 it is the other way round. The same for the columns with dx.",
        "`out[..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = "
        "images[..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]` (and a shift "
        "of H or more leaves only zeros).",
    ],
    solution=("import numpy as np\n\n"
              "def my_shift(images, dy, dx):\n"
              "    out = np.zeros_like(images)                     # uncovered pixels: 0\n"
              "    H, W = images.shape[-2:]\n"
              "    if abs(dy) >= H or abs(dx) >= W:\n"
              "        return out                                  # moved out of the frame\n"
              "    out[..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\\n"
              "        images[..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]\n"
              "    return out\n"),
    answer_name="my_shift",
    starter=("def my_shift(images, dy, dx):\n"
             "    ...  # your code here\n\n"
             "ch4.shift.check(my_shift)"),
)


# --------------------------------------------------------------------------- early_stopping


def _stop_reference(val_losses, patience):
    from ..validation import early_stopping_epoch

    return early_stopping_epoch(val_losses, patience=patience)


def _stop_against_previous(val_losses, patience):
    worse = 0
    for epoch in range(2, len(val_losses) + 1):
        worse = worse + 1 if val_losses[epoch - 1] >= val_losses[epoch - 2] else 0
        if worse >= patience:
            return epoch
    return len(val_losses)


def _stop_shifted(val_losses, patience, shift):
    best, best_loss = 1, val_losses[0]
    for epoch in range(1, len(val_losses) + 1):
        if val_losses[epoch - 1] < best_loss:
            best, best_loss = epoch, val_losses[epoch - 1]
        if epoch - best >= patience + shift:
            return epoch
    return len(val_losses)


def _stop_ties_improve(val_losses, patience):
    best, best_loss = 1, val_losses[0]
    for epoch in range(1, len(val_losses) + 1):
        if val_losses[epoch - 1] <= best_loss:
            best, best_loss = epoch, val_losses[epoch - 1]
        if epoch - best >= patience:
            return epoch
    return len(val_losses)


def _early_stopping_cases() -> list[Case]:
    return [
        Case(([0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.7, 0.8], 3)),
        Case(([1.2, 0.8, 0.5, 0.4, 0.35, 0.3], 2)),  # never stops: all epochs
        Case(([0.5, 0.6, 0.55, 0.52, 0.51, 0.4, 0.45, 0.5, 0.6, 0.7], 4)),
        Case(([0.8, 0.6, 0.6, 0.6, 0.7], 2)),  # a tie is no improvement
        Case(([0.7, 0.5, 0.8, 0.45, 0.9, 0.95, 0.99, 1.0, 1.1], 3)),  # ups and downs
        Case(([1.0, 1.1, 1.2, 1.3], 1)),
    ]


early_stopping = Exercise(
    "ch4.early_stopping",
    statement=(
        "Write `my_stop_epoch(val_losses, patience)`: given the validation loss after each "
        "epoch (a list, epoch 1 first), return the epoch (counting from 1) after which **early "
        "stopping** ends training. Training stops as soon as `patience` epochs have passed "
        "since the epoch with the lowest loss so far (a loss equal to the best is no "
        "improvement). If that never happens, training runs to the end: return "
        "`len(val_losses)`."),
    checker=FunctionCheck(
        _stop_reference, _early_stopping_cases, arg_names=("val_losses", "patience"),
        compare=compare_ints,
        mistakes=[
            Mistake(_stop_against_previous,
                    "compare each loss with the *best* loss so far, not with the previous epoch's: "
                    "a loss that goes up and down around a plateau never beats the best, and "
                    "training should stop."),
            Mistake(lambda v, p: _stop_shifted(v, p, 1),
                    "off by one: stop when epoch − best_epoch reaches patience, not patience + 1."),
            Mistake(lambda v, p: _stop_shifted(v, p, -1),
                    "off by one: wait `patience` full epochs after the best one before stopping."),
            Mistake(_stop_ties_improve,
                    "a loss equal to the best is not an improvement: use <, not <=."),
        ],
        description="patience epochs after the best"),
    hints=[
        "Go through the epochs keeping the best loss so far and the epoch it came from.",
        "After updating them for epoch e (from 1), stop if e − best_epoch ≥ patience.",
        "`for epoch, loss in enumerate(val_losses, start=1):` ... `return len(val_losses)` at the "
        "end.",
    ],
    solution=("def my_stop_epoch(val_losses, patience):\n"
              "    best_epoch, best_loss = 1, val_losses[0]\n"
              "    for epoch, loss in enumerate(val_losses, start=1):\n"
              "        if loss < best_loss:                   # a real improvement\n"
              "            best_epoch, best_loss = epoch, loss\n"
              "        if epoch - best_epoch >= patience:     # patience ran out\n"
              "            return epoch\n"
              "    return len(val_losses)                     # never stopped\n"),
    answer_name="my_stop_epoch",
    starter=("def my_stop_epoch(val_losses, patience):\n"
             "    ...  # your code here\n\n"
             "ch4.early_stopping.check(my_stop_epoch)"),
)


# --------------------------------------------------------------------------- momentum_step


def _momentum_reference(w, grad, buf, lr, momentum):
    buf = momentum * buf + grad  # PyTorch's SGD: the buffer adds up gradients
    return w - lr * buf, buf


def _momentum_cases() -> list[Case]:
    rng = np.random.default_rng(5)
    cases = []
    for n, lr, momentum in [(3, 0.1, 0.9), (4, 0.01, 0.5), (2, 0.5, 0.99), (5, 0.05, 0.0),
                            (3, 0.2, 0.8)]:
        w, grad, buf = (np.round(rng.normal(size=n), 3) for _ in range(3))
        cases.append(Case((w, grad, buf, lr, momentum)))
    return cases


momentum_step = Exercise(
    "ch4.momentum_step",
    statement=(
        "Write `my_momentum_step(w, grad, buf, lr, momentum)`: one step of SGD with momentum as "
        "PyTorch's `torch.optim.SGD` takes it. The momentum buffer `buf` adds up past "
        "gradients, $b \\leftarrow \\mu b + g$, and the weights step along it, "
        "$w \\leftarrow w - \\eta b$. Return the pair `(new_w, new_buf)` (numpy arrays)."),
    checker=FunctionCheck(
        _momentum_reference, _momentum_cases, arg_names=("w", "grad", "buf", "lr", "momentum"),
        compare=_compare_pair(("new_w", "new_buf")),
        mistakes=[
            Mistake(lambda w, g, b, lr, m: (w - lr * g, m * b + g),
                    "the weights must step along the *new* buffer, w − lr · buf, not along the "
                    "gradient alone: that is plain SGD."),
            Mistake(lambda w, g, b, lr, m: (w - lr * (m * b + g), b),
                    "return the updated buffer too: the next step needs μ·buf + grad."),
            Mistake(lambda w, g, b, lr, m: (w - lr * b, m * b + g),
                    "update the buffer first, then step with the updated one."),
            Mistake(lambda w, g, b, lr, m: (w + lr * (m * b + g), m * b + g),
                    "wrong sign: gradient descent steps *against* the gradient, w − lr · buf."),
            Mistake(lambda w, g, b, lr, m: (w - lr * (m * b + (1 - m) * g), m * b + (1 - m) * g),
                    "that is momentum with dampening (an exponential average of the gradients); "
                    "PyTorch's default adds the whole gradient: buf = μ·buf + grad."),
            Mistake(lambda w, g, b, lr, m: (w + (m * b - lr * g), m * b - lr * g),
                    "that is the other common convention (velocity v = μv − ηg, w = w + v); it "
                    "gives the same path when the learning rate is constant, but PyTorch's buffer "
                    "holds the sum of gradients without the learning rate: buf = μ·buf + grad, "
                    "w = w − lr · buf."),
        ],
        description="torch.optim.SGD's momentum step"),
    hints=[
        "Two lines: first the buffer, then the weights.",
        "new_buf = momentum * buf + grad.",
        "new_w = w - lr * new_buf; return new_w, new_buf.",
    ],
    solution=("def my_momentum_step(w, grad, buf, lr, momentum):\n"
              "    buf = momentum * buf + grad       # running sum of past gradients\n"
              "    return w - lr * buf, buf          # step along it\n"),
    answer_name="my_momentum_step",
    starter=("def my_momentum_step(w, grad, buf, lr, momentum):\n"
             "    ...  # your code here\n\n"
             "ch4.momentum_step.check(my_momentum_step)"),
)


# --------------------------------------------------------------------------- adam_step


def _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad  # first moment: average gradient
    v = beta2 * v + (1 - beta2) * grad**2  # second moment: average squared gradient
    m_hat = m / (1 - beta1**t)  # bias correction (m and v start at 0)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_variant(w, grad, m, v, t, lr, beta1, beta2, eps, *, correct=True, eps_inside=False,
                  shift=0, square=True):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * (grad**2 if square else np.abs(grad))
    m_hat = m / (1 - beta1 ** (t + shift)) if correct else m
    v_hat = v / (1 - beta2 ** (t + shift)) if correct else v
    scale = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    return w - lr * m_hat / scale, m, v


def _adam_lesson(case: Case, _expected, actual) -> str | None:
    t = case.args[4]
    if t == 1 and isinstance(actual, (tuple, list)) and actual:
        new_w = np.asarray(actual[0], dtype=float)
        if not np.all(np.isfinite(new_w)):
            return ("your first step gives NaN or infinity: t counts from 1, so the first step "
                    "divides by 1 − β₁¹ = 1 − β₁ (with t − 1 it divides 0 by 0).")
    return None


def _adam_cases() -> list[Case]:
    rng = np.random.default_rng(8)
    cases = []
    for n, t, lr in [(3, 1, 1e-3), (4, 2, 1e-2), (2, 10, 1e-1), (3, 1, 0.5), (5, 100, 1e-3)]:
        w, grad = np.round(rng.normal(size=n), 3), np.round(rng.normal(size=n) * 0.01, 5)
        if t == 1:
            m, v = np.zeros(n), np.zeros(n)  # the first step
        else:
            m = np.round(rng.normal(size=n) * 0.01, 5)
            v = np.round(rng.uniform(1e-6, 1e-4, size=n), 7)
        cases.append(Case((w, grad, m, v, t, lr, 0.9, 0.999, 1e-4)))
    return cases


adam_step = Exercise(
    "ch4.adam_step",
    statement=(
        "Write `my_adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)`: step `t` (counting from "
        "1) of **Adam**, as `torch.optim.Adam` takes it. Update the averages "
        "$m \\leftarrow \\beta_1 m + (1 - \\beta_1) g$ and "
        "$v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2$, correct their bias towards 0, "
        "$\\hat m = m / (1 - \\beta_1^t)$, $\\hat v = v / (1 - \\beta_2^t)$, and step "
        "$w \\leftarrow w - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\varepsilon)$. Return "
        "`(new_w, new_m, new_v)`."),
    checker=FunctionCheck(
        _adam_reference, _adam_cases,
        arg_names=("w", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps"),
        compare=_compare_pair(("new_w", "new_m", "new_v"), rtol=1e-7, atol=1e-12),
        mistakes=[
            Mistake(lambda *a: _adam_variant(*a, correct=False),
                    "you left out the bias correction: m and v start at 0, so in the first steps "
                    "they are far too small; divide them by 1 − β₁ᵗ and 1 − β₂ᵗ."),
            Mistake(lambda *a: _adam_variant(*a, eps_inside=True),
                    "ε goes outside the square root: √v̂ + ε (PyTorch's Adam)."),
            Mistake(lambda *a: _adam_variant(*a, shift=1),
                    "use β₁ᵗ with this step's t, not t + 1."),
            Mistake(lambda *a: _adam_variant(*a, square=False),
                    "v averages the *squared* gradients, g², so that √v̂ has the size of g."),
        ],
        diagnose=_adam_lesson,
        description="torch.optim.Adam's step"),
    hints=[
        "Four lines: m, v, the two bias corrections, then the step.",
        "m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t), with the new m and v.",
        "new_w = w - lr * m_hat / (np.sqrt(v_hat) + eps); return new_w, m, v (the uncorrected "
        "m and v: they are the state for the next step).",
    ],
    solution=("import numpy as np\n\n"
              "def my_adam_step(w, grad, m, v, t, lr, beta1, beta2, eps):\n"
              "    m = beta1 * m + (1 - beta1) * grad           # average gradient\n"
              "    v = beta2 * v + (1 - beta2) * grad**2        # average squared gradient\n"
              "    m_hat = m / (1 - beta1**t)                   # bias corrections\n"
              "    v_hat = v / (1 - beta2**t)\n"
              "    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n"),
    answer_name="my_adam_step",
    starter=("def my_adam_step(w, grad, m, v, t, lr, beta1, beta2, eps):\n"
             "    ...  # your code here\n\n"
             "ch4.adam_step.check(my_adam_step)"),
)


# --------------------------------------------------------------------------- cosine_schedule


def _cosine_reference(t, total, min_factor):
    from ..schedules import Cosine

    return Cosine(total, min_factor=min_factor)(t)


def _cosine_variant(t, total, min_factor, *, clamp=True, half=True, shift=True, scale=True):
    t = min(t, total) if clamp else t
    angle = math.pi * t / total if half else math.pi * t / (2 * total)
    wave = (1 + math.cos(angle)) / 2 if shift else math.cos(angle)
    return min_factor + (1 - min_factor) * wave if scale else min_factor + wave


cosine_schedule = Exercise(
    "ch4.cosine_schedule",
    statement=(
        "Write `my_cosine(t, total, min_factor)`: the factor of the learning rate at step `t` "
        "(from 0) of a **cosine schedule**. It falls along half a cosine from 1 at `t = 0` to "
        "`min_factor` at `t = total`, "
        "$f(t) = f_{\\min} + (1 - f_{\\min})\\,\\frac{1 + \\cos(\\pi t / T)}{2}$, and stays at "
        "`min_factor` after `total` steps."),
    checker=FunctionCheck(
        _cosine_reference,
        lambda: [Case((t, total, low)) for t, total, low in
                 [(0, 10, 0.0), (5, 10, 0.0), (3, 10, 0.1), (10, 10, 0.1), (15, 10, 0.0),
                  (7, 8, 0.05), (1, 4, 0.0), (40, 30, 0.2)]],
        arg_names=("t", "total", "min_factor"),
        compare=lambda e, a: compare_numbers(e, a, rtol=1e-9, atol=1e-12),
        mistakes=[
            Mistake(lambda t, T, f: _cosine_variant(t, T, f, shift=False),
                    "cos(πt/T) itself goes from 1 down to −1: shift and halve it, (1 + cos(πt/T)) "
                    "/ 2, which goes from 1 to 0."),
            Mistake(lambda t, T, f: _cosine_variant(t, T, f, half=False),
                    "that is a quarter of a cosine period: the angle must reach π at t = total, "
                    "πt/T, not πt/(2T)."),
            Mistake(lambda t, T, f: _cosine_variant(t, T, f, clamp=False),
                    "after `total` steps the cosine rises again; the schedule stays at min_factor: "
                    "use min(t, total)."),
            Mistake(lambda t, T, f: _cosine_variant(t, T, f, scale=False),
                    "the cosine part must be scaled by 1 − min_factor, so that f(0) = 1: "
                    "min_factor + (1 − min_factor) · (1 + cos(πt/T)) / 2."),
        ],
        description="half a cosine from 1 to min_factor"),
    hints=[
        "(1 + cos(x)) / 2 goes from 1 at x = 0 to 0 at x = π.",
        "Use x = π · min(t, total) / total.",
        "return min_factor + (1 - min_factor) * (1 + math.cos(math.pi * min(t, total) / total)) / 2",
    ],
    solution=("import math\n\n"
              "def my_cosine(t, total, min_factor):\n"
              "    t = min(t, total)                                   # flat after the end\n"
              "    wave = (1 + math.cos(math.pi * t / total)) / 2      # 1 -> 0\n"
              "    return min_factor + (1 - min_factor) * wave\n"),
    answer_name="my_cosine",
    starter=("def my_cosine(t, total, min_factor):\n"
             "    ...  # your code here\n\n"
             "ch4.cosine_schedule.check(my_cosine)"),
)


# --------------------------------------------------------------------------- log_uniform


def _log_uniform_reference(u, low, high):
    return low * (high / low) ** u


log_uniform = Exercise(
    "ch4.log_uniform",
    statement=(
        "Random search draws a learning rate on a **log scale**: every factor of ten between "
        "`low` and `high` equally likely (as many draws between 0.001 and 0.01 as between 0.01 "
        "and 0.1). Write `my_log_uniform(u, low, high)` that turns `u`, a numpy array of "
        "numbers drawn uniformly in [0, 1], into such values: `u = 0` gives `low`, `u = 1` "
        "gives `high`."),
    checker=FunctionCheck(
        _log_uniform_reference,
        lambda: [Case((np.array([0.0, 0.5, 1.0]), 1e-4, 1e-1)),
                 Case((np.array([0.25, 0.75]), 1e-3, 1.0)),
                 Case((np.linspace(0, 1, 5), 1e-5, 1e-1)),
                 Case((np.array([0.1, 0.9, 0.33]), 0.01, 10.0)),
                 Case((np.array([0.5]), 2.0, 8.0))],
        arg_names=("u", "low", "high"),
        compare=lambda e, a: compare_arrays(e, a, rtol=1e-9, atol=0.0),
        mistakes=[
            Mistake(lambda u, lo, hi: lo + (hi - lo) * u,
                    "that is uniform on a linear scale: 90% of the draws then land in the top "
                    "decade (between 0.01 and 0.1 for 1e-4 .. 0.1), and small learning rates "
                    "are hardly tried. Draw the *exponent* uniformly instead."),
            Mistake(lambda u, lo, hi: 10 ** (lo + (hi - lo) * u),
                    "low and high are the values themselves, not their exponents: use "
                    "log10(low) and log10(high)."),
            Mistake(lambda u, lo, hi: hi * (lo / hi) ** u,
                    "reversed: u = 0 must give low and u = 1 high."),
        ],
        description="low * (high / low) ** u"),
    hints=[
        "Draw the exponent uniformly: between log10(low) and log10(high).",
        "10 ** (log10(low) + u * (log10(high) - log10(low))).",
        "That is the same as low * (high / low) ** u.",
    ],
    solution=("import numpy as np\n\n"
              "def my_log_uniform(u, low, high):\n"
              "    exponent = np.log10(low) + u * (np.log10(high) - np.log10(low))\n"
              "    return 10.0 ** exponent             # = low * (high / low) ** u\n"),
    answer_name="my_log_uniform",
    starter=("def my_log_uniform(u, low, high):\n"
             "    ...  # your code here\n\n"
             "ch4.log_uniform.check(my_log_uniform)"),
)


# --------------------------------------------------------------------------- quiz


def _dropout_scale(p: float) -> float:
    """Return the factor by which inverted dropout scales a kept value in training."""
    return 1.0 / (1.0 - p)


QUIZ = (
    MultipleChoice(
        "You tried 20 learning rates and kept the one with the best accuracy on the test set. "
        "What does that test accuracy tell you about new data?",
        (
            Choice("It is too optimistic: the test set helped choose, so it no longer measures "
                   "the model honestly.",
                   "Yes: the best of 20 scores is partly luck on those test examples. Choose on a "
                   "validation split, then measure the chosen model once on the test set.",
                   correct=True),
            Choice("It is exact, since the test set was never used for training.",
                   "Choosing is a kind of training: the choice was fitted to the test examples."),
            Choice("It is too pessimistic.",
                   "Picking the maximum of noisy scores favours lucky ones: it errs upwards."),
        )),
    MultipleChoice(
        "After many epochs the training loss is near zero while the validation loss has been "
        "rising for a while. What is happening?",
        (
            Choice("Overfitting: the model learns its training examples by heart.",
                   "Yes: stop earlier (early stopping), regularise, or get more data.",
                   correct=True),
            Choice("Underfitting: the model is too small.",
                   "An underfitting model has a high *training* loss too."),
            Choice("The learning rate is too small.",
                   "A too-small learning rate keeps the training loss high, not near zero."),
        )),
    NumericQuestion(
        "With inverted dropout and p = 0.2, by what factor is a value that is kept multiplied "
        "during training?",
        answer=_dropout_scale(0.2),
        explanation="1 / (1 − p) = 1 / 0.8 = 1.25, so that the expected value stays x.",
        mistakes=((0.8, "That is the probability of keeping it, 1 − p; the scale is its "
                        "inverse."),
                  (5.0, "1 / p; divide by the probability of *keeping* the value, 1 − p."),
                  (0.2, "p is the probability of dropping a value.")),
        rtol=1e-6),
    MultipleChoice(
        "Which transformation keeps a handwritten 6 a 6?",
        (
            Choice("Shifting it one pixel to the right.",
                   "Yes: a digit's class does not depend on where exactly it sits.",
                   correct=True),
            Choice("Turning it upside down (a 180° rotation).",
                   "That makes it a 9: the label changes."),
            Choice("Mirroring it left-right.",
                   "A mirrored 6 is no digit at all (a few digits, 0, 1 and 8, survive a mirror)."),
        )),
    MultipleChoice(
        "Why is Adam with `weight_decay` (an L2 penalty) not the same as AdamW?",
        (
            Choice("Adam divides the penalty's gradient by the size of each weight's recent "
                   "gradients, so weights with large gradients are hardly decayed.",
                   "Yes: AdamW subtracts ηλw directly, the same fraction for every weight.",
                   correct=True),
            Choice("AdamW uses a larger learning rate.",
                   "Both use the same η; the difference is where the decay enters."),
            Choice("They are the same; AdamW is only a faster implementation.",
                   "They differ for every weight whose gradients are not of size 1."),
        )),
    MultipleChoice(
        "Why start a training run with a few steps of learning-rate **warm-up**?",
        (
            Choice("The first gradients come from random weights; full-size steps then can throw "
                   "the network far off before it has learned anything.",
                   "Yes: a short linear ramp keeps the first updates small (and gives Adam's "
                   "averages time to fill).", correct=True),
            Choice("A small learning rate is always better, so the run should start with one.",
                   "Then it would stay small; warm-up rises to the full rate after a few steps."),
            Choice("It replaces the range test.",
                   "Warm-up shapes the start of a run; the base rate still has to be chosen."),
        )),
    MultipleChoice(
        "With a budget of 9 training runs and two hyperparameters, of which only the learning "
        "rate matters much, why does random search usually beat a 3 × 3 grid?",
        (
            Choice("It tries 9 different learning rates, the grid only 3.",
                   "Yes: the grid spends its runs repeating the same 3 learning rates with "
                   "another value of the hyperparameter that hardly matters.", correct=True),
            Choice("Random numbers train networks better.",
                   "The runs are the same; only the settings tried differ."),
            Choice("It uses the test set.",
                   "No search may use the test set: both choose on validation."),
        )),
    MultipleChoice(
        "You have 10 labelled images per class and a network pretrained on another task. Which "
        "is the cheapest way to use its features?",
        (
            Choice("Freeze them and train a linear classifier on top (a linear probe).",
                   "Yes: the features are computed once and only one layer learns; fine-tuning "
                   "can do better but trains the whole network.", correct=True),
            Choice("Train the same network from scratch.",
                   "That ignores the pretrained features altogether."),
            Choice("Fine-tune all the layers with a large learning rate.",
                   "Costly, and a large learning rate destroys the features it started from."),
        )),
    NumericQuestion(
        "Early stopping with patience 3 sees these validation losses after epochs 1, 2, 3, ...: "
        "0.9, 0.6, 0.5, 0.55, 0.52, 0.51, 0.6. After which epoch does training stop?",
        answer=float(_stop_reference([0.9, 0.6, 0.5, 0.55, 0.52, 0.51, 0.6], 3)),
        explanation="The best loss, 0.5, is at epoch 3; epochs 4, 5 and 6 do not beat it, so "
                    "training stops after epoch 6 (and keeps the weights of epoch 3).",
        mistakes=((3.0, "Epoch 3 is the best epoch, whose weights are kept; training goes on "
                        "for `patience` more epochs to be sure."),
                  (4.0, "0.55 is worse than the previous loss but that alone does not stop "
                        "training: it waits 3 epochs without beating the best, 0.5."),
                  (7.0, "It stops as soon as 3 epochs have passed since the best one.")),
        rtol=1e-9),
)
"""The chapter's end-of-chapter quiz questions."""


def quiz() -> Quiz:
    """Show the chapter 4 quiz as a widget (CSS class ``course-quiz``)."""
    return quiz_widget("Chapter 4, training that generalises", QUIZ)

