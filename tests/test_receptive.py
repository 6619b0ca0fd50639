"""Receptive fields through a graph, checked by the gradient; effective receptive fields."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.models import (
    alexnet,
    effective_receptive_field,
    effective_size,
    graph_layer_table,
    graph_receptive_fields,
    layer_table,
    resnet18,
    resnet50,
    small_resnet,
    support_size,
    vgg,
)

META = torch.device("meta")


def measured_field(model: nn.Module, layer: str, size: int, *, images: int = 1) -> int:
    """The extent of the input gradient of a central unit of ``layer`` (autograd's answer)."""
    torch.manual_seed(0)
    batch = torch.rand(images, 1, size, size) + 0.1                        # (N, 1, H, W)
    erf = effective_receptive_field(model, batch, layer=layer)
    rows, cols = np.nonzero(erf.sum(axis=1))[0], np.nonzero(erf.sum(axis=0))[0]
    assert min(rows[0], cols[0]) > 0, "the field reached the border"
    assert max(rows[-1], cols[-1]) < size - 1, "the field reached the border"
    return support_size(erf)


def averaged_pools(model: nn.Module) -> nn.Module:
    """Max pools replaced by average pools of the same geometry (a max pool passes the gradient
    to one winner, so the support would depend on the data)."""
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.MaxPool2d):
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(parent, name.rsplit(".", 1)[-1],
                    nn.AvgPool2d(module.kernel_size, module.stride, module.padding))
    return model


def test_resnet18_fields_equal_the_gradients_extent():
    net = averaged_pools(resnet18(in_channels=1))
    table = graph_layer_table(net, (1, 1, 224, 224))
    net.layer4, net.fc = nn.Identity(), nn.Identity()         # not needed up to layer3: faster
    for layer, field in (("layer1.1.relu2", 43), ("layer2.0.downsample.1", 43),
                         ("layer2.1.relu2", 99), ("layer3.0.relu2", 147)):
        assert measured_field(net, layer, 224) == table[layer].receptive_field == field


def test_resnet50_bottleneck_fields_equal_the_gradients_extent():
    net = averaged_pools(resnet50(in_channels=1))
    table = graph_layer_table(net, (1, 1, 96, 96))
    net.layer3, net.layer4, net.fc = nn.Identity(), nn.Identity(), nn.Identity()
    for layer in ("layer1.2.relu3", "layer2.0.relu3"):
        assert measured_field(net, layer, 96) == table[layer].receptive_field


def test_small_resnet_fields_equal_the_gradients_extent_for_both_twins():
    for residual in (False, True):
        net = small_resnet(14, residual=residual, width=4)
        table = graph_layer_table(net, (1, 1, 64, 64))
        for layer in ("stage1.1.relu2", "stage2.0.relu2", "stage3.1.relu2"):
            assert measured_field(net, layer, 64, images=8) == table[layer].receptive_field


def test_layer_order_gets_resnet_wrong_and_the_graph_right():
    with META:
        net = resnet18()
    by_order, by_graph = layer_table(net), graph_layer_table(net)
    assert by_graph["layer4.1.conv2"].receptive_field == 435
    assert by_order["layer4.1.conv2"].receptive_field != 435
    assert [r.parameters for r in by_order.rows] == [r.parameters for r in by_graph.rows]


@pytest.mark.parametrize("build", [alexnet, lambda: alexnet(variant="paper"), lambda: vgg(16)])
def test_on_a_chain_the_graph_and_the_layer_order_agree(build):
    with META:
        net = build()
    side = net.input_size
    by_order = layer_table(net, (1, 3, side, side), compact=True)
    by_graph = graph_layer_table(net, (1, 3, side, side), compact=True)
    assert [(r.name, r.receptive_field, r.jump) for r in by_order.rows] == \
        [(r.name, r.receptive_field, r.jump) for r in by_graph.rows]


def test_graph_fields_follow_dilation_and_global_pooling():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2, padding=2), nn.MaxPool2d(2),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1, 2))
    fields = graph_receptive_fields(net, (1, 1, 8, 8))
    assert fields == [("0", 5, 1), ("1", 6, 2), ("2", 12, 8), ("3", 12, 8), ("4", None, None)]


def test_graph_fields_refuse_what_they_cannot_follow():
    with pytest.raises(ValueError, match="adaptive pooling from 8x8 to 3x3"):
        graph_receptive_fields(nn.Sequential(nn.AdaptiveAvgPool2d(3)), (1, 1, 8, 8))
    with pytest.raises(ValueError, match="`input_shape` must be four positive integers"):
        graph_receptive_fields(nn.Conv2d(1, 1, 3), (1, 8, 8))
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        graph_layer_table("resnet")


# --- effective receptive field -------------------------------------------------------------

def test_effective_field_of_a_linear_stack_is_the_binomial_picture():
    """Three 3x3 layers of ones: the gradient counts the paths, an outer product of the 1-D
    counts [1, 1, 1] * [1, 1, 1] * [1, 1, 1] (np.convolve as the reference)."""
    net = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1, bias=False) for _ in range(3)])
    for p in net.parameters():
        nn.init.ones_(p)
    erf = effective_receptive_field(net, torch.randn(3, 1, 11, 11), layer="2")
    counts = np.convolve(np.convolve([1, 1, 1], [1, 1, 1]), [1, 1, 1])       # (7,)
    expected = np.zeros((11, 11))
    expected[2:9, 2:9] = np.outer(counts, counts)
    np.testing.assert_allclose(erf, expected)
    assert support_size(erf) == 7
    assert effective_size(erf, mass=1.0) == 7
    assert effective_size(erf, mass=0.5) < 7


def test_effective_field_leaves_the_model_as_it_was():
    net = small_resnet(8, width=2).train()
    weights = [p.detach().clone() for p in net.parameters()]
    effective_receptive_field(net, torch.rand(4, 1, 8, 8), layer="stage2.0.conv1", batch_size=3)
    assert net.training
    assert all(torch.equal(a, b) for a, b in zip(weights, net.parameters(), strict=True))
    assert all(p.grad is None for p in net.parameters())


def test_effective_field_bad_arguments():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten())
    with pytest.raises(ValueError, match="`layer` must name a module"):
        effective_receptive_field(net, np.zeros((1, 1, 5, 5)), layer="conv9")
    with pytest.raises(ValueError, match="`layer` '1' must output maps"):
        effective_receptive_field(net, np.zeros((1, 1, 5, 5)), layer="1")
    with pytest.raises(ValueError, match="`images` must"):
        effective_receptive_field(net, np.zeros((5, 5)), layer="0")
    with pytest.raises(ValueError, match="`erf` must be a map of gradient magnitudes"):
        effective_size(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="`mass` must be"):
        effective_size(np.ones((3, 3)), mass=2.0)
