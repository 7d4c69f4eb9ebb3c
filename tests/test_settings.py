"""course_utils.settings: one fast-mode rule and one cache root, each with one environment variable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from course_utils import settings


def test_the_fast_argument_wins_else_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert settings.fast_mode() is True and settings.fast_mode(False) is False
    for value, expected in (("yes", True), (" On ", True), ("0", False), ("no", False), ("", False)):
        monkeypatch.setenv("COURSE_FAST", value)
        assert settings.fast_mode() is expected and settings.fast_mode(True) is True
    for bad in ("yes", 1, 0.0):
        with pytest.raises(TypeError, match="fast"):
            settings.fast_mode(bad)


def test_one_cache_root_with_one_variable_each(monkeypatch, tmp_path):
    for name in ("COURSE_CACHE", "CIFAR10_ROOT", "COURSE_CHECKPOINTS"):
        monkeypatch.delenv(name, raising=False)
    home = Path.home() / ".cache" / "cross-entropy-course"
    assert settings.cache_root() == home
    assert settings.data_root() == home / "cifar10" and settings.checkpoint_root() == home / "checkpoints"
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    assert settings.data_root() == tmp_path / "cifar10" and settings.checkpoint_root() == tmp_path / "checkpoints"
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(tmp_path / "ckpt"))
    assert settings.data_root() == tmp_path / "data" and settings.checkpoint_root() == tmp_path / "ckpt"


def test_settings_uses_the_standard_library_only():
    tree = ast.parse(Path(settings.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "os", "pathlib"}
