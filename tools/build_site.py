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

Each notebook runs top to bottom in a fresh kernel, in notebooks/ as its working directory. The widgets'
state is stored in the executed notebook, so each explorer shows its initial view on the page (as long as
the page can load the widget renderer from its CDN); every explorer also has a static figure next to it.
Every figure gets alt text (see tools/figure_alt.py). The Colab cell is left out of pages and slides.
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
        extra_arguments=[f"--IPKernelApp.exec_lines={line}" for line in lines],
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
        elif path.startswith("../figures/") or path.startswith("../site/"):
            new = target
        else:
            resolved = os.path.normpath(os.path.join("notebooks", path))
            if resolved.startswith(".."):
                return match.group(0)
            new = _repo_blob(repo) + resolved.replace(os.sep, "/") + anchor
        return f'{attr}="{html.escape(new, quote=True)}"'

    return re.sub(r'\b(href|src)="([^"]*)"', fix, page)


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


def render(executed: dict[str, Path], site: Path, *, to: str = "all", log=print) -> dict[str, list[Path]]:
    """Render executed notebooks (name -> path, in course order) into ``site``. Returns the files written."""
    from nbconvert import HTMLExporter, SlidesExporter

    repo = repository_url()
    names = set(executed)
    written: dict[str, list[Path]] = {"pages": [], "slides": [], "index": []}
    nbs = {name: nbformat.read(path, as_version=4) for name, path in executed.items()}
    pages = [(Path(name).stem, title_of(nb, Path(name).stem)) for name, nb in nbs.items()]
    common = {"extra_template_basedirs": [str(TEMPLATES)], "extra_template_paths": [str(TEMPLATES)]}
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
        exporter = SlidesExporter(template_name="course_reveal", reveal_scroll=True, **common)
        for i, nb in enumerate(nbs.values()):
            stem, title = pages[i]
            body, _ = exporter.from_notebook_node(_prepare(nb), resources={"metadata": {"name": title}})
            out = site / "slides" / f"{stem}.slides.html"
            out.write_text(rewrite_links(body, names, repo, pages_dir="../notebooks/"), encoding="utf-8")
            written["slides"].append(out)
        log(f"  wrote {len(written['slides'])} slide decks to {site / 'slides'}")
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
