"""course_lib.filters against scipy.ndimage / scikit-image and known properties."""

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import filters
from course_lib.conv import convolve2d, correlate2d


def rand(seed, shape):
    return np.random.default_rng(seed).random(shape)


# ------------------------------------------------------------------------------- kernels


@settings(max_examples=25, deadline=None)
@given(st.floats(0.3, 4.0))
def test_gaussian_kernel_sums_to_one_and_is_symmetric(sigma):
    kernel = filters.gaussian_kernel(sigma)
    assert kernel.shape == (2 * int(np.ceil(3 * sigma)) + 1,) * 2
    assert kernel.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(kernel, kernel.T, atol=1e-15)
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1], atol=1e-15)
    assert np.unravel_index(kernel.argmax(), kernel.shape) == (kernel.shape[0] // 2,) * 2


@pytest.mark.parametrize("sigma", [0.8, 1.5, 3.0])
def test_gaussian_blur_matches_scipy_ndimage(sigma):
    image = rand(0, (40, 50))
    radius = int(np.ceil(3 * sigma))
    ours = convolve2d(image, filters.gaussian_kernel(sigma), boundary="fill")
    ref = ndi.gaussian_filter(image, sigma, mode="constant", truncate=radius / sigma)
    np.testing.assert_allclose(ours, ref, atol=1e-12)


@pytest.mark.parametrize("sigma", [1.0, 2.0])
def test_gaussian_derivative_matches_scipy_ndimage(sigma):
    image = rand(1, (40, 50))
    radius = int(np.ceil(3 * sigma))
    for axis in (0, 1):
        kernel = filters.gaussian_derivative_kernel(sigma, axis=axis)
        order = (1, 0) if axis == 0 else (0, 1)
        ref = ndi.gaussian_filter(image, sigma, order=order, mode="constant",
                                  truncate=radius / sigma)
        np.testing.assert_allclose(convolve2d(image, kernel), ref, atol=1e-12)


@pytest.mark.parametrize("operator", ["sobel", "prewitt"])
def test_sobel_and_prewitt_match_scipy_ndimage(operator):
    image = rand(2, (30, 25))
    gx, gy = filters.gradient(image, operator=operator, boundary="symm")
    reference = getattr(ndi, operator)
    np.testing.assert_allclose(gx, reference(image, axis=1, mode="reflect"), atol=1e-12)
    np.testing.assert_allclose(gy, reference(image, axis=0, mode="reflect"), atol=1e-12)


def test_sobel_matches_scikit_image_up_to_its_scale():
    from skimage.filters import sobel_v

    image = rand(3, (20, 20))
    gx, _ = filters.gradient(image, operator="sobel")
    # scikit-image's vertical-edge Sobel divides by 4; compare away from the border
    np.testing.assert_allclose(gx[1:-1, 1:-1] / 4, sobel_v(image)[1:-1, 1:-1], atol=1e-12)


def test_central_difference_matches_numpy_gradient():
    image = rand(4, (12, 15))
    gx, gy = filters.gradient(image, operator="central")
    dy, dx = np.gradient(image)
    np.testing.assert_allclose(gx[:, 1:-1], dx[:, 1:-1], atol=1e-12)
    np.testing.assert_allclose(gy[1:-1, :], dy[1:-1, :], atol=1e-12)


def test_difference_kernels_on_a_ramp():
    ramp = np.tile(np.arange(6.0) ** 2, (3, 1))  # x^2 along the columns
    n = 3
    forward = convolve2d(ramp, filters.difference_kernel(kind="forward"))
    backward = convolve2d(ramp, filters.difference_kernel(kind="backward"))
    assert forward[1, n] == (n + 1) ** 2 - n**2
    assert backward[1, n] == n**2 - (n - 1) ** 2


def test_flat_image_has_no_edges():
    flat = np.full((10, 10), 0.3)
    for operator in ("central", "sobel", "prewitt", "gaussian"):
        assert np.abs(filters.gradient_magnitude(flat, operator=operator)).max() < 1e-12
    assert np.abs(convolve2d(flat, filters.laplacian_kernel(), boundary="symm")).max() < 1e-12


def test_gradient_orientation_points_to_brighter_side():
    x, y = np.meshgrid(np.arange(9.0), np.arange(9.0))
    for angle in (0, 45, 90, 135, -60):
        t = np.radians(angle)
        plane = np.cos(t) * x + np.sin(t) * y  # brighter towards (cos t, sin t), y down
        theta = filters.gradient_orientation(plane, operator="sobel")
        assert np.degrees(theta[4, 4]) == pytest.approx(angle, abs=1e-9)
        magnitude = filters.gradient_magnitude(plane, operator="central")
        assert magnitude[4, 4] == pytest.approx(1.0)


def test_identity_shift_and_box():
    image = rand(5, (9, 11))
    np.testing.assert_allclose(convolve2d(image, filters.identity_kernel(5)), image, atol=1e-15)
    shifted = convolve2d(image, filters.shift_kernel(dx=2, dy=-1))
    np.testing.assert_allclose(shifted[:-1, 2:], image[1:, :-2], atol=1e-15)
    assert filters.box_kernel((3, 5)).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(convolve2d(image, filters.box_kernel(3)),
                               ndi.uniform_filter(image, 3, mode="constant"), atol=1e-12)


def test_sharpen_is_image_plus_detail():
    image = rand(6, (10, 10))
    blurred = filters.box_blur(image, 3)
    np.testing.assert_allclose(filters.sharpen(image, 1.5), image + 1.5 * (image - blurred),
                               atol=1e-12)
    assert filters.sharpen_kernel(0.7).sum() == pytest.approx(1.0)


def test_laplacian_is_sum_of_second_differences():
    image = rand(7, (10, 10))
    second = np.array([[1.0, -2.0, 1.0]])
    expected = convolve2d(image, second) + convolve2d(image, second.T)
    np.testing.assert_allclose(convolve2d(image, filters.laplacian_kernel()), expected,
                               atol=1e-12)
    padded = np.pad(image, 1)
    neighbours = sum(padded[1 + dy:11 + dy, 1 + dx:11 + dx]
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    np.testing.assert_allclose(convolve2d(image, filters.laplacian_kernel(neighbours=8)),
                               neighbours - 8 * image, atol=1e-12)


def test_impulse_response_reproduces_kernels():
    for kernel in filters.preset_kernels().values():
        size = kernel.shape
        response = filters.impulse_response(lambda im, k=kernel: convolve2d(im, k), shape=size)
        np.testing.assert_allclose(response, kernel, atol=1e-15)
        flipped = filters.impulse_response(lambda im, k=kernel: correlate2d(im, k), shape=size)
        np.testing.assert_allclose(flipped, kernel[::-1, ::-1], atol=1e-15)


def _sliding_median(image, size, numpy_mode):
    """The median of every window, the obvious way: pad, view the windows, take medians."""
    from numpy.lib.stride_tricks import sliding_window_view

    r = size // 2
    padded = np.pad(image, [(r, r), (r, r)] + [(0, 0)] * (image.ndim - 2), mode=numpy_mode)
    return np.median(sliding_window_view(padded, (size, size), axis=(0, 1)), axis=(-2, -1))


@pytest.mark.parametrize(("boundary", "numpy_mode"),
                         [("symm", "symmetric"), ("wrap", "wrap"), ("fill", "constant")])
@pytest.mark.parametrize("size", [1, 3, 5, 9])
def test_median_filter_matches_the_sliding_window_median(boundary, numpy_mode, size):
    for image in (rand(8, (15, 12)), rand(9, (7, 6, 3)), rand(10, (3, 4))):
        np.testing.assert_array_equal(filters.median_filter(image, size, boundary=boundary),
                                      _sliding_median(image, size, numpy_mode))


def test_median_filter_matches_scipy_and_is_not_linear():
    image = rand(8, (15, 12))
    np.testing.assert_allclose(filters.median_filter(image, 3, boundary="symm"),
                               ndi.median_filter(image, 3, mode="reflect"), atol=0)
    colour = rand(9, (8, 8, 3))
    assert filters.median_filter(colour, 3).shape == (8, 8, 3)
    other = rand(10, (15, 12))
    together = filters.median_filter(image + other)
    apart = filters.median_filter(image) + filters.median_filter(other)
    assert np.abs(together - apart).max() > 0.05  # additivity fails


def test_gaussian_blur_equals_the_2d_kernel_for_every_boundary():
    image = rand(12, (13, 17, 3))
    for boundary in ("fill", "wrap", "symm"):
        for sigma in (0.5, 1.3, 4.0, 20.0):  # 20: the kernel is far larger than the image
            two_d = convolve2d(image, filters.gaussian_kernel(sigma), boundary=boundary,
                               method="vectorized" if sigma < 5 else "fft")
            np.testing.assert_allclose(filters.gaussian_blur(image, sigma, boundary=boundary),
                                       two_d, atol=1e-12)


def test_gaussian_blur_never_builds_the_2d_kernel():
    # The cost is measured in memory, which does not depend on how busy the machine is: for
    # sigma = 5000 the 2-D kernel would hold taps x taps floats (7.2 GB); the two 1-D passes
    # allocate a few padded strips (about 17 MB).
    import tracemalloc

    sigma = 5000.0
    taps = filters.gaussian_kernel_1d(sigma).size
    tracemalloc.start()
    try:
        blurred = filters.gaussian_blur(np.ones((16, 16)), sigma)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < taps * taps * 8 / 100, f"peak {peak:,} bytes for {taps} taps"
    np.testing.assert_allclose(blurred, 1.0, atol=1e-12)  # symmetric border: flat stays flat


def test_tiny_sigma_gives_an_impulse_not_nan():
    for sigma in (1e-170, 1e-300, 5e-324):
        np.testing.assert_array_equal(filters.gaussian_kernel(sigma), filters.identity_kernel(3))
        derivative = filters.gaussian_derivative_kernel(sigma)
        np.testing.assert_array_equal(derivative, np.zeros((3, 3)))


def test_gaussian_is_separable_two_passes():
    image = rand(11, (30, 30))
    row = filters.gaussian_kernel_1d(2.0)
    two = scipy.signal.convolve2d(scipy.signal.convolve2d(image, row[None, :], mode="same"),
                                  row[:, None], mode="same")
    np.testing.assert_allclose(filters.gaussian_blur(image, 2.0, boundary="fill"), two,
                               atol=1e-12)


# ------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: filters.gaussian_kernel(-1.0), ValueError, "`sigma` must be positive"),
    (lambda: filters.gaussian_kernel(0.0), ValueError, "`sigma` must be positive"),
    (lambda: filters.gaussian_kernel(float("nan")), ValueError, "`sigma` must be finite"),
    (lambda: filters.gaussian_kernel("1"), TypeError, "`sigma` must be a real number"),
    (lambda: filters.gaussian_kernel(1.0, size=4), ValueError, "`size` must be odd"),
    (lambda: filters.identity_kernel(2), ValueError, "must be odd so that the kernel has a centre"),
    (lambda: filters.box_kernel(0), ValueError, "`size` must be at least 1"),
    (lambda: filters.box_kernel((3, 4)), ValueError, "`size` must be odd"),
    (lambda: filters.shift_kernel(dx=3, shape=(1, 5)), ValueError, "too small for a shift"),
    (lambda: filters.shift_kernel(dx=1.5), TypeError, "`dx` must be an integer"),
    (lambda: filters.sobel_kernel(axis=2), ValueError, "`axis` must be 0"),
    (lambda: filters.difference_kernel(kind="sideways"), ValueError, "`kind` must be one of"),
    (lambda: filters.laplacian_kernel(neighbours=6), ValueError, "`neighbours` must be 4 or 8"),
    (lambda: filters.sharpen_kernel(-1.0), ValueError, "`amount` must be at least 0"),
    (lambda: filters.gradient(np.zeros(4)), ValueError, "`image` must be a 2-D or 3-D"),
    (lambda: filters.gradient(np.zeros((4, 4)), operator="canny"), ValueError, "`operator`"),
    (lambda: filters.median_filter(np.zeros((4, 4)), 4), ValueError, "`size` must be odd"),
    (lambda: filters.box_blur(np.zeros((4, 4)), boundary="mirror"), ValueError, "`boundary`"),
    (lambda: filters.impulse((3, 3), position=(3, 0)), ValueError, "lies outside"),
    (lambda: filters.impulse((0, 3)), ValueError, "`shape` must be a pair of integers of at least 1"),
    (lambda: filters.impulse_response("blur"), TypeError, "`filter_fn` must be callable"),
    (lambda: filters.impulse_response(lambda _im: "abc"), TypeError,
     "`filter_fn` must return a numeric array"),
    (lambda: filters.gradient(np.zeros((4, 4)), sigma=-1), ValueError, "`sigma` must be positive"),
    (lambda: filters.gradient(np.zeros((4, 4)), sigma=2.0), ValueError,
     "`sigma` applies to operator='gaussian' only"),
    # sizes that would need far too much memory or time are refused before allocating
    (lambda: filters.gaussian_kernel(1e4), ValueError, r"`sigma` = 10000.0 would need a "
     r"60001x60001 kernel of 3,600,120,001 numbers \(26.8 GiB\); the limit is 33,554,432"),
    (lambda: filters.gaussian_kernel_1d(1e300), ValueError, r"`sigma` = 1e\+300 would need"),
    (lambda: filters.gaussian_blur(np.ones((4, 4)), 1e300), ValueError, r"`sigma` = 1e\+300"),
    (lambda: filters.gaussian_derivative_kernel(1e4), ValueError, "`sigma` = 10000.0"),
    (lambda: filters.gaussian_kernel(1.0, size=10001), ValueError, "`size` = 10001 would need"),
    (lambda: filters.box_kernel(100001), ValueError, "`size` = 100001 would need"),
    (lambda: filters.identity_kernel(100001), ValueError, "`size` = 100001 would need"),
    (lambda: filters.sharpen_kernel(size=100001), ValueError, "`size` = 100001 would need"),
    (lambda: filters.shift_kernel(dx=10**9), ValueError, "`dx` = 1000000000 would need"),
    (lambda: filters.shift_kernel(dy=-10**9), ValueError, "`dy` = -1000000000 would need"),
    (lambda: filters.shift_kernel(shape=(10**5 + 1, 10**5 + 1)), ValueError, "`shape` = "),
    (lambda: filters.impulse((10**6,) * 2), ValueError, r"`shape` = \(1000000, 1000000\) would"),
    (lambda: filters.median_filter(np.zeros((512, 512)), 101), ValueError,
     "`size` = 101 on an image of shape \\(512, 512\\) would sort 2,674,130,944"),
])
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_separable_filter_equals_scipy_with_the_outer_product(boundary):
    rng = np.random.default_rng(3)
    image = rng.random((23, 17))
    column, row = rng.normal(size=5), rng.normal(size=3)
    expected = scipy.signal.convolve2d(image, np.outer(column, row), mode="same", boundary=boundary)
    np.testing.assert_allclose(filters.separable_filter(image, column, row, boundary=boundary),
                               expected, atol=1e-12)


def test_separable_filter_names_a_bad_vector():
    with pytest.raises(ValueError, match="`row` must be a 1-D array"):
        filters.separable_filter(np.ones((5, 5)), [1, 2, 1], np.ones((3, 3)))


# ----------------------------------------------------------------- what a 1-D kernel does


@pytest.mark.parametrize("size", [1, 3, 11, 21])
def test_kernel_spread_of_a_box_and_a_gaussian(size):
    box = np.full(size, 1.0 / size)
    assert filters.kernel_spread(box) == pytest.approx(np.sqrt((size**2 - 1) / 12), abs=1e-12)
    wide = filters.gaussian_kernel_1d(2.0, size=61)                   # hardly truncated
    assert filters.kernel_spread(wide) == pytest.approx(2.0, abs=1e-6)


def test_kernel_spread_is_around_the_mean():
    assert filters.kernel_spread([0.0, 0.0, 1.0]) == 0.0              # all weight at one offset
    assert filters.kernel_spread([1.0, 0.0, 1.0]) == pytest.approx(1.0)


@pytest.mark.parametrize("kernel", [np.full(11, 1 / 11), [0.25, 0.5, 0.25], [1.0, -2.0, 1.0],
                                    [0.1, 0.2, 0.4, 0.2, 0.1, 0.0, 0.0][:5]])
def test_frequency_response_is_the_dft_of_the_centred_kernel(kernel):
    kernel = np.asarray(kernel, float)
    n = 64
    centred = np.zeros(n)                                             # centre at index 0
    half = (kernel.size - 1) // 2
    for x in range(-half, half + 1):
        centred[x % n] = kernel[x + half]
    dft = np.fft.fft(centred)
    frequencies = np.arange(n // 2 + 1) / n
    np.testing.assert_allclose(filters.frequency_response(kernel, frequencies), dft.real[: n // 2 + 1],
                               atol=1e-12)
    np.testing.assert_allclose(dft.imag, 0, atol=1e-12)               # symmetric: a real response


def test_frequency_response_is_what_the_filter_does_to_a_cosine():
    f = 0.13
    kernel = np.full(11, 1 / 11)
    n = np.arange(400)
    filtered = np.convolve(np.cos(2 * np.pi * f * n), kernel, mode="same")[20:-20]
    expected = filters.frequency_response(kernel, f) * np.cos(2 * np.pi * f * n)[20:-20]
    np.testing.assert_allclose(filtered, expected, atol=1e-12)
    assert filters.frequency_response(kernel, f) < 0                   # the box flips this one


@pytest.mark.parametrize(("call", "words"), [
    (lambda: filters.frequency_response([1.0, 2.0, 4.0], [0.1]), "`kernel_1d` must be symmetric"),
    (lambda: filters.frequency_response(np.ones((3, 3)), [0.1]), "`kernel_1d` must be a 1-D array"),
    (lambda: filters.frequency_response([1.0], [np.nan]), "`frequencies` must not contain NaN"),
    (lambda: filters.kernel_spread([1.0, -1.0]), "`kernel_1d` must hold non-negative weights"),
    (lambda: filters.kernel_spread([0.0, 0.0]), "positive sum"),
])
def test_kernel_properties_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
