"""The activation explorer, driven as a student would: set values, read what it shows."""

import numpy as np
import pytest

from course_lib import activations as A
from course_lib.widgets.activations import activation_explorer, explorer_rows

PNG = b"\x89PNG\r\n\x1a\n"


def test_builds_with_css_class_and_a_picture():
    app = activation_explorer()
    assert "course-activation-explorer" in app.widget._dom_classes
    assert app.plot.value[:8] == PNG
    assert app.message.value == ""


def test_moving_x_updates_numbers_and_picture():
    app = activation_explorer(functions=("sigmoid",), depth=1)
    before = app.plot.value
    app.x.value = 10.0
    assert f"{A.sigmoid(10.0):.6g}" in app.table.value  # 0.999955, not the notes' ~0
    assert f"{A.sigmoid_grad(10.0):.6g}" in app.table.value  # 4.53958e-05, not 0
    assert app.plot.value != before
    assert app.plot.value[:8] == PNG


def test_depth_shows_gradient_of_the_chain():
    app = activation_explorer(functions=("sigmoid", "relu"), x=0.0)
    app.depth.value = 10
    _, grads = A.chain_gradient("sigmoid", 0.0, depth=10)
    assert "gradient after 10 layers" in app.table.value
    assert f"{grads[-1]:.3e}" in app.table.value
    assert "0.000e+00" in app.table.value  # relu'(0) = 0: nothing flows back through a chain at 0


def test_selecting_functions_changes_the_table():
    app = activation_explorer()
    app.functions.value = ("gelu", "elu")
    assert "GELU" in app.table.value
    assert "ELU" in app.table.value
    assert "sigmoid" not in app.table.value


def test_empty_selection_shows_message_and_keeps_picture():
    app = activation_explorer()
    picture, table = app.plot.value, app.table.value
    app.functions.value = ()
    assert "Pick at least one function" in app.message.value
    assert app.plot.value == picture
    assert app.table.value == table
    app.functions.value = ("tanh",)
    assert app.message.value == ""


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_rows_match_the_library(name):
    (row,) = explorer_rows([name], -1.5, 3)
    act = A.get_activation(name)
    assert row["value"] == act.function(-1.5)
    assert row["grad"] == act.derivative(-1.5)
    assert np.isclose(row["chain_grad"], A.chain_gradient(name, -1.5, depth=3)[1][-1])


def test_dpi_makes_a_sharper_picture_for_a_projector():
    from io import BytesIO

    from PIL import Image

    widths = [Image.open(BytesIO(bytes(activation_explorer(dpi=d).plot.value))).width for d in (72, 144)]
    assert widths[1] == 2 * widths[0]
    with pytest.raises(ValueError, match="dpi"):
        activation_explorer(dpi=0)
