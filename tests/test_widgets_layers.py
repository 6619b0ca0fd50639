"""The layer explorer, driven by setting widget values as a reader would."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from course_lib.models import layer_table, vgg
from course_lib.widgets import layers
from course_lib.widgets.layers import MODEL_NAMES, explorer_table, layer_explorer


def png_pixels(view) -> np.ndarray:
    import io

    return np.asarray(Image.open(io.BytesIO(view.value)))


@pytest.fixture
def app():
    return layer_explorer()


def test_starts_on_alexnet_at_224(app):
    assert app.model_choice.value == "AlexNet (torchvision)"
    assert app.input_size.value == 224
    assert app.layer_slider.max == len(app.current_table) - 1
    assert "features.conv1" in app.details.value
    assert "23,296" in app.details.value
    assert app.message.value == ""
    assert png_pixels(app.picture).shape == (224, 224, 3)


def test_css_classes_for_browser_tests(app):
    assert "course-layer-explorer" in app.widget._dom_classes
    assert "course-layer-model" in app.model_choice._dom_classes
    assert "course-layer-slider" in app.layer_slider._dom_classes


def test_slider_steps_through_the_layers(app):
    table = app.current_table
    for index in (0, 3, len(table) - 1):
        app.layer_slider.value = index
        row = table.rows[index]
        shape = "x".join(str(v) for v in row.output_shape)
        assert f"<b>{row.name}</b>" in app.details.value
        assert f"output {shape}" in app.details.value
        assert f"{row.parameters:,}" in app.details.value
        assert 'style="background:#fff3b0"><td' in app.table.value
    assert "whole input" in app.details.value         # the last layer is fc8


def test_receptive_field_square_grows(app):
    """The red square of a deeper layer encloses more of the picture."""
    def red_extent() -> int:
        pixels = png_pixels(app.picture).astype(int)
        red = (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
        rows = np.nonzero(red.any(axis=1))[0]
        return int(rows.max() - rows.min() + 1)

    app.layer_slider.value = 0
    assert red_extent() == 11                         # conv1: 11x11
    app.layer_slider.value = [r.name for r in app.current_table.rows].index("features.conv5")
    assert red_extent() == 163


def test_model_choice_switches_the_table(app):
    app.model_choice.value = "VGG-16"
    expected = layer_table(vgg(16, width=1 / 64), (1, 3, 224, 224), compact=True)
    assert [r.name for r in app.current_table.rows] == [r.name for r in expected.rows]
    assert app.current_table.total_parameters == 138_357_544
    assert app.message.value == ""


def test_paper_alexnet_moves_to_227_and_says_so(app):
    app.model_choice.value = "AlexNet (paper, 2012)"
    assert app.input_size.value == 227
    assert "set to 227" in app.message.value
    assert app.current_table.total_parameters == 60_965_224


@pytest.mark.parametrize(("size", "words"), [(32, "features.pool5"), (0, "at least 1"),
                                         (5000, "at most 2048")])
def test_bad_size_keeps_the_last_good_view(app, size, words):
    app.layer_slider.value = 2
    details, picture, table = app.details.value, app.picture.value, app.current_table
    app.input_size.value = size
    assert words in app.message.value
    assert "Still showing 224x224" in app.message.value
    assert (app.details.value, app.picture.value) == (details, picture)
    assert app.current_table is table
    app.input_size.value = 256                        # a good size clears the message
    assert app.message.value == ""
    assert app.current_table.input_shape == (1, 3, 256, 256)


def test_tables_are_cached_per_model_and_size():
    app = layer_explorer(model="VGG-19")
    first = app.current_table
    for index in range(5):  # moving through the layers reuses the model's table
        app.layer_slider.value = index
        assert app.current_table is first
    app.input_size.value = 200
    assert app.current_table is not first
    assert app.current_table.input_shape[-1] == 200
    app.input_size.value = 224  # back to a size seen before: the same table, not a new trace
    assert app.current_table is first


def test_every_model_at_its_own_size():
    for name in MODEL_NAMES:
        table = explorer_table(name, layers.native_size(name))
        assert table.output_shape == (1000,)


def test_resnet_in_the_explorer_follows_the_shortcuts(app):
    """ResNet joins the explorer; its receptive fields are the graph's, not the layer order's."""
    app.model_choice.value = "ResNet-18"
    table = app.current_table
    assert table.total_parameters == 11_689_512
    assert table["layer4.1.conv2"].receptive_field == 435
    assert table["layer2.0.downsample.0"].receptive_field == 43      # the shortcut's own field
    app.layer_slider.value = [r.name for r in table.rows].index("layer2.0.downsample.0")
    assert "43x43 pixels" in app.details.value
    app.model_choice.value = "ResNet-50"
    assert app.current_table.total_parameters == 25_557_032
    assert app.message.value == ""


def test_bad_arguments():
    with pytest.raises(ValueError, match="`model` must be one of"):
        layer_explorer(model="GoogLeNet")
    with pytest.raises(ValueError, match="`layer` must be at most"):
        layer_explorer(layer=99)
