"""The house rules of course_utils, read from the source with ``ast``: imports point down, the math floor
stays NumPy-only, no module imports another's private name, and every public module declares ``__all__``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "course_utils"

#: The layers, bottom to top. A module may import its own layer (where allowed) and the layers below.
FLOOR = {"_validate", "_numeric", "settings", "info", "losses", "grads", "binary_losses", "calibration", "logistic",
         "arithmetic_coding"}
VIEWS = {"plots", "widgets"}
EXERCISES = {"checks", "solutions", "claims"}
PRIVATE_HELPERS = {"_validate", "_numeric"}
#: What the floor must never import, anywhere in the module (also inside functions).
HEAVY = {"matplotlib", "ipywidgets", "IPython", "tqdm", "torch"}


def _modules() -> dict[str, Path]:
    """Dotted names relative to course_utils ('losses', 'cifar.train') -> path."""
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def layer(name: str) -> str:
    top = name.split(".")[0]
    if name == "":
        return "package"
    if top == "cifar":
        return "wing"
    if top in FLOOR:
        return "floor"
    if top in VIEWS:
        return "views"
    if top in EXERCISES:
        return "exercises"
    return "topics"


#: layer -> the layers it may import from
ALLOWED = {
    "floor": {"floor"},
    "views": {"floor", "views"},
    "topics": {"floor", "views"},
    "wing": {"floor", "views", "wing"},
    "exercises": {"floor", "views", "topics", "wing", "exercises"},
    "package": {"floor", "views", "wing"},
}


def _imports(name: str) -> list[tuple[str, list[str], int]]:
    """(imported course_utils module, names imported from it, line) for every import in module ``name``,
    plus ('!external', [top-level package], line) for imports from outside the package."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    pkg_parts = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".") if name else []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("course_utils"):
                    found.append((a.name.removeprefix("course_utils").lstrip("."), [], node.lineno))
                else:
                    found.append(("!external", [a.name.split(".")[0]], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                mod = node.module or ""
                if mod.startswith("course_utils"):
                    base = mod.removeprefix("course_utils").lstrip(".")
                else:
                    found.append(("!external", [mod.split(".")[0]], node.lineno))
                    continue
            else:
                base_parts = pkg_parts[: len(pkg_parts) - (node.level - 1)] if node.level > 1 else pkg_parts
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            names = [a.name for a in node.names]
            if base in MODULES or base == "":
                # "from . import x": x may itself be a module
                subs = [f"{base}.{n}".lstrip(".") for n in names if f"{base}.{n}".lstrip(".") in MODULES]
                if subs:
                    found.extend((s, [], node.lineno) for s in subs)
                    names = [n for n in names if f"{base}.{n}".lstrip(".") not in MODULES]
                if names:
                    found.append((base, names, node.lineno))
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    mine = layer(name)
    for target, _, line in _imports(name):
        if target == "!external":
            continue
        assert layer(target) in ALLOWED[mine], (
            f"course_utils.{name} ({mine}) imports course_utils.{target} ({layer(target)}) at line {line}: "
            f"a {mine} module may import only {sorted(ALLOWED[mine])}")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) == "floor"))
def test_the_floor_imports_no_plotting_widgets_or_torch(name):
    for target, names, line in _imports(name):
        if target == "!external":
            assert names[0] not in HEAVY, f"course_utils.{name} imports {names[0]} at line {line}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_another_modules_private_name(name):
    for target, names, line in _imports(name):
        if target == "!external" or target.split(".")[-1] in PRIVATE_HELPERS:
            continue
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        assert not private, f"course_utils.{name} imports private {private} from course_utils.{target} at line {line}"
        if target.split(".")[-1].startswith("_"):
            pytest.fail(f"course_utils.{name} imports the private module {target} at line {line}")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_attribute_reaches_into_another_modules_private_name(name):
    """``calibration._metrics(...)`` is as private as ``from .calibration import _metrics``."""
    tree = ast.parse(MODULES[name].read_text())
    imported = {n.split(".")[-1] for n, _, _ in _imports(name) if n != "!external"} - PRIVATE_HELPERS
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported:
            if node.attr in {"_replace", "_asdict", "_fields"}:  # NamedTuple's public API on a variable
                continue
            assert not node.attr.startswith("_"), (
                f"course_utils.{name} uses {node.value.id}.{node.attr} at line {node.lineno}")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.split(".")[-1].startswith("_")))
def test_every_public_module_declares_all(name):
    tree = ast.parse(MODULES[name].read_text())
    names = {t.id for node in tree.body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}
    assert "__all__" in names, f"course_utils.{name} has no __all__"


def test_the_layer_map_knows_every_module():
    assert "losses" in MODULES and layer("losses") == "floor"
    assert layer("plots") == "views" and layer("checks") == "exercises"
    unknown_floor = FLOOR - set(MODULES) - {"arithmetic_coding"}
    assert not unknown_floor, f"the layer map names modules that do not exist: {unknown_floor}"
