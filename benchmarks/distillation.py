"""Distillation on CIFAR-10 (notebook 10): does a small student learn more from a teacher's soft targets than
from the labels alone, with the same budget and seeds? And does a label-smoothed teacher distil worse?

    CIFAR10_ROOT=/work/cifar10 nice -n 10 python benchmarks/distillation.py --teacher-epochs 2 --student-epochs 3

- Two teachers of notebook 07's kind (the ``quick`` net, 0.3 M parameters), trained with ``fit`` on the
  ``quick-sgd`` recipe (``quick`` before Muon) for ``--teacher-epochs``: one with label smoothing ε = 0, one
  with ε = 0.2.
- Students (``distill.make_student``, about 20 k parameters) trained for ``--student-epochs`` on the
  recipe's optimizer, flips only, for each seed: without a teacher (plain cross-entropy), and distilled from
  each teacher with ``--alpha`` and ``--temperature``.

Prints a line per run and a final JSON line with every figure (accuracies on the 10,000 test images, no
test-time augmentation). ``--n-train`` trains everything on a seeded subset, to fit a small time budget.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from course_utils.cifar import data as cdata  # noqa: E402
from course_utils.cifar import distill, models, train  # noqa: E402


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if platform.system() != "Darwin" else kb / 2**20


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher-epochs", type=int, default=2)
    ap.add_argument("--student-epochs", type=int, default=3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--temperature", type=float, default=4.0)
    ap.add_argument("--smoothing", type=float, nargs="+", default=[0.0, 0.2])
    ap.add_argument("--n-train", type=int, default=None, help="train on a seeded subset of this many images")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoints", type=Path, default=None, help="keep the teachers' checkpoints here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cifar = cdata.load_cifar10(progress=False)
    cifar = cdata.subset(cifar, n_train=args.n_train) if args.n_train else cifar
    print(f"CIFAR-10: {len(cifar.x_train):,} training, {len(cifar.x_test):,} test images; "
          f"{args.threads} threads; torch {torch.__version__}", flush=True)
    out = {"config": vars(args) | {"checkpoints": str(args.checkpoints)}, "teachers": {}, "students": []}
    t_all = time.perf_counter()
    soft = {}
    for eps in args.smoothing:
        t0 = time.perf_counter()
        teacher = models.make_model("quick", seed=0)
        train.fit(teacher, cifar, recipe="quick-sgd", epochs=args.teacher_epochs, label_smoothing=eps, seed=0,
                  progress=False, eval_each_epoch=False, checkpoint_dir=args.checkpoints, device="cpu")
        ev = train.evaluate(teacher, cifar.x_test, cifar.y_test, tta=False)
        soft[eps] = distill.teacher_logits(teacher, cifar.x_train)
        out["teachers"][str(eps)] = {"accuracy": ev.accuracy, "test_loss": ev.loss,
                                     "parameters": models.count_parameters(teacher),
                                     "seconds": time.perf_counter() - t0}
        print(f"teacher ε = {eps}: {ev.accuracy:.2%}, test loss {ev.loss:.4f} nats "
              f"({time.perf_counter() - t0:.0f} s with its soft targets)", flush=True)
    for seed in args.seeds:
        for eps in [None, *args.smoothing]:
            run = distill.train_student(
                distill.make_student(seed), cifar, soft_targets=None if eps is None else soft[eps], alpha=args.alpha,
                temperature=args.temperature, epochs=args.student_epochs, seed=seed, device="cpu")
            row = {"teacher_smoothing": eps, **{k: v for k, v in vars(run).items() if k != "train_loss"}}
            out["students"].append(row)
            who = "no teacher" if eps is None else f"teacher ε = {eps}"
            print(f"student seed {seed}, {who}: {run.accuracy:.2%}, test loss {run.test_loss:.4f} nats "
                  f"({run.seconds:.0f} s, {run.parameters:,} parameters)", flush=True)
    summary = {}
    for eps in [None, *args.smoothing]:
        accs = [r["accuracy"] for r in out["students"] if r["teacher_smoothing"] == eps]
        summary["no teacher" if eps is None else f"teacher eps={eps}"] = sum(accs) / len(accs)
    out["mean_student_accuracy"] = summary
    out["total_seconds"] = time.perf_counter() - t_all
    out["peak_rss_mb"] = peak_rss_mb()
    print("mean student accuracy: " + ", ".join(f"{k} {v:.2%}" for k, v in summary.items()))
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
