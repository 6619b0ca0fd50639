"""Where a model lives (course_lib._devices): the parts that can be checked without a GPU.

The moves between devices themselves are checked on a GPU by tests/test_gpu.py.
"""

import torch
from torch import nn

from course_lib._devices import (
    deterministic_cudnn,
    model_device,
    move_optimizer_state,
    to_model_device,
)


def test_a_model_is_where_its_parameters_or_buffers_are():
    assert model_device(nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(nn.Linear(2, 2, device="meta")) == torch.device("meta")
    assert model_device(nn.BatchNorm1d(3, affine=False, device="meta")).type == "meta"  # buffers only
    assert model_device(nn.ReLU()) == torch.device("cpu")  # nothing to hold: runs anywhere


def test_tensors_go_to_the_model_and_stay_put_when_already_there():
    x = torch.ones(2, 2)
    (same,) = to_model_device(nn.Linear(2, 2), x)
    assert same is x  # no copy
    (moved,) = to_model_device(nn.Linear(2, 2, device="meta"), x)
    assert moved.device.type == "meta"


def test_optimizer_state_moves_but_the_step_count_stays_on_the_cpu():
    model = nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    move_optimizer_state(optimizer, torch.device("meta"))
    state = optimizer.state[model.weight]
    assert state["exp_avg"].device.type == "meta"
    assert state["exp_avg_sq"].device.type == "meta"
    assert state["step"].device.type == "cpu"  # a scalar PyTorch keeps on the CPU


def test_cudnn_settings_change_only_for_a_cuda_device_and_are_restored():
    before = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    with deterministic_cudnn(torch.device("cpu")):
        assert (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) == before
    with deterministic_cudnn(torch.device("cuda")):  # sets flags only; needs no GPU
        assert torch.backends.cudnn.deterministic
        assert not torch.backends.cudnn.benchmark
    assert (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) == before
