"""Tests of course_lib.exercises: every checker accepts its reference solution, rejects realistic
wrong answers with the intended lesson, and reports untouched placeholders as "not attempted".
Expected values are confirmed with independent references (scipy, torch, scikit-learn)."""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from nbclient import NotebookClient
from scipy.ndimage import gaussian_filter
from scipy.signal import convolve2d, correlate2d
from scipy.special import expit
from sklearn.preprocessing import StandardScaler
from torch import nn

from course_lib.exercises import PLACEHOLDER, Exercise, Feedback, ch1, ch2, ch3
from course_lib.exercises._core import format_value

EXERCISES = {
    "ch1": [ch1.conv2d, ch1.gaussian_kernel, ch1.vertical_edge_kernel, ch1.predict_pixel,
            ch1.conv_params, ch1.kernel_gradient, ch1.descent_step, ch1.conv_layer, ch1.max_pool,
            ch1.strided_output_size, ch1.im2col],
    "ch2": [ch2.output_size, ch2.conv_params, ch2.receptive_field, ch2.vgg16_params],
    "ch3": [ch3.sigmoid_grad, ch3.gradient_after_layers, ch3.standardise, ch3.learning_rate,
            ch3.he_std, ch3.batch_norm, ch3.maxout],
}
ALL = [ex for exercises in EXERCISES.values() for ex in exercises]
IDS = [ex.name for ex in ALL]


def solution_answer(ex: Exercise):
    """Run the solution code in a fresh namespace and return what it defines."""
    namespace: dict = {}
    exec(compile(ex.solution_code, f"<{ex.name} solution>", "exec"), namespace)
    return namespace[ex.answer_name]


def starter_answer(ex: Exercise):
    """Run the student's untouched starter cell (without its check line)."""
    code = "\n".join(line for line in ex.starter.splitlines() if ".check(" not in line)
    namespace: dict = {}
    exec(code, namespace)
    return namespace[ex.answer_name]


def assert_fails(ex: Exercise, answer, *fragments: str) -> Feedback:
    feedback = ex.evaluate(answer)
    assert feedback.status == "incorrect", feedback.text
    assert not feedback
    for fragment in fragments:
        assert fragment in feedback.text, feedback.text
    return feedback


# --------------------------------------------------------------------------- every exercise


def test_each_chapter_has_at_least_four_exercises():
    for chapter, exercises in EXERCISES.items():
        assert len(exercises) >= 4, chapter
        assert all(ex.name.startswith(chapter + ".") for ex in exercises)


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_solution_runs_and_passes_its_own_check(ex, capsys):
    feedback = ex.check(solution_answer(ex))
    assert feedback.passed, feedback.text
    assert bool(feedback), feedback.text
    assert feedback.status == "correct", feedback.text
    assert capsys.readouterr().out.startswith("Correct: ")


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_untouched_starter_is_not_attempted(ex, capsys):
    answer = starter_answer(ex)
    feedback = ex.check(answer)
    assert feedback.status == "not_attempted"
    assert not feedback
    assert not feedback.attempted
    assert capsys.readouterr().out.startswith("Not attempted yet: ")


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_starter_cell_names_the_exercise_and_the_answer(ex):
    chapter, short = ex.name.split(".")
    assert f"{chapter}.{short}.check({ex.answer_name})" in ex.starter
    assert "..." in ex.starter


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_hints_come_one_after_another_then_stay_on_the_last(ex, capsys):
    ex.reset_hints()
    assert len(ex.hints) >= 2
    assert all(h.strip() for h in ex.hints)
    shown = []
    for _ in range(len(ex.hints) + 1):
        feedback = ex.hint()
        assert feedback.status == "hint"
        shown.append(feedback.text)
    total = len(ex.hints)
    for number, text in enumerate(shown[:total], start=1):
        assert text.startswith(f"Hint {number} of {total}: {ex.hints[number - 1]}")
    assert shown[-1] == shown[-2]  # after the last one, the last one again
    assert "solution()" in shown[-1]
    assert ex.hint(1).text.startswith(f"Hint 1 of {total}: ")
    capsys.readouterr()
    ex.reset_hints()


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_solution_shows_the_code(ex, capsys):
    feedback = ex.solution()
    assert feedback.status == "solution"
    assert ex.solution_code.strip()
    assert ex.solution_code.strip() in capsys.readouterr().out


def test_hint_number_is_validated():
    with pytest.raises(ValueError, match="`number` must be at most 3; got 4"):
        ch1.conv2d.hint(4)
    with pytest.raises(TypeError, match="`number` must be an integer"):
        ch1.conv2d.hint("2")


def test_function_exercise_refuses_a_value_with_a_lesson():
    assert_fails(ch1.conv2d, np.ones((3, 3)), "expected a function", "without calling it")


def test_placeholder_is_ellipsis_and_pass_body_is_not_attempted():
    assert PLACEHOLDER is Ellipsis

    def my_conv2d(image, kernel):
        pass

    assert ch1.conv2d.evaluate(my_conv2d).status == "not_attempted"
    assert ch1.predict_pixel.evaluate(...).status == "not_attempted"


def test_student_code_that_raises_is_reported_not_raised():
    def my_conv2d(image, kernel):
        return image[0, 0] / kernel.missing

    feedback = assert_fails(ch1.conv2d, my_conv2d, "AttributeError", "input:")
    assert "image =" in feedback.text


def test_feedback_is_deterministic_and_has_a_coloured_html_form():
    first = ch1.conv2d.evaluate(lambda i, k: correlate2d(i, k, mode="valid"))
    second = ch1.conv2d.evaluate(lambda i, k: correlate2d(i, k, mode="valid"))
    assert first.text == second.text
    assert first.html == second.html
    assert "#b00020" in first.html
    assert "Not quite" in first.html
    ok = ch1.predict_pixel.evaluate(18)
    assert "#1b7f3b" in ok.html
    assert ">Correct<" in ok.html
    assert "&lt;" in Feedback("incorrect", "a < b").html  # escaped


# --------------------------------------------------------------------------- chapter 1


def test_conv2d_cases_include_non_square_kernels_and_are_unseen_shapes():
    cases = ch1._conv2d_cases()
    kernel_shapes = {c.args[1].shape for c in cases}
    assert any(h != w for h, w in kernel_shapes)
    assert len({c.args[0].shape for c in cases}) >= 5


def test_conv2d_accepts_a_vectorised_and_a_torch_answer():
    def sliding(image, kernel):
        windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)  # (H', W', kh, kw)
        return (windows * kernel[::-1, ::-1]).sum(axis=(-2, -1))

    def with_torch(image, kernel):
        x = torch.as_tensor(image)[None, None]  # (1, 1, H, W)
        w = torch.as_tensor(kernel.copy()).flip(0, 1)[None, None]  # (1, 1, kh, kw)
        return torch.nn.functional.conv2d(x, w)[0, 0]  # a tensor is accepted too

    assert ch1.conv2d.evaluate(sliding)
    assert ch1.conv2d.evaluate(with_torch)


def test_conv2d_catches_the_missing_flip():
    assert_fails(ch1.conv2d, lambda i, k: correlate2d(i, k, mode="valid"),
                 "computes the correlation", "kernel[::-1, ::-1]", "expected:", "got:")
    assert_fails(ch1.conv2d, lambda i, k: correlate2d(i, k[::-1, :], mode="valid"),
                 "upside down only")


def test_conv2d_catches_wrong_output_shapes():
    assert_fails(ch1.conv2d, lambda i, k: convolve2d(i, k, mode="same"),
                 "expected shape (3, 3), got (5, 5)", "'same' mode")
    assert_fails(ch1.conv2d, lambda i, k: convolve2d(i, k, mode="full"),
                 "expected shape (3, 3), got (7, 7)", "'full' mode")

    def off_by_one(image, kernel):
        return convolve2d(image, kernel, mode="valid")[:-1, :-1]

    assert_fails(ch1.conv2d, off_by_one, "expected shape (3, 3), got (2, 2)", "off by one")


def test_gaussian_reference_matches_scipy():
    for sigma, size in [(1.5, 7), (0.5, 3), (3.0, 11)]:
        impulse = np.zeros((size, size))
        impulse[size // 2, size // 2] = 1.0
        radius = (size - 1) // 2
        expected = gaussian_filter(impulse, sigma, mode="constant", radius=radius)
        np.testing.assert_allclose(ch1._gaussian_reference(sigma, size), expected, atol=1e-12)


def test_gaussian_kernel_catches_common_mistakes():
    def unnormalised(sigma, size):
        x = np.arange(size) - (size - 1) / 2
        return np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)

    def one_dimensional(sigma, size):
        x = np.arange(size) - (size - 1) / 2
        g = np.exp(-x**2 / (2 * sigma**2))
        return g / g.sum()

    def not_centred(sigma, size):
        x = np.arange(size)
        k = np.outer(np.exp(-x**2 / (2 * sigma**2)), np.exp(-x**2 / (2 * sigma**2)))
        return k / k.sum()

    def sigma_not_squared(sigma, size):
        x = np.arange(size) - (size - 1) / 2
        k = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma))
        return k / k.sum()

    def wider(sigma, size):
        return ch1._gaussian_reference(2 * sigma, size)

    assert_fails(ch1.gaussian_kernel, unnormalised, "not normalised", "sum to 1")
    assert_fails(ch1.gaussian_kernel, one_dimensional, "expected shape (7, 7), got (7,)",
                 "np.outer")
    assert_fails(ch1.gaussian_kernel, lambda _s, n: np.ones((n + 1, n + 1)) / (n + 1) ** 2,
                 "expected shape (7, 7), got (8, 8)")
    assert_fails(ch1.gaussian_kernel, not_centred, "not symmetric")
    assert_fails(ch1.gaussian_kernel, sigma_not_squared, "2 * sigma instead of 2 * sigma**2")
    assert_fails(ch1.gaussian_kernel, wider, "wrong width", "sigma = 3.00 instead of 1.5")


def test_edge_kernel_accepts_sobel_prewitt_and_their_negatives():
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    prewitt = np.array([[-1, 0, 1]] * 3)
    for kernel in (sobel, -sobel, prewitt, prewitt.tolist()):
        assert ch1.vertical_edge_kernel.evaluate(kernel), kernel


def test_edge_responses_are_what_scipy_gives():
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    step = np.zeros((6, 6))
    step[:, 3:] = 1
    assert ch1.edge_responses(sobel)["vertical"] == np.abs(convolve2d(step, sobel, "valid")).max()
    assert ch1.edge_responses(sobel.T)["vertical"] == 0


def test_edge_kernel_catches_horizontal_flat_and_shape_mistakes():
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert_fails(ch1.vertical_edge_kernel, sobel.T, "detects horizontal edges", "kernel.T")
    assert_fails(ch1.vertical_edge_kernel, np.ones((3, 3)) / 9, "responds to a flat image",
                 "sum to 0")
    assert_fails(ch1.vertical_edge_kernel, [[-1, 1]], "needs a shape (3, 3)", "(1, 2)")
    assert_fails(ch1.vertical_edge_kernel, [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
                 "also responds to horizontal edges")
    assert_fails(ch1.vertical_edge_kernel, np.zeros((3, 3)), "all-zero")
    assert_fails(ch1.vertical_edge_kernel, "sobel", "3x3 array")


def test_predict_pixel_expected_value_is_the_scipy_convolution():
    assert convolve2d(ch1.NOTES_IMAGE, ch1.NOTES_KERNEL, mode="valid")[0, 0] == 18
    assert correlate2d(ch1.NOTES_IMAGE, ch1.NOTES_KERNEL, mode="valid")[0, 0] == -18
    assert ch1.notes_centre_value() == 18
    assert ch1.predict_pixel.evaluate(np.int64(18))
    assert ch1.predict_pixel.evaluate(18.0)


def test_predict_pixel_catches_the_correlation_and_other_guesses():
    feedback = assert_fails(ch1.predict_pixel, -18, "correlation", "flips the kernel")
    assert "18" not in feedback.message  # the lesson does not give the answer away
    assert_fails(ch1.predict_pixel, 0, "nine products")
    assert_fails(ch1.predict_pixel, 44, "hint")
    assert_fails(ch1.predict_pixel, "18", "single number")


# --------------------------------------------------------------------------- chapter 2


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 64), k=st.integers(1, 11), p=st.integers(0, 5), s=st.integers(1, 5))
def test_output_size_reference_matches_torch(n, k, p, s):
    assume(n + 2 * p >= k)
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, bias=False)
    with torch.no_grad():
        width = conv(torch.zeros(1, 1, k, n))  # (1, 1, H', W')
    assert ch2._output_size_reference(n, k, p, s) == width.shape[-1]


def test_output_size_catches_missing_plus_one_and_missing_padding():
    assert_fails(ch2.output_size, lambda n, k, p, s: (n + 2 * p - k) // s, "forgot the +1")
    assert_fails(ch2.output_size, lambda n, k, p, s: (n + p - k) // s + 1, "both")
    assert_fails(ch2.output_size, lambda n, k, _p, s: (n - k) // s + 1, "left out the padding")
    assert_fails(ch2.output_size, lambda n, k, p, s: math.ceil((n + 2 * p - k) / s) + 1,
                 "rounded up")
    assert_fails(ch2.output_size, lambda n, k, p, s: (n + 2 * p - k) / s + 1,
                 "use // (floor division)")
    assert ch2.output_size.evaluate(lambda n, k, p, s: int((n + 2 * p - k) / s) + 1)


@pytest.mark.parametrize("args", [(3, 64, 3, True), (64, 128, 3, True), (128, 256, 3, False),
                                  (1, 6, 5, True), (3, 96, 11, False)])
def test_conv_params_reference_matches_torch(args):
    i, o, k, bias = args
    conv = nn.Conv2d(i, o, k, bias=bias)
    assert ch2._conv_params_reference(*args) == sum(p.numel() for p in conv.parameters())


def test_conv_params_catches_forgotten_bias_and_forgotten_in_channels():
    assert_fails(ch2.conv_params, lambda i, o, k, **_bias: o * i * k * k, "forgot the biases")
    assert_fails(ch2.conv_params, lambda _i, o, k, bias=True: o * (k * k + 1) if bias else o * k * k,
                 "forgot the input channels")
    assert_fails(ch2.conv_params, lambda i, o, k, **_bias: o * i * k * k + o,
                 "with bias=False there are no biases")
    assert_fails(ch2.conv_params, lambda i, o, k: o * i * k * k + o, "TypeError", "bias")


def test_receptive_field_is_seven_by_autograd():
    x = torch.zeros(1, 1, 15, 15, requires_grad=True)
    y = x
    for _ in range(3):
        y = nn.functional.conv2d(y, torch.ones(1, 1, 3, 3))  # (1, 1, H - 2, W - 2)
    y[0, 0, y.shape[-2] // 2, y.shape[-1] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    assert int(rows.max() - rows.min() + 1) == 7 == ch2._stacked_receptive_field([3, 3, 3])
    assert ch2.receptive_field.evaluate(7)


def test_receptive_field_catches_adding_full_kernels_and_multiplying():
    assert_fails(ch2.receptive_field, 9, "counts the overlap twice")
    assert_fails(ch2.receptive_field, 27, "adding, not multiplying")
    assert_fails(ch2.receptive_field, 5, "two layers")


def _vgg16_on_meta() -> nn.Module:
    layers, channels = [], 3
    for width in ch2.VGG16_CONVS:
        if width == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
            channels = width
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))


def test_vgg16_count_matches_torch_and_the_published_figure():
    with torch.device("meta"):  # no memory is allocated for the 138 M parameters
        model = _vgg16_on_meta()
    total = sum(p.numel() for p in model.parameters())
    no_bias = sum(p.numel() for name, p in model.named_parameters() if name.endswith("weight"))
    assert total == 138_357_544 == ch2._vgg16_parameter_counts()["total"]
    assert no_bias == 138_344_128 == ch2._vgg16_parameter_counts(bias=False)["total"]


def test_vgg16_params_catches_forgotten_biases_and_close_guesses():
    assert ch2.vgg16_params.evaluate(138_357_544)
    assert_fails(ch2.vgg16_params, 138_344_128, "forgot the biases", "13,416")
    assert_fails(ch2.vgg16_params, 138_000_000, "close, but not exact",
                 "first fully connected layer", "102,764,544")
    assert_fails(ch2.vgg16_params, 138.4, "not in millions")
    assert_fails(ch2.vgg16_params, 14_714_688, "only the 13 convolutions")


# --------------------------------------------------------------------------- chapter 3


def test_sigmoid_grad_reference_matches_autograd():
    x = torch.linspace(-20, 20, 81, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).sum().backward()
    np.testing.assert_allclose(ch3._sigmoid_grad_reference(x.detach().numpy()),
                               x.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_sigmoid_grad_catches_sign_and_missing_derivative():
    assert_fails(ch3.sigmoid_grad, lambda x: expit(x) * (1 + expit(x)),
                 "σ(x)·(1 + σ(x))", "x = [-10.,")
    assert_fails(ch3.sigmoid_grad, lambda x: 1 / (1 + np.exp(-x)), "σ(x) itself")


def test_sigmoid_grad_checks_large_inputs_without_overflow():
    def naive(x):  # exp(1000) overflows: inf / inf = nan
        return np.exp(-x) / (1 + np.exp(-x)) ** 2

    assert_fails(ch3.sigmoid_grad, naive, "NaN or infinity at x = -1000", "overflowed")

    def via_sigmoid(x):  # overflows inside, but the result is finite and right
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)

    with np.errstate(over="raise"):  # the checker silences warnings of student code itself
        assert ch3.sigmoid_grad.evaluate(via_sigmoid)


def test_gradient_after_layers_is_the_autograd_bound():
    x = torch.zeros((), dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).backward()
    assert float(x.grad) == 0.25 == ch3.max_sigmoid_grad()


def test_gradient_after_layers_catches_half_and_sum():
    assert_fails(ch3.gradient_after_layers, lambda n: 0.5**n, "0.5 is σ(0)")
    assert_fails(ch3.gradient_after_layers, lambda n: 0.25 * n, "multiplies the factors")
    assert_fails(ch3.gradient_after_layers, lambda n: 0.25 ** (n - 1), "off by one")


def test_standardise_reference_matches_sklearn():
    for case in ch3._standardise_cases():
        train, test = case.args
        scaler = StandardScaler().fit(train)
        ours = ch3._standardise_reference(train, test)
        np.testing.assert_allclose(ours[0], scaler.transform(train), atol=1e-12)
        np.testing.assert_allclose(ours[1], scaler.transform(test), atol=1e-12)


def test_standardise_catches_leakage():
    def own_statistics(train, test):
        return ((train - train.mean(0)) / train.std(0), (test - test.mean(0)) / test.std(0))

    def pooled(train, test):
        both = np.vstack([train, test])
        return ((train - both.mean(0)) / both.std(0), (test - both.mean(0)) / both.std(0))

    assert_fails(ch3.standardise, own_statistics, "leakage", "its own statistics", "test_std")
    assert_fails(ch3.standardise, pooled, "leakage", "train and test together")


def test_standardise_catches_global_statistics_and_a_single_output():
    assert_fails(ch3.standardise,
                 lambda tr, te: ((tr - tr.mean()) / tr.std(), (te - tr.mean()) / tr.std()),
                 "per feature")
    assert_fails(ch3.standardise, lambda tr, te: (te - tr.mean(0)) / tr.std(0),
                 "expected a pair (train_std, test_std)")


def test_standardise_does_not_let_in_place_edits_leak_between_cases():
    def in_place(train, test):
        mean, std = train.mean(0), train.std(0)
        train -= mean
        train /= std
        test -= mean
        test /= std
        return train, test

    assert ch3.standardise.evaluate(in_place)


def test_learning_rate_accepts_a_good_rate_and_reports_the_accuracy():
    state = torch.random.get_rng_state()
    feedback = ch3.learning_rate.evaluate(0.01)
    assert feedback, feedback.text
    assert "test accuracy" in feedback.text
    assert "%" in feedback.message
    assert torch.equal(state, torch.random.get_rng_state())  # the student's RNG is untouched


def test_learning_rate_too_large_and_too_small():
    assert_fails(ch3.learning_rate, 0.3, "too large", "smaller learning rate")
    assert_fails(ch3.learning_rate, 1e-5, "too small", "larger learning rate")
    assert_fails(ch3.learning_rate, 1e6, "too large")
    assert_fails(ch3.learning_rate, -0.1, "positive")
    assert_fails(ch3.learning_rate, "0.01", "must be a number")


def test_learning_rate_accuracy_is_that_of_an_independent_training_run():
    _, accuracy, _ = ch3.digits_trial(0.01)
    from course_lib.data import load_digits_split
    from course_lib.models import tiny_cnn

    split = load_digits_split(seed=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = tiny_cnn()
    # Same seed, but trained by a plain loop: must land in the same region, not match exactly.
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(0)
    for _ in range(ch3.LR_EPOCHS):
        order = torch.randperm(len(split.y_train), generator=generator)
        for begin in range(0, len(order), 64):
            idx = order[begin:begin + 64]
            loss = nn.functional.cross_entropy(model(split.x_train[idx]), split.y_train[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        plain = (model(split.x_test).argmax(1) == split.y_test).float().mean().item()
    assert accuracy >= ch3.LR_TARGET
    assert plain >= ch3.LR_TARGET
    assert abs(accuracy - plain) < 0.08


# --------------------------------------------------------------------------- display


def test_format_value_is_short_for_big_arrays():
    assert format_value(np.zeros((10, 10))) == "array of shape (10, 10), values from 0 to 0"
    assert format_value(138_357_544) == "138,357,544"


def test_feedback_is_shown_once_in_a_kernel_and_again_when_asked(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from course_lib.exercises import ch1\n"
                                  "ch1.predict_pixel.check(...)"),
        nbformat.v4.new_code_cell("result = ch1.predict_pixel.check(-18)"),
        nbformat.v4.new_code_cell("result"),
        nbformat.v4.new_code_cell("ch1.predict_pixel.hint(1)"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in nb.cells]
    assert [len(o) for o in outputs] == [1, 1, 1, 1]
    first = outputs[0][0]
    assert first.output_type == "display_data"
    assert first.data["text/plain"].startswith("Not attempted yet: ")
    assert "course-feedback-not_attempted" in first.data["text/html"]
    assert outputs[1][0].data["text/plain"] == outputs[2][0].data["text/plain"]
    assert outputs[1][0].data["text/plain"].startswith("Not quite: that is the correlation")
    assert outputs[3][0].data["text/plain"].startswith("Hint 1 of 3: ")


def test_chapter_2_references_agree_with_the_library():
    """The exercises' references are the library's layer arithmetic in the students' signatures."""
    import itertools

    from course_lib.models import conv_output_size, count_parameters, receptive_fields, vgg

    for n, k, p, s in itertools.product([7, 28, 224, 227], [1, 3, 5, 11], [0, 1, 2], [1, 2, 4]):
        if n + 2 * p >= k:
            assert ch2._output_size_reference(n, k, p, s) == conv_output_size(
                n, k, stride=s, padding=p, rounding="floor")
    kernels, strides = [11, 3, 5, 3, 3], [4, 2, 1, 2, 1]
    assert ch2._stacked_receptive_field(kernels, strides) == receptive_fields(
        list(zip(kernels, strides, strict=True)))[-1][0]
    assert ch2._vgg16_parameter_counts()["total"] == count_parameters(vgg(16))
