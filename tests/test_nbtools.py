"""The delivery tools on small synthetic notebooks (no kernel): the normaliser, the site's link rewriting,
and the figures' alt text."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402
import figure_alt  # noqa: E402
import nbtools  # noqa: E402

URL = "https://github.com/example/course"


def notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# 01 · A title\n\n**You will learn to** count."),
        new_code_cell("import course_utils\n\ncourse_utils.setup()", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="course_utils 0.1.0\n")],
                      metadata={"ExecuteTime": {"end_time": "x"}, "scrolled": True}),
        new_markdown_cell("## A section"),
        new_markdown_cell("Predict first."),
        new_code_cell("1 + 1", execution_count=2, outputs=[new_output("execute_result", data={"text/plain": "2"},
                                                                       execution_count=2)]),
        new_markdown_cell("### A subsection"),
        new_markdown_cell("Teacher: pause here.", metadata={"slideshow": {"slide_type": "notes"}}),
        new_markdown_cell("## Summary\n\n## References"),
    ]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_normalize_strips_outputs_counts_and_volatile_metadata():
    nb = nbtools.normalized(notebook(), URL)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert not {"ExecuteTime", "scrolled"} & set(cell.metadata)
    assert "widgets" not in nb.metadata and nb.metadata["kernelspec"]["name"] == "python3"
    nbformat.validate(nb)


def test_normalize_puts_the_colab_cell_first_among_code_cells():
    nb = nbtools.normalized(notebook(), URL)
    assert nb.cells[0].cell_type == "markdown"  # the title stays on top
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert nbtools.is_colab_cell(first_code)
    assert first_code.source == nbtools.colab_cell_source(URL) and f"git+{URL}" in first_code.source
    assert "setup()" in nb.cells[2].source  # course_utils.setup() comes right after it


def test_normalize_is_idempotent_and_follows_a_new_url():
    once = nbtools.normalized(notebook(), URL)
    assert nbtools.dumps(nbtools.normalized(once, URL)) == nbtools.dumps(once)
    assert nbtools.problems(once, URL) == []
    moved = nbtools.normalized(once, "https://github.com/example/moved")
    assert sum(nbtools.is_colab_cell(c) for c in moved.cells) == 1
    assert "example/moved" in next(c for c in moved.cells if nbtools.is_colab_cell(c)).source
    assert nbtools.problems(once, "https://github.com/example/moved")  # a stale URL is caught


def test_slide_types_are_deterministic():
    nb = nbtools.normalized(notebook(), URL)
    types = [(c.source.splitlines()[0] if c.source else "", c.metadata.slideshow.slide_type) for c in nb.cells]
    assert [t for _, t in types] == ["slide", "skip", "fragment", "slide", "-", "fragment", "subslide", "notes",
                                     "slide"]


def test_problems_name_what_is_wrong():
    found = " / ".join(nbtools.problems(notebook(), URL))
    for words in ("carry outputs", "execution counts", "Colab cell", "slide metadata"):
        assert words in found


def test_repository_url_comes_from_pyproject(tmp_path):
    assert nbtools.repository_url().startswith("https://")
    fake = tmp_path / "pyproject.toml"
    fake.write_text('[project]\nname = "x"\n\n[project.urls]\nRepository = "https://example.org/r"\n')
    assert nbtools.repository_url(fake) == "https://example.org/r"


def test_check_command_fails_on_a_dirty_notebook_and_normalize_fixes_it(tmp_path, capsys):
    path = tmp_path / "01_a.ipynb"
    nbformat.write(notebook(), path)
    assert nbtools.main(["check", str(path)]) == 1
    assert nbtools.main(["normalize", str(path)]) == 0
    assert nbtools.main(["check", str(path)]) == 0
    assert path.read_text().endswith("\n")
    assert "normalized" in capsys.readouterr().out


def test_site_links_point_to_pages_and_repository_files():
    page = ('<a href="02_next.ipynb#part">n</a> <a href="../course_utils/info.py">c</a> '
            '<img src="../figures/x.png"> <a href="https://x.org">w</a> <a href="#top">t</a>')
    out = build_site.rewrite_links(page, {"02_next.ipynb"}, URL)
    assert 'href="02_next.html#part"' in out
    assert f'href="{URL}/blob/main/course_utils/info.py"' in out
    assert 'src="../figures/x.png"' in out and 'href="https://x.org"' in out and 'href="#top"' in out
    slides = build_site.rewrite_links(page, {"02_next.ipynb"}, URL, pages_dir="../notebooks/")
    assert 'href="../notebooks/02_next.html#part"' in slides


def test_prompts_start_at_one_once_the_colab_cell_is_left_out():
    nb = nbtools.normalized(notebook(), URL)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = i + 1
    shown = build_site._prepare(nb)
    assert [c.execution_count for c in shown.cells if c.cell_type == "code"] == [1, 2]


@pytest.fixture
def figure():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], [1, 0], label="H(p)")
    a.set(title="entropy of a coin", xlabel="p (probability of heads)", ylabel="H (bits)")
    a.legend()
    b.bar([0, 1], [0.5, 0.5])
    fig.suptitle("Two views")
    yield fig
    plt.close(fig)


def test_alt_text_describes_the_figure(figure):
    alt = figure_alt.describe(figure)
    assert alt.startswith("Figure \u2014 Two views with 2 panels")
    panel = '"entropy of a coin", H (bits) against p (probability of heads), 1 line, legend: H(p)'
    assert alt.endswith(f": {panel}; 2 bars")
    figure.alt_text = "A falling line."
    assert figure_alt.describe(figure) == "A falling line."


def test_alt_text_reaches_the_png_metadata(figure):
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib_inline.backend_inline import configure_inline_support

    shell = InteractiveShell.instance()
    try:
        figure_alt.install(shell)
        configure_inline_support(shell, "module://matplotlib_inline.backend_inline")  # registers after us
        data, md = shell.display_formatter.format(figure)
        assert "image/png" in data
        assert md["image/png"]["alt"] == figure_alt.describe(figure)
    finally:
        InteractiveShell.clear_instance()
