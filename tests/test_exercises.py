"""Every exercise check passes on its reference solution, prints "not attempted yet" on a stub, and fails a
wrong answer; show_solution prints the reference code."""

from __future__ import annotations

import json

import pytest

from course_utils import checks, solutions

NAMES = sorted(checks.CHECKS)


def test_there_are_exercises():
    assert "binary_entropy" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_passes_its_check(name, capsys):
    result = checks.CHECKS[name](getattr(solutions, name))
    out = capsys.readouterr().out
    assert result, f"{name}: {result!r}\n{out}"
    assert result.passed >= 1 and result.failed == 0
    assert "✓" in out and "✗" not in out


@pytest.mark.parametrize("name", NAMES)
def test_stub_is_not_attempted_yet(name, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise")

    result = checks.CHECKS[name](stub)
    assert not result.attempted and not result
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_wrong_answer_fails_without_crashing(name, capsys):
    def wrong(*args, **kwargs):
        return -12345.678

    result = checks.CHECKS[name](wrong)
    assert result.attempted and not result and result.failed >= 1
    assert "✗" in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_show_solution_prints_the_reference(name, capsys):
    checks.show_solution(name)
    assert f"def {name}(" in capsys.readouterr().out


def test_show_solution_rejects_unknown_names():
    with pytest.raises(ValueError, match="name 'nope' is not an exercise with a solution"):
        checks.show_solution("nope")
    with pytest.raises(TypeError, match="name must be a string"):
        checks.show_solution(3)


def test_a_buggy_attempt_is_reported_not_raised(capsys):
    def buggy(p):
        return 1 / 0

    result = checks.check_binary_entropy(buggy)
    assert result.failed == 6
    assert "raised ZeroDivisionError" in capsys.readouterr().out


def test_show_code_prints_the_source_behind_a_demo(capsys):
    from course_utils import ce_vs_mse
    from course_utils.checks import show_code

    show_code(ce_vs_mse.training_race)
    out = capsys.readouterr().out
    assert out.startswith("# course_utils.ce_vs_mse.training_race") and "def training_race(" in out
    with pytest.raises(TypeError, match="fn"):
        show_code("training_race")
    with pytest.raises(ValueError, match="course_utils"):
        show_code(json.dumps)
