"""Every call of issue 15's report, each in its own process under a 4 GiB memory cap and a time
cap: the exact result, or a clear error naming the parameter, never a blow-up.

The helpers below are module-level functions so that the child process can import them by
name (see ``sandbox.py``).
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import sandbox

MEMORY = 4 * sandbox.GIB
# A call that blows up (a cubic kernel, a search over every size) runs for hours or runs out of
# memory; these calls take well under a second on an idle machine. The cap catches the blow-up,
# with room for a machine busy with other work: it is not a speed claim (benchmarks/ has those).
SECONDS = 60.0


# ------------------------------------------------------------------- calls made in the child


def camera():
    from course_lib.images import sample_image

    return sample_image("camera")


def blur_camera(sigma):
    from course_lib.filters import gaussian_blur

    return gaussian_blur(camera(), sigma)


def median_camera(size):
    from course_lib.filters import median_filter

    return median_filter(camera(), size)


def endless(_image, _kernel):
    exec("while True: pass")


def check_endless():
    from course_lib.exercises import ch1

    return ch1.conv2d.evaluate(endless)


def to_text(_image):
    return "abc"


def response_of_text():
    from course_lib.filters import impulse_response

    return impulse_response(to_text)


def loss_surface_on_a_huge_grid():
    from course_lib.loss_surfaces import linear_loss_surface

    return linear_loss_surface(np.ones((100, 2)), np.ones(100), np.linspace(-1, 1, 10**4),
                               np.linspace(-1, 1, 10**4))


def flatten_then_linear():
    from torch import nn

    from course_lib.models import min_input_size

    return min_input_size(nn.Sequential(nn.Flatten(), nn.Linear(5, 2)), limit=10**8)


def tiny_cnn_on(shape):
    import torch

    from course_lib.models import tiny_cnn

    return tiny_cnn()(torch.zeros(shape))


def fit_digits(lr, *, as_numpy=False):
    import torch
    from torch import nn

    from course_lib.data import load_digits_split
    from course_lib.train import fit

    split = load_digits_split()
    x, y = split.x_train[:256], split.y_train[:256]
    if as_numpy:
        x, y = x.numpy().astype(np.float64), y.numpy()
    torch.manual_seed(0)
    return fit(nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), (x, y), epochs=2, lr=lr,
               progress=False)


def learning_rate_check(lr):
    from course_lib.exercises import ch3

    return ch3.learning_rate.evaluate(lr)


def rank_deficient_whitening():
    from course_lib.preprocessing import PCAWhitener

    flat = np.random.default_rng(0).normal(size=(50, 2)) @ np.array([[1.0, 2.0, 3.0],
                                                                     [2.0, 4.0, 6.0]])
    return PCAWhitener(eps=0.0).fit_transform(flat)


def idx_with_huge_header():
    import os
    import tempfile

    from course_lib.data import load_idx

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "huge-idx4-ubyte")
        with open(path, "wb") as f:
            f.write(bytes([0, 0, 0x08, 4]) + b"\xff\xff\xff\xff" * 4 + b"ab")
        return load_idx(path)


def explorer_after(cells):
    """The kernel explorer's message (kind, text) after typing ``cells`` ((row, column, text), in
    order), with the kernel computing the pictures, and whether the last cell left the picture
    as it was."""
    import warnings

    from course_lib.widgets.filters import KernelExplorer

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning leaking out of the app counts as a failure
        app = KernelExplorer(camera()[::4, ::4])
        app.compute = "kernel"  # the kernel filters and sends each picture: all the work here
        app.set_cell(1, 1, "1")
        *first, (row, column, text) = cells
        for r, c, t in first:
            app.set_cell(r, c, t)
        before = bytes(app.result)  # the last good picture, before the last cell
        app.set_cell(row, column, text)
        return app.message_kind, app.message, bytes(app.result) == before


def explorer_upload(side):
    """The kernel explorer's message when the browser sends a black ``side``-pixel square PNG."""
    import warnings

    from PIL import Image

    from course_lib.widgets.filters import KernelExplorer

    buffer = io.BytesIO()
    Image.new("L", (side, side)).save(buffer, format="PNG", compress_level=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = KernelExplorer(camera()[::4, ::4])
        before = bytes(app.image)
        with app.hold_trait_notifications():  # as the browser sends an upload: bytes and name
            app.image = buffer.getvalue()
            app.image_name = "uploaded"
        return app.message_kind, app.message, bytes(app.image) == before


def check_with(answer_name):
    """Feedback of ``ch1.conv2d`` (or a number check) for one of the answers below."""
    from course_lib.exercises import Case, FunctionCheck, ch1
    from course_lib.exercises._core import compare_numbers

    if answer_name == "almost_quarter":
        check = FunctionCheck(lambda _x: 0.25, lambda: [Case((1,))], arg_names=("x",),
                              compare=compare_numbers)
        return check(almost_quarter, name="f")
    return ch1.conv2d.evaluate(globals()[answer_name])


def almost_quarter(_x):
    return 0.25 + 1e-7


def complex_answer(_image, _kernel):
    return np.zeros((3, 3), dtype=complex)


_CALLS = []


def none_first(image, kernel):
    from scipy.signal import convolve2d

    _CALLS.append(1)
    return None if len(_CALLS) == 1 else convolve2d(image, kernel, mode="valid")


def chatty(image, kernel):
    from scipy.signal import convolve2d

    print("hello " * 250_000)  # 1.5 MB
    return convolve2d(image, kernel, mode="valid")


def quitter(_image, _kernel):
    raise SystemExit(1)


def zero_kernel_separable():
    from course_lib.conv import convolve2d

    return convolve2d(np.ones((8, 8)), np.zeros((3, 3)), method="separable")


# -------------------------------------------------------------- checkers run on the results


def all_ones(result, *_args, **_kwargs):
    np.testing.assert_allclose(result, 1.0, atol=1e-12)


def blurred_camera(result, _sigma):
    image = camera()
    assert result.shape == image.shape
    assert np.all(np.isfinite(result))
    assert image.min() - 1e-9 <= result.min()
    assert result.max() <= image.max() + 1e-9
    assert abs(result.mean() - image.mean()) < 0.05  # a wide blur keeps the brightness


def medians_of_windows(result, size):
    image = camera()
    padded = np.pad(image, size // 2, mode="symmetric")
    for r, c in np.random.default_rng(0).integers(0, 512, (25, 2)):
        assert result[r, c] == np.median(padded[r:r + size, c:c + size])


def exactly(value):
    def check(result, *_args, **_kwargs):
        assert np.array_equal(np.asarray(result), value), (result, value)
    return check


def is_none(result, *_args, **_kwargs):
    assert result is None


def is_stopped(feedback, *_args, **_kwargs):
    assert feedback.status == "incorrect"
    assert "did not finish within 5 seconds" in feedback.message


def impulse_kept(result, *_args, **_kwargs):
    np.testing.assert_array_equal(result[2:4, 2:4], [[1e10, 0.0], [0.0, 1e-3]])


def finite_impulse(result, *_args, **_kwargs):
    from course_lib.filters import identity_kernel

    np.testing.assert_array_equal(result, identity_kernel(3))


def two_epochs(history, *_args, **_kwargs):
    assert len(history) == 2
    assert np.isfinite(history.train_loss[-1])


def far_too_large(feedback, *_args, **_kwargs):
    assert feedback.status == "incorrect"
    assert "far too large" in feedback.message


def short_error_kept_picture(words):
    def check(result, *_args, **_kwargs):
        kind, text, kept = result
        assert kind == "error", result
        assert words in text, result
        assert len(text) <= 200, result
        assert kept, result
    return check


def feedback_says(status, words):
    def check(feedback, *_args, **_kwargs):
        assert feedback.status == status, feedback.text
        assert words in feedback.text, feedback.text
        assert len(feedback.text) < 3000
    return check


# Checkers made by a factory are registered under a name the child can import.
CHECKERS = {
    "exactly_18": exactly([[18.0]]),
    "exactly_4": exactly(np.array([[1, 2, 2], [2, 4, 4], [2, 4, 4]], dtype=float)),
    "exactly_zeros": exactly(np.zeros((8, 8))),
    "cell_overflow": short_error_kept_picture("is not a finite number"),
    "result_overflow": short_error_kept_picture("overflow"),
    "bomb_refused": short_error_kept_picture("more than 178,956,970 pixels"),
    "big_refused": short_error_kept_picture("10000x10000 pixels"),
    "digits": feedback_says("incorrect", "expected 0.25, got 0.2500001"),
    "dtype": feedback_says("incorrect", "dtype complex128"),
    "none_later": feedback_says("incorrect", "returned None for this input"),
    "printed": feedback_says("correct", "more characters not shown"),
    "exit": feedback_says("incorrect", "called exit() or sys.exit()"),
}


class _Registry:
    """``CHECKERS_BY_NAME.<key>`` is ``CHECKERS[key]``, so the child can resolve it by name."""

    def __getattr__(self, name):
        if name not in CHECKERS:  # e.g. doctest's look for __wrapped__
            raise AttributeError(name)
        return CHECKERS[name]


CHECKERS_BY_NAME = _Registry()


def ok(checker):
    """Expect a result that ``checker`` (a function here, or a CHECKERS key) accepts."""
    if isinstance(checker, str) and checker in CHECKERS:
        return ("ok", f"test_bounded_cost:CHECKERS_BY_NAME.{checker}")
    return ("ok", f"test_bounded_cost:{checker.__name__}")


def raises(error, pattern):
    return ("raised", error, pattern)


HERE = "test_bounded_cost"
IMPULSE = np.zeros((5, 5))
IMPULSE[2, 2] = 1.0
NOTES_IMAGE = np.array([[8, 5, 2], [7, 5, 3], [9, 4, 1]])
NOTES_KERNEL = np.array([[-1, 0, 1]] * 3)

TABLE = [
    # --- cost without bounds
    ("course_lib.filters:gaussian_blur", (np.ones((16, 16)), 200.0), {}, ok(all_ones)),
    (f"{HERE}:blur_camera", (300.0,), {}, ok(blurred_camera)),
    ("course_lib.filters:gaussian_kernel", (1e4,), {},
     raises("ValueError", r"`sigma` = 10000.0 would need a 60001x60001 kernel .* the limit is")),
    ("course_lib.filters:box_kernel", (100001,), {}, raises("ValueError", r"`size` = 100001 would")),
    ("course_lib.filters:shift_kernel", (), {"dx": 10**9},
     raises("ValueError", r"`dx` = 1000000000 would need")),
    ("course_lib.filters:impulse", ((10**6, 10**6),), {},
     raises("ValueError", r"`shape` = \(1000000, 1000000\) would need")),
    (f"{HERE}:median_camera", (31,), {}, ok(medians_of_windows)),
    (f"{HERE}:median_camera", (101,), {}, raises("ValueError", r"`size` = 101 on an image")),
    ("course_lib.data:make_shapes", (10**6,), {"size": 512},
     raises("ValueError", r"`n` = 1000000 images of 512x512 would need")),
    ("course_lib.initialisation:layer_gradient_norms", ("relu",),
     {"depth": 200, "width": 4096, "batch": 10**5},
     raises("ValueError", r"`depth` = 200 layers of width 4096 on a batch of 100000 would")),
    (f"{HERE}:loss_surface_on_a_huge_grid", (), {},
     raises("ValueError", r"`w1` \(10000 values\) and `w2` \(10000 values\)")),
    (f"{HERE}:check_endless", (), {}, ok(is_stopped)),
    (f"{HERE}:flatten_then_linear", (), {}, ok(is_none)),
    # --- exact where SciPy is exact
    ("course_lib.conv:convolve2d", (NOTES_IMAGE, NOTES_KERNEL), {"mode": "valid"},
     ok("exactly_18")),
    ("course_lib.conv:convolve2d", (np.ones((3, 3)), np.ones((2, 2))), {}, ok("exactly_4")),
    ("course_lib.filters:box_blur", (np.ones((6, 6)),), {}, ok(all_ones)),
    ("course_lib.conv:convolve2d", (IMPULSE, np.array([[1e10, 0.0], [0.0, 1e-3]])),
     {"mode": "full"}, ok(impulse_kept)),
    # --- errors that escaped or said nothing
    (f"{HERE}:explorer_after", ([(0, 0, "1" + "0" * 400 + "/3")],), {}, ok("cell_overflow")),
    (f"{HERE}:explorer_after", ([(1, 1, "1e308"), (1, 2, "1e308")],), {},
     ok("result_overflow")),
    (f"{HERE}:explorer_upload", (15000,), {}, ok("bomb_refused")),
    (f"{HERE}:explorer_upload", (10000,), {}, ok("big_refused")),
    (f"{HERE}:fit_digits", (4e37,), {}, raises("ValueError", r"`lr` must be at most")),
    (f"{HERE}:learning_rate_check", (4e37,), {}, ok(far_too_large)),
    (f"{HERE}:tiny_cnn_on", ((2, 1, 16, 16),), {},
     raises("ValueError", r"`x` must be a batch of shape \(N, 1, 8, 8\)")),
    (f"{HERE}:tiny_cnn_on", ((2, 3, 8, 8),), {}, raises("ValueError", r"`x` must be a batch")),
    (f"{HERE}:fit_digits", (0.05,), {"as_numpy": True}, ok(two_epochs)),
    ("course_lib.filters:gaussian_kernel", (1e-170,), {}, ok(finite_impulse)),
    (f"{HERE}:rank_deficient_whitening", (), {}, raises("ValueError", r"`eps` = 0 cannot")),
    (f"{HERE}:idx_with_huge_header", (), {},
     raises("ValueError", r"needs 340,282,366,604,025,813,516,997,721,482,669,850,625 bytes")),
    ("course_lib.models:VGG", (["M"],), {}, raises("ValueError", r"`config` .* no convolution")),
    ("course_lib.models:VGG", ([64, "X"],), {}, raises("ValueError", r"`config` item 1 is 'X'")),
    ("course_lib.data:load_mnist", (None,), {}, raises("TypeError", r"`root` must be a folder")),
    (f"{HERE}:response_of_text", (), {},
     raises("TypeError", r"`filter_fn` must return a numeric array")),
    ("course_lib.models:alexnet", (), {"num_classes": 10**9},
     raises("ValueError", r"`num_classes` = 1000000000 would need a network of")),
    ("course_lib.models:vgg", (16.0,), {}, raises("ValueError", r"`depth` must be one of")),
    ("course_lib.filters:gradient", (np.ones((5, 5)),), {"sigma": -1},
     raises("ValueError", r"`sigma` must be positive")),
    (f"{HERE}:check_with", ("almost_quarter",), {}, ok("digits")),
    (f"{HERE}:check_with", ("complex_answer",), {}, ok("dtype")),
    (f"{HERE}:check_with", ("none_first",), {}, ok("none_later")),
    (f"{HERE}:check_with", ("chatty",), {}, ok("printed")),
    (f"{HERE}:check_with", ("quitter",), {}, ok("exit")),
    (f"{HERE}:zero_kernel_separable", (), {}, ok("exactly_zeros")),
]


def _id(row):
    target, args, kwargs, _ = row
    shown = ", ".join([*(repr(a)[:30] for a in args if not isinstance(a, np.ndarray)),
                       *(f"{k}={v!r}"[:30] for k, v in kwargs.items())])
    return f"{target.split(':')[1]}({shown})"


SLOW = {f"{HERE}:check_endless", f"{HERE}:median_camera", f"{HERE}:learning_rate_check"}


@pytest.mark.parametrize("row", [
    pytest.param(row, id=_id(row), marks=[pytest.mark.slow] if row[0] in SLOW else [])
    for row in TABLE])
def test_each_call_of_the_report_is_bounded_and_right(row):
    target, args, kwargs, expect = row
    checker = expect[1] if expect[0] == "ok" else None
    outcome = sandbox.run(target, *args, checker=checker, memory=MEMORY, seconds=SECONDS + 5,
                          **kwargs)
    assert outcome.kind == expect[0], str(outcome)
    if expect[0] == "raised":
        assert outcome.error == expect[1], str(outcome)
        assert re.search(expect[2], outcome.message), str(outcome)
    assert outcome.seconds < SECONDS, str(outcome)
