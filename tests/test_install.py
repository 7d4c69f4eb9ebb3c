"""The install: PyTorch's light CPU build on Linux without a GPU, PyPI's default build elsewhere, one variable
(COURSE_TORCH) to choose explicitly, and the Makefile running that choice before the rest of requirements.txt."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("torch_install", ROOT / "tools" / "torch_install.py")
torch_install = importlib.util.module_from_spec(spec)
spec.loader.exec_module(torch_install)


@pytest.mark.parametrize(("choice", "system", "gpu", "source"), [
    ("auto", "Linux", False, "cpu"),      # an ordinary laptop without an NVIDIA GPU: the CPU wheel index
    ("auto", "Linux", True, "pypi"),      # a GPU: PyPI's default (CUDA) build
    ("auto", "Darwin", False, "pypi"),    # macOS: PyPI's wheel is already CPU/MPS
    ("auto", "Windows", False, "pypi"),   # Windows: PyPI's wheel is already CPU
    ("pypi", "Linux", False, "pypi"),     # CI and the course's machines: the override
    ("cpu", "Linux", True, "cpu"),        # the override the other way
])
def test_the_torch_source_in_each_case(choice, system, gpu, source):
    assert torch_install.decide(choice, system, gpu) == source


def test_the_cpu_command_uses_pytorchs_cpu_index_and_cannot_hang():
    cmd = torch_install.command("cpu", python="python")
    assert cmd[:4] == ["python", "-m", "pip", "install"]
    assert cmd[cmd.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert "--timeout" in cmd and "--retries" in cmd and cmd[-1] == "torch==2.13.0"
    assert torch_install.command("pypi") is None  # requirements.txt takes torch from PyPI


def test_a_wrong_choice_is_named():
    with pytest.raises(ValueError, match="COURSE_TORCH"):
        torch_install.decide("cuda", "Linux", False)


@pytest.mark.parametrize(("choice", "expect_index"), [("cpu", True), ("pypi", False)])
def test_the_dry_run_prints_what_it_would_run(choice, expect_index):
    env = {**os.environ, "COURSE_TORCH": choice}
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "torch_install.py"), "--dry-run"], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert ("download.pytorch.org/whl/cpu" in out) == expect_index
    assert f"COURSE_TORCH={choice}" in out


def test_make_runs_the_torch_choice_before_the_requirements(tmp_path):
    out = subprocess.run(["make", "-n", "setup", f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    lines = out.splitlines()
    torch_line = next(i for i, line in enumerate(lines) if "tools/torch_install.py" in line)
    req_line = next(i for i, line in enumerate(lines) if "-r requirements.txt" in line)
    assert torch_line < req_line
    assert "ignore:Editable installation" in lines[req_line]  # setuptools' notice silenced


def test_ci_sets_the_choice():
    assert 'COURSE_TORCH="${COURSE_TORCH:-pypi}"' in (ROOT / ".ci" / "run").read_text()
