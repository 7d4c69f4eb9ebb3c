"""Every notebook: valid, committed clean, with the course's skeleton, the Colab cell and slide metadata, links
that resolve, and a top-to-bottom run in a fresh kernel in fast mode with no error.

Generic over notebooks/NN_*.ipynb: a new notebook is covered as soon as it lands. The notebooks are executed
once per test run by the ``executed_notebooks`` fixture (tests/conftest.py), shared with tests/test_site.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbtools  # noqa: E402
from build_site import notebook_paths  # noqa: E402

NOTEBOOKS = notebook_paths()  # COURSE_NOTEBOOKS_DIR=... runs these tests on copies
ids = [p.stem for p in NOTEBOOKS]
each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def markdown(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_notebook_names_follow_the_convention():
    for path in (NOTEBOOKS[0].parent if NOTEBOOKS else ROOT / "notebooks").glob("*.ipynb"):
        assert re.fullmatch(r"\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb", path.name), f"{path.name}: use NN_snake_case"


@each_notebook
def test_valid_nbformat(path):
    nbformat.validate(read(path))


@each_notebook
def test_committed_without_outputs_or_execution_counts(path):
    nb = read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
    assert not with_outputs, f"cells {with_outputs} carry outputs: run `python tools/nbtools.py normalize`"
    assert all(c.execution_count is None for c in code), "execution counts left in: run the normaliser"
    assert "widgets" not in nb.metadata, "widget state left in the metadata: run the normaliser"


@each_notebook
def test_skeleton_title_objectives_summary_references(path):
    nb = read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and re.match(r"#\s+\S", first.source), "the first cell must be a # title"
    text = markdown(nb)
    assert re.search(r"objectives|you will", text, re.I), "no learning objectives"
    headings = re.findall(r"^#{2,3}\s+(.+)$", text, re.M)
    assert any(re.search(r"summary", h, re.I) for h in headings), "no Summary section"
    assert any(re.search(r"references|further reading", h, re.I) for h in headings), "no References section"


@each_notebook
def test_setup_comes_after_the_colab_cell(path):
    code = [c for c in read(path).cells if c.cell_type == "code"]
    calls = [i for i, c in enumerate(code) if re.search(r"\bsetup\(", c.source)]
    assert calls, "course_utils.setup() is never called"
    assert nbtools.is_colab_cell(code[0]) and calls[0] > 0, "the Colab cell must come before course_utils.setup()"


LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:href|src)=[\"']([^\"']+)[\"']")


@each_notebook
def test_links_point_to_notebooks_and_files_that_exist(path):
    missing = []
    for target in (a or b for a, b in LINK.findall(markdown(read(path)))):
        if re.match(r"^([a-z][a-z0-9+.-]*:|#)", target, re.I):
            continue  # web links and anchors in the page
        file = unquote(target.split("#")[0].split("?")[0])
        if file and not (path.parent / file).exists():
            missing.append(target)
    assert not missing, f"links to files that do not exist: {missing}"


@each_notebook
def test_colab_cell_is_first_and_installs_from_pyprojects_repository(path):
    nb = read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    url = nbtools.repository_url()
    assert nbtools.is_colab_cell(code[0]), "the first code cell must be the Colab cell: run the normaliser"
    assert code[0].source.rstrip("\n") == nbtools.colab_cell_source(url)
    assert f"git+{url}" in code[0].source
    assert sum(nbtools.is_colab_cell(c) for c in nb.cells) == 1


@each_notebook
def test_slide_metadata_is_present_and_normalised(path):
    nb = read(path)
    types = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert None not in types, "cells without slide metadata: run `python tools/nbtools.py normalize`"
    assert types[0] == "slide"
    assert nbtools.problems(nb) == []


@pytest.mark.notebook
@pytest.mark.slow
@each_notebook
def test_runs_top_to_bottom_in_fast_mode(path, executed_notebooks):
    result = executed_notebooks[path.name]
    assert result.error is None, f"{path.name} failed after {result.seconds:.0f} s:\n{result.error}"
    nb = read(result.path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"error outputs: {[e.ename for e in errors]}"


# --- the Colab cell itself (no notebook needed) ---
def _run_colab_cell(modules: dict) -> list[tuple[str, str]]:
    """Run the Colab cell as IPython would, with ``sys.modules`` faked; return the line magics it called."""
    import builtins

    from IPython.core.inputtransformer2 import TransformerManager

    calls = []

    class Shell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    fake_sys = type(sys)("sys")
    fake_sys.modules = modules

    def fake_import(name, *args, **kwargs):
        return fake_sys if name == "sys" else builtins.__import__(name, *args, **kwargs)

    code = TransformerManager().transform_cell(nbtools.colab_cell_source())
    namespace = {"__builtins__": dict(vars(builtins), __import__=fake_import), "get_ipython": Shell}
    exec(compile(code, "<colab cell>", "exec"), namespace)
    return calls


def test_colab_cell_does_nothing_off_colab():
    assert _run_colab_cell({"IPython": object()}) == []


def test_colab_cell_installs_the_package_on_colab():
    calls = _run_colab_cell({"google.colab": object()})
    assert len(calls) == 1 and calls[0][0] == "pip"
    assert f"git+{nbtools.repository_url()}" in calls[0][1] and "--no-deps" in calls[0][1]


def test_colab_cell_is_short():
    assert len(nbtools.colab_cell_source().splitlines()) <= 5


BINDER_MEMORY_MIB = 2048


@pytest.mark.notebook
@each_notebook
def test_fits_binders_memory_in_fast_mode(path, executed_notebooks):
    """A floor for the full-mode figure that benchmarks/notebook_memory.py measures (see test_binder.py)."""
    peak = executed_notebooks[path.name].peak_rss_mib
    if peak is None:
        pytest.skip("peak memory is read from /proc (Linux only)")
    assert peak < BINDER_MEMORY_MIB, f"the kernel peaked at {peak:.0f} MiB in fast mode; Binder gives 2 GB"


@each_notebook
def test_launch_badges_open_this_notebook_in_pyprojects_repository(path):
    slug = nbtools.repository_url().removeprefix("https://github.com/").rstrip("/")
    text = markdown(read(path))
    colab = re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"']+", text)
    binder = re.findall(r"https://mybinder\.org/v2/gh/[^)\s\"']+", text)
    for url in colab:
        assert url == f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/{path.name}", url
    for url in binder:
        assert url.startswith(f"https://mybinder.org/v2/gh/{slug}/main?"), url
        assert unquote(url).endswith(f"notebooks/{path.name}"), f"the Binder badge opens another file: {url}"
