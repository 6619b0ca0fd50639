"""The trainer, and what the notebooks measure models with, choose torch's CPU threads themselves
and restore the caller's setting."""

import pytest
import torch
from torch import nn

from course_lib import diagnostics
from course_lib.engine.threads import SMALL_MODEL_PARAMETERS, choose_threads, torch_threads
from course_lib.models import effective_receptive_field, tiny_cnn
from course_lib.train import evaluate, fit


@pytest.fixture
def two_threads():
    """The caller's own setting during a test: 2 threads (restored afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def tiny_data():
    torch.manual_seed(0)
    return torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))


def threads_seen_by_fit(**kwargs):
    seen = []
    fit(tiny_cnn(image_size=8, num_classes=10, width=4), tiny_data(), epochs=1, lr=1e-3,
        batch_size=32, progress=False, callback=lambda _info: seen.append(torch.get_num_threads()),
        **kwargs)
    return seen


@pytest.mark.usefixtures("two_threads")
def test_fit_trains_a_small_model_on_one_thread_and_restores_the_setting():
    assert threads_seen_by_fit() == [1, 1]
    assert torch.get_num_threads() == 2


@pytest.mark.usefixtures("two_threads")
def test_fit_takes_the_thread_count_from_its_settings():
    assert threads_seen_by_fit(threads=2) == [2, 2]
    assert torch.get_num_threads() == 2


@pytest.mark.usefixtures("two_threads")
def test_the_setting_is_restored_when_training_stops_early():
    def stop(_info):
        raise KeyboardInterrupt

    history = fit(tiny_cnn(image_size=8, num_classes=10, width=4), tiny_data(), epochs=2, lr=1e-3,
                  progress=False, callback=stop, quiet=True)
    assert history.interrupted
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


@pytest.mark.usefixtures("two_threads")
def test_a_large_model_keeps_the_callers_setting():
    small, large = nn.Linear(10, 10), nn.Linear(1000, SMALL_MODEL_PARAMETERS // 1000)
    assert choose_threads(small) == 1
    assert choose_threads(large) == 2


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: choose_threads("model"), TypeError, "`model` must be a torch.nn.Module"),
    (lambda: torch_threads(0).__enter__(), ValueError, "`threads`"),
    (lambda: fit(nn.Linear(2, 2), (torch.randn(4, 2), torch.zeros(4, dtype=torch.long)), epochs=1,
                 lr=0.1, threads=0, progress=False), ValueError, "`threads`"),
])
def test_bad_thread_settings(call, error, match):
    with pytest.raises(error, match=match):
        call()


class ThreadsSeen(nn.Module):
    """A small convolutional model that records torch's thread count whenever its features run."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Sigmoid())
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * 8 * 8, 10))
        self.seen: list[int] = []
        self.features.register_forward_pre_hook(lambda *_: self.seen.append(torch.get_num_threads()))

    def forward(self, x):
        return self.classifier(self.features(x))


@pytest.mark.usefixtures("two_threads")
@pytest.mark.parametrize("measure", ["evaluate", "weight_gradient_norms", "feature_statistics",
                                     "saturation_statistics", "effective_receptive_field"])
def test_what_the_notebooks_measure_a_small_model_with_runs_on_one_thread(measure):
    """Two threads beside a busy process made chapter 2's measurements several times slower
    than one thread (a notebook cell took 20 s instead of 1 s): they run as the trainer does."""
    model = ThreadsSeen()
    x, y = tiny_data()
    calls = {
        "evaluate": lambda: evaluate(model, (x, y)),
        "weight_gradient_norms": lambda: diagnostics.weight_gradient_norms(model, x, y),
        "feature_statistics": lambda: diagnostics.feature_statistics(model, x),
        "saturation_statistics": lambda: diagnostics.saturation_statistics(model, x),
        "effective_receptive_field": lambda: effective_receptive_field(model, x, layer="features.0"),
    }
    calls[measure]()
    assert model.seen, "the model never ran"
    assert set(model.seen) == {1}, model.seen
    assert torch.get_num_threads() == 2
