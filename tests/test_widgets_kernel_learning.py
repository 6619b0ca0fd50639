"""The kernel-descent explorer, driven without a browser: controls change the picture, a
diverging learning rate is explained in place and the last good picture stays."""

import io

import numpy as np
import pytest
from PIL import Image

from course_lib.kernel_learning import kernel_descent
from course_lib.widgets.kernel_learning import (
    TRUE_KERNELS,
    descent_data,
    descent_figure,
    kernel_descent_explorer,
)


@pytest.fixture(scope="module")
def app():
    return kernel_descent_explorer(steps=120)


def picture(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_moving_the_step_changes_the_picture_and_the_error_falls(app):
    app.step.value = 0
    first, first_message = app.plot.value, app.message.value
    app.step.value = 120
    assert picture(app.plot.value).shape[2] in (3, 4)
    assert not np.array_equal(picture(first), picture(app.plot.value))
    error = float(app.message.value.split(": ")[1].split("<")[0])
    assert error < float(first_message.split(": ")[1].split("<")[0])
    assert error < 1e-2


def test_the_explorer_matches_the_library(app):
    app.kernel.value = "Sobel y"
    images, targets = descent_data(TRUE_KERNELS["Sobel y"])
    fit = kernel_descent(images, targets, (3, 3), lr=app.lr.value, steps=120)
    np.testing.assert_array_equal(app.fit().kernels, fit.kernels)


def test_a_diverging_learning_rate_is_explained_and_the_picture_kept(app):
    app.lr.value = 0.3
    good = app.plot.value
    app.lr.value = 1.0
    assert "diverged" in app.message.value
    assert "last good setting" in app.message.value
    assert app.plot.value == good
    app.lr.value = 0.3
    assert "largest weight error" in app.message.value


def test_repr_and_static_bundle(app):
    assert repr(app).startswith("KernelDescentExplorer(kernel=")
    data, metadata = app._repr_mimebundle_()
    assert data["text/plain"] == repr(app)
    assert "image/png" in data
    assert "Gradient descent learning" in metadata["image/png"]["alt"]


def test_descent_figure_checks_the_step():
    images, targets = descent_data(TRUE_KERNELS["box 3x3"], count=2, size=6)
    fit = kernel_descent(images, targets, (3, 3), steps=3)
    assert descent_figure(fit, TRUE_KERNELS["box 3x3"], 3)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="`step` must be at most 3"):
        descent_figure(fit, TRUE_KERNELS["box 3x3"], 4)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kernel": "Laplacian"}, "`kernel` must be one of"),
    ({"lr": 0.33}, "`lr` must be one of"),
    ({"step": 500, "steps": 100}, "`step` must be at most 100"),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        kernel_descent_explorer(**kwargs)
