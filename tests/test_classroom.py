"""Classroom mode: COURSE_PROJECTOR=1, or setup(projector=True), gives large fonts and thick lines."""

from __future__ import annotations

import matplotlib as mpl
import pytest

import course_utils

SIZES = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
         "legend.fontsize", "lines.linewidth")


def _style(monkeypatch, env: str | None = None, **kwargs) -> dict:
    if env is None:
        monkeypatch.delenv("COURSE_PROJECTOR", raising=False)
    else:
        monkeypatch.setenv("COURSE_PROJECTOR", env)
    with mpl.rc_context():
        state = course_utils.setup(quiet=True, **kwargs)
        return {"projector": state["projector"], **{k: mpl.rcParams[k] for k in SIZES},
                "figure.figsize": tuple(mpl.rcParams["figure.figsize"])}


@pytest.fixture
def normal(monkeypatch):
    return _style(monkeypatch)


@pytest.mark.parametrize("how", ["env", "argument"])
def test_projector_mode_enlarges_fonts_and_lines(monkeypatch, normal, how):
    big = _style(monkeypatch, "1") if how == "env" else _style(monkeypatch, projector=True)
    assert big["projector"] and not normal["projector"]
    for key in SIZES:
        assert big[key] >= 1.3 * normal[key], f"{key}: {big[key]} is not much larger than {normal[key]}"
    assert big["font.size"] >= 16, "projector text must read from the back of a room"
    assert big["figure.figsize"][0] > normal["figure.figsize"][0]


def test_the_argument_wins_over_the_environment(monkeypatch, normal):
    assert _style(monkeypatch, "1", projector=False) == normal


@pytest.mark.parametrize("value", ["0", "", "no"])
def test_projector_mode_is_off_unless_asked(monkeypatch, normal, value):
    assert _style(monkeypatch, value) == normal
