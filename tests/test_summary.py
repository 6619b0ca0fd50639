"""Layer arithmetic against PyTorch's own layers, FLOP counter and autograd."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from course_lib.models import (
    LayerTable,
    check_input_shape,
    conv_multiply_adds,
    conv_output_size,
    conv_parameters,
    count_parameters,
    layer_output_shape,
    layer_table,
    linear_multiply_adds,
    linear_parameters,
    min_input_size,
    pool_output_size,
    receptive_field,
    receptive_fields,
)

META = torch.device("meta")


def torch_flops(model: nn.Module, x: torch.Tensor) -> int:
    """Total FLOPs of one forward pass, as PyTorch's FlopCounterMode counts them."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    return counter.get_total_flops()


# --- output size ------------------------------------------------------------------------------

layer_settings = dict(n=st.integers(1, 60), k=st.integers(1, 7), s=st.integers(1, 5),
                      p=st.integers(0, 4), d=st.integers(1, 3))


@settings(max_examples=80, deadline=None)
@given(**layer_settings)
def test_floor_output_size_matches_conv2d(n, k, s, p, d):
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, device=META)
    span = d * (k - 1) + 1
    if n + 2 * p < span:
        with pytest.raises(ValueError, match="does not fit"):
            conv_output_size(n, k, stride=s, padding=p, dilation=d, rounding="floor")
        with pytest.raises(RuntimeError):
            conv(torch.zeros(1, 1, n, n, device=META))
        return
    out = conv(torch.zeros(1, 1, n, n, device=META)).shape[-1]
    assert conv_output_size(n, k, stride=s, padding=p, dilation=d, rounding="floor") == out
    if (n + 2 * p - span) % s == 0:           # exact tiling: the textbook formula is an integer
        assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == out
    else:
        with pytest.raises(ValueError, match="not an integer"):
            conv_output_size(n, k, stride=s, padding=p, dilation=d)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(1, 6), s=st.integers(1, 4), data=st.data(),
       ceil_mode=st.booleans())
def test_pool_output_size_matches_maxpool2d(n, k, s, data, ceil_mode):
    p = data.draw(st.integers(0, k // 2))    # torch: padding at most half the kernel
    pool = nn.MaxPool2d(k, stride=s, padding=p, ceil_mode=ceil_mode)
    x = torch.zeros(1, 1, n, n, device=META)
    if n + 2 * p < k:
        with pytest.raises(ValueError, match="does not fit"):
            pool_output_size(n, k, stride=s, padding=p, ceil_mode=ceil_mode)
        return
    assert pool_output_size(n, k, stride=s, padding=p, ceil_mode=ceil_mode) == pool(x).shape[-1]


def test_pool_stride_defaults_to_kernel_like_torch():
    x = torch.zeros(1, 1, 9, 9, device=META)
    assert pool_output_size(9, 2) == nn.MaxPool2d(2)(x).shape[-1] == 4
    assert pool_output_size(9, 2, ceil_mode=True) == nn.MaxPool2d(2, ceil_mode=True)(x).shape[-1]


def test_inexact_size_message_explains_the_floor():
    with pytest.raises(ValueError, match=r"55.25 is not an integer.*rounding=\"floor\" gives 55"):
        conv_output_size(224, 11, stride=4, padding=2)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(n=0, kernel_size=3), "`n` must be at least 1"),
    (dict(n=5, kernel_size=3, stride=0), "`stride` must be at least 1"),
    (dict(n=5, kernel_size=3, rounding="round"), "`rounding` must be one of"),
    (dict(n=2, kernel_size=5), "does not fit"),
])
def test_bad_output_size_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv_output_size(**kwargs)


def test_non_integer_size_is_a_type_error():
    with pytest.raises(TypeError, match="`n` must be an integer"):
        conv_output_size(5.5, 3)


# --- parameters and multiply-adds ---------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(c_in=st.integers(1, 4), c_out=st.integers(1, 4), g=st.sampled_from([1, 2]),
       k=st.integers(1, 5), n=st.integers(5, 20), s=st.integers(1, 3), bias=st.booleans())
def test_conv_counts_match_torch(c_in, c_out, g, k, n, s, bias):
    c_in, c_out = c_in * g, c_out * g
    conv = nn.Conv2d(c_in, c_out, k, stride=s, groups=g, bias=bias, device=META)
    y = conv(torch.zeros(1, c_in, n, n, device=META))                    # (1, C_out, H, W)
    assert conv_parameters(c_in, c_out, k, groups=g, bias=bias) == count_parameters(conv)
    flops = torch_flops(conv, torch.zeros(1, c_in, n, n, device=META))
    assert 2 * conv_multiply_adds(c_in, c_out, k, y.shape[2], y.shape[3], groups=g) == flops


@settings(max_examples=30, deadline=None)
@given(f_in=st.integers(1, 300), f_out=st.integers(1, 300), bias=st.booleans())
def test_linear_counts_match_torch(f_in, f_out, bias):
    fc = nn.Linear(f_in, f_out, bias=bias, device=META)
    assert linear_parameters(f_in, f_out, bias=bias) == count_parameters(fc)
    assert 2 * linear_multiply_adds(f_in, f_out) == torch_flops(fc, torch.zeros(1, f_in,
                                                                                 device=META))


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match="`groups` must divide"):
        conv_parameters(3, 64, 3, groups=2)


def test_count_parameters_counts_shared_weights_once():
    fc = nn.Linear(4, 4)
    assert count_parameters(nn.Sequential(fc, nn.ReLU(), fc)) == 20
    frozen = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    frozen[0].requires_grad_(False)
    assert count_parameters(frozen, trainable_only=True) == 10


def test_count_parameters_refuses_non_modules():
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        count_parameters([1, 2, 3])


# --- receptive field -----------------------------------------------------------------------------

def test_stacked_3x3_receptive_fields():
    assert receptive_field([(3, 1)] * 2) == 5
    assert receptive_field([(3, 1)] * 3) == 7
    assert receptive_field([(5, 1)]) == 5
    assert receptive_field([(7, 1)]) == 7
    assert receptive_fields([(2, 2), (3, 1)]) == [(2, 2), (6, 2)]


def measured_receptive_field(layers: nn.Sequential, size: int, channels: int = 1) -> int:
    """Rows of the input that reach the centre unit of the output: backprop one unit.

    Every weight is 1 and every bias 0, so on an all-ones input every ReLU passes its gradient
    and no two contributions can cancel; max pools are swapped for average pools of the same
    geometry (a max pool passes the gradient to one winner only)."""
    layers = nn.Sequential(*[
        nn.AvgPool2d(m.kernel_size, m.stride, m.padding) if isinstance(m, nn.MaxPool2d) else m
        for m in layers])
    for p in layers.parameters():
        nn.init.constant_(p, 1.0 if p.ndim > 1 else 0.0)
    x = torch.ones(1, channels, size, size, requires_grad=True)          # (1, C, H, W)
    y = layers(x)                                                        # (1, C', h, w)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2)))[:, 0]
    cols = torch.nonzero(x.grad[0].abs().sum(dim=(0, 1)))[:, 0]
    assert rows.max() < size - 1, "the field reached the border"
    assert rows.min() > 0, "the field reached the border"
    assert int(rows.max() - rows.min() + 1) == int(cols.max() - cols.min() + 1)
    return int(rows.max() - rows.min() + 1)


def test_two_and_three_3x3_convolutions_measured():
    conv = lambda: nn.Conv2d(1, 1, 3, padding=1)
    assert measured_receptive_field(nn.Sequential(conv(), nn.ReLU(), conv()), 15) == 5
    assert measured_receptive_field(nn.Sequential(conv(), conv(), conv()), 15) == 7


def test_layer_table_receptive_field_matches_formula_and_measurement():
    layers = nn.Sequential(nn.Conv2d(1, 2, 5, stride=2), nn.ReLU(), nn.MaxPool2d(3, 2),
                           nn.Conv2d(2, 2, 3, dilation=2))
    table = layer_table(layers, (1, 1, 64, 64))
    assert table.rows[-1].receptive_field == receptive_field(layers) == 25
    assert measured_receptive_field(layers, 64) == 25


# --- shapes through a model ----------------------------------------------------------------------

def test_layer_output_shape_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"layer c1 .* expects 3 input channels; got 1"):
        layer_output_shape(nn.Conv2d(3, 8, 3), (1, 32, 32), name="c1")
    with pytest.raises(ValueError, match=r"layer fc .* expects 10 input features; got 12"):
        layer_output_shape(nn.Linear(10, 2), (12,), name="fc")


def test_check_input_shape_matches_a_real_forward():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.MaxPool2d(2, ceil_mode=True),
                        nn.Flatten(), nn.Linear(4 * 8 * 8, 5))
    assert check_input_shape(net, (2, 3, 32, 32)) == tuple(net(torch.zeros(2, 3, 32, 32)).shape)
    assert min_input_size(net) == 31     # the only sizes whose map flattens to 4x8x8
    with pytest.raises(ValueError, match=r"flattened 4x7x7 maps of layer 1"):
        check_input_shape(net, (1, 3, 29, 29))


@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 3, 0, 32), (1, 3, 32.0, 32), "1x3x32x32"])
def test_layer_table_refuses_bad_input_shapes(shape):
    with pytest.raises(ValueError, match="`input_shape`"):
        layer_table(nn.Conv2d(3, 4, 3), shape)


# --- the layer table -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, groups=2), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Dropout(),
                         nn.Linear(256, 10))


def test_table_totals_match_torch(small_net):
    table = layer_table(small_net, (2, 3, 32, 32))
    assert table.total_parameters == count_parameters(small_net)
    assert 2 * 2 * table.total_multiply_adds == torch_flops(small_net, torch.zeros(2, 3, 32, 32))
    assert table.output_shape == tuple(small_net(torch.zeros(2, 3, 32, 32)).shape[1:])


def test_table_rows_match_hand_formulas(small_net):
    table = layer_table(small_net, (1, 3, 32, 32))
    assert [r.output_shape for r in table.rows[:4]] == [(8, 32, 32), (8, 32, 32), (8, 16, 16),
                                                        (16, 14, 14)]
    assert table["0"].multiply_adds == conv_multiply_adds(3, 8, 5, 32)
    assert table["3"].multiply_adds == conv_multiply_adds(8, 16, 3, 14, groups=2)
    assert table["3"].parameters == conv_parameters(8, 16, 3, groups=2)
    assert table["9"].receptive_field is None
    assert table["0"].activations == 8 * 32 * 32


def test_table_leaves_the_model_alone(small_net):
    small_net.train()
    before = [p.clone() for p in small_net.parameters()]
    layer_table(small_net, (1, 3, 32, 32))
    assert small_net.training
    assert all(torch.equal(a, b) for a, b in zip(before, small_net.parameters(), strict=True))


def test_compact_table_keeps_totals_and_drops_elementwise_rows(small_net):
    full = layer_table(small_net, (1, 3, 32, 32))
    compact = layer_table(small_net, (1, 3, 32, 32), compact=True)
    assert len(full) - len(compact) == 3        # two ReLUs and the dropout
    assert (compact.total_parameters, compact.total_multiply_adds) == (
        full.total_parameters, full.total_multiply_adds)


def test_table_prints_readably(small_net):
    table = layer_table(small_net, (1, 3, 32, 32), title="small")
    text = repr(table)
    assert text.startswith("small, input 1x3x32x32")
    assert f"{table.total_parameters:,}" in text.splitlines()[-1]
    assert "Conv2d 3->8, 5x5 pad 2" in text
    assert "whole input" in text
    page = table._repr_html_()
    assert page.count("<tr") == len(table) + 2
    assert f"{table.total_multiply_adds:,}" in page
    assert isinstance(table, LayerTable)
    assert table.column("parameters")[0] == 8 * 75 + 8


def test_table_error_names_the_layer(small_net):
    with pytest.raises(ValueError, match=r"layer 3 \(Conv2d 8->16, 3x3 groups 2\)"):
        layer_table(small_net, (1, 3, 3, 3))


def test_table_totals_by_kind(small_net):
    table = layer_table(small_net, (1, 3, 32, 32))
    convs = [m for m in small_net if isinstance(m, nn.Conv2d)]
    assert table.total("parameters", kind="Conv2d") == sum(count_parameters(c) for c in convs)
    assert table.total("parameters", kind="Linear") == count_parameters(small_net[9])
    assert table.total("multiply_adds") == table.total_multiply_adds
    with pytest.raises(ValueError, match="`column` must be one of"):
        table.total("flops")


def test_totals_by_size_split_vgg16_into_its_stages():
    from course_lib.models import vgg

    with torch.device("meta"):
        table = vgg(16).layer_table(compact=True)
    stages = table.total_by_size("multiply_adds", kind="Conv2d")
    assert list(stages) == [224, 112, 56, 28, 14]
    assert sum(stages.values()) == table.total("multiply_adds", kind="Conv2d")
    # by hand: stage side n, convolutions (c_in, c_out) of 3x3 at n x n
    by_hand = {224: [(3, 64), (64, 64)], 112: [(64, 128), (128, 128)],
               56: [(128, 256), (256, 256), (256, 256)], 28: [(256, 512), (512, 512), (512, 512)],
               14: [(512, 512)] * 3}
    for side, convs in by_hand.items():
        assert stages[side] == sum(conv_multiply_adds(a, b, 3, side) for a, b in convs)
    assert stages[56] == stages[28]
    assert round(stages[224] / table.total_multiply_adds, 3) == 0.125
    assert table.total_by_size("parameters") == {
        side: sum(r.parameters for r in table.rows
                  if len(r.output_shape) == 3 and r.output_shape[1] == side)
        for side in (224, 112, 56, 28, 14, 7)}
    with pytest.raises(ValueError, match="`column` must be one of"):
        table.total_by_size("flops")


def test_layer_rows_carry_their_kind_and_totals_use_it():
    table = layer_table(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)),
                        (1, 1, 6, 6))
    assert [row.kind for row in table.rows] == ["Conv2d", "ReLU", "Flatten", "Linear"]
    assert table.total("parameters", kind="Conv2d") == 2 * 9 + 2
    assert table.total("parameters", kind="Linear") == 32 * 3 + 3
