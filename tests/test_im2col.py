"""Tests of course_lib.im2col: the patch matrix and the convolution built on it, against PyTorch
(``unfold`` and ``conv2d``), SciPy and the course's own ``correlate2d``; counts against
``models.conv_multiply_adds``; bad input answered with the parameter's name."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from course_lib.conv import correlate2d
from course_lib.im2col import conv2d_im2col, im2col, im2col_cost
from course_lib.models import conv_multiply_adds


def torch_conv(x, w, b=None, **options):
    bias = None if b is None else torch.tensor(b)
    return torch.nn.functional.conv2d(torch.tensor(x)[None], torch.tensor(w), bias, **options)[0].numpy()


# ----------------------------------------------------------------------------- im2col


def test_rows_are_the_patches_in_reading_order():
    x = np.arange(2 * 4 * 5, dtype=float).reshape(2, 4, 5)         # (C, H, W)
    patches = im2col(x, 3)
    assert patches.shape == (2 * 3, 2 * 3 * 3)                       # (H' W', C k k)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(patches[i * 3 + j], x[:, i:i + 3, j:j + 3].ravel())


def test_a_2d_image_is_one_channel():
    image = np.arange(20.0).reshape(4, 5)
    np.testing.assert_array_equal(im2col(image, (2, 3)), im2col(image[None], (2, 3)))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(channels=st.integers(1, 3), height=st.integers(1, 9), width=st.integers(1, 9),
       kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2), seed=st.integers(0, 999))
def test_transpose_of_torch_unfold(channels, height, width, kh, kw, sh, sw, ph, pw, seed):
    assume(kh <= height + 2 * ph and kw <= width + 2 * pw)
    x = np.random.default_rng(seed).normal(size=(channels, height, width))
    ours = im2col(x, (kh, kw), stride=(sh, sw), padding=(ph, pw))
    theirs = torch.nn.functional.unfold(torch.tensor(x)[None], (kh, kw), stride=(sh, sw),
                                        padding=(ph, pw))[0].numpy()
    np.testing.assert_array_equal(ours, theirs.T)                    # a copy of the same numbers


def test_patch_matrix_is_a_copy_not_a_view():
    x = np.zeros((1, 4, 4))
    patches = im2col(x, 2)
    patches[0, 0] = 5.0
    assert x.max() == 0.0


# ----------------------------------------------------------------------------- conv2d_im2col


@settings(max_examples=40, deadline=None, derandomize=True)
@given(c_in=st.integers(1, 3), c_out=st.integers(1, 3), height=st.integers(2, 9),
       width=st.integers(2, 9), kh=st.integers(1, 3), kw=st.integers(1, 3),
       stride=st.sampled_from([1, 2, 3, (1, 2), (2, 1)]),
       padding=st.sampled_from([0, 1, 2, (0, 1), (2, 0)]), bias=st.booleans(),
       seed=st.integers(0, 999))
def test_equals_torch_conv2d(c_in, c_out, height, width, kh, kw, stride, padding, bias, seed):
    pad = (padding, padding) if isinstance(padding, int) else padding
    assume(kh <= height + 2 * pad[0] and kw <= width + 2 * pad[1])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(c_in, height, width))                       # (C_in, H, W)
    w = rng.normal(size=(c_out, c_in, kh, kw))                       # (C_out, C_in, kh, kw)
    b = rng.normal(size=c_out) if bias else None
    ours = conv2d_im2col(x, w, b, stride=stride, padding=padding)
    theirs = torch_conv(x, w, b, stride=stride, padding=padding)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_integers_give_exactly_torch():
    rng = np.random.default_rng(1)
    x = rng.integers(-3, 4, size=(3, 8, 7)).astype(float)
    w = rng.integers(-2, 3, size=(5, 3, 3, 3)).astype(float)
    b = np.array([1.0, -2.0, 0.0, 3.0, 0.5])
    np.testing.assert_array_equal(conv2d_im2col(x, w, b, stride=2, padding=1),
                                  torch_conv(x, w, b, stride=2, padding=1))


@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 5), (1, 1), (4, 2)])
def test_one_channel_equals_correlate2d_and_scipy(kernel_shape):
    rng = np.random.default_rng(2)
    image = rng.normal(size=(9, 8))
    kernel = rng.normal(size=kernel_shape)
    valid = conv2d_im2col(image, kernel)
    np.testing.assert_allclose(valid, correlate2d(image, kernel, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(valid, scipy.signal.correlate2d(image, kernel, mode="valid"), atol=1e-12)


def test_padding_half_the_kernel_is_same_mode():
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=(10, 7)), rng.normal(size=(5, 3))
    np.testing.assert_allclose(conv2d_im2col(image, kernel, padding=(2, 1)),
                               correlate2d(image, kernel, mode="same"), atol=1e-12)
    np.testing.assert_allclose(conv2d_im2col(image, kernel, padding=(4, 2)),
                               correlate2d(image, kernel, mode="full"), atol=1e-12)


def test_stride_keeps_every_other_valid_output():
    rng = np.random.default_rng(4)
    image, kernel = rng.normal(size=(11, 9)), rng.normal(size=(3, 3))
    np.testing.assert_allclose(conv2d_im2col(image, kernel, stride=2),
                               correlate2d(image, kernel, mode="valid")[::2, ::2], atol=1e-12)


# ----------------------------------------------------------------------------- im2col_cost


@pytest.mark.parametrize(("c_in", "c_out", "k", "size", "stride", "padding"),
                         [(3, 64, 3, 224, 1, 1), (256, 256, 3, 56, 1, 1), (3, 96, 11, 227, 4, 0),
                          (64, 128, 1, 28, 2, 0)])
def test_cost_against_a_real_patch_matrix_and_the_layer_tables(c_in, c_out, k, size, stride, padding):
    cost = im2col_cost(c_in, c_out, k, size, stride=stride, padding=padding, itemsize=8)
    out = (size + 2 * padding - k) // stride + 1
    assert cost.multiply_adds == conv_multiply_adds(c_in, c_out, k, out)
    assert cost.patch_matrix == (out * out, c_in * k * k)
    assert cost.weight_matrix == (c_out, c_in * k * k)
    assert cost.output_matrix == (out * out, c_out)
    assert cost.input_numbers == c_in * size * size
    if cost.patch_numbers < 2_000_000:                               # build the small ones
        x = np.zeros((c_in, size, size))
        patches = im2col(x, k, stride=stride, padding=padding)
        assert patches.shape == cost.patch_matrix
        assert patches.nbytes == cost.patch_bytes
        assert x.nbytes == cost.input_bytes


def test_cost_copies_and_bytes():
    cost = im2col_cost(3, 64, 3, 224, padding=1)                     # float32 by default
    assert cost.copies == 9.0
    assert cost.patch_bytes == 50176 * 27 * 4
    assert im2col_cost(1, 1, (3, 2), 5, 7).patch_matrix == (3 * 6, 6)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: im2col(np.ones((2, 2, 2, 2)), 1), ValueError, "`x` must be a 2-D or 3-D array"),
    (lambda: im2col(np.ones((3, 3)), 4), ValueError, "`kernel_size` must fit inside the padded"),
    (lambda: im2col(np.ones((3, 3)), 0), ValueError, "`kernel_size` must be at least 1"),
    (lambda: im2col(np.ones((3, 3)), (1, 2, 3)), ValueError, "`kernel_size` must be an integer or a pair"),
    (lambda: im2col(np.ones((3, 3)), 2, stride=0), ValueError, "`stride` must be at least 1"),
    (lambda: im2col(np.ones((3, 3)), 2, padding=-1), ValueError, "`padding` must be at least 0"),
    (lambda: im2col(np.ones((3, 3)), 2.0), TypeError, "`kernel_size` must be an integer"),
    (lambda: im2col(np.ones((3, 3)), 1, padding=10**6), ValueError, "would need"),
    (lambda: im2col([[1.0, np.nan]], 1), ValueError, "`x` must not contain NaN"),
    (lambda: conv2d_im2col(np.ones((3, 3)), np.ones((1, 1, 2, 2))), ValueError, "`weight` must be 2-D"),
    (lambda: conv2d_im2col(np.ones((2, 3, 3)), np.ones((1, 3, 2, 2))), ValueError,
     "as many input channels"),
    (lambda: conv2d_im2col(np.ones((2, 3, 3)), np.ones((4, 2, 2, 2)), np.ones(3)), ValueError,
     "one value per output channel (4)"),
    (lambda: conv2d_im2col(np.ones((2, 3, 3)), np.ones((4, 2, 5, 2))), ValueError, "`weight` must fit"),
    (lambda: im2col_cost(3, 64, 3, 2), ValueError, "`kernel_size` must fit"),
    (lambda: im2col_cost(0, 64, 3, 8), ValueError, "`in_channels` must be at least 1"),
    (lambda: im2col_cost(3, 64, 3, 8, itemsize=0), ValueError, "`itemsize` must be at least 1"),
])
def test_bad_input_names_the_parameter(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value), str(info.value)
