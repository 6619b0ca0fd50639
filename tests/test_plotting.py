"""PNG rendering for the widgets: checked by decoding with Pillow, an independent PNG reader."""

import io

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
