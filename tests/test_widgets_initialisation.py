"""The explorer of activations through depth, driven as a student would: set values, read what
it shows (no browser: ipywidgets runs its observers in Python)."""

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from course_lib.initialisation import activation_statistics
from course_lib.widgets import initialisation as W
from course_lib.widgets.initialisation import depth_explorer, depth_summary

PNG = b"\x89PNG\r\n\x1a\n"


def test_builds_with_css_class_picture_and_statistics():
    app = depth_explorer(activation="tanh", init="xavier", depth=10)
    assert "course-depth-explorer" in app.widget._dom_classes
    assert app.plot.value[:8] == PNG
    expected = activation_statistics("tanh", init="xavier", depth=10, width=W.WIDTH,
                                     batch=W.BATCH)
    np.testing.assert_array_equal(app.stats.outputs, expected.outputs)
    assert "keeps its size" in app.message.value


def test_changing_the_initialisation_changes_the_picture_and_the_verdict():
    app = depth_explorer(activation="relu", init="he", depth=10)
    before = app.plot.value
    assert "keeps its size" in app.message.value
    app.init.value = "small"
    assert app.plot.value != before
    assert app.plot.value[:8] == PNG
    assert "vanishes" in app.message.value
    assert f"{app.stats.spread[-1]:.3g} after layer 10" in app.message.value
    app.init.value = "xavier"
    assert "shrinks" in app.message.value  # ReLU without He's factor 2 loses half per layer


def test_depth_and_gain_sliders():
    app = depth_explorer(activation="tanh", init="he", depth=10)
    app.depth.value = 25
    assert app.stats.depth == 25
    assert "after layer 25" in app.message.value
    app.activation.value = "relu"
    app.depth.value = 10
    app.gain.value = 4.0
    assert "explodes" in app.message.value  # 4x the He weights: 4 ** 10 over ten layers
    assert app.stats.std[-1] > 1e5


def test_summary_sentences():
    small = activation_statistics("sigmoid", init="he", depth=10, width=32, batch=32)
    text, kind = depth_summary(small)
    assert kind == "info"
    assert text.startswith("The signal vanishes")
    ok = activation_statistics("tanh", init="he", depth=3, width=32, batch=32)
    assert depth_summary(ok)[1] == "ok"


def test_error_is_shown_in_place_and_the_last_picture_kept(monkeypatch):
    app = depth_explorer()
    picture, stats = app.plot.value, app.stats

    def broken(*_args, **_kwargs):
        raise ValueError("`depth` must be at most 200; got 500.")

    monkeypatch.setattr(W, "activation_statistics", broken)
    app.depth.value = 20
    assert "`depth` must be at most 200" in app.message.value
    assert app.plot.value == picture
    assert app.stats is stats


def test_text_and_picture_forms():
    app = depth_explorer(activation="relu", init="he", depth=12)
    assert repr(app) == "DepthExplorer(activation='relu', init='he', layers=12, gain=1)"
    data, metadata = app._repr_mimebundle_()
    assert data["text/plain"] == repr(app)
    assert "image/png" in data
    assert "He (Kaiming)" in metadata["image/png"]["alt"]


def test_dpi_and_bad_options():
    widths = [Image.open(BytesIO(bytes(depth_explorer(depth=3, dpi=d).plot.value))).width
              for d in (72, 144)]
    assert widths[1] == 2 * widths[0]
    with pytest.raises(ValueError, match="`init`"):
        depth_explorer(init="zeros")
    with pytest.raises(ValueError, match="`depth`"):
        depth_explorer(depth=1)


def test_picture_is_named_for_screen_readers():
    from course_lib.widgets.app import NamedImage

    app = depth_explorer(depth=3)
    assert isinstance(app.plot, NamedImage)
    if "tooltip" in app.plot.keys:  # ipywidgets 8
        assert "each layer's activations" in app.plot.tooltip
