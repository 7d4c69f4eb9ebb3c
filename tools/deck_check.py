"""Measure the built site in headless Chromium, offline: what a room sees on each slide, and what axe-core finds.

    python tools/deck_check.py [SITE]        # every deck and page of SITE (default: site/); prints a table

For each deck, at 1280x720 with every request off the machine blocked:
  - the tallest slide, in screens (1.0 = exactly one screen: nothing may need scrolling);
  - the smallest body text, code text and explorer-control text, in px;
  - the smallest figure text, in px: a figure's smallest font (points, recorded by tools/figure_alt.py) times
    the scale at which the slide draws its image;
  - the questions asked on a slide whose answer sits in a fragment on that slide and in the speaker notes;
  - whether MathJax drew the math (and no raw $...$ is left), and whether the explorers' stored views drew;
  - the requests that tried to leave the machine (they are blocked, and must be none).
axe-core's violations are counted by impact for every page and deck.
tests/test_site.py runs the same functions and asserts on them.
"""

# ruff: noqa: E501  (the JavaScript measured in the browser reads better unwrapped)
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import vendor  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 720}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: Runs in the deck: visits every slide and measures it (all fragments laid out, as they are when shown).
MEASURE_DECK = r"""
() => {
  const R = window.Reveal, H = R.getConfig().height, out = [];
  const slides = R.getSlides();
  const textMin = (root, pick) => {
    let min = Infinity;
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) {
      const node = walk.currentNode, el = node.parentElement;
      if (!node.textContent.trim() || !el || el.closest('aside.notes, mjx-container, .MathJax')) continue;
      if (!pick(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      min = Math.min(min, parseFloat(getComputedStyle(el).fontSize));
    }
    return min === Infinity ? null : min;
  };
  const isCode = el => !!el.closest('pre, code, .jp-CodeCell .jp-InputArea, .jp-RenderedText');
  const isWidget = el => !!el.closest('.jupyter-widgets, .widget-box, .widget-inline-hbox');
  const isTable = el => !!el.closest('table') && !isWidget(el);
  slides.forEach((s, i) => {
    const idx = R.getIndices(s);
    R.slide(idx.h, idx.v);
    const imgs = [...s.querySelectorAll('img[data-min-font-pt]')].filter(im => im.naturalWidth > 0).map(im =>
      parseFloat(im.dataset.minFontPt) * parseFloat(im.dataset.dpi) / 72 * im.getBoundingClientRect().width / im.naturalWidth);
    const h2 = s.querySelector('h2');
    const asks = !!h2 && /Ask the room/.test(h2.textContent);
    const answerFragment = [...s.querySelectorAll('.fragment')].some(f => /Answer:/.test(f.textContent));
    const answerNotes = [...s.querySelectorAll('aside.notes')].some(n => /Answer:/.test(n.textContent));
    const clone = s.cloneNode(true);
    clone.querySelectorAll('pre, code, aside, script, style, mjx-container, .jp-InputArea').forEach(e => e.remove());
    out.push({
      index: i, screens: s.scrollHeight / H, scrollWidth: s.scrollWidth, clientWidth: s.clientWidth,
      body: textMin(s, el => !isCode(el) && !isWidget(el) && !isTable(el)), code: textMin(s, el => isCode(el) && !isTable(el)),
      widget: textMin(s, isWidget), table: textMin(s, isTable),
      figure: imgs.length ? Math.min(...imgs) : null, figures: imgs.length,
      // the rightmost edge of any text, image or formula: past the screen's 1280 px it is cut off
      right: Math.max(0, ...[...s.querySelectorAll('p, li, h1, h2, h3, pre, td, th, img, mjx-container')]
        .filter(e => !e.closest('aside.notes')).map(e => e.getBoundingClientRect())
        .filter(r => r.width > 0).map(r => r.right)),
      question: asks, answered: asks && answerFragment && answerNotes,
      rawMath: /\$[^$\s][^$]*\$/.test(clone.textContent),
      title: (s.querySelector('h1, h2, h3') || {textContent: ''}).textContent.replace('¶', '').trim().slice(0, 60),
    });
  });
  R.slide(0, 0);
  return out;
}
"""

#: Runs in a page or deck once it has loaded: the state of MathJax and of the explorers' stored views.
PAGE_STATE = r"""
() => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  return {
    mathSource: /\$|\\\(|\\\[/.test([...document.querySelectorAll('.jp-RenderedMarkdown')].map(e => e.textContent).join(' ')),
    mathDrawn: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    views: views.length,
    viewsDrawn: views.filter(s => s.parentElement.querySelector('.jupyter-widgets, .widget-box, .widget-inline-hbox')).length,
    widgetImages: [...document.querySelectorAll('img.widget-image')].map(i => i.complete && i.naturalWidth > 0),
  };
}
"""


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


def block_the_network(page, left: list[str]) -> None:
    """Let file:// requests through; abort every other one and remember its URL in ``left``."""

    def handle(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            return route.continue_()
        left.append(url)
        return route.abort()

    page.route("**/*", handle)


def open_offline(browser, path: Path, left: list[str], *, wait_math: bool = True, deck: bool = False):
    """A new page at 1280x720 with the network blocked, loaded and settled (MathJax done, widgets drawn)."""
    page = browser.new_page(viewport=VIEWPORT)
    block_the_network(page, left)
    page.goto(path.as_uri(), wait_until="load", timeout=120_000)
    if deck:
        page.wait_for_function("() => document.documentElement.dataset.deckReady === '1'", timeout=120_000)
    if wait_math:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=120_000)
        page.evaluate("() => MathJax.startup.promise")
    page.wait_for_function(
        """() => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')].every(
               s => s.parentElement.querySelector('.jupyter-widgets, .widget-box, .widget-inline-hbox'))""",
        timeout=120_000)
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=120_000)
    return page


def state(page) -> dict:
    return page.evaluate(PAGE_STATE)


def measure_deck(page) -> list[dict]:
    return page.evaluate(MEASURE_DECK)


def axe_violations(page, axe_js: Path) -> list[dict]:
    """axe-core's violations on the page (WCAG 2 A/AA rules and best practices): id, impact, node count."""
    page.add_script_tag(path=str(axe_js))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                       help: v.help, target: v.nodes[0] && v.nodes[0].target.join(' ')}));
    }""")
    return found


def axe_script() -> Path:
    return vendor.fetch("axe-core") / "axe.min.js"


def summary(slides: list[dict]) -> dict:
    def least(key):
        values = [s[key] for s in slides if s[key] is not None]
        return min(values) if values else None

    return {"slides": len(slides), "tallest": max(s["screens"] for s in slides),
            "over": sum(s["screens"] > 1.0 + 1e-6 for s in slides), "body_px": least("body"),
            "code_px": least("code"), "widget_px": least("widget"), "table_px": least("table"), "figure_px": least("figure"),
            "questions": sum(s["question"] for s in slides), "answered": sum(s["answered"] for s in slides),
            "raw_math": sum(s["rawMath"] for s in slides), "too_wide": sum(s["scrollWidth"] > s["clientWidth"] + 1
                                                                           for s in slides),
            "cut_right": [s["index"] for s in slides if s["right"] > VIEWPORT["width"] + 1]}


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    args = sys.argv[1:] if argv is None else argv
    site = Path(args[0]) if args else ROOT / "site"
    as_json = "--json" in args
    chromium = chromium_path()
    if not chromium:
        print("Chromium not found")
        return 1
    axe_js = axe_script()
    report = {"decks": {}, "pages": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        for deck in sorted((site / "slides").glob("*.slides.html")):
            left: list[str] = []
            page = open_offline(browser, deck, left, deck=True)
            slides = measure_deck(page)
            report["decks"][deck.name] = {**summary(slides), **state(page), "left": left,
                                          "axe": axe_violations(page, axe_js), "per_slide": slides}
            page.close()
        for html in [site / "index.html", *sorted((site / "notebooks").glob("*.html"))]:
            left = []
            page = open_offline(browser, html, left, wait_math=html.name != "index.html")
            report["pages"][html.name] = {**state(page), "left": left, "axe": axe_violations(page, axe_js)}
            page.close()
        browser.close()
    if as_json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"{'deck':40s} slides tallest over body code table widget figure  Q/answered rawmath left axe(serious+critical)")
    for name, d in report["decks"].items():
        bad = sum(v["impact"] in ("serious", "critical") for v in d["axe"])
        fig = f"{d['figure_px']:.1f}" if d["figure_px"] else "-"
        print(f"{name:40s} {d['slides']:6d} {d['tallest']:7.2f} {d['over']:4d} {d['body_px'] or 0:4.0f} "
              f"{d['code_px'] or 0:4.0f} {d['table_px'] or 0:5.0f} {d['widget_px'] or 0:6.0f} {fig:>6s}  {d['questions']}/{d['answered']}"
              f"        {d['raw_math']:3d}     {len(d['left'])}   {bad}")
    for name, p in report["pages"].items():
        bad = [v for v in p["axe"] if v["impact"] in ("serious", "critical")]
        print(f"page {name:40s} math {p['mathDrawn']:4d} views {p['viewsDrawn']}/{p['views']} left {len(p['left'])}"
              f" axe serious+critical {len(bad)} {[v['id'] for v in bad]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
