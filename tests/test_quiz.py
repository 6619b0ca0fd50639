"""Tests of the end-of-chapter quizzes: each correct answer is confirmed independently, every
choice gives its own feedback, and the widget is driven by setting values and clicking.

Runs with ipywidgets 8 here and with ipywidgets 7.7 in the Colab-like environment."""

from __future__ import annotations

import html

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

from course_lib.exercises import ch1, ch2, ch3
from course_lib.exercises.quiz import (
    Choice,
    MultipleChoice,
    NumericQuestion,
    Quiz,
    parse_number,
    quiz_widget,
)

CHAPTERS = {"ch1": ch1, "ch2": ch2, "ch3": ch3}


def question(module, kind, text: str):
    """The quiz question of ``module`` of type ``kind`` whose prompt contains ``text``."""
    found = [q for q in module.QUIZ if isinstance(q, kind) and text in q.prompt]
    assert len(found) == 1, text
    return found[0]


# --------------------------------------------------------------------------- the widget


@pytest.mark.parametrize("name", CHAPTERS)
def test_quiz_widget_has_the_css_class_and_four_to_six_questions(name):
    quiz = CHAPTERS[name].quiz()
    assert isinstance(quiz, Quiz)
    assert "course-quiz" in quiz._dom_classes
    assert 4 <= len(quiz.questions) <= 10  # chapter 1 also quizzes its section beyond the notes
    assert len(quiz.inputs) == len(quiz.buttons) == len(quiz.feedback) == len(quiz.questions)
    assert repr(quiz).startswith("Quiz: Chapter ")  # short, deterministic text/plain form


@pytest.mark.parametrize("name", CHAPTERS)
def test_clicking_check_gives_feedback_on_every_answer(name):
    quiz = CHAPTERS[name].quiz()
    for q, answer, button, line in zip(quiz.questions, quiz.inputs, quiz.buttons, quiz.feedback,
                                       strict=True):
        button.click()  # nothing chosen yet
        assert "Not attempted yet" in line.value
        if isinstance(q, MultipleChoice):
            for index, choice in enumerate(q.choices):
                answer.value = index
                assert line.value == ""  # a new answer clears the old feedback
                button.click()
                expected = "Correct" if choice.correct else "Not quite"
                assert expected in line.value
                assert html.escape(choice.feedback) in line.value
        else:
            answer.value = f"{q.answer:g}"
            button.click()
            assert "Correct" in line.value
            assert html.escape(q.explanation) in line.value
            for wrong, lesson in q.mistakes:
                answer.value = f"{wrong:g}"
                button.click()
                assert "Not quite" in line.value
                assert html.escape(lesson) in line.value
            answer.value = "twelve"
            button.click()
            assert "is not a number" in line.value


@pytest.mark.parametrize("name", CHAPTERS)
def test_each_multiple_choice_question_has_exactly_one_correct_choice(name):
    for q in CHAPTERS[name].QUIZ:
        if isinstance(q, MultipleChoice):
            assert q.check(q.correct_index)
            assert all(not q.check(i) for i in range(len(q.choices)) if i != q.correct_index)
        else:
            assert q.check(q.answer)
            assert all(not q.check(wrong) for wrong, _ in q.mistakes)


def test_question_definitions_are_validated():
    with pytest.raises(ValueError, match="exactly one choice must be correct"):
        MultipleChoice("?", (Choice("a", "x", correct=True), Choice("b", "y", correct=True)))
    with pytest.raises(ValueError, match="at least 2 choices"):
        MultipleChoice("?", (Choice("a", "x", correct=True),))
    q = MultipleChoice("?", (Choice("a", "x", correct=True), Choice("b", "y")))
    with pytest.raises(ValueError, match="`answer` must be between 0 and 1; got 2"):
        q.check(2)
    with pytest.raises(TypeError, match="`questions` must hold"):
        quiz_widget("t", ["not a question"])
    with pytest.raises(ValueError, match="`questions` must not be empty"):
        quiz_widget("t", [])


def test_typed_numbers_are_read_generously():
    assert parse_number("73,856") == 73856
    assert parse_number(" 0.25 ") == 0.25
    assert parse_number("1/4") == 0.25
    assert parse_number("3.9e-3") == 0.0039
    assert parse_number("") is None
    assert parse_number("abc") is None
    q = NumericQuestion("?", answer=0.0039, explanation="ok", rtol=1e-2)
    assert q.check("0.0039")
    assert q.check(0.00390625)
    assert not q.check("0.004 5")


# --------------------------------------------------------------------------- chapter 1 answers


def test_ch1_convolution_flips_the_kernel():
    q = question(ch1, MultipleChoice, "convolution and a correlation")
    assert "flips the kernel" in q.choices[q.correct_index].text
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    np.testing.assert_allclose(convolve2d(image, kernel, "valid"),
                               correlate2d(image, kernel[::-1, ::-1], "valid"))


def test_ch1_valid_output_width_is_computed():
    q = question(ch1, NumericQuestion, "32x32 image")
    assert q.answer == convolve2d(np.zeros((32, 32)), np.ones((5, 5)), "valid").shape[1] == 28
    assert 32 == convolve2d(np.zeros((32, 32)), np.ones((5, 5)), "same").shape[1]
    assert 36 == convolve2d(np.zeros((32, 32)), np.ones((5, 5)), "full").shape[1]
    assert {32.0, 36.0} <= {wrong for wrong, _ in q.mistakes}


def test_ch1_impulse_leaves_the_image_unchanged():
    q = question(ch1, MultipleChoice, "unchanged")
    assert "impulse" in q.choices[q.correct_index].text
    image = np.random.default_rng(1).normal(size=(5, 5))
    impulse = np.zeros((3, 3))
    impulse[1, 1] = 1
    np.testing.assert_array_equal(convolve2d(image, impulse, "same"), image)


def test_ch1_zero_sum_kernel_gives_zero_on_flat_image():
    q = question(ch1, MultipleChoice, "sum to 0")
    assert q.choices[q.correct_index].text.startswith("0 wherever the whole kernel lies over")
    kernel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert np.all(convolve2d(np.full((5, 5), 7.0), kernel, "valid") == 0)
    assert np.all(convolve2d(np.full((5, 5), 7.0), kernel, "same", boundary="symm") == 0)
    # with zero padding, not 0 at the border: the numbers the wrong choice's explanation quotes
    same = convolve2d(np.full((5, 5), 7.0), kernel, "same")
    assert np.all(same[:, 1:-1] == 0)
    assert same[1:-1, 0].tolist() == [-28.0] * 3
    assert same[1:-1, -1].tolist() == [28.0] * 3
    assert [same[0, 0], same[-1, -1]] == [-21.0, 21.0]
    wrong = next(c for c in q.choices if c.text.startswith("0 everywhere"))
    assert "28 in size" in wrong.feedback
    assert "(21 at the corners)" in wrong.feedback


def test_ch1_homogeneity():
    q = question(ch1, MultipleChoice, "double the brightness")
    assert "twice the blurred image" in q.choices[q.correct_index].text
    image, blur = np.random.default_rng(2).random((6, 6)), np.full((3, 3), 1 / 9)
    np.testing.assert_allclose(convolve2d(2 * image, blur, "same"),
                               2 * convolve2d(image, blur, "same"))


# --------------------------------------------------------------------------- chapter 2 answers


def test_ch2_alexnet_first_layer_width_by_torch():
    torch = pytest.importorskip("torch")
    q = question(ch2, NumericQuestion, "AlexNet")
    conv = torch.nn.Conv2d(3, 96, 11, stride=4)
    with torch.no_grad():
        assert conv(torch.zeros(1, 3, 227, 227)).shape[-1] == q.answer == 55


def test_ch2_conv_parameter_count_by_torch():
    torch = pytest.importorskip("torch")
    q = question(ch2, NumericQuestion, "nn.Conv2d(64, 128")
    conv = torch.nn.Conv2d(64, 128, 3)
    assert sum(p.numel() for p in conv.parameters()) == q.answer == 73_856


def test_ch2_three_3x3_against_one_7x7():
    torch = pytest.importorskip("torch")
    q = question(ch2, MultipleChoice, "three 3x3")
    c = 64
    stack = sum(p.numel() for _ in range(3)
                for p in torch.nn.Conv2d(c, c, 3, bias=False).parameters())
    big = sum(p.numel() for p in torch.nn.Conv2d(c, c, 7, bias=False).parameters())
    feedback = q.choices[q.correct_index].feedback
    assert f"{stack:,}" in feedback
    assert f"{big:,}" in feedback
    assert stack < big
    assert ch2._stacked_receptive_field([3, 3, 3]) == 7


def test_ch2_most_parameters_in_first_fully_connected_layer():
    torch = pytest.importorskip("torch")
    q = question(ch2, MultipleChoice, "Where do most")
    with torch.device("meta"):
        first_fc = sum(p.numel() for p in torch.nn.Linear(512 * 7 * 7, 4096).parameters())
    counts = ch2._vgg16_parameter_counts()
    assert first_fc == counts["first_fc"]
    assert first_fc > counts["total"] / 2
    assert "first fully connected" in q.choices[q.correct_index].text
    assert f"{first_fc:,}" in q.choices[q.correct_index].feedback


def test_ch2_pooling_width_by_torch():
    torch = pytest.importorskip("torch")
    q = question(ch2, NumericQuestion, "max-pooling")
    with torch.no_grad():
        assert torch.nn.MaxPool2d(2, 2)(torch.zeros(1, 1, 224, 224)).shape[-1] == q.answer == 112


# --------------------------------------------------------------------------- chapter 3 answers


def _sigmoid_grad_by_autograd(x):
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(t).sum().backward()
    return t.grad.numpy()


def test_ch3_largest_sigmoid_derivative_by_autograd():
    q = question(ch3, NumericQuestion, "largest value")
    grads = _sigmoid_grad_by_autograd(np.linspace(-10, 10, 2001))
    assert grads.max() == q.answer == 0.25


def test_ch3_saturated_gradient_by_autograd():
    q = question(ch3, MultipleChoice, "x = 10")
    value = float(_sigmoid_grad_by_autograd([10.0])[0])
    assert f"{value:.1e}" in q.choices[q.correct_index].text


def test_ch3_four_layer_bound():
    q = question(ch3, NumericQuestion, "4 sigmoid layers")
    grads = _sigmoid_grad_by_autograd(np.linspace(-10, 10, 2001))
    assert q.check(str(grads.max() ** 4))
    assert q.answer == 0.25**4


def test_ch3_not_zero_centred_gives_same_sign_weight_gradients():
    torch = pytest.importorskip("torch")
    q = question(ch3, MultipleChoice, "not centred on zero")
    assert "same sign" in q.choices[q.correct_index].text
    x = torch.sigmoid(torch.randn(5, generator=torch.Generator().manual_seed(0)))  # all > 0
    w = torch.randn(5, generator=torch.Generator().manual_seed(1), requires_grad=True)
    (-(w @ x)).backward()  # any upstream gradient sign
    assert bool((w.grad > 0).all() or (w.grad < 0).all())


def test_ch3_standardise_with_training_statistics():
    q = question(ch3, MultipleChoice, "standardise your images")
    assert "training set" in q.choices[q.correct_index].text
