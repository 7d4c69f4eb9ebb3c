"""claim(): a notebook sentence checked by the numbers beside it (issue 11, section 3)."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.claims import ClaimError, claim


def test_a_true_claim_prints_a_tick_with_its_numbers(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    assert claim("the over-confident model has the worst NLL", 2.419 > max(1.596, 2.302),
                 over_confident=2.419, calibrated=1.596, frequencies=2.302) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ the over-confident model has the worst NLL")
    assert "over_confident = 2.419" in out and "calibrated = 1.596" in out and "frequencies = 2.302" in out


def test_numpy_bools_and_numbers_are_accepted(capsys):
    assert claim("NumPy comparisons work", np.float64(1.0) < np.float64(2.0), a=np.float64(1.0), n=np.int64(3000))
    out = capsys.readouterr().out
    assert "a = 1" in out and "n = 3,000" in out


def test_a_false_claim_raises_quoting_the_statement_and_the_numbers(monkeypatch):
    """Issue 11, item 1: this sentence would have failed CI."""
    monkeypatch.delenv("COURSE_FAST", raising=False)
    nll = {"class frequencies": 2.302, "calibrated": 1.596, "logits × 3": 2.419}
    statement = "the class-frequency answer has the worst NLL of the three"
    with pytest.raises(ClaimError) as err:
        claim(statement, nll["class frequencies"] > max(nll["calibrated"], nll["logits × 3"]), **nll)
    message = str(err.value)
    assert statement in message
    assert "2.302" in message and "1.596" in message and "2.419" in message
    assert isinstance(err.value, AssertionError)  # a failed claim fails a notebook and a test alike


def test_full_only_claims_are_skipped_in_fast_mode_and_say_so(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert claim("the real run reaches 90 % accuracy", False, full_only=True, accuracy=0.31) is False
    out = capsys.readouterr().out
    assert "(checked in full mode only)" in out and "the real run reaches 90 % accuracy" in out
    assert "✓" not in out


def test_full_only_claims_are_checked_in_full_mode(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "0")
    assert claim("the real run reaches 90 % accuracy", True, full_only=True, accuracy=0.93) is True
    assert capsys.readouterr().out.startswith("✓")
    with pytest.raises(ClaimError, match="90 % accuracy"):
        claim("the real run reaches 90 % accuracy", False, full_only=True, accuracy=0.31)


@pytest.mark.parametrize("statement, condition, kwargs", [
    ("", True, {}),                                  # an empty sentence
    ("   ", True, {}),
    (42, True, {}),                                  # not a str
    ("a sentence", 1, {}),                           # a number is not a condition
    ("a sentence", np.array([True, False]), {}),     # an array is not one condition
    ("a sentence", None, {}),
    ("a sentence", True, {"full_only": "yes"}),      # full_only must be a bool
])
def test_bad_arguments_raise_type_error(statement, condition, kwargs):
    with pytest.raises(TypeError):
        claim(statement, condition, **kwargs)
