"""Keep the course's notebooks clean and uniform.

    python tools/nbtools.py normalize [NOTEBOOK ...]   # rewrite in place (default: every notebooks/*.ipynb)
    python tools/nbtools.py check [NOTEBOOK ...]       # exit 1 and list what `normalize` would change

`normalize` does four things, and nothing else, so that it can run any time without touching the story:

1. strips outputs, execution counts and the same volatile metadata as nbstripout (kernelspec kept, cell ids kept);
2. makes the first code cell the Colab cell: it installs the course package on Colab and does nothing
   anywhere else. The repository URL is stamped from ``pyproject.toml``'s ``[project.urls] Repository``,
   the single place that names it (a notebook on Colab cannot read pyproject before the package is there);
3. gives every cell deterministic slide metadata, so that each notebook presents as slides
   (``jupyter nbconvert --to slides``): see :func:`slide_type`;
4. makes sure the notebook names its kernel (``python3``).

It is idempotent, and its output is a fixed point of nbstripout with ``--keep-id``.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import uuid
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PYPROJECT = ROOT / "pyproject.toml"

#: The tag that marks the Colab cell (so the normaliser finds it again and the site can hide it).
COLAB_TAG = "colab-install"
#: The Colab cell; ``{url}`` comes from pyproject.toml. ``--no-deps``: Colab already ships numpy, matplotlib,
#: torch, tqdm and ipywidgets, and resolving our pins there would download a second torch.
COLAB_CELL = """\
# On Colab only: install the course package (this cell does nothing anywhere else).
import sys

if "google.colab" in sys.modules:
    %pip install --quiet --no-deps "git+{url}"
"""

#: What nbstripout removes by default (besides outputs and counts); we remove the same, so both agree.
STRIP_NB_METADATA = ("signature", "widgets")
STRIP_CELL_METADATA = ("collapsed", "ExecuteTime", "execution", "heading_collapsed", "hidden", "scrolled")
#: Slide types an author may set by hand and the normaliser keeps: speaker notes and hidden cells.
AUTHOR_SLIDE_TYPES = ("notes", "skip")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def repository_url(pyproject: Path = PYPROJECT) -> str:
    """``[project.urls] Repository`` from pyproject.toml: the one place the course's repository is named."""
    text = pyproject.read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: a small, strict fallback for this one key
        section = re.search(r"^\[project\.urls\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        match = section and re.search(r'^\s*Repository\s*=\s*"([^"]+)"', section.group(1), re.M)
        if not match:
            raise KeyError("pyproject.toml has no [project.urls] Repository") from None
        return match.group(1)
    return tomllib.loads(text)["project"]["urls"]["Repository"]


def colab_cell_source(url: str | None = None) -> str:
    return COLAB_CELL.format(url=url or repository_url()).rstrip("\n")


def is_colab_cell(cell) -> bool:
    return cell.cell_type == "code" and COLAB_TAG in cell.get("metadata", {}).get("tags", [])


def _first_line(cell) -> str:
    source = cell.source.lstrip()
    return source.splitlines()[0].strip() if source else ""


def slide_type(cell, index: int) -> str:
    """The slide type the normaliser gives a cell, from its position and its first line:

    - the first cell (the title) starts a slide, and so does every ``#`` or ``##`` heading;
    - a ``###`` heading starts a subslide (reveal.js: down, below its section);
    - a code cell is a fragment: its result is revealed on the next key press, after the question above it;
    - the Colab cell is skipped; any other markdown continues the current slide ("-");
    - an author's "notes" (speaker notes) or "skip" is kept.
    """
    if is_colab_cell(cell):
        return "skip"
    current = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
    if current in AUTHOR_SLIDE_TYPES:
        return current
    if index == 0:
        return "slide"
    if cell.cell_type == "markdown":
        line = _first_line(cell)
        if re.match(r"#{1,2}\s", line):
            return "slide"
        if re.match(r"###\s", line):
            return "subslide"
        return "-"
    if cell.cell_type == "code":
        return "fragment"
    return "-"


def normalized(nb: nbformat.NotebookNode, url: str | None = None) -> nbformat.NotebookNode:
    """A normalised copy of ``nb`` (see the module docstring). Pure: ``nb`` is not changed."""
    nb = copy.deepcopy(nb)
    url = url or repository_url()
    for key in STRIP_NB_METADATA:
        nb.metadata.pop(key, None)
    nb.metadata.setdefault("kernelspec", dict(KERNELSPEC))

    # The Colab cell: exactly one, and before every other code cell (so before course_utils.setup()).
    colab = [c for c in nb.cells if is_colab_cell(c)]
    cells = [c for c in nb.cells if not is_colab_cell(c)]
    cell = colab[0] if colab else nbformat.v4.new_code_cell(metadata={"tags": [COLAB_TAG]}, id=COLAB_TAG)
    cell.source = colab_cell_source(url)
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    cells.insert(first_code, cell)
    nb.cells = cells

    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in STRIP_CELL_METADATA:
            cell.metadata.pop(key, None)
        cell.metadata["slideshow"] = {"slide_type": slide_type(cell, i)}
        if not cell.get("id"):  # nbformat 4.5 cell ids: new ones are random (as Jupyter does), then kept
            cell.id = uuid.uuid4().hex[:8]
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 5), 5)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """Serialise exactly as Jupyter and nbstripout do (one-space indent, trailing newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def problems(nb: nbformat.NotebookNode, url: str | None = None) -> list[str]:
    """What is wrong with a committed notebook, in words (empty when it is clean and normalised)."""
    url = url or repository_url()
    found = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        found.append(f"invalid nbformat: {err.message}")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if any(c.get("outputs") for c in code):
        found.append(f"{sum(bool(c.get('outputs')) for c in code)} code cell(s) carry outputs")
    if any(c.get("execution_count") is not None for c in code):
        found.append("execution counts are not cleared")
    if not code or not is_colab_cell(code[0]):
        found.append(f"the first code cell is not the Colab cell (tagged {COLAB_TAG!r})")
    elif code[0].source.rstrip("\n") != colab_cell_source(url):
        found.append(f"the Colab cell does not install from pyproject's Repository URL ({url})")
    if sum(is_colab_cell(c) for c in nb.cells) > 1:
        found.append("more than one Colab cell")
    if any("slide_type" not in c.get("metadata", {}).get("slideshow", {}) for c in nb.cells):
        found.append("some cells have no slide metadata")
    if "kernelspec" not in nb.metadata:
        found.append("no kernelspec in the notebook metadata")
    if not found and nbformat.writes(normalized(nb, url)) != nbformat.writes(nb):
        found.append("differs from its normalised form (slide types or stripped metadata)")
    return found


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _paths(args: list[str]) -> list[Path]:
    return [Path(a) for a in args] if args else sorted(NOTEBOOKS.glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["normalize", "check"])
    parser.add_argument("notebooks", nargs="*", help="default: every notebooks/*.ipynb")
    args = parser.parse_args(argv)
    paths = _paths(args.notebooks)
    url = repository_url()
    bad = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        if args.command == "normalize":
            new = dumps(normalized(nb, url))
            if new != text:
                path.write_text(new, encoding="utf-8")
                print(f"normalized  {_show(path)}")
            else:
                print(f"unchanged   {_show(path)}")
        else:
            found = problems(nb, url)
            bad += bool(found)
            print(f"{'FAIL' if found else 'ok  '}  {_show(path)}" + "".join(f"\n      - {p}" for p in found))
    if not paths:
        print("no notebooks found")
    if args.command == "check" and bad:
        print(f"{bad} notebook(s) need `python tools/nbtools.py normalize`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
