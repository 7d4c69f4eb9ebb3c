"""One notation, everywhere (issue 11, section 2): p is the true distribution, q the prediction, y the label,
z the logits; binary q = σ(z); focal loss's p_t is q_t. And every notebook keeps its claims (section 3).

The patterns below each catch one way a text has called a *prediction* p. They are specific on purpose, so
that p as the true distribution ("H(p)", "the `p` sliders", "KL(p‖q)") never trips them; each one is
checked against a sentence the course used to contain, and against legitimate uses of p.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import nbformat
import pytest

from course_utils import widgets

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

#: (pattern, a sentence it must catch). Each names the prediction p.
PREDICTION_CALLED_P = [
    (r"predicted probability\s+\$?`?p\b", "where p is the predicted probability p of class 1"),
    (r"`?\bp`? is the predicted probability", "`p` is the predicted probability of class 1"),
    (r"\bpredicts?\s+\$?p\s*=", r"A binary classifier outputs a logit $z$ and predicts $p = \sigma(z)$"),
    (r"\bp\s*=\s*σ\(", "the model says p = σ(z)"),
    (r"\bp\s*=\s*\\sigma\b", r"$p = \sigma(z) = 1/(1 + e^{-z})$"),
    (r"(?:σ|\\sigma)\(z\)\s*=\s*p\b", "with σ(z) = p"),
    (r"\bdrag\s+`?p`?\s+(?:toward|towards|to)\b", "Try y = 1 and drag p toward 0."),
    (r"probability\s+\$?p\$?\s+given to the true class", "Move the probability p given to the true class"),
    (r"\$?\bp_t\$?\s+is the probability", "where $p_t$ is the probability given to the true label"),
    (r"\(1\s*-\s*p_t\)\^", r"multiplies cross-entropy by $(1 - p_t)^\gamma$"),
    (r"gradient with respect to p\b", "the gradient with respect to p vs with respect to the logit"),
    (r"\\partial\s+p\b", r"$\dfrac{\partial L}{\partial p}$"),
    (r"∂\w*\s*/\s*∂p\b", "∂BCE/∂p at p = 0.001"),
    (r"\by\s*\\?(?:ln|log)\s+p\b", r"$L = -y \log p - (1 - y)\log(1 - p)$"),
    (r"\(\s*p\s*[-−]\s*y\s*\)", r"$L = (p - y)^2$"),
]

#: Legitimate uses of p (the true distribution) that no pattern may catch.
LEGIT = [
    "H(p, q) = H(p) + KL(p‖q)", "Drag the `p` sliders (weights, normalised into a distribution)",
    "BCE = H(p, q) with p = (1 − y, y)", r"$\mathrm{KL}(p\,\|\,q) = \sum_i p_i \log_2 \frac{p_i}{q_i}$",
    "the surprisal −log p of an event", "A coin with P(heads) = p has entropy", "Lin et al. write it $p_t$",
    "a true p and three predictions", r"$H(p) = -\sum_i p_i \log_2 p_i$", "the edge probability p_edge",
]


def _markdown(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _code(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("pattern, sentence", PREDICTION_CALLED_P)
def test_each_pattern_catches_its_sentence_and_no_legitimate_p(pattern, sentence):
    assert re.search(pattern, sentence), f"{pattern!r} misses the sentence it was written for"
    for legit in LEGIT:
        assert not re.search(pattern, legit), f"{pattern!r} flags a legitimate use of p: {legit!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_notebook_calls_a_prediction_p(path):
    text = _markdown(path)
    found = [(pattern, text[max(0, m.start() - 30):m.end() + 30])
             for pattern, _ in PREDICTION_CALLED_P for m in re.finditer(pattern, text)]
    assert not found, f"{path.name} calls a prediction p (write q; p is the true distribution): {found}"


def test_readme_does_not_call_a_prediction_p():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = [m.group(0) for pattern, _ in PREDICTION_CALLED_P for m in re.finditer(pattern, text)]
    assert not found, found


def _docstrings():
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                doc = ast.get_docstring(node)
                if doc:
                    yield f"{path.relative_to(ROOT)}:{getattr(node, 'name', '<module>')}", doc


def test_no_docstring_calls_a_prediction_p():
    found = [(where, m.group(0)) for where, doc in _docstrings()
             for pattern, _ in PREDICTION_CALLED_P for m in re.finditer(pattern, doc)]
    assert not found, f"docstrings that call a prediction p: {found}"


def test_binary_explorer_has_a_q_control_and_no_p_control():
    explorer = widgets.binary_explorer()
    assert "q" in explorer.controls and "p" not in explorer.controls
    assert "q" in explorer.values and "p" not in explorer.values
    assert "q" in inspect.signature(widgets.binary_figure).parameters
    assert "p" not in inspect.signature(widgets.binary_figure).parameters
    assert "p" not in inspect.signature(widgets.binary_explorer).parameters


def test_loss_family_explorer_has_a_q_control_and_no_p_control():
    explorer = widgets.loss_family_explorer()
    assert "q" in explorer.controls and "p" not in explorer.controls
    assert "p" not in inspect.signature(widgets.loss_family_figure).parameters


def test_focal_loss_says_once_that_its_p_t_is_q_t():
    text = _markdown(ROOT / "notebooks" / "06_the_loss_family.ipynb")
    assert re.search(r"Lin et al\. write it \$p_t\$", text) and "q_t" in text


def test_bce_is_shown_to_be_the_cross_entropy_with_p_one_minus_y_y_where_it_is_introduced():
    path = ROOT / "notebooks" / "03_binary_cross_entropy.ipynb"
    assert re.search(r"p = \(1 − y, y\)", _markdown(path))
    assert re.search(r"info\.cross_entropy\(np\.stack\(\[1 - y, y\]", _code(path)), "03 shows BCE = H(p, q) in a cell"


# --- claims: every notebook keeps (at least) the claims it has today ------------------------------------------
#: The fewest claim(...) calls each notebook may have. Raise a number when you add claims; never lower one
#: without removing the sentence the claim stood beside.
MIN_CLAIMS = {"00_welcome": 1, "01_surprisal_and_entropy": 9, "02_cross_entropy_and_kl": 14,
              "03_binary_cross_entropy": 9, "04_softmax_and_categorical_ce": 15, "05_gradients_ce_vs_mse": 8,
              "06_the_loss_family": 20, "07_training_a_cifar10_cnn": 8, "08_calibration": 9}


@pytest.mark.parametrize("name, least", sorted(MIN_CLAIMS.items()))
def test_notebook_keeps_its_claims(name, least):
    code = _code(ROOT / "notebooks" / f"{name}.ipynb")
    count = len(re.findall(r"\bclaim\(", code))
    assert count >= least, f"{name} has {count} claim(...) calls; it had {least}"
    assert re.search(r"from course_utils\.claims import claim|from course_utils import .*\bclaims\b", code)


def test_claims_have_their_own_unit_tests():
    text = (ROOT / "tests" / "test_claims.py").read_text(encoding="utf-8")
    for needle in ("ClaimError", "(checked in full mode only)", "monkeypatch.setenv(\"COURSE_FAST\", \"1\")",
                   "TypeError", "✓"):
        assert needle in text, f"tests/test_claims.py no longer tests {needle!r}"


# --- navigation (issue 11, section 5): Prerequisites, Next, one badge order --------------------------------------
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_prerequisites_next_and_the_badges_in_one_order(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source
    assert "**Prerequisites:**" in first, f"{path.name}: no Prerequisites line in the first cell"
    assert re.search(r"^Next: .*\]\(\d\d_[a-z0-9_]+\.ipynb\)", _markdown(path), re.M), f"{path.name}: no 'Next:' link"
    colab, binder = first.find("[![Open in Colab]"), first.find("[![Launch Binder]")
    assert 0 <= colab < binder, f"{path.name}: badges must read Colab, then Binder, as in 00-03"
