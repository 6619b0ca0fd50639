"""Learning-rate schedules against PyTorch's schedulers; the range test against a plain loop and
on the tiny CNN with the digits."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn
from torch.optim import lr_scheduler

from course_lib.schedules import (
    Cosine,
    LinearWarmup,
    RangeTest,
    StepDecay,
    WarmupCosine,
    describe_range_test,
    lr_range_test,
    plot_range_test,
    plot_schedules,
    schedule_factors,
)

BASE_LR = 0.3


def torch_lrs(make_scheduler, steps: int) -> np.ndarray:
    """The learning rate a PyTorch scheduler sets at each of ``steps`` steps."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(lrs)


@pytest.mark.parametrize(("ours", "theirs", "steps"), [
    (StepDecay(7), lambda o: lr_scheduler.StepLR(o, step_size=7), 40),
    (StepDecay(3, gamma=0.5), lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 40),
    (Cosine(30), lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=30), 31),
    (Cosine(25, min_factor=0.1),
     lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=0.1 * BASE_LR), 26),
    (LinearWarmup(10), lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=10), 30),
    (LinearWarmup(4, start_factor=0.5),
     lambda o: lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=4), 12),
    (WarmupCosine(5, 30, start_factor=0.2, min_factor=0.05), lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=5),
            lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=0.05 * BASE_LR)], milestones=[5]),
     31),
], ids=lambda v: repr(v) if not callable(v) or hasattr(v, "__dataclass_fields__") else "")
def test_schedules_equal_pytorchs_schedulers(ours, theirs, steps):
    with_lambda = torch_lrs(lambda o: lr_scheduler.LambdaLR(o, ours), steps)
    np.testing.assert_allclose(with_lambda, BASE_LR * schedule_factors(ours, steps), rtol=1e-15)
    np.testing.assert_allclose(with_lambda, torch_lrs(theirs, steps), rtol=1e-12, atol=1e-15)


def test_exact_values():
    assert [Cosine(2)(t) for t in (0, 1, 2, 3)] == [1.0, 0.5, 0.0, 0.0]
    assert WarmupCosine(2, 4, start_factor=0.5)(1) == 0.75
    assert WarmupCosine(2, 4)(2) == 1.0  # the top is reached right after the warm-up
    assert StepDecay(1, gamma=0.5)(10) == 2.0 ** -10


def test_a_lambda_lr_saves_and_restores_a_schedule():
    """Callable objects (unlike lambdas) go into LambdaLR's state_dict."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.LambdaLR(optimizer, Cosine(10, min_factor=0.2))
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"total": 10, "min_factor": 0.2}]


@pytest.mark.parametrize(("build", "message"), [
    (lambda: StepDecay(0), "`step_size` must be at least 1; got 0."),
    (lambda: StepDecay(5, gamma=0.0), "`gamma` must be positive; got 0.0."),
    (lambda: StepDecay(5, gamma=2.0), "`gamma` must be at most 1.0; got 2.0."),
    (lambda: Cosine(10, min_factor=-0.1), "`min_factor` must be at least 0.0; got -0.1."),
    (lambda: Cosine(2.5), "`total` must be an integer; got 2.5 (float)."),
    (lambda: LinearWarmup(5, start_factor=0.0), "`start_factor` must be positive; got 0.0."),
    (lambda: WarmupCosine(10, 10), "`total` must be larger than `warmup` (10), to leave steps for "
                                   "the cosine; got 10."),
    (lambda: Cosine(5)(-1), "`step` must be at least 0; got -1."),
    (lambda: schedule_factors(3, 10), "`schedule` must be callable"),
    (lambda: schedule_factors(Cosine(3), 0), "`steps` must be at least 1; got 0."),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises((ValueError, TypeError)) as caught:
        build()
    assert message in str(caught.value)


def test_plot_schedules():
    fig = plot_schedules({"cosine": Cosine(50), "warm-up + cosine": WarmupCosine(5, 50)}, 60,
                         lr=0.1)
    ax = fig.axes[0]
    assert ax.get_title() == "Learning-rate schedules"
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["cosine", "warm-up + cosine"]
    np.testing.assert_allclose(lines[1].get_ydata(), 0.1 * schedule_factors(WarmupCosine(5, 50), 60))
    assert lines[0].get_color() != lines[1].get_color()
    plt.close(fig)


# --- the range test ---------------------------------------------------------------------------


def blobs():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(128, 4, generator=generator)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return x, y


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2))


def test_range_test_equals_a_plain_loop_with_the_same_learning_rates():
    """Full-batch steps (so the order of the samples cannot matter), checked step by step
    against a loop written with torch.optim.SGD, and the smoothing and stop rule recomputed.
    In float64: near divergence the steps amplify the rounding of a sum taken in another order."""
    x, y = blobs()
    x = x.double()
    result = lr_range_test(mlp().double(), (x, y), lr_min=1e-3, lr_max=1e4, steps=80, batch_size=128,
                           momentum=0.9, smoothing=0.9)
    k = len(result.lrs)
    np.testing.assert_allclose(result.lrs, 1e-3 * (1e7) ** (np.arange(k) / 79), rtol=1e-12)
    model = mlp().double()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    losses = []
    for lr in result.lrs:
        optimizer.param_groups[0]["lr"] = float(lr)
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    np.testing.assert_allclose(result.losses, losses, rtol=1e-6)
    average, smoothed = 0.0, []
    for i, loss in enumerate(result.losses):
        average = 0.9 * average + 0.1 * loss
        smoothed.append(average / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(result.smoothed, smoothed, rtol=1e-12)
    assert result.stopped.startswith(f"diverged at step {k} ")
    assert smoothed[-1] > 4 * min(smoothed)
    assert all(s <= 4 * min(smoothed[:i + 1]) for i, s in enumerate(smoothed[:-1]))
    assert result.minimum == result.lrs[int(np.argmin(smoothed))]


def test_range_test_leaves_the_model_alone_and_can_run_to_lr_max():
    x, y = blobs()
    model = mlp()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = lr_range_test(model, (x, y), lr_min=1e-4, lr_max=1e-2, steps=20, optimizer="adam",
                           rule="steepest")
    torch.testing.assert_close(model.state_dict(), before, rtol=0, atol=0)
    assert result.stopped == "reached lr_max after 20 steps"
    assert len(result.lrs) == 20
    assert result.lrs[-1] == pytest.approx(1e-2, rel=1e-12)
    assert result.suggestion == result.steepest


def test_range_test_on_the_tiny_cnn_with_digits():
    """The test the chapter runs: SGD with momentum on the tiny CNN, 100 steps at most. The
    suggestion trains: two epochs at it end far below two epochs at lr_min or at 10x it."""
    from course_lib.data import load_digits_split
    from course_lib.models import tiny_cnn
    from course_lib.train import fit

    digits = load_digits_split()
    train = (digits.x_train, digits.y_train)
    torch.manual_seed(0)
    model = tiny_cnn()
    result = lr_range_test(model, train, lr_min=1e-4, lr_max=10.0, steps=100, momentum=0.9)
    assert result.stopped.startswith("diverged at step ")
    assert 1e-3 < result.suggestion < 1.0
    assert min(result.smoothed) < 0.8 * result.smoothed[0]
    losses = {}
    for lr in (1e-4, result.suggestion, 10 * result.suggestion):
        torch.manual_seed(0)
        history = fit(tiny_cnn(), train, epochs=2, lr=lr, optimizer="sgd", momentum=0.9,
                      progress=False)
        losses[lr] = history.train_loss[-1]
    assert losses[result.suggestion] < 0.5 * losses[1e-4]
    assert losses[result.suggestion] < 0.5 * losses[10 * result.suggestion]
    fig = plot_range_test(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("learning rate (log scale)", "training loss")
    assert "suggestion (minimum/10)" in [t.get_text()[:23] for t in ax.get_legend().get_texts()]
    plt.close(fig)
    alt = describe_range_test(result)
    assert f"from {result.lrs[0]:.2g} to {result.lrs[-1]:.2g}" in alt
    assert result.stopped in alt


def test_range_test_reports_a_first_learning_rate_too_large():
    x, y = blobs()
    with pytest.raises(ValueError, match=r"never fell .* `lr_min` \(10000\) is already too large"):
        lr_range_test(mlp(), (x * 1e6, y), lr_min=1e4, lr_max=1e5, steps=10)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lr_min": 0.0}, "`lr_min` must be positive; got 0.0."),
    ({"lr_min": 1.0, "lr_max": 0.5}, "`lr_max` must be larger than `lr_min` (1); got 0.5."),
    ({"steps": 1}, "`steps` must be at least 2; got 1."),
    ({"smoothing": 1.0}, "`smoothing` must be below 1"),
    ({"divergence": 0.5}, "`divergence` must be at least 1.0; got 0.5."),
    ({"rule": "valley"}, "`rule` must be one of 'minimum/10', 'steepest'; got 'valley'."),
    ({"optimizer": "lbfgs"}, "`optimizer` must be one of 'sgd', 'rmsprop', 'adam', 'adamw'"),
    ({"optimizer": "adam", "momentum": 0.9}, "`momentum` is not a setting of Adam"),
    ({"batch_size": 0}, "`batch_size` must be at least 1; got 0."),
])
def test_range_test_bad_arguments_are_named(kwargs, message):
    x, y = blobs()
    with pytest.raises((ValueError, TypeError)) as caught:
        lr_range_test(mlp(), (x, y), **kwargs)
    assert message in str(caught.value)


def test_range_test_bad_model_and_data():
    x, y = blobs()
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        lr_range_test("model", (x, y))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`train` must be a pair"):
        lr_range_test(mlp(), x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`result` must be a RangeTest"):
        plot_range_test("result")  # type: ignore[arg-type]
    assert RangeTest.__doc__
