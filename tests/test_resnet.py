"""ResNet written in the course: published counts, multiply-adds, blocks, the plain twin."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.models import (
    ResNet,
    conv_multiply_adds,
    conv_parameters,
    count_parameters,
    linear_multiply_adds,
    resnet18,
    resnet34,
    resnet50,
    small_resnet,
)
from course_lib.models.resnet import BasicBlock, Bottleneck, SmallBlock

META = torch.device("meta")


def on_meta(build, *args, **kwargs):
    with META:
        return build(*args, **kwargs)


# torchvision's model cards: parameters, and "GFLOPS" (which count multiply-adds) at 224x224
PUBLISHED = {18: (resnet18, 11_689_512, 1.81), 34: (resnet34, 21_797_672, 3.66),
             50: (resnet50, 25_557_032, 4.09)}


@pytest.mark.parametrize("depth", sorted(PUBLISHED))
def test_published_parameter_counts_and_multiply_adds(depth):
    build, parameters, giga = PUBLISHED[depth]
    net = on_meta(build)
    assert count_parameters(net) == parameters
    table = net.layer_table()
    assert table.total_parameters == parameters
    assert round(table.total_multiply_adds / 1e9, 2) == giga


@pytest.mark.parametrize("depth", sorted(PUBLISHED))
def test_multiply_adds_by_hand_match_the_flop_counter(depth):
    """The table's multiply-adds (FlopCounterMode) equal the hand formula, layer by layer."""
    net = on_meta(PUBLISHED[depth][0])
    table = net.layer_table()
    by_hand = 0
    for name, module in net.named_modules():
        if isinstance(module, nn.Conv2d):
            side = table[name].output_shape[1]
            by_hand += conv_multiply_adds(module.in_channels, module.out_channels,
                                          module.kernel_size[0], side)
        elif isinstance(module, nn.Linear):
            by_hand += linear_multiply_adds(module.in_features, module.out_features)
    assert by_hand == table.total_multiply_adds


def test_depth_counts_the_weight_layers_of_the_main_path():
    for depth, (build, _, _) in PUBLISHED.items():
        net = on_meta(build)
        main = [n for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))
                and "downsample" not in n]
        assert net.depth == len(main) == depth


def test_blocks_by_the_formula():
    # basic: two 3x3 convolutions without bias, two batch norms (2 parameters per channel)
    assert count_parameters(BasicBlock(64, 64)) == 2 * conv_parameters(64, 64, 3, bias=False) \
        + 2 * 2 * 64
    # with a projection shortcut: a 1x1 convolution with stride 2 and its batch norm
    assert count_parameters(BasicBlock(64, 128, stride=2)) == (
        conv_parameters(64, 128, 3, bias=False) + conv_parameters(128, 128, 3, bias=False)
        + conv_parameters(64, 128, 1, bias=False) + 3 * 2 * 128)
    assert BasicBlock(64, 64).downsample is None
    # bottleneck 256 -> 64 -> 64 -> 256 (ResNet-50's conv2_x)
    assert count_parameters(Bottleneck(256, 64)) == (
        conv_parameters(256, 64, 1, bias=False) + conv_parameters(64, 64, 3, bias=False)
        + conv_parameters(64, 256, 1, bias=False) + 2 * (64 + 64 + 256))


def test_residual_block_adds_its_input():
    """With its convolutions at zero, a block's output is relu(its input): the shortcut."""
    torch.manual_seed(0)
    block = BasicBlock(8, 8).eval()
    for conv in (block.conv1, block.conv2):
        nn.init.zeros_(conv.weight)
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(block(x), torch.relu(x))


def test_real_forward_and_backward_of_resnet18():
    torch.manual_seed(0)
    net = resnet18(num_classes=5, in_channels=1)
    y = net(torch.randn(2, 1, 64, 64))
    assert y.shape == (2, 5)
    y.sum().backward()
    assert net.conv1.weight.grad is not None
    assert net.conv1.weight.grad.abs().sum() > 0


def test_any_input_size_passes_and_bad_inputs_are_named():
    net = on_meta(resnet18).eval()          # (in training, batch norm needs 2 values a channel)
    assert net(torch.zeros(1, 3, 1, 1, device=META)).shape == (1, 1000)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\) for ResNet-18; got shape \(1, 1, 32, 32\)"):
        net(torch.zeros(1, 1, 32, 32, device=META))
    with pytest.raises(TypeError, match=r"`x` must be a torch\.Tensor"):
        net([1, 2])
    with pytest.raises(ValueError, match="`depth` must be one of"):
        ResNet(101)
    with pytest.raises(ValueError, match="`num_classes` must be at most"):
        resnet50(num_classes=10**6)


# --- the paper's small networks (section 4.2) ----------------------------------------------

@pytest.mark.parametrize("depth", [8, 20, 56])
def test_plain_and_residual_twins_have_the_same_parameters(depth):
    plain, res = small_resnet(depth, residual=False), small_resnet(depth)
    assert count_parameters(plain) == count_parameters(res)
    weight_layers = [m for m in res.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(weight_layers) == depth == res.depth
    assert [n for n, _ in plain.named_parameters()] == [n for n, _ in res.named_parameters()]


def test_option_a_shortcut_subsamples_and_pads_with_zeros():
    torch.manual_seed(0)
    block = SmallBlock(4, 8, 2, residual=True).eval()
    for conv in (block.conv1, block.conv2):
        nn.init.zeros_(conv.weight)
    x = torch.randn(2, 4, 6, 6)
    expected = torch.cat([x[:, :, ::2, ::2], torch.zeros(2, 4, 3, 3)], dim=1)
    torch.testing.assert_close(block(x), torch.relu(expected))
    plain = SmallBlock(4, 8, 2, residual=False).eval()
    for conv in (plain.conv1, plain.conv2):
        nn.init.zeros_(conv.weight)
    assert torch.all(plain(x) == 0)                    # no shortcut: nothing gets through


def test_small_resnet_shapes_and_errors():
    net = small_resnet(14, width=4, num_classes=3, in_channels=2)
    assert net(torch.zeros(5, 2, 8, 8)).shape == (5, 3)
    assert net(torch.zeros(1, 2, 7, 9)).shape == (1, 3)          # odd sides pass too
    assert net.layer_table().input_shape == (1, 2, 8, 8)
    assert str(net.layer_table()).startswith("ResNet-14, input 1x2x8x8")
    assert small_resnet(8, residual=False).title == "plain-8"
    with pytest.raises(ValueError, match=r"`depth` must be 6n \+ 2"):
        small_resnet(10)
    with pytest.raises(TypeError, match="`residual` must be"):
        small_resnet(8, residual="yes")
    with pytest.raises(ValueError, match="`width` must be at most"):
        small_resnet(8, width=1000)
