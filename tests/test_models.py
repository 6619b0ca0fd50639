"""AlexNet and VGG: published parameter counts, shapes, the paper's details, clear errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from course_lib.models import (
    VGG,
    alexnet,
    conv_output_size,
    count_parameters,
    layer_table,
    min_input_size,
    receptive_field,
    tiny_cnn,
    vgg,
)
from course_lib.models.alexnet import paper_lrn
from course_lib.models.vgg import CONFIGURATIONS

META = torch.device("meta")


def on_meta(build, *args, **kwargs):
    with META:                       # shapes only: instant, no memory
        return build(*args, **kwargs)


@pytest.fixture(scope="module")
def meta_models():
    models = {"alexnet": on_meta(alexnet), "alexnet-paper": on_meta(alexnet, variant="paper")}
    models.update({f"vgg{d}": on_meta(vgg, d) for d in (11, 13, 16, 19)})
    return models


# Published figures: torchvision's model cards for the torchvision layout and VGG, and the sum
# of the 2012 paper's layers (conv1 34,944 + conv2 307,456 + conv3 885,120 + conv4 663,936 +
# conv5 442,624 + fc6 37,752,832 + fc7 16,781,312 + fc8 4,097,000).
@pytest.mark.parametrize(("name", "expected"), [
    ("alexnet", 61_100_840), ("alexnet-paper", 60_965_224),
    ("vgg11", 132_863_336), ("vgg13", 133_047_848), ("vgg16", 138_357_544),
    ("vgg19", 143_667_240),
])
def test_parameter_counts(meta_models, name, expected):
    assert count_parameters(meta_models[name]) == expected


def test_vgg16_bn_parameter_count():
    assert count_parameters(on_meta(vgg, 16, batch_norm=True)) == 138_365_992  # torchvision


@pytest.mark.parametrize(("name", "size"), [("alexnet", 224), ("alexnet-paper", 227),
                                        ("vgg11", 224), ("vgg16", 224), ("vgg19", 224)])
def test_output_shape_at_design_size(meta_models, name, size):
    y = meta_models[name](torch.zeros(2, 3, size, size, device=META))
    assert tuple(y.shape) == (2, 1000)


def test_alexnet_feature_map_sizes(meta_models):
    tv = layer_table(meta_models["alexnet"], (1, 3, 224, 224))
    paper = layer_table(meta_models["alexnet-paper"], (1, 3, 227, 227))
    assert [tv[f"conv{i}"].output_shape for i in range(1, 6)] == [
        (64, 55, 55), (192, 27, 27), (384, 13, 13), (256, 13, 13), (256, 13, 13)]
    # The paper's figure 2: 96x55x55, 256x27x27, 384x13x13, 384x13x13, 256x13x13, 4096, 4096.
    assert [paper[f"conv{i}"].output_shape for i in range(1, 6)] == [
        (96, 55, 55), (256, 27, 27), (384, 13, 13), (384, 13, 13), (256, 13, 13)]
    assert paper["pool5"].output_shape == (256, 6, 6)


def test_vgg_halves_the_size_five_times(meta_models):
    table = layer_table(meta_models["vgg16"], (1, 3, 224, 224))
    assert [table[f"pool{b}"].output_shape for b in range(1, 6)] == [
        (64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]
    assert sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in meta_models["vgg16"].modules()) == 16


@pytest.mark.parametrize(("name", "size"), [("alexnet", 224), ("alexnet-paper", 227),
                                        ("vgg16", 224), ("vgg19", 224)])
def test_table_totals_match_count_and_flop_counter(meta_models, name, size):
    model = meta_models[name].eval()
    table = layer_table(model, (1, 3, size, size))
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, size, size, device=META))
    assert table.total_parameters == count_parameters(model)
    assert 2 * table.total_multiply_adds == counter.get_total_flops()


def test_vgg16_multiply_adds_are_the_published_15_5_billion(meta_models):
    table = layer_table(meta_models["vgg16"], (1, 3, 224, 224))
    assert round(table.total_multiply_adds / 1e9, 1) == 15.5


def test_real_forward_of_small_models():
    torch.manual_seed(0)
    small_vgg = vgg(11, num_classes=7, in_channels=1, width=1 / 16)
    assert tuple(small_vgg(torch.rand(2, 1, 32, 32)).shape) == (2, 7)
    assert [m.out_channels for m in small_vgg.modules() if isinstance(m, nn.Conv2d)] == [
        4, 8, 16, 16, 32, 32, 32, 32]
    net = alexnet(5, in_channels=1)
    assert tuple(net(torch.rand(1, 1, 224, 224)).shape) == (1, 5)


def test_models_print_their_layer_table(meta_models):
    text = repr(meta_models["alexnet-paper"])
    assert text.startswith("AlexNet (2012 paper, two-GPU layout), input 1x3x227x227")
    assert "60,965,224" in text.splitlines()[-1]
    assert "course-layer-table" in meta_models["vgg16"]._repr_html_()


# --- the paper's details -------------------------------------------------------------------------

def test_paper_lrn_is_the_papers_formula():
    """b_c = a_c / (k + alpha * sum_{|j-c| <= n/2} a_j^2)^beta, with k=2, n=5, alpha=1e-4,
    beta=0.75 (Krizhevsky et al., 2012, section 3.3)."""
    torch.manual_seed(0)
    a = torch.randn(1, 9, 4, 4) * 30                                      # (N, C, H, W)
    expected = torch.empty_like(a)
    for c in range(9):
        lo, hi = max(0, c - 2), min(8, c + 2)
        expected[:, c] = a[:, c] / (2 + 1e-4 * (a[:, lo:hi + 1] ** 2).sum(1)) ** 0.75
    torch.testing.assert_close(paper_lrn()(a), expected)


def test_paper_two_gpu_split():
    """conv2's first 128 filters (GPU 1) see only conv1's first 48 maps; conv3 sees all."""
    torch.manual_seed(0)
    net = alexnet(variant="paper")
    conv2, conv3 = net.features.conv2, net.features.conv3
    x = torch.randn(1, 96, 27, 27, requires_grad=True)                   # (1, 96, 27, 27)
    conv2(x)[0, :128].sum().backward()
    per_map = x.grad[0].abs().sum(dim=(1, 2))                            # (96,)
    assert bool((per_map[:48] > 0).all())
    assert bool((per_map[48:] == 0).all())
    assert conv2.groups == 2
    assert conv3.groups == 1
    assert net.features.conv4.groups == net.features.conv5.groups == 2


def test_paper_dropout_follows_fc6_and_fc7_and_torchvision_precedes_them(meta_models):
    paper = list(dict(meta_models["alexnet-paper"].classifier.named_children()))
    tv = list(dict(meta_models["alexnet"].classifier.named_children()))
    assert paper == ["fc6", "relu6", "drop6", "fc7", "relu7", "drop7", "fc8"]
    assert tv == ["drop6", "fc6", "relu6", "drop7", "fc7", "relu7", "fc8"]


def test_paper_224_input_does_not_give_55():
    """The paper's text says 224x224, but (224 - 11) / 4 + 1 is not 55; 227 is."""
    assert conv_output_size(227, 11, stride=4) == 55
    with pytest.raises(ValueError, match="not an integer"):
        conv_output_size(224, 11, stride=4)


def test_vgg_configuration_c_has_the_papers_134_million():
    """Table 2 of the VGG paper: 133, 133, 134, 138, 144 million parameters for A to E."""
    counts = {k: count_parameters(on_meta(VGG, CONFIGURATIONS[k])) for k in "ABCDE"}
    assert {k: round(v / 1e6) for k, v in counts.items()} == dict(A=133, B=133, C=134, D=138,
                                                                  E=144)
    assert count_parameters(on_meta(VGG, CONFIGURATIONS["A-LRN"])) == counts["A"]


# --- receptive field -----------------------------------------------------------------------------

def constant_features(features: nn.Sequential, upto: str) -> nn.Sequential:
    """The layers up to ``upto`` with every weight 1, every bias 0 and max pools averaged
    (same geometry; a max pool would pass the gradient to a single winner)."""
    layers = []
    for name, m in features.named_children():
        if isinstance(m, nn.MaxPool2d):
            m = nn.AvgPool2d(m.kernel_size, m.stride, m.padding)
        layers.append(m)
        if name == upto:
            break
    net = nn.Sequential(*layers)
    for p in net.parameters():
        nn.init.constant_(p, 1.0 if p.ndim > 1 else 0.0)
    return net


def measured_field(net: nn.Sequential, size: int, channels: int) -> int:
    """Backprop one central output unit and measure the extent of the nonzero input gradient."""
    x = torch.ones(1, channels, size, size, requires_grad=True)         # (1, C, H, W)
    y = net(x)                                                           # (1, C', h, w)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2)))[:, 0]
    assert rows.min() > 0, "the field reached the border"
    assert rows.max() < size - 1, "the field reached the border"
    return int(rows.max() - rows.min() + 1)


def test_alexnet_conv5_receptive_field_computed_and_measured():
    torch.manual_seed(0)
    net = alexnet(in_channels=1)
    table = layer_table(net, (1, 1, 224, 224))
    geometry = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1)]
    assert table["conv5"].receptive_field == receptive_field(geometry) == 163
    assert measured_field(constant_features(net.features, "conv5"), 224, 1) == 163


def test_vgg_receptive_fields_computed_and_measured():
    net = vgg(16, in_channels=1, width=1 / 32)
    table = layer_table(net, (1, 1, 224, 224))
    assert table["conv1_2"].receptive_field == 5
    assert table["conv2_1"].receptive_field == 10
    assert measured_field(constant_features(net.features, "conv1_2"), 32, 1) == 5
    assert measured_field(constant_features(net.features, "conv3_3"), 96, 1) == \
        table["conv3_3"].receptive_field == 40


# --- errors --------------------------------------------------------------------------------------

def test_alexnet_on_a_small_image_says_which_layer_fails(meta_models):
    with pytest.raises(ValueError, match=r"features.pool5 \(MaxPool2d 3x3 /2\) receives a map "
                                         r"of height 1.*smallest square input it takes is 63x63"):
        meta_models["alexnet"](torch.zeros(1, 3, 32, 32, device=META))


def test_paper_alexnet_on_224_says_fc6_does_not_fit(meta_models):
    with pytest.raises(ValueError, match=r"classifier.fc6 .* expects 9216 input features; got "
                                         r"6400. Those 6400 are the flattened 256x5x5 maps"):
        meta_models["alexnet-paper"](torch.zeros(1, 3, 224, 224, device=META))


def test_wrong_channels_and_dimensions(meta_models):
    with pytest.raises(ValueError, match="expects 3 input channels; got 1"):
        meta_models["vgg11"](torch.zeros(1, 1, 224, 224, device=META))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        meta_models["vgg11"](torch.zeros(3, 224, 224, device=META))


@pytest.mark.parametrize(("build", "kwargs", "error", "match"), [
    (vgg, dict(depth=15), ValueError, "`depth` must be one of 11, 13, 16, 19"),
    (vgg, dict(depth=16, width=0), ValueError, "`width` must be positive"),
    (vgg, dict(depth=16, batch_norm="yes"), TypeError, "`batch_norm` must be True or False"),
    (alexnet, dict(variant="caffe"), ValueError, "`variant` must be one of"),
    (alexnet, dict(num_classes=0), ValueError, "`num_classes` must be at least 1"),
])
def test_bad_arguments(build, kwargs, error, match):
    with pytest.raises(error, match=match):
        on_meta(build, **kwargs)


@pytest.mark.parametrize(("build", "kwargs", "error", "match"), [
    (vgg, dict(depth=16.0), ValueError, r"`depth` must be one of 11, 13, 16, 19 .*got 16.0"),
    (VGG, dict(config=["M"]), ValueError, "`config` .* has no convolution"),
    (VGG, dict(config=[64, "X"]), ValueError, "`config` item 1 is 'X'"),
    (VGG, dict(config=[64, (32, 2)]), ValueError, r"`config` item 1 is \(32, 2\)"),
    (VGG, dict(config="D"), TypeError, "`config` must be a non-empty list"),
    # too large to build on a real device: refused before allocating, naming the argument
    (alexnet, dict(num_classes=10**9), ValueError, "`num_classes` = 1000000000 would need a "
     "network of 4,097,057,003,840 parameters"),
    (alexnet, dict(in_channels=10**9), ValueError, "`in_channels` = 1000000000 would need"),
    (vgg, dict(depth=19, width=4.0), ValueError, "`width` = 4.0 would need a network of "
     "2,232,955,137 parameters"),
    (vgg, dict(depth=16, num_classes=10**6), ValueError, "`num_classes` = 1000000 would need"),
    (tiny_cnn, dict(width=1024, image_size=1024), ValueError, "`width` = 1024 would need"),
    (tiny_cnn, dict(num_classes=100_000, width=128), ValueError, "`num_classes` = 100000 would"),
])
def test_bad_arguments_on_a_real_device(build, kwargs, error, match):
    with pytest.raises(error, match=match):
        build(**kwargs)


@pytest.mark.parametrize("depth", [11, 13, 16, 19])
@pytest.mark.parametrize("kwargs", [{}, dict(width=0.3, num_classes=7, in_channels=5,
                                            batch_norm=True)])
def test_size_checks_count_parameters_exactly(depth, kwargs):
    """The arithmetic behind the size checks agrees with the built models (on meta)."""
    from course_lib.models.vgg import DEPTHS, _parameter_count

    net = on_meta(vgg, depth=depth, **kwargs)
    expected = _parameter_count(CONFIGURATIONS[DEPTHS[depth]], kwargs.get("in_channels", 3),
                                kwargs.get("width", 1.0), kwargs.get("batch_norm", False),
                                kwargs.get("num_classes", 1000))
    assert count_parameters(net) == expected
    # a network over the limit is still built on the meta device: shapes only, no memory
    assert count_parameters(on_meta(alexnet, num_classes=10**6)) == 61_100_840 + 999_000 * 4097


def test_min_input_size_stops_when_no_larger_side_can_work():
    import time

    start = time.perf_counter()
    assert min_input_size(nn.Sequential(nn.Flatten(), nn.Linear(5, 2)), limit=10**8) is None
    pooled = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(2), nn.Flatten())
    assert min_input_size(nn.Sequential(*pooled, nn.Linear(15, 2)), limit=10**8) is None
    assert min_input_size(nn.Sequential(nn.Conv2d(3, 4, 3)), in_channels=5, limit=10**8) is None
    # it gives up at once; trying every size up to `limit` would take hours (a hang, not a speed)
    assert time.perf_counter() - start < 120
    assert min_input_size(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), limit=10**8) == 2
    assert min_input_size(nn.Sequential(*pooled, nn.Linear(16, 2)), limit=10**8) == 3
    assert min_input_size(on_meta(alexnet, variant="paper")) == 227


# --- figures -------------------------------------------------------------------------------------

def test_filter_bank_and_nearest_kernels():
    from course_lib.filters import preset_kernels
    from course_lib.models.visualise import filter_bank, nearest_kernels

    kernels = {k: v for k, v in preset_kernels().items() if v.shape == (3, 3)}
    name = next(k for k in kernels if "sobel" in k.lower())
    conv = nn.Conv2d(1, 2, 3)
    with torch.no_grad():
        conv.weight[0, 0] = -3 * torch.as_tensor(kernels[name]) + 5    # negated, scaled, offset
        conv.weight[1, 0] = torch.randn(3, 3)
    assert filter_bank(conv).shape == (2, 3, 3)
    assert filter_bank(nn.Conv2d(3, 5, 7)).shape == (5, 7, 7, 3)
    best = nearest_kernels(conv, kernels)
    assert best[0] == (name, 1.0)
    assert 0 <= best[1][1] <= 1
    with pytest.raises(ValueError, match="1 or 3 input channels"):
        filter_bank(nn.Conv2d(2, 4, 3))


def test_cost_figures(meta_models):
    import matplotlib

    matplotlib.use("Agg")
    from course_lib.models.visualise import plot_layer_costs, show_filters

    table = layer_table(meta_models["alexnet"], (1, 3, 224, 224), compact=True)
    fig = plot_layer_costs(table)
    bars = [len(ax.patches) for ax in fig.axes]
    assert bars == [8, 8]                            # conv1-5 and fc6-8
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert abs(sum(widths) - 100) < 1e-6
    assert max(widths) == widths[5]
    fig = show_filters(nn.Conv2d(1, 10, 3), columns=4)
    shown = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(shown) == 10
    assert len(fig.axes) == 12 + 10
    for image in shown:                                      # signed weights: zero in the middle
        low, high = image.get_clim()
        assert image.get_cmap().name == "RdBu_r"
        assert -low == high > 0
    fig = show_filters(nn.Conv2d(1, 4, 3), shared_limits=True)
    assert len({ax.images[0].get_clim() for ax in fig.axes if ax.images}) == 1
    fig = show_filters(nn.Conv2d(3, 5, 7), columns=4)        # colour filters: RGB pictures
    assert sum(bool(ax.images) for ax in fig.axes) == 5
    with pytest.raises(ValueError, match="`columns` must be one of"):
        plot_layer_costs(table, columns=("flops",))


def test_kernel_cosines_against_a_direct_computation():
    import numpy as np

    from course_lib.models.visualise import best_matches, kernel_cosines

    rng = np.random.default_rng(0)
    bank = rng.normal(size=(6, 3, 3))
    kernel = rng.normal(size=(3, 3))
    cosines = kernel_cosines(bank, {"k": kernel})["k"]
    for f, c in zip(bank, cosines, strict=True):
        a, b = (f - f.mean()).ravel(), (kernel - kernel.mean()).ravel()
        assert c == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    index, value = best_matches(bank, {"k": kernel})["k"]
    assert abs(value) == pytest.approx(np.abs(cosines).max())
    assert cosines[index] == value


def test_random_best_cosines_is_a_null_baseline():
    import numpy as np

    from course_lib.filters import sobel_kernel
    from course_lib.models.visualise import random_best_cosines

    sobel = {"Sobel x": sobel_kernel(axis=1)}
    one = random_best_cosines(sobel, n_filters=1, trials=4000)["Sobel x"]
    sixteen = random_best_cosines(sobel, n_filters=16, trials=4000)["Sobel x"]
    assert one.shape == sixteen.shape == (4000,)
    assert np.all((0 <= sixteen) & (sixteen <= 1))
    # the best of 16 random filters matches far better than a single one: that is the baseline
    assert np.median(one) < 0.3 < 0.6 < np.median(sixteen) < 0.75
    assert np.array_equal(sixteen, random_best_cosines(sobel, n_filters=16, trials=4000)["Sobel x"])
    with pytest.raises(ValueError, match="`n_filters`"):
        random_best_cosines(sobel, n_filters=0)
    with pytest.raises(ValueError, match="the limit is 50,000,000"):
        random_best_cosines(sobel, n_filters=4096, trials=100_000)


def test_models_are_titled_by_their_name():
    with torch.device("meta"):
        assert vgg(16).title == "VGG-16 (configuration D)"
        assert vgg(11, width=1 / 16, batch_norm=True).title == (
            "VGG-11 (configuration A) with batch norm, width 0.0625")
        assert VGG(CONFIGURATIONS["C"], name="C").title == "C"
        assert alexnet(variant="paper").title == "AlexNet (2012 paper, two-GPU layout)"
