"""The tiny CNN: shapes, layers, activations, argument checks."""

import pytest
import torch
from torch import nn

from course_lib.activations import ACTIVATION_NAMES
from course_lib.models import TinyCNN, tiny_cnn


@pytest.mark.parametrize(("size", "pools"), [(8, 1), (32, 3), (28, 3), (4, 0)])
def test_output_shape_and_number_of_pools(size, pools):
    model = tiny_cnn(image_size=size, num_classes=4)
    out = model(torch.zeros(3, 1, size, size))
    assert out.shape == (3, 4)
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == pools


def test_first_layer_is_a_conv_and_parameter_count_by_hand():
    model = tiny_cnn()  # 8x8: conv 1->16, pool, conv 16->32, linear 32*4*4 -> 10
    assert isinstance(model.features[0], nn.Conv2d)
    assert model.first_conv is model.features[0]
    expected = (16 * 1 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 16 * 10 + 10)
    assert sum(p.numel() for p in model.parameters()) == expected


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_is_used(name):
    model = tiny_cnn(activation=name, width=4)
    kinds = {type(m).__name__.lower() for m in model.modules()}
    expected = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu",
                "leaky_relu": "leakyrelu", "elu": "elu", "gelu": "gelu"}[name]
    assert expected in kinds


def test_rgb_input_and_width():
    model = TinyCNN(in_channels=3, image_size=16, width=8)
    assert model.first_conv.weight.shape == (8, 3, 3, 3)
    assert model(torch.zeros(1, 3, 16, 16)).shape == (1, 10)


def test_same_seed_same_weights():
    torch.manual_seed(0)
    a = tiny_cnn()
    torch.manual_seed(0)
    b = tiny_cnn()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"image_size": 2}, ValueError, "image_size"),
    ({"activation": "swish"}, ValueError, "activation"),
    ({"width": 0}, ValueError, "width"),
    ({"num_classes": 1}, ValueError, "num_classes"),
    ({"in_channels": 1.0}, TypeError, "in_channels"),
])
def test_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=f"`{name}`"):
        tiny_cnn(**kwargs)


@pytest.mark.parametrize(("x", "error", "match"), [
    (torch.zeros(2, 1, 16, 16), ValueError, r"`x` must be a batch of shape \(N, 1, 8, 8\) for "
     r"this TinyCNN \(in_channels=1, image_size=8\); got shape \(2, 1, 16, 16\)"),
    (torch.zeros(2, 3, 8, 8), ValueError, r"got shape \(2, 3, 8, 8\)"),
    (torch.zeros(1, 8, 8), ValueError, r"got shape \(1, 8, 8\)"),
    (torch.zeros(2, 1, 8, 8, dtype=torch.float64), TypeError, "`x` must have the dtype of the "
     "model's weights, torch.float32; got torch.float64"),
    ([[0.0]], TypeError, "`x` must be a torch.Tensor; got list"),
])
def test_wrong_input_gets_a_clear_error(x, error, match):
    with pytest.raises(error, match=match):
        tiny_cnn()(x)
