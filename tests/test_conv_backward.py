"""course_lib.conv_backward.correlate2d_backward against torch autograd and finite differences."""

import numpy as np
import pytest
import torch

from course_lib.conv import correlate2d
from course_lib.conv_backward import correlate2d_backward

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
    grad_image, grad_kernel = correlate2d_backward(image, kernel, grad_output)
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
        return float(np.sum(weights * correlate2d(x, g, mode="valid")))

    grad_image, grad_kernel = correlate2d_backward(image, kernel, weights)
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
    grad_image, grad_kernel = correlate2d_backward(image, kernel, grad_output)
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
        correlate2d_backward(*args)
