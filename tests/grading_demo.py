"""Exercises whose checkers run the student's function in a loop, for tests/test_grading.py.

Imported as ``ch9`` by the test's notebooks (the grader reads ``chN.name.check(...)`` calls).
``step`` runs its whole check in one call (as an exercise's own checker function would);
``split_step`` separates the trial (the loop, in the kernel) from the judgement (in the grader).
"""

from course_lib.exercises import Exercise, Feedback


def descend(step, *, steps: int = 60) -> float:
    """Minimise (w - 3)^2 from w = 0 with ``step(w, gradient, lr)``; return the final w."""
    w = 0.0
    for _ in range(steps):
        w = float(step(w, 2 * (w - 3), 0.1))
    return w


def _check_step(answer, *, name: str) -> Feedback:
    if not callable(answer):
        return Feedback("incorrect", f"{name} must be a function.")
    w = descend(answer)
    if abs(w - 3) < 1e-3:
        return Feedback("correct", f"{name} reached the minimum: w = {w:.4f}.")
    return Feedback("incorrect", f"{name} ended at w = {w:.4f}, not at the minimum 3.")


class SplitStepCheck:
    """The same check in two halves: the trial runs the function, the judgement reads its result."""

    def trial(self, answer) -> float:
        return descend(answer)

    def judge(self, w, *, name: str) -> Feedback:
        if isinstance(w, float) and abs(w - 3) < 1e-3:
            return Feedback("correct", f"{name} reached the minimum.")
        return Feedback("incorrect", f"{name} did not reach the minimum.")

    def __call__(self, answer, *, name: str) -> Feedback:
        if not callable(answer):
            return Feedback("incorrect", f"{name} must be a function.")
        return self.judge(self.trial(answer), name=name)


_SOLUTION = "def my_step(w, gradient, lr):\n    return w - lr * gradient\n"
step = Exercise("ch9.step", statement="Write `my_step(w, gradient, lr)`: one descent step.",
                checker=_check_step, hints=["w - lr * gradient"], solution=_SOLUTION,
                answer_name="my_step", starter="def my_step(w, gradient, lr):\n    ...\n")
split_step = Exercise("ch9.split_step", statement="The same, checked in two halves.",
                      checker=SplitStepCheck(), hints=["w - lr * gradient"], solution=_SOLUTION,
                      answer_name="my_step", starter="def my_step(w, gradient, lr):\n    ...\n")
