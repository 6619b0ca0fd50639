"""PNG rendering for the widgets: checked by decoding with Pillow, an independent PNG reader."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from course_lib.plotting import to_png, to_uint8


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_to_uint8_scales_clips_and_colours():
    assert to_uint8(np.array([[0.0, 0.25, 1.0]])).tolist() == [[0, 64, 255]]
    # outside [0, 1]: its own range
    assert to_uint8(np.array([[-2.0, 0.0, 2.0]])).tolist() == [[0, 128, 255]]
    # explicit range: clipped
    assert to_uint8(np.array([[-1.0, 0.5, 3.0]]), vmin=0, vmax=1).tolist() == [[0, 128, 255]]
    coloured = to_uint8(np.linspace(0, 1, 6).reshape(2, 3), cmap="viridis")
    assert coloured.shape == (2, 3, 3)
    with pytest.raises(ValueError, match="channels"):
        to_uint8(np.zeros((3, 3, 2)))


def test_to_png_scales_small_images_by_repeating_pixels():
    kernel = np.array([[0.0, 1.0], [1.0, 0.0]])
    big = decode(to_png(kernel, scale=4))
    assert big.shape == (8, 8)
    assert np.array_equal(big, np.kron(to_uint8(kernel), np.ones((4, 4), np.uint8)))
    with pytest.raises(ValueError, match="scale"):
        to_png(kernel, scale=0)


def test_show_images_centres_signed_values_on_zero_and_uses_perceptual_maps():
    import matplotlib.pyplot as plt

    from course_lib.plotting import show_images

    photo = np.linspace(0, 1, 40 * 40).reshape(40, 40)
    kernel = np.array([[0.0, 1.0], [-3.0, 0.5]])
    magnitude = np.array([[0.0, 5.0], [2.0, 1.0]])
    rgb = np.zeros((4, 4, 3))
    fig, axes = show_images([photo, kernel, magnitude, rgb], titles=list("abcd"), ncols=2)
    maps = [(im.get_cmap().name, tuple(map(float, im.get_clim()))) for ax in axes for im in ax.images]
    assert maps[:3] == [("gray", (0.0, 1.0)), ("RdBu_r", (-3.0, 3.0)), ("viridis", (0.0, 5.0))]
    assert len(fig.axes) == 4 + 3  # a colorbar for each grey-level image, none for RGB
    plt.close(fig)
    fig, axes = show_images([kernel, 2 * kernel], shared_limits=True)
    assert [tuple(map(float, ax.images[0].get_clim())) for ax in axes] == [(-6.0, 6.0)] * 2
    plt.close(fig)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"images": []}, "`images` must hold at least one image"),
    ({"images": [np.ones((2, 2, 5))]}, r"`images\[0\]` must be 2-D or \(H, W, 3\)"),
    ({"images": [np.ones((2, 2))], "titles": ["a", "b"]}, "`titles` must have one title per image"),
])
def test_show_images_bad_input(kwargs, match):
    from course_lib.plotting import show_images

    with pytest.raises(ValueError, match=match):
        show_images(**kwargs)


# --------------------------------------------------------------------- chapter 1's figures


def test_orientation_colours_hue_follows_the_angle_and_brightness_the_magnitude():
    from matplotlib.colors import rgb_to_hsv

    from course_lib.plotting import orientation_colours

    angles = np.radians([[0.0, 90.0, 180.0, -90.0, 45.0]])
    strength = np.array([[1.0, 1.0, 0.5, 2.0, 0.0]])
    hsv = rgb_to_hsv(orientation_colours(angles, strength, percentile=100))
    np.testing.assert_allclose(hsv[0, :4, 0], [0.0, 0.25, 0.5, 0.75], atol=1e-12)
    np.testing.assert_allclose(hsv[0, :, 2], [0.5, 0.5, 0.25, 1.0, 0.0], atol=1e-12)
    # -180 and 180 degrees are the same direction: the same colour
    np.testing.assert_allclose(orientation_colours([[np.pi]], [[1.0]]),
                               orientation_colours([[-np.pi]], [[1.0]]), atol=1e-12)


def test_orientation_colours_matches_the_gradient_of_a_ramp():
    from course_lib.filters import gradient_magnitude, gradient_orientation
    from course_lib.plotting import orientation_colours

    ramp = np.tile(np.arange(9.0), (9, 1))                  # brighter to the right: 0 degrees, red
    colours = orientation_colours(gradient_orientation(ramp), gradient_magnitude(ramp))
    np.testing.assert_allclose(colours[4, 4], [1.0, 0.0, 0.0], atol=1e-9)


@pytest.mark.parametrize(("args", "words"), [
    (([[0.0]], [[1.0, 2.0]]), "`magnitude` must have the shape"),
    (([[0.0]], [[-1.0]]), "`magnitude` must not be negative"),
    (([0.0], [1.0]), "`orientation` must be a 2-D array"),
])
def test_orientation_colours_bad_input(args, words):
    from course_lib.plotting import orientation_colours

    with pytest.raises(ValueError, match=re.escape(words)):
        orientation_colours(*args)


def test_orientation_key_is_the_colour_of_each_direction_in_image_coordinates():
    import matplotlib.pyplot as plt

    from course_lib.plotting import draw_orientation_key, orientation_colours

    fig, ax = plt.subplots()
    draw_orientation_key(ax, size=21)
    wheel = ax.images[0].get_array()
    assert ax.get_title()
    assert ax.get_xlabel()
    assert ax.get_ylabel()
    # right of the centre: a gradient pointing right (0 degrees); below: pointing down (90)
    np.testing.assert_allclose(wheel[10, 20], orientation_colours([[0.0]], [[1.0]])[0, 0], atol=1e-9)
    np.testing.assert_allclose(wheel[20, 10], orientation_colours([[np.pi / 2]], [[1.0]])[0, 0],
                               atol=1e-9)
    np.testing.assert_allclose(wheel[0, 0], [1.0, 1.0, 1.0])  # outside the disc: white
    plt.close(fig)


def test_kernel_over_patch_labels_the_flip_and_sums_the_convolution():
    import matplotlib.pyplot as plt
    from scipy.signal import convolve2d

    from course_lib.plotting import show_kernel_over_patch

    rng = np.random.default_rng(0)
    image = rng.integers(0, 9, size=(5, 6)).astype(float)
    kernel = rng.integers(-3, 4, size=(3, 3)).astype(float)
    fig, axes = show_kernel_over_patch(image, kernel, (2, 3))
    expected = convolve2d(image, kernel, mode="valid")[1, 2]         # centre (2, 3) in 'valid'
    assert axes[2].get_title().endswith(f"summed: {expected:g}")
    texts = [t.get_text() for t in axes[1].texts]
    assert "g[+1, +1]" in texts[:2]                                  # top-left of the flipped kernel
    cell = [t.get_text() for t in axes[2].texts if "×" in t.get_text()]
    assert len(cell) == 9
    assert cell[0] == f"{image[1, 2]:g} × {kernel[2, 2]:+g}"          # top-left pixel meets g[+1, +1]
    for ax in axes:
        assert ax.get_title()
        assert ax.get_xlabel()
        assert ax.get_ylabel()
    plt.close(fig)


@pytest.mark.parametrize(("args", "words"), [
    ((np.ones((3, 3)), np.ones((2, 2)), (1, 1)), "`kernel` must have odd sides"),
    ((np.ones((3, 3)), np.ones((3, 3)), (0, 1)), "`centre` must be at least 1"),
    ((np.ones((3, 3)), np.ones((3, 3)), (1, 2)), "`centre` must be at most 1"),
    ((np.ones((3, 3)), np.ones((3, 3)), 1), "`centre` must be a (row, column) pair"),
    ((np.ones((13, 3)), np.ones((3, 3)), (1, 1)), "`image` must be at most 12 x 12"),
])
def test_kernel_over_patch_bad_input(args, words):
    from course_lib.plotting import show_kernel_over_patch

    with pytest.raises(ValueError, match=re.escape(words)):
        show_kernel_over_patch(*args)
