"""Tests for course_lib.claims: the checked claims notebooks make about CPU-dependent results."""

import numpy as np
import pytest
import torch

from course_lib.claims import ClaimFailed, claim, claim_close


@pytest.mark.parametrize(("value", "op", "bound", "holds"), [
    (0.98, ">=", 0.97, True), (0.97, ">=", 0.97, True), (0.96, ">=", 0.97, False),
    (0.97, ">", 0.97, False), (0.1, "<", 0.5, True), (0.5, "<=", 0.5, True), (0.6, "<=", 0.5, False),
])
def test_claim_holds_or_raises(capsys, value, op, bound, holds):
    if holds:
        claim("x", value, op, bound)
        assert capsys.readouterr().out.startswith("✓ x ")
    else:
        with pytest.raises(ClaimFailed, match=r"^✗ x .* does not hold: measured"):
            claim("x", value, op, bound)
        assert capsys.readouterr().out == ""


def test_claim_prints_the_measured_value_in_the_masked_bracket(capsys):
    claim("test accuracy", np.float32(0.984), ">=", 0.97, fmt=".1%")
    assert capsys.readouterr().out == "✓ test accuracy ≥ 97.0% (measured: 98.4%)\n"
    claim("loss", torch.tensor(0.25), "<", 1, fmt=".2f")
    assert capsys.readouterr().out == "✓ loss < 1.00 (measured: 0.25)\n"


def test_the_sanitizer_masks_only_the_measured_value():
    import configparser
    import re
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).parent / "nbval_sanitize.cfg")
    rule = config["claims-measured"]
    line = "✓ test accuracy ≥ 97.0% (measured: 98.4%)"
    assert re.sub(rule["regex"], rule["replace"], line) == "✓ test accuracy ≥ 97.0% (measured: …)"


def test_claim_close(capsys):
    claim_close("std", 0.0349, 0.0354, tol=0.002, fmt=".4f")
    assert capsys.readouterr().out.startswith("✓ std ≈ 0.0354 ± 0.0020")
    with pytest.raises(ClaimFailed, match=r"measured 0\.0400"):
        claim_close("std", 0.04, 0.0354, tol=0.002, fmt=".4f")


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"value": "high", "op": ">", "bound": 1}, TypeError, "`value` must be a real number"),
    ({"value": float("nan"), "op": ">", "bound": 1}, ValueError, "`value` must be a number; got NaN"),
    ({"value": 1, "op": "=>", "bound": 1}, ValueError, "`op` must be one of"),
    ({"value": np.ones(3), "op": ">", "bound": 1}, ValueError, "`value` must be a single number"),
    ({"value": 1, "op": ">", "bound": None}, TypeError, "`bound` must be a real number"),
])
def test_bad_input_names_the_parameter(kwargs, error, match):
    with pytest.raises(error, match=match):
        claim("x", **kwargs)
    with pytest.raises(ValueError, match="`tol` must be zero or positive"):
        claim_close("x", 1, 1, tol=-1)
