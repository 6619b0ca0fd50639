"""Tests of course_lib.normalisation: the NumPy batch norm against torch.nn.BatchNorm1d/2d in
training and evaluation mode (outputs and running statistics), and batch norm added to a model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import normalisation as N
from course_lib.models import tiny_cnn


def torch_layer(channels: int, ndim: int, gamma, beta, momentum: float = 0.1):
    layer = (nn.BatchNorm2d if ndim == 4 else nn.BatchNorm1d)(channels, momentum=momentum).double()
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(gamma))
        layer.bias.copy_(torch.as_tensor(beta))
    return layer


@pytest.mark.parametrize("shape", [(8, 3, 5, 5), (2, 4, 3, 7), (1, 2, 4, 4), (16, 5), (3, 2)])
def test_training_mode_matches_torch(shape):
    rng = np.random.default_rng(0)
    channels = shape[1]
    x = rng.normal(size=shape) * rng.uniform(0.1, 5, size=channels).reshape(
        (1, -1) + (1,) * (len(shape) - 2)) + 3.0
    gamma, beta = rng.uniform(0.5, 2, channels), rng.normal(size=channels)
    layer = torch_layer(channels, len(shape), gamma, beta).train()
    expected = layer(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(N.batch_norm(x, gamma, beta), expected, rtol=1e-10, atol=1e-12)
    mean, var = N.batch_statistics(x)
    axes = (0, *range(2, x.ndim))
    np.testing.assert_allclose(mean, x.mean(axis=axes))
    np.testing.assert_allclose(var, x.var(axis=axes))


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_running_statistics_and_evaluation_mode_match_torch(momentum):
    rng = np.random.default_rng(1)
    gamma, beta = np.array([1.5, 0.5, 1.0]), np.array([0.2, -1.0, 0.0])
    layer = torch_layer(3, 4, gamma, beta, momentum=momentum).train()
    running_mean, running_var = np.zeros(3), np.ones(3)
    for step in range(4):
        x = rng.normal(loc=step, scale=2.0, size=(6, 3, 4, 4))
        layer(torch.from_numpy(x))
        running_mean, running_var = N.update_running_statistics(running_mean, running_var, x,
                                                                momentum=momentum)
    np.testing.assert_allclose(running_mean, layer.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(running_var, layer.running_var.numpy(), rtol=1e-12)
    test = rng.normal(size=(2, 3, 4, 4))
    expected = layer.eval()(torch.from_numpy(test)).detach().numpy()
    ours = N.batch_norm(test, gamma, beta, mean=running_mean, var=running_var)
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


def test_training_output_is_standardised_and_evaluation_output_does_not_depend_on_the_batch():
    rng = np.random.default_rng(2)
    x = rng.normal(5.0, 3.0, size=(10, 2, 3, 3))
    y = N.batch_norm(x, [1.0, 1.0], [0.0, 0.0])
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-4)  # eps: slightly below 1
    stats = {"mean": [5.0, 5.0], "var": [9.0, 9.0]}
    alone = N.batch_norm(x[:1], [1.0, 1.0], [0.0, 0.0], **stats)
    together = N.batch_norm(x, [1.0, 1.0], [0.0, 0.0], **stats)[:1]
    np.testing.assert_array_equal(alone, together)
    in_train_mode = N.batch_norm(x[:3], [1.0, 1.0], [0.0, 0.0])[:1]
    assert not np.allclose(in_train_mode, N.batch_norm(x, [1.0, 1.0], [0.0, 0.0])[:1])


def test_with_batch_norm_on_the_tiny_cnn():
    torch.manual_seed(0)
    model = tiny_cnn(image_size=8, num_classes=10, activation="sigmoid")
    bn = N.with_batch_norm(model)
    norms = [m for m in bn.modules() if isinstance(m, nn.BatchNorm2d)]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [m.num_features for m in norms] == [c.out_channels for c in convs]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # unchanged
    for conv, copied in zip(convs, (m for m in bn.modules() if isinstance(m, nn.Conv2d)),
                            strict=True):
        assert torch.equal(conv.weight, copied.weight)
        assert conv.weight is not copied.weight
    layers = [type(m).__name__ for m in bn.features]
    assert layers[:4] == ["Conv2d", "BatchNorm2d", "Sigmoid", "MaxPool2d"]
    x = torch.randn(4, 1, 8, 8)
    assert bn(x).shape == (4, 10)
    extra = sum(p.numel() for p in bn.parameters()) - sum(p.numel() for p in model.parameters())
    assert extra == 2 * sum(c.out_channels for c in convs)  # gamma and beta per channel


def test_with_batch_norm_on_a_sequential():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 3, 3))
    assert [type(m).__name__ for m in N.with_batch_norm(net)] == [
        "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d"]


def test_set_batch_norm_statistics_gives_the_data_set_statistics():
    torch.manual_seed(0)
    bn = N.with_batch_norm(tiny_cnn(image_size=8, num_classes=10)).double()
    x = torch.randn(50, 1, 8, 8, dtype=torch.float64)
    bn.eval()
    momentum = bn.features[1].momentum
    N.set_batch_norm_statistics(bn, x)
    assert not bn.training
    assert bn.features[1].momentum == momentum
    with torch.no_grad():
        z = bn.features[0](x)  # (50, 16, 8, 8) the first batch norm's input
    np.testing.assert_allclose(bn.features[1].running_mean.numpy(),
                               z.mean(dim=(0, 2, 3)).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.features[1].running_var.numpy(),
                               z.var(dim=(0, 2, 3), correction=1).numpy(), rtol=1e-10)
    assert torch.all(bn.features[1].weight == 1)  # gamma untouched


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: N.batch_norm(np.ones(4), [1.0], [0.0]), ValueError, "`x` must be a 2-D"),
    (lambda: N.batch_norm(np.ones((1, 3)), np.ones(3), np.zeros(3)), ValueError, "at least 2"),
    (lambda: N.batch_norm(np.ones((4, 3)), np.ones(2), np.zeros(3)), ValueError, "`gamma`"),
    (lambda: N.batch_norm(np.ones((4, 3)), np.ones(3), np.zeros(3), mean=np.zeros(3)),
     ValueError, "both `mean` and `var`"),
    (lambda: N.batch_norm(np.ones((4, 3)), np.ones(3), np.zeros(3), mean=np.zeros(3),
                          var=-np.ones(3)), ValueError, "`var`"),
    (lambda: N.batch_norm(np.ones((4, 3)), np.ones(3), np.zeros(3), eps=0), ValueError,
     "zero variance"),
    (lambda: N.update_running_statistics([0.0], [1.0], np.ones((4, 1)), momentum=2),
     ValueError, "`momentum`"),
    (lambda: N.with_batch_norm(nn.Linear(2, 2)), ValueError, "no nn.Conv2d"),
    (lambda: N.with_batch_norm("model"), TypeError, "`model`"),
    (lambda: N.set_batch_norm_statistics(nn.Linear(2, 2), torch.ones(3, 2)), ValueError,
     "no batch-norm"),
    (lambda: N.set_batch_norm_statistics(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)),
                                         torch.ones(4, 5)), ValueError, "`x` of shape"),
])
def test_bad_input_gets_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()
