"""Feature statistics, weight-gradient norms and weight changes, against direct computations."""

import copy

import pytest
import torch
from torch import nn

from course_lib.diagnostics import feature_statistics, weight_changes, weight_gradient_norms
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
