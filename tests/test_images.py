"""course_lib.images: offline samples, loading user files, conversions."""

import io

import numpy as np
import pytest
from PIL import Image

from course_lib import images


@pytest.mark.parametrize("name", images.sample_names())
def test_every_sample_loads_offline_as_floats_in_unit_range(name):
    image = images.sample_image(name)
    assert image.dtype == np.float64
    assert image.ndim == (3 if images.SAMPLES[name][1] else 2)
    assert 0.0 <= image.min() < image.max() <= 1.0
    grey = images.sample_image(name, grey=True)
    assert grey.shape == image.shape[:2]


def test_samples_are_fresh_copies():
    first = images.sample_image("camera")
    first[:] = 0.0
    assert images.sample_image("camera").max() > 0.0


def test_known_sample_shapes():
    assert images.sample_image("camera").shape == (512, 512)
    assert images.sample_image("astronaut").shape == (512, 512, 3)
    assert images.sample_image("grace_hopper").shape == (600, 512, 3)
    assert images.sample_image("china").shape == (427, 640, 3)


def test_grey_matches_scikit_image():
    from skimage.color import rgb2gray

    rgb = images.sample_image("astronaut")
    np.testing.assert_allclose(images.to_grey(rgb), rgb2gray(rgb), atol=1e-12)


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_load_image_from_bytes_and_path(tmp_path):
    rgb = (np.arange(4 * 5 * 3) % 256).astype(np.uint8).reshape(4, 5, 3)
    data = png_bytes(rgb)
    np.testing.assert_allclose(images.load_image(data), rgb / 255.0)
    path = tmp_path / "mine.png"
    path.write_bytes(data)
    np.testing.assert_allclose(images.load_image(path), rgb / 255.0)
    np.testing.assert_allclose(images.load_image(str(path), grey=True),
                               images.to_grey(rgb / 255.0))


def test_load_image_keeps_grey_and_drops_alpha():
    grey = np.array([[0, 255], [128, 64]], dtype=np.uint8)
    np.testing.assert_allclose(images.load_image(png_bytes(grey)), grey / 255.0)
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    assert images.load_image(png_bytes(rgba)).shape == (2, 2, 3)


def test_load_image_refuses_huge_images_before_decoding():
    data = png_bytes(np.zeros((40, 50), dtype=np.uint8))
    with pytest.raises(ValueError, match="50x40 pixels; at most 1,000 pixels"):
        images.load_image(data, max_pixels=1000)


@pytest.mark.parametrize(("source", "error", "words"), [
    (b"definitely not a png", ValueError, "not an image file"),
    (b"", ValueError, "not an image file"),
    ("/no/such/file.png", ValueError, "must be an existing image file"),
    (12, TypeError, "must be a path or bytes"),
])
def test_load_image_bad_sources(source, error, words):
    with pytest.raises(error, match=words):
        images.load_image(source)


def test_load_image_refuses_a_text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not an image file"):
        images.load_image(path)


def test_to_float():
    np.testing.assert_allclose(images.to_float(np.array([[0, 255]], dtype=np.uint8)), [[0, 1]])
    np.testing.assert_allclose(images.to_float(np.array([[0, 65535]], dtype=np.uint16)), [[0, 1]])
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        images.to_float(np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="negative"):
        images.to_float(np.array([[-1, 2]]))


def test_add_noise_is_reproducible_and_zero_mean():
    base = np.full((200, 200), 0.5)
    a = images.add_noise(base, sigma=0.1, seed=3)
    np.testing.assert_array_equal(a, images.add_noise(base, sigma=0.1, seed=3))
    assert abs((a - base).mean()) < 0.002
    assert (a - base).std() == pytest.approx(0.1, rel=0.02)
    with pytest.raises(ValueError, match="`sigma` must be at least 0"):
        images.add_noise(base, sigma=-0.1)


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: images.sample_image("lena"), ValueError, "`name` must be one of"),
    (lambda: images.sample_image(3), TypeError, "`name` must be a string"),
    (lambda: images.to_grey(np.zeros((3, 3, 2))), ValueError, "3 \\(RGB\\) or 4"),
    (lambda: images.to_grey(np.zeros(3)), ValueError, "2-D or 3-D"),
])
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()
