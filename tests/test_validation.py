"""Tests of course_lib.validation: the per-class subsets, the early-stopping rule against a plain
patience counter, the epoch-by-epoch trainer against course_lib.train.fit (the same numbers without
augmentation or stopping), early stopping and keeping the best weights, and the selection bias of
choosing among random guessers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_lib import validation as V
from course_lib.augmentation import Augmentation
from course_lib.data import load_digits_split, split_validation
from course_lib.history import History
from course_lib.models import tiny_cnn
from course_lib.train import fit


def test_per_class_subset_keeps_that_many_of_each_class_and_nests():
    digits = load_digits_split()
    x, y = V.per_class_subset(digits.train, 5, seed=3)
    assert np.bincount(y.numpy()).tolist() == [5] * 10
    larger_x, _ = V.per_class_subset(digits.train, 8, seed=3)
    rows = {tuple(r) for r in larger_x.flatten(1).tolist()}
    assert all(tuple(r) in rows for r in x.flatten(1).tolist())  # 5 per class within 8 per class
    other, _ = V.per_class_subset(digits.train, 5, seed=4)
    assert not torch.equal(other, x)


def patience_counter(losses, patience, min_delta=0.0):
    """The rule as usually coded: a counter of epochs without improvement."""
    best, waited = float("inf"), 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
        if waited >= patience:
            return epoch
    return len(losses)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.floats(0.0, 3.0), min_size=1, max_size=30), st.integers(1, 6),
       st.sampled_from([0.0, 0.01, 0.1]))
def test_early_stopping_epoch_equals_a_patience_counter(losses, patience, min_delta):
    assert V.early_stopping_epoch(losses, patience=patience, min_delta=min_delta) == \
        patience_counter(losses, patience, min_delta)
    best = V.best_epoch(losses, min_delta=min_delta)
    if min_delta == 0.0:
        assert losses[best - 1] == min(losses)
        assert best == losses.index(min(losses)) + 1


def small_problem():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(96, 2, generator=generator)
    y = (x[:, 0] + 0.3 * torch.randn(96, generator=generator) > 0).long()
    return (x[:64], y[:64]), (x[64:], y[64:])


def test_fit_validated_gives_the_numbers_of_fit_when_it_only_validates():
    train, val = small_problem()
    torch.manual_seed(1)
    a = nn.Linear(2, 2)
    b = nn.Linear(2, 2)
    b.load_state_dict(a.state_dict())
    history = fit(a, train, test=val, epochs=6, lr=0.05, batch_size=16, progress=False)
    run = V.fit_validated(b, train, val, epochs=6, lr=0.05, batch_size=16)
    assert run.epochs_trained == 6
    assert not run.stopped_early
    assert run.val_loss == history.test_loss
    assert run.history.train_loss == history.train_loss
    torch.testing.assert_close(a.weight, b.weight, rtol=0, atol=0)


def test_early_stopping_stops_where_the_rule_says_and_keeps_the_best_weights():
    digits = load_digits_split()
    train, val = split_validation(digits.train, seed=0)
    few = V.per_class_subset(train, 3)
    torch.manual_seed(0)
    model = tiny_cnn()
    run = V.fit_validated(model, few, val, epochs=80, lr=1e-2, batch_size=10, patience=5,
                          keep_best=True)
    assert run.stopped_early
    assert run.epochs_trained < 80
    assert run.epochs_trained == V.early_stopping_epoch(run.val_loss, patience=5)
    assert run.best_epoch == V.best_epoch(run.val_loss) == run.epochs_trained - 5
    from course_lib.train import evaluate

    loss, _ = evaluate(model, val)
    assert loss == pytest.approx(run.val_loss[run.best_epoch - 1], rel=1e-6)  # best weights back


def test_augmentation_is_drawn_anew_each_epoch_and_reproducible():
    seen = []

    def spy(x, *, generator):
        out = Augmentation(max_shift=1)(x, generator=generator)
        seen.append(out.clone())
        return out

    digits = load_digits_split()
    few = V.per_class_subset(digits.train, 2)
    torch.manual_seed(0)
    V.fit_validated(tiny_cnn(), few, digits.test, epochs=3, lr=1e-3, augment=spy, seed=7)
    assert len(seen) == 3
    assert not torch.equal(seen[0], seen[1])
    first = Augmentation(max_shift=1)(few[0], generator=torch.Generator().manual_seed(7))
    assert torch.equal(seen[0], first)


def test_make_optimizer_replaces_adam():
    train, val = small_problem()
    torch.manual_seed(0)
    a = nn.Linear(2, 2)
    b = nn.Linear(2, 2)
    b.load_state_dict(a.state_dict())
    V.fit_validated(a, train, val, epochs=3, lr=0.1, batch_size=64,
                    make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1))
    fit(b, train, epochs=3, lr=0.1, batch_size=64, optimizer="sgd", momentum=0.0, progress=False)
    torch.testing.assert_close(a.weight, b.weight, rtol=0, atol=0)


def test_selection_bias_chooses_a_lucky_guesser_that_is_at_chance_elsewhere():
    digits = load_digits_split()
    _train, val = split_validation(digits.train, seed=0)
    result = V.selection_bias(val[1], digits.y_test, candidates=200, seed=0)
    assert result.val_acc.shape == result.test_acc.shape == (200,)
    assert result.val_acc[result.chosen] == result.val_acc.max() > 0.14
    assert abs(result.test_acc.mean() - 0.1) < 0.005
    assert abs(result.test_acc[result.chosen] - 0.1) < 0.05
    assert "200 candidates" in repr(result)


def test_validated_run_reads_its_history():
    history = History()
    run = V.ValidatedRun(history, best_epoch=1, epochs_trained=0, stopped_early=False)
    assert run.val_loss == []
    assert "ran to the end" in repr(run)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: V.per_class_subset((torch.zeros(4, 2), torch.tensor([0, 0, 1, 1])), 3),
     "`per_class` = 3 is more than"),
    (lambda: V.per_class_subset(torch.zeros(3), 1), "`data` must be a pair"),
    (lambda: V.per_class_subset((torch.zeros(3, 1), torch.zeros(3)), 1), "labels must be a 1-D integer"),
    (lambda: V.best_epoch([]), "`val_losses` must not be empty"),
    (lambda: V.best_epoch([0.1, float("nan")]), "NaN"),
    (lambda: V.early_stopping_epoch([0.1], patience=0), "`patience` must be at least 1"),
    (lambda: V.early_stopping_epoch([0.1], patience=1, min_delta=-1), "`min_delta` must be at least"),
    (lambda: V.fit_validated("m", *small_problem(), epochs=1, lr=0.1), "`model` must be"),
    (lambda: V.fit_validated(nn.Linear(2, 2), *small_problem(), epochs=0, lr=0.1), "`epochs`"),
    (lambda: V.fit_validated(nn.Linear(2, 2), *small_problem(), epochs=1, lr=0.1, augment=3),
     "`augment` must be callable"),
    (lambda: V.fit_validated(nn.Linear(2, 2), *small_problem(), epochs=1, lr=0.1,
                             make_optimizer=lambda _p: 3), "must return a torch.optim.Optimizer"),
    (lambda: V.fit_validated(nn.Linear(2, 2), *small_problem(), epochs=1, lr=0.1, keep_best=1),
     "`keep_best` must be True or False"),
    (lambda: V.selection_bias([0.5, 1.5], [0, 1], candidates=3), "`y_val` must be"),
    (lambda: V.selection_bias([0, 1], [0, 1], candidates=0), "`candidates` must be at least 1"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert message in str(error.value)
