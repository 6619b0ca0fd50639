"""End-of-chapter quizzes: questions as data, checked by pure functions, shown as a widget.

A question is a :class:`MultipleChoice` (each :class:`Choice` carries its own feedback) or a
:class:`NumericQuestion` (an expected number, with lessons for known wrong numbers). Its
``check`` method returns :class:`~course_lib.exercises.Feedback`; the widget built by
:func:`quiz_widget` only forwards the reader's answer to ``check`` and writes the feedback's
HTML under the question. It works with ipywidgets 7.7 (Colab) and 8.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from .._checks import read_number
from ..widgets.app import display_bundle, widget_bundle
from ._core import Feedback, as_number, format_value


@dataclass(frozen=True)
class Choice:
    """One option of a multiple-choice question, with the feedback shown when it is picked."""

    text: str  # the option as the reader sees it
    feedback: str  # why it is right or wrong
    correct: bool = False  # exactly one choice per question is correct


@dataclass(frozen=True)
class MultipleChoice:
    """A question with one correct choice.

    >>> q = MultipleChoice("2 + 2?", (Choice("4", "Yes.", correct=True), Choice("5", "No.")))
    >>> print(q.check(1).text)
    Not quite: No.
    >>> q.correct_index
    0
    """

    prompt: str  # may contain $LaTeX$
    choices: tuple[Choice, ...]

    def __post_init__(self):
        if len(self.choices) < 2:
            raise ValueError(f"a question needs at least 2 choices; got {len(self.choices)}.")
        right = [c for c in self.choices if c.correct]
        if len(right) != 1:
            raise ValueError(f"exactly one choice must be correct; got {len(right)} "
                             f"in question {self.prompt!r}.")

    @property
    def correct_index(self) -> int:
        """The position of the correct choice."""
        return next(i for i, c in enumerate(self.choices) if c.correct)

    def check(self, answer: int | None) -> Feedback:
        """Feedback for the choice at position ``answer`` (``None``: nothing chosen yet)."""
        if answer is None:
            return Feedback("not_attempted", "pick one of the answers first.")
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise TypeError(f"`answer` must be the index of a choice (int); got {answer!r}.")
        if not 0 <= answer < len(self.choices):
            raise ValueError(f"`answer` must be between 0 and {len(self.choices) - 1}; "
                             f"got {answer}.")
        choice = self.choices[answer]
        return Feedback("correct" if choice.correct else "incorrect", choice.feedback)


def parse_number(text: str | float) -> float | None:
    """Read a number typed by a reader: ``"73,856"``, ``"73 856"``, ``"1e-3"``, ``"1/4"``.

    >>> parse_number("138,357,544"), parse_number("1/4"), parse_number("about 5")
    (138357544.0, 0.25, None)
    """
    number = as_number(text)
    if number is not None:
        return number
    if not isinstance(text, str):
        return None
    try:
        return read_number(text, thousands=True)
    except ValueError:
        return None


@dataclass(frozen=True)
class NumericQuestion:
    """A question whose answer is a number, with lessons for known wrong numbers.

    >>> q = NumericQuestion("Output width?", answer=28, explanation="32 - 5 + 1 = 28.",
    ...                     mistakes=((27.0, "Don't forget the +1."),))
    >>> print(q.check("27").text)
    Not quite: Don't forget the +1.
    >>> bool(q.check("28"))
    True
    """

    prompt: str  # may contain $LaTeX$
    answer: float  # computed by code where possible
    explanation: str  # shown with "Correct"
    mistakes: tuple[tuple[float, str], ...] = ()  # (wrong value, lesson)
    rtol: float = 1e-9  # relative tolerance
    atol: float = 1e-9  # absolute tolerance

    def _close(self, a: float, b: float) -> bool:
        return abs(a - b) <= max(self.atol, self.rtol * abs(b))

    def check(self, answer: str | float | None) -> Feedback:
        """Feedback for ``answer`` (a number or the text typed in the box)."""
        if answer is None or (isinstance(answer, str) and not answer.strip()):
            return Feedback("not_attempted", "type a number first.")
        value = parse_number(answer)
        if value is None:
            return Feedback("incorrect", f"{format_value(answer)} is not a number; "
                            "type digits, e.g. 42 or 0.5.")
        if self._close(value, float(self.answer)):
            return Feedback("correct", self.explanation)
        for wrong, lesson in self.mistakes:
            if self._close(value, float(wrong)):
                return Feedback("incorrect", lesson)
        return Feedback("incorrect", f"{format_value(value)} is not it; think it through "
                        "once more.")


class Quiz(widgets.VBox):
    """The quiz container (CSS class ``course-quiz``), with a short plain-text form.

    ``questions`` holds the questions; ``inputs``, ``buttons`` and ``feedback`` list each
    question's answer widget, its Check button and its feedback line, in the same order.
    """

    def __init__(self, quiz_title: str, questions: tuple, **kwargs: Any) -> None:
        parts = [_question_box(i, q) for i, q in enumerate(questions, start=1)]
        heading = widgets.HTML(value=f"<h3>Quiz: {html.escape(quiz_title)}</h3>")
        super().__init__([heading, *(p[0] for p in parts)], **kwargs)
        self.add_class("course-quiz")
        self.quiz_title = quiz_title
        self.questions = questions
        self.inputs = [p[1] for p in parts]
        self.buttons = [p[2] for p in parts]
        self.feedback = [p[3] for p in parts]

    def __repr__(self) -> str:
        return (f"Quiz: {self.quiz_title} ({len(self.questions)} questions; "
                "answer them in Jupyter, each with its Check button)")

    def _repr_mimebundle_(self, **_kwargs) -> tuple[dict, dict]:  # IPython passes include/exclude
        """Show the live quiz, and its questions as HTML wherever no kernel runs."""
        return widget_bundle(self, text=repr(self), html=quiz_html(self.quiz_title, self.questions))

    def _ipython_display_(self, **_kwargs) -> None:  # ipywidgets 7 displays widgets this way
        display_bundle(self._repr_mimebundle_())


_INLINE_MATH = re.compile(r"(?<![\\$])\$([^$]+?)\$")


def _math_delimiters(text: str) -> str:
    r"""``$x$`` becomes ``\(x\)``, which MathJax finds in JupyterLab, nbconvert and the website."""
    return _INLINE_MATH.sub(lambda m: "\\(" + m.group(1) + "\\)", text)


def quiz_html(title: str, questions: Sequence) -> str:
    r"""Write the quiz's questions (and the choices of multiple-choice ones) as static HTML.

    >>> q = MultipleChoice("Is $2 + 2 = 4$?", (Choice("yes", "Right.", correct=True),
    ...                                        Choice("no", "It is.")))
    >>> page = quiz_html("Warm-up", [q])
    >>> "<li>Is \\(2 + 2 = 4\\)?" in page, page.count("<li>")  # the question and its 2 choices
    (True, 3)
    """
    items = []
    for question in questions:
        prompt = _math_delimiters(question.prompt)  # authors' HTML, as the live widget shows it
        if isinstance(question, MultipleChoice):
            options = "".join(f"<li>{_math_delimiters(html.escape(c.text))}</li>"
                              for c in question.choices)
            items.append(f'<li>{prompt}<ol type="a">{options}</ol></li>')
        else:
            items.append(f"<li>{prompt} <em>(a number)</em></li>")
    return (f'<div class="course-quiz-static"><p><strong>Quiz: {html.escape(title)}</strong> '
            "(answer in a live notebook, with the Check buttons)</p>"
            f"<ol>{''.join(items)}</ol></div>")


def _answer_widget(question) -> widgets.Widget:
    # The description "answer" is what a screen reader reads for the control.
    if isinstance(question, MultipleChoice):
        return widgets.RadioButtons(options=[(c.text, i) for i, c in enumerate(question.choices)],
                                    index=None, description="answer",
                                    layout=widgets.Layout(width="auto"))
    return widgets.Text(value="", placeholder="type a number", description="answer",
                        layout=widgets.Layout(width="20em"))


def _question_box(number: int, question):
    prompt = widgets.HTMLMath(value=f"<b>{number}.</b> {question.prompt}")
    answer = _answer_widget(question)
    button = widgets.Button(description="Check", tooltip="check this answer")
    line = widgets.HTML(value="")
    line.add_class("course-quiz-feedback")

    def on_click(_button):
        value = answer.value
        line.value = question.check(value).html

    def on_change(_change):
        line.value = ""

    button.on_click(on_click)
    answer.observe(on_change, names="value")
    box = widgets.VBox([prompt, widgets.HBox([answer, button]), line])
    box.add_class("course-quiz-question")
    return box, answer, button, line


def quiz_widget(title: str, questions: Sequence) -> Quiz:
    """Build the quiz widget for ``questions`` (:class:`MultipleChoice` / :class:`NumericQuestion`).

    >>> q = NumericQuestion("1 + 1?", answer=2, explanation="Two.")
    >>> quiz = quiz_widget("Warm-up", [q])
    >>> quiz.inputs[0].value = "2"
    >>> quiz.buttons[0].click()
    >>> "Correct" in quiz.feedback[0].value
    True
    """
    if not isinstance(title, str):
        raise TypeError(f"`title` must be a str; got {type(title).__name__}.")
    questions = tuple(questions)
    if not questions:
        raise ValueError("`questions` must not be empty.")
    for q in questions:
        if not isinstance(q, (MultipleChoice, NumericQuestion)):
            raise TypeError("`questions` must hold MultipleChoice or NumericQuestion; "
                            f"got {type(q).__name__}.")
    return Quiz(title, questions)
