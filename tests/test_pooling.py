"""course_lib.pooling against torch's pooling and autograd."""

import numpy as np
import pytest
import torch

from course_lib.models import pool_output_size
from course_lib.pooling import avg_pool2d, max_pool2d, max_pool2d_backward

CASES = [((8, 8), 2, None), ((9, 7), 2, None), ((10, 10), 3, 2), ((6, 9), 3, 1), ((5, 5), 1, None)]


def torch_pool(kind, image, size, stride):
    x = torch.tensor(image[None, None], requires_grad=True)  # (1, 1, H, W)
    pool = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    return x, pool(x, size, stride=stride or size)


@pytest.mark.parametrize(("shape", "size", "stride"), CASES)
def test_matches_torch(shape, size, stride):
    image = np.random.default_rng(0).normal(size=shape)
    for kind, ours in (("max", max_pool2d), ("avg", avg_pool2d)):
        _, out = torch_pool(kind, image, size, stride)
        np.testing.assert_allclose(ours(image, size, stride=stride), out[0, 0].detach().numpy(), atol=1e-12)
        assert out.shape[-2:] == (pool_output_size(shape[0], size, stride=stride),
                                  pool_output_size(shape[1], size, stride=stride))


@pytest.mark.parametrize(("shape", "size", "stride"), CASES)
def test_max_pool_gradient_matches_autograd(shape, size, stride):
    rng = np.random.default_rng(1)
    image = rng.normal(size=shape)
    x, out = torch_pool("max", image, size, stride)
    grad_output = rng.normal(size=out.shape[-2:])
    out.backward(torch.from_numpy(grad_output)[None, None])
    np.testing.assert_allclose(max_pool2d_backward(image, grad_output, size, stride=stride),
                               x.grad[0, 0].numpy(), atol=1e-12)


def test_gradient_goes_to_the_arg_max_only():
    image = np.array([[1.0, 9.0, 0.0, 2.0], [3.0, 4.0, 8.0, 1.0]])
    grad = max_pool2d_backward(image, np.array([[1.0, 1.0]]))
    np.testing.assert_array_equal(grad, [[0, 1, 0, 0], [0, 0, 1, 0]])


def test_ties_go_to_the_first_pixel_like_torch():
    image = np.ones((2, 2))
    np.testing.assert_array_equal(max_pool2d_backward(image, np.array([[5.0]])), [[5, 0], [0, 0]])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="`size` \\(5\\) must fit inside `image`"):
        max_pool2d(np.ones((4, 4)), 5)
    with pytest.raises(ValueError, match="`grad_output` must have the pooled shape \\(2, 2\\)"):
        max_pool2d_backward(np.ones((4, 4)), np.ones((3, 3)))
    with pytest.raises(TypeError, match="`stride` must be an integer"):
        avg_pool2d(np.ones((4, 4)), 2, stride=1.5)
