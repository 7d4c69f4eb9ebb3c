"""How fast do the explorers redraw? Median time from a control change to the finished redraw (Agg).

For each explorer it sets a control many times (a sweep back and forth over the slider, as a drag does) and
times ``control.value = v``, which runs the whole path: the values recomputed by info/losses/grads, the
artists moved, the figure blitted over its cached background, the PNG encoded and handed to the
``ipywidgets.Image``. It also times a full redraw (what a change of axis limits costs). Goal: <= 50 ms.

    .venv/bin/python benchmarks/widgets.py            # 60 changes per control
    .venv/bin/python benchmarks/widgets.py --repeat 20

The machine's load changes the figures a lot; the script prints the conditions with them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402

from course_utils import plots  # noqa: E402
from course_utils import widgets as W  # noqa: E402

GOAL_MS = 50.0

#: explorer -> (factory, [(control, values to sweep)])
CASES = {
    "distribution_explorer": (W.distribution_explorer, [("p0", np.linspace(0.05, 0.95, 30)),
                                                        ("q2", np.linspace(0.0, 1.0, 30))]),
    "binary_explorer": (W.binary_explorer, [("q", W.Q_GRID[::3])]),
    "softmax_explorer": (W.softmax_explorer, [("z1", np.linspace(-5, 5, 30)),
                                              ("temperature", np.geomspace(0.3, 3, 30))]),
    "loss_family_explorer": (W.loss_family_explorer, [("q", W.Q_GRID[::3]),
                                                      ("gamma", np.linspace(0, 5, 30))]),
}


def time_changes(explorer, control: str, values, repeat: int) -> list[float]:
    w = explorer.controls[control]
    sweep = np.concatenate([values, values[::-1]])
    times = []
    for v in np.resize(sweep, repeat):
        v = float(v)
        if w.value == v:
            continue
        t = time.perf_counter()
        w.value = v
        times.append(time.perf_counter() - t)
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=60, help="control changes per control (default 60)")
    args = ap.parse_args(argv)
    plots.use_style()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"conditions: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, Python {platform.python_version()}, "
          f"matplotlib {matplotlib.__version__} (Agg), live figure at {W.LIVE_DPI} dpi")
    print(f"{'explorer':24s} {'control':12s} {'median ms':>9s} {'p90 ms':>7s} {'full redraw ms':>15s}  goal")
    worst = 0.0
    for name, (make, controls) in CASES.items():
        ex = make()
        for control, values in controls:
            before = ex._renderer.full_redraws
            times = time_changes(ex, control, values, args.repeat)
            fulls = ex._renderer.full_redraws - before
            full_times = []
            for _ in range(5):
                t = time.perf_counter()
                ex.redraw(full=True)
                full_times.append(time.perf_counter() - t)
            med = statistics.median(times) * 1e3
            p90 = float(np.percentile(times, 90)) * 1e3
            worst = max(worst, med)
            note = "ok" if med <= GOAL_MS else "SLOW"
            print(f"{name:24s} {control:12s} {med:9.1f} {p90:7.1f} {statistics.median(full_times) * 1e3:15.1f}  "
                  f"{note}  ({len(times)} changes, {fulls} needed a full redraw)")
    print(f"worst median {worst:.1f} ms (goal <= {GOAL_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
