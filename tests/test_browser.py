"""The explorers in a real browser: JupyterLab + headless Chromium, sliders moved with the keyboard.

The test starts its own JupyterLab server (127.0.0.1, a free port, a token, throw-away config, runtime and
workspace folders), opens ``tests/fixtures/explorers.ipynb`` (a softmax and a binary explorer), runs all
cells, focuses a slider, presses ArrowRight, and checks that the printed loss becomes what
``course_utils.losses`` computes for the slider's new value. It saves a screenshot to ``test-artifacts/``
and stops the server.

Needs Debian's Chromium (``/usr/bin/chromium``, or ``CHROMIUM_PATH``) and Python Playwright. Locally the
test skips with the reason when either is missing; in CI (``CI=true``) it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from course_utils import losses
from course_utils import widgets as W

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "explorers.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing(reason: str):
    """In CI a missing browser is a failure (the test must run there); locally it is a skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run in CI; .ci/run installs it)", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _missing("Chromium not found (install Debian's chromium package, or set CHROMIUM_PATH)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(tmp: Path):
    """A JupyterLab server as this test's own child process; yields (base_url, token); always stopped."""
    root, runtime, config, work = (tmp / d for d in ("root", "runtime", "config", "lab"))
    for d in (root, runtime, config, work):
        d.mkdir()
    shutil.copy(FIXTURE, root / FIXTURE.name)
    (config / "labconfig").mkdir()
    # No first-run news prompt over the notebook.
    (config / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}')
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(config),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.workspaces_dir={work}", f"--LabApp.user_settings_dir={work}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
           "--ServerApp.terminals_enabled=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{(tmp / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start in 40 s:\n{(tmp / 'server.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield base, token
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Jupyter shuts its kernels down on the second SIGINT
            time.sleep(0.2)
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group: it and its kernels
                proc.wait(timeout=5)
        log.close()


def _number(text: str) -> float:
    text = text.strip().replace("−", "-")
    if not re.fullmatch(r"-?[0-9.]+(e[+-]?[0-9]+)?", text):
        raise AssertionError(f"readout is not a number: {text!r}")
    return float(text)


def _readout_tolerance(text: str) -> float:
    """Half a unit in the last printed place (the readout prints 4 decimals or 4 significant digits in e-form)."""
    if "e" in text:
        mant, exp = text.split("e")
        return 0.5e-4 * 10 ** int(exp) * 1.01
    return 0.5e-4 * 1.01


def _press_right_on_slider(page, explorer: str, index: int):
    """Focus slider ``index`` of an explorer with the keyboard's target and press ArrowRight once.

    Returns (slider readout before, after, the explorer's loss text after)."""
    slider = page.locator(f".ce-{explorer}-explorer .widget-slider").nth(index)
    readout = slider.locator(".widget-readout")
    before = readout.inner_text().strip()
    handle = slider.locator(".noUi-handle")
    handle.focus()
    assert handle.evaluate("el => el === document.activeElement"), "the slider handle did not take the focus"
    page.keyboard.press("ArrowRight")
    return before, _wait_for_change(readout, before, 10)


def _wait_for_change(locator, old: str, timeout_s: float) -> str:
    """Poll a locator (re-resolved each time: a widget may replace its DOM nodes) until its text changes."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = locator.inner_text().strip()
        if text != old:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} still reads {old!r} after {timeout_s} s")
        time.sleep(0.05)


def _wait_for_value(page, explorer: str, key: str, old: str) -> str:
    return _wait_for_change(page.locator(f".ce-{explorer}-explorer .ce-value[data-key='{key}']"), old, 15)


def test_explorers_follow_the_keyboard_in_jupyterlab(tmp_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Python Playwright is not installed (pip install playwright)")
    chromium = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    t0 = time.monotonic()
    with jupyterlab(tmp_path) as (base, token), sync_playwright() as pw:
        # A fresh profile in the test's temp folder (Playwright passes it as --user-data-dir).
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium"), executable_path=chromium, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 2000})
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.goto(f"{base}/lab/tree/{FIXTURE.name}?token={token}", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                                   timeout=60_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            soft_loss = page.locator(".ce-softmax-explorer .ce-value[data-key='loss']")
            bin_bce = page.locator(".ce-binary-explorer .ce-value[data-key='bce']")
            soft_loss.wait_for(timeout=60_000)
            bin_bce.wait_for(timeout=30_000)
            page.locator(".ce-binary-explorer img").wait_for(timeout=10_000)

            # --- softmax: logit z0 one step right, then the loss must be CE(softmax(z / T), target) of the new z
            old_loss = soft_loss.inner_text().strip()
            z0_before, z0_after = _press_right_on_slider(page, "softmax", 0)
            assert _number(z0_after) == pytest.approx(_number(z0_before) + 0.25), (z0_before, z0_after)
            new_loss = _wait_for_value(page, "softmax", "loss", old_loss)
            sliders = page.locator(".ce-softmax-explorer .widget-slider .widget-readout")
            shown = [_number(t) for t in sliders.all_inner_texts()]  # z0..z3, then T
            z, temperature = np.array(shown[:-1]), shown[-1]
            target = int(re.search(r"\d+", page.locator(".ce-softmax-explorer select").input_value()).group())
            expected = float(losses.categorical_cross_entropy(z / temperature, target))
            assert _number(new_loss) == pytest.approx(expected, abs=_readout_tolerance(new_loss))
            assert _number(new_loss) != pytest.approx(_number(old_loss), abs=1e-6)

            # --- binary: q one step right, to the next position of the logit-spaced grid; BCE of the new q
            old_bce = bin_bce.inner_text().strip()
            p_before, p_after = _press_right_on_slider(page, "binary", 0)
            next_q = W.Q_GRID[W.Q_GRID.index(_number(p_before)) + 1]
            assert _number(p_after) == pytest.approx(next_q, rel=1e-3), (p_before, p_after)
            new_bce = _wait_for_value(page, "binary", "bce", old_bce)
            y_text = page.locator(".ce-binary-explorer .ce-value[data-key='y']").inner_text()
            y = float(y_text)
            # the slider's label rounds q to 3 digits; the kernel holds the exact grid position
            expected_bce = float(losses.binary_cross_entropy(np.array([next_q]), np.array([y])))
            assert _number(new_bce) == pytest.approx(expected_bce, abs=_readout_tolerance(new_bce))

            # --- distribution: the first readout is the static twin's value (no slider snapped in the browser)
            entropy = page.locator(".ce-distribution-explorer .ce-value[data-key='entropy']")
            entropy.wait_for(timeout=30_000)
            want = W.distribution_explorer().values["entropy"]  # what the static twin at the defaults shows
            assert want == pytest.approx(1.75)  # p = (1/2, 1/4, 1/8, 1/8), the text's example
            assert _number(entropy.inner_text()) == pytest.approx(want, abs=1e-4), entropy.inner_text()

            page.locator(".ce-binary-explorer").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser_explorers.png"), full_page=True)
        except Exception:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / "browser_explorers_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    print(f"browser test took {time.monotonic() - t0:.1f} s")


def test_projector_settings_enlarge_jupyterlab_itself(tmp_path):
    """COURSE_PROJECTOR=1 make course: JupyterLab's content, code and interface text, measured in the browser."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Python Playwright is not installed (pip install playwright)")
    sys.path.insert(0, str(ROOT / "tools"))
    import projector_settings

    chromium = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with jupyterlab(tmp_path) as (base, token), sync_playwright() as pw:
        projector_settings.write(tmp_path / "lab")  # the server's user-settings folder, read when the page loads
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{base}/lab/tree/{FIXTURE.name}?token={token}", timeout=60_000)
            page.locator(".jp-MarkdownCell .jp-RenderedMarkdown p").first.wait_for(timeout=60_000)
            page.locator(".jp-CodeCell .cm-content").first.wait_for(timeout=30_000)
            sizes = page.evaluate("""() => {
                const px = sel => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
                return {content: px('.jp-MarkdownCell .jp-RenderedMarkdown p'), code: px('.jp-CodeCell .cm-content'),
                        ui: px('.lm-MenuBar-itemLabel')};
            }""")
            page.screenshot(path=str(ARTIFACTS / "projector_jupyterlab.png"))
        finally:
            browser.close()
    want = {k: float(projector_settings.SIZES[v].rstrip("px")) for k, v in
            (("content", "content-font-size1"), ("code", "code-font-size"), ("ui", "ui-font-size1"))}
    print(f"projector JupyterLab font sizes (px): {sizes}")
    assert sizes == pytest.approx(want), (sizes, want)
