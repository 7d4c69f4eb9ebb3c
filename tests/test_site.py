"""The rendered site (tools/build_site.py), built in fast mode from the notebooks executed once for this run:
every page exists, shows no error, has its figures with alt text, its explorers' state and its navigation;
and the slide decks are produced."""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from build_site import NOTEBOOKS_WITH_SLIDES_REQUIRED, notebook_paths, render  # noqa: E402
from nbtools import COLAB_TAG  # noqa: E402

NOTEBOOKS = notebook_paths()
STEMS = [p.stem for p in NOTEBOOKS]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DEFAULT_ALT = "no description was recorded"

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


class Page(HTMLParser):
    """What a test needs from a page: images with their alt text, links, stderr blocks, script types."""

    def __init__(self, text: str):
        super().__init__()
        self.images: list[dict] = []
        self.links: list[str] = []
        self.scripts: list[str] = []
        self.stderr: list[str] = []
        self._in_stderr = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "script":
            self.scripts.append(a.get("type", ""))
        elif tag == "div" and a.get("data-mime-type") == "application/vnd.jupyter.stderr":
            self._in_stderr = 1
            self.stderr.append("")
        elif tag == "div" and self._in_stderr:
            self._in_stderr += 1

    def handle_endtag(self, tag):
        if tag == "div" and self._in_stderr:
            self._in_stderr -= 1

    def handle_data(self, data):
        if self._in_stderr:
            self.stderr[-1] += data


@pytest.fixture(scope="session")
def site(executed_notebooks, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    render({name: r.path for name, r in executed_notebooks.items()}, out, log=lambda _: None)
    return out


def _executed(executed_notebooks, stem):
    return nbformat.read(executed_notebooks[f"{stem}.ipynb"].path, as_version=4)


def test_index_links_every_page_and_deck(site):
    links = Page((site / "index.html").read_text(encoding="utf-8")).links
    for stem in STEMS:
        assert f"notebooks/{stem}.html" in links
        assert f"slides/{stem}.slides.html" in links


@pytest.mark.parametrize("stem", STEMS)
def test_page_exists_without_error_output(site, executed_notebooks, stem):
    assert executed_notebooks[f"{stem}.ipynb"].error is None, "the notebook failed: see test_notebooks"
    page = site / "notebooks" / f"{stem}.html"
    assert page.is_file()
    text = page.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" not in text
    parsed = Page(text)
    errors = [s for s in parsed.stderr if re.search(r"\b\w*(Error|Exception)\b|Traceback", s)]
    assert not errors, f"error output on the page: {errors[0][:500]}"


@pytest.mark.parametrize("stem", STEMS)
def test_page_has_its_figures_with_alt_text(site, executed_notebooks, stem):
    nb = _executed(executed_notebooks, stem)
    figures = sum(
        1
        for c in nb.cells
        if c.cell_type == "code" and COLAB_TAG not in c.metadata.get("tags", [])
        for o in c.outputs
        if "image/png" in o.get("data", {}) or "image/jpeg" in o.get("data", {})
    )
    images = Page((site / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")).images
    shown = [i for i in images if i.get("src", "").startswith("data:image/")]
    assert len(shown) >= figures, f"{figures} figures in the notebook, {len(shown)} on the page"
    for img in images:
        alt = (img.get("alt") or "").strip()
        assert alt and DEFAULT_ALT not in alt, f"an image without alt text: {img.get('src', '')[:60]}"


@pytest.mark.parametrize("stem", STEMS)
def test_page_embeds_the_explorers_state(site, executed_notebooks, stem):
    nb = _executed(executed_notebooks, stem)
    views = [o.data[WIDGET_VIEW]["model_id"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if WIDGET_VIEW in o.get("data", {})]
    if not views:
        pytest.skip("no widgets in this notebook")
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert set(views) <= set(state), "the executed notebook lost the state of some widgets"
    text = (site / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")
    assert WIDGET_STATE in Page(text).scripts, "the page does not embed the widgets' state"
    for model_id in views:
        assert json.dumps(model_id) in text


@pytest.mark.parametrize("i", range(len(STEMS)), ids=STEMS)
def test_page_has_previous_and_next_navigation(site, i):
    links = Page((site / "notebooks" / f"{STEMS[i]}.html").read_text(encoding="utf-8")).links
    assert "../index.html" in links
    if i > 0:
        assert f"{STEMS[i - 1]}.html" in links
    if i + 1 < len(STEMS):
        assert f"{STEMS[i + 1]}.html" in links
    for link in links:
        if not re.match(r"^([a-z]+:|#)", link):
            assert (site / "notebooks" / link.split("#")[0]).resolve().is_file(), f"broken link {link}"


@pytest.mark.parametrize("stem", STEMS)
def test_slide_deck_is_produced(site, stem):
    deck = site / "slides" / f"{stem}.slides.html"
    assert deck.is_file()
    text = deck.read_text(encoding="utf-8")
    assert "reveal" in text and text.count("<section") >= 2, "a deck needs a title slide and at least one more"
    for img in Page(text).images:
        assert (img.get("alt") or "").strip(), "a slide image without alt text"


def test_the_required_decks_are_among_them():
    present = {stem[:2] for stem in STEMS}
    missing = [n for n in NOTEBOOKS_WITH_SLIDES_REQUIRED if n not in present]
    if missing:
        pytest.skip(f"notebooks {missing} have not landed yet")


# --- the explorers' initial view, in a real browser ---
# A page loads the widget renderer (@jupyter-widgets/html-manager) and require.js from a CDN. The test serves
# them from the npm registry's packages instead (fetched once per run with `npm pack`), so it checks offline
# that the embedded state really draws each explorer, image included.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NPM_PACKAGES = {"html-manager": "@jupyter-widgets/html-manager@1", "requirejs": "requirejs@2"}


@pytest.fixture(scope="session")
def widget_renderer(tmp_path_factory):
    """Local copies of the scripts a page fetches from its CDN: {"html-manager": dist/, "requirejs": file}."""
    import os
    import shutil
    import subprocess
    import tarfile

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail("Chromium not found (CI=true: the browser tests must run in CI)", pytrace=False)
        pytest.skip("Chromium not found (install Debian's chromium package, or set CHROMIUM_PATH)")
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("npm not found: cannot fetch the widget renderer to check the explorers' initial view")
    folder = tmp_path_factory.mktemp("npm")
    found = {}
    for key, spec in NPM_PACKAGES.items():
        try:
            done = subprocess.run([npm, "pack", spec, "--silent"], cwd=folder, capture_output=True, text=True,
                                  timeout=180)
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm pack {spec} timed out")
        if done.returncode:
            pytest.skip(f"npm pack {spec} failed: {done.stderr.strip()[-300:]}")
        with tarfile.open(folder / done.stdout.strip().splitlines()[-1]) as tar:
            tar.extractall(folder / key, filter="data")
        found[key] = folder / key / "package"
    return {"chromium": chromium, "html-manager": found["html-manager"] / "dist",
            "requirejs": found["requirejs"] / "require.js"}


@pytest.fixture(scope="session")
def browser(widget_renderer):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=widget_renderer["chromium"], args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.mark.browser  # no pytest-timeout here: it would also count the shared notebook execution it may set up
@pytest.mark.parametrize("stem", STEMS)
def test_explorers_show_their_initial_view_in_a_browser(site, executed_notebooks, widget_renderer, browser, stem):
    nb = _executed(executed_notebooks, stem)
    views = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs if WIDGET_VIEW in o.get("data", {}))
    if not views:
        pytest.skip("no widgets in this notebook")

    def serve(route):
        url = route.request.url
        if re.search(r"require(\.min)?\.js", url):
            return route.fulfill(path=str(widget_renderer["requirejs"]), content_type="application/javascript")
        match = re.search(r"html-manager@[^/]*/dist/([\w.-]+)$", url)
        if match and (widget_renderer["html-manager"] / match.group(1)).is_file():
            return route.fulfill(path=str(widget_renderer["html-manager"] / match.group(1)))
        return route.continue_() if url.startswith("file:") else route.abort()

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.route("**/*", serve)
        page.goto((site / "notebooks" / f"{stem}.html").as_uri(), wait_until="load")
        script = f'script[type="{WIDGET_VIEW}"]'
        page.wait_for_function(
            f"""() => [...document.querySelectorAll('{script}')].every(
                   s => s.parentElement.querySelector('.jupyter-widgets, .widget-box, .widget-inline-hbox'))""",
            timeout=60_000,
        )
        images = page.eval_on_selector_all("img.widget-image", "els => els.map(e => [e.complete, e.naturalWidth])")
        assert all(done and width > 0 for done, width in images), f"explorer images that did not draw: {images}"
        rendered = page.eval_on_selector_all(script, "els => els.length")
        assert rendered == views
    finally:
        page.close()
