"""Printable handouts: one PDF per notebook, executed, with its figures, from nbconvert's webpdf exporter.

    python tools/handouts.py                       # execute every notebook, write handouts/NN_name.pdf
    COURSE_FAST=1 python tools/handouts.py         # the same in fast mode (stand-in data for CIFAR-10)
    python tools/handouts.py --executed DIR        # notebooks already executed into DIR (no kernel)

nbconvert's ``WebPDFExporter`` prints the notebook's HTML with Playwright, but it launches Playwright's own
Chromium download and has no setting for another browser (nbconvert 7.17: ``chromium.launch(args=...)``, no
``executable_path``; Playwright reads no environment variable for it). ``CourseWebPDFExporter`` below is
nbconvert's exporter with that one call pointed at the system's Chromium (``/usr/bin/chromium`` on Debian, or
``CHROMIUM_PATH``). MathJax and the widget renderer come from a local copy (tools/vendor.py), so printing
needs no network. The handouts' CSS keeps figures and code cells whole on a page, on A4. An explorer is left
out (paper cannot move a slider); the static figure next to each explorer stands in for it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402
import vendor  # noqa: E402

OUT = ROOT / "handouts"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PRINT_CSS = """
<style>
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 11pt; }
  .jp-Cell, .jp-OutputArea-child, img, table, pre, .jp-RenderedImage { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  img { max-width: 100% !important; height: auto !important; }
  .jp-InputPrompt, .jp-OutputPrompt { display: none; }
  nav.course-nav { display: none; }
</style>
"""


def chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise SystemExit("Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)")
    return path


def exporter(vendor_dir: Path):
    """nbconvert's WebPDFExporter, launching the system Chromium, with every script from ``vendor_dir``."""
    from nbconvert import WebPDFExporter

    class CourseWebPDFExporter(WebPDFExporter):
        def run_playwright(self, html):
            from playwright.async_api import BrowserType, Page

            original_launch, original_pdf = BrowserType.launch, Page.pdf

            async def launch(browser_type, *args, **kwargs):
                kwargs.setdefault("executable_path", chromium())
                return await original_launch(browser_type, *args, **kwargs)

            async def pdf(page, *args, **kwargs):  # the CSS @page size (A4), not Chromium's default Letter
                kwargs.setdefault("prefer_css_page_size", True)
                # Print only once MathJax has typeset the whole page: on a busy machine nbconvert's fixed
                # page_render_timeout alone printed half a notebook.
                await page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                             timeout=180_000)
                await page.evaluate("() => MathJax.startup.promise")
                return await original_pdf(page, *args, **kwargs)

            BrowserType.launch, Page.pdf = launch, pdf
            try:
                return super().run_playwright(html.replace("</head>", PRINT_CSS + "</head>", 1))
            finally:
                BrowserType.launch, Page.pdf = original_launch, original_pdf

    urls = build_site.asset_urls(vendor_dir.resolve().as_uri())
    return CourseWebPDFExporter(
        disable_sandbox=True, browser_args=["--headless", "--disable-gpu", "--no-first-run",
                                            "--disable-background-networking"],
        paginate=True, page_render_timeout=5000, exclude_input_prompt=True, exclude_output_prompt=True,
        template_name="course_lab", extra_template_basedirs=[str(build_site.TEMPLATES)],
        extra_template_paths=[str(build_site.TEMPLATES)], **urls)


def write_handouts(executed: dict[str, Path], out: Path = OUT, log=print) -> dict[str, Path]:
    """One PDF per executed notebook (name -> path), into ``out``; returns name -> PDF."""
    out.mkdir(parents=True, exist_ok=True)
    vendor_dir = ROOT / "build" / "handout-vendor"
    vendor.install(vendor_dir)
    pdf = exporter(vendor_dir)
    written = {}
    for name, path in executed.items():
        nb = build_site._prepare(nbformat.read(path, as_version=4))
        nb.metadata.pop("widgets", None)  # paper cannot move a slider: each explorer's static figure stands in
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", []) if WIDGET_VIEW not in o.get("data", {})]
        title = build_site.title_of(nb, Path(name).stem)
        start = time.perf_counter()
        data, _ = pdf.from_notebook_node(nb, resources={"metadata": {"name": title}})
        target = out / f"{Path(name).stem}.pdf"
        target.write_bytes(data)
        written[name] = target
        log(f"  {target.name:40s} {len(data) / 1e6:5.1f} MB  {time.perf_counter() - start:5.1f} s")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executed", type=Path, help="print the notebooks already executed in this folder")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    fast = os.environ.get("COURSE_FAST", "").strip().lower() in {"1", "true", "yes", "on"}
    if args.executed:
        sources = args.notebooks or build_site.notebook_paths(args.executed)
        executed = {p.name: args.executed / p.name for p in sources}
    else:
        sources = args.notebooks or build_site.notebook_paths()
        results = build_site.execute_all(sources, ROOT / "build" / "handout-executed", fast=fast)
        failed = [r for r in results.values() if r.error]
        if failed:
            print("\n".join(f"FAILED {r.source.name}: {r.error.splitlines()[0]}" for r in failed), file=sys.stderr)
            return 1
        executed = {name: r.path for name, r in results.items()}
    write_handouts(executed, args.out)
    print(f"handouts: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
