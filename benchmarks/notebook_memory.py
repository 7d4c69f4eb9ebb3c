"""Peak memory and wall time of each notebook in FULL mode (no COURSE_FAST), against Binder's 2 GB.

    python benchmarks/notebook_memory.py                       # every notebooks/NN_*.ipynb
    python benchmarks/notebook_memory.py notebooks/01_*.ipynb  # some of them
    CIFAR10_ROOT=/path/to/cifar10 python benchmarks/notebook_memory.py notebooks/07_*.ipynb notebooks/08_*.ipynb

Each notebook runs alone, top to bottom, in a fresh kernel, in notebooks/ as its working directory, with a
fresh COURSE_CHECKPOINTS folder for the run (so 07 and 08 really train, as on a learner's first run).
Reported per notebook:

- ``peak RSS``: the kernel process's high-water mark of resident memory (VmHWM in /proc/<pid>/status,
  read every 0.1 s and after each cell), plus the largest resident memory its child processes (e.g.
  DataLoader workers) were seen to hold together, sampled every 0.1 s;
- ``wall``: seconds from the kernel's start to the last cell's end.

Linux only (/proc). The numbers are printed as a table; --json also writes them to a file, and --record
merges them into benchmarks/notebook_memory.json, which tests/test_binder.py checks against Binder's 2 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from build_site import kernel_env, make_client, notebook_paths, proc_status_kib  # noqa: E402

BINDER_LIMIT_MIB = 2048
RECORD = ROOT / "benchmarks" / "notebook_memory.json"  # the last full-mode measurement of each notebook


def _status_kib(pid: int, key: str) -> int:
    return proc_status_kib(pid, key) or 0


def _children(pid: int) -> list[int]:
    kids = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            kids += [int(k) for k in text]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return kids + [g for k in kids for g in _children(k)]


class Sampler(threading.Thread):
    """Samples the kernel's and its children's resident memory until stopped."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.children_peak_kib = 0
        self.total_peak_kib = 0
        self.hwm_kib = 0
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.every)

    def sample(self):
        own = _status_kib(self.pid, "VmRSS")
        kids = sum(_status_kib(k, "VmRSS") for k in _children(self.pid))
        self.hwm_kib = max(self.hwm_kib, _status_kib(self.pid, "VmHWM"))
        self.children_peak_kib = max(self.children_peak_kib, kids)
        self.total_peak_kib = max(self.total_peak_kib, own + kids)

    def stop(self):
        self.sample()
        self._done.set()
        self.join()


def cap_epochs(n: int) -> str:
    """Kernel start-up code that caps every ``course_utils.cifar.train.fit`` at ``n`` epochs (same data, model
    and batch size, so the same peak memory; the wall time is then that of a shorter training)."""
    return ("import course_utils.cifar.train as _course_train; "
            "_course_train.fit = (lambda fit, t: lambda model, data, *, "
            f"recipe='quick', epochs=None, **kw: fit(model, data, recipe=recipe, epochs=min(epochs or "
            f"t.get_recipe(recipe).epochs, {int(n)}), **kw))(_course_train.fit, _course_train); del _course_train")


def measure(path: Path, *, timeout: int = 3600, extra_env: dict[str, str] | None = None,
            max_epochs: int | None = None, save: Path | None = None) -> dict:
    """Execute one notebook in full mode and return its peak RSS (MiB) and wall time (s); with ``save``, also
    write the executed notebook (its outputs: every claim's numbers) into that folder."""
    nb = nbformat.read(path, as_version=4)
    holder: dict = {}

    def on_start(**_):
        pid = holder["client"].km.provisioner.process.pid
        holder["sampler"] = Sampler(pid)
        holder["sampler"].start()

    def on_complete(**_):
        holder["sampler"].stop()

    def on_cell(**_):  # a last look after each cell, while the kernel is alive
        holder["sampler"].sample()

    client = make_client(nb, timeout=timeout, on_notebook_start=on_start, on_cell_executed=on_cell,
                         on_notebook_complete=on_complete, startup=(cap_epochs(max_epochs),) if max_epochs else ())
    holder["client"] = client
    start = time.perf_counter()
    error = None
    try:
        asyncio.run(client.async_execute(env=kernel_env(fast=False, extra=extra_env)))
    except Exception as err:  # noqa: BLE001 - report it and go on to the next notebook
        error = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"
        if "sampler" in holder and holder["sampler"].is_alive():
            holder["sampler"].stop()
    wall = time.perf_counter() - start
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save / path.name)
    s = holder.get("sampler")
    kernel_mib = (s.hwm_kib if s else 0) / 1024
    children_mib = (s.children_peak_kib if s else 0) / 1024
    return {
        "notebook": path.name,
        "kernel_peak_rss_mib": round(kernel_mib, 1),
        "children_peak_rss_mib": round(children_mib, 1),
        "peak_rss_mib": round(kernel_mib + children_mib, 1),
        "wall_s": round(wall, 1),
        "fits_binder_2gb": kernel_mib + children_mib < BINDER_LIMIT_MIB,
        "error": error,
    }


def conditions() -> dict:
    load = os.getloadavg()
    import torch

    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1_5_15": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cifar10_root": os.environ.get("CIFAR10_ROOT", "(default)"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--max-epochs", type=int,
                        help="cap every CIFAR-10 training at this many epochs: the same peak memory, in less time "
                             "(the wall time is then not the full one; it is recorded with the results)")
    parser.add_argument("--reuse-checkpoints", action="store_true",
                        help="let the CIFAR-10 notebooks reuse earlier training (default: a fresh checkpoint folder, "
                             "shared by the notebooks of this run, as on a learner's first run)")
    parser.add_argument("--save", type=Path, help="write the executed notebooks (with their outputs) here")
    parser.add_argument("--record", action="store_true",
                        help=f"merge the results into {RECORD.relative_to(ROOT)} (tests/test_binder.py reads it)")
    args = parser.parse_args(argv)
    paths = args.notebooks or notebook_paths()
    fresh = None if args.reuse_checkpoints else tempfile.mkdtemp(prefix="course-checkpoints-")
    extra = {"COURSE_CHECKPOINTS": fresh} if fresh else None
    cond = {**conditions(), "checkpoints": "reused" if args.reuse_checkpoints else "fresh",
            "max_epochs": args.max_epochs or "as the notebook says"}
    print("conditions: " + ", ".join(f"{k} {v}" for k, v in cond.items()))
    print(f"{'notebook':40s} {'peak RSS':>10s} {'(kernel':>9s} {'+ children)':>12s} {'wall':>8s}  Binder 2 GB")
    rows = []
    for path in paths:
        row = measure(path, extra_env=extra, max_epochs=args.max_epochs, save=args.save)
        rows.append(row)
        verdict = "fits" if row["fits_binder_2gb"] else "TOO BIG"
        print(f"{row['notebook']:40s} {row['peak_rss_mib']:7.0f} MiB {row['kernel_peak_rss_mib']:7.0f} MiB"
              f" {row['children_peak_rss_mib']:9.0f} MiB {row['wall_s']:7.1f} s  {verdict}"
              + (f"  FAILED: {row['error']}" if row["error"] else ""), flush=True)
    if fresh:
        shutil.rmtree(fresh, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps({"conditions": cond, "notebooks": rows}, indent=2) + "\n")
    if args.record:
        record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
        for row in rows:
            if not row["error"]:
                record[row["notebook"]] = {**{k: v for k, v in row.items() if k not in ("notebook", "error")},
                                           "conditions": cond}
        RECORD.write_text(json.dumps(dict(sorted(record.items())), indent=2, ensure_ascii=False) + "\n")
        print(f"recorded in {RECORD.relative_to(ROOT)}")
    return 1 if any(r["error"] or not r["fits_binder_2gb"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
