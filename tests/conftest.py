"""Shared test set-up. Tests never need the network or the real CIFAR-10."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # no screen in tests

# --- notebooks ---
# Every notebook is executed ONCE per test run, in fast mode (COURSE_FAST=1 in each fresh kernel), and the
# executed copies are shared by tests/test_notebooks.py and tests/test_site.py.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # nbtools, build_site


@pytest.fixture(scope="session")
def executed_notebooks(tmp_path_factory):
    """name -> build_site.Executed (executed copy, seconds, error or None), for every notebooks/NN_*.ipynb.
    ``COURSE_TEST_WORKERS`` kernels run at a time (default 2, the CI machine's cores)."""
    from build_site import execute_all, notebook_paths

    workers = int(os.environ.get("COURSE_TEST_WORKERS", "2"))
    log = []
    fresh = {
        # Fresh checkpoints: each run trains (in fast mode) instead of reusing what an earlier run left.
        "COURSE_CHECKPOINTS": str(tmp_path_factory.mktemp("checkpoints")),
        # The stand-in CIFAR-10: never the real data (slow to verify), never a download.
        "CIFAR10_ROOT": str(tmp_path_factory.mktemp("no-cifar10")),
    }
    if workers > 1:
        fresh["OMP_NUM_THREADS"] = "1"  # kernels side by side: one thread each, no oversubscription
    results = execute_all(notebook_paths(), tmp_path_factory.mktemp("executed"), fast=True, workers=workers,
                          extra_env=fresh, log=log.append)
    print("\n".join(["", "notebooks executed in fast mode:", *log]))
    return results
