"""The licences a teacher relies on: MIT for the code, CC BY 4.0 for prose, figures and slides, and a
CITATION.cff that follows the Citation File Format 1.2.0."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_code_is_mit_and_says_so_in_pyproject():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text
    assert re.search(r'^license\s*=\s*"MIT"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)


def test_content_is_cc_by_4_with_the_full_legal_code():
    text = (ROOT / "LICENSE-content").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International Public License" in text
    assert "Section 1 – Definitions" in text and "Section 8 – Interpretation" in text  # the whole legal code


def test_citation_cff_has_what_cff_1_2_0_requires():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff[key], key
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", cff["version"])
    assert cff["repository-code"].startswith("https://")


def test_readme_says_which_licence_covers_what():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.partition("## Licence and citation")[2]
    assert "LICENSE-content" in section and "CC BY 4.0" in section and "MIT" in section and "CITATION.cff" in section
