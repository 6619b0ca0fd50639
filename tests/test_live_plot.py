"""The views of a training run (live curves, progress bar) and the one figure-to-PNG helper."""

import io

import matplotlib
import pytest
from matplotlib.figure import Figure
from PIL import Image

from course_lib.history import EpochRecord, History
from course_lib.plotting import figure_to_png
from course_lib.train import ProgressBar, StepInfo
from course_lib.widgets.activations import explorer_figure
from course_lib.widgets.live_plot import LivePlot

PNG = b"\x89PNG\r\n\x1a\n"


def size_of(png):
    return Image.open(io.BytesIO(bytes(png))).size


def one_epoch():
    return History([EpochRecord(1, 0.9, 0.7, 0.8, 0.75, 1.2)], [1.2, 0.9])


def test_figure_to_png_uses_the_figure_dpi_even_under_the_course_style():
    """use_course_style sets savefig.dpi to 72: a figure made at 144 dpi still saves at 144."""
    with matplotlib.rc_context({"savefig.dpi": 72}):
        assert size_of(figure_to_png(Figure(figsize=(2, 1), dpi=144))) == (288, 144)
        assert size_of(figure_to_png(Figure(figsize=(2, 1), dpi=144), dpi=36)) == (72, 36)
    with pytest.raises(ValueError, match="`dpi` must be positive"):
        figure_to_png(Figure(), dpi=0)


def test_live_plot_and_activation_explorer_draw_at_their_dpi():
    with matplotlib.rc_context({"savefig.dpi": 72}):
        low, high = LivePlot(dpi=72), LivePlot(dpi=144)
        assert size_of(low.image.value) == (9 * 72, int(3.2 * 72))
        assert size_of(high.image.value) == (9 * 144, int(3.2 * 144))
        assert size_of(explorer_figure(["relu"], 0.5, 3, dpi=144)) == (int(10.5 * 144), 3 * 144)


def test_live_plot_redraws_from_a_history():
    plot = LivePlot()
    empty = bytes(plot.image.value)
    plot.update(one_epoch())
    assert plot.updates == 1
    assert bytes(plot.image.value).startswith(PNG)
    assert bytes(plot.image.value) != empty


def step_of(history):
    return StepInfo(epoch=1, step=1, steps_per_epoch=4, loss=0.5, history=history, samples=8,
                    correct=4)


def test_live_plot_redraws_within_an_epoch_at_most_every_interval():
    plot = LivePlot(interval=3600.0, show=False, progress=False)
    plot.start(10)
    history = one_epoch()
    for _ in range(5):
        plot.step(step_of(history))
    assert plot.updates == 0  # an hour has not passed
    plot.end_epoch(history, history[-1])
    assert plot.updates == 1  # after every epoch
    every_step = LivePlot(interval=0.0, show=False, progress=False)
    every_step.start(10)
    every_step.step(step_of(history))
    every_step.step(step_of(history))
    assert every_step.updates == 2


def test_live_plot_of_a_run_stopped_early_draws_its_last_steps():
    plot = LivePlot(interval=3600.0, show=False, progress=False)
    history = one_epoch()
    plot.finish(history)
    assert plot.updates == 0  # a finished run was drawn after its last epoch
    history.interrupted = True
    plot.finish(history)
    assert plot.updates == 1


def test_live_plot_refuses_bad_settings():
    with pytest.raises(TypeError, match="`show` must be True or False"):
        LivePlot(show="yes")
    with pytest.raises(ValueError, match="`interval` must be at least 0"):
        LivePlot(interval=-1.0)
    with pytest.raises(TypeError, match="`progress` must be True or False"):
        LivePlot(progress=1)


def test_live_plot_shows_the_bar_and_the_trainer_then_none(monkeypatch):
    """A view with a bar of its own: fit shows that one bar, not a second."""
    import torch
    from torch import nn
    from tqdm import tqdm

    from course_lib import train as train_module

    bars = []

    class Bar(tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(train_module, "tqdm", Bar)
    x = torch.randn(8, 2)
    plot = LivePlot(show=False)
    train_module.fit(nn.Linear(2, 2), (x, (x[:, 0] > 0).long()), epochs=1, lr=0.1,
                     batch_size=4, view=plot)
    assert len(bars) == 1
    assert plot.bar is not None
    assert plot.bar.bar is bars[0]
    assert bars[0].n == 2  # both steps counted


def test_text_progress_bar_counts_steps_and_names_the_epoch(capsys):
    bar = ProgressBar()
    history = one_epoch()
    bar.start(3)
    bar.start_epoch(1, 1)
    for _ in range(3):
        bar.step(step_of(history))
    bar.end_epoch(history, history[-1])
    bar.close()
    err = capsys.readouterr().err
    assert "epoch 1/1" in err
    assert "3/3" in err
    assert "acc=75.0%" in err
