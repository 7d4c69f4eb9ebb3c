"""Measure a CIFAR-10 training recipe on the real data: accuracy, wall time, throughput and peak memory.

    CIFAR10_ROOT=/path/to/data python benchmarks/cifar10.py --recipe quick --threads 2

``quick`` and ``standard`` are defined by a time budget (3 and 10 minutes, training plus the final evaluation,
``course_utils.cifar.budget``): the script measures this machine's throughput, prints the budget, the epochs
chosen and why, and the precision. ``--epochs N`` (or ``--budget 0``) trains a fixed number of epochs instead.

Tuning, without touching the test set: ``--validation`` trains on 45,000 training images and reports the accuracy
on the other 5,000 (``data.validation_split``); ``--set FIELD=VALUE`` changes one field of the recipe, e.g.
``--set optimizer=muon --set muon_lr=0.3``.

Prints one line per epoch, then one JSON line with ``test_accuracy``, ``train_seconds`` (wall clock for
training plus the final evaluation), ``images_per_second`` (training images per second of training) and
``peak_rss_mb`` (the process's peak resident memory).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from course_utils.cifar import budget, devices, models, train  # noqa: E402
from course_utils.cifar import data as cdata  # noqa: E402


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if platform.system() != "Darwin" else kb / 2**20


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def with_fields(recipe: train.Recipe, assignments: list[str]) -> train.Recipe:
    """``recipe`` with ``FIELD=VALUE`` changes, each value read as the field's type."""
    fields = {f.name: f for f in dataclasses.fields(recipe)}
    changes = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        if not sep or key not in fields or key == "name":
            raise SystemExit(f"--set {item!r}: expected FIELD=VALUE with FIELD one of {', '.join(sorted(fields))}")
        current = getattr(recipe, key)
        if isinstance(current, bool):
            value = {"true": True, "false": False}.get(text.lower())
            if value is None:
                raise SystemExit(f"--set {item!r}: {key} is true or false")
        elif current is None or isinstance(current, (int, float)):
            try:
                value = float(text) if key == "budget_s" or isinstance(current, float) else int(text)
            except ValueError:
                raise SystemExit(f"--set {item!r}: {key} is a number") from None
        else:
            value = text
        changes[key] = value
    try:
        return dataclasses.replace(recipe, **changes) if changes else recipe
    except (TypeError, ValueError) as err:
        raise SystemExit(f"--set: {err}") from None


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", choices=sorted(train.RECIPES), default="quick")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    ap.add_argument("--time-budget", type=float, default=None,
                    help="with fixed epochs: seconds; squeezes the schedule into them")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds for training plus the final evaluation (default: the recipe's, 180 for quick and "
                         "600 for standard); 0 = the recipe's fixed epochs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default=None, help="default: cuda > mps > cpu")
    ap.add_argument("--root", default=None, help="data folder (default: $CIFAR10_ROOT, else the course cache)")
    ap.add_argument("--checkpoint-dir", default=None, help="save (and resume from) a checkpoint each epoch")
    ap.add_argument("--precision", choices=devices.PRECISIONS, default=None,
                    help="default: the recipe's (auto for all but tutorial): bf16 autocast on a GPU or a CPU "
                         "with bf16 matrix units (AMX), else fp32")
    ap.add_argument("--eval-each-epoch", action="store_true", help="also measure test accuracy every epoch")
    ap.add_argument("--validation", action="store_true",
                    help="for tuning: train on 45,000 training images and report the accuracy on the other 5,000 "
                         "(data.validation_split), never touching the test set")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="change one field of the recipe (repeatable), e.g. --set lr=0.4 --set optimizer=muon")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = cdata.load_cifar10(args.root, download=False, progress=False)
    if args.validation:
        data = cdata.validation_split(data, n_val=5000, seed=0)
    recipe = with_fields(train.RECIPES[args.recipe], args.set)
    model = models.make_model(recipe.model, seed=args.seed)
    print(f"recipe {recipe.name}: {recipe}", flush=True)
    print(f"model {recipe.model}: {models.count_parameters(model):,} parameters; torch {torch.__version__}; "
          f"threads {torch.get_num_threads()}; cpus {os.cpu_count()}; load average {os.getloadavg()}",
          flush=True)
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    log = lambda line: print(line, flush=True)  # noqa: E731
    common = dict(seed=args.seed, device=args.device, progress=False, live_plot=False, precision=args.precision,
                  checkpoint_dir=args.checkpoint_dir, eval_each_epoch=args.eval_each_epoch, log=log)
    budget_s = budget.BUDGETS.get(recipe.name) if args.budget is None and args.epochs is None else args.budget
    if budget_s:
        hist, plan = budget.budgeted_fit(model, data, recipe=recipe, budget_s=budget_s, **common)
    else:
        hist, plan = train.fit(model, data, recipe=recipe, epochs=args.epochs, time_budget_s=args.time_budget,
                               **common), None
    ev = train.evaluate(model, data.x_test, data.y_test, tta=recipe.tta, precision=hist.precision,
                        tta_translate=recipe.tta_translate)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    result = {
        "recipe": recipe.name,
        "changes": args.set,
        "evaluated_on": "validation (5,000 held-out training images)" if args.validation else "test",
        "epochs": len(hist.epoch),
        "test_accuracy": round(ev.accuracy, 4),
        "test_loss_nats": round(ev.loss, 4),
        "train_seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),  # user + system CPU time of all threads: robust to a busy machine
        "images_per_second": round(hist.images_per_second, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "stopped_by_budget": hist.stopped_by_budget,
        "budget_seconds": plan.budget_s if plan else None,
        "planned_epochs": plan.epochs if plan else None,
        "measured_images_per_second": round(plan.images_per_second, 1) if plan else None,
        "threads": torch.get_num_threads(),
        "precision": hist.precision,
        "device": str(next(model.parameters()).device),
        "load_average_end": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
