"""The global-average-pooling head: the parameters it saves, what it computes, NiN's form."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.models import alexnet, count_parameters, linear_parameters, vgg, with_gap_head

META = torch.device("meta")


def test_vgg16_gap_head_saves_the_fully_connected_layers():
    with META:
        net = vgg(16)
        gap = with_gap_head(net)
    fc_head = sum(count_parameters(m) for m in net.classifier)
    assert fc_head == 123_642_856
    assert count_parameters(gap) == count_parameters(net) - fc_head + linear_parameters(512, 1000)
    assert count_parameters(gap) == 14_714_688 + 513_000
    assert gap.title == "VGG-16 (configuration D), GAP head"
    assert count_parameters(net) == 138_357_544                 # the original is unchanged


def test_gap_head_keeps_the_features_and_computes_mean_then_linear():
    torch.manual_seed(0)
    net = vgg(11, num_classes=4, in_channels=1, width=1 / 16).eval()
    gap = with_gap_head(net).eval()
    assert all(torch.equal(a, b) for a, b in
               zip(net.features.parameters(), gap.features.parameters(), strict=True))
    assert gap.features is not net.features                     # a copy: training one
    x = torch.rand(3, 1, 32, 32)                                # leaves the other alone
    maps = gap.features(x)                                      # (3, 32, 1, 1)
    expected = gap.classifier.fc(maps.mean(dim=(2, 3)))
    torch.testing.assert_close(gap(x), expected)


def test_nin_form_is_the_same_function():
    """NiN's head (a 1x1 convolution to one map per class, then the average) equals the
    average followed by a linear layer with the same weights: both are linear."""
    torch.manual_seed(0)
    linear = nn.Linear(8, 3)
    conv = nn.Conv2d(8, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(linear.weight[:, :, None, None])
        conv.bias.copy_(linear.bias)
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(conv(x).mean(dim=(2, 3)), linear(x.mean(dim=(2, 3))))


def test_alexnet_too_and_bad_models():
    with META:
        gap = with_gap_head(alexnet(num_classes=10))
    assert count_parameters(gap) == 2_469_696 + linear_parameters(256, 10)
    with pytest.raises(TypeError, match="`model` must be an AlexNet or a VGG"):
        with_gap_head(nn.Linear(2, 2))
