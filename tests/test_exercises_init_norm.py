"""Tests of chapter 3's exercises on initialisation, batch normalisation and maxout: each reference
is confirmed with PyTorch, and each realistic wrong answer gets its own lesson. (The checks every
exercise passes, solution, starter, hints, are in test_exercises.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.exercises import ch3


def assert_fails(ex, answer, *fragments: str):
    feedback = ex.evaluate(answer)
    assert feedback.status == "incorrect", feedback.text
    assert not feedback, feedback.text
    for fragment in fragments:
        assert fragment in feedback.text, feedback.text
    return feedback


# --------------------------------------------------------------------------- he_std


@pytest.mark.parametrize(("in_channels", "kernel_size"), [(3, 3), (64, 1), (16, 5)])
def test_he_std_reference_is_what_pytorch_draws(in_channels, kernel_size):
    weight = torch.empty(2000, in_channels, kernel_size, kernel_size, dtype=torch.float64)
    torch.manual_seed(0)
    nn.init.kaiming_normal_(weight, nonlinearity="relu")
    assert ch3._he_std_reference(in_channels, kernel_size) == pytest.approx(
        float(weight.std()), rel=0.02)


def test_he_std_catches_variance_fan_in_and_missing_factor_two():
    assert_fails(ch3.he_std, lambda c, k: 2 / (c * k * k), "that is the variance")
    assert_fails(ch3.he_std, lambda c, _k: math.sqrt(2 / c), "fan-in of a convolution")
    assert_fails(ch3.he_std, lambda c, k: (c * k * k) ** -0.5, "Xavier/LeCun", "doubles")
    assert_fails(ch3.he_std, lambda c, k: math.sqrt(2 / (c * k)), "k * k weights")
    assert_fails(ch3.he_std, lambda _c, _k: 0.1, "expected")  # no lesson fits: the numbers


def test_he_std_accepts_a_numpy_or_torch_answer():
    assert ch3.he_std.evaluate(lambda c, k: np.sqrt(2.0 / (c * k**2)))
    assert ch3.he_std.evaluate(lambda c, k: torch.tensor(2.0 / (c * k**2)).sqrt())


# --------------------------------------------------------------------------- batch_norm


def test_batch_norm_reference_is_torch_in_training_mode():
    for case in ch3._batch_norm_cases():
        x, gamma, beta = case.args
        expected = nn.functional.batch_norm(torch.from_numpy(x), None, None,
                                            torch.from_numpy(gamma), torch.from_numpy(beta),
                                            training=True, eps=ch3.BN_EPS)
        np.testing.assert_allclose(ch3._batch_norm_reference(x, gamma, beta), expected.numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_batch_norm_cases_make_epsilon_matter():
    x = ch3._batch_norm_cases()[0].args[0]
    assert x[:, 0].var() < 1e-3  # a small-variance channel: leaving out eps shows there


def test_batch_norm_catches_the_wrong_axes():
    assert_fails(ch3.batch_norm, lambda x, g, b: g[None, :, None, None] * (x - x.mean())
                 / np.sqrt(x.var() + 1e-5) + b[None, :, None, None], "one per channel")
    per_example = (1, 2, 3)
    assert_fails(ch3.batch_norm, lambda x, g, b: g[None, :, None, None]
                 * (x - x.mean(axis=per_example, keepdims=True))
                 / np.sqrt(x.var(axis=per_example, keepdims=True) + 1e-5)
                 + b[None, :, None, None], "layer normalisation")
    assert_fails(ch3.batch_norm, lambda x, g, b: g[None, :, None, None]
                 * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
                 + b[None, :, None, None], "pools the positions")


def test_batch_norm_catches_variance_and_epsilon_mistakes():
    def bn(x, g, b, *, ddof=0, eps=1e-5, inside=True):
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        var = x.var(axis=(0, 2, 3), keepdims=True, ddof=ddof)
        scale = np.sqrt(var + eps) if inside else np.sqrt(var) + eps
        return g.reshape(1, -1, 1, 1) * (x - mean) / scale + b.reshape(1, -1, 1, 1)

    assert ch3.batch_norm.evaluate(bn)
    assert_fails(ch3.batch_norm, lambda x, g, b: bn(x, g, b, ddof=1), "biased variance")
    assert_fails(ch3.batch_norm, lambda x, g, b: bn(x, g, b, eps=0.0), "left out epsilon")
    assert_fails(ch3.batch_norm, lambda x, g, b: bn(x, g, b, inside=False),
                 "inside the square root")


def test_batch_norm_catches_gamma_and_beta_mistakes():
    def standardised(x):
        return (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
            x.var(axis=(0, 2, 3), keepdims=True) + 1e-5)

    assert_fails(ch3.batch_norm, lambda x, _g, _b: standardised(x), "forgot the learned scale")
    assert_fails(ch3.batch_norm, lambda x, g, b: b.reshape(1, -1, 1, 1) * standardised(x)
                 + g.reshape(1, -1, 1, 1), "swapped")


def test_batch_norm_accepts_torch_answer():
    def with_torch(x, gamma, beta):
        return nn.functional.batch_norm(torch.from_numpy(x), None, None, torch.from_numpy(gamma),
                                        torch.from_numpy(beta), training=True)

    assert ch3.batch_norm.evaluate(with_torch)


# --------------------------------------------------------------------------- maxout


def test_maxout_reference_is_the_library_and_torch():
    from course_lib.activations import maxout

    for case in ch3._maxout_cases():
        z, pieces = case.args
        expected = torch.from_numpy(z).unflatten(1, (-1, pieces)).amax(dim=2).numpy()
        np.testing.assert_array_equal(ch3._maxout_reference(z, pieces), expected)
        np.testing.assert_array_equal(maxout(z, pieces=pieces), expected)


def test_maxout_catches_interleaved_groups_min_and_relu():
    assert_fails(ch3.maxout, lambda z, k: z.reshape(len(z), k, -1).max(axis=1), "consecutive")
    assert_fails(ch3.maxout, lambda z, k: z.reshape(len(z), -1, k).min(axis=2), "minimum")
    assert_fails(ch3.maxout, lambda z, _k: z.max(axis=1), "one maximum per example")
    assert_fails(ch3.maxout, lambda z, _k: np.maximum(z, 0), "that is ReLU")
