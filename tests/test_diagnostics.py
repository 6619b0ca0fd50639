"""Feature statistics, weight-gradient norms and weight changes, against direct computations."""

import copy

import pytest
import torch
from torch import nn

from course_lib.diagnostics import (
    feature_statistics,
    saturation_statistics,
    weight_changes,
    weight_gradient_norms,
)
from course_lib.models import tiny_cnn


def test_feature_statistics_of_the_features_part():
    torch.manual_seed(0)
    model = tiny_cnn(image_size=8, num_classes=10, activation="sigmoid")
    x = torch.rand(32, 1, 8, 8)
    stats = feature_statistics(model, x)
    features = model.features(x).detach().reshape(32, -1).double()
    assert stats.features == 512
    assert stats.mean == pytest.approx(float(features.mean()))
    assert stats.spread == pytest.approx(float(features.std(dim=0, unbiased=False).mean()))
    assert model.training  # its mode is restored
    assert "spread across examples" in str(stats)


def test_weight_gradient_norms_equal_autograd_and_leave_grads_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 6 * 6, 3))
    x, y = torch.randn(5, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1])
    norms = weight_gradient_norms(model, x, y)
    nn.functional.cross_entropy(model(x), y).backward()
    assert norms == pytest.approx({"0": float(model[0].weight.grad.norm()),
                                   "2": float(model[2].weight.grad.norm())})
    model.zero_grad(set_to_none=True)
    weight_gradient_norms(model, x, y)
    assert model[0].weight.grad is None


def test_weight_changes():
    torch.manual_seed(0)
    before = tiny_cnn(image_size=8, width=2)
    after = copy.deepcopy(before)
    with torch.no_grad():
        after.first_conv.weight.mul_(3.0)
    changes = weight_changes(before, after)
    assert changes["features.0.weight"] == pytest.approx(2.0)
    assert changes["classifier.1.weight"] == 0.0
    assert not any(name.endswith("bias") for name in changes)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: feature_statistics("model", torch.zeros(2, 3)), TypeError, "`model`"),
    (lambda: feature_statistics(nn.Linear(3, 2), torch.zeros(2, 3, dtype=torch.long)), TypeError, "`x`"),
    (lambda: feature_statistics(nn.Linear(3, 2), torch.zeros(1, 3)), ValueError, "at least 2 examples"),
    (lambda: weight_gradient_norms(nn.Linear(3, 2), torch.zeros(2, 3), torch.zeros(2)), TypeError, "`y`"),
    (lambda: weight_changes(nn.Linear(3, 2), nn.Linear(3, 4)), ValueError, "same architecture"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(("module", "max_slope"), [(nn.Sigmoid, 0.25), (nn.Tanh, 1.0), (nn.ReLU, 1.0)])
def test_saturation_statistics_equal_autograd_slopes(module, max_slope):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 40), module(), nn.Linear(40, 2))
    x = 2 * torch.randn(64, 3)
    stats = saturation_statistics(model, x, threshold=2.5)
    assert list(stats) == ["1"]
    z = model[0](x).detach().double().requires_grad_(True)   # the activation's inputs, (64, 40)
    slopes, = torch.autograd.grad(module()(z).sum(), z)       # f'(z), by autograd
    s = stats["1"]
    assert s.mean_slope == pytest.approx(float(slopes.mean()), rel=1e-6)
    assert s.tail_share == pytest.approx(float((z.abs() > 2.5).double().mean()))
    assert s.max_slope == pytest.approx(max_slope)
    assert (s.values, s.threshold) == (64 * 40, 2.5)
    assert model.training
    assert "mean slope" in str(s)


def test_saturation_statistics_of_a_saturated_layer_and_of_the_tiny_cnn():
    model = nn.Sequential(nn.Linear(1, 2), nn.Sigmoid())
    with torch.no_grad():
        model[0].weight.fill_(0.0)
        model[0].bias.copy_(torch.tensor([10.0, -10.0]))  # every input at |z| = 10
    s = saturation_statistics(model, torch.zeros(5, 1))["1"]
    assert s.tail_share == 1.0
    assert s.mean_slope < 1e-4
    torch.manual_seed(0)
    cnn = tiny_cnn(image_size=8, num_classes=10, activation="sigmoid").eval()
    assert list(saturation_statistics(cnn, torch.rand(4, 1, 8, 8))) == ["features.1", "features.4"]
    assert not cnn.training


@pytest.mark.parametrize(("call", "words"), [
    (lambda: saturation_statistics("net", torch.zeros(2, 2)), "`model`"),
    (lambda: saturation_statistics(nn.Sigmoid(), torch.zeros(1, 2)), "`x`"),
    (lambda: saturation_statistics(nn.Sigmoid(), torch.zeros(2, 2), threshold=0), "`threshold`"),
])
def test_saturation_statistics_bad_input(call, words):
    with pytest.raises((TypeError, ValueError), match=words):
        call()
