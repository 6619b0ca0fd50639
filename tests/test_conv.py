"""course_lib.conv against independent references (scipy.signal, torch) and known properties.

The backward pass (correlate2d_backward) against torch autograd and finite differences at the end.
"""

import numpy as np
import pytest
import scipy.signal
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import conv

MODES = ("full", "same", "valid")
BOUNDARIES = ("fill", "wrap", "symm")
FAST = ("auto", "vectorized", "fft")
SLOW = ("naive", "flip")  # pure-Python loops: small inputs only


def random_case(seed, image_shape, kernel_shape):
    rng = np.random.default_rng(seed)
    return rng.normal(size=image_shape), rng.normal(size=kernel_shape)


@st.composite
def cases(draw, max_image=12, max_kernel=6):
    h, w = draw(st.integers(1, max_image)), draw(st.integers(1, max_image))
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    mode = draw(st.sampled_from(MODES))
    if mode == "valid":
        kh, kw = min(kh, h), min(kw, w)
    boundary = draw(st.sampled_from(BOUNDARIES))
    seed = draw(st.integers(0, 2**32 - 1))
    image, kernel = random_case(seed, (h, w), (kh, kw))
    fill = draw(st.floats(-2, 2))
    return image, kernel, mode, boundary, fill


@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
@settings(max_examples=60, deadline=None)
@given(case=cases(), method=st.sampled_from(FAST + SLOW))
def test_matches_scipy(name, case, method):
    image, kernel, mode, boundary, fill = case
    ours = getattr(conv, name)(image, kernel, mode=mode, boundary=boundary, fillvalue=fill,
                               method=method)
    ref = getattr(scipy.signal, name)(image, kernel, mode=mode, boundary=boundary, fillvalue=fill)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(cases(), st.sampled_from(("auto", "separable", "fft", "naive")))
def test_separable_kernels_match_scipy(case, method):
    image, kernel, mode, boundary, fill = case
    rng = np.random.default_rng(int(abs(kernel[0, 0]) * 1e6))
    rank1 = np.outer(rng.normal(size=kernel.shape[0]), rng.normal(size=kernel.shape[1]))
    ours = conv.convolve2d(image, rank1, mode=mode, boundary=boundary, fillvalue=fill,
                           method=method)
    ref = scipy.signal.convolve2d(image, rank1, mode=mode, boundary=boundary, fillvalue=fill)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("method", ["auto", "vectorized", "fft", "separable"])
@pytest.mark.parametrize("kernel_size", [3, 7, 15])
def test_large_images_match_scipy(method, kernel_size):
    rng = np.random.default_rng(kernel_size)
    image = rng.random((200, 150))
    kernel = rng.normal(size=(kernel_size, kernel_size))
    if method == "separable":
        kernel = np.outer(kernel[0], kernel[1])
    ref = scipy.signal.convolve2d(image, kernel, mode="same")
    np.testing.assert_allclose(conv.convolve2d(image, kernel, method=method), ref, atol=1e-10)


@pytest.mark.parametrize("method", ["auto", "naive", "flip", "vectorized", "fft"])
@pytest.mark.parametrize("correlate", [False, True])
def test_colour_image_is_filtered_channel_by_channel(method, correlate):
    image, kernel = random_case(1, (9, 8, 3), (3, 4))
    operation = conv.correlate2d if correlate else conv.convolve2d
    reference = scipy.signal.correlate2d if correlate else scipy.signal.convolve2d
    ours = operation(image, kernel, mode="same", boundary="symm", method=method)
    assert ours.shape == (9, 8, 3)
    for c in range(3):
        ref = reference(image[:, :, c], kernel, mode="same", boundary="symm")
        np.testing.assert_allclose(ours[:, :, c], ref, atol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("method", ["separable", "vectorized", "fft"])
def test_colour_and_all_boundaries_with_a_separable_kernel(boundary, method):
    image, _ = random_case(9, (40, 33, 3), (1, 1))
    kernel = np.outer([1.0, 2.0, 1.0, -0.5], [0.5, -1.0, 3.0])  # rank 1, even height
    for mode in MODES:
        ours = conv.convolve2d(image, kernel, mode=mode, boundary=boundary, method=method)
        for c in range(3):
            ref = scipy.signal.convolve2d(image[:, :, c], kernel, mode=mode, boundary=boundary)
            np.testing.assert_allclose(ours[:, :, c], ref, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 14), st.integers(3, 14), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 2**32 - 1), st.sampled_from(("auto", "vectorized", "fft", "naive")))
def test_correlation_matches_torch_conv2d(h, w, rh, rw, seed, method):
    """torch's conv2d is a correlation: compare it with correlate2d (valid, and zero padding)."""
    image, kernel = random_case(seed, (h, w), (2 * rh + 1, 2 * rw + 1))
    kernel = kernel[: min(kernel.shape[0], h), : min(kernel.shape[1], w)]
    x = torch.from_numpy(image)[None, None]  # (1, 1, H, W) float64
    k = torch.from_numpy(np.ascontiguousarray(kernel))[None, None]  # (1, 1, kh, kw)
    valid = torch.nn.functional.conv2d(x, k).numpy()[0, 0]
    np.testing.assert_allclose(conv.correlate2d(image, kernel, mode="valid", method=method),
                               valid, atol=1e-10)
    if kernel.shape[0] % 2 and kernel.shape[1] % 2:
        same = torch.nn.functional.conv2d(x, k, padding="same").numpy()[0, 0]
        np.testing.assert_allclose(conv.correlate2d(image, kernel, method=method), same,
                                   atol=1e-10)
        flipped = torch.from_numpy(np.ascontiguousarray(kernel[::-1, ::-1]))[None, None]
        as_conv = torch.nn.functional.conv2d(x, flipped, padding="same").numpy()[0, 0]
        np.testing.assert_allclose(conv.convolve2d(image, kernel, method=method), as_conv,
                                   atol=1e-10)


# ----------------------------------------------------------------------------- properties


@pytest.mark.parametrize("method", ["naive", "vectorized", "fft"])
def test_linearity(method):
    """Homogeneity, additivity and superposition, as the notes state them."""
    x1, kernel = random_case(2, (10, 11), (3, 3))
    x2, _ = random_case(3, (10, 11), (3, 3))
    a, b = 2.5, -0.75

    def t(x):
        return conv.convolve2d(x, kernel, method=method)

    np.testing.assert_allclose(t(a * x1), a * t(x1), atol=1e-12)
    np.testing.assert_allclose(t(x1 + x2), t(x1) + t(x2), atol=1e-12)
    np.testing.assert_allclose(t(a * x1 + b * x2), a * t(x1) + b * t(x2), atol=1e-12)


def test_commutativity_in_full_mode():
    a, b = random_case(4, (6, 9), (4, 3))
    np.testing.assert_allclose(conv.convolve2d(a, b, mode="full"),
                               conv.convolve2d(b, a, mode="full"), atol=1e-12)


def test_associativity_gaussian_is_two_1d_passes():
    from course_lib.filters import gaussian_kernel, gaussian_kernel_1d

    image, _ = random_case(5, (20, 17), (1, 1))
    column = gaussian_kernel_1d(1.5)[:, None]
    row = gaussian_kernel_1d(1.5)[None, :]
    two_passes = conv.convolve2d(conv.convolve2d(image, column, mode="full"), row, mode="full")
    one_pass = conv.convolve2d(image, gaussian_kernel(1.5), mode="full")
    np.testing.assert_allclose(two_passes, one_pass, atol=1e-12)
    # (I * a) * b == I * (a * b) for any kernels, in full mode
    a, b = random_case(6, (3, 4), (2, 5))
    left = conv.convolve2d(conv.convolve2d(image, a, mode="full"), b, mode="full")
    right = conv.convolve2d(image, conv.convolve2d(a, b, mode="full"), mode="full")
    np.testing.assert_allclose(left, right, atol=1e-10)


@pytest.mark.parametrize("method", ["naive", "flip", "vectorized", "fft", "auto"])
def test_impulse_response_is_the_kernel(method):
    _, kernel = random_case(7, (1, 1), (3, 5))
    image = np.zeros((7, 9))
    image[3, 4] = 1.0
    out = conv.convolve2d(image, kernel, method=method)
    np.testing.assert_allclose(out[2:5, 2:7], kernel, atol=1e-12)
    assert np.count_nonzero(np.abs(out) > 1e-12) == kernel.size
    corr = conv.correlate2d(image, kernel, method=method)
    np.testing.assert_allclose(corr[2:5, 2:7], kernel[::-1, ::-1], atol=1e-12)


def test_correlation_is_convolution_with_flipped_kernel():
    image, kernel = random_case(8, (8, 8), (3, 3))
    np.testing.assert_allclose(conv.correlate2d(image, kernel),
                               conv.convolve2d(image, kernel[::-1, ::-1]), atol=1e-12)


def test_notes_worked_example_centre_value():
    """Notes 1.1.0: the 3x3 image and kernel; the centre of the convolution is 8+7+9 - (2+3+1)."""
    image = np.array([[8, 5, 2], [7, 5, 3], [9, 4, 1]])
    kernel = np.array([[-1, 0, 1]] * 3)
    centre = conv.convolve2d(image, kernel, mode="valid", method="naive")
    assert centre.shape == (1, 1)
    assert centre[0, 0] == pytest.approx((8 + 7 + 9) - (2 + 3 + 1))
    assert conv.correlate2d(image, kernel, mode="valid")[0, 0] == pytest.approx(-18)


def test_separate_kernel():
    u, v = np.array([1.0, 2.0, -1.0]), np.array([0.5, 3.0])
    parts = conv.separate_kernel(np.outer(u, v))
    assert parts is not None
    np.testing.assert_allclose(np.outer(*parts), np.outer(u, v), atol=1e-12)
    assert conv.separate_kernel(np.eye(3)) is None
    assert conv.separate_kernel(np.zeros((3, 3))) is None


def test_separate_kernel_splits_integers_exactly_and_keeps_small_taps():
    assert conv.separate_kernel([[1e10, 0.0], [0.0, 1e-3]]) is None  # rank 2: keep the 1e-3
    assert conv.separate_kernel([[1.0, 1e-9], [1.0, 1e-9 * (1 + 1e-6)]]) is None
    u, v = conv.separate_kernel([[1, 3], [3, 9]])  # integers: integer factors, no 1/9
    np.testing.assert_array_equal(np.outer(u, v), [[1, 3], [3, 9]])
    assert np.array_equal(u, np.round(u))
    assert np.array_equal(v, np.round(v))
    rng = np.random.default_rng(5)
    for _ in range(50):
        column, row = rng.integers(-9, 10, 5), rng.integers(-9, 10, 4)
        if not column.any() or not row.any():
            continue
        kernel = np.outer(column, row)
        np.testing.assert_array_equal(np.outer(*conv.separate_kernel(kernel)), kernel)


def test_an_impulse_reproduces_a_kernel_with_a_tiny_tap():
    impulse = np.zeros((5, 5))
    impulse[2, 2] = 1.0
    kernel = np.array([[1e10, 0.0], [0.0, 1e-3]])
    out = conv.convolve2d(impulse, kernel, mode="full")
    np.testing.assert_array_equal(out[2:4, 2:4], kernel)
    assert np.count_nonzero(out) == 2


@pytest.mark.parametrize("operation", ["convolve2d", "correlate2d"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_integer_data_gives_exact_integers_like_scipy(operation, mode, boundary):
    """method="auto" is exact on integer data, whichever strategy it picks (separable,
    vectorized or FFT): the same integers as scipy.signal's direct sums."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (37, 41)).astype(float)
    kernels = [np.ones((3, 3)), np.array([[-1, 0, 1]] * 3), np.outer([1, 3, 1], [3, 9, 3]),
               rng.integers(-4, 5, (5, 5)), rng.integers(-4, 5, (15, 13)),
               np.outer(rng.integers(1, 9, 19), rng.integers(1, 9, 17))]
    ours, ref = getattr(conv, operation), getattr(scipy.signal, operation)
    for kernel in kernels:
        result = ours(image, kernel, mode=mode, boundary=boundary, fillvalue=2)
        np.testing.assert_array_equal(result, ref(image, kernel, mode=mode, boundary=boundary,
                                                  fillvalue=2))


def test_the_notes_worked_example_is_exactly_18():
    image = np.array([[8, 5, 2], [7, 5, 3], [9, 4, 1]])
    result = conv.convolve2d(image, [[-1, 0, 1]] * 3, mode="valid")
    assert result[0, 0] == 18.0
    assert conv.convolve2d(np.ones((3, 3)), np.ones((2, 2)))[2, 2] == 4.0


def test_a_zero_kernel_is_separable_and_gives_zeros():
    result = conv.convolve2d(np.ones((6, 5)), np.zeros((3, 3)), method="separable",
                             boundary="fill", fillvalue=7.0)
    np.testing.assert_array_equal(result, np.zeros((6, 5)))


def test_a_kernel_far_larger_than_the_image_is_refused_before_padding():
    with pytest.raises(ValueError, match=r"`kernel` of shape \(3, 20000000\) would need a "
                                         r"padded image of 5x20000002 pixels"):
        conv.convolve2d(np.ones((3, 3)), np.broadcast_to(1.0, (3, 20_000_000)))


def test_choose_method():
    assert conv.choose_method(np.ones((5, 5))) == "separable"
    assert conv.choose_method(np.ones((17, 17))) == "fft"
    assert conv.choose_method(np.eye(5)) == "vectorized"
    assert conv.choose_method(np.eye(15)) == "fft"


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("operation", [conv.convolve2d, conv.correlate2d])
@pytest.mark.parametrize(("image", "kernel", "error", "words"), [
    (np.zeros(5), np.ones((3, 3)), ValueError, "`image` must be a 2-D or 3-D array"),
    (np.zeros((2, 2, 2, 2)), np.ones((3, 3)), ValueError, "`image` must be a 2-D or 3-D"),
    (np.zeros((5, 5)), np.ones(3), ValueError, "`kernel` must be a 2-D array"),
    (np.full((5, 5), np.nan), np.ones((3, 3)), ValueError, "`image` must not contain NaN"),
    (np.zeros((5, 5)), np.array([[np.inf]]), ValueError, "`kernel` must not contain NaN"),
    (np.array([["a", "b"]]), np.ones((1, 1)), TypeError, "`image` must hold numbers"),
    ("camera", np.ones((1, 1)), TypeError, "`image` must be a numeric array"),
    (np.zeros((5, 5)), np.zeros((0, 3)), ValueError, "`kernel` must not be empty"),
    (np.zeros((5, 5)), np.ones((3, 3), dtype=complex), TypeError, "real numbers"),
])
def test_bad_arrays(operation, image, kernel, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        operation(image, kernel)


def test_kernel_larger_than_image_in_valid_mode():
    with pytest.raises(ValueError, match="larger than the image"):
        conv.convolve2d(np.zeros((4, 4)), np.ones((5, 3)), mode="valid")


@pytest.mark.parametrize(("option", "value", "words"), [
    ("mode", "sane", "`mode` must be one of"),
    ("boundary", "reflect", "`boundary` must be one of"),
    ("method", "magic", "`method` must be one of"),
    ("fillvalue", float("nan"), "`fillvalue` must be finite"),
])
def test_bad_options(option, value, words):
    with pytest.raises(ValueError, match=words):
        conv.convolve2d(np.zeros((4, 4)), np.ones((3, 3)), **{option: value})


def test_fillvalue_must_be_a_number():
    with pytest.raises(TypeError, match="`fillvalue` must be a real number"):
        conv.convolve2d(np.zeros((4, 4)), np.ones((3, 3)), fillvalue="0")


def test_separable_method_refuses_a_full_rank_kernel():
    with pytest.raises(ValueError, match="not separable"):
        conv.convolve2d(np.zeros((4, 4)), np.eye(3), method="separable")


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        conv.convolve2d(np.zeros((4, 4)), np.ones((3, 3)), "same")


@pytest.mark.parametrize("shape", [(3,), (0, 3), (3, 2.5), "3x3"])
def test_pad_image_refuses_bad_kernel_shape(shape):
    with pytest.raises(ValueError, match="`kernel_shape` must be a pair of integers"):
        conv.pad_image(np.zeros((4, 4)), shape)


@pytest.mark.parametrize("strategy", [conv.convolve_naive, conv.convolve_flip,
                                      conv.convolve_vectorized, conv.convolve_fft])
def test_strategies_check_their_input(strategy):
    with pytest.raises(ValueError, match="`padded` must be"):
        strategy(np.zeros(5), np.ones((3, 3)))
    with pytest.raises(ValueError, match="`kernel` must be a 2-D numpy array"):
        strategy(np.zeros((5, 5)), [[1.0]])
    with pytest.raises(ValueError, match="larger than `padded`"):
        strategy(np.zeros((2, 5)), np.ones((3, 3)))
    padded = conv.pad_image(np.arange(20.0).reshape(4, 5), (3, 3))
    np.testing.assert_allclose(strategy(padded, np.eye(3)),
                               scipy.signal.convolve2d(np.arange(20.0).reshape(4, 5), np.eye(3),
                                                       mode="same"), atol=1e-12)


# ------------------------------------------------------------------------- the backward pass

SHAPES = [((5, 5), (3, 3)), ((6, 9), (2, 4)), ((7, 4), (3, 1)), ((4, 6), (1, 1)),
          ((8, 3), (5, 2)), ((3, 3), (3, 3)), ((1, 7), (1, 3)), ((10, 12), (7, 2))]


def torch_gradients(image, kernel, grad_output):
    x = torch.tensor(image[None, None], requires_grad=True)  # (1, 1, H, W)
    w = torch.tensor(kernel[None, None], requires_grad=True)  # (1, 1, kh, kw)
    out = torch.nn.functional.conv2d(x, w)  # a correlation, 'valid'
    out.backward(torch.from_numpy(grad_output)[None, None])
    return x.grad[0, 0].numpy(), w.grad[0, 0].numpy()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("image_shape", "kernel_shape"), SHAPES)
def test_matches_torch_autograd(image_shape, kernel_shape, seed):
    rng = np.random.default_rng(seed)
    image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
    out_shape = (image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1)
    grad_output = rng.normal(size=out_shape)
    grad_image, grad_kernel = conv.correlate2d_backward(image, kernel, grad_output)
    torch_image, torch_kernel = torch_gradients(image, kernel, grad_output)
    assert grad_image.shape == image.shape
    assert grad_kernel.shape == kernel.shape
    np.testing.assert_allclose(grad_image, torch_image, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_kernel, torch_kernel, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("image_shape", "kernel_shape"), SHAPES[:5])
def test_matches_finite_differences(image_shape, kernel_shape):
    rng = np.random.default_rng(7)
    image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
    weights = rng.normal(size=(image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1))

    def loss(x, g):  # a scalar whose gradient with respect to the output is `weights`
        return float(np.sum(weights * conv.correlate2d(x, g, mode="valid")))

    grad_image, grad_kernel = conv.correlate2d_backward(image, kernel, weights)
    eps = 1e-6
    for array, grad, which in ((image, grad_image, "image"), (kernel, grad_kernel, "kernel")):
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += eps
            minus[index] -= eps
            args_plus = (plus, kernel) if which == "image" else (image, plus)
            args_minus = (minus, kernel) if which == "image" else (image, minus)
            numeric[index] = (loss(*args_plus) - loss(*args_minus)) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def test_an_impulse_gradient_returns_the_kernel_and_the_patch():
    image = np.arange(20.0).reshape(4, 5)
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    grad_output = np.zeros((3, 4))
    grad_output[1, 2] = 1.0  # only output [1, 2] matters
    grad_image, grad_kernel = conv.correlate2d_backward(image, kernel, grad_output)
    np.testing.assert_array_equal(grad_kernel, image[1:3, 2:4])  # the patch it saw
    expected = np.zeros((4, 5))
    expected[1:3, 2:4] = kernel  # the pixels it saw, through the weights they met
    np.testing.assert_array_equal(grad_image, expected)


@pytest.mark.parametrize(("args", "message"), [
    ((np.ones((3, 3)), np.ones((4, 2)), np.ones((1, 2))), "`kernel` must fit inside `image`"),
    ((np.ones((5, 5)), np.ones((3, 3)), np.ones((5, 5))),
     r"`grad_output` must have the shape of the 'valid' output, \(3, 3\)"),
    ((np.ones((5, 5, 3)), np.ones((3, 3)), np.ones((3, 3))), "`image` must be a 2-D array"),
    ((np.ones((5, 5)), [1.0, 2.0], np.ones((3, 3))), "`kernel` must be a 2-D array"),
])
def test_bad_input_is_named(args, message):
    with pytest.raises(ValueError, match=message):
        conv.correlate2d_backward(*args)
