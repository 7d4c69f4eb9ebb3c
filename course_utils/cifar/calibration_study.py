"""The calibration study of notebook 08: train CIFAR-10 variants (label smoothing, noisy labels), fit a
temperature on a held-out split, and measure calibration on the test set before and after.

The metrics come from ``course_utils.calibration`` (NumPy, the floor); training from ``cifar.train``.
Checkpoints live under ``settings.checkpoint_root()``, with notebook 07's.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import NamedTuple

import numpy as np

from .. import settings
from .._validate import check_flag, check_int, check_scalar
from ..calibration import apply_temperature, calibration_metrics, fit_temperature, negative_log_likelihood
from . import budget, models, train
from .data import CIFAR10, flip_labels, subset, validation_split

__all__ = ["VAL_SIZE", "split_validation", "CalibrationRun", "calibration_run", "study_settings", "runs_table"]

#: Training images held out (seeded, at random) for fitting the temperature; the model trains on the rest.
VAL_SIZE = 5000

def _check_cifar(data) -> None:
    if not isinstance(data, CIFAR10):
        raise TypeError(f"data must be a CIFAR10 tuple (got {type(data).__name__})")

def split_validation(data, n_val: int = VAL_SIZE, *, seed: int = 0):
    """Carve a validation split out of ``data``'s training set: ``(train_data, x_val, y_val)``.

    ``n_val`` training images, chosen by a seeded permutation, are held out for fitting the temperature;
    ``train_data`` is ``data`` with the remaining images as its training set (the test set is untouched).
    """
    _check_cifar(data)
    split = validation_split(data, n_val=n_val, seed=seed)  # the held-out images land in its test slots
    return data._replace(x_train=split.x_train, y_train=split.y_train), split.x_test, split.y_test

class CalibrationRun(NamedTuple):
    """One trained variant, measured on the test set before (T = 1) and after temperature scaling."""

    name: str
    recipe: str
    label_smoothing: float
    noise: float  # fraction of training labels flipped
    temperature: float  # fitted on the held-out validation split
    before: dict  # calibration_metrics on the test set at T = 1
    after: dict  # ... at the fitted temperature
    test_logits: np.ndarray  # float64, N_test x C
    test_targets: np.ndarray  # int64, N_test
    val_logits: np.ndarray  # float64, the held-out split that T was fitted on
    val_targets: np.ndarray  # int64
    train_losses: np.ndarray  # per-image cross-entropy (nats, T = 1) on a sample of the training images...
    train_flipped: np.ndarray  # ...and whether each one's training label was flipped
    train_seconds: float
    reused_checkpoint: bool

    @property
    def test_losses(self) -> np.ndarray:
        """Per-image cross-entropy on the test set at T = 1, in nats."""
        return negative_log_likelihood(apply_temperature(self.test_logits, 1.0), self.test_targets,
                                       reduction="none")

    def row(self) -> dict:
        """One flat row for a table."""
        b, a = self.before, self.after
        return {"name": self.name, "epsilon": self.label_smoothing, "noise": self.noise, "T": self.temperature,
                "accuracy": b["accuracy"], "ece": b["ece"], "ece_T": a["ece"], "nll": b["nll"],
                "nll_T": a["nll"], "brier": b["brier"], "brier_T": a["brier"], "train_s": self.train_seconds}

def _noisy_split(data: CIFAR10, n_val: int, noise: float, seed: int):
    """The training data with ``n_val`` images held out and ``noise`` of the rest relabelled: ``(train_data,
    x_val, y_val, flipped)``, ``flipped`` marking the relabelled training images."""
    train_data, x_val, y_val = split_validation(data, n_val, seed=seed)
    flipped = np.zeros(len(train_data.y_train), dtype=bool)
    if noise > 0:
        noisy = flip_labels(train_data.y_train, noise, num_classes=len(data.classes), seed=seed)
        flipped = (noisy != train_data.y_train).numpy()
        train_data = train_data._replace(y_train=noisy)
    return train_data, x_val, y_val, flipped


def _train_losses(logits_of, train_data: CIFAR10, flipped: np.ndarray, n: int, seed: int):
    """Per-image cross-entropy (nats, T = 1) of ``n`` seeded training images, and whether each was flipped."""
    pick = np.sort(np.random.default_rng(seed).permutation(len(flipped))[: min(n, len(flipped))])
    if not pick.size:
        return np.zeros(0), flipped[pick]
    losses = negative_log_likelihood(apply_temperature(logits_of(train_data.x_train[pick]), 1.0),
                                     train_data.y_train[pick].numpy(), reduction="none")
    return losses, flipped[pick]


def calibration_run(data, *, recipe="quick", label_smoothing: float | None = None, noise: float = 0.0,
                    n_val: int = VAL_SIZE, epochs: int | None = None,
                    checkpoint_dir: str | os.PathLike | None = None, seed: int = 0,
                    n_bins: int = 15, n_train_losses: int = 5000, progress: bool = False, log=None,
                    name: str | None = None, precision: str | None = None) -> CalibrationRun:
    """Train one variant (or reuse its checkpoint) and measure its calibration.

    ``n_val`` training images are held out (:func:`split_validation`); ``noise`` flips that fraction of
    the remaining training labels (``data.flip_labels``, the held-out labels stay clean); the model trains
    with ``train.fit`` (``recipe``, ``epochs``, ``label_smoothing``, ``checkpoint_dir``, ``seed``,
    ``precision``: default the recipe's), or with ``budget.budgeted_fit`` when the recipe has a time budget
    (``budget_s``) and no ``epochs`` is given; T is fitted on the held-out split; the test metrics are computed
    at T = 1 and at the fitted T, from the (TTA-averaged, when the recipe uses it) logits in float64.
    """
    _check_cifar(data)
    n_bins = check_int(n_bins, "n_bins")
    noise = check_scalar(noise, "noise", low=0.0, high=1.0, high_open=True)
    n_train_losses = check_int(n_train_losses, "n_train_losses", low=0, high=10**7)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None (got {type(name).__name__})")
    rec = train.get_recipe(recipe)
    eps = rec.label_smoothing if label_smoothing is None else check_scalar(label_smoothing, "label_smoothing",
                                                                           low=0.0, high=1.0, high_open=True)
    train_data, x_val, y_val, flipped = _noisy_split(data, n_val, noise, seed)
    model = models.make_model(rec.model, num_classes=len(data.classes), seed=seed)
    t0 = time.perf_counter()
    fit_kw = dict(label_smoothing=eps, checkpoint_dir=checkpoint_dir, seed=seed, live_plot=False,
                  progress=check_flag(progress, "progress"), eval_each_epoch=False, log=log, precision=precision)
    if rec.budget_s is not None and epochs is None:  # a recipe on its time budget (full mode: quick, 3 minutes)
        hist, _ = budget.budgeted_fit(model, train_data, recipe=rec, **fit_kw)
    else:
        hist = train.fit(model, train_data, recipe=rec, epochs=epochs, **fit_kw)
    seconds = hist.train_seconds if hist.reused_checkpoint else time.perf_counter() - t0

    def logits_of(x):
        return train.predict_logits(model, x, tta=rec.tta, tta_translate=rec.tta_translate,
                                    precision=hist.precision).double().numpy()

    val_logits, test_logits = logits_of(x_val), logits_of(data.x_test)
    temperature = fit_temperature(val_logits, y_val)
    y_test = data.y_test.numpy().astype(np.int64)
    tr_losses, tr_flipped = _train_losses(logits_of, train_data, flipped, n_train_losses, seed)
    return CalibrationRun(
        name=name or f"ε = {eps:g}" + (f", {noise:.0%} noisy labels" if noise else ""), recipe=rec.name,
        label_smoothing=eps, noise=noise, temperature=temperature,
        before=calibration_metrics(apply_temperature(test_logits, 1.0), y_test, n_bins),
        after=calibration_metrics(apply_temperature(test_logits, temperature), y_test, n_bins),
        test_logits=test_logits, test_targets=y_test, val_logits=val_logits,
        val_targets=y_val.numpy().astype(np.int64), train_losses=tr_losses, train_flipped=tr_flipped,
        train_seconds=float(seconds), reused_checkpoint=hist.reused_checkpoint)


def study_settings(data, *, fast: bool | None = None):
    """The notebook's data and ``calibration_run`` keyword arguments, for fast or full mode.

    Full mode: all of ``data``, the ``quick`` recipe on its 3-minute budget (``budget.budgeted_fit``: fewer
    epochs on a slower machine, never a late finish), 5,000 held-out images, checkpoints reused (under
    ``settings.checkpoint_root()``). Fast mode (``settings.fast_mode``): at most 1,000 training and 500
    test images, the quick recipe shrunk to 1 epoch of batches of 64, 200 held-out images, no checkpoints:
    seconds, not minutes.
    """
    _check_cifar(data)
    if not settings.fast_mode(fast):
        return data, {"recipe": train.budgeted_recipe("quick"), "n_val": VAL_SIZE,
                      "checkpoint_dir": settings.checkpoint_root(),
                      "n_train_losses": 5000, "progress": True}
    data = subset(data, n_train=1000, n_test=500)
    recipe = dataclasses.replace(train.RECIPES["quick"], name="quick-fast", epochs=1, batch_size=64,
                                 description="fast mode: the quick recipe shrunk to seconds")
    n_val = min(200, len(data.y_train) // 5)
    return data, {"recipe": recipe, "n_val": n_val, "checkpoint_dir": None, "n_train_losses": 500,
                  "progress": False}

def runs_table(runs, *, markdown: bool = False) -> str:
    """A text (or Markdown) table of :class:`CalibrationRun` rows: T, accuracy, and ECE, NLL (nats) and
    Brier at T = 1 and at the fitted T."""
    markdown = check_flag(markdown, "markdown")
    if not isinstance(runs, (list, tuple)) or not all(isinstance(r, (CalibrationRun, dict)) for r in runs):
        raise TypeError(f"runs must be a list of CalibrationRun (or dicts of their row()) (got {type(runs).__name__})")
    if not runs:
        raise ValueError("runs must hold at least one run")
    rows = [r.row() if isinstance(r, CalibrationRun) else dict(r) for r in runs]
    cols = [("run", "name", "{}"), ("T", "T", "{:.3f}"), ("accuracy", "accuracy", "{:.4f}"),
            ("ECE", "ece", "{:.4f}"), ("ECE at T", "ece_T", "{:.4f}"), ("NLL", "nll", "{:.4f}"),
            ("NLL at T", "nll_T", "{:.4f}"), ("Brier", "brier", "{:.4f}"), ("Brier at T", "brier_T", "{:.4f}")]
    cells = [[fmt.format(row[key]) for _, key, fmt in cols] for row in rows]
    heads = [head for head, _, _ in cols]
    if markdown:
        lines = ["| " + " | ".join(heads) + " |", "|---" + "|---:" * (len(cols) - 1) + "|"]
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]

    def fmt_row(c: list[str]) -> str:
        return "  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(c, widths, strict=True)))

    return "\n".join([fmt_row(heads), *(fmt_row(c) for c in cells)])
