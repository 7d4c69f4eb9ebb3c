"""Install PyTorch the light way before the rest of requirements.txt: the CPU build where there is no GPU.

PyPI's torch for Linux is the CUDA build (several GB). On a Linux machine without an NVIDIA GPU the course
needs only PyTorch's CPU build, from PyTorch's own CPU wheel index, as binder/requirements.txt does. The
choice, in order:

- ``COURSE_TORCH=pypi``: take torch from PyPI with the rest of requirements.txt (CI and the course's
  development machines set this: their pip finds a local CPU wheel, and PyTorch's index is not reachable);
- ``COURSE_TORCH=cpu``: always PyTorch's CPU wheel index;
- ``COURSE_TORCH=auto`` (the default): the CPU index on Linux without an NVIDIA GPU; PyPI's default build on
  Linux with one, and on macOS and Windows (whose PyPI wheels are already CPU or MPS builds).

The GPU check only looks at files (no command is run), and pip's lookups time out, so nothing hangs.
``python tools/torch_install.py --dry-run`` prints the command without running it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: The torch that requirements.txt admits, pinned exactly for the CPU index (the same as the tests).
TORCH = "torch==2.13.0"
CHOICES = ("auto", "cpu", "pypi")


def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded (Linux) or its command-line tool is installed."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def decide(choice: str, system: str, gpu: bool) -> str:
    """'cpu' (PyTorch's CPU index) or 'pypi' (let requirements.txt take torch from PyPI)."""
    if choice not in CHOICES:
        raise ValueError(f"COURSE_TORCH must be one of {', '.join(CHOICES)} (got {choice!r})")
    if choice != "auto":
        return choice
    return "cpu" if system == "Linux" and not gpu else "pypi"


def command(source: str, python: str = sys.executable) -> list[str] | None:
    """The pip command that installs torch from ``source``, or None when requirements.txt does it."""
    if source == "pypi":
        return None
    return [python, "-m", "pip", "install", "--quiet", "--timeout", "20", "--retries", "1",
            "--index-url", CPU_INDEX, TORCH]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the decision and the command; run nothing")
    args = parser.parse_args(argv)
    choice = os.environ.get("COURSE_TORCH", "auto").strip().lower() or "auto"
    try:
        source = decide(choice, platform.system(), has_nvidia_gpu())
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    cmd = command(source)
    where = "PyTorch's CPU wheel index" if source == "cpu" else "PyPI, with requirements.txt"
    print(f"torch: from {where} (COURSE_TORCH={choice}, {platform.system()}, "
          f"NVIDIA GPU {'found' if has_nvidia_gpu() else 'not found'})")
    if cmd is None or args.dry_run:
        if cmd:
            print(" ".join(cmd))
        return 0
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0:
        print(f"Could not install torch from {CPU_INDEX}. Without a network to it, set COURSE_TORCH=pypi "
              "to take torch from PyPI instead (on Linux that is the large CUDA build).", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
