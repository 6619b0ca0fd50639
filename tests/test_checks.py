"""The shared input checks of course_lib._checks."""

import pytest


def test_one_number_reader_for_kernel_weights_and_quiz_answers():
    """Both the kernel explorer and the quizzes read typed numbers with _checks.read_number."""
    from course_lib._checks import read_number
    from course_lib.exercises.quiz import parse_number
    from course_lib.widgets.filters import parse_weight

    for text in ("0.25", "-2", "1/9", "1e-3", ".5", "+3/4"):
        assert parse_weight(text) == read_number(text) == parse_number(text)
    assert parse_number("73,856") == read_number("73 856", thousands=True) == 73856
    with pytest.raises(ValueError, match="is not a number"):
        parse_weight("1,5")  # a decimal comma is not read as 15 in a kernel
    with pytest.raises(ValueError, match="divides by zero"):
        read_number("1/0")
    with pytest.raises(ValueError, match="not a finite number"):
        read_number("1e999")
