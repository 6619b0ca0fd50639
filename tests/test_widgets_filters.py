"""The chapter-1 explorers on the Python side: the state as traits, the reference pictures.

The pictures are computed in the browser (test_explorers_browser.py checks the canvas against
these references); here the traits are set as a notebook (or the browser) sets them, and the
reference (`filtered`, `shown`, `status`) is checked against SciPy and the library.
"""

import io

import numpy as np
import pytest
import scipy.signal
from PIL import Image

from course_lib.filters import gaussian_blur, preset_kernels
from course_lib.images import sample_image
from course_lib.plotting import to_uint8
from course_lib.widgets.filters import (
    LIVE_METADATA,
    GaussianExplorer,
    KernelExplorer,
    format_weight,
    gaussian_explorer,
    kernel_explorer,
    parse_weight,
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def png_of(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def from_the_browser(app, **state) -> None:
    """Apply a state update as the browser's message delivers it (binary values as memoryviews)."""
    app.set_state({name: memoryview(value) if isinstance(value, bytes) else value
                   for name, value in state.items()})


def upload(app, data: bytes) -> None:
    """What the browser does with a chosen file: it sends the image as PNG, named "uploaded"."""
    from_the_browser(app, image=data, image_name="uploaded")


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(bytes(data))))


@pytest.fixture(scope="module")
def small():
    """A small colour test picture, so that the tests stay fast."""
    return sample_image("astronaut")[::8, ::8]  # (64, 64, 3)


# ------------------------------------------------------------------------ kernel explorer


def test_identity_preset_shows_the_original(small):
    app = KernelExplorer(small)
    assert app.preset == "identity"
    np.testing.assert_array_equal(app.shown(), to_uint8(small, vmin=0.0, vmax=1.0))
    assert app.image_array.shape == (64, 64, 3)
    # the image travels as PNG: the same 8-bit pixels on both sides
    np.testing.assert_array_equal(decoded(app.image), to_uint8(small, vmin=0.0, vmax=1.0))


def test_preset_change_updates_picture_cells_and_kernel(small):
    app = KernelExplorer(small)
    before = app.shown()
    app.preset = "box 3x3"
    assert app.cells == [["1/9"] * 3] * 3
    assert app.weights == ["1/9"] * 9
    after = app.shown()
    assert np.abs(after.astype(int) - before).max() > 10
    expected = np.stack([scipy.signal.convolve2d(app.image_array[:, :, c], np.full((3, 3), 1 / 9),
                                                 mode="same") for c in range(3)], axis=-1)
    assert np.abs(after.astype(float) / 255 - expected).max() <= 0.5 / 255 + 1e-9


def test_five_by_five_preset_switches_the_grid(small):
    app = KernelExplorer(small)
    app.preset = "box 5x5"
    assert app.size == 5
    assert len(app.cells) == 5
    assert all(len(row) == 5 for row in app.cells)
    assert app.kernel.shape == (5, 5)


def test_typing_a_weight_makes_the_kernel_custom(small):
    app = KernelExplorer(small)
    before = app.shown()
    app.set_cell(1, 2, "-1/2")
    assert app.preset == "custom"
    expected = np.zeros((3, 3))
    expected[1, 1], expected[1, 2] = 1.0, -0.5
    np.testing.assert_array_equal(app.kernel, expected)
    assert np.any(app.shown() != before)


def test_text_in_a_cell_is_explained(small):
    app = KernelExplorer(small)
    app.set_cell(0, 0, "2")
    app.set_cell(0, 1, "abc")
    assert app.status() == ("Cell (row 1, column 2): 'abc' is not a number (write e.g. 0.25, -1 or "
                            "1/9).")
    with pytest.raises(ValueError, match="row 1, column 2"):
        app.kernel
    app.set_cell(0, 1, "0")
    assert app.status().startswith("result in [")


def test_normalising_a_zero_sum_kernel_is_refused(small):
    app = KernelExplorer(small)
    app.preset = "sobel x"
    app.normalise = True
    assert "sum to 0" in app.status()
    app.preset = "box 3x3"  # a kernel that can be normalised
    assert "sum to 0" not in app.status()


def test_normalise_divides_by_the_sum(small):
    app = KernelExplorer(small)
    app.weights = ["1"] * 9
    app.normalise = True
    np.testing.assert_allclose(app.kernel, np.full((3, 3), 1 / 9))


def test_convolution_and_correlation_differ_for_an_asymmetric_kernel(small):
    app = KernelExplorer(small)
    app.preset = "shift right 1"
    convolved = app.shown()
    app.operation = "correlation"
    correlated = app.shown()
    original = to_uint8(small, vmin=0.0, vmax=1.0)
    # convolution moves the picture right, correlation left
    np.testing.assert_array_equal(convolved[:, 1:], original[:, :-1])
    np.testing.assert_array_equal(correlated[:, :-1], original[:, 1:])


def test_boundary_changes_the_border_only(small):
    app = KernelExplorer(small)
    app.preset = "box 3x3"
    zero_filled = app.shown()
    app.boundary = "symm"
    mirrored = app.shown()
    np.testing.assert_array_equal(zero_filled[1:-1, 1:-1], mirrored[1:-1, 1:-1])
    assert (mirrored[0].astype(int) - zero_filled[0].astype(int)).min() >= 0
    assert np.any(mirrored[0] != zero_filled[0])


def test_a_sample_chosen_in_the_browser_is_sent_to_it():
    app = KernelExplorer()
    from_the_browser(app, image=b"", image_name="coins")  # the browser asks for the bytes
    assert app.image_name == "coins"
    np.testing.assert_array_equal(decoded(app.image), to_uint8(sample_image("coins"), vmin=0.0,
                                                                vmax=1.0))
    from_the_browser(app, image_name="camera")  # a name only: its image is sent too
    assert decoded(app.image).shape == (512, 512)


def test_sample_choice_sends_that_image():
    app = KernelExplorer()
    assert app.image_name == "camera"
    before = bytes(app.image)
    app.image_name = "coins"
    assert bytes(app.image) != before
    assert decoded(app.image).shape == sample_image("coins").shape
    np.testing.assert_array_equal(app.image_array, sample_image("coins"))


def test_an_upload_from_the_browser_and_junk(small):
    app = KernelExplorer(small)
    picture = (np.arange(40 * 30) % 256).astype(np.uint8).reshape(30, 40)
    upload(app, png_of(picture))
    assert app.image_name == "uploaded"
    assert "uploaded" in app.image_options
    np.testing.assert_array_equal(app.image_array, picture / 255)
    good = bytes(app.image)
    upload(app, b"hello")
    assert app.message_kind == "error"
    assert app.message.startswith("Image refused: ")
    assert "not an image" in app.message
    assert bytes(app.image) == good  # the last good image stays
    assert app.image_name == "uploaded"


def test_huge_upload_is_refused(small, monkeypatch):
    import course_lib.widgets.filters as module

    monkeypatch.setattr(module, "MAX_UPLOAD_PIXELS", 1000)
    app = KernelExplorer(small)
    good = bytes(app.image)
    upload(app, png_of(np.zeros((100, 100), dtype=np.uint8)))
    assert "Image refused" in app.message
    assert "100x100 pixels" in app.message
    assert bytes(app.image) == good
    assert app.image_name == "your image"


def test_large_images_are_shrunk_for_live_filtering():
    import course_lib.widgets.filters as module

    big = np.random.default_rng(0).random((2000, 1000))
    app = KernelExplorer(big)
    assert max(app.image_array.shape) <= module.LIVE_SIDE
    assert app.max_side == module.LIVE_SIDE  # the browser scales a chosen file the same way


def test_every_preset_renders(small):
    app = KernelExplorer(small)
    for name in preset_kernels():
        app.preset = name
        assert app.status().startswith("result in ["), name
        assert app.cells == [[format_weight(w) for w in row] for row in preset_kernels()[name]]
    assert len(app.kernel_colours) == 256 * 3  # the kernel's colour table


def test_size_toggle_pads_and_crops_the_kernel(small):
    app = KernelExplorer(small)
    app.size = 5
    assert app.preset == "custom"
    expected = np.zeros((5, 5))
    expected[2, 2] = 1.0
    np.testing.assert_array_equal(app.kernel, expected)
    app.set_cell(0, 0, "1")
    app.set_cell(1, 2, "abc")  # unreadable: 0 once the grid changes size
    app.size = 3
    np.testing.assert_array_equal(app.kernel, np.eye(3)[[1]].T @ np.eye(3)[[1]])


def test_weights_of_the_wrong_length_are_refused(small):
    app = KernelExplorer(small)
    with pytest.raises(ValueError, match="`weights` must hold 9 cells"):
        app.weights = ["1"] * 4
    assert len(app.weights) == 9
    with pytest.raises(ValueError, match="`preset` must be one of"):
        app.preset = "blur"
    assert app.preset == "identity"


def test_display_bundle_and_live_settings(small):
    app = kernel_explorer()
    bundle, metadata = app._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == app.model_id
    assert bundle["text/plain"] == repr(app) == ("KernelExplorer(image='camera', preset='identity', "
                                                 "convolution, boundary='fill')")
    assert "PNG" not in repr(app)
    assert metadata[LIVE_METADATA] == {"app": "kernel_explorer", "settings": app.live_settings()}
    assert app.live_settings()["image_name"] == "camera"
    # the reader's own image is not a sample: the website could not rebuild it, so no settings
    _bundle, metadata = kernel_explorer(small)._repr_mimebundle_()
    assert LIVE_METADATA not in metadata


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


# ------------------------------------------------------------- compute="kernel" (the old path)


def test_computed_in_the_kernel_the_picture_is_the_reference(small):
    app = KernelExplorer(small)
    assert app.result == b""  # computed in the browser: the kernel sends no picture
    app.compute = "kernel"
    np.testing.assert_array_equal(decoded(app.result), app.shown())
    app.preset = "sobel y"
    np.testing.assert_array_equal(decoded(app.result), app.shown())
    assert app.message == app.status()
    good = bytes(app.result)
    app.set_cell(0, 0, "abc")
    assert app.message_kind == "error"
    assert "not a number" in app.message
    assert bytes(app.result) == good  # the last good picture stays


# ---------------------------------------------------------------------- Gaussian explorer


def test_gaussian_sigma_changes_kernel_and_blur(small):
    app = GaussianExplorer(small)
    first = app.shown().astype(float) / 255
    quantised = to_uint8(small, vmin=0.0, vmax=1.0) / 255
    np.testing.assert_allclose(first, gaussian_blur(quantised, 1.0), atol=0.5 / 255 + 1e-9)
    app.sigma = 3.0
    assert app.status() == "kernel 19x19 (2*ceil(3 sigma) + 1), centre weight 0.0177"
    blurred = app.shown().astype(float) / 255
    np.testing.assert_allclose(blurred, gaussian_blur(quantised, 3.0), atol=0.5 / 255 + 1e-9)


def test_gaussian_explorer_defaults_and_bad_sigma():
    box = gaussian_explorer()
    assert box.image_name == "astronaut"
    assert repr(box) == "GaussianExplorer(image='astronaut', sigma=1.0)"
    with pytest.raises(ValueError, match=r"`sigma` must lie in \[0.25, 8.0\]; got 9.0"):
        box.sigma = 9
    with pytest.raises(ValueError, match="`sigma` must lie in"):
        gaussian_explorer(sigma=0.1)
    box.sigma = 1.3
    assert box.sigma == 1.25  # on the slider's steps


def test_gaussian_explorer_refuses_a_junk_upload(small):
    app = GaussianExplorer(small)
    good = bytes(app.image)
    upload(app, b"xyz")
    assert "Image refused" in app.message
    assert bytes(app.image) == good


# ------------------------------------------------------------- nothing escapes a control


def grey_png(side: int) -> bytes:
    """A black square PNG: a few hundred kB even at 15000x15000 (compressed zeros)."""
    buffer = io.BytesIO()
    Image.new("L", (side, side)).save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


@pytest.mark.parametrize("text", ["1" + "0" * 400 + "/3", "1e400", "-1" + "0" * 400])
def test_a_weight_too_large_for_a_float_is_a_short_message(small, text):
    app = KernelExplorer(small)
    app.set_cell(0, 0, "2")
    app.set_cell(0, 1, text)
    assert "not a finite number" in app.status()
    assert len(app.status()) < 200


def test_weights_whose_result_overflows_are_explained(small, recwarn):
    app = KernelExplorer(small)
    app.set_cell(1, 1, "1e308")  # one huge weight: fine, the result is rescaled
    assert app.status().startswith("result in [")
    app.set_cell(1, 2, "1e308")  # two huge weights: their sum overflows on a bright pixel
    assert "overflow" in app.status()
    app.set_cell(1, 2, "-1e308")  # finite again: shown, the range with 6 digits
    assert "e+307" in app.status()
    app.normalise = True
    app.set_cell(1, 2, "1e308")
    assert "cannot be normalised" in app.status()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize(("side", "words"), [(15000, "more than 178,956,970 pixels"),
                                         (10000, "10000x10000 pixels")])
def test_decompression_bombs_are_refused_without_a_warning(small, side, words, recwarn):
    for app in (KernelExplorer(small), GaussianExplorer(small)):
        good = bytes(app.image)
        upload(app, grey_png(side))
        assert "Image refused" in app.message
        assert words in app.message
        assert bytes(app.image) == good
    assert not [w for w in recwarn if "DecompressionBomb" in type(w.message).__name__]


def test_every_message_is_at_most_200_characters():
    from course_lib.widgets._common import message_line, show_message

    line = message_line()
    show_message(line, "x" * 5000)
    assert line.value.count("x") == 197
    assert line.value.endswith("...</span>")
