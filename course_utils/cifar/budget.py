"""Recipes defined by a time budget: the demo ends on time on any machine.

``budgeted_fit`` first measures this machine's training throughput (a few warm-up steps on a copy of the
model, counted in the budget), estimates the final evaluation, and works out how many epochs fit in what is
left. ``fit`` then anneals the one-cycle schedule by the clock (its ``time_budget_s``): the schedule ends when
the budget, less the evaluation, is spent, in the middle of an epoch if need be. The epoch count is only a
ceiling, with headroom (``HEADROOM``), so a machine that runs faster than the warm-up measured still uses the
whole budget, and a slower one gets fewer epochs, never a late finish.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_instance, check_int, check_scalar
from . import optim, train
from .data import CIFAR10, augment_batch, normalize_batch
from .devices import autocast, resolve_device, resolve_precision

__all__ = ["BUDGETS", "HEADROOM", "Plan", "plan_epochs", "measure_throughput", "budgeted_fit"]

#: Seconds of training plus the final evaluation, per recipe: "the best run in 3 (10) minutes".
BUDGETS = train.BUDGETS
#: The epoch ceiling allows this much more throughput than the warm-up measured: the clock, not the count,
#: ends the schedule (a count that ran out first would end the run early and waste the budget). Generous,
#: because a warm-up taken while something else runs (a browser, a test) under-measures the machine.
HEADROOM = 2.0
#: The longest budget accepted: a week (a longer one is a typo, and its epoch count would overflow).
MAX_BUDGET_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Plan:
    """What ``budgeted_fit`` chose, and why."""

    budget_s: float | None  # training + final evaluation; None: a fixed number of epochs
    epochs: int  # with a budget, a ceiling: the clock ends the schedule
    expected_epochs: float  # what fits at the measured throughput
    images_per_second: float  # training throughput measured here
    eval_seconds: float  # the final evaluation's estimated time, kept inside the budget
    warmup_seconds: float  # spent measuring, counted in the budget
    precision: str

    @property
    def train_budget_s(self) -> float | None:
        """What ``fit`` gets as its time budget (None without a budget)."""
        if self.budget_s is None:
            return None
        return max(self.budget_s - self.warmup_seconds - self.eval_seconds, 1e-3)

    def describe(self, n_train: int) -> str:
        """Budget, epochs chosen and why (images/s), precision: the lines a notebook prints."""
        per_epoch = n_train / self.images_per_second
        if self.budget_s is None:
            return (f"no time budget: a fixed {self.epochs} epoch(s), precision {self.precision}\n"
                    f"measured {self.images_per_second:,.0f} training images/s: one epoch of {n_train:,} images "
                    f"takes about {per_epoch:.1f} s, the run about {self.epochs * per_epoch:.0f} s")
        return (f"budget {self.budget_s:.0f} s (training and the final evaluation), precision {self.precision}\n"
                f"measured {self.images_per_second:,.0f} training images/s: one epoch of {n_train:,} images takes "
                f"about {per_epoch:.1f} s\n"
                f"-> about {self.expected_epochs:.1f} epoch(s) in {self.train_budget_s:.0f} s, after "
                f"{self.warmup_seconds:.1f} s of measuring and before about {self.eval_seconds:.1f} s of final "
                f"evaluation;\n   the schedule follows the clock and ends on time (at most {self.epochs} epoch(s))")


def plan_epochs(budget_s: float, *, n_train: int, images_per_second: float, eval_seconds: float = 0.0,
                warmup_seconds: float = 0.0, max_epochs: int | None = None) -> int:
    """The epochs of ``n_train`` images that fit in what the budget leaves after the warm-up and the final
    evaluation, at ``images_per_second``, rounded up (the clock ends the last one): at least 1, at most
    ``max_epochs``."""
    budget_s = check_scalar(budget_s, "budget_s", low=0.0, low_open=True)
    n_train = check_int(n_train, "n_train", high=10**9)
    ips = check_scalar(images_per_second, "images_per_second", low=0.0, low_open=True)
    spare = budget_s - check_scalar(eval_seconds, "eval_seconds", low=0.0) \
        - check_scalar(warmup_seconds, "warmup_seconds", low=0.0)
    epochs = max(1, math.ceil(spare * ips / n_train - 1e-9)) if spare > 0 else 1
    return epochs if max_epochs is None else min(epochs, check_int(max_epochs, "max_epochs", high=train.MAX_EPOCHS))


def _one_step(model: nn.Module, opt, xb: torch.Tensor, yb: torch.Tensor, recipe, device, precision) -> None:
    with autocast(device, precision):
        loss = F.cross_entropy(model(xb).float(), yb, label_smoothing=recipe.label_smoothing)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def measure_throughput(model: nn.Module, data, recipe, *, device, precision: str, steps: int = 3) -> float:
    """Training images per second of ``recipe``'s batches on ``device``, timed over ``steps`` steps on a copy
    of ``model`` after one untimed warm-up step (``model`` itself is not changed)."""
    check_instance(model, nn.Module, "model", "torch.nn.Module")
    check_instance(data, CIFAR10, "data", "CIFAR10 tuple")
    recipe = train.get_recipe(recipe)
    device = check_instance(device, torch.device, "device", "torch.device (see devices.resolve_device)")
    if not isinstance(precision, str) or precision == "auto":
        raise ValueError(f"precision must be 'bf16', 'fp16' or 'fp32' (got {precision!r:.40}); "
                         "see devices.resolve_precision")
    precision = resolve_precision(precision, device)
    steps = check_int(steps, "steps", high=1000)
    twin = copy.deepcopy(model).to(device).to(memory_format=torch.channels_last).train()
    opt = optim.make_optimizer(twin, recipe)
    optim.set_lr(opt, 0.0)  # time the arithmetic, change nothing that matters
    batch = min(recipe.batch_size, len(data.x_train))
    g = torch.Generator().manual_seed(0)
    xb = normalize_batch(augment_batch(data.x_train[:batch], g, translate=recipe.translate, flip=recipe.flip))
    xb = xb.to(device).contiguous(memory_format=torch.channels_last)
    yb = data.y_train[:batch].long().to(device)
    _one_step(twin, opt, xb, yb, recipe, device, precision)  # warm-up: allocations, kernel choice
    t0 = train.clock()
    for _ in range(steps):
        _one_step(twin, opt, xb, yb, recipe, device, precision)
    return steps * batch / max(train.clock() - t0, 1e-9)


def _eval_seconds(model: nn.Module, data, recipe, device, precision: str, batch: int = 500) -> float:
    """The final evaluation's time, measured: ``train.predict_logits`` (with the recipe's test-time views) on
    one batch of test images after an untimed one, scaled to the whole test set."""
    n_test = len(data.x_test)
    if n_test == 0:
        return 0.0
    twin = copy.deepcopy(model).to(device).eval()
    x = data.x_test[:batch]
    kw = dict(tta=recipe.tta, tta_translate=recipe.tta_translate, device=device, precision=precision)
    train.predict_logits(twin, x, **kw)  # warm-up
    t0 = train.clock()
    train.predict_logits(twin, x, **kw)
    return (train.clock() - t0) * n_test / len(x)


def budgeted_fit(model: nn.Module, data, *, recipe="quick", budget_s: float | None = None, device=None,
                 precision: str | None = None, warmup_steps: int = 3, log=print, **fit_kwargs):
    """Train ``recipe`` within ``budget_s`` seconds (default: the recipe's ``budget_s``, else
    ``BUDGETS[recipe.name]``), the final evaluation
    included: measure, plan (``Plan``), print the plan with ``log`` (also ``fit``'s log), and ``fit`` with the
    schedule annealed by the clock. Returns ``(history, plan)``; evaluate right after, inside the budget.

    A recipe without a budget (``full``, or notebook 07's fast mode) trains its fixed epochs; the plan then
    says so, with the measured speed. A checkpoint of a budgeted run is found again on the next run, however
    many epochs this machine's speed allowed (see ``fit``'s ``checkpoint_dir``)."""
    t0 = train.clock()
    rec = train.get_recipe(recipe)
    if budget_s is None:
        budget_s = rec.budget_s if rec.budget_s is not None else BUDGETS.get(rec.name)
    if budget_s is not None:
        budget_s = check_scalar(budget_s, "budget_s", low=0.0, low_open=True, high=MAX_BUDGET_S)
    warmup_steps = check_int(warmup_steps, "warmup_steps", high=1000)
    if log is not None and not callable(log):
        raise TypeError(f"log must be a function such as print, or None (got {type(log).__name__})")
    dev = resolve_device(device)
    prec = resolve_precision(rec.precision if precision is None else precision, dev)
    ips = measure_throughput(model, data, rec, device=dev, precision=prec, steps=warmup_steps)
    eval_s = _eval_seconds(model, data, rec, dev, prec)
    warmup = train.clock() - t0
    if budget_s is None:
        plan = Plan(None, rec.epochs, float(rec.epochs), ips, eval_s, warmup, prec)
    else:
        epochs = plan_epochs(budget_s, n_train=len(data.x_train), images_per_second=HEADROOM * ips,
                             eval_seconds=eval_s, warmup_seconds=warmup)
        expected = max(budget_s - warmup - eval_s, 0.0) * ips / len(data.x_train)
        plan = Plan(budget_s, epochs, expected, ips, eval_s, warmup, prec)
        rec = dataclasses.replace(rec, epochs=epochs, budget_s=budget_s)
    if log:
        log(plan.describe(len(data.x_train)))
    history = train.fit(model, data, recipe=rec, time_budget_s=plan.train_budget_s, device=dev, precision=prec,
                        log=log, **fit_kwargs)
    return history, plan
