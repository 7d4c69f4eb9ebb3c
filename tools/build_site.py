"""Build the course's static site: execute every notebook, render HTML pages and slide decks under site/.

    python tools/build_site.py                      # execute (full mode) and render pages + slides
    COURSE_FAST=1 python tools/build_site.py        # the same in fast mode (seconds for the CIFAR-10 notebooks)
    python tools/build_site.py --to slides          # only the slide decks
    python tools/build_site.py --executed DIR       # render notebooks already executed into DIR (no kernel)

What comes out (site/ is git-ignored):

    site/index.html                  the table of contents, with links to each page and its slides
    site/notebooks/NN_name.html      one page per notebook, with previous/next navigation
    site/slides/NN_name.slides.html  one reveal.js deck per notebook
    site/figures/                    a copy of figures/, for the images the notebooks' markdown shows

    site/vendor/                     reveal.js, MathJax, the widget renderer and RequireJS (tools/vendor.py):
                                     no page loads anything from another machine

Each notebook runs top to bottom in a fresh kernel, in notebooks/ as its working directory. The widgets'
state is stored in the executed notebook, so each explorer shows its initial view on the page and in the deck,
offline; every explorer also has a static figure next to it. Every figure gets alt text (see
tools/figure_alt.py). The Colab cell is left out of pages and slides.

The decks are built for a room (see slide_notebook): 1280x720 slides, body text 30 px, code 28 px, one idea
per slide, a linear deck (space, PageDown or → walk every slide), the teachers' question of the README on
its own slide with the answer in a fragment and in the speaker notes (press S). ``COURSE_PROJECTOR=1``
executes the notebooks in projector mode, whose larger figure text is what the decks want; the pages are
fine either way.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import vendor  # noqa: E402
from nbtools import COLAB_TAG, repository_url  # noqa: E402

NOTEBOOKS = Path(os.environ.get("COURSE_NOTEBOOKS_DIR", ROOT / "notebooks"))  # another folder: for trying tools
TEMPLATES = ROOT / "tools" / "site_templates"
FIGURE_ALT = ROOT / "tools" / "figure_alt.py"
NOTEBOOKS_WITH_SLIDES_REQUIRED = ("01", "02", "05", "07")  # the decks a teacher needs at least


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def title_of(nb: nbformat.NotebookNode, default: str) -> str:
    """The text of the notebook's first ``#`` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*$", cell.source, re.M)
            if match:
                return re.sub(r"[*_`]", "", match.group(1))
    return default


# --- executing ---
@dataclass
class Executed:
    """One executed notebook: where its executed copy is, how long it took, and the error if it failed."""

    source: Path
    path: Path
    seconds: float
    error: str | None = None
    peak_rss_mib: float | None = None  # the kernel's high-water mark of resident memory (Linux only)


def proc_status_kib(pid: int, key: str) -> int | None:
    """A memory field of /proc/<pid>/status (``"VmRSS"``, ``"VmHWM"``, ...), in KiB; None off Linux or
    once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM of a process, in MiB: its peak resident memory so far (None off Linux)."""
    kib = proc_status_kib(pid, "VmHWM")
    return None if kib is None else kib / 1024


def kernel_env(fast: bool, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: ours, with fast mode on or off, inline figures, and ``extra`` on top."""
    env = dict(os.environ)
    env["COURSE_FAST"] = "1" if fast else "0"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures inline, whatever the caller uses
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def make_client(nb: nbformat.NotebookNode, *, timeout: int, startup: tuple[str, ...] = (), **kwargs):
    """An nbclient NotebookClient that stores the widgets' state and gives every figure alt text;
    ``startup`` lines run in the kernel before the first cell."""
    from nbclient import NotebookClient

    lines = [f"__import__('runpy').run_path({str(FIGURE_ALT)!r})['install']()", *startup]
    return NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the working directory, as in Jupyter
        store_widget_state=True,
        record_timing=False,
        # The kernel's own log stays quiet (its "running over TCP without encryption" notice, once per notebook,
        # is about a loopback socket the build opens and closes itself); errors still show.
        extra_arguments=["--IPKernelApp.log_level=ERROR", *(f"--IPKernelApp.exec_lines={line}" for line in lines)],
        **kwargs,
    )


async def _execute_one(src: Path, out_dir: Path, fast: bool, timeout: int, sem: asyncio.Semaphore,
                       extra_env: dict[str, str] | None) -> Executed:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    async with sem:
        nb = nbformat.read(src, as_version=4)
        peak = {}

        def on_start(**_):
            process = getattr(getattr(client.km, "provisioner", None), "process", None)
            peak["pid"] = getattr(process, "pid", None)

        def on_cell(**_):  # after each code cell, while the kernel is alive (VmHWM only grows)
            if peak.get("pid"):
                peak["mib"] = peak_rss_mib(peak["pid"]) or peak.get("mib")

        client = make_client(nb, timeout=timeout, on_notebook_start=on_start, on_cell_executed=on_cell)
        dest = out_dir / src.name
        start = time.perf_counter()
        error = None
        try:
            await client.async_execute(env=kernel_env(fast, extra_env))
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
            error = f"{type(err).__name__}: {err}"
        except Exception as err:  # noqa: BLE001 - a broken kernel must fail this notebook only
            error = f"{type(err).__name__}: {err}"
        seconds = time.perf_counter() - start
        nbformat.write(nb, dest)
        return Executed(src, dest, seconds, error, peak.get("mib"))


def execute_all(paths: list[Path], out_dir: Path, *, fast: bool, workers: int = 1, timeout: int | None = None,
                extra_env: dict[str, str] | None = None, log=print) -> dict[str, Executed]:
    """Execute each notebook once, in a fresh kernel, into ``out_dir``; ``workers`` kernels at a time;
    ``extra_env`` is added to the kernels' environment (e.g. ``COURSE_CHECKPOINTS``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    timeout = timeout or (300 if fast else 3600)

    async def run():
        sem = asyncio.Semaphore(max(1, workers))
        tasks = [_execute_one(p, out_dir, fast, timeout, sem, extra_env) for p in paths]
        done = {}
        for coro in asyncio.as_completed(tasks):
            result = await coro
            done[result.source.name] = result
            rss = f"{result.peak_rss_mib:6.0f} MiB" if result.peak_rss_mib else ""
            log(f"  executed {result.source.name:40s} {result.seconds:6.1f} s {rss}"
                + (f"  FAILED: {result.error.splitlines()[0]}" if result.error else ""))
        return done

    done = asyncio.run(run())
    return {p.name: done[p.name] for p in paths}


# --- rendering ---
def _repo_blob(url: str) -> str:
    return url.rstrip("/") + "/blob/main/"


def rewrite_links(page: str, names: set[str], repo: str, pages_dir: str = "") -> str:
    """Links between notebooks point to their pages; other relative links point to the repository's files
    (figures/ is copied into the site, so its images stay relative)."""

    def fix(match: re.Match) -> str:
        attr, target = match.group(1), html.unescape(match.group(2))
        if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.I) or target.split("#")[0].endswith(".html"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        anchor = f"#{anchor}" if anchor else ""
        name = Path(path).name
        if path.endswith(".ipynb") and name in names and not path.startswith(".."):
            new = pages_dir + name[: -len(".ipynb")] + ".html" + anchor
        elif path.startswith(("../figures/", "../site/", "../vendor/")):
            new = target
        else:
            resolved = os.path.normpath(os.path.join("notebooks", path))
            if resolved.startswith(".."):
                return match.group(0)
            new = _repo_blob(repo) + resolved.replace(os.sep, "/") + anchor
        return f'{attr}="{html.escape(new, quote=True)}"'

    page = re.sub(r'\b(href|src)="([^"]*)"', fix, page)
    return offline_images(page)


def offline_images(page: str) -> str:
    """An image from another site (the Binder and Colab badges) becomes its alt text, so that opening a page
    sends no request off the machine; the link around it still works."""

    def text(match: re.Match) -> str:
        alt = re.search(r'\balt="([^"]*)"', match.group(0))
        return f'<span class="course-badge">{alt.group(1) if alt else "link"}</span>'

    return re.sub(r'<img\b[^>]*\bsrc="https?://[^"]*"[^>]*>', text, page)


def _nav(pages: list[tuple[str, str]], i: int) -> str:
    prev_link = (f'<a rel="prev" href="{pages[i - 1][0]}.html">&larr; {html.escape(pages[i - 1][1])}</a>'
                 if i else "<span></span>")
    next_link = (f'<a rel="next" href="{pages[i + 1][0]}.html">{html.escape(pages[i + 1][1])} &rarr;</a>'
                 if i + 1 < len(pages) else "<span></span>")
    deck = f'<a href="../slides/{pages[i][0]}.slides.html">slides</a>'
    return (f'<nav class="course-nav" aria-label="course navigation">{prev_link}'
            f'<a href="../index.html">contents</a> {deck}{next_link}</nav>')


def _prepare(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Leave out the Colab cell (noise for a reader) and renumber the prompts so that they start at 1."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if COLAB_TAG not in c.get("metadata", {}).get("tags", [])]
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if "execution_count" in out:
                    out.execution_count = count
    return nb


# --- slides: one idea per slide, at a size a back row reads ---
#: The slide's size in CSS pixels (reveal.js scales it to the screen; at 1280x720 one CSS px is one screen px).
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
#: What the decks' CSS gives (tools/site_templates/course_reveal): the estimate below must agree with it.
_LINE_PX = {"text": 41, "code": 38, "h1": 70, "h2": 60, "h3": 52}
_CHARS_PER_LINE = {"text": 70, "code": 64, "h1": 36, "h2": 44, "h3": 52}
_BUDGET_PX = 520  # of the 720: room for the slide's padding, margins and the estimate's error
_FIGURE_PX = 520  # the tallest a figure may be drawn on a slide (CSS max-height, same number)
_SHORT_CODE = (3, 64 * 2)  # at most 3 lines and 128 characters: shown on the slide; longer code goes to the notes
#: Outputs left off slides (they stay on the pages): fast-mode banners, progress bars, stderr.
_NOT_ON_SLIDES = re.compile(r"STAND-IN DATA|fast mode|COURSE_FAST|\d+%\|", re.I)
QUESTION_TAG = "ask-the-room"  # a cell the teachers' question goes before (when the README names no explorer)


@dataclass
class Question:
    """One row of the README's teachers' table: the explorer to show, the question, its answer."""

    number: str
    explorer: str | None
    question: str
    answer: str
    section: str | None  # "3": the section the question belongs to, when the row names one


def teachers_questions(readme: Path = ROOT / "README.md") -> dict[str, Question]:
    """Notebook number -> its question, from the README's "For teachers" table (the one source of the questions)."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    table = text.partition("## For teachers")[2].partition("\n## ")[0]
    found = {}
    for line in table.splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) < 4 or not re.fullmatch(r"\d\d", cols[0]):
            continue
        match = re.match(r'^"(.+?)"\s*\((.+)\)\s*$', cols[2])
        if not match:
            continue
        explorer = re.search(r"`(\w+)\(", cols[1])
        section = re.findall(r"section (\d+)", match.group(2)) or re.findall(r"section (\d+)", cols[1])
        found[cols[0]] = Question(cols[0], explorer and explorer.group(1), match.group(1), match.group(2),
                                  section[-1] if section else None)
    return found


def _markdown_blocks(source: str) -> list[str]:
    """Split Markdown at blank lines, keeping fenced code and $$ display math whole; each heading is a block."""
    blocks, current, fence, math = [], [], False, False
    for line in source.splitlines():
        stripped = line.strip()
        if not fence and not math and re.match(r"#{1,6}\s", stripped):
            if current:
                blocks.append("\n".join(current))
            blocks.append(line)
            current = []
            continue
        if stripped.startswith("```"):
            fence = not fence
        elif math:  # a display ends on the line that ends with $$ (it may hold the end of the formula)
            math = not stripped.endswith("$$")
        elif stripped.startswith("$$") and not (stripped.endswith("$$") and len(stripped) > 2):
            math = True
        if not stripped and not fence and not math:
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return [piece for block in blocks for piece in _split_long_list(block) for piece in _split_table(piece)]


_TABLE_ROWS = 4  # rows of a table per slide (22 px text; the header is repeated on each slide)


def _split_table(block: str, rows: int = _TABLE_ROWS) -> list[str]:
    """A Markdown table with more than ``rows`` rows, cut into tables of ``rows`` rows that repeat the header."""
    lines = block.strip().splitlines()
    if len(lines) < 3 or not all(ln.strip().startswith("|") for ln in lines) \
            or not re.match(r"^\|[-:| ]+\|$", lines[1].strip()) or len(lines) - 2 <= rows:
        return [block]
    body = lines[2:]
    return ["\n".join(lines[:2] + body[i:i + rows]) for i in range(0, len(body), rows)]


def _split_long_list(block: str) -> list[str]:
    """A list too tall for one slide, cut between its items."""
    if block_height(block) <= _BUDGET_PX or not re.search(r"(?m)^([-*+]|\d+\.)\s", block):
        return [block]  # short, or no list in it (a list may follow a paragraph's line: that line leads it)
    items: list[list[str]] = []
    for line in block.splitlines():
        if re.match(r"([-*+]|\d+\.)\s", line) or not items:
            items.append([line])
        else:
            items[-1].append(line)
    pieces, current = [], []
    for item in items:
        if current and block_height("\n".join(current + item)) > _BUDGET_PX * 0.8:
            pieces.append("\n".join(current))
            current = []
        current += item
    return pieces + (["\n".join(current)] if current else [])


def _wrapped_lines(text: str, kind: str) -> int:
    width = _CHARS_PER_LINE[kind]
    return sum(max(1, -(-len(line) // width)) for line in text.splitlines() or [""])


def _visible(text: str) -> str:
    """Markdown as a reader sees it, roughly: links keep their text, emphasis and code marks go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\$([^$]+)\$", lambda m: m.group(1)[: max(3, len(m.group(1)) // 2)], text)
    return re.sub(r"[*_`]", "", text)


def block_height(block: str) -> int:
    """Estimated height in px of one Markdown block on a slide (see the decks' CSS)."""
    heading = re.match(r"(#{1,6})\s+(.*)", block.strip())
    if heading:
        kind = f"h{min(3, len(heading.group(1)))}"
        return _wrapped_lines(_visible(heading.group(2)), kind) * _LINE_PX[kind] + 24
    if block.strip().startswith("```"):
        return _wrapped_lines(block, "code") * _LINE_PX["code"] + 24
    if block.strip().startswith("$$"):  # a display: taller with sums, fractions and braces under it
        tall = re.search(r"\\(underbrace|overbrace|frac|sum_|prod_|int_)", block)
        return (140 if tall else 90) * max(1, block.count("\\\\") + 1)
    if block.strip().startswith("|"):
        return SLIDE_HEIGHT  # a table (cut to a few rows): a slide of its own
    if re.search(r"!\[[^\]]*\]\(", block):
        return _FIGURE_PX + 30
    return _wrapped_lines(_visible(block), "text") * _LINE_PX["text"] + 24


def _output_height(out) -> int:
    data = out.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data:
        return SLIDE_HEIGHT  # an explorer: a slide of its own
    if "image/png" in data or "image/jpeg" in data:
        return _FIGURE_PX
    if "text/markdown" in data and "|" in "".join(data["text/markdown"]):
        return SLIDE_HEIGHT
    if "text/html" in data:  # a table: compact (22 px), and on a slide of its own
        return max(_FIGURE_PX, 40 + 34 * "".join(data["text/html"]).count("<tr"))
    text = out.get("text") if out.output_type == "stream" else data.get("text/plain", "")
    if out.output_type == "error":
        text = "\n".join(out.get("traceback", []))
    return _wrapped_lines(str(text or ""), "code") * _LINE_PX["code"] + 16 if text else 0


def _slide_outputs(cell) -> list:
    """The outputs a slide shows: no progress bars, fast-mode banners or stderr."""
    kept = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and (out.get("name") == "stderr" or _NOT_ON_SLIDES.search(out.get("text", ""))):
            continue
        data = out.get("data", {})
        if out.output_type in ("display_data", "execute_result") and set(data) <= {"text/plain"} \
                and _NOT_ON_SLIDES.search(str(data.get("text/plain", ""))):
            continue
        if "application/vnd.jupyter.widget-view+json" in data and "tqdm" in str(data.get("text/plain", "")).lower():
            continue
        kept.append(out)
    return kept


def _is_setup(cell) -> bool:
    """A code cell that only imports, or calls course_utils.setup(): nothing for a room to look at."""
    lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if any(re.search(r"\bsetup\(", ln) for ln in lines):
        return True
    body = [ln for ln in lines if not re.match(r"\s*(import|from)\s|\s+[\w., ]+,?$|\s*\)$", ln)]
    return bool(lines) and not body


def _md(source: str, slide_type: str, **metadata) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata.update(metadata)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def question_cells(q: Question) -> list[nbformat.NotebookNode]:
    """The ask-then-reveal slide: the question, its answer in a fragment on the same slide, and in the notes."""
    return [
        _md(f"## Ask the room\n\n**{q.question}**\n\nPredict first: write your answer down, then compare.",
            "slide", tags=[QUESTION_TAG + "-question"]),
        _md(f"**Answer:** {q.answer}", "fragment", tags=[QUESTION_TAG + "-answer"]),
        _md(f"Question: {q.question}\n\nAnswer: {q.answer}", "notes"),
    ]


def _question_index(cells: list, q: Question) -> int | None:
    """Where the question goes: before the ``##`` section that shows its explorer (or that the row names, or
    a cell tagged ``ask-the-room``), so that nothing in the section gives the answer away first."""
    tagged = [i for i, c in enumerate(cells) if QUESTION_TAG in c.get("metadata", {}).get("tags", [])]
    if tagged:
        return tagged[0]
    target = None
    if q.explorer:
        target = next((i for i, c in enumerate(cells) if c.cell_type == "code"
                       and re.search(rf"(?<![\w.]){q.explorer}\(", c.source)), None)
    if target is None and q.section:
        return next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                     and re.match(rf"##\s+{q.section}\.\s", c.source.lstrip())), None)
    if target is None:
        return None
    return next((i for i in range(target, -1, -1) if cells[i].cell_type == "markdown"
                 and re.match(r"#{1,2}\s", cells[i].source.lstrip())), target)


def slide_notebook(nb: nbformat.NotebookNode, question: Question | None = None) -> nbformat.NotebookNode:
    """The deck of an executed notebook: one idea per slide, every slide within 1280x720 at the decks' sizes.

    - the Colab cell and set-up cells (imports, ``course_utils.setup()``, the fast-mode banner) are left out;
    - every heading starts a slide; a long Markdown cell is cut at paragraph breaks into several slides;
    - a code cell's result is a fragment (revealed on the next key press) when it fits under the text,
      otherwise it starts a slide; a figure or an explorer always gets a slide of its own;
    - code longer than 3 lines is not shown: it goes to the speaker notes, and its result stays;
    - progress bars and stderr are left off;
    - the teachers' question (README) gets a slide before its section, its answer in a fragment and the notes.
    The deck is linear: every slide is a top-level ("slide") slide, so space, → and PageDown all walk it.
    """
    nb = _prepare(nb)
    cells = [c for c in nb.cells if not (c.cell_type == "code" and _is_setup(c))]
    insert_at = _question_index(cells, question) if question else None
    out: list = []
    used = SLIDE_HEIGHT  # nothing open: the first cell starts a slide

    def start(cell, height: int, slide_type: str = "slide"):
        nonlocal used
        cell.metadata["slideshow"] = {"slide_type": slide_type}
        out.append(cell)
        used = height if slide_type == "slide" else used + height

    for i, cell in enumerate(cells):
        if i == insert_at:
            out.extend(question_cells(question))
            used = SLIDE_HEIGHT
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind in ("skip", "notes"):
            out.append(cell)
            continue
        if cell.cell_type == "markdown":
            for block_group in _group_blocks(_markdown_blocks(cell.source), used):
                first, text = block_group
                height = sum(block_height(b) for b in text)
                piece = _md("\n\n".join(text), "slide" if first else "-")
                if first:
                    start(piece, height)
                else:
                    start(piece, height, "-")
            continue
        if cell.cell_type != "code":
            continue
        cell.outputs = _slide_outputs(cell)
        tables = [o for o in cell.outputs if "|" in "".join(o.get("data", {}).get("text/markdown", ""))]
        if tables and len(_split_table("".join(tables[0].data["text/markdown"]))) > 1:
            chunks = _split_table("".join(tables[0].data["text/markdown"]))
            out.extend(_md(chunk, "slide") for chunk in chunks)  # the same output, a few rows per slide
            if len(cell.source.strip().splitlines()) > 0:
                out.append(_md(f"Code (not shown on the slide):\n\n```python\n{cell.source.strip()}\n```", "notes"))
            used = SLIDE_HEIGHT
            continue
        lines = cell.source.strip().splitlines()
        explorer = any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell.outputs)
        short = len(lines) <= _SHORT_CODE[0] and len(cell.source) <= _SHORT_CODE[1] and not explorer
        if not short:
            cell.metadata.setdefault("transient", {})["remove_source"] = True
            out_notes = _md(f"Code (not shown on the slide):\n\n```python\n{cell.source.strip()}\n```", "notes")
        else:
            out_notes = None
        if not cell.outputs and not short:
            out.append(out_notes)  # nothing to see: the code goes to the notes only
            continue
        out_text = _text_after_the_figure(cell)  # a figure and a log under it: the log goes to the notes
        height = (_wrapped_lines(cell.source, "code") * _LINE_PX["code"] + 24 if short else 0) \
            + sum(_output_height(o) for o in cell.outputs)
        big = any(_output_height(o) >= _FIGURE_PX for o in cell.outputs)
        if big or used + height > _BUDGET_PX:
            start(cell, height)
        else:
            start(cell, height, "fragment")
        if out_notes is not None:
            out.append(out_notes)
        if out_text is not None:
            out.append(out_text)
    nb.cells = out
    return nb


def _text_after_the_figure(cell):
    """A cell that shows a figure and then prints more than a slide has room for (notebook 07's training: the
    live plot, then a line per epoch): the printed text after the figure leaves the slide for the speaker notes.
    Returns the notes cell, or None when the cell fits as it is."""
    heights = [_output_height(o) for o in cell.outputs]
    figure = next((i for i, h in enumerate(heights) if h >= _FIGURE_PX), None)
    if figure is None or sum(heights) <= _BUDGET_PX + 100:
        return None
    later = [o for o in cell.outputs[figure + 1:] if o.output_type == "stream"]
    if not later:
        return None
    cell.outputs = [o for i, o in enumerate(cell.outputs) if i <= figure or o.output_type != "stream"]
    text = "".join(str(o.get("text", "")) for o in later).strip()
    return _md(f"Output (not shown on the slide):\n\n```\n{text}\n```", "notes")


def _group_blocks(blocks: list[str], used: int) -> list[tuple[bool, list[str]]]:
    """Markdown blocks -> slides: (starts a new slide?, blocks). A heading starts a slide; so does a block that
    would not fit under what is already on the slide."""
    groups: list[tuple[bool, list[str]]] = []
    for block in blocks:
        height = block_height(block)
        is_heading = bool(re.match(r"#{1,6}\s", block.strip()))
        if is_heading or used + height > _BUDGET_PX:
            groups.append((True, [block]))
            used = height
        elif groups:
            groups[-1][1].append(block)
            used += height
        else:
            groups.append((False, [block]))
            used += height
    return groups


def asset_urls(prefix: str) -> dict[str, str]:
    """The exporters' script URLs, all under the site's own vendor/ folder (tools/vendor.py fills it)."""
    return {"require_js_url": f"{prefix}/require.js", "mathjax_url": f"{prefix}/mathjax/tex-svg-full.js",
            "widget_renderer_url": f"{prefix}/html-manager/embed-amd.js", "jquery_url": "", "mermaid_js_url": "",
            "mermaid_layout_elk_js_url": ""}


def render(executed: dict[str, Path], site: Path, *, to: str = "all", log=print) -> dict[str, list[Path]]:
    """Render executed notebooks (name -> path, in course order) into ``site``. Returns the files written."""
    from nbconvert import HTMLExporter, SlidesExporter

    repo = repository_url()
    names = set(executed)
    written: dict[str, list[Path]] = {"pages": [], "slides": [], "index": []}
    nbs = {name: nbformat.read(path, as_version=4) for name, path in executed.items()}
    pages = [(Path(name).stem, title_of(nb, Path(name).stem)) for name, nb in nbs.items()]
    common = {"extra_template_basedirs": [str(TEMPLATES)], "extra_template_paths": [str(TEMPLATES)],
              **asset_urls("../vendor")}
    if to in ("all", "html"):
        (site / "notebooks").mkdir(parents=True, exist_ok=True)
        exporter = HTMLExporter(template_name="course_lab", **common)
        for i, nb in enumerate(nbs.values()):
            stem, title = pages[i]
            resources = {"metadata": {"name": title}, "course_nav": _nav(pages, i)}
            body, _ = exporter.from_notebook_node(_prepare(nb), resources=resources)
            out = site / "notebooks" / f"{stem}.html"
            out.write_text(rewrite_links(body, names, repo), encoding="utf-8")
            written["pages"].append(out)
        log(f"  wrote {len(written['pages'])} pages to {site / 'notebooks'}")
    if to in ("all", "slides"):
        (site / "slides").mkdir(parents=True, exist_ok=True)
        exporter = SlidesExporter(template_name="course_reveal", reveal_url_prefix="../vendor/reveal.js",
                                  reveal_theme="white",
                                  reveal_width=str(SLIDE_WIDTH), reveal_height=str(SLIDE_HEIGHT), **common)
        questions = teachers_questions()
        for i, (name, nb) in enumerate(nbs.items()):
            stem, title = pages[i]
            deck = slide_notebook(nb, questions.get(name[:2]))
            body, _ = exporter.from_notebook_node(deck, resources={"metadata": {"name": title}})
            out = site / "slides" / f"{stem}.slides.html"
            out.write_text(rewrite_links(body, names, repo, pages_dir="../notebooks/"), encoding="utf-8")
            written["slides"].append(out)
        log(f"  wrote {len(written['slides'])} slide decks to {site / 'slides'}")
    try:
        vendor.install(site / "vendor")
    except vendor.VendorError as err:
        log(f"  WARNING: the pages cannot work offline, no site/vendor/ ({err})")
    if (ROOT / "figures").is_dir():
        shutil.copytree(ROOT / "figures", site / "figures", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    if to in ("all", "html"):  # the index links to the pages
        index = site / "index.html"
        index.write_text(_index_page(pages, repo), encoding="utf-8")
        written["index"].append(index)
    return written


def _summaries() -> dict[str, str]:
    """Notebook number -> "What you learn", from the README's notebook table (between its markers)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else ""
    table = readme.partition("<!-- notebook-table -->")[2].partition("<!-- /notebook-table -->")[0]
    rows = (re.match(r"^\|\s*(\d\d)\s*\|[^|]*\|\s*(.+?)\s*\|\s*$", line) for line in table.splitlines())
    return {m.group(1): m.group(2) for m in rows if m}


def _index_page(pages: list[tuple[str, str]], repo: str) -> str:
    binder = repo.replace("https://github.com/", "https://mybinder.org/v2/gh/").rstrip("/") + "/main"
    colab = repo.replace("https://github.com/", "https://colab.research.google.com/github/").rstrip("/") + "/blob/main"
    learn = _summaries()
    rows = "\n".join(
        f'<li><a href="notebooks/{stem}.html">{html.escape(title)}</a>'
        + (f": {html.escape(learn[stem[:2]])}<br>" if stem[:2] in learn else " · ")
        + f'<a href="slides/{stem}.slides.html">slides</a> · '
        f'<a href="{binder}?urlpath=lab/tree/notebooks/{stem}.ipynb">run on Binder</a> · '
        f'<a href="{colab}/notebooks/{stem}.ipynb">open in Colab</a></li>'
        for stem, title in pages
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The cross-entropy course</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em;
line-height: 1.5; }} ul.contents {{ list-style: none; padding-left: 0; }} li {{ margin: 0.6em 0; }}</style></head>
<body><main>
<h1>The cross-entropy course</h1>
<p>From "what is a bit of information?" to a CNN trained on CIFAR-10, through one idea: cross-entropy.
These pages are the notebooks, executed; the sliders only move in Jupyter (Binder, Colab or locally).</p>
<ul class="contents">
{rows}
</ul>
<p><a href="{html.escape(repo)}">The course's repository</a></p>
</main></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--to", choices=["all", "html", "slides"], default="all")
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="where the site goes (default: site/)")
    parser.add_argument("--executed", type=Path, help="render the notebooks already executed in this folder")
    parser.add_argument("--fast", action="store_true", help="fast mode (also: COURSE_FAST=1)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="kernels at once")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    args = parser.parse_args(argv)
    fast = args.fast or os.environ.get("COURSE_FAST", "").strip().lower() in {"1", "true", "yes", "on"}
    start = time.perf_counter()
    if args.executed:
        sources = args.notebooks or notebook_paths(args.executed)
        executed = {p.name: args.executed / p.name for p in sources}
        failed = []
    else:
        sources = args.notebooks or notebook_paths()
        if not sources:
            print("no notebooks found in notebooks/")
            return 1
        print(f"executing {len(sources)} notebooks in {'fast' if fast else 'full'} mode...")
        results = execute_all(sources, args.out / "_executed", fast=fast, workers=args.workers)
        executed = {name: r.path for name, r in results.items()}
        failed = [r for r in results.values() if r.error]
    render(executed, args.out, to=args.to)
    where = args.out / ("slides" if args.to == "slides" else "index.html")
    print(f"site: {where}  ({time.perf_counter() - start:.0f} s)")
    for r in failed:
        print(f"FAILED {r.source.name}:\n{r.error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
