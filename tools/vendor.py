"""The browser assets the site and the slide decks serve themselves, so that no page needs a CDN.

    python tools/vendor.py [SITE]      # fetch (once) and copy the assets into SITE/vendor/ (default: site/)

The versions are pinned in tools/vendor/package.json, and tools/vendor/package-lock.json records each
package's sha512 integrity. Only the five packages named there are fetched, with ``npm pack`` (the tarball
alone, from the npm registry, no dependencies and no install scripts); each tarball is checked against the
lock's integrity and unpacked into build/vendor-cache/ (git-ignored), so the registry is asked once per
machine. What a page needs is then copied into SITE/vendor/ (about 12 MB):

    vendor/reveal.js/     reveal.js 5: dist/ (script, styles, themes and their fonts) and the notes plugin
    vendor/mathjax/       MathJax 3: tex-svg-full.js (one file: TeX input, SVG output, no web fonts to fetch)
    vendor/html-manager/  @jupyter-widgets/html-manager: embed-amd.js draws the explorers' stored views
    vendor/require.js     RequireJS, which embed-amd.js needs

axe-core (the accessibility test's engine) is fetched the same way but never copied into the site.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "tools" / "vendor" / "package-lock.json"
CACHE = ROOT / "build" / "vendor-cache"

#: package -> [(path in the package, path under vendor/)]; a path ending in "/" copies a folder.
FILES = {
    "reveal.js": [("dist/", "reveal.js/dist/"), ("plugin/notes/notes.js", "reveal.js/plugin/notes/notes.js")],
    "mathjax": [("es5/tex-svg-full.js", "mathjax/tex-svg-full.js")],
    "@jupyter-widgets/html-manager": [("dist/embed-amd.js", "html-manager/embed-amd.js")]
    + [(f"dist/*.{ext}", "html-manager/") for ext in ("woff2", "woff", "ttf", "eot", "svg")],
    "requirejs": [("require.js", "require.js")],
}
TEST_ONLY = ("axe-core",)


class VendorError(RuntimeError):
    """The assets could not be fetched (no npm, no registry) or did not match the lock."""


def pinned(lock: Path = LOCK) -> dict[str, dict]:
    """package name -> {"version", "integrity"}, for the direct dependencies recorded in the lock file."""
    data = json.loads(lock.read_text(encoding="utf-8"))
    root = data["packages"][""]
    names = {**root.get("dependencies", {}), **root.get("devDependencies", {})}
    return {name: data["packages"][f"node_modules/{name}"] for name in names}


def _check_integrity(tarball: Path, integrity: str) -> None:
    algo, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise VendorError(f"{tarball.name}: {algo} does not match package-lock.json ({digest} != {expected})")


def fetch(name: str, cache: Path = CACHE, lock: Path = LOCK) -> Path:
    """The unpacked package folder of ``name`` at its pinned version (``npm pack`` on the first call)."""
    info = pinned(lock)[name]
    folder = cache / f"{name.replace('/', '+')}@{info['version']}"
    if (folder / "package" / "package.json").is_file():
        return folder / "package"
    npm = shutil.which("npm")
    if not npm:
        raise VendorError("npm not found: install Node.js (Debian: apt-get install npm) to fetch the site's assets")
    cache.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run([npm, "pack", f"{name}@{info['version']}", "--silent", "--ignore-scripts",
                               "--pack-destination", str(cache)], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as err:
        raise VendorError(f"npm pack {name} timed out") from err
    if done.returncode:
        raise VendorError(f"npm pack {name}@{info['version']} failed: {done.stderr.strip()[-400:]}")
    tarball = cache / done.stdout.strip().splitlines()[-1]
    _check_integrity(tarball, info["integrity"])
    tmp = folder.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp, filter="data")
    tarball.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder / "package"


def install(dest: Path, cache: Path = CACHE) -> list[Path]:
    """Copy what the pages need into ``dest`` (site/vendor/); returns the files written."""
    written = []
    for name, pairs in FILES.items():
        package = fetch(name, cache)
        for src, out in pairs:
            if src.endswith("/"):
                shutil.copytree(package / src, dest / out, dirs_exist_ok=True)
                written += [p for p in (dest / out).rglob("*") if p.is_file()]
                continue
            for path in sorted(package.glob(src)):
                target = dest / out / path.name if out.endswith("/") else dest / out
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    site = Path(args[0]) if args else ROOT / "site"
    try:
        files = install(site / "vendor")
    except VendorError as err:
        print(f"vendor: {err}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"vendor: {len(files)} files ({size:.1f} MB) in {site / 'vendor'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
