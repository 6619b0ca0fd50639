"""Tests of course_lib.regularisation: dropout against torch.nn.Dropout (the same random state
gives exactly the same output), its expected value and evaluation mode; dropout put into a model;
and the weight norm against torch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib import regularisation as R
from course_lib.models import tiny_cnn


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.8, 1.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dropout_equals_torch_with_the_same_random_state(p, dtype):
    x = torch.randn(5, 7, 3, dtype=dtype)
    torch.manual_seed(11)
    expected = nn.Dropout(p)(x)
    torch.manual_seed(11)
    assert torch.equal(R.dropout(x, p), expected)
    torch.manual_seed(11)
    assert torch.equal(R.Dropout(p)(x), expected)
    generator = torch.Generator().manual_seed(4)
    mask = R.dropout_mask(x, p, generator=torch.Generator().manual_seed(4))
    assert torch.equal(R.dropout(x, p, generator=generator), R.dropout(x, p, mask=mask))


def test_dropout_keeps_the_expected_value_and_drops_the_right_share():
    x = torch.full((200_000,), 3.0, dtype=torch.float64)
    out = R.dropout(x, 0.3, generator=torch.Generator().manual_seed(0))
    kept = out != 0
    assert abs(float(kept.double().mean()) - 0.7) < 0.005
    assert torch.allclose(out[kept], torch.tensor(3.0 / 0.7, dtype=torch.float64))
    assert abs(float(out.mean()) - 3.0) < 0.02  # inverted scaling: E[out] = x


def test_evaluation_mode_is_the_identity_and_the_layer_follows_the_model_mode():
    x = torch.randn(4, 6)
    assert torch.equal(R.dropout(x, 0.9, training=False), x)
    layer = R.Dropout(0.5)
    assert torch.equal(layer.eval()(x), x)
    torch.manual_seed(0)
    assert not torch.equal(layer.train()(x), x)


def test_gradient_flows_through_the_kept_values_only_scaled():
    x = torch.randn(50, requires_grad=True)
    mask = (torch.arange(50) % 3 != 0).float()
    R.dropout(x, 0.25, mask=mask).sum().backward()
    torch.testing.assert_close(x.grad, mask / 0.75)


def test_with_dropout_puts_a_layer_before_each_linear_and_keeps_the_weights():
    torch.manual_seed(0)
    model = tiny_cnn()
    copy = R.with_dropout(model, 0.4)
    names = [type(m).__name__ for m in copy.classifier]
    assert names == ["Flatten", "Dropout", "Linear"]
    assert copy.classifier[1].p == 0.4
    x = torch.randn(3, 1, 8, 8)
    torch.testing.assert_close(copy.eval()(x), model.eval()(x), rtol=0, atol=0)
    assert not any(isinstance(m, R.Dropout) for m in model.modules())  # the original is unchanged
    mlp = R.with_dropout(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 2))))
    assert [type(m).__name__ for m in mlp] == ["Dropout", "Linear", "ReLU", "Sequential"]
    assert [type(m).__name__ for m in mlp[3]] == ["Dropout", "Linear"]


def test_weight_norm_counts_weights_not_biases():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    weights = [model[0].weight, model[3].weight]
    expected = float(torch.sqrt(sum((w.detach().double() ** 2).sum() for w in weights)))
    assert R.weight_norm(model) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: R.dropout(torch.ones(3), 1.5), "`p` must be at most 1.0"),
    (lambda: R.dropout(torch.ones(3), -0.1), "`p` must be at least 0.0"),
    (lambda: R.dropout(torch.ones(3), 0.5, mask=torch.ones(4)), "`mask` must have the shape of `x`"),
    (lambda: R.dropout(torch.ones(3, dtype=torch.int64), 0.5), "`x` must be a float tensor"),
    (lambda: R.dropout(torch.ones(3), 0.5, training="yes"), "`training` must be True or False"),
    (lambda: R.dropout_mask(torch.ones(3), 0.5, generator=3), "`generator` must be"),
    (lambda: R.Dropout(2), "`p` must be at most 1.0"),
    (lambda: R.with_dropout("model"), "`model` must be a torch.nn.Module"),
    (lambda: R.with_dropout(nn.Conv2d(1, 1, 3)), "has no nn.Linear"),
    (lambda: R.weight_norm(3), "`model` must be a torch.nn.Module"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert message in str(error.value)
