"""course_lib.kernel_learning: gradient descent recovers known kernels; NumPy and PyTorch agree."""

import numpy as np
import pytest

from course_lib import filters
from course_lib.conv import correlate2d, correlate2d_backward
from course_lib.kernel_learning import fit_kernel, fit_kernel_torch, kernel_descent, kernel_loss


def make_data(kernel, *, count=8, size=16, seed=0):
    images = np.random.default_rng(seed).random((count, size, size))  # (n, H, W)
    return images, [correlate2d(x, kernel, mode="valid") for x in images]


SOBEL = filters.sobel_kernel(axis=1)


def test_fit_kernel_recovers_sobel_from_eight_random_images():
    images, targets = make_data(SOBEL)
    learned = fit_kernel(images, targets, (3, 3))
    assert np.abs(learned - SOBEL).max() < 1e-3


@pytest.mark.parametrize(("kernel", "lr", "steps"), [
    (np.array([[1.0, -1.0]]), 0.3, 200), (filters.box_kernel(3), 0.3, 200),
    (filters.gaussian_kernel(1.0, size=5), 0.12, 600),   # 25 weights: a smaller stable step
])
def test_fit_kernel_recovers_other_kernels(kernel, lr, steps):
    images, targets = make_data(kernel, seed=3)
    assert np.abs(fit_kernel(images, targets, kernel.shape, lr=lr, steps=steps) - kernel).max() < 1e-3


def test_loss_gradient_matches_finite_differences():
    images, targets = make_data(SOBEL, count=3, size=7, seed=1)
    kernel = np.random.default_rng(2).normal(size=(3, 3))
    _, grad = kernel_loss(images, targets, kernel)
    eps, numeric = 1e-6, np.zeros((3, 3))
    for index in np.ndindex(3, 3):
        step = np.zeros((3, 3))
        step[index] = eps
        numeric[index] = (kernel_loss(images, targets, kernel + step)[0]
                          - kernel_loss(images, targets, kernel - step)[0]) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_loss_gradient_is_the_backward_pass_of_the_residual():
    images, targets = make_data(SOBEL, count=2, size=6, seed=4)
    kernel = np.ones((3, 3))
    loss, grad = kernel_loss(images, targets, kernel)
    residuals = [correlate2d(x, kernel, mode="valid") - t for x, t in zip(images, targets, strict=True)]
    count = sum(r.size for r in residuals)
    assert loss == pytest.approx(sum(float((r**2).sum()) for r in residuals) / count)
    expected = sum(correlate2d_backward(x, kernel, 2 * r)[1]
                   for x, r in zip(images, residuals, strict=True)) / count
    np.testing.assert_allclose(grad, expected, rtol=1e-12)


def test_descent_keeps_every_step_and_the_loss_falls():
    images, targets = make_data(SOBEL)
    fit = kernel_descent(images, targets, (3, 3), steps=50)
    assert fit.kernels.shape == (51, 3, 3)
    assert fit.losses.shape == (51,)
    assert fit.losses[-1] < 0.01 * fit.losses[0]
    assert np.all(np.diff(fit.losses) <= 1e-12)  # lr below the stability limit: monotone
    assert "50 steps" in repr(fit)


def test_numpy_and_torch_descents_agree():
    images, targets = make_data(SOBEL)
    ours = kernel_descent(images, targets, (3, 3), steps=60, seed=5)
    theirs = fit_kernel_torch(images, targets, (3, 3), steps=60, seed=5)
    np.testing.assert_allclose(theirs.kernels, ours.kernels, atol=1e-10)
    np.testing.assert_allclose(theirs.losses, ours.losses, rtol=1e-9, atol=1e-12)


def test_images_of_different_sizes():
    rng = np.random.default_rng(0)
    images = [rng.random((10, 12)), rng.random((14, 9))]
    targets = [correlate2d(x, SOBEL, mode="valid") for x in images]
    ours = kernel_descent(images, targets, (3, 3), steps=30)
    theirs = fit_kernel_torch(images, targets, (3, 3), steps=30)
    np.testing.assert_allclose(theirs.kernel, ours.kernel, atol=1e-10)


def test_seed_sets_the_start():
    images, targets = make_data(SOBEL, count=2)
    a = kernel_descent(images, targets, (3, 3), steps=0, seed=1).kernel
    b = kernel_descent(images, targets, (3, 3), steps=0, seed=2).kernel
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, kernel_descent(images, targets, (3, 3), steps=0, seed=1).kernel)


def test_too_large_a_learning_rate_is_named():
    images, targets = make_data(SOBEL)
    with pytest.raises(ValueError, match=r"diverged .* `lr` = 5 is too large"):
        kernel_descent(images, targets, (3, 3), lr=5.0, steps=200)
    with pytest.raises(ValueError, match=r"diverged .* `lr` = 5 is too large"):
        fit_kernel_torch(images, targets, (3, 3), lr=5.0, steps=200)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"targets": "short"}, ValueError, "`targets` must have one target per image"),
    ({"kernel_shape": (3,)}, ValueError, "`kernel_shape` must be a pair"),
    ({"kernel_shape": (20, 3)}, ValueError, "must fit inside `images\\[0\\]`"),
    ({"kernel_shape": (2, 2)}, ValueError,
     "`targets\\[0\\]` must have the 'valid' output shape \\(15, 15\\)"),
    ({"lr": -1.0}, ValueError, "`lr` must be positive"),
    ({"steps": 2.5}, TypeError, "`steps` must be an integer"),
    ({"images": np.ones((4, 4))}, ValueError, "`images` must be a list of 2-D arrays or a 3-D array"),
])
def test_bad_input_is_named(kwargs, error, message):
    images, targets = make_data(SOBEL, count=2)
    args = {"images": images, "targets": targets, "kernel_shape": (3, 3)}
    if kwargs.get("targets") == "short":
        kwargs = {"targets": targets[:1]}
    args.update(kwargs)
    options = {k: args.pop(k) for k in ("lr", "steps") if k in args}
    with pytest.raises(error, match=message):
        kernel_descent(args["images"], args["targets"], args["kernel_shape"], **options)
