"""Tests of course_lib.search: ranges on linear and log scales (against numpy's geomspace and
linspace), the grid against itertools.product, random points drawn evenly per decade, and the
search keeping every score; with one important and one unimportant hyperparameter, random search
tries more values of the important one and gets closer to its best value."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from course_lib import search as S


def test_ranges_are_evenly_spaced_on_their_scale():
    np.testing.assert_allclose(S.Range(1e-4, 1e-1, scale="log").grid(7), np.geomspace(1e-4, 1e-1, 7),
                               rtol=1e-12)
    np.testing.assert_allclose(S.Range(-1.0, 3.0).grid(5), np.linspace(-1, 3, 5))
    assert S.Range(2.0, 8.0, scale="log").grid(1).tolist() == pytest.approx([4.0])
    values = S.Range(1e-5, 1e-1, scale="log").from_unit(np.random.default_rng(0).random(40_000))
    shares = np.histogram(np.log10(values), bins=[-5, -4, -3, -2, -1])[0] / 40_000
    np.testing.assert_allclose(shares, 0.25, atol=0.01)


def test_grid_is_the_product_of_the_axes():
    space = {"lr": S.Range(1e-3, 1e-1, scale="log"), "p": S.Range(0.0, 0.5), "m": S.Range(0.5, 0.9)}
    points = S.grid_points(space, 3)
    axes = [r.grid(3) for r in space.values()]
    expected = [dict(zip(space, values, strict=True)) for values in itertools.product(*axes)]
    assert points == expected
    assert len(points) == 27


def test_random_points_are_reproducible_and_inside_the_ranges():
    space = {"lr": S.Range(1e-4, 1e-1, scale="log"), "wd": S.Range(0.0, 1.0)}
    first, again = S.random_points(space, 50, seed=3), S.random_points(space, 50, seed=3)
    assert first == again
    assert S.random_points(space, 50, seed=4) != first
    assert all(1e-4 <= p["lr"] <= 1e-1 and 0 <= p["wd"] <= 1 for p in first)


def test_random_search_tries_more_values_of_what_matters_and_gets_closer():
    space = {"lr": S.Range(1e-4, 1e-1, scale="log"), "wd": S.Range(1e-5, 1e-1, scale="log")}

    def objective(lr, wd):  # best at lr = 0.01; wd hardly matters
        return -((np.log10(lr) + 2.0) ** 2) - 0.01 * abs(np.log10(wd) + 3)

    grid = S.run_search(objective, S.grid_points(space, 3))
    wins = 0
    for seed in range(20):
        random = S.run_search(objective, S.random_points(space, 9, seed=seed))
        assert random.distinct("lr") == 9
        wins += random.scores.max() > grid.scores.max()
    assert grid.distinct("lr") == 3
    assert wins >= 14  # random search beats the grid in most draws


def test_run_search_keeps_every_score_and_the_first_best():
    result = S.run_search(lambda x: -abs(x), [{"x": 2.0}, {"x": -1.0}, {"x": 1.0}])
    assert result.scores.tolist() == [-2.0, -1.0, -1.0]
    assert result.best == 1
    assert result.best_point == {"x": -1.0}
    assert "3 settings" in repr(result)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: S.Range(1.0, 1.0), "`high` must be greater than `low`"),
    (lambda: S.Range(-1.0, 1.0, scale="log"), "`low` must be positive on a log scale"),
    (lambda: S.Range(0.0, 1.0, scale="exp"), "`scale` must be one of"),
    (lambda: S.Range(0.0, float("nan")), "`high` must be finite"),
    (lambda: S.Range(0.0, 1.0).from_unit(1.5), "`u` must lie between 0 and 1"),
    (lambda: S.Range(0.0, 1.0).grid(0), "`n` must be at least 1"),
    (lambda: S.grid_points({}, 3), "`space` must be a non-empty dict"),
    (lambda: S.grid_points({"a": (0, 1)}, 3), "`space` must map names (str) to Range"),
    (lambda: S.grid_points({str(i): S.Range(0, 1) for i in range(6)}, 10), "the limit is 100,000"),
    (lambda: S.random_points({"a": S.Range(0, 1)}, 0), "`n` must be at least 1"),
    (lambda: S.run_search(3, [{"x": 1}]), "`objective` must be callable"),
    (lambda: S.run_search(lambda x: x, []), "`points` must be a non-empty list"),
    (lambda: S.run_search(lambda x: float("nan") * x, [{"x": 1}]), "`objective` returned NaN"),
    (lambda: S.run_search(lambda x: x, [{"x": 1}]).distinct("y"), "`name` must be one of"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert message in str(error.value)
