"""Optimisers' paths on 2-D surfaces: against closed forms (gradient descent on a quadratic is
w_t = (I - lr H)^t w_0), recurrences written in NumPy, and torch.optim; the plot and its alt text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex

from course_lib.loss_surfaces import (
    PATH_COLOURS,
    Surface,
    describe_paths,
    draw_paths,
    optimizer_path,
    path_outcome,
    plot_paths,
    quadratic,
    rosenbrock,
)

BOWLS = [quadratic((1.0, 20.0)), quadratic((2.0, 7.0), angle=30.0, start=(3.0, -2.0)),
         quadratic((0.5, 50.0), angle=-70.0)]


def rotated_hessian(h1, h2, degrees):
    t = np.radians(degrees)
    r = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return r @ np.diag([h1, h2]) @ r.T


def test_quadratic_is_half_w_h_w_with_the_rotated_hessian():
    bowl = quadratic((2.0, 7.0), angle=30.0)
    hessian = rotated_hessian(2.0, 7.0, 30.0)
    np.testing.assert_allclose(bowl.hessian, hessian, rtol=1e-15)
    points = np.random.default_rng(0).normal(size=(10, 2))
    expected = 0.5 * np.einsum("ni,ij,nj->n", points, hessian, points)
    np.testing.assert_allclose(bowl(points), expected, rtol=1e-13)
    assert np.linalg.eigvalsh(bowl.hessian) == pytest.approx([2.0, 7.0])


@pytest.mark.parametrize("bowl", BOWLS, ids=lambda b: b.name)
def test_sgd_on_a_quadratic_follows_the_closed_form(bowl):
    lr = 1.5 / max(np.linalg.eigvalsh(bowl.hessian))  # zig-zags across the narrow direction
    path = optimizer_path(bowl, "sgd", lr=lr, steps=60)
    step = np.eye(2) - lr * bowl.hessian
    expected = np.array([np.linalg.matrix_power(step, t) @ np.array(bowl.start) for t in range(61)])
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_on_a_quadratic_follows_its_recurrence(nesterov):
    bowl = BOWLS[1]
    lr, mu, hessian = 0.05, 0.8, bowl.hessian
    w, b = np.array(bowl.start), np.zeros(2)
    expected = [w]
    for _ in range(80):
        g = hessian @ w
        b = mu * b + g  # b starts at 0, so the first buffer is g
        w = w - lr * (g + mu * b if nesterov else b)
        expected.append(w)
    path = optimizer_path(bowl, "sgd", lr=lr, momentum=mu, nesterov=nesterov, steps=80)
    np.testing.assert_allclose(path, np.array(expected), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("name", "cls", "settings"), [
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.05, "alpha": 0.9}),
    ("adam", torch.optim.Adam, {"lr": 0.2, "betas": (0.8, 0.99)}),
    ("adamw", torch.optim.AdamW, {"lr": 0.2, "weight_decay": 0.1}),
    ("sgd", torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
])
def test_paths_equal_torch_optims_paths(name, cls, settings):
    for surface in (BOWLS[2], rosenbrock()):
        ours = optimizer_path(surface, name, steps=200, **settings)
        theirs = optimizer_path(surface, cls, steps=200, **settings)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
        assert np.all(np.isfinite(ours))


def test_rosenbrock_against_its_formula_and_gradient():
    valley = rosenbrock(a=1.5, b=20.0)
    x, y = np.random.default_rng(1).normal(size=(2, 12))
    points = np.stack([x, y], axis=-1)
    np.testing.assert_allclose(valley(points), (1.5 - x) ** 2 + 20 * (y - x ** 2) ** 2, rtol=1e-13)
    w = torch.tensor(valley.minimum, dtype=torch.float64, requires_grad=True)
    valley.loss(w).backward()
    assert valley.minimum == (1.5, 2.25)
    assert float(valley(valley.minimum)) == 0.0
    assert torch.all(w.grad == 0)


def test_grid_rows_follow_w2():
    valley = rosenbrock()
    w1, w2, loss = valley.grid(size=7)
    assert loss.shape == (7, 7)
    assert loss[2, 5] == float(valley([w1[5], w2[2]]))


def test_sgd_converges_below_2_over_h_and_diverges_above():
    bowl = quadratic((1.0, 20.0))
    assert path_outcome(bowl, optimizer_path(bowl, "sgd", lr=0.095, steps=500)).startswith(
        "after 500 steps, loss")
    diverging = optimizer_path(bowl, "sgd", lr=0.105, steps=500)
    assert path_outcome(bowl, diverging).startswith("diverged: left the plotted area at step ")
    overflowing = optimizer_path(bowl, "sgd", lr=1.0, steps=500)
    outcome = path_outcome(bowl, overflowing)
    assert outcome.startswith("diverged: left the plotted area at step 1 and overflowed at step ")
    overflow = int(outcome.rsplit(" ", 1)[1])
    assert np.all(np.isfinite(overflowing[:overflow]))
    assert np.all(np.isnan(overflowing[overflow:]))
    # w2 grows by |1 - 20| = 19 a step: the loss 0.5 * 20 * 19**(2t) = 10 * 361**t passes
    # float64's largest number, 1.8e308, first at t = 121
    assert 1 + 120 * np.log10(361) < np.log10(np.finfo(float).max) < 1 + 121 * np.log10(361)
    assert overflow == 121


def test_outcome_of_paths_that_start_or_end_outside_the_plot():
    bowl = quadratic((1.0, 20.0))  # plotted over (-5, 5) x (-1.3, 1.3)
    assert path_outcome(bowl, [[9.0, 0.0], [8.0, 0.0]]) == (
        "after 1 steps, loss 32 and 8 from the minimum (outside the plotted area)")
    assert path_outcome(bowl, [[9.0, 0.0], [10.0, 0.0]]) == (
        "diverged: started outside the plotted area; loss 50 after 1 steps")
    assert path_outcome(bowl, [[4.0, 1.2], [6.0, 0.0], [5.5, 0.0]]) == (
        "after 2 steps, loss 15 and 5.5 from the minimum (outside the plotted area since step 1)")
    assert path_outcome(bowl, [[1.0, 0.0], [2.0, 0.0], [np.inf, 0.0]]) == (
        "diverged: overflowed at step 2")


def test_momentum_crosses_the_narrow_bowl_faster_than_sgd_at_the_same_budget():
    """The picture the chapter draws: with the largest stable learning rate, SGD crawls along the
    flat direction; heavy-ball momentum gets much closer in the same steps."""
    bowl = quadratic((1.0, 20.0))
    sgd = optimizer_path(bowl, "sgd", lr=0.09, steps=50)
    momentum = optimizer_path(bowl, "sgd", lr=0.09, momentum=0.6, steps=50)
    assert bowl(momentum[-1]) < 0.01 * bowl(sgd[-1])


def test_plot_paths_titles_labels_colours_and_alt_text():
    bowl = quadratic((1.0, 20.0))
    paths = {"SGD": optimizer_path(bowl, "sgd", lr=0.09, steps=30),
             "Adam": optimizer_path(bowl, "adam", lr=0.3, steps=30),
             "diverging": optimizer_path(bowl, "sgd", lr=0.2, steps=30)}
    fig = plot_paths(bowl, paths)
    ax = fig.axes[0]
    assert ax.get_title() == bowl.name
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("weight $w_1$", "weight $w_2$")
    assert (ax.get_xlim(), ax.get_ylim()) == (bowl.xlim, bowl.ylim)
    lines = {line.get_label(): line for line in ax.get_lines()}
    for i, label in enumerate(paths):
        assert to_hex(lines[label].get_color()).upper() == PATH_COLOURS[i]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["minimum", "start", *paths]
    alt = describe_paths(bowl, paths)
    assert "SGD (orange, solid): after 30 steps" in alt
    assert "Adam (blue, dashed): after 30 steps" in alt
    assert "diverging (green, dash-dotted): diverged" in alt
    plt.close(fig)


def test_contour_levels_rise_geometrically():
    fig, ax = plt.subplots()
    draw_paths(ax, rosenbrock(), {"x": np.array([[0.0, 0.0]])}, levels=9)
    levels = ax.collections[0].levels
    ratios = levels[1:] / levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    assert len(levels) == 9
    assert ratios[0] > 1
    plt.close(fig)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: quadratic((1.0, -2.0)), "`curvatures` must both be positive"),
    (lambda: quadratic(3.0), "`curvatures` must be a pair of numbers"),
    (lambda: quadratic(angle="45"), "`angle` must be a real number"),
    (lambda: rosenbrock(b=0.0), "`b` must be positive; got 0.0."),
    (lambda: rosenbrock(start=(1.0, float("nan"))), "`start` must be finite"),
    (lambda: optimizer_path("bowl", "sgd", lr=0.1), "`surface` must be a Surface"),
    (lambda: optimizer_path(BOWLS[0], "SGD", lr=0.1), "`optimizer` must be one of 'sgd'"),
    (lambda: optimizer_path(BOWLS[0], torch.nn.Linear, lr=0.1), "`optimizer` must be a name"),
    (lambda: optimizer_path(BOWLS[0], "sgd", lr=-0.1), "`lr` must be at least 0.0"),
    (lambda: optimizer_path(BOWLS[0], "adam", lr=0.1, momentum=0.9),
     "`momentum` is not a setting of Adam"),
    (lambda: optimizer_path(BOWLS[0], "sgd", lr=0.1, steps=0), "`steps` must be at least 1"),
    (lambda: optimizer_path(BOWLS[0], "sgd", lr=0.1, start=(1.0,)), "`start` must be a pair"),
    (lambda: BOWLS[0]([1.0, 2.0, 3.0]), "`points` must have shape (..., 2)"),
    (lambda: describe_paths(BOWLS[0], {}), "`paths` must be a non-empty dict"),
    (lambda: path_outcome(BOWLS[0], np.ones((1, 1))), "`path` must be an array of shape"),
    (lambda: path_outcome(BOWLS[0], [[np.nan, 0.0]]), "`path` must start at a finite point"),
    (lambda: path_outcome(None, np.ones((1, 2))), "`surface` must be a Surface"),
    (lambda: describe_paths(BOWLS[0], {"a": np.ones(3)}), "`paths` must map each label"),
    (lambda: describe_paths(BOWLS[0], {str(i): np.ones((2, 2)) for i in range(8)}),
     "`paths` may hold at most 7 paths"),
    (lambda: plot_paths(BOWLS[0], {"a": np.ones((2, 2))}, figsize=(0, 3)),
     "`figsize` must be positive"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError)) as caught:
        call()
    assert message in str(caught.value)


def test_surface_prints_without_its_function():
    assert "function" not in repr(rosenbrock())
    assert "0x" not in repr(rosenbrock())
    assert isinstance(BOWLS[0], Surface)
