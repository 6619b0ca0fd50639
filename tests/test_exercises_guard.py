"""A student's function cannot hang, flood or stop a check: time limit, captured output,
SystemExit; and the checkers' messages say enough to act on (digits, dtype, None)."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

from course_lib.exercises import Case, FunctionCheck, _core, ch1, ch3
from course_lib.exercises._core import compare_arrays, compare_numbers, describe_type


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(_core, "TIME_LIMIT", 0.5)
    return 0.5


def endless(_image, _kernel):
    while True:
        pass


def endless_and_stubborn(_image, _kernel):  # catches Exception, not the check's stop signal
    while True:
        try:
            time.sleep(0.05)
        except Exception:
            pass


def test_an_endless_loop_is_stopped_with_a_lesson(short_limit):
    for answer in (endless, endless_and_stubborn,
                   lambda _i, _k: exec("while True: pass"), lambda _i, _k: time.sleep(60)):
        start = time.monotonic()
        feedback = ch1.conv2d.evaluate(answer)
        # stopped, not left running: each answer would run for ever (or 60 s); the margin is for
        # a busy machine, where the check's own work around the limit takes longer
        assert time.monotonic() - start < short_limit + 30
        assert feedback.status == "incorrect"
        assert "did not finish within 0.5 seconds" in feedback.message
        assert "loop that never ends" in feedback.message
        assert "image =" in feedback.text  # the input it was working on


@pytest.mark.usefixtures("short_limit")
def test_the_time_limit_also_works_outside_the_main_thread():
    results = []
    worker = threading.Thread(target=lambda: results.append(ch1.conv2d.evaluate(endless)))
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive()  # an endless answer, stopped
    assert "did not finish within 0.5 seconds" in results[0].message


@pytest.mark.usefixtures("short_limit")
def test_the_alarm_is_put_back_as_it_was():
    import signal

    if not hasattr(signal, "setitimer"):
        pytest.skip("no SIGALRM on this platform")
    before = signal.getsignal(signal.SIGALRM)
    ch1.conv2d.evaluate(endless)
    ch1.conv2d.evaluate(lambda i, k: correlate_valid(i, k))
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def correlate_valid(image, kernel):
    from scipy.signal import convolve2d

    return convolve2d(image, kernel, mode="valid")


def test_a_correct_answer_still_passes_under_the_guard():
    assert ch1.conv2d.evaluate(correlate_valid).passed


def test_printed_output_is_captured_not_sent_to_the_cell(capsys):
    def chatty(image, kernel):
        print("hello " * 100_000)
        return correlate_valid(image, kernel)

    feedback = ch1.conv2d.evaluate(chatty)
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ""
    assert feedback.passed
    printed = dict(feedback.details)["printed"]
    assert printed.startswith("hello hello")
    assert "more characters not shown" in printed
    assert len(feedback.text) < 2_000


@pytest.mark.parametrize("stop", [lambda: sys.exit(3), lambda: exit(), SystemExit])
def test_system_exit_is_reported_not_raised(stop):
    def quitter(_image, _kernel):
        if isinstance(stop, type):
            raise stop
        stop()

    feedback = ch1.conv2d.evaluate(quitter)
    assert feedback.status == "incorrect"
    assert "called exit() or sys.exit()" in feedback.message


def test_none_only_on_a_hidden_case_is_a_failure_not_not_attempted():
    calls = []

    def first_none(image, kernel):
        calls.append(1)
        return None if len(calls) == 1 else correlate_valid(image, kernel)

    feedback = ch1.conv2d.evaluate(first_none)
    assert feedback.status == "incorrect"
    assert "returned None for this input" in feedback.message

    def stub(image, kernel):
        ...

    assert ch1.conv2d.evaluate(stub).status == "not_attempted"


def test_numbers_that_differ_show_enough_digits_to_differ():
    assert compare_numbers(0.25, 0.25 + 1e-8) == "expected 0.25, got 0.25000001."
    assert compare_numbers(0.1, float(np.nextafter(0.1, 1)), rtol=0, atol=0) == (
        "expected 0.1, got 0.10000000000000002.")  # one unit in the last place
    assert compare_numbers(1e20, 1.0000001e20) == "expected 1e+20, got 1.0000001e+20."
    assert compare_numbers(0.0625, 0.125) == "expected 0.0625, got 0.125."
    check = FunctionCheck(lambda _x: 0.25, lambda: [Case((1,))], arg_names=("x",),
                          compare=compare_numbers)
    feedback = check(lambda _x: 0.25 + 1e-7, name="f")
    assert "expected 0.25, got 0.2500001" in feedback.text


@pytest.mark.parametrize("dtype", [complex, object])
def test_an_array_of_the_wrong_dtype_is_named(dtype):
    wrong = np.zeros((3, 3), dtype=dtype)
    problem = compare_arrays(np.zeros((3, 3)), wrong)
    assert problem == (f"expected an array of real numbers of shape (3, 3), got an array of "
                       f"shape (3, 3) and dtype {np.dtype(dtype)} (not real numbers).")
    assert describe_type(wrong).endswith("(not real numbers)")
    feedback = ch1.conv2d.evaluate(lambda _i, _k: wrong)
    assert f"dtype {np.dtype(dtype)}" in feedback.text


def test_an_absurd_learning_rate_gets_a_lesson_not_a_torch_error():
    feedback = ch3.learning_rate.evaluate(4e37)
    assert feedback.status == "incorrect"
    assert "far too large" in feedback.message


@pytest.mark.slow
def test_the_time_limit_stops_an_endless_loop_in_a_jupyter_kernel():
    """In a real ipykernel (as in Jupyter and Colab) the check stops the loop and the cell
    ends normally, with the feedback as its output."""
    import nbformat
    from nbclient import NotebookClient

    cell = ("from course_lib.exercises import ch1, _core\n"
            "_core.TIME_LIMIT = 1.0\n"
            "def my_conv2d(image, kernel):\n"
            "    while True:\n"
            "        pass\n"
            "ch1.conv2d.check(my_conv2d)\n"
            "print('the cell went on')")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    # a cell still looping after 120 s fails the test (nbclient's CellTimeoutError)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for o in outputs)
    assert "did not finish within 1 seconds" in text
    assert "the cell went on" in text
    assert not any(o.output_type == "error" for o in outputs)
