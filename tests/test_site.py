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
