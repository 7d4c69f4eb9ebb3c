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


def test_a_deck_is_linear_skips_setup_and_sends_long_code_to_the_notes():
    nb = nbtools.normalized(notebook(), URL)
    long_code = new_code_cell("\n".join(f"x{i} = {i}" for i in range(8)), execution_count=3,
                              outputs=[new_output("stream", name="stdout", text="done\n")])
    banner = new_output("stream", name="stdout", text="course_utils 0.1.0 · fast mode (COURSE_FAST=1)\n")
    nb.cells.insert(4, long_code)
    nb.cells[4].outputs.append(banner)
    deck = build_site.slide_notebook(nb)
    kinds = {c.metadata.slideshow.slide_type for c in deck.cells}
    assert "subslide" not in kinds, "a linear deck: no slide below another"
    assert not any("setup()" in c.source for c in deck.cells if c.cell_type == "code"), "the set-up cell is on a slide"
    hidden = [c for c in deck.cells if c.cell_type == "code" and c.metadata.get("transient", {}).get("remove_source")]
    assert hidden and hidden[0].source == long_code.source
    assert all("fast mode" not in o.get("text", "") for o in hidden[0].outputs)
    notes = [c.source for c in deck.cells if c.metadata.slideshow.slide_type == "notes"]
    assert any("x7 = 7" in n for n in notes), "the long code is in the speaker notes"


def test_the_teachers_question_comes_before_its_section_with_the_answer_in_a_fragment_and_the_notes():
    nb = nbtools.normalized(notebook(), URL)
    nb.cells.insert(4, new_code_cell("explore(p=1)", execution_count=5, outputs=[]))
    q = build_site.Question("01", "explore", "How many bits?", "2 bits", None)
    deck = build_site.slide_notebook(nb, q)
    sources = [c.source for c in deck.cells]
    ask = next(i for i, s in enumerate(sources) if s.startswith("## Ask the room"))
    assert "How many bits?" in sources[ask]
    assert sources[ask + 1] == "**Answer:** 2 bits" and deck.cells[ask + 1].metadata.slideshow.slide_type == "fragment"
    assert deck.cells[ask + 2].metadata.slideshow.slide_type == "notes" and "2 bits" in sources[ask + 2]
    assert sources[ask + 3].startswith("## A section"), "asked before the section that shows the explorer"


def test_the_readme_questions_are_parsed_with_their_answers():
    questions = build_site.teachers_questions()
    if not questions:
        pytest.skip("the README has no teachers' table")
    for q in questions.values():
        assert q.question and q.answer and not q.question.startswith('"')
    if "03" in questions:
        assert questions["03"].explorer == "binary_explorer" and "4.6" in questions["03"].answer


def test_a_long_markdown_cell_is_cut_into_slides_that_fit_and_tables_repeat_their_header():
    text = "## Heading\n\n" + "\n\n".join("A sentence of some length that says a little. " * 3 for _ in range(12))
    blocks = build_site._markdown_blocks(text)
    groups = build_site._group_blocks(blocks, build_site.SLIDE_HEIGHT)
    assert len(groups) > 1 and all(g[0] for g in groups)
    assert all(sum(build_site.block_height(b) for b in g[1]) <= build_site._BUDGET_PX for g in groups)
    table = "| a | b |\n|---|---|\n" + "\n".join(f"| {i} | {i * i} |" for i in range(10))
    parts = build_site._split_table(table)
    assert len(parts) == 3 and all(p.startswith("| a | b |\n|---|---|") for p in parts)


def test_a_display_formula_over_several_lines_ends_where_its_closing_dollars_are():
    """Notebook 02's irreducible loss: $$ on the first line, $$ at the end of the third; the paragraph after it
    is a block of its own (it used to be swallowed into the formula's, and the slide ran over the screen)."""
    text = "$$a = b\n= c\n+ d.$$\n\nA paragraph after the formula."
    blocks = build_site._markdown_blocks(text)
    assert blocks == ["$$a = b\n= c\n+ d.$$", "A paragraph after the formula."]
    assert build_site._markdown_blocks("$$\nx\n$$\n\nText.") == ["$$\nx\n$$", "Text."]
    assert build_site._markdown_blocks("$$x$$\n\nText.") == ["$$x$$", "Text."]


def test_a_long_list_led_by_a_paragraph_line_is_cut_between_its_items():
    """Notebook 06's "Two loose statements, made precise.": a bold line, then long items, no blank line."""
    item = "- " + "A long item that says a good deal about focal loss and its weights. " * 6
    text = "**Two loose statements, made precise.**\n" + "\n".join([item] * 3)
    pieces = build_site._markdown_blocks(text)
    assert len(pieces) > 1 and pieces[0].startswith("**Two loose")
    assert all(build_site.block_height(p) <= build_site._BUDGET_PX for p in pieces)


def test_text_printed_under_a_figure_goes_to_the_notes_when_the_slide_is_full():
    """Notebook 07's training cell: the plan, the live plot, then a line per epoch: the epoch lines leave the slide."""
    cell = nbformat.v4.new_code_cell("history, plan = budget.budgeted_fit(model, cifar)")
    figure = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    epochs = "".join(f"epoch {i}/8 ...\n" for i in range(8))
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="budget 600 s\nmeasured 700 images/s\n"),
                    nbformat.v4.new_output("display_data", data=figure),
                    nbformat.v4.new_output("stream", name="stdout", text=epochs)]
    notes = build_site._text_after_the_figure(cell)
    assert notes is not None and notes.metadata["slideshow"]["slide_type"] == "notes" and "epoch 7/8" in notes.source
    assert [o.output_type for o in cell.outputs] == ["stream", "display_data"]
    small = nbformat.v4.new_code_cell("x")
    small.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<F>"})]
    assert build_site._text_after_the_figure(small) is None and len(small.outputs) == 1
