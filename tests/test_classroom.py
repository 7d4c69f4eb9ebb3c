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


def test_teachers_guide_covers_every_notebook_with_its_own_time():
    import re
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    guide = readme[readme.index("## For teachers"):]
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        row = re.search(rf"^\| {path.name[:2]} \|.*\| (\d+) min \|$", guide, re.M)
        assert row, f"the teacher's guide has no row for {path.name}"
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        minutes = re.search(r"\*\*Time:\*\*\s*about (\d+) minutes", text)
        if minutes:
            assert row.group(1) == minutes.group(1), f"{path.name}: {minutes.group(1)} min, the guide: {row.group(1)}"
