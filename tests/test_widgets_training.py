"""The live training demo: click Train, check progress, curves, messages and Stop."""

import dataclasses
import threading

import pytest
import torch

from course_lib.widgets import training as T
from course_lib.widgets.training import training_demo

PNG = b"\x89PNG\r\n\x1a\n"


def css_classes(widget):
    """The CSS classes a widget's view gets in the browser (its synced state)."""
    return widget.get_state()["_dom_classes"]


@pytest.fixture
def small_shapes(monkeypatch):
    monkeypatch.setattr(T, "SHAPES_TRAIN", 128)
    monkeypatch.setattr(T, "SHAPES_TEST", 64)


def test_css_classes_for_browser_tests():
    demo = training_demo()
    assert "course-training-demo" in css_classes(demo.widget)
    assert "course-train-plot" in css_classes(demo.plot)
    boxes = [w for w in demo.widget.children if "course-train-progress" in css_classes(w)]
    assert boxes
    assert demo.progress in boxes[0].children


def test_plot_shows_empty_axes_before_training():
    """Before the first epoch the plot is a labelled, empty frame, not a broken image."""
    demo = training_demo()
    before = bytes(demo.plot.value)
    assert before.startswith(PNG)
    assert len(before) > 1000
    assert demo.live.updates == 0


@pytest.mark.usefixtures("small_shapes")
def test_train_click_runs_and_reports():
    demo = training_demo(epochs=2, background=False)
    demo.train_button.click()
    assert len(demo.history) == 2
    assert demo.progress.value == demo.progress.max == 2 * 22  # 1347 digits / 64 per step
    assert demo.plot.value[:8] == PNG
    assert f"test accuracy {100 * demo.history[-1].test_acc:.1f}%" in demo.message.value
    assert not demo.train_button.disabled
    assert demo.stop_button.disabled


@pytest.mark.usefixtures("small_shapes")
def test_background_training_and_shapes():
    demo = training_demo(dataset="shapes", activation="tanh", epochs=1)
    demo.train_button.click()
    demo.wait(timeout=60)
    assert not demo.running
    assert len(demo.history) == 1
    assert demo.progress.max == 2  # 128 shapes / 64 per step


def click_when_progress_reaches(demo, steps, button):
    """Click ``button`` as soon as the progress bar shows ``steps`` steps (from the trainer's
    thread, as a reader's click arrives while the model trains)."""

    def watch(change):
        if change["new"] == steps:
            button.click()

    demo.progress.observe(watch, names="value")


def test_stop_button_interrupts_and_keeps_history():
    demo = training_demo(epochs=30, background=False)
    click_when_progress_reaches(demo, 22 + 3, demo.stop_button)  # epoch 2, step 3 of 22
    demo.train_button.click()
    assert demo.history.interrupted
    assert len(demo.history) == 1
    assert len(demo.history.step_losses) == 22 + 3  # it stopped right after the step it was pressed in
    assert demo.progress.value == 22 + 3
    last = demo.history[-1]
    assert demo.message.value.count("Stopped after 1 epoch: train accuracy "
                                    f"{100 * last.train_acc:.1f}%") == 1
    assert not demo.train_button.disabled
    assert demo.stop_button.disabled


def test_stop_button_in_the_first_epoch():
    demo = training_demo(epochs=3, background=False)
    click_when_progress_reaches(demo, 2, demo.stop_button)
    demo.train_button.click()
    assert demo.history.interrupted
    assert len(demo.history) == 0
    assert "Stopped before the first epoch finished" in demo.message.value


@pytest.mark.usefixtures("small_shapes")
def test_train_again_after_stop_runs_all_epochs():
    demo = training_demo(epochs=2, background=False)
    click_when_progress_reaches(demo, 3, demo.stop_button)
    demo.train_button.click()
    assert demo.history.interrupted
    demo.progress.unobserve_all("value")
    demo.train_button.click()  # a fresh run: the stop request of the last one is forgotten
    assert not demo.history.interrupted
    assert len(demo.history) == 2
    assert "2 epochs: train accuracy" in demo.message.value
    assert "Stopped" not in demo.message.value


def test_diverging_run_shows_message(monkeypatch):
    split = T.load_digits_split()

    def poisoned_digits():  # every batch gives a NaN loss at once
        return dataclasses.replace(split, x_train=torch.full_like(split.x_train, float("nan")))

    monkeypatch.setattr(T, "load_digits_split", poisoned_digits)
    demo = training_demo(epochs=1, background=False)
    demo.train_button.click()
    assert "loss became nan at epoch 1, step 1" in demo.message.value
    assert demo.history is None
    assert not demo.train_button.disabled


@pytest.mark.usefixtures("small_shapes")
def test_second_click_while_running_is_refused():
    demo = training_demo(epochs=3)
    gate = threading.Event()
    demo.progress.observe(lambda _change: gate.wait(5), names="value")  # hold the trainer
    demo.train_button.click()
    demo.train()  # the button is disabled in a browser; calling train() again is refused
    assert "already running" in demo.message.value
    demo.stop()
    gate.set()
    demo.wait(timeout=60)
    assert not demo.running
    assert demo.history.interrupted


def test_learning_rate_slider_stops_are_exact():
    demo = training_demo(lr=3e-3)
    assert demo.lr.value == 3e-3
    assert demo.lr.label == "0.003"
    demo.lr.value = 0.1
    assert demo.lr.value == 0.1
    with pytest.raises(ValueError, match="`lr` must be one of"):
        training_demo(lr=0.005)
