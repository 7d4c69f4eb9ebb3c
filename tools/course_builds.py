"""A class's builds of the course: one for students (no reference answers anywhere), one for the instructor,
and nbgrader assignments made from the course's own exercises.

    python tools/course_builds.py student build/student          # make student-build
    python tools/course_builds.py instructor build/instructor    # make instructor-build
    python tools/course_builds.py assignments build/grading      # make assignments

- **student**: the notebooks (exercise stubs, no outputs) and ``course_utils`` with ``solutions.py`` replaced:
  each exercise's entry there says the answers are not in this build, so ``show_solution(name)`` prints that.
  Push this folder to the repository the students' nbgitpuller links pull from, and install it in the hub's
  image (``pip install ./build/student``).
- **instructor**: the whole course, reference answers included, plus the nbgrader course folder.
- **assignments**: an nbgrader course folder (``nbgrader_config.py``, ``source/<notebook>/<notebook>.ipynb``).
  Each exercise stub becomes an nbgrader answer cell whose reference answer (from ``solutions.py``) sits between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``, and is followed by a locked test cell worth one point:
  ``assert grade(name, fn)``, which runs the learner's function on the very cases its ``check_*`` runs
  (``course_utils.checks.cases_for``). ``nbgrader generate_assignment`` strips the answers for release.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
#: what a student's copy of the course holds (tests, tools and benchmarks stay with the instructor)
STUDENT_PATHS = ("README.md", "LICENSE", "LICENSE-content", "CITATION.cff", "requirements.txt", "pyproject.toml",
                 "binder", "course_utils", "notebooks", "figures")
NOT_IN_BUILD = "Reference answers are not in the student build of the course: ask your teacher."
STUB = re.compile(r'^(?P<indent>[ \t]*)raise NotImplementedError\("Exercise [0-9.]+"\).*$', re.M)
STUDENT_SOLUTIONS = '''"""Reference answers: not in this build.

This is the student build of the course: each exercise's reference answer is kept by the teacher, so
``show_solution(name)`` prints the lines below instead. Your ``check_*`` calls still tell you, case by case,
whether your answer is right.
"""

from __future__ import annotations
'''


def tracked_files(root: Path = ROOT) -> list[str]:
    """The repository's tracked files (as they are on disk), or every file when it is not a git checkout."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True).stdout
        return [n for n in out.decode().split("\0") if n and (root / n).is_file()]
    except (subprocess.CalledProcessError, FileNotFoundError):
        return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]


def _copy(names: list[str], dest: Path) -> None:
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)


def exercise_names() -> list[str]:
    """Every exercise with a check and a reference answer, in the order of ``solutions.py``."""
    from course_utils import checks, solutions

    return [n for n, fn in vars(solutions).items() if inspect.isfunction(fn) and n in checks.CHECKS]


def student_solutions_source() -> str:
    """The student build's ``solutions.py``: each exercise's name, with no answer in it."""
    from course_utils import solutions

    parts = [STUDENT_SOLUTIONS]
    for name in exercise_names():
        sig = inspect.signature(getattr(solutions, name))
        parts.append(f'\n\ndef {name}{sig}:\n    """{NOT_IN_BUILD}"""\n'
                     f'    raise NotImplementedError({NOT_IN_BUILD!r})\n')
    return "".join(parts)


def build_student(dest: Path) -> Path:
    """Write the student build to ``dest`` (replaced if it exists)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    names = [n for n in tracked_files() if n.split("/")[0] in STUDENT_PATHS]
    _copy(names, dest)
    (dest / "course_utils" / "solutions.py").write_text(student_solutions_source(), encoding="utf-8")
    for path in sorted((dest / "notebooks").glob("*.ipynb")):  # committed clean; made sure of here
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, path)
    return dest


def build_instructor(dest: Path) -> Path:
    """Write the instructor build to ``dest``: the whole course, answers included, and the nbgrader folder."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    _copy(tracked_files(), dest)
    build_assignments(dest / "grading")
    return dest


def reference_body(name: str) -> str:
    """The reference answer's body (its statements after the docstring), indented as in ``solutions.py``."""
    from course_utils import solutions

    source = textwrap.dedent(inspect.getsource(getattr(solutions, name)))
    fn = ast.parse(source).body[0]
    body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else fn.body
    lines = source.splitlines()
    return "\n".join(lines[body[0].lineno - 1: body[-1].end_lineno])


def _stub_name(source: str) -> str | None:
    """The exercise a code cell holds: the function whose body raises NotImplementedError("Exercise N.M")."""
    if not STUB.search(source):
        return None
    defs = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    for fn in defs:
        if any(isinstance(s, ast.Raise) and "NotImplementedError" in ast.unparse(s) for s in fn.body):
            return fn.name
    return None


def _check_signature(name: str, cell_source: str) -> None:
    from course_utils import solutions

    stub = next(n for n in ast.parse(cell_source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    ref = ast.parse(textwrap.dedent(inspect.getsource(getattr(solutions, name)))).body[0]
    if [a.arg for a in stub.args.args] != [a.arg for a in ref.args.args]:
        raise ValueError(f"exercise {name}: the notebook's arguments differ from solutions.py's")


def answer_cell_source(cell_source: str, name: str) -> str:
    """The stub cell with its ``raise`` line replaced by the reference answer between nbgrader's markers."""
    _check_signature(name, cell_source)
    match = STUB.search(cell_source)
    indent = match.group("indent")
    body = textwrap.indent(textwrap.dedent(reference_body(name)), indent)
    block = f"{indent}### BEGIN SOLUTION\n{body}\n{indent}### END SOLUTION"
    return cell_source[:match.start()] + block + cell_source[match.end():]


def test_cell_source(name: str) -> str:
    """The locked grader cell after an exercise: the learner's function on its check's own cases."""
    return (f"# Graded: {name} on the same cases as check_{name} (one point when every case passes).\n"
            f"from course_utils.checks import grade\n\n"
            f"result = grade({name!r}, {name})\n"
            f"assert result, \"\\n\".join(result.messages) or \"{name} is not attempted yet\"")


def _meta(**kwargs) -> dict:
    base = {"schema_version": 3, "solution": False, "grade": False, "locked": False, "task": False}
    return {"nbgrader": {**base, **kwargs}}


def assignment_notebook(path: Path) -> tuple[nbformat.NotebookNode, list[str]]:
    """An nbgrader source notebook made from a course notebook, and the exercises graded in it."""
    from course_utils import checks

    nb = nbformat.read(path, as_version=4)
    cells, graded = [], []
    for cell in nb.cells:
        name = _stub_name(cell.source) if cell.cell_type == "code" else None
        if name is None or name not in checks.CHECKS:
            cells.append(cell)
            continue
        cell.source = answer_cell_source(cell.source, name)
        cell.metadata.update(_meta(solution=True, grade_id=f"answer_{name}"))
        test = nbformat.v4.new_code_cell(test_cell_source(name))
        test.metadata.update(_meta(grade=True, locked=True, points=1, grade_id=f"test_{name}"))
        cells += [cell, test]
        graded.append(name)
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells = cells
    return nb, graded


NBGRADER_CONFIG = '''"""nbgrader's configuration for the cross-entropy course (tools/course_builds.py wrote it)."""

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "cross-entropy-course"
c.CourseDirectory.root = __file__.rsplit("/", 1)[0]
c.CourseDirectory.db_url = "sqlite:///" + c.CourseDirectory.root + "/gradebook.db"
c.Execute.timeout = 600            # CIFAR-10 notebooks train in fast mode (set COURSE_FAST=1 when grading)
c.ExecutePreprocessor.timeout = 600
'''


def build_assignments(dest: Path, notebooks: list[str] | None = None) -> dict[str, list[str]]:
    """Write an nbgrader course folder to ``dest``: one assignment per notebook with exercises, named after it.
    Returns {assignment: graded exercises}."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "nbgrader_config.py").write_text(NBGRADER_CONFIG, encoding="utf-8")
    made = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if notebooks and path.stem[:2] not in notebooks and path.stem not in notebooks:
            continue
        nb, graded = assignment_notebook(path)
        if not graded:
            continue
        folder = dest / "source" / path.stem
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / path.name)
        made[path.stem] = graded
    return made


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", choices=("student", "instructor", "assignments"))
    ap.add_argument("dest", type=Path, help="the folder to write (replaced)")
    ap.add_argument("--notebooks", nargs="*", help="assignments only for these notebooks (e.g. 02 05)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.build == "student":
        print(f"student build (no reference answers): {build_student(args.dest)}")
    elif args.build == "instructor":
        print(f"instructor build (reference answers, nbgrader folder in grading/): {build_instructor(args.dest)}")
    else:
        for name, graded in build_assignments(args.dest, args.notebooks).items():
            print(f"{name}: {len(graded)} graded exercises ({', '.join(graded)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
