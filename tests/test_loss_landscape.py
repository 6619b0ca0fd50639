"""Gradient descent on a linear model: the loss surface and the path down it."""

import numpy as np
import pytest

from course_lib.loss_landscape import descent_path, linear_loss_surface


def test_linear_loss_surface_matches_direct_formula():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    w1, w2 = np.linspace(-1, 1, 5), np.linspace(-2, 2, 3)
    surface = linear_loss_surface(x, y, w1, w2)
    assert surface.shape == (3, 5)
    assert surface[2, 1] == pytest.approx(0.5 * np.mean((x @ [w1[1], w2[2]] - y) ** 2))


def test_descent_path_reaches_least_squares_solution():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 2))
    y = x @ np.array([1.0, -2.0])
    path = descent_path(x, y, lr=0.5, steps=200)
    np.testing.assert_allclose(path[-1], [1.0, -2.0], atol=1e-6)
    stochastic = descent_path(x, y, lr=0.1, steps=500, batch_size=1)
    np.testing.assert_allclose(stochastic[-1], [1.0, -2.0], atol=1e-3)
    # one-sample updates move w along that sample: positive inputs move both weights together
    positive = np.abs(x)
    steps = np.diff(descent_path(positive, positive @ [1.0, -1.0], lr=0.1, steps=50,
                                 batch_size=1), axis=0)
    assert np.all(np.sign(steps[:, 0]) == np.sign(steps[:, 1]))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: linear_loss_surface(np.ones((3, 3)), np.ones(3), [0.0], [0.0]), r"`x` must have shape \(N, 2\)"),
    (lambda: descent_path(np.ones((3, 2)), np.ones(4), lr=0.1, steps=2), "same number of samples"),
    (lambda: descent_path(np.ones((3, 2)), np.ones(3), lr=0.1, steps=2, w0=[0.0]), "`w0` must have 2"),
    (lambda: descent_path(np.ones((3, 2)), np.ones(3), lr=0.0, steps=2), "`lr`"),
    (lambda: descent_path(np.ones((3, 2)), np.ones(3), lr=0.1, steps=2, batch_size=4), "`batch_size`"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
