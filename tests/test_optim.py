"""The course's optimisers against torch.optim: the same parameters after 100 steps on a small
network (to 1e-6), for every option; their errors; and the L2-against-AdamW toy problem."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import optim

STEPS = 100
TOLERANCE = 1e-6

CASES = [  # (name, settings): every option of every optimiser, alone and together
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.05}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.005, "alpha": 0.9, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 0.002, "momentum": 0.9}),
    ("rmsprop", {"lr": 0.002, "momentum": 0.5, "eps": 1e-3, "weight_decay": 0.1}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("adam", {"lr": 0.005, "betas": (0.8, 0.99), "eps": 1e-4}),
    ("adam", {"lr": 0.005, "betas": (0.0, 0.9), "weight_decay": 0.1}),
    ("adamw", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.0}),
    ("adamw", {"lr": 0.005, "betas": (0.8, 0.99), "eps": 1e-4, "weight_decay": 0.5}),
]
TORCH = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
         "adamw": torch.optim.AdamW}


def network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(STEPS, 8, 6, generator=generator)  # (steps, batch, features)
    y = torch.randint(0, 3, (STEPS, 8), generator=generator)  # (steps, batch)
    return x, y


def train(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[float]:
    x, y = data()
    losses = []
    for t in range(STEPS):  # a new mini-batch every step: the gradients change
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x[t]), y[t])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(("name", "settings"), CASES, ids=lambda v: str(v))
def test_same_parameters_as_torch_after_100_steps(name, settings):
    ours, theirs = network(), network()
    our_losses = train(ours, optim.make_optimizer(name, ours.parameters(), **settings))
    their_losses = train(theirs, TORCH[name](theirs.parameters(), **settings))
    moved = 0.0
    for (key, a), b, start in zip(ours.state_dict().items(), theirs.state_dict().values(),
                                  network().state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=TOLERANCE, msg=f"{name} {settings} {key}")
        moved = max(moved, float((a - start).abs().max()))
    assert moved > 1e-2, "the parameters hardly moved: the comparison would be too easy"
    assert our_losses[-1] < our_losses[0]  # and it trained
    np.testing.assert_allclose(our_losses, their_losses, rtol=0, atol=1e-5)


def test_the_defaults_are_torchs():
    import inspect

    for name, cls in optim.OPTIMIZERS.items():
        ours = inspect.signature(cls.__init__).parameters
        theirs = inspect.signature(TORCH[name].__init__).parameters
        for key, parameter in ours.items():
            if key not in ("self", "params"):
                assert parameter.default == theirs[key].default, f"{name}.{key}"


def test_parameter_groups_and_frozen_parameters():
    """Per-group learning rates; a parameter without a gradient is left untouched."""
    ours, theirs = network(), network()
    for model in (ours, theirs):
        model[2].weight.requires_grad_(False)

    def groups(model):
        return [{"params": model[0].parameters(), "lr": 0.001},
                {"params": [p for p in model[2:].parameters() if p.requires_grad]}]

    train(ours, optim.Adam(groups(ours), lr=0.02, weight_decay=0.01))
    train(theirs, torch.optim.Adam(groups(theirs), lr=0.02, weight_decay=0.01))
    torch.testing.assert_close(ours.state_dict(), theirs.state_dict(), rtol=0, atol=TOLERANCE)
    torch.testing.assert_close(ours[2].weight, network()[2].weight, rtol=0, atol=0)


def test_state_dict_round_trip_continues_exactly():
    model = network()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    train(model, optimizer)
    saved_model, saved_state = copy.deepcopy((model.state_dict(), optimizer.state_dict()))
    train(model, optimizer)  # 100 more steps
    again = network()
    again.load_state_dict(saved_model)
    restored = optim.SGD(again.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    restored.load_state_dict(saved_state)
    train(again, restored)
    torch.testing.assert_close(again.state_dict(), model.state_dict(), rtol=0, atol=0)


def test_closure_is_evaluated_and_its_loss_returned():
    w = torch.tensor([3.0], requires_grad=True)
    optimizer = optim.RMSprop([w], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    assert float(optimizer.step(closure).detach()) == 9.0
    assert float(w.detach()) < 3.0


def test_they_train_with_the_course_trainer_and_its_checkpoints(tmp_path):
    from course_lib.train import TrainConfig, Trainer

    x, y = data()
    x, y = x.reshape(-1, 6), y.reshape(-1)
    trainer = Trainer(network(), TrainConfig(epochs=2, lr=0.01, device="cpu"))
    trainer.optimizer = optim.AdamW(trainer.model.parameters(), lr=0.01)
    history = trainer.fit((x, y), progress=False, checkpoint=tmp_path / "run.pt")
    assert history.train_loss[-1] < history.train_loss[0]
    resumed = Trainer(network(), TrainConfig(epochs=2, lr=0.01, device="cpu"))
    resumed.optimizer = optim.AdamW(resumed.model.parameters(), lr=0.01)
    resumed.load(tmp_path / "run.pt")
    assert resumed.optimizer.state_dict()["state"][0]["step"] == trainer.optimizer.state_dict()[
        "state"][0]["step"] > 0


@pytest.mark.parametrize(("build", "message"), [
    (lambda p: optim.SGD(p, lr=-0.1), "`lr` must be at least 0.0; got -0.1."),
    (lambda p: optim.SGD(p, lr="0.1"), "`lr` must be a real number; got '0.1' (str)."),
    (lambda p: optim.SGD(p, lr=float("nan")), "`lr` must be finite; got nan."),
    (lambda p: optim.SGD(p, momentum=1.5), "`momentum` must be at most 1.0; got 1.5."),
    (lambda p: optim.SGD(p, momentum=-0.5), "`momentum` must be at least 0.0; got -0.5."),
    (lambda p: optim.SGD(p, nesterov=1), "`nesterov` must be True or False; got 1 (int)."),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
     "`nesterov` needs momentum > 0 and dampening = 0; got momentum=0.9, dampening=0.1."),
    (lambda p: optim.SGD(p, weight_decay=-1), "`weight_decay` must be at least 0.0; got -1."),
    (lambda p: optim.RMSprop(p, alpha=1.2), "`alpha` must be at most 1.0; got 1.2."),
    (lambda p: optim.RMSprop(p, eps=-1e-8), "`eps` must be at least 0.0; got -1e-08."),
    (lambda p: optim.Adam(p, betas=0.9), "`betas` must be a pair (beta1, beta2) such as (0.9, "
                                         "0.999); got 0.9 (float)."),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), "`betas` must be below 1 (an average that never "
                                                "forgets); got 1.0."),
    (lambda p: optim.AdamW(p, betas=(-0.1, 0.9)), "`betas` must be at least 0.0; got -0.1."),
    (lambda p: optim.AdamW(p, weight_decay=float("inf")), "`weight_decay` must be finite; got inf."),
    (lambda p: optim.Adam(p, amsgrad=True), "unexpected keyword argument 'amsgrad'"),
    (lambda p: optim.make_optimizer("Adam", p), "`name` must be one of 'sgd', 'rmsprop', 'adam', "
                                                "'adamw'; got 'Adam'."),
    (lambda p: optim.make_optimizer("rmsprop", p, betas=(0.9, 0.99)),
     "`betas` is not a setting of RMSprop; it takes lr, alpha, eps, weight_decay, momentum."),
    (lambda _: optim.SGD([], lr=0.1), "`params` must hold at least one tensor; got an empty list"),
    (lambda _: optim.SGD(torch.zeros(2), lr=0.1), "`params` must be an iterable of tensors"),
    (lambda _: optim.SGD([1.0], lr=0.1), "`params` must hold tensors or parameter groups"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises((ValueError, TypeError)) as caught:
        build(network().parameters())
    assert message in str(caught.value)


def test_a_bad_closure_is_named():
    w = torch.zeros(1, requires_grad=True)
    with pytest.raises(TypeError, match="`closure` must be callable or None; got 3"):
        optim.SGD([w], lr=0.1).step(3)  # type: ignore[arg-type]


# --- Adam with L2 against AdamW --------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    return optim.decay_comparison(scales=(0.0, 0.001, 0.01, 1.0, 100.0), lr=0.01,
                                  weight_decay=0.1, steps=300, seed=3)


def test_decay_comparison_runs_are_torchs(comparison):
    """The three runs equal torch.optim.Adam / AdamW on the same toy loss."""
    noise = torch.from_numpy(np.random.default_rng(3).standard_normal((300, 1)))
    pull = torch.from_numpy(comparison.scales) * noise
    for cls, decay, ours in ((torch.optim.Adam, 0.1, comparison.adam_l2),
                             (torch.optim.AdamW, 0.1, comparison.adamw),
                             (torch.optim.Adam, 0.0, comparison.no_decay)):
        w = torch.ones(5, dtype=torch.float64, requires_grad=True)
        reference = cls([w], lr=0.01, weight_decay=decay)
        path = [w.detach().clone()]
        for t in range(300):
            reference.zero_grad()
            (pull[t] * w).sum().backward()
            reference.step()
            path.append(w.detach().clone())
        np.testing.assert_allclose(ours, torch.stack(path).numpy(), rtol=0, atol=1e-12)


def test_adamw_decays_every_weight_alike_and_adam_l2_does_not(comparison):
    final_adamw, final_l2 = comparison.adamw[-1], comparison.adam_l2[-1]
    # AdamW: the weights the loss touches (scales > 0) end equal, whatever their gradient's size
    # (up to eps = 1e-8 against gradients of 1e-3: 1e-5)
    np.testing.assert_allclose(final_adamw[1:], final_adamw[1], rtol=1e-4)
    # ... and the untouched weight shrinks by exactly (1 - lr * lambda) per step
    np.testing.assert_allclose(comparison.adamw[:, 0], (1 - 0.01 * 0.1) ** np.arange(301),
                               rtol=1e-12)
    # without decay the touched weights end equal as well (Adam divides out the scale)
    np.testing.assert_allclose(comparison.no_decay[-1, 1:], comparison.no_decay[-1, 1], rtol=1e-4)
    # Adam + L2: the larger a weight's gradients, the less it is decayed; small gradients: decayed
    # to about zero (it hovers there), far more than with AdamW
    assert np.all(np.abs(final_l2[:3]) < 0.1 * final_adamw[1])
    assert 0.1 * final_adamw[1] < final_l2[3] < final_l2[4]
    assert abs(final_l2[-1] - comparison.no_decay[-1, -1]) < 0.01  # large: hardly decayed at all


def test_adam_l2_moves_an_untouched_weight_by_lr_whatever_lambda():
    """Where the loss gives no gradient, Adam + L2's step is about lr for any weight decay."""
    small = optim.decay_comparison(scales=(0.0,), lr=0.01, weight_decay=0.01, steps=50)
    large = optim.decay_comparison(scales=(0.0,), lr=0.01, weight_decay=1.0, steps=50)
    np.testing.assert_allclose(small.adam_l2, large.adam_l2, rtol=0, atol=1e-6)
    steps = -np.diff(small.adam_l2[:, 0])
    assert np.all((steps > 0.007) & (steps <= 0.01 + 1e-12))  # v remembers larger past steps
    assert np.abs(small.adamw[-1] - large.adamw[-1]).max() > 0.3  # AdamW's decay depends on it


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scales": 3.0}, "`scales` must be a sequence of numbers"),
    ({"scales": ()}, "`scales` must hold 1 to 100 numbers; got 0."),
    ({"scales": (1.0, -1.0)}, "`scales` must be at least 0.0; got -1.0."),
    ({"lr": 0.0}, "`lr` must be positive; got 0.0."),
    ({"lr": 0.5, "weight_decay": 3.0}, "`weight_decay` must be at most 2.0; got 3.0."),
    ({"steps": 0}, "`steps` must be at least 1; got 0."),
])
def test_decay_comparison_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError)) as caught:
        optim.decay_comparison(**kwargs)
    assert message in str(caught.value)


# --- training with the course's trainer --------------------------------------------------------


def flat_data() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = data()
    return x.reshape(-1, 6), y.reshape(-1)  # (800, 6), (800,)


@pytest.mark.parametrize(("name", "settings"), [("sgd", {"momentum": 0.9}), ("adam", {})])
def test_fit_with_equals_fit_with_torchs_optimiser(name, settings):
    from course_lib.train import fit

    ours, theirs = network(), network()
    ours_history = optim.fit_with(ours, flat_data(), optimizer=name, lr=0.01, epochs=3,
                                  batch_size=50, seed=4, **settings)
    theirs_history = fit(theirs, flat_data(), epochs=3, lr=0.01, batch_size=50, seed=4,
                         optimizer=name, progress=False, **settings)
    torch.testing.assert_close(ours.state_dict(), theirs.state_dict(), rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(ours_history.step_losses, theirs_history.step_losses, atol=1e-5)


def test_fit_with_steps_the_schedule_after_every_batch():
    """A schedule that drops the learning rate to 0 after 5 steps leaves the weights where a run
    stopped after 5 steps leaves them; the callback sees every step."""
    import threading

    seen = []
    scheduled = network()
    optim.fit_with(scheduled, flat_data(), optimizer="sgd", lr=0.1, epochs=1, batch_size=50,
                   schedule=lambda t: 1.0 if t < 5 else 0.0, callback=seen.append)
    assert [info.step for info in seen] == list(range(1, 17))
    stop, stopped = threading.Event(), network()

    def stop_after_five(info):
        if info.step == 5:
            stop.set()

    optim.fit_with(stopped, flat_data(), optimizer="sgd", lr=0.1, epochs=1, batch_size=50,
                   callback=stop_after_five, stop=stop, quiet=True)
    torch.testing.assert_close(scheduled.state_dict(), stopped.state_dict(), rtol=0, atol=0)
    assert not torch.equal(stopped[0].weight, network()[0].weight)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"optimizer": "lbfgs"}, "`optimizer` must be one of 'sgd', 'rmsprop', 'adam', 'adamw'"),
    ({"schedule": 0.5}, "`schedule` must be callable (step -> factor of lr), or None; got 0.5"),
    ({"callback": "print"}, "`callback` must be callable, or None"),
    ({"lr": -1.0}, "`lr` must be positive; got -1.0."),
    ({"epochs": 0}, "`epochs` must be at least 1; got 0."),
    ({"momentum": 2.0}, "`momentum` must be at most 1.0; got 2.0."),
])
def test_fit_with_bad_arguments_are_named(kwargs, message):
    options = {"optimizer": "sgd", "lr": 0.1, "epochs": 1, **kwargs}
    with pytest.raises((ValueError, TypeError)) as caught:
        optim.fit_with(network(), flat_data(), **options)
    assert message in str(caught.value)
