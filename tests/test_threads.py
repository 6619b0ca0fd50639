"""The trainer chooses torch's CPU threads itself and restores the caller's setting."""

import pytest
import torch
from torch import nn

from course_lib.engine.threads import SMALL_MODEL_PARAMETERS, choose_threads, torch_threads
from course_lib.models import tiny_cnn
from course_lib.train import fit


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
