"""Tests of chapter 4's exercises: each reference is confirmed with an independent one (PyTorch's
optimisers and dropout, the course's augmentation and early-stopping rule checked elsewhere), every
valid answer is accepted (a split by groups has many), and each realistic wrong answer gets its own
lesson. (The checks every exercise passes, solution, starter, hints, are in test_exercises.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.augmentation import shift
from course_lib.exercises import ch4
from course_lib.regularisation import dropout
from course_lib.validation import early_stopping_epoch


def assert_fails(ex, answer, *fragments: str):
    feedback = ex.evaluate(answer)
    assert feedback.status == "incorrect", feedback.text
    assert not feedback, feedback.text
    for fragment in fragments:
        assert fragment in feedback.text, feedback.text
    return feedback


# --------------------------------------------------------------------------- group_split


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_group_split_accepts_any_split_by_whole_groups(seed):
    def my_split(groups, val_fraction):
        unique = np.unique(groups)
        chosen = np.random.default_rng(seed).permutation(unique)[:round(val_fraction * len(unique))]
        return np.isin(groups, chosen)

    assert ch4.group_split.evaluate(my_split)
    assert ch4.group_split.evaluate(lambda g, f: torch.from_numpy(my_split(g, f)))  # a tensor too


def test_group_split_catches_leakage_indices_and_the_wrong_count():
    assert_fails(ch4.group_split, lambda g, f: np.random.default_rng(0).random(len(g)) < f,
                 "leakage", "both sides")
    assert_fails(ch4.group_split, lambda g, f: np.arange(len(g)) < int(f * len(g)), "leakage")

    def indices(groups, f):
        unique = np.unique(groups)
        return np.flatnonzero(np.isin(groups, unique[:round(f * len(unique))]))

    assert_fails(ch4.group_split, indices, "boolean mask", "not the indices")

    def share_of_examples(groups, f):
        mask = np.zeros(len(groups), dtype=bool)
        for group in np.random.default_rng(0).permutation(np.unique(groups)):
            if mask.mean() >= f:
                break
            mask |= groups == group
        return mask

    assert_fails(ch4.group_split, share_of_examples, "share of the *groups*")
    assert_fails(ch4.group_split, lambda g, _f: np.zeros(len(g), dtype=bool), "groups for validation")
    assert_fails(ch4.group_split, lambda g, _f: np.isin(g, np.unique(g)[:2]).astype(int), "boolean")


def test_group_split_cases_have_uneven_groups_and_no_half_rounding():
    for case in ch4._group_split_cases():
        groups, fraction = case.args
        sizes = np.bincount(groups - groups.min())
        assert len(set(sizes[sizes > 0])) > 1  # the share of examples differs from that of groups
        assert (fraction * len(np.unique(groups))) % 1 != 0.5


# --------------------------------------------------------------------------- dropout


def test_dropout_reference_is_the_course_dropout_and_torch():
    for case in ch4._dropout_cases():
        x, mask, p, training = case.args
        expected = ch4._dropout_reference(x, mask, p, training)
        ours = dropout(torch.from_numpy(x), p, training=training, mask=torch.from_numpy(mask))
        np.testing.assert_allclose(expected, ours.numpy(), rtol=1e-12)
    x = torch.randn(50, dtype=torch.float64)
    torch.manual_seed(3)
    expected = nn.Dropout(0.4)(x)
    torch.manual_seed(3)
    mask = torch.empty_like(x).bernoulli_(0.6)
    np.testing.assert_allclose(ch4._dropout_reference(x.numpy(), mask.numpy(), 0.4, True),
                               expected.numpy(), rtol=1e-12)


def test_dropout_catches_each_mistake():
    assert_fails(ch4.dropout, lambda x, m, _p, t: x * m if t else x, "did not scale")
    assert_fails(ch4.dropout, lambda x, m, p, t: x * m / p if t else x, "not by p")
    assert_fails(ch4.dropout, lambda x, m, p, t: x * m * (1 - p) if t else x, "shrinks the values")
    assert_fails(ch4.dropout, lambda x, m, p, _t: x * m / (1 - p), "evaluation mode")
    assert_fails(ch4.dropout, lambda x, m, p, t: x * m / (1 - p) if t else x * (1 - p),
                 "original dropout of 2014")
    assert_fails(ch4.dropout, lambda x, m, p, t: x * (1 - m) / (1 - p) if t else x, "1 − mask")
    assert ch4.dropout.evaluate(lambda x, m, p, t: np.where(m > 0, x / (1 - p), 0.0) if t else x)


# --------------------------------------------------------------------------- shift


def test_shift_reference_is_the_course_shift():
    for case in ch4._shift_cases():
        images, dy, dx = case.args
        np.testing.assert_array_equal(ch4._shift_reference(images, dy, dx),
                                      shift(torch.from_numpy(images), dy, dx).numpy())


def test_shift_catches_roll_swapped_axes_and_the_wrong_direction():
    assert_fails(ch4.shift, lambda im, dy, dx: np.roll(im, (dy, dx), axis=(-2, -1)), "wraps around")
    assert_fails(ch4.shift, lambda im, dy, dx: ch4._shift_reference(im, dx, dy), "swapped")
    assert_fails(ch4.shift, lambda im, dy, dx: ch4._shift_reference(im, -dy, -dx), "wrong direction")
    assert_fails(ch4.shift, lambda im, _dy, _dx: im, "expected")  # no lesson fits: the values differ

    def padded(images, dy, dx):  # a correct answer written another way
        h, w = images.shape[-2:]
        big = np.pad(images, ((0, 0), (0, 0), (h, h), (w, w)))
        return big[..., h - dy:2 * h - dy, w - dx:2 * w - dx]

    assert ch4.shift.evaluate(padded)


# --------------------------------------------------------------------------- early_stopping


def test_early_stopping_reference_is_the_course_rule():
    for case in ch4._early_stopping_cases():
        losses, patience = case.args
        assert ch4._stop_reference(losses, patience) == early_stopping_epoch(losses, patience=patience)


def test_early_stopping_catches_each_mistake():
    assert_fails(ch4.early_stopping, ch4._stop_against_previous, "*best* loss so far")
    assert_fails(ch4.early_stopping, lambda v, p: ch4._stop_shifted(v, p, 1), "not patience + 1")
    assert_fails(ch4.early_stopping, lambda v, p: ch4._stop_shifted(v, p, -1), "full epochs")
    assert_fails(ch4.early_stopping, ch4._stop_ties_improve, "use <, not <=")
    assert_fails(ch4.early_stopping, lambda v, p: float(ch4._stop_reference(v, p)), "whole number")
    assert_fails(ch4.early_stopping, lambda v, _p: int(np.argmin(v)) + 1, "expected")


# --------------------------------------------------------------------------- momentum_step


def test_momentum_reference_is_torch_sgd():
    for case in ch4._momentum_cases():
        w, grad, buf, lr, momentum = case.args
        weight = torch.tensor(w, requires_grad=True)
        optimizer = torch.optim.SGD([weight], lr=lr, momentum=momentum)
        optimizer.state[weight]["momentum_buffer"] = torch.tensor(buf)
        weight.grad = torch.tensor(grad)
        optimizer.step()
        new_w, new_buf = ch4._momentum_reference(w, grad, buf, lr, momentum)
        np.testing.assert_allclose(new_w, weight.detach().numpy(), rtol=1e-12)
        if momentum > 0:  # with momentum 0 PyTorch keeps no buffer (and ours is just grad)
            np.testing.assert_allclose(new_buf, optimizer.state[weight]["momentum_buffer"].numpy(),
                                       rtol=1e-12)


def test_momentum_step_catches_each_mistake():
    assert_fails(ch4.momentum_step, lambda w, g, b, lr, m: (w - lr * g, m * b + g), "plain SGD")
    assert_fails(ch4.momentum_step, lambda w, g, b, lr, m: (w - lr * (m * b + g), b),
                 "updated buffer too")
    assert_fails(ch4.momentum_step, lambda w, g, b, lr, m: (w - lr * b, m * b + g),
                 "update the buffer first")
    assert_fails(ch4.momentum_step, lambda w, g, b, lr, m: (w + lr * (m * b + g), m * b + g),
                 "wrong sign")
    assert_fails(ch4.momentum_step, lambda w, g, b, lr, m: (w - lr * (m * b + (1 - m) * g),
                                                            m * b + (1 - m) * g), "dampening")
    assert_fails(ch4.momentum_step, lambda w, g, b, lr, m: (w + m * b - lr * g, m * b - lr * g),
                 "other common convention")
    assert_fails(ch4.momentum_step, lambda w, g, b, lr, m: w - lr * (m * b + g), "a tuple")


# --------------------------------------------------------------------------- adam_step


def test_adam_reference_is_torch_adam_over_several_steps():
    rng = np.random.default_rng(0)
    w = rng.normal(size=4)
    weight = torch.tensor(w, requires_grad=True)
    optimizer = torch.optim.Adam([weight], lr=0.01, betas=(0.9, 0.99), eps=1e-6)
    m, v = np.zeros(4), np.zeros(4)
    for t in range(1, 6):
        grad = rng.normal(size=4)
        weight.grad = torch.tensor(grad)
        optimizer.step()
        w, m, v = ch4._adam_reference(w, grad, m, v, t, 0.01, 0.9, 0.99, 1e-6)
        np.testing.assert_allclose(w, weight.detach().numpy(), rtol=1e-10)
        state = optimizer.state[weight]
        np.testing.assert_allclose(m, state["exp_avg"].numpy(), rtol=1e-12)
        np.testing.assert_allclose(v, state["exp_avg_sq"].numpy(), rtol=1e-12)


def test_adam_step_catches_each_mistake():
    variant = ch4._adam_variant
    assert_fails(ch4.adam_step, lambda *a: variant(*a, correct=False), "bias correction")
    assert_fails(ch4.adam_step, lambda *a: variant(*a, eps_inside=True), "outside the square root")
    assert_fails(ch4.adam_step, lambda *a: variant(*a, shift=-1), "t counts from 1")
    assert_fails(ch4.adam_step, lambda *a: variant(*a, shift=1), "not t + 1")
    assert_fails(ch4.adam_step, lambda *a: variant(*a, square=False), "*squared* gradients")

    def corrected_state(w, g, m, v, t, lr, b1, b2, eps):  # returns m_hat and v_hat as the state
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat

    assert_fails(ch4.adam_step, corrected_state, "new_m")


# --------------------------------------------------------------------------- cosine_schedule


def test_cosine_reference_is_torch_cosine_annealing_up_to_total():
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=12, eta_min=0.5 * 0.1)
    for t in range(13):
        assert ch4._cosine_reference(t, 12, 0.1) * 0.5 == pytest.approx(
            optimizer.param_groups[0]["lr"], rel=1e-9)
        optimizer.step()
        scheduler.step()
    assert ch4._cosine_reference(20, 12, 0.1) == pytest.approx(0.1)  # stays at the bottom


def test_cosine_schedule_catches_each_mistake():
    variant = ch4._cosine_variant
    assert_fails(ch4.cosine_schedule, lambda t, T, f: variant(t, T, f, shift=False), "(1 + cos(πt/T))")
    assert_fails(ch4.cosine_schedule, lambda t, T, f: variant(t, T, f, half=False), "quarter")
    assert_fails(ch4.cosine_schedule, lambda t, T, f: variant(t, T, f, clamp=False), "min(t, total)")
    assert_fails(ch4.cosine_schedule, lambda t, T, f: variant(t, T, f, scale=False), "1 − min_factor")
    assert ch4.cosine_schedule.evaluate(
        lambda t, T, f: f + (1 - f) * (0.5 + 0.5 * np.cos(np.pi * min(t, T) / T)))


# --------------------------------------------------------------------------- log_uniform


def test_log_uniform_gives_each_decade_the_same_share():
    u = np.random.default_rng(0).random(100_000)
    values = ch4._log_uniform_reference(u, 1e-4, 1e-1)
    shares = np.histogram(np.log10(values), bins=[-4, -3, -2, -1])[0] / len(u)
    np.testing.assert_allclose(shares, 1 / 3, atol=0.01)


def test_log_uniform_catches_each_mistake():
    assert_fails(ch4.log_uniform, lambda u, lo, hi: lo + (hi - lo) * u, "linear scale")
    assert_fails(ch4.log_uniform, lambda u, lo, hi: 10 ** (lo + (hi - lo) * u), "exponents")
    assert_fails(ch4.log_uniform, lambda u, lo, hi: hi * (lo / hi) ** u, "reversed")
    assert ch4.log_uniform.evaluate(lambda u, lo, hi: np.exp(np.log(lo) + u * np.log(hi / lo)))


# --------------------------------------------------------------------------- quiz


def test_quiz_answers_are_computed():
    question = next(q for q in ch4.QUIZ if "patience 3" in q.prompt)
    losses = [0.9, 0.6, 0.5, 0.55, 0.52, 0.51, 0.6]
    assert question.answer == early_stopping_epoch(losses, patience=3) == 6
    scale = next(q for q in ch4.QUIZ if "p = 0.2" in q.prompt)
    torch.manual_seed(0)
    out = nn.Dropout(0.2)(torch.ones(1000))
    assert scale.answer == pytest.approx(float(out[out > 0][0]))


# --------------------------------------------------------------------------- the notebook


def test_the_notebook_shows_each_exercise_as_the_library_writes_it():
    """Statement and starter are written once, in the library, and copied verbatim into chapter 4."""
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "04_training_part_2.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    exercises = [ch4.group_split, ch4.momentum_step, ch4.adam_step, ch4.cosine_schedule, ch4.dropout,
                 ch4.shift, ch4.early_stopping, ch4.log_uniform]
    for ex in exercises:
        found = [i for i, cell in enumerate(cells)
                 if "exercise-statement" in cell.metadata.get("tags", [])
                 and cell.source.startswith(f"**Exercise `{ex.name}`.** ")]
        assert len(found) == 1, ex.name
        statement, answer, solution = cells[found[0]:found[0] + 3]
        assert statement.source == (f"**Exercise `{ex.name}`.** {ex.statement}\n\nWrite your answer in "
                                    f"the next cell and run it. Stuck? `{ex.name}.hint()` gives a hint "
                                    "(call it again for the next one); "
                                    f"`{ex.name}.solution()` shows a solution.")
        assert answer.metadata["tags"] == ["exercise"]
        assert answer.source == ex.starter
        assert solution.metadata["tags"] == ["solution"]
        assert solution.source == f"{ex.name}.solution()"
    checked = sum(cell.source.count(".check(") for cell in cells if cell.cell_type == "code")
    assert checked == len(exercises)
    assert any(cell.source == "ch4.quiz()" and "quiz" in cell.metadata.get("tags", []) for cell in cells)
