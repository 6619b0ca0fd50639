"""Tests of course_lib.transfer: a new head keeps the features' weights and leaves the source
unchanged, frozen features are what the classifier reads (against the model's own forward pass),
a linear probe trains exactly like the network with frozen features and the same new layer, and
resizing matches torch's interpolation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib import transfer as T
from course_lib.models import tiny_cnn
from course_lib.train import fit


def test_with_new_head_copies_the_features_and_replaces_the_last_layer():
    torch.manual_seed(0)
    source = tiny_cnn(image_size=16, num_classes=4)
    before = {k: v.clone() for k, v in source.state_dict().items()}
    target = T.with_new_head(source, 10)
    assert target.classifier[-1].out_features == 10
    assert target.num_classes == 10
    for name, value in source.features.state_dict().items():
        assert torch.equal(target.features.state_dict()[name], value)
    assert all(torch.equal(before[k], v) for k, v in source.state_dict().items())  # source unchanged
    assert all(p.requires_grad for p in target.parameters())
    frozen = T.with_new_head(source, 3, freeze_features=True)
    assert not any(p.requires_grad for p in frozen.features.parameters())
    assert all(p.requires_grad for p in frozen.classifier.parameters())
    assert tuple(frozen(torch.zeros(2, 1, 16, 16)).shape) == (2, 3)


def test_frozen_features_are_what_the_classifier_reads():
    torch.manual_seed(1)
    model = tiny_cnn().train()
    x = torch.randn(5, 1, 8, 8)
    features = T.frozen_features(model, x, batch_size=2)
    assert model.training  # put back in its mode
    torch.testing.assert_close(model.classifier[-1](features), model(x), rtol=1e-6, atol=1e-6)


def test_linear_probe_trains_like_the_network_with_frozen_features():
    torch.manual_seed(2)
    source = tiny_cnn(num_classes=4)
    x = torch.randn(48, 1, 8, 8)
    y = torch.arange(48) % 3
    torch.manual_seed(5)
    layer, history = T.linear_probe(source, (x, y), (x[:12], y[:12]), num_classes=3, epochs=4,
                                    lr=0.01, batch_size=16)
    torch.manual_seed(5)
    network = T.with_new_head(source, 3, freeze_features=True)
    reference = fit(network, (x, y), test=(x[:12], y[:12]), epochs=4, lr=0.01, batch_size=16,
                    progress=False)
    torch.testing.assert_close(layer.weight, network.classifier[-1].weight, rtol=1e-5, atol=1e-6)
    assert history.test_acc == reference.test_acc
    for name, value in source.features.state_dict().items():  # frozen: unchanged
        assert torch.equal(network.features.state_dict()[name], value)


def test_resize_is_bilinear_interpolation():
    x = torch.rand(3, 1, 8, 8)
    expected = nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(T.resize(x, 16), expected)
    assert torch.equal(T.resize(x, 8), x)


def test_freeze_stops_an_optimiser_from_changing_the_weights():
    layer = nn.Linear(3, 2)
    before = layer.weight.clone()
    T.freeze(layer[0] if isinstance(layer, nn.Sequential) else layer)
    head = nn.Linear(2, 2)
    optimizer = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=0.1)
    head(layer(torch.randn(4, 3))).sum().backward()
    optimizer.step()
    assert torch.equal(layer.weight, before)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: T.with_new_head(nn.Linear(2, 2), 3), "`model` must have a `features` module"),
    (lambda: T.with_new_head("net", 3), "`model` must be a torch.nn.Module"),
    (lambda: T.with_new_head(tiny_cnn(), 1), "`num_classes` must be at least 2"),
    (lambda: T.with_new_head(tiny_cnn(), 3, freeze_features=1), "`freeze_features` must be True"),
    (lambda: T.frozen_features(tiny_cnn(), torch.zeros(8, 8)), "`x` must be a non-empty float batch"),
    (lambda: T.resize(torch.zeros(1, 1, 4, 4), 0), "`size` must be at least 1"),
    (lambda: T.freeze(3), "`module` must be a torch.nn.Module"),
    (lambda: T.linear_probe(tiny_cnn(), torch.zeros(3), num_classes=2, epochs=1, lr=0.1),
     "`train` must be a pair"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert message in str(error.value)
