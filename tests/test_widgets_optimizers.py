"""The optimiser explorer, driven without a browser: controls redraw the path, the paths are the
library's, bad input is explained in place and the last good picture stays."""

import io

import numpy as np
import pytest
from PIL import Image

from course_lib.loss_surfaces import optimizer_path
from course_lib.widgets.optimizers import (
    OPTIMIZER_CHOICES,
    SURFACES,
    explorer_paths,
    optimizer_explorer,
)


@pytest.fixture(scope="module")
def app():
    return optimizer_explorer(steps=60)


def picture(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float)


def test_every_control_redraws_the_picture(app):
    for control, value in ((app.optimizer, "Adam"), (app.lr, "0.1"), (app.momentum, 0.5),
                           (app.surface, "narrow bowl, turned 30°"), (app.steps, 120),
                           (app.compare, False), (app.optimizer, "RMSprop")):
        before = picture(app.plot.value)
        control.value = value
        after = picture(app.plot.value)
        assert before.shape != after.shape or np.abs(before - after).mean() > 0.05, control
        assert "last good" not in app.message.value


def test_the_paths_are_the_librarys(app):
    app.surface.value = "narrow bowl"
    app.optimizer.value = "SGD + Nesterov"
    app.lr.value = "0.03"
    app.momentum.value = 0.8
    app.steps.value = 60
    app.compare.value = True
    bowl = SURFACES["narrow bowl"]
    paths = app.paths()
    assert list(paths) == ["SGD + Nesterov, lr 0.03, momentum 0.8", "plain SGD, lr 0.03"]
    np.testing.assert_array_equal(paths["SGD + Nesterov, lr 0.03, momentum 0.8"], optimizer_path(
        bowl, "sgd", lr=0.03, momentum=0.8, nesterov=True, steps=60))
    np.testing.assert_array_equal(paths["plain SGD, lr 0.03"],
                                  optimizer_path(bowl, "sgd", lr=0.03, steps=60))
    assert "SGD + Nesterov, lr 0.03, momentum 0.8: after 60 steps, loss" in app.message.value
    app.optimizer.value = "Adam"
    adam = app.paths()["Adam, lr 0.03, β1 0.8"]
    np.testing.assert_array_equal(adam, optimizer_path(bowl, "adam", lr=0.03, betas=(0.8, 0.999),
                                                       steps=60))


@pytest.mark.parametrize(("text", "message"), [
    ("abc", "learning rate: &#x27;abc&#x27; is not a number"),
    ("-0.1", "learning rate: &#x27;-0.1&#x27; must be a number above 0 and at most 1000"),
    ("0", "must be a number above 0"),
    ("1e9", "must be a number above 0 and at most 1000"),
    ("1/0", "divides by zero"),
])
def test_a_bad_learning_rate_is_explained_and_the_picture_kept(app, text, message):
    app.optimizer.value = "SGD + momentum"
    app.lr.value = "0.02"
    good, paths = app.plot.value, app.paths()
    app.lr.value = text
    assert message in app.message.value
    assert "The picture shows the last good setting." in app.message.value
    assert app.plot.value == good
    assert app.paths().keys() == paths.keys()
    app.lr.value = "0.02"
    assert "after" in app.message.value


def test_nesterov_without_momentum_is_explained(app):
    app.lr.value = "0.02"
    app.optimizer.value = "SGD + Nesterov"
    app.momentum.value = 0.5
    good = app.plot.value
    app.momentum.value = 0.0
    assert "`nesterov` needs momentum &gt; 0" in app.message.value
    assert app.plot.value == good
    app.optimizer.value = "SGD + momentum"  # plain SGD: momentum 0 is fine
    assert "SGD + momentum, lr 0.02, momentum 0: after" in app.message.value


def test_a_diverging_path_is_drawn_and_said(app):
    app.optimizer.value = "SGD + momentum"
    app.surface.value = "Rosenbrock valley"
    app.lr.value = "0.05"
    assert "diverged" in app.message.value
    assert "last good" not in app.message.value
    assert "diverged" in app.alt()


def test_repr_static_bundle_and_alt_text(app):
    assert repr(app).startswith("OptimizerExplorer(optimizer=")
    data, metadata = app._repr_mimebundle_()
    assert data["text/plain"] == repr(app)
    assert picture(app.snapshot()).shape[1] >= 400
    alt = metadata["image/png"]["alt"]
    assert alt.startswith(f"Contour plot of the {SURFACES[app.surface.value].name}")
    assert "(orange, solid)" in alt


def test_explorer_paths_offers_every_choice():
    for label in OPTIMIZER_CHOICES:
        paths = explorer_paths(SURFACES["narrow bowl"], label, lr=0.01,
                               momentum=0.5, steps=10, compare=False)
        assert len(paths) == 1
        assert next(iter(paths.values())).shape == (11, 2)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"optimizer": "SGD"}, "`optimizer` must be one of 'SGD + momentum'"),
    ({"surface": "bowl"}, "`surface` must be one of"),
    ({"lr": 0.0}, "`lr` must be positive; got 0.0."),
    ({"momentum": 1.0}, "`momentum` must be at most 0.99; got 1.0."),
    ({"steps": 5}, "`steps` must be at least 10; got 5."),
    ({"compare": "yes"}, "`compare` must be True or False"),
    ({"dpi": 10}, "`dpi` must be at least 30; got 10."),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises((ValueError, TypeError)) as caught:
        optimizer_explorer(**kwargs)
    assert message in str(caught.value)
