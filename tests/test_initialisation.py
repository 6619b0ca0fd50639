"""Tests of course_lib.initialisation: the standard deviations against PyTorch's own initialisers,
the variance argument checked by sampling, and the statistics through depth against a hand-run
forward pass."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import initialisation as I
from course_lib.initialisation import layer_gradient_norms


def sample_std(init, shape, **kwargs) -> float:
    w = torch.empty(shape, dtype=torch.float64)
    torch.manual_seed(0)
    init(w, **kwargs)
    return float(w.std())


@pytest.mark.parametrize("shape", [(512, 256), (256, 64, 3, 3), (128, 3, 5, 5), (300, 40, 1, 1)])
def test_stds_match_pytorch_initialisers(shape):
    fan_in, fan_out = I.fans(shape)
    he = sample_std(nn.init.kaiming_normal_, shape, nonlinearity="relu")
    xavier = sample_std(nn.init.xavier_normal_, shape)
    assert I.he_std(fan_in) == pytest.approx(he, rel=0.02)
    assert I.xavier_std(fan_in, fan_out) == pytest.approx(xavier, rel=0.02)
    assert I.init_std("he", shape) == I.he_std(fan_in)


def test_default_std_is_that_of_pytorch_layers():
    torch.manual_seed(0)
    linear, conv = nn.Linear(300, 400), nn.Conv2d(32, 64, 3)
    for layer in (linear, conv):
        assert I.init_std("default", layer.weight.shape) == pytest.approx(
            float(layer.weight.detach().std()), rel=0.03)


def test_fans_of_linear_and_convolution():
    assert I.fans(nn.Linear(7, 3).weight.shape) == (7, 3)
    assert I.fans((16, 3, 3, 3)) == (27, 144)
    assert I.fans((8, 4, 5)) == (20, 40)  # Conv1d


def test_output_variance_is_fan_in_times_weight_variance_times_input_variance():
    """The derivation, by sampling: Var(y) = n_in Var(w) Var(x), and E[relu(z)^2] = Var(z) / 2."""
    rng = np.random.default_rng(0)
    n_in, var_w, var_x = 200, 0.003, 2.5
    w = rng.normal(0, math.sqrt(var_w), size=(400, n_in))  # (out, in)
    x = rng.normal(0, math.sqrt(var_x), size=(n_in, 500))  # (in, samples)
    y = w @ x
    assert y.var() == pytest.approx(n_in * var_w * var_x, rel=0.03)
    z = rng.normal(0, 3.0, size=1_000_000)
    assert np.mean(np.maximum(z, 0) ** 2) == pytest.approx(9.0 / 2, rel=0.01)


def test_he_keeps_the_mean_square_of_a_relu_network():
    rng = np.random.default_rng(1)
    h = rng.normal(size=(1000, 256))
    first = np.mean(h**2)
    for _ in range(10):
        w = rng.normal(0, I.he_std(256), size=(256, 256))
        h = np.maximum(h @ w.T, 0)
    assert 0.7 < np.mean(h**2) / first < 1.4


def test_initialise_schemes():
    net = nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(36, 5))
    I.initialise(net, "zeros")
    assert all(torch.count_nonzero(p) == 0 for p in net.parameters())
    I.initialise(net, "constant")
    assert torch.all(net[0].weight == I.CONSTANT)
    assert torch.all(net[3].bias == 0)
    wide = I.initialise(nn.Linear(1000, 1000), "small", seed=0)
    assert float(wide.weight.detach().std()) == pytest.approx(I.SMALL_STD, rel=0.01)
    he = I.initialise(nn.Linear(500, 2000), "he", seed=0)
    assert float(he.weight.detach().std()) == pytest.approx(I.he_std(500), rel=0.01)


def test_initialise_with_a_seed_is_repeatable_and_leaves_the_global_state():
    a, b = nn.Linear(4, 4), nn.Linear(4, 4)
    state = torch.get_rng_state()
    I.initialise(a, "xavier", seed=7)
    I.initialise(b, "xavier", seed=7)
    assert torch.equal(a.weight, b.weight)
    assert torch.equal(torch.get_rng_state(), state)


def test_deep_mlp_he_is_what_layer_gradient_norms_always_used():
    torch.manual_seed(5)
    layers = []
    for _ in range(3):
        linear = nn.Linear(8, 8)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
    expected = nn.Sequential(*layers).double()
    net = I.deep_mlp("relu", depth=3, width=8, init="he", seed=5)
    for ours, theirs in zip(net.state_dict().values(), expected.state_dict().values(), strict=True):
        assert torch.equal(ours, theirs)
    assert net[0].weight.dtype == torch.float64


def test_activation_statistics_are_those_of_a_hand_run_forward_pass():
    stats = I.activation_statistics("tanh", init="xavier", depth=4, width=16, batch=32, seed=2)
    net = I.deep_mlp("tanh", depth=4, width=16, init="xavier", seed=2)
    h = torch.randn(32, 16, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    with torch.no_grad():
        for k in range(4):
            h = torch.tanh(net[2 * k](h))
            np.testing.assert_allclose(stats.outputs[k], h.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(stats.std[-1], h.numpy().std(), rtol=1e-12)
    np.testing.assert_allclose(stats.spread[-1], h.numpy().std(axis=0).mean(), rtol=1e-12)
    assert "tanh" in repr(stats)
    assert "4 layers" in repr(stats)


def test_statistics_through_depth_tell_the_schemes_apart():
    def ratio(activation, init):
        s = I.activation_statistics(activation, init=init, depth=10, width=128, batch=128)
        return s.spread[-1] / s.spread[0]

    assert ratio("tanh", "small") < 1e-5
    assert ratio("relu", "small") < 1e-5
    assert 0.1 < ratio("tanh", "xavier") < 1
    assert 0.1 < ratio("relu", "he") < 2
    assert ratio("relu", "xavier") < ratio("relu", "he") / 5  # without the factor 2, ReLU halves
    assert ratio("sigmoid", "he") < 1e-3  # the sigmoid's slope <= 1/4 shrinks every layer


def test_gain_scales_the_weights():
    plain = I.activation_statistics("relu", init="he", depth=1, width=64, batch=64)
    doubled = I.activation_statistics("relu", init="he", depth=1, width=64, batch=64, gain=2.0)
    np.testing.assert_allclose(doubled.outputs, 2 * plain.outputs, rtol=1e-12)  # zero biases


def test_layer_gradient_norms_vanish_for_sigmoid_not_for_relu_with_he_init():
    sig = layer_gradient_norms("sigmoid", depth=8, width=32, batch=64, init="he")
    assert sig[0] < sig[-1] / 100  # the first layer gets far less gradient than the last
    again = layer_gradient_norms("sigmoid", depth=8, width=32, batch=64, init="he")
    np.testing.assert_array_equal(sig, again)  # seeded
    relu = layer_gradient_norms("relu", depth=8, width=32, batch=64, init="he")
    assert relu[0] > relu[-1] / 20


def test_layer_gradient_norms_match_a_hand_built_network():
    torch.manual_seed(4)
    net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 8), torch.nn.Tanh()).double()
    x = torch.randn(16, 8, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    net(x).mean().backward()
    expected = [float(net[0].weight.grad.norm()), float(net[2].weight.grad.norm())]
    ours = layer_gradient_norms("tanh", depth=2, width=8, batch=16, seed=4)
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_layer_gradient_norms_accepts_every_scheme():
    small = layer_gradient_norms("tanh", depth=6, width=16, batch=16, init="small")
    xavier = layer_gradient_norms("tanh", depth=6, width=16, batch=16, init="xavier")
    assert small[0] < xavier[0] / 100


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: I.fans((5,)), ValueError, "`shape`"),
    (lambda: I.fans(3), TypeError, "`shape`"),
    (lambda: I.fans((3.5, 2)), TypeError, "`shape`"),
    (lambda: I.fans((3, 0)), ValueError, "`shape`"),
    (lambda: I.initialise(nn.Linear(2, 2), "he", seed=2**64), ValueError, "`seed`"),
    (lambda: I.he_std(0), ValueError, "`fan_in`"),
    (lambda: I.xavier_std(3, 0), ValueError, "`fan_out`"),
    (lambda: I.init_std("glorot", (3, 3)), ValueError, "`scheme`"),
    (lambda: I.initialise("net", "he"), TypeError, "`model`"),
    (lambda: I.initialise(nn.ReLU(), "he"), ValueError, "no linear or convolution"),
    (lambda: I.deep_mlp("relu", depth=0, width=4), ValueError, "`depth`"),
    (lambda: I.deep_mlp("swish", depth=2, width=4), ValueError, "`name`"),
    (lambda: I.activation_statistics("relu", init="he", batch=1), ValueError, "`batch`"),
    (lambda: I.activation_statistics("relu", init="he", gain=-1), ValueError, "`gain`"),
    (lambda: layer_gradient_norms("relu", init="glorot"), ValueError, "`init`"),
    (lambda: layer_gradient_norms("relu", depth=200, width=4096, batch=10**5), ValueError,
     "`depth` = 200 layers of width 4096 on a batch of 100000 would need a network of "
     "334,392,524,800 numbers"),
    (lambda: I.deep_mlp("relu", depth=200, width=4096), ValueError, "`width`.*limit"),
    (lambda: I.activation_statistics("relu", init="he", depth=200, width=4096, batch=100_000),
     ValueError, "`batch`.*limit"),
])
def test_bad_input_gets_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()
