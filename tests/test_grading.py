"""course_lib.grading: plain data from a kernel, the grading cases, the verdicts, the sandbox.

The whole grader on notebooks is tested in test_grade.py (honest hand-ins) and
test_grade_hostile.py (hostile ones); here are its parts, and the checkers that run a student's
function in a loop (their trials run in a fresh kernel; tests/grading_demo.py).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import grading_demo
import nbformat
import numpy as np
import pytest
import torch

from course_lib.exercises import Case, Exercise, FunctionCheck, ch1, ch2
from course_lib.grading import plain, sandbox
from course_lib.grading.answers import CheckCall, check_calls, definitions, library_exercises
from course_lib.grading.cases import fresh_case, grading_cases, solution_function
from course_lib.grading.judge import Replay, verdict
from course_lib.grading.notebook import Limits, NotebookGrader
from course_lib.grading.probe import calls

ROOT = Path(__file__).resolve().parents[1]
FUNCTION_EXERCISES = [ex for ex in library_exercises().values()
                      if isinstance(ex.checker, FunctionCheck)]

# ----------------------------------------------------------------------------- plain data


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2**80, 0.1, float("inf"), -0.0, 1 + 2j, "text", ..., (1, 2.0), [(), []],
    {"a": 1, 2: (3,)}, np.arange(6).reshape(2, 3), np.float32(2.5), np.int64(55),
    np.array([True, False]), np.zeros((0, 3)),
])
def test_plain_data_comes_back_the_same_type_and_value(tmp_path, value):
    plain.write(tmp_path / "a", value)
    back = plain.read(tmp_path / "a")
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype
        assert np.array_equal(back, value)
    else:
        assert back == value


def test_nan_tensors_and_other_objects(tmp_path):
    value = [float("nan"), torch.tensor([1.5, 2.0]), object(), len, np.array(["a"])]
    plain.write(tmp_path / "a", value)
    nan, tensor, thing, function, strings = plain.read(tmp_path / "a")
    assert math.isnan(nan)
    assert isinstance(tensor, torch.Tensor)
    assert tensor.tolist() == [1.5, 2.0]
    assert isinstance(thing, plain.Opaque)
    assert thing.type_name == "object"
    assert isinstance(function, plain.OpaqueFunction)
    assert function.__name__ == "len"
    assert not callable(function)
    assert isinstance(strings, plain.Opaque)  # text arrays are not numbers: not loaded


def test_too_large_or_too_deep_is_refused_on_writing(tmp_path):
    with pytest.raises(plain.PlainDataError, match="size limit"):
        plain.write(tmp_path / "a", np.zeros(1000), max_bytes=1000)
    deep: list = []
    for _ in range(plain.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(plain.PlainDataError, match="nested"):
        plain.write(tmp_path / "b", deep)


def _answer(folder: Path, structure) -> Path:
    folder.mkdir()
    (folder / "data.json").write_text(json.dumps(structure))
    return folder


def test_a_link_is_never_followed(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"int": "18"}')
    folder = tmp_path / "answer"
    folder.mkdir()
    (folder / "data.json").symlink_to(secret)
    with pytest.raises(plain.PlainDataError, match="cannot be opened"):
        plain.read(folder)
    (tmp_path / "linked").symlink_to(_answer(tmp_path / "real", {"int": "18"}))
    with pytest.raises(plain.PlainDataError, match="no answer"):
        plain.read(tmp_path / "linked")
    os.mkfifo(tmp_path / "fifo")  # a reader would wait forever on a pipe
    fifo_folder = tmp_path / "with-fifo"
    fifo_folder.mkdir()
    os.symlink(tmp_path / "fifo", fifo_folder / "data.json")
    with pytest.raises(plain.PlainDataError):
        plain.read(fifo_folder)


def test_forged_array_files_are_refused(tmp_path):
    folder = _answer(tmp_path / "a", {"array": 0})
    np.save(folder / "0.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(plain.PlainDataError, match="not numbers"):
        plain.read(folder)
    folder = _answer(tmp_path / "b", {"array": 0})
    np.save(folder / "0.npy", np.zeros(10))
    data = (folder / "0.npy").read_bytes()
    (folder / "0.npy").write_bytes(data.replace(b"(10,)", b"(99,)", 1))  # claims 99 values
    with pytest.raises(plain.PlainDataError, match="does not match its size"):
        plain.read(folder)
    folder = _answer(tmp_path / "c", {"array": 3})
    with pytest.raises(plain.PlainDataError, match="missing array"):
        plain.read(folder)
    big = _answer(tmp_path / "d", {"array": 0})
    np.save(big / "0.npy", np.zeros(1000))
    with pytest.raises(plain.PlainDataError, match="size limit"):
        plain.read(big, max_bytes=2000)


@pytest.mark.parametrize("structure", [
    {"pickle": "x"}, {"int": 5}, {"float": 1.5}, {"list": "abc"}, {"dict": [[[1], 2]]}, [1, 2],
    {"int": "9" * (plain.MAX_TEXT + 1)},
])
def test_malformed_structures_are_refused(tmp_path, structure):
    with pytest.raises(plain.PlainDataError):
        plain.read(_answer(tmp_path / "a", structure))


# ----------------------------------------------------------------------------- grading cases


@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda ex: ex.name)
def test_the_solution_passes_every_grading_case_and_fresh_cases_are_new(exercise):
    cases = grading_cases(exercise, np.random.default_rng(7))
    assert cases.fixed == len(exercise.checker.cases())
    assert cases.fresh >= cases.fixed // 2, "most exercises should get fresh cases"
    records = calls(solution_function(exercise), [[c.args, dict(c.kwargs)] for c in cases.cases],
                    seconds=60)
    assert verdict(exercise, {"calls": records}, cases.cases).status == "correct"
    fixed_inputs = [json.dumps(repr(c.args)) for c in cases.cases[:cases.fixed]]
    assert all(json.dumps(repr(c.args)) not in fixed_inputs for c in cases.cases[cases.fixed:])


def test_fresh_cases_are_drawn_from_the_seed():
    first = grading_cases(ch1.conv2d, np.random.default_rng(3)).cases
    again = grading_cases(ch1.conv2d, np.random.default_rng(3)).cases
    other = grading_cases(ch1.conv2d, np.random.default_rng(4)).cases
    assert all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(first, other, strict=True))


def test_fresh_numbers_keep_their_kind():
    rng = np.random.default_rng(0)
    for _ in range(20):
        new = fresh_case(Case((9, 3), {"bias": False}), rng)
        (n, k), bias = new.args, new.kwargs["bias"]
        assert (n % 2, k % 2, n >= 9, k >= 3, bias) == (1, 1, True, True, False)
    assert fresh_case(Case(("text",)), rng) is None  # nothing to change


def test_an_answer_looked_up_from_the_known_cases_fails_on_fresh_ones():
    cases = grading_cases(ch2.output_size, np.random.default_rng(1))
    table = {c.args: ch2.output_size.checker.reference(*c.args) for c in ch2.output_size.checker.cases()}
    records = [{"returned": table.get(c.args)} for c in cases.cases]
    assert verdict(ch2.output_size, {"calls": records[:cases.fixed]},
                   cases.cases[:cases.fixed]).status == "correct"
    assert verdict(ch2.output_size, {"calls": records}, cases.cases).status == "incorrect"


# ----------------------------------------------------------------------------- verdicts


def test_a_replay_returns_and_raises_what_the_kernel_recorded():
    replay = Replay([{"returned": 3}, {"raised": "KeyError", "message": "x"}, {"exit": True}],
                    name="f")
    assert replay(1) == 3
    with pytest.raises(Exception, match="x") as raised:
        replay(2)
    assert type(raised.value).__name__ == "KeyError"
    with pytest.raises(SystemExit):
        replay(3)
    with pytest.raises(plain.PlainDataError):
        replay(4)


def test_verdicts_are_the_library_checkers_own():
    assert verdict(ch1.predict_pixel, {"value": 18}).status == "correct"
    assert verdict(ch1.predict_pixel, {"value": -18}).status == "incorrect"
    assert verdict(ch1.predict_pixel, {"value": ...}).status == "not_attempted"
    assert verdict(ch2.output_size, {"value": plain.Opaque("str", "'x'")}).status == "incorrect"
    cases = ch2.output_size.checker.cases()
    assert verdict(ch2.output_size, {"calls": [{"returned": None}] * len(cases)},
                   cases).status == "not_attempted"
    floats = [{"returned": float(ch2.output_size.checker.reference(*c.args))} for c in cases]
    assert verdict(ch2.output_size, {"calls": floats}, cases).status == "incorrect"  # ints asked
    timed_out = [{"timeout": True}] * len(cases)
    assert verdict(ch2.output_size, {"calls": timed_out}, cases).status == "incorrect"
    for bad in ({"calls": [{"returned": 1}]}, {"value": 1, "calls": []}, {"status": "hacked"}, 5):
        with pytest.raises(plain.PlainDataError):
            verdict(ch2.output_size, bad, cases)


def test_a_slow_reference_is_not_held_against_the_student(monkeypatch):
    """The student's time limit applies in the kernel; the grader's replay may take its time."""
    monkeypatch.setattr("course_lib.exercises._core.TIME_LIMIT", 0.0)
    cases = ch2.output_size.checker.cases()
    right = [{"returned": ch2.output_size.checker.reference(*c.args)} for c in cases]
    assert verdict(ch2.output_size, {"calls": right}, cases).status == "correct"


# ----------------------------------------------------------------------------- answers in cells


def test_check_calls_are_read_from_the_cells_code():
    known = library_exercises()
    assert check_calls("%time x = 1\nch1.conv2d.check(my_conv)", known) == [
        CheckCall("ch1.conv2d", "my_conv")]
    assert check_calls("ch1.conv2d.check(f)\nch3.he_std.check(g)\nch1.conv2d.check(h)", known) == [
        CheckCall("ch3.he_std", "g"), CheckCall("ch1.conv2d", "h")]
    assert check_calls("ch1.predict_pixel.check(answer=18)", known) == [
        CheckCall("ch1.predict_pixel", "centre_value")]
    assert check_calls("print('ch1.conv2d.check(f)')\nch1.nothing.check(f)", known) == []
    assert check_calls("ch1.predict_pixel.check(6 * 3)", known) == [
        CheckCall("ch1.predict_pixel", "6 * 3")]


def test_definitions_keep_what_defines_the_function_and_nothing_else():
    code = definitions(["import numpy as np\nopen('x', 'w')\nLR: float = 0.5",
                        "@staticmethod\ndef f(w):\n    return w\nf(1)\nclass A:\n    pass"])
    assert "open(" not in code
    assert "f(1)" not in code
    compiled = compile(code, "<defs>", "exec")
    namespace: dict = {}
    exec(compiled, namespace)
    assert namespace["LR"] == 0.5
    assert {"A", "np", "f"} <= set(namespace)


# ----------------------------------------------------------------------------- the sandbox


def test_resources_and_isolation_say_what_is_wrong():
    with pytest.raises(ValueError, match="`memory` must be a positive whole number; got 0"):
        sandbox.Resources(memory=0)
    with pytest.raises(ValueError, match="`method` must be"):
        sandbox.Isolation("docker", False)
    with pytest.raises(ValueError, match="`prefer` must be"):
        sandbox.detect(prefer="docker")
    with pytest.raises(ValueError, match="`cell_s` must be a positive number"):
        Limits(cell_s=-1)
    lines = sandbox.Isolation("none", False, ("bubblewrap: `bwrap` is not installed",)).describe(
        sandbox.Resources())
    assert any("WARNING: no namespaces" in line for line in lines)
    assert any("not used: bubblewrap" in line for line in lines)


def test_detect_finds_the_strongest_isolation_that_runs():
    found = sandbox.detect()
    assert found.method in ("bubblewrap", "unshare", "none")
    if os.getuid() != 0:
        assert not found.own_user  # only root can give each kernel a user of its own
    if found.method != "bubblewrap":
        assert found.missing, "a weaker method is chosen only with a reason for the stronger ones"
    assert sandbox.detect(prefer="none").method == "none"


# ----------------------------------------------------------------------------- trials in a fresh kernel


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in ["import grading_demo as ch9", *cells]]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def trial_grader(tmp_path_factory):
    isolation = sandbox.detect()
    exercises: dict[str, Exercise] = {**library_exercises(), "ch9.step": grading_demo.step,
                                      "ch9.split_step": grading_demo.split_step}
    grader = NotebookGrader(
        exercises, limits=Limits(cell_s=60, notebook_s=600), isolation=isolation,
        resources=sandbox.Resources(), seed=0, workspace=tmp_path_factory.mktemp("workspace"),
        locators={"ch9.step": "grading_demo:step", "ch9.split_step": "grading_demo:split_step"},
        paths=(str(Path(grading_demo.__file__).parent),))
    uid = sandbox.free_uid(0) if isolation.own_user else None
    return grader, uid


@pytest.mark.slow
def test_a_checker_that_runs_the_function_in_a_loop_runs_it_in_a_fresh_kernel(trial_grader, tmp_path):
    grader, uid = trial_grader
    honest = _notebook(tmp_path / "honest.ipynb", [
        "import numpy as np\nRATE = 1.0\n\ndef my_step(w, gradient, lr):\n"
        "    return w - RATE * lr * gradient\n\nch9.step.check(my_step)\nch9.split_step.check(my_step)"])
    grade = grader.grade(honest, uid=uid)
    assert grade.statuses == {"ch9.step": "correct", "ch9.split_step": "correct"}, grade.note


@pytest.mark.slow
def test_what_a_notebook_did_to_the_checker_stays_out_of_the_fresh_kernel(trial_grader, tmp_path):
    grader, uid = trial_grader
    patched = _notebook(tmp_path / "patched.ipynb", [
        "from course_lib.exercises import Feedback\n"
        "ch9.step.checker = lambda answer, *, name: Feedback('correct', 'patched')\n"
        "ch9.split_step.checker.judge = lambda w, *, name: Feedback('correct', 'patched')\n"
        "ch9.descend = lambda step, steps=60: 3.0",
        "def my_step(w, gradient, lr):\n    return w + lr * gradient  # uphill\n\n"
        "ch9.step.check(my_step)\nch9.split_step.check(my_step)"])
    grade = grader.grade(patched, uid=uid)
    assert grade.statuses == {"ch9.step": "incorrect", "ch9.split_step": "incorrect"}, grade.note


@pytest.mark.slow
def test_a_split_check_is_judged_by_the_grader_even_if_the_function_patches_it(trial_grader, tmp_path):
    grader, uid = trial_grader
    sneaky = _notebook(tmp_path / "sneaky.ipynb", [
        "def my_step(w, gradient, lr):\n"
        "    import grading_demo\n    from course_lib.exercises import Feedback\n"
        "    grading_demo.split_step.checker.judge = lambda w, *, name: Feedback('correct', '')\n"
        "    return w\n\nch9.split_step.check(my_step)"])
    grade = grader.grade(sneaky, uid=uid)
    assert grade.statuses == {"ch9.split_step": "incorrect"}, grade.note


def test_the_package_is_importable_without_torch_in_the_kernel_path():
    """The probe a kernel imports must not pull torch in (seconds, on every extraction)."""
    import subprocess

    code = "import sys, course_lib.grading.probe; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120)
    assert result.stdout.strip() == "False"
