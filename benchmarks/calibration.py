"""Calibration of a CIFAR-10 recipe on the real data, before and after temperature scaling, by label smoothing.

    CIFAR10_ROOT=/path/to/data python benchmarks/calibration.py --recipe standard --threads 2

For each label smoothing ε (default 0.2, 0 and 0.1; the recipes' own default is 0.2) it trains the recipe on
45,000 training images, holding out 5,000 (a seeded random split of the training set) to fit the
temperature T, then measures the 10,000 test images at T = 1 and at the fitted T: accuracy, ECE (15
equal-width bins), NLL (nats) and the Brier score. Checkpoints go to ``--checkpoint-dir`` (default
``checkpoints/`` at the repository root), so a rerun only measures. ``--noise 0.2`` adds a run with 20% of
the training labels flipped (ε = 0). Prints one line per run, a Markdown table, and one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from course_utils import settings  # noqa: E402
from course_utils.cifar import calibration_study as study  # noqa: E402
from course_utils.cifar import data as cdata  # noqa: E402
from course_utils.cifar import devices, train  # noqa: E402


def table(rows: list[dict]) -> str:
    head = ("| run | T (fitted) | accuracy | ECE, T=1 → T | NLL (nats), T=1 → T | Brier, T=1 → T | train s |\n"
            "|---|---:|---:|---:|---:|---:|---:|")
    lines = [
        f"| {r['name']} | {r['T']:.3f} | {r['accuracy']:.4f} | {r['ece']:.4f} → {r['ece_T']:.4f} | "
        f"{r['nll']:.4f} → {r['nll_T']:.4f} | {r['brier']:.4f} → {r['brier_T']:.4f} | {r['train_s']:.0f} |"
        for r in rows
    ]
    return "\n".join([head, *lines])


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", choices=sorted(train.RECIPES), default="standard")
    ap.add_argument("--eps", type=float, nargs="+", default=[0.2, 0.0, 0.1], help="label smoothing values")
    ap.add_argument("--noise", type=float, default=None, help="also train with this fraction of labels flipped")
    ap.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    ap.add_argument("--val", type=int, default=study.VAL_SIZE, help="training images held out for fitting T")
    ap.add_argument("--bins", type=int, default=15)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--root", default=None, help="data folder (default: $CIFAR10_ROOT, else the course cache)")
    ap.add_argument("--checkpoint-dir", default=str(settings.checkpoint_root()),
                    help="default: $COURSE_CHECKPOINTS, else the course cache (shared with notebook 08)")
    ap.add_argument("--precision", choices=devices.PRECISIONS, default=None,
                    help="default: the recipe's (auto for all but tutorial): bf16 autocast on a GPU or a CPU "
                         "with bf16 matrix units (AMX), else fp32")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = cdata.load_cifar10(args.root, download=False, progress=False)
    print(f"recipe {args.recipe}: {train.RECIPES[args.recipe]}", flush=True)
    print(f"torch {torch.__version__}; threads {torch.get_num_threads()}; cpus {os.cpu_count()}; "
          f"load average {os.getloadavg()}; split: {len(data.y_train) - args.val} train / {args.val} held out "
          f"for T / {len(data.y_test)} test; {args.bins} bins", flush=True)
    runs = [(eps, 0.0) for eps in args.eps] + ([(0.0, args.noise)] if args.noise else [])
    rows = []
    for eps, noise in runs:
        t0 = time.perf_counter()
        r = study.calibration_run(data, recipe=args.recipe, label_smoothing=eps, noise=noise, n_val=args.val,
                                epochs=args.epochs, checkpoint_dir=args.checkpoint_dir, seed=args.seed,
                                n_bins=args.bins, n_train_losses=0, precision=args.precision,
                                log=lambda line: print("   ", line, flush=True))
        row = {**r.row(), "recipe": r.recipe, "reused_checkpoint": r.reused_checkpoint,
               "wall_s": round(time.perf_counter() - t0, 1), "load_average_end": os.getloadavg()}
        rows.append(row)
        print(f"{r.name}: T = {r.temperature:.3f}, accuracy {r.before['accuracy']:.4f} (unchanged by T), "
              f"ECE {r.before['ece']:.4f} -> {r.after['ece']:.4f}, NLL {r.before['nll']:.4f} -> "
              f"{r.after['nll']:.4f} nats, Brier {r.before['brier']:.4f} -> {r.after['brier']:.4f}"
              + (" (reused checkpoint)" if r.reused_checkpoint else ""), flush=True)
    print()
    print(table(rows))
    for row in rows:
        print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}))
    return rows


if __name__ == "__main__":
    main()
