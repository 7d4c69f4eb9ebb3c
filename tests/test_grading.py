"""Graded assignments: a student build with no reference answers, an instructor build with them, and nbgrader
assignments whose tests run the very cases of the course's checks (tools/course_builds.py)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course_builds  # noqa: E402

from course_utils import checks, solutions  # noqa: E402

NOTEBOOK = "02_cross_entropy_and_kl"


def test_every_check_hands_its_cases_to_graders():
    for name in checks.CHECKS:
        cases = checks.cases_for(name)
        assert cases and all(isinstance(c, checks.Case) for c in cases), name
        assert checks.grade(name, getattr(solutions, name)), f"the reference answer fails the grader for {name}"
    assert checks.CHECKS["kl_divergence_bits"] is checks.check_kl_divergence_bits  # cases_for left the checks alone
    assert checks.run_cases.__name__ == "run_cases"
    result = checks.grade("entropy_bits", lambda p: 0.0)
    assert not result and result.failed and result.messages
    with pytest.raises(ValueError, match="name"):
        checks.cases_for("no_such_exercise")
    with pytest.raises(TypeError, match="name"):
        checks.cases_for(3)


def test_student_build_holds_no_reference_answer(tmp_path):
    build = course_builds.build_student(tmp_path / "student")
    assert not (build / "tests").exists() and not (build / "tools").exists()
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in build.rglob("*")
             if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".txt")}
    names = course_builds.exercise_names()
    assert len(names) == len(checks.CHECKS)
    for name in names:
        body = course_builds.reference_body(name)
        last = body.strip().splitlines()[-1].strip()  # e.g. "return -np.sum(p[mask] * np.log2(q[mask]))"
        for path, text in texts.items():
            assert body not in text, f"{path} holds the reference answer of {name}"
        assert last not in texts[build / "course_utils" / "solutions.py"], name
    for path in (build / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} has outputs"
    env = {**os.environ, "PYTHONPATH": str(build), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", "from course_utils.checks import show_solution, check_entropy_bits\n"
                          "show_solution('kl_divergence_bits')\n"
                          "import numpy as np\n"
                          "check_entropy_bits(lambda p: -np.sum(p[p > 0] * np.log2(p[p > 0])))"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert course_builds.NOT_IN_BUILD in out.stdout
    assert "All 5 checks passed for entropy_bits." in out.stdout  # the checks still work without the answers


def test_instructor_build_keeps_the_answers(tmp_path):
    build = course_builds.build_instructor(tmp_path / "instructor")
    text = (build / "course_utils" / "solutions.py").read_text(encoding="utf-8")
    assert course_builds.reference_body("kl_divergence_bits") in text
    source = build / "grading" / "source" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
    assert "### BEGIN SOLUTION" in source.read_text(encoding="utf-8")


def test_assignments_grade_every_exercise_of_a_notebook(tmp_path):
    made = course_builds.build_assignments(tmp_path)
    assert made[NOTEBOOK] == ["cross_entropy_bits", "kl_divergence_bits", "mean_nll_nats"]
    graded = {name for names in made.values() for name in names}
    assert graded == set(checks.CHECKS), f"exercises no assignment grades: {set(checks.CHECKS) - graded}"
    nb = nbformat.read(tmp_path / "source" / NOTEBOOK / f"{NOTEBOOK}.ipynb", as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata.nbgrader.points for c in tests] == [1, 1, 1]
    assert all(c.metadata.nbgrader.locked for c in tests)


WRONG_KL = ("    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)\n"
            "    mask = p > 0\n"
            "    return np.sum(p[mask] * np.log(p[mask] / q[mask]))  # nats, not bits: a wrong answer")


def _submission(release: Path, dest: Path, answers: dict[str, str]) -> None:
    """A student's notebook: the released one with the given answers typed in place of the stubs."""
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id", "").removeprefix("answer_") in answers:
            answer = answers[meta["grade_id"].removeprefix("answer_")]
            stub = "    # YOUR CODE HERE\n    raise NotImplementedError()"
            assert stub in cell.source
            cell.source = cell.source.replace(stub, answer)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_nbgrader_grades_three_submissions(tmp_path):
    """Release, collect, autograde and export one assignment: reference answers get full marks, an untouched
    notebook gets zero, and one wrong answer (KL in nats instead of bits) loses exactly its point."""
    bin_dir = Path(sys.executable).parent
    nbgrader = bin_dir / "nbgrader"
    if not nbgrader.exists():
        pytest.skip("nbgrader is not installed: `make classroom-deps` installs classroom/requirements.txt")
    course = tmp_path / "grading"
    course_builds.build_assignments(course, [NOTEBOOK[:2]])
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "COURSE_FAST": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}

    def run(*args):
        out = subprocess.run([str(nbgrader), *args], cwd=course, env=env, capture_output=True, text=True,
                             timeout=600)
        assert out.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out

    run("generate_assignment", NOTEBOOK, "--force")  # the release copy: answers stripped
    release = course / "release" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
    released = release.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in released
    for name in ("cross_entropy_bits", "kl_divergence_bits", "mean_nll_nats"):
        assert course_builds.reference_body(name) not in released
    reference = {n: course_builds.reference_body(n) for n in ("cross_entropy_bits", "kl_divergence_bits",
                                                                "mean_nll_nats")}
    assert not checks.grade("kl_divergence_bits", _function(WRONG_KL, "kl_divergence_bits"))
    submissions = {"ada": reference, "ben": {}, "cy": {**reference, "kl_divergence_bits": WRONG_KL}}
    for student, answers in submissions.items():  # what `nbgrader collect` gathers into submitted/
        _submission(release, course / "submitted" / student / NOTEBOOK / f"{NOTEBOOK}.ipynb", answers)
    run("autograde", NOTEBOOK, "--force")
    run("export", "--to", str(tmp_path / "grades.csv"))
    with (tmp_path / "grades.csv").open() as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    assert scores == {"ada": (3.0, 3.0), "ben": (0.0, 3.0), "cy": (2.0, 3.0)}
    shutil.rmtree(course / "autograded", ignore_errors=True)


def _function(body: str, name: str):
    import numpy as np

    scope = {"np": np}
    exec(f"def {name}(p, q):\n{body}\n", scope)  # noqa: S102 - the test's own wrong answer
    return scope[name]
