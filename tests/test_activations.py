"""Activations: values against scipy/torch, derivatives against torch autograd, stability."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special

from course_lib import activations as A

X = np.linspace(-12.0, 12.0, 241)
PARAMS = {"leaky_relu": {"slope": 0.01}, "elu": {"alpha": 1.0}}


def torch_reference(name, t):
    return {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda v: torch.nn.functional.leaky_relu(v, 0.01),
        "elu": torch.nn.functional.elu,
        "gelu": torch.nn.functional.gelu,
    }[name](t)


def autograd_derivative(name, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch_reference(name, t).sum().backward()
    return t.grad.numpy()


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_values_match_torch(name):
    act = A.get_activation(name)
    expected = torch_reference(name, torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(act.function(X), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_derivatives_match_autograd(name):
    act = A.get_activation(name)
    np.testing.assert_allclose(act.derivative(X), autograd_derivative(name, X),
                               rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_derivative_at_kinks_follows_torch(name):
    x = np.array([0.0, -0.0])
    np.testing.assert_array_equal(A.get_activation(name).derivative(x),
                                  autograd_derivative(name, x))


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_module_matches_numpy(name):
    act = A.get_activation(name)
    module = A.activation_module(name).double()
    out = module(torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(out, act.function(X), rtol=1e-12, atol=1e-15)


def test_sigmoid_matches_scipy_expit_and_has_open_range():
    np.testing.assert_allclose(A.sigmoid(X), special.expit(X), rtol=1e-15)
    inner = A.sigmoid(np.linspace(-30, 30, 61))
    assert np.all(inner > 0)
    assert np.all(inner < 1)


def test_notes_values_at_plus_minus_ten():
    # the notes claim sigma(10) ~ 0 and a gradient of exactly 0: both wrong
    assert A.sigmoid(10.0) == pytest.approx(1 / (1 + np.exp(-10.0)), rel=1e-15)
    assert A.sigmoid(10.0) > 0.9999
    assert A.sigmoid(-10.0) == pytest.approx(4.5397868702434395e-05, rel=1e-12)
    assert A.sigmoid_grad(10.0) == pytest.approx(4.5395807735951673e-05, rel=1e-12)
    assert A.sigmoid_grad(-10.0) == A.sigmoid_grad(10.0)
    assert A.sigmoid_grad(0.0) == 0.25


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_extremes_raise_no_warning(name):
    act = A.get_activation(name)
    x = np.array([-1000.0, -745.0, 745.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, grads = act.function(x), act.derivative(x)
    assert np.all(np.isfinite(values))
    assert np.all(np.isfinite(grads))


def test_sigmoid_extremes_are_exact():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert A.sigmoid(-1000) == 0.0
        assert A.sigmoid(1000) == 1.0
        assert A.sigmoid_grad(1000) == 0.0
        assert A.tanh_grad(1000) == 0.0


def test_sigmoid_grad_keeps_precision_far_out():
    # sigma'(x) = e^-x / (1 + e^-x)^2 ~ e^-x for large x; 1 - sigma(x) would lose all digits
    assert A.sigmoid_grad(40.0) == pytest.approx(np.exp(-40.0), rel=1e-12)
    assert A.tanh_grad(20.0) == pytest.approx(4 * np.exp(-40.0), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-50, 50)))
def test_sigmoid_identities(x):
    s = A.sigmoid(x)
    np.testing.assert_allclose(s + A.sigmoid(-x), 1.0, rtol=1e-12)
    np.testing.assert_allclose(A.tanh(x), 2 * A.sigmoid(2 * x) - 1, atol=1e-12)
    assert np.all(A.sigmoid_grad(x) <= 0.25)


def test_gelu_tanh_approximation_matches_torch():
    t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.gelu(t, approximate="tanh").sum().backward()
    np.testing.assert_allclose(A.gelu(X, approximate="tanh"),
                               torch.nn.functional.gelu(t, approximate="tanh").detach().numpy(),
                               rtol=1e-12, atol=1e-15)
    # both lose a few digits to cancellation in 1 + tanh(...) far left, hence the atol
    np.testing.assert_allclose(A.gelu_grad(X, approximate="tanh"), t.grad.numpy(),
                               rtol=1e-9, atol=1e-13)


def test_leaky_relu_and_elu_parameters_match_torch():
    t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.leaky_relu(t, 0.2).sum().backward()
    np.testing.assert_allclose(A.leaky_relu_grad(X, slope=0.2), t.grad.numpy())
    t2 = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.elu(t2, alpha=0.5)
    out.sum().backward()
    np.testing.assert_allclose(A.elu(X, alpha=0.5), out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(A.elu_grad(X, alpha=0.5), t2.grad.numpy(), rtol=1e-12)


def test_softmax_matches_torch_and_is_stable():
    scores = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]])
    np.testing.assert_allclose(A.softmax(scores),
                               torch.softmax(torch.tensor(scores), dim=-1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(A.softmax(scores, axis=0).sum(axis=0), 1.0)


def test_softmax_jacobian_matches_autograd():
    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    expected = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), x).numpy()
    np.testing.assert_allclose(A.softmax_jacobian(x.numpy()), expected, rtol=1e-12, atol=1e-15)


def test_scalar_input_gives_scalar_and_tensor_input_works():
    assert np.ndim(A.relu(2.0)) == 0
    np.testing.assert_array_equal(A.relu(torch.tensor([-1.0, 1.0])), [0.0, 1.0])


def test_chain_gradient_is_product_of_local_derivatives():
    values, grads = A.chain_gradient("sigmoid", np.array([0.0, 2.0]), depth=4)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    h = t
    for _ in range(4):
        h = torch.sigmoid(h)
    h.sum().backward()
    np.testing.assert_allclose(grads[-1], t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(values[-1], h.detach().numpy(), rtol=1e-12)
    assert np.all(np.diff(grads[:, 0]) < 0)  # sigmoid: the gradient shrinks at every layer
    _, relu_grads = A.chain_gradient("relu", 1.0, depth=50)
    assert relu_grads[-1] == 1.0


def test_dead_relu_fraction():
    z = np.array([[-1.0, 2.0, 0.0], [-3.0, -1.0, 0.0]])
    assert A.dead_relu_fraction(z) == pytest.approx(2 / 3)


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: A.sigmoid("a"), TypeError, "`x`"),
    (lambda: A.sigmoid([np.nan]), ValueError, "NaN"),
    (lambda: A.leaky_relu(1.0, slope=-1), ValueError, "`slope`"),
    (lambda: A.elu(1.0, alpha=0), ValueError, "`alpha`"),
    (lambda: A.gelu(1.0, approximate="fast"), ValueError, "`approximate`"),
    (lambda: A.get_activation("swish"), ValueError, "`name` must be one of"),
    (lambda: A.get_activation(3), TypeError, "`name`"),
    (lambda: A.chain_gradient("relu", 1.0, depth=0), ValueError, "`depth`"),
    (lambda: A.softmax([1.0], axis=3), ValueError, "`axis`"),
])
def test_bad_input_gets_clear_error(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        call()


def test_every_stated_output_range_matches_the_function():
    """The ranges printed in chapter 3 (e.g. GELU's minimum -0.16997) are checked numerically."""
    from scipy.optimize import minimize_scalar

    x = np.linspace(-40, 40, 80_001)
    for name in A.ACTIVATION_NAMES:
        activation = A.get_activation(name)
        low_text = activation.output_range.strip("[(").split(",")[0]
        values = activation.function(x)
        if low_text == "-inf":  # unbounded below
            assert activation.function(np.array([-1e6]))[0] < -1e3
        elif name == "gelu":
            lowest = minimize_scalar(lambda t: float(A.gelu(t)), bounds=(-3, 0), method="bounded",
                                     options={"xatol": 1e-12}).fun
            assert f"{lowest:.5f}" == low_text  # -0.16997, closed: the minimum is reached
            assert activation.output_range.startswith("[")
        else:
            assert values.min() >= float(low_text) - 1e-12
            assert abs(values.min() - float(low_text)) < 1e-9


# --- maxout ------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "pieces", "axis"), [((4, 6), 2, -1), ((3, 12), 4, 1),
                                                 ((2, 6, 3, 3), 3, 1), ((5, 7), 7, -1),
                                                 ((4, 5), 1, 1), ((6, 2), 3, 0)])
def test_maxout_and_its_gradient_match_autograd(shape, pieces, axis):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)  # continuous: no ties
    t = torch.tensor(x, requires_grad=True)
    dim = axis % len(shape)
    out = t.unflatten(dim, (-1, pieces)).amax(dim=dim + 1)
    grad_out = rng.normal(size=tuple(out.shape))
    out.backward(torch.from_numpy(grad_out))
    np.testing.assert_array_equal(A.maxout(x, pieces=pieces, axis=axis), out.detach().numpy())
    np.testing.assert_array_equal(A.maxout_grad(x, grad_out, pieces=pieces, axis=axis),
                                  t.grad.numpy())


def test_maxout_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, grad_out = rng.normal(size=(3, 8)), rng.normal(size=(3, 4))
    step = 1e-6
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        bump = np.zeros_like(x)
        bump[index] = step
        up = np.sum(grad_out * A.maxout(x + bump, pieces=2))
        down = np.sum(grad_out * A.maxout(x - bump, pieces=2))
        numeric[index] = (up - down) / (2 * step)
    np.testing.assert_allclose(A.maxout_grad(x, grad_out, pieces=2), numeric, atol=1e-6)


def test_maxout_contains_relu_and_leaky_relu():
    z = np.linspace(-3, 3, 13)
    with_zero = np.stack([z, np.zeros_like(z)], axis=-1).reshape(-1)  # pieces (z, 0)
    with_slope = np.stack([z, 0.01 * z], axis=-1).reshape(-1)  # pieces (z, 0.01 z)
    np.testing.assert_array_equal(A.maxout(with_zero, pieces=2), A.relu(z))
    np.testing.assert_allclose(A.maxout(with_slope, pieces=2), A.leaky_relu(z), rtol=1e-15)


def test_maxout_gradient_goes_to_the_first_winner_on_a_tie():
    np.testing.assert_array_equal(A.maxout_grad([[2.0, 2.0]], [[1.0]], pieces=2), [[1.0, 0.0]])


@pytest.mark.parametrize(("call", "words"), [
    (lambda: A.maxout(np.ones((2, 5)), pieces=2), "multiple of `pieces`"),
    (lambda: A.maxout(np.ones((2, 4)), pieces=0), "`pieces`"),
    (lambda: A.maxout(np.ones((2, 4)), pieces=2, axis=2), "`axis`"),
    (lambda: A.maxout_grad(np.ones((2, 4)), np.ones((2, 3)), pieces=2), "`grad_output`"),
])
def test_maxout_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
