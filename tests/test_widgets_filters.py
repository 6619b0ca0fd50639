"""The chapter-1 explorers: set widget values as a student would, check what they show."""

import io

import ipywidgets
import numpy as np
import pytest
import scipy.signal
from PIL import Image

from course_lib.filters import gaussian_blur, preset_kernels
from course_lib.images import sample_image
from course_lib.widgets.filters import (
    GaussianExplorer,
    KernelExplorer,
    format_weight,
    gaussian_explorer,
    kernel_explorer,
    parse_weight,
)


def shown(view) -> np.ndarray:
    """The picture an Image widget shows, decoded from its PNG bytes."""
    assert view.format == "png"
    return np.asarray(Image.open(io.BytesIO(view.value)))


def upload(widget, name: str, data: bytes) -> None:
    """Do to a FileUpload what a browser upload does, in ipywidgets 7 (Colab) and 8."""
    if ipywidgets.__version__.startswith("7."):
        # ipywidgets 7 builds the read-only `.value` dict from `metadata` and `data` when the
        # front end bumps `_counter`.
        widget.metadata = [{"name": name, "type": "", "size": len(data), "lastModified": 0}]
        widget.data = [data]
        widget._counter += 1
    else:
        import datetime

        widget.value = ({"name": name, "type": "", "size": len(data), "content": memoryview(data),
                         "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)},)


def png_of(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def small():
    """A small colour test picture, so that the tests stay fast."""
    return sample_image("astronaut")[::8, ::8]  # (64, 64, 3)


# ------------------------------------------------------------------------ kernel explorer


def test_identity_preset_shows_the_original(small):
    app = KernelExplorer(small)
    assert app.preset.value == "identity"
    np.testing.assert_array_equal(shown(app.filtered_view), shown(app.original_view))
    assert shown(app.original_view).shape == (64, 64, 3)


def test_preset_change_updates_picture_cells_and_kernel(small):
    app = KernelExplorer(small)
    before = app.filtered_view.value
    app.preset.value = "box 3x3"
    assert app.filtered_view.value != before
    assert [[c.value for c in row] for row in app.cells] == [["1/9"] * 3] * 3
    expected = np.stack([scipy.signal.convolve2d(small[:, :, c], np.full((3, 3), 1 / 9),
                                                 mode="same") for c in range(3)], axis=-1)
    shown_filtered = shown(app.filtered_view).astype(float) / 255
    assert np.abs(shown_filtered - expected).max() <= 0.5 / 255 + 1e-9


def test_five_by_five_preset_switches_the_grid(small):
    app = KernelExplorer(small)
    app.preset.value = "box 5x5"
    assert app.size.value == "5x5"
    assert len(app.cells) == 5
    assert all(len(row) == 5 for row in app.cells)
    assert app.kernel.shape == (5, 5)
    # the grid shows exactly the visible cells, each carrying the browser-test class
    rows = app.grid_box.children
    assert len(rows) == 5
    assert all("course-kernel-cell" in cell._dom_classes for row in rows for cell in row.children)


def test_typing_a_weight_makes_the_kernel_custom(small):
    app = KernelExplorer(small)
    before = app.filtered_view.value
    app.cells[1][2].value = "-1/2"
    assert app.preset.value == "custom"
    expected = np.zeros((3, 3))
    expected[1, 1], expected[1, 2] = 1.0, -0.5
    np.testing.assert_array_equal(app.kernel, expected)
    assert app.filtered_view.value != before


def test_text_in_a_cell_shows_a_message_and_keeps_the_picture(small):
    app = KernelExplorer(small)
    app.cells[0][0].value = "2"
    good = app.filtered_view.value
    app.cells[0][1].value = "abc"
    assert "row 1, column 2" in app.message.value
    assert "not a number" in app.message.value
    assert "#b00020" in app.message.value  # shown as an error
    assert app.filtered_view.value == good
    app.cells[0][1].value = "0"
    assert "not a number" not in app.message.value


def test_normalising_a_zero_sum_kernel_is_refused(small):
    app = KernelExplorer(small)
    app.preset.value = "sobel x"
    good = app.filtered_view.value
    app.normalise.value = True
    assert "sum to 0" in app.message.value
    assert app.filtered_view.value == good
    app.preset.value = "box 3x3"  # a kernel that can be normalised
    assert "sum to 0" not in app.message.value


def test_normalise_divides_by_the_sum(small):
    app = KernelExplorer(small)
    for row in app.cells:
        for cell in row:
            cell.value = "1"
    app.normalise.value = True
    np.testing.assert_allclose(app.kernel, np.full((3, 3), 1 / 9))


def test_convolution_and_correlation_differ_for_an_asymmetric_kernel(small):
    app = KernelExplorer(small)
    app.preset.value = "shift right 1"
    convolved = shown(app.filtered_view)
    app.mode_toggle.value = "correlation"
    correlated = shown(app.filtered_view)
    # convolution moves the picture right, correlation left
    np.testing.assert_array_equal(convolved[:, 1:], shown(app.original_view)[:, :-1])
    np.testing.assert_array_equal(correlated[:, :-1], shown(app.original_view)[:, 1:])


def test_boundary_changes_the_border_only(small):
    app = KernelExplorer(small)
    app.preset.value = "box 3x3"
    zero_filled = shown(app.filtered_view)
    app.boundary.value = "symm"
    mirrored = shown(app.filtered_view)
    np.testing.assert_array_equal(zero_filled[1:-1, 1:-1], mirrored[1:-1, 1:-1])
    assert (mirrored[0].astype(int) - zero_filled[0].astype(int)).min() >= 0
    assert np.any(mirrored[0] != zero_filled[0])


def test_sample_choice_changes_the_original():
    app = KernelExplorer()
    assert app.image_choice.value == "camera"
    before = app.original_view.value
    app.image_choice.value = "coins"
    assert app.original_view.value != before
    assert shown(app.original_view).shape == sample_image("coins").shape


def test_upload_of_an_image_and_of_junk(small):
    app = KernelExplorer(small)
    picture = (np.arange(40 * 30) % 256).astype(np.uint8).reshape(30, 40)
    upload(app.upload, "mine.png", png_of(picture))
    assert app.image_choice.value == "uploaded"
    np.testing.assert_array_equal(shown(app.original_view), picture)
    good = app.filtered_view.value
    upload(app.upload, "notes.txt", b"hello")
    assert "Upload refused" in app.message.value
    assert "not an image" in app.message.value
    assert app.filtered_view.value == good


def test_huge_upload_is_refused(small, monkeypatch):
    import course_lib.widgets.filters as module

    monkeypatch.setattr(module, "MAX_UPLOAD_PIXELS", 1000)
    app = KernelExplorer(small)
    good = app.original_view.value
    big = np.zeros((100, 100), dtype=np.uint8)
    upload(app.upload, "big.png", png_of(big))
    assert "Upload refused" in app.message.value
    assert "100x100 pixels" in app.message.value
    assert app.original_view.value == good


def test_large_images_are_shrunk_for_live_filtering():
    import course_lib.widgets.filters as module

    big = np.random.default_rng(0).random((2000, 1000))
    app = KernelExplorer(big)
    assert max(shown(app.original_view).shape) <= module.LIVE_SIDE


@pytest.mark.usefixtures("small")
def test_upload_value_of_ipywidgets_7_is_a_dict():
    from course_lib.widgets.filters import _upload_content

    data = png_of(np.zeros((2, 2), dtype=np.uint8))
    assert _upload_content({"a.png": {"metadata": {}, "content": data}}) == data
    assert _upload_content(({"name": "a.png", "content": memoryview(data)},)) == data
    assert _upload_content(()) is None


def test_every_preset_renders(small):
    app = KernelExplorer(small)
    for name in preset_kernels():
        app.preset.value = name
        assert app.message.value == "" or "#b00020" not in app.message.value, name
        assert shown(app.kernel_view).shape[2] == 3  # the kernel drawn in colour


def test_size_toggle_pads_and_crops_the_kernel(small):
    app = KernelExplorer(small)
    app.size.value = "5x5"
    expected = np.zeros((5, 5))
    expected[2, 2] = 1.0
    np.testing.assert_array_equal(app.kernel, expected)
    app.cells[0][0].value = "1"
    app.size.value = "3x3"
    np.testing.assert_array_equal(app.kernel, np.eye(3)[[1]].T @ np.eye(3)[[1]])


def test_container_classes_and_display(small):
    app = kernel_explorer(small)
    assert "course-kernel-explorer" in app.widget._dom_classes
    assert "course-kernel-preset" in app.preset._dom_classes
    assert "course-filtered-image" in app.filtered_view._dom_classes
    assert "course-original-image" in app.original_view._dom_classes
    bundle, _metadata = app._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == app.widget.model_id
    assert bundle["text/plain"] == repr(app)
    assert "PNG" not in repr(app)


def test_bad_image_argument():
    with pytest.raises(ValueError, match="2-D or 3-D"):
        KernelExplorer(np.zeros(5))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        KernelExplorer(np.full((4, 4), 3.0))
    with pytest.raises(ValueError, match="`preset` must be one of"):
        KernelExplorer(preset="blur")


def test_parse_and_format_weight():
    assert parse_weight("1/9") == pytest.approx(1 / 9)
    assert parse_weight("-0.5") == -0.5
    assert parse_weight("") == 0.0
    for bad in ("abc", "1/0", "nan", "inf", "1/x"):
        with pytest.raises(ValueError, match=r"is not a|divides by zero"):
            parse_weight(bad)
    for value in (1 / 9, -2.0, 0.0625, 0.0113437, 1 / 273):
        assert parse_weight(format_weight(value)) == pytest.approx(value, rel=1e-5)


# ---------------------------------------------------------------------- Gaussian explorer


def test_gaussian_slider_changes_kernel_and_blur(small):
    app = GaussianExplorer(small)
    first = shown(app.blurred_view).astype(float) / 255
    np.testing.assert_allclose(first, gaussian_blur(small, 1.0), atol=0.5 / 255 + 1e-9)
    kernel_before = app.kernel_view.value
    app.sigma.value = 3.0
    assert app.kernel_view.value != kernel_before
    assert "19x19" in app.message.value
    blurred = shown(app.blurred_view).astype(float) / 255
    np.testing.assert_allclose(blurred, gaussian_blur(small, 3.0), atol=0.5 / 255 + 1e-9)


def test_gaussian_explorer_container_and_classes():
    box = gaussian_explorer()
    assert "course-gaussian-explorer" in box.widget._dom_classes
    assert "course-sigma-slider" in box.sigma._dom_classes
    assert "course-gaussian-image" in box.blurred_view._dom_classes
    assert box.image_choice.value == "astronaut"
    assert repr(box) == "GaussianExplorer(image='astronaut', sigma=1.0)"


def test_gaussian_explorer_refuses_junk_upload(small):
    app = GaussianExplorer(small)
    good = app.blurred_view.value
    upload(app.upload, "x.png", b"xyz")
    assert "Upload refused" in app.message.value
    assert app.blurred_view.value == good


# ------------------------------------------------------------- nothing escapes a control


def grey_png(side: int) -> bytes:
    """A black square PNG: a few hundred kB even at 15000x15000 (compressed zeros)."""
    buffer = io.BytesIO()
    Image.new("L", (side, side)).save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def is_error(message) -> bool:
    return "#b00020" in message.value


@pytest.mark.parametrize("text", ["1" + "0" * 400 + "/3", "1e400", "-1" + "0" * 400])
def test_a_weight_too_large_for_a_float_is_a_short_message(small, text):
    app = KernelExplorer(small)
    app.cells[0][0].value = "2"
    good = app.filtered_view.value
    app.cells[0][1].value = text
    assert is_error(app.message)
    assert "not a finite number" in app.message.value
    assert len(app.message.value) < 300  # the markup included; the text itself is short
    assert app.filtered_view.value == good


def test_weights_whose_result_overflows_keep_the_last_picture(small, recwarn):
    app = KernelExplorer(small)
    app.cells[1][1].value = "1e308"  # one huge weight: fine, the result is rescaled
    good = app.filtered_view.value
    app.cells[1][2].value = "1e308"  # two huge weights: their sum overflows on a bright pixel
    assert is_error(app.message)
    assert "overflow" in app.message.value
    assert app.filtered_view.value == good
    app.cells[1][2].value = "-1e308"  # finite again: shown, the range with 6 digits
    assert not is_error(app.message)
    assert "e+307" in app.message.value
    app.normalise.value = True
    app.cells[1][2].value = "1e308"
    assert is_error(app.message)
    assert "cannot be normalised" in app.message.value
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize(("side", "words"), [(15000, "more than 178,956,970 pixels"),
                                         (10000, "10000x10000 pixels")])
def test_decompression_bombs_are_refused_without_a_warning(small, side, words, recwarn):
    for app in (KernelExplorer(small), GaussianExplorer(small)):
        good = (app.original_view if isinstance(app, KernelExplorer) else app.blurred_view).value
        upload(app.upload, "bomb.png", grey_png(side))
        assert "Upload refused" in app.message.value
        assert words in app.message.value
        assert (app.original_view if isinstance(app, KernelExplorer)
                else app.blurred_view).value == good
    assert not [w for w in recwarn if "DecompressionBomb" in type(w.message).__name__]


def test_every_message_is_at_most_200_characters():
    from course_lib.widgets._common import message_line, show_message

    line = message_line()
    show_message(line, "x" * 5000)
    assert line.value.count("x") == 197
    assert line.value.endswith("...</span>")
