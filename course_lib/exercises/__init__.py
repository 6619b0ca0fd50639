"""Self-checking exercises and end-of-chapter quizzes, offline and without tracking.

In a notebook::

    from course_lib.exercises import ch1

    def my_conv2d(image, kernel):
        ...  # your code here

    ch1.conv2d.check(my_conv2d)   # "Not attempted yet" until the body is written
    ch1.conv2d.hint()             # the next hint; ch1.conv2d.hint(2) shows hint 2
    ch1.conv2d.solution()         # the solution code
    ch1.quiz()                    # the end-of-chapter quiz widget

Every answer is passed explicitly to ``check``; nothing reads the notebook's globals.

The placeholder convention: a value cell starts as ``answer = ...`` (:data:`PLACEHOLDER`,
Python's ``Ellipsis``) and a function cell as a function whose body is ``...`` (it returns
``None``). Both report "Not attempted yet" instead of failing, so an untouched notebook still
runs top to bottom.

Modules: ``ch1`` (image filters), ``ch2`` (CNN architectures), ``ch3`` (training), ``quiz``
(question types and the quiz widget) and ``_core`` (the framework: :class:`Exercise`,
:class:`Feedback`, :class:`ValueCheck`, :class:`FunctionCheck`).
"""

from ._core import (
    PLACEHOLDER,
    Case,
    Exercise,
    Feedback,
    FunctionCheck,
    Mistake,
    ValueCheck,
)

__all__ = [
    "PLACEHOLDER",
    "Case",
    "Exercise",
    "Feedback",
    "FunctionCheck",
    "Mistake",
    "ValueCheck",
]
