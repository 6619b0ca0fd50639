"""The chapter 1 exercises beyond the notes (section 1.2): each checker accepts a correct answer
written differently from the solution (PyTorch, vectorised) and catches realistic wrong answers
with the intended lesson. References are confirmed independently (torch conv2d, max_pool2d)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d, correlate2d

from course_lib.conv import correlate2d_backward
from course_lib.exercises import ch1
from course_lib.kernel_learning import kernel_loss


def assert_fails(ex, answer, *fragments):
    feedback = ex.evaluate(answer)
    assert feedback.status == "incorrect", feedback.text
    for fragment in fragments:
        assert fragment in feedback.text, feedback.text
    return feedback


# --------------------------------------------------------------------------- conv_params


def test_conv_params_against_torch():
    assert ch1.conv_params.evaluate(sum(p.numel() for p in torch.nn.Conv2d(3, 64, 3).parameters()))
    assert ch1.conv_params.evaluate(1792)


@pytest.mark.parametrize(("answer", "lesson"), [
    (1728, "weights only"), (640, "27"), (576, "all 3 input channels"), (28, "one filter")])
def test_conv_params_wrong_counts(answer, lesson):
    assert_fails(ch1.conv_params, answer, lesson)


# --------------------------------------------------------------------------- kernel_gradient


def torch_kernel_grad(image, grad_output):
    kh, kw = image.shape[0] - grad_output.shape[0] + 1, image.shape[1] - grad_output.shape[1] + 1
    w = torch.zeros((1, 1, kh, kw), dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.conv2d(torch.tensor(image)[None, None], w)  # (1, 1, H', W')
    out.backward(torch.tensor(grad_output)[None, None])
    return w.grad[0, 0].numpy()


def test_kernel_gradient_reference_is_autograd_and_the_library():
    for case in ch1._kernel_grad_cases():
        image, grad_output = case.args
        expected = ch1._kernel_grad_reference(image, grad_output)
        np.testing.assert_allclose(expected, torch_kernel_grad(image, grad_output), atol=1e-12)
        kernel = np.zeros(expected.shape)
        np.testing.assert_allclose(expected, correlate2d_backward(image, kernel, grad_output)[1], atol=1e-12)


def test_kernel_gradient_accepts_autograd():
    assert ch1.kernel_gradient.evaluate(torch_kernel_grad)


def test_kernel_gradient_catches_the_flip_and_the_wrong_shape():
    assert_fails(ch1.kernel_gradient, lambda x, g: convolve2d(x, g, mode="valid"), "you convolved")
    assert_fails(ch1.kernel_gradient, lambda x, g: x[:g.shape[0], :g.shape[1]] * g,  # element-wise
                 "that is the output's shape")


# --------------------------------------------------------------------------- descent_step


def test_descent_step_reference_matches_the_library_gradient():
    for case in ch1._descent_cases():
        kernel, images, targets, lr = case.args
        _, grad = kernel_loss(images, targets, kernel)
        np.testing.assert_allclose(ch1._descent_reference(kernel, images, targets, lr),
                                   kernel - lr * grad, rtol=1e-12, atol=1e-12)


def test_descent_step_accepts_torch_autograd():
    def with_torch(kernel, images, targets, lr):
        w = torch.tensor(kernel[None, None], requires_grad=True)
        count = sum(t.size for t in targets)
        loss = sum(((torch.nn.functional.conv2d(torch.tensor(x)[None, None], w) - torch.tensor(t)) ** 2).sum()
                   for x, t in zip(images, targets, strict=True)) / count
        loss.backward()
        return (w - lr * w.grad).detach()[0, 0].numpy()

    assert ch1.descent_step.evaluate(with_torch)


@pytest.mark.parametrize(("wrong", "lesson"), [
    (lambda k, xs, ts, lr: k + lr * ch1._mse_grad(k, xs, ts), "uphill"),
    (lambda k, xs, ts, lr: k - lr * ch1._mse_grad(k, xs, ts) / 2, "factor 2"),
    (lambda k, xs, ts, lr: k - lr * ch1._mse_grad(k, xs, ts) * sum(t.size for t in ts), "summed"),
    (lambda k, xs, ts, lr: -lr * ch1._mse_grad(k, xs, ts), "not the new kernel"),
])
def test_descent_step_wrong_answers(wrong, lesson):
    assert_fails(ch1.descent_step, wrong, lesson)


def test_descent_step_with_a_convolution_is_wrong():
    def convolving(kernel, images, targets, lr):
        count = sum(t.size for t in targets)
        grad = sum(convolve2d(x, 2 * (convolve2d(x, kernel, mode="valid") - t), mode="valid")
                   for x, t in zip(images, targets, strict=True))
        return kernel - lr * grad / count

    assert_fails(ch1.descent_step, convolving, "expected")


# --------------------------------------------------------------------------- conv_layer


def test_conv_layer_reference_is_torch_conv2d_and_torch_is_accepted():
    def with_torch(x, weight):
        return torch.nn.functional.conv2d(torch.tensor(x)[None], torch.tensor(weight))[0].numpy()

    for case in ch1._conv_layer_cases():
        np.testing.assert_allclose(ch1._conv_layer_reference(*case.args), with_torch(*case.args),
                                   atol=1e-12)
    assert ch1.conv_layer.evaluate(with_torch)


def test_conv_layer_wrong_answers():
    def layer(filter_2d, combine):
        def answer(x, w):
            return np.stack([combine([filter_2d(x[c], w[o, c], mode="valid") for c in range(x.shape[0])])
                             for o in range(w.shape[0])])
        return answer

    assert_fails(ch1.conv_layer, layer(convolve2d, sum), "you convolved")
    assert_fails(ch1.conv_layer, layer(correlate2d, lambda maps: maps[0]), "first input channel only")
    assert_fails(ch1.conv_layer, layer(correlate2d, np.stack), "one map per (output, input) channel pair")
    assert_fails(ch1.conv_layer, lambda x, w: np.stack([sum(correlate2d(x[c], w[o, c], mode="valid")
                                                            for c in range(x.shape[0])) / x.shape[0]
                                                        for o in range(w.shape[0])]), "averaged")


# --------------------------------------------------------------------------- strided_output_size


def test_strided_output_size_against_torch():
    layer = torch.nn.Conv2d(3, 64, 3, padding=1, stride=2, device="meta")
    width = layer(torch.empty((1, 3, 224, 224), device="meta")).shape[-1]
    assert width == 112
    assert ch1.strided_output_size.evaluate(width)


@pytest.mark.parametrize(("answer", "lesson"), [
    (224, "stride of 2"), (111, "forgets the padding"), (112.5, "rounded down"), (113, "rounds down")])
def test_strided_output_size_wrong_answers(answer, lesson):
    assert_fails(ch1.strided_output_size, answer, lesson)


# --------------------------------------------------------------------------- max_pool


def test_max_pool_reference_is_torch_and_torch_is_accepted():
    def with_torch(image):
        return torch.nn.functional.max_pool2d(torch.tensor(image)[None, None], 2)[0, 0].numpy()

    for case in ch1._max_pool_cases():
        np.testing.assert_array_equal(ch1._max_pool_reference(*case.args), with_torch(*case.args))
    assert ch1.max_pool.evaluate(with_torch)


def test_max_pool_wrong_answers():
    def overlapping(image):
        return np.lib.stride_tricks.sliding_window_view(image, (2, 2)).max(axis=(2, 3))

    def padded(image):
        h, w = -(-image.shape[0] // 2) * 2, -(-image.shape[1] // 2) * 2
        full = np.full((h, w), -np.inf)
        full[:image.shape[0], :image.shape[1]] = image
        return full.reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))

    assert_fails(ch1.max_pool, ch1._avg_pool, "average pooling")
    assert_fails(ch1.max_pool, overlapping, "overlap")
    assert_fails(ch1.max_pool, padded, "left out")


# --------------------------------------------------------------------------- quiz


def test_quiz_numbers():
    fc = (224 * 224 * 3 + 1) * 64
    conv = sum(p.numel() for p in torch.nn.Conv2d(3, 64, 3).parameters())
    question = ch1.QUIZ[5]
    assert question.answer == round(fc / conv)
    assert question.check(str(question.answer)).status == "correct"
    assert question.check(str(round(224 * 224 * 3 / 27))).status == "incorrect"


# --------------------------------------------------------------------------- derive, then write


@pytest.mark.parametrize("ex", [ch1.kernel_gradient, ch1.descent_step], ids=lambda ex: ex.name)
def test_gradient_exercises_ask_for_the_derivation_and_hint_the_formula(ex):
    """The statement asks for the derivation; the formula itself is only in the hints."""
    assert "**Derive**" in ex.statement
    assert "chain rule" in ex.statement or "ch1.kernel_gradient" in ex.statement
    formulas = {"ch1.kernel_gradient": "Σ_{i,j} δ[i, j] I[i + a, j + b]",
                "ch1.descent_step": "(2/N) Σ_i correlate2d(x_i, r_i, mode='valid')"}
    assert any(formulas[ex.name] in hint for hint in ex.hints)
    for written in ("\\sum_{i,j} \\delta", "correlate2d(x_i", "2}{N}", "residual"):
        assert written not in ex.statement, written


# --------------------------------------------------------------------------- im2col


def loop_im2col(x, k):
    """A correct answer written differently from the solution: torch's unfold, transposed."""
    return torch.nn.functional.unfold(torch.tensor(x)[None], k)[0].T.numpy()


def test_im2col_reference_is_torch_unfold_and_torch_is_accepted():
    from course_lib.exercises.ch1 import _im2col_cases, _im2col_reference

    for case in ch1.im2col.checker.cases():
        x, k = case.args
        np.testing.assert_array_equal(_im2col_reference(x, k), loop_im2col(x, k))
    assert len(_im2col_cases()) >= 5
    assert ch1.im2col.evaluate(loop_im2col)


def test_im2col_rows_times_the_weights_are_the_layer():
    """What the exercise builds is what makes a layer one matrix product (torch conv2d)."""
    rng = np.random.default_rng(0)
    x, weight = rng.normal(size=(3, 6, 5)), rng.normal(size=(4, 3, 3, 3))
    ns: dict = {}
    exec(ch1.im2col.solution_code, ns)
    product = ns["my_im2col"](x, 3) @ weight.reshape(4, -1).T                 # (H' W', C_out)
    expected = torch.nn.functional.conv2d(torch.tensor(x)[None], torch.tensor(weight))[0]
    np.testing.assert_allclose(product.T.reshape(4, 4, 3), expected.numpy(), atol=1e-12)


def _windows(x, k):
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # (C, H', W', k, k)


@pytest.mark.parametrize(("wrong", "lesson"), [
    (lambda x, k: loop_im2col(x, k).T, "that is the transpose, one patch per column"),
    (lambda x, k: _windows(x, k).transpose(1, 2, 0, 3, 4)[..., ::-1, ::-1].reshape(
        -1, x.shape[0] * k * k), "your patches are flipped"),
    (lambda x, k: _windows(x, k).transpose(1, 2, 3, 4, 0).reshape(-1, x.shape[0] * k * k),
     "you put the channels last"),
    (lambda x, k: _windows(x, k).transpose(2, 1, 0, 3, 4).reshape(-1, x.shape[0] * k * k),
     "Use reading order"),
    (lambda x, k: _windows(x, k)[0].reshape(-1, k * k), "the patch of every channel"),
    (lambda x, k: _windows(x, k)[:, :-1, :-1].transpose(1, 2, 0, 3, 4).reshape(
        -1, x.shape[0] * k * k), "off by one"),
])
def test_im2col_wrong_answers(wrong, lesson):
    assert_fails(ch1.im2col, wrong, lesson)
