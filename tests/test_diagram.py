"""Block diagrams drawn from the models: every layer in its box, nothing typed by hand."""

from __future__ import annotations

import matplotlib
import pytest
import torch
from torch import nn

from course_lib.models import alexnet, resnet18, resnet50, small_resnet, vgg
from course_lib.models.diagram import architecture_boxes, plot_architecture

matplotlib.use("Agg")
META = torch.device("meta")


def on_meta(build, *args, **kwargs):
    with META:
        return build(*args, **kwargs)


@pytest.mark.parametrize("build", [alexnet, lambda: alexnet(variant="paper"), lambda: vgg(11),
                                   lambda: vgg(19)])
def test_one_box_per_layer_in_the_models_order(build):
    net = on_meta(build)
    boxes = architecture_boxes(net)
    convs = [n for n, m in net.named_modules() if isinstance(m, nn.Conv2d)]
    linears = [n for n, m in net.named_modules() if isinstance(m, nn.Linear)]
    pools = [n for n, m in net.named_modules()
             if isinstance(m, (nn.MaxPool2d, nn.AdaptiveAvgPool2d))]
    assert [b.name for b in boxes if b.kind == "conv"] == convs
    assert [b.name for b in boxes if b.kind == "linear"] == linears
    assert [b.name for b in boxes if b.kind == "pool"] == pools
    table = net.layer_table()
    for box in boxes:                                  # sizes and channels from the table
        shape = table[box.name].output_shape
        assert box.channels == shape[0]
        assert box.side == (shape[1] if len(shape) == 3 else None)


def test_labels_say_kernel_stride_and_channels():
    boxes = {b.name: b for b in architecture_boxes(on_meta(alexnet, variant="paper"))}
    assert boxes["features.conv1"].label == "conv1\n11x11 /4, 96"
    assert boxes["features.conv2"].label == "conv2\n5x5, 256, 2 groups"
    assert boxes["features.lrn1"].kind == "norm"
    assert boxes["classifier.fc8"].label == "fc8\nfc, 1000"


def test_residual_networks_get_one_box_per_block():
    boxes = architecture_boxes(on_meta(resnet18))
    blocks = [b for b in boxes if b.kind == "block"]
    assert len(blocks) == 8
    assert all(b.residual for b in blocks)
    assert [b.side for b in blocks] == [56, 56, 28, 28, 14, 14, 7, 7]
    assert blocks[2].label == "2 x 3x3 /2\n128"
    bottlenecks = [b for b in architecture_boxes(on_meta(resnet50)) if b.kind == "block"]
    assert len(bottlenecks) == 16
    assert bottlenecks[0].label == "bottleneck\n64-256"
    plain = [b for b in architecture_boxes(small_resnet(8, residual=False)) if b.kind == "block"]
    assert len(plain) == 3
    assert not any(b.residual for b in plain)


def test_plot_has_a_box_and_a_label_per_box():
    net = on_meta(vgg, 16)
    fig = plot_architecture(net)
    ax = fig.axes[0]
    boxes = architecture_boxes(net)
    texts = [t.get_text() for t in ax.texts]
    assert all(b.label in texts for b in boxes)
    assert ax.get_title() == "VGG-16 (configuration D), 224x224 input"
    assert {"224x224", "112x112", "7x7", "flat"} <= set(texts)
    assert len(ax.patches) == len(boxes)
    resnet_fig = plot_architecture(on_meta(resnet18), input_size=64, title="small")
    assert resnet_fig.axes[0].get_title() == "small"
    assert len(resnet_fig.axes[0].patches) == len(architecture_boxes(on_meta(resnet18))) + 8


def test_bad_arguments():
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        architecture_boxes("vgg")
    with pytest.raises(ValueError, match="`input_size` must be at least 1"):
        plot_architecture(on_meta(vgg, 11), input_size=0)
