"""The trainer: history, determinism, checkpoints, NaN detection, interruption, live plot."""

import inspect
import threading

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.checkpoints import load_checkpoint
from course_lib.data import load_digits_split
from course_lib.models import tiny_cnn
from course_lib.train import TrainConfig, Trainer, TrainingDiverged, evaluate, fit
from course_lib.widgets import live_plot as live_plot_module
from course_lib.widgets.live_plot import LivePlot


@pytest.fixture(scope="module")
def digits():
    split = load_digits_split()
    return (split.x_train[:256], split.y_train[:256]), (split.x_test[:128], split.y_test[:128])


def css_classes(widget):
    """The CSS classes a widget's view gets in the browser (its synced state)."""
    return widget.get_state()["_dom_classes"]


def fresh_model(seed=0, **kwargs):
    torch.manual_seed(seed)
    return tiny_cnn(width=8, **kwargs)


def test_history_has_one_record_per_epoch_and_consistent_numbers(digits):
    train, test = digits
    model = fresh_model()
    history = fit(model, train, test=test, epochs=3, lr=1e-2, progress=False)
    assert [r.epoch for r in history] == [1, 2, 3]
    assert not history.interrupted
    assert len(history.step_losses) == 3 * 4  # 256 samples / 64 per batch
    # the epoch's train loss is the sample-weighted mean of its step losses (equal batches here)
    assert history[0].train_loss == pytest.approx(np.mean(history.step_losses[:4]), rel=1e-12)
    assert history.train_loss[-1] < history.train_loss[0]
    # the test numbers are exactly what evaluate() reports for the final model
    loss, acc = evaluate(model, test)
    assert history[-1].test_loss == pytest.approx(loss, rel=1e-6)
    assert history[-1].test_acc == acc
    assert all(r.seconds > 0 for r in history)


def test_train_accuracy_counts_correct_predictions_of_the_steps(digits):
    train, _ = digits
    history = fit(fresh_model(), train, epochs=1, lr=1e-2, batch_size=256, progress=False)
    # with one batch per epoch, the train accuracy is that of the initial model on all data
    _, acc = evaluate(fresh_model(), train)
    assert history[0].train_acc == acc
    assert history[0].test_loss is None
    assert not history.has_test


@pytest.mark.usefixtures("digits")
def test_learns_the_digits():
    split = load_digits_split()
    history = fit(fresh_model(), split.train, test=split.test, epochs=4, lr=1e-2,
                  progress=False)
    assert history[-1].test_acc > 0.85


def test_two_runs_with_one_seed_are_identical(digits):
    train, test = digits
    a = fit(fresh_model(), train, test=test, epochs=2, lr=1e-2, seed=3, progress=False)
    b = fit(fresh_model(), train, test=test, epochs=2, lr=1e-2, seed=3, progress=False)
    c = fit(fresh_model(), train, test=test, epochs=2, lr=1e-2, seed=4, progress=False)
    assert a.step_losses == b.step_losses
    assert a.test_loss == b.test_loss
    assert a.step_losses != c.step_losses  # the seed changes the order of the samples


def test_checkpoint_round_trip_and_resume_equals_unbroken_run(digits, tmp_path):
    train, test = digits
    unbroken_model = fresh_model()
    unbroken = fit(unbroken_model, train, test=test, epochs=4, lr=1e-2, progress=False)

    path = tmp_path / "run.pt"
    first_model = fresh_model()
    fit(first_model, train, test=test, epochs=2, lr=1e-2, progress=False, checkpoint=path)
    resumed_model = fresh_model(seed=99)  # different start: everything must come from the file
    resumed = fit(resumed_model, train, test=test, epochs=4, lr=1e-2, progress=False,
                  checkpoint=path, resume=True)
    assert resumed.step_losses == unbroken.step_losses
    for p, q in zip(resumed_model.parameters(), unbroken_model.parameters(), strict=True):
        assert torch.equal(p, q)

    restored = fresh_model(seed=5)
    history = load_checkpoint(path, restored)  # weights_only=True inside
    assert history.test_acc == unbroken.test_acc
    assert len(history) == 4
    assert all(torch.equal(p, q) for p, q in zip(restored.parameters(),
                                                  unbroken_model.parameters(), strict=True))


def test_checkpoint_for_another_model_is_refused(digits, tmp_path):
    train, _ = digits
    path = tmp_path / "small.pt"
    fit(fresh_model(), train, epochs=1, lr=1e-2, progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="does not fit this model"):
        load_checkpoint(path, tiny_cnn(width=4))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt", fresh_model())


def test_nan_loss_names_epoch_and_step():
    x = torch.randn(40, 3)
    x[25] = float("nan")  # the 26th sample poisons the batch that holds it
    y = torch.zeros(40, dtype=torch.int64)
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 1, step \d+ of 4"):
        fit(nn.Linear(3, 2), (x, y), epochs=2, lr=0.1, batch_size=10, progress=False)


def test_exploding_lr_is_reported_with_epoch_and_step(digits):
    train, _ = digits
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Linear(32, 10))  # weights multiply
    with pytest.raises(TrainingDiverged, match=r"at epoch \d+, step \d+ of 4.*lr=1000000\.0"):
        fit(model, train, epochs=5, lr=1e6, optimizer="sgd", momentum=0.0, progress=False)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_an_absurd_lr_is_refused_before_torch_overflows(digits, optimizer):
    train, _ = digits
    with pytest.raises(ValueError, match=r"`lr` must be at most 1000000.0; got 4e\+37"):
        fit(nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), train, epochs=1, lr=4e37,
            optimizer=optimizer, progress=False)


def test_numpy_float64_inputs_and_int32_labels_are_converted(digits):
    (x, y), _ = digits
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    history = fit(model, (x.numpy().astype(np.float64), y.numpy().astype(np.int32)), epochs=2,
                  lr=0.05, progress=False, test=(x.numpy().astype(np.float64), y.numpy()))
    assert len(history) == 2
    assert history.test_acc[-1] > 0.5


class Explode(nn.Module):
    """A model whose forward raises KeyboardInterrupt at its k-th call (like Ctrl-C)."""

    def __init__(self, k):
        super().__init__()
        self.linear, self.calls, self.k = nn.Linear(64, 10), 0, k

    def forward(self, x):
        self.calls += 1
        if self.calls == self.k:
            raise KeyboardInterrupt
        return self.linear(x.flatten(1))


def test_keyboard_interrupt_keeps_model_and_finished_epochs(digits, capsys):
    train, _ = digits
    model = Explode(k=10)  # 4 steps per epoch: interrupted at epoch 3, step 2
    history = fit(model, train, epochs=5, lr=1e-2, progress=False)
    assert history.interrupted
    assert len(history) == 2
    assert len(history.step_losses) == 9
    out = capsys.readouterr().out
    assert "interrupted in epoch 3, after 1 of its 4 steps" in out
    assert "2 finished epochs" in out
    assert "(interrupted after 2 finished epochs)" in history.table()


def test_interrupt_from_callback_and_continue_training(digits, capsys):
    train, _ = digits

    def stop_at_step_6(info):
        if info.epoch == 2 and info.step == 2:
            raise KeyboardInterrupt

    trainer = Trainer(fresh_model(), TrainConfig(epochs=3, lr=1e-2))
    history = trainer.fit(train, progress=False, callback=stop_at_step_6)
    assert history.interrupted
    assert len(history) == 1
    assert len(history.step_losses) == 6
    assert "interrupted in epoch 2, after 2 of its 4 steps" in capsys.readouterr().out
    history = trainer.fit(train, progress=False)  # carries on to 3 epochs
    assert not history.interrupted
    assert [r.epoch for r in history] == [1, 2, 3]


def test_callback_sees_every_step(digits):
    train, _ = digits
    seen = []
    fit(fresh_model(), train, epochs=2, lr=1e-2, batch_size=100, progress=False,
        callback=lambda info: seen.append((info.epoch, info.step, info.steps_per_epoch)))
    assert seen == [(1, 1, 3), (1, 2, 3), (1, 3, 3), (2, 1, 3), (2, 2, 3), (2, 3, 3)]


def test_progress_bar_runs_outside_a_notebook(digits, capsys):
    train, _ = digits
    fit(fresh_model(), train, epochs=1, lr=1e-2, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err
    assert "4/4" in err


def test_live_plot_is_updated_and_carries_its_css_class(digits):
    train, test = digits
    plot = LivePlot(show=False)
    fit(fresh_model(), train, test=test, epochs=2, lr=1e-2, progress=False, view=plot)
    assert plot.updates >= 2
    assert plot.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "course-train-plot" in css_classes(plot.image)


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"lr": -1.0}, ValueError, "lr"),
    ({"lr": float("nan")}, ValueError, "lr"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer"),
    ({"momentum": 0.5}, ValueError, "momentum"),  # with Adam
    ({"device": "cuda:7"}, ValueError, "device"),
    ({"view": "yes"}, TypeError, "view"),
    ({"resume": True}, ValueError, "resume"),
    ({"callback": 3}, TypeError, "callback"),
])
def test_bad_settings(digits, kwargs, error, name):
    train, _ = digits
    settings = {"epochs": 1, "lr": 0.01, "progress": False, **kwargs}
    with pytest.raises(error, match=f"`{name}"):
        fit(fresh_model(), train, **settings)


@pytest.mark.parametrize(("train", "match"), [
    ((torch.zeros(4, 64),), "pair"),
    ((torch.zeros(4, 64, dtype=torch.int64), torch.zeros(4, dtype=torch.int64)), "float"),
    ((torch.zeros(4, 64), torch.zeros(4)), "int64"),
    ((torch.zeros(4, 64), torch.zeros(3, dtype=torch.int64)), "same"),
])
def test_bad_data(train, match):
    with pytest.raises((TypeError, ValueError), match=match):
        fit(nn.Linear(64, 2), train, epochs=1, lr=0.1, progress=False)


def test_notebook_mode_shows_one_box_with_bar_and_plot(digits, monkeypatch):
    """In a notebook, fit(view=LivePlot()) shows tqdm's widget bar above the live plot, in one
    box with a picture of the plot, which the display keeps once training is over."""
    import ipywidgets as widgets
    from tqdm.notebook import tqdm as notebook_tqdm

    from course_lib import train as train_module
    from course_lib.widgets.app import Pictured

    made = []

    class Bar(notebook_tqdm):  # the widget bar tqdm.auto picks inside a kernel

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    class Handle:
        updates = 0

        def update(self, _view):
            Handle.updates += 1

    shown = []
    monkeypatch.setattr(train_module, "tqdm", Bar)
    monkeypatch.setattr(live_plot_module, "_display", lambda view: shown.append(view) or Handle())
    train, test = digits
    history = fit(fresh_model(), train, test=test, epochs=2, lr=1e-2, view=LivePlot())
    assert len(history) == 2
    (bar,) = made  # the view's bar; the trainer shows none of its own
    (view,) = shown
    assert isinstance(view, Pictured)
    box = view.widget
    assert isinstance(box, widgets.VBox)
    assert box.children[0] is bar.container
    assert "course-train-progress" in css_classes(bar.container)
    image = box.children[1]
    assert "course-train-plot" in css_classes(image)
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert Handle.updates == 1  # the picture of the final curves


# --- the stop event ------------------------------------------------------------------------


def test_stop_event_stops_after_the_step_it_was_set_in(digits, capsys):
    """A stop event set during epoch 2, step 3 ends training right after that step."""
    train, _ = digits
    stop = threading.Event()
    seen = []

    def press_stop(info):
        seen.append((info.epoch, info.step))
        if (info.epoch, info.step) == (2, 3):
            stop.set()

    trainer = Trainer(fresh_model(), TrainConfig(epochs=4, lr=1e-2))
    history = trainer.fit(train, progress=False, callback=press_stop, stop=stop)
    assert history.interrupted
    assert len(history) == 1
    assert seen[-1] == (2, 3)
    assert len(history.step_losses) == 4 + 3
    out = capsys.readouterr().out
    assert "stopped in epoch 2, after 3 of its 4 steps" in out
    assert "1 finished epochs" in out
    # with the event cleared, training carries on: epoch 2 again (from the weights it reached)
    stop.clear()
    history = trainer.fit(train, progress=False, stop=stop)
    assert not history.interrupted
    assert [r.epoch for r in history] == [1, 2, 3, 4]
    assert len(history.step_losses) == 4 + 3 + 3 * 4


def test_a_stop_event_set_beforehand_stops_before_the_first_step(digits):
    train, _ = digits
    stop = threading.Event()
    stop.set()
    model = fresh_model()
    before = [p.detach().clone() for p in model.parameters()]
    history = fit(model, train, epochs=2, lr=1e-2, progress=False, quiet=True, stop=stop)
    # one step runs before the first check: the event is checked after every step
    assert history.interrupted
    assert len(history) == 0
    assert len(history.step_losses) == 1
    assert any(not torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))


def test_quiet_stop_prints_nothing(digits, capsys):
    train, _ = digits
    stop = threading.Event()
    history = fit(fresh_model(), train, epochs=2, lr=1e-2, progress=False, quiet=True, stop=stop,
                  callback=lambda _info: stop.set())
    assert history.interrupted
    assert capsys.readouterr().out == ""


def test_stop_must_be_an_event(digits):
    train, _ = digits
    with pytest.raises(TypeError, match=r"`stop` must be a threading\.Event"):
        fit(fresh_model(), train, epochs=1, lr=1e-2, progress=False, stop=True)


def test_training_numbers_do_not_depend_on_the_stop_event(digits):
    train, test = digits
    plain = fit(fresh_model(), train, test=test, epochs=2, lr=1e-2, progress=False)
    watched = fit(fresh_model(), train, test=test, epochs=2, lr=1e-2, progress=False,
                  stop=threading.Event())
    assert plain.step_losses == watched.step_losses
    assert plain.test_acc == watched.test_acc


# --- one source of truth for the settings --------------------------------------------------


def test_fit_takes_a_config_and_keyword_overrides(digits):
    train, _ = digits
    config = TrainConfig(epochs=1, lr=1e-2, batch_size=128, seed=3)
    from_config = fit(fresh_model(), train, config, progress=False)
    from_keywords = fit(fresh_model(), train, epochs=1, lr=1e-2, batch_size=128, seed=3,
                        progress=False)
    assert from_config.step_losses == from_keywords.step_losses
    assert len(from_config.step_losses) == 2  # 256 samples / 128 per step
    overridden = fit(fresh_model(), train, config, batch_size=64, epochs=2, progress=False)
    assert len(overridden) == 2
    assert len(overridden.step_losses) == 8
    assert config.batch_size == 128
    assert config.epochs == 1


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda m, d: fit(m, d, epoch=3, lr=0.1), TypeError, r"`epoch` is not a training setting.*epochs, lr"),
    (lambda m, d: fit(m, d, lr=0.1), TypeError, r"fit needs `epochs`"),
    (lambda m, d: fit(m, d), TypeError, r"fit needs `epochs` and `lr`"),
    (lambda m, d: fit(m, d, d, epochs=1, lr=0.1), TypeError, r"`config` must be a TrainConfig.*test="),
    (lambda m, d: fit(m, d, TrainConfig(epochs=1, lr=0.1), lr=-1.0), ValueError, r"`lr` must be positive"),
])
def test_bad_settings_are_named(digits, call, error, match):
    train, _ = digits
    with pytest.raises(error, match=match):
        call(fresh_model(), train)


def test_fit_documents_every_setting_of_train_config():
    """fit takes TrainConfig's fields as keywords; its docstring names each of them."""
    doc = inspect.getdoc(fit)
    settings = doc.split("**settings")[1].split("progress : bool")[0]
    for name in TrainConfig.__dataclass_fields__:
        assert f"``{name}``" in settings, name


def test_train_epoch_yields_each_step_and_keeps_no_totals_on_the_trainer(digits):
    """The students read Trainer.train_epoch: each step comes back as a StepInfo, with the
    batch's size and its correct answers, and nothing is left behind on the trainer."""
    train, _ = digits
    trainer = Trainer(fresh_model(), TrainConfig(epochs=1, lr=1e-2, batch_size=100, device="cpu"))
    before = set(vars(trainer))
    steps = list(trainer.train_epoch(*train, epoch=1))
    assert [info.samples for info in steps] == [100, 100, 56]  # 256 = 100 + 100 + 56
    assert [info.step for info in steps] == [1, 2, 3]
    assert all(0 <= info.correct <= info.samples for info in steps)
    assert trainer.history.step_losses == [info.loss for info in steps]
    assert set(vars(trainer)) == before
