"""Training and evaluation for the CIFAR-10 notebooks: ``fit`` (a short loop over an epoch, a step, the
schedule and the checkpoint) and ``evaluate`` (accuracy, per-class accuracy, confusion, probabilities).

The optimizer and its schedule live in ``optim``, the progress bar and live plot in ``reporting``, safe
checkpoints in ``checkpoint``, devices and precision in ``devices``. Every argument of ``fit`` is checked at
the door, in milliseconds, before anything moves or trains.

Losses are cross-entropies in nats. The training loss is the loss being minimised, which includes label
smoothing when the recipe uses it (so it cannot reach 0); the test loss is the plain cross-entropy.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .. import settings
from .._validate import (
    as_float,
    as_int_array,
    check_flag,
    check_instance,
    check_int,
    check_optional_int,
    check_path,
    check_scalar,
    check_seed,
)
from . import checkpoint, optim, reporting
from .data import alternating_flips, augment_batch, normalize_batch
from .devices import autocast, grad_scaler, resolve_device, resolve_precision

__all__ = [
    "Recipe", "RECIPES", "BUDGETS", "NOTEBOOK_RECIPE", "OPTIMIZERS", "LATER_FIELDS", "RECORD_IDEAS",
    "notebook_recipe", "budgeted_recipe", "get_recipe", "smoothed_target_entropy", "History",
    "Evaluation", "shift_batch", "predict_logits", "evaluate", "per_class_accuracy", "confident_mistakes",
    "describe_predictions", "checkpoint_path", "fit", "first_batch_loss",
]

#: Upper bounds at the door: far beyond any course run, small enough that torch never overflows.
MAX_CLASSES = 100_000
MAX_BATCH = 1_000_000
MAX_EPOCHS = 10_000

#: The clock ``fit`` reads for its time budget (tests replace it with a fake one).
clock = time.perf_counter


@dataclass(frozen=True)
class Recipe:
    """Everything that defines a training run, apart from the data and the seed."""

    name: str
    model: str  # a name for course_utils.models.make_model
    epochs: int
    batch_size: int
    lr: float  # peak learning rate
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.2
    schedule: str = "onecycle"  # "onecycle": linear warm-up then linear decay to 0; or "constant"
    warmup: float = 0.2  # fraction of the run spent warming up (one-cycle)
    translate: int = 2  # augmentation: random shift in pixels (0 = none)
    flip: bool = True  # augmentation: random horizontal flip
    tta: bool = True  # evaluate on the image and its mirror image, averaging the logits
    tta_translate: int = 0  # also on copies shifted by this many pixels (see predict_logits); 0 = none
    whiten: bool = True  # set the fast net's stem from the data before training
    precision: str = "auto"  # "auto", "bf16", "fp16" or "fp32": see devices.resolve_precision
    description: str = ""
    # Ideas from the speed records (airbench94_muon), off by default:
    optimizer: str = "sgd"  # "sgd", or "muon": Muon on the conv filters, SGD on the rest (see optim.Muon)
    muon_lr: float = 0.24  # Muon's peak learning rate (the schedule is the same as lr's)
    muon_momentum: float = 0.6
    whiten_bias_until: float = 1.0  # fraction of the run during which the whitening stem's bias trains
    alternate_flips: bool = False  # flip each image in every other epoch (a random half first), not at random
    # Seconds for training plus the final evaluation when the run is defined by a time budget (set by
    # budget.budgeted_fit and notebook_recipe); then the epochs are whatever the machine's speed allowed, and
    # checkpoints ignore them. None: a fixed number of epochs.
    budget_s: float | None = None

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))} "
                             f"(got {self.optimizer!r:.40})")
        check_scalar(self.whiten_bias_until, "whiten_bias_until", low=0.0, high=1.0)
        check_scalar(self.muon_lr, "muon_lr", low=0.0)
        check_scalar(self.muon_momentum, "muon_momentum", low=0.0, high=1.0, high_open=True)
        check_flag(self.alternate_flips, "alternate_flips")


#: The optimizers a recipe can name (see ``optim.make_optimizer``).
OPTIMIZERS = ("sgd", "muon")
#: Fields added after checkpoints were first written: left out of a checkpoint's fingerprint while they keep
#: their default, so that a recipe that does not use them (``tutorial``, ``full``, a learner's own) finds the
#: checkpoints it wrote before they existed.
LATER_FIELDS = {f.name: f.default for f in dataclasses.fields(Recipe)
                if f.name in ("optimizer", "muon_lr", "muon_momentum", "whiten_bias_until", "alternate_flips")}


#: What ``quick`` and ``standard`` take from airbench94_muon, each chosen on 5,000 validation images held out of
#: the training set, on quick's 3-minute budget (``benchmarks/cifar10.py --validation``; the README has the runs):
#: Muon on the conv filters at a lower rate than the record's 0.24, a 10% warm-up, and the whitening bias trained
#: for the first 30% of the run only. Alternating flips did not help in 2 epochs and stay off.
RECORD_IDEAS = dict(optimizer="muon", muon_lr=0.15, warmup=0.1, whiten_bias_until=0.3)

#: The named recipes. ``tutorial`` reproduces the PyTorch tutorial in this harness, for comparison.
RECIPES: dict[str, Recipe] = {
    "tutorial": Recipe(
        "tutorial", "tutorial", epochs=2, batch_size=4, lr=0.001, nesterov=False, weight_decay=0.0,
        label_smoothing=0.0, schedule="constant", translate=0, flip=False, tta=False, whiten=False,
        precision="fp32",
        description="the PyTorch 'Training a classifier' recipe: LeNet-style net, batch 4, SGD 0.001, "
                    "momentum 0.9, 2 epochs, no augmentation, float32",
    ),
    "quick": Recipe("quick", "quick", epochs=5, batch_size=256, lr=0.2, **RECORD_IDEAS,
                    description="a live classroom demo: the best run in 3 minutes on the machine at hand"),
    "standard": Recipe("standard", "standard", epochs=15, batch_size=256, lr=0.2, **RECORD_IDEAS,
                       description="the notebook's default: the best run in 10 minutes on the machine at hand"),
    "quick-sgd": Recipe("quick-sgd", "quick", epochs=5, batch_size=256, lr=0.2,
                        description="quick before the speed records' ideas (SGD on every parameter): for comparison, "
                                    "and what the distillation students train with"),
    "full": Recipe("full", "full", epochs=30, batch_size=256, lr=0.2, tta_translate=1,
                   description="for learners with time or a GPU: a 2 M-parameter net (widths 64/256/256), "
                               "30 epochs, test-time flips and 1-pixel shifts (target: >= 94%)"),
}


#: The notebook's default recipe in full mode (see ``notebook_recipe``).
NOTEBOOK_RECIPE = "standard"
#: Seconds of training plus the final evaluation, per recipe: "the best run in 3 (10) minutes" on the machine
#: at hand (``budget.budgeted_fit``). ``full`` has none: it is a fixed amount of work.
BUDGETS: dict[str, float] = {"quick": 180.0, "standard": 600.0}


def notebook_recipe(fast: bool | None = None) -> Recipe:
    """The recipe notebook 07 trains: ``standard`` on its time budget in full mode (``budget_s`` set, so its
    checkpoint is found again whatever epochs the machine allowed); in fast mode (default
    ``settings.fast_mode()``) a fixed 4 short epochs of the ``quick`` recipe with small batches, which finish in
    seconds on the stand-in data."""
    if settings.fast_mode(fast):
        return dataclasses.replace(RECIPES["quick"], name="fast", epochs=4, batch_size=50, lr=0.1,
                                   description="fast mode: seconds, for checking that everything runs")
    return budgeted_recipe(NOTEBOOK_RECIPE)


def budgeted_recipe(name: str) -> Recipe:
    """The named recipe on its time budget (``BUDGETS[name]``): run by ``budget.budgeted_fit``, its checkpoint
    found again whatever epochs the machine allowed."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, the name of a recipe (got {type(name).__name__})")
    if name not in BUDGETS:
        raise ValueError(f"name must be a recipe with a time budget, one of {', '.join(map(repr, BUDGETS))} "
                         f"(got {name!r:.40})")
    return dataclasses.replace(RECIPES[name], budget_s=BUDGETS[name])


def smoothed_target_entropy(label_smoothing: float, num_classes: int = 10) -> float:
    """Entropy, in nats, of a label-smoothed one-hot target: 1 - eps + eps/C on the true class and eps/C
    on each other. Cross-entropy = entropy + KL, so this is the lowest training loss label smoothing allows."""
    eps = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    num_classes = check_int(num_classes, "num_classes", high=MAX_CLASSES)
    p = torch.full((num_classes,), eps / num_classes, dtype=torch.float64)
    p[0] += 1 - eps
    p = p[p > 0]
    return float(-(p * p.log()).sum())


@dataclass
class History:
    """What happened during ``fit``: one entry per finished epoch, plus the loss of every step."""

    recipe: str
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)  # nats, mean over the epoch (with smoothing)
    train_accuracy: list[float] = field(default_factory=list)  # on augmented training batches
    test_loss: list[float] = field(default_factory=list)  # nats, plain cross-entropy (nan if not measured)
    test_accuracy: list[float] = field(default_factory=list)  # nan if not measured
    lr: list[float] = field(default_factory=list)  # at the end of each epoch
    seconds: list[float] = field(default_factory=list)  # cumulative training wall time
    step_loss: list[float] = field(default_factory=list)  # nats, every step
    images_seen: int = 0
    precision: str = "fp32"  # of the forward passes: "bf16" or "fp16" (autocast) or "fp32"
    finished: bool = False
    stopped_by_budget: bool = False
    reused_checkpoint: bool = False
    untrained_test_loss: float = float("nan")  # nats, measured before training (drawn at step 0)

    @property
    def train_seconds(self) -> float:
        return self.seconds[-1] if self.seconds else 0.0

    @property
    def images_per_second(self) -> float:
        return self.images_seen / self.train_seconds if self.train_seconds else 0.0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Evaluation:
    """The result of ``evaluate``. Tensors are on the CPU; ``confusion[i, j]`` counts images of true class
    ``i`` predicted as class ``j``."""

    accuracy: float
    per_class_accuracy: torch.Tensor  # float64, one per class
    confusion: torch.Tensor  # int64, classes × classes
    probs: torch.Tensor  # float32, N × classes (softmax of the logits)
    logits: torch.Tensor  # float32, N × classes (averaged over the flip when tta=True)
    targets: torch.Tensor  # int64, N
    losses: torch.Tensor  # float32, N: the cross-entropy of each image, in nats
    loss: float  # their mean, in nats

    def __repr__(self) -> str:
        return (f"Evaluation(accuracy={self.accuracy:.4f}, loss={self.loss:.4f} nats, "
                f"n={len(self.targets)}, classes={len(self.per_class_accuracy)})")


# ------------------------------------------------------------------------------------------ validation
def get_recipe(recipe) -> Recipe:
    """``recipe`` itself if it is a ``Recipe``, else the named one from ``RECIPES``."""
    if isinstance(recipe, Recipe):
        return recipe
    if not isinstance(recipe, str):
        raise TypeError(f"recipe must be a recipe name or a Recipe (got {type(recipe).__name__})")
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(map(repr, RECIPES))} (got {recipe!r})")
    return RECIPES[recipe]


def _check_images(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (got {type(x).__name__})")
    if x.dtype != torch.uint8 or x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"{name} must be a uint8 tensor of shape N×3×H×W (got {x.dtype}, {tuple(x.shape)})")
    return x


def _check_labels(y, name: str, n: int) -> torch.Tensor:
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (got {type(y).__name__})")
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{name} must be 1-D with one label per image ({n}) (got shape {tuple(y.shape)})")
    if y.dtype.is_floating_point or y.dtype == torch.bool or y.dtype.is_complex:
        raise TypeError(f"{name} must hold integer class indices (got {y.dtype})")
    if n and (y.min() < 0):
        raise ValueError(f"{name} must be non-negative class indices (got {int(y.min())})")
    return y.long()


def _model_device(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _prepare(x_uint8: torch.Tensor, device: torch.device) -> torch.Tensor:
    x = normalize_batch(x_uint8).to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last)


def shift_batch(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Float images moved ``shift`` pixels down and right (up and left when negative), the border filled
    by reflection, as the training augmentation does."""
    check_instance(x, torch.Tensor, "x", "torch.Tensor")
    if not x.is_floating_point() or x.ndim != 4:
        raise ValueError(f"x must be float images of shape N×C×H×W (got {x.dtype}, shape {tuple(x.shape)})")
    limit = min(x.shape[-2:]) - 1
    shift = check_int(shift, "shift", low=-limit, high=limit)
    if shift == 0:
        return x
    k = abs(shift)
    padded = F.pad(x, (k, k, k, k), mode="reflect")
    h, w = x.shape[-2:]
    start = 0 if shift > 0 else 2 * k
    return padded[..., start:start + h, start:start + w]


def _predict_views(model: nn.Module, xb: torch.Tensor, tta: bool, tta_translate: int) -> torch.Tensor:
    """Logits averaged over the test-time views: for the image (and its mirror, with ``tta``), weight 1/2
    on the view itself and 1/4 on each copy shifted by ±``tta_translate`` pixels."""
    views = [xb, xb.flip(-1)] if tta else [xb]
    total = 0.0
    for v in views:
        logits = model(v).float()
        if tta_translate:
            logits = 0.5 * logits + 0.25 * (model(shift_batch(v, tta_translate)).float()
                                             + model(shift_batch(v, -tta_translate)).float())
        total = total + logits
    return total / len(views)


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, *, tta: bool = True, batch_size: int = 500,
                   device=None, precision: str = "auto", tta_translate: int = 0) -> torch.Tensor:
    """Logits (float32, on the CPU) for uint8 images ``x``; with ``tta`` the mean over the image and its
    mirror image; with ``tta_translate`` > 0 each of those also averaged with two copies shifted by that
    many pixels (see ``_predict_views``). ``precision``: see ``devices.resolve_precision``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    _check_images(x, "x")
    batch_size = check_int(batch_size, "batch_size", high=MAX_BATCH)
    tta = check_flag(tta, "tta")
    tta_translate = check_int(tta_translate, "tta_translate", low=0, high=8)
    device = resolve_device(device) if device is not None else _model_device(model)
    precision = resolve_precision(precision, device)
    model.to(device)
    was_training = model.training
    model.eval()
    out = []
    try:
        for i in range(0, len(x), batch_size):
            xb = _prepare(x[i:i + batch_size], device)
            with autocast(device, precision):
                logits = _predict_views(model, xb, tta, tta_translate)
            out.append(logits.cpu())
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.empty(0)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, tta: bool = True, batch_size: int = 500,
             device=None, precision: str = "auto", tta_translate: int = 0) -> Evaluation:
    """Accuracy, per-class accuracy, confusion matrix, probabilities and per-image cross-entropy (nats) of
    ``model`` on uint8 images ``x`` with labels ``y``. ``tta``: average the logits over a horizontal flip;
    ``tta_translate``: and over shifted copies (see ``predict_logits``). ``precision``: see
    ``devices.resolve_precision``. A bad ``device`` is refused before the model moves."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    x = _check_images(x, "x")
    y = _check_labels(y, "y", len(x))
    if len(x) == 0:
        raise ValueError("x must hold at least one image (got 0)")
    check_int(batch_size, "batch_size", high=MAX_BATCH)
    logits = predict_logits(model, x, tta=tta, batch_size=batch_size, device=device, precision=precision,
                            tta_translate=tta_translate)
    k = logits.shape[1]
    if int(y.max()) >= k:
        raise ValueError(f"y has a class index {int(y.max())} out of range for a model with {k} outputs")
    losses = F.cross_entropy(logits, y, reduction="none")
    pred = logits.argmax(1)
    confusion = torch.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    return Evaluation(
        accuracy=float((pred == y).double().mean()), per_class_accuracy=per_class_accuracy(confusion),
        confusion=confusion,
        probs=logits.softmax(1), logits=logits, targets=y, losses=losses, loss=float(losses.mean()),
    )


def per_class_accuracy(confusion) -> torch.Tensor:
    """Accuracy on each true class from a confusion matrix (rows: true class, columns: prediction):
    the diagonal divided by the row sums; NaN for a class with no images."""
    c = torch.from_numpy(as_int_array(confusion, "confusion", low=0))
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"confusion must be a square matrix (got shape {tuple(c.shape)})")
    c = c.double()
    support = c.sum(1)
    nan = torch.tensor(float("nan"), dtype=torch.float64)
    return torch.where(support > 0, c.diagonal() / support.clamp(min=1e-300), nan)


def confident_mistakes(probs, targets, k: int = 8) -> torch.Tensor:
    """Indices of the ``k`` wrong predictions made with the highest probability, most confident first."""
    p = torch.from_numpy(as_float(probs, "probs"))
    y = torch.from_numpy(as_int_array(targets, "targets", low=0))
    if p.ndim != 2 or y.ndim != 1 or len(p) != len(y):
        raise ValueError(f"probs must be N×C and targets N (got shapes {tuple(p.shape)} and {tuple(y.shape)})")
    k = check_int(k, "k", high=max(1, len(p)))
    conf, pred = p.max(1)
    wrong = torch.nonzero(pred != y).flatten()
    order = torch.argsort(conf[wrong], descending=True, stable=True)
    return wrong[order[:k]]


def describe_predictions(ev: Evaluation, indices, classes) -> list[str]:
    """One short title per image: the true class, the predicted class with its probability, and the
    image's loss -ln q(true class) in nats."""
    check_instance(ev, Evaluation, "ev", "train.Evaluation")
    n = len(ev.targets)
    idx = as_int_array(indices, "indices", low=0, high=n - 1)
    if idx.ndim != 1:
        raise ValueError(f"indices must be a 1-D sequence of image indices (got shape {idx.shape})")
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (list, tuple)) \
            or not all(isinstance(c, str) for c in classes):
        raise TypeError(f"classes must be a list or tuple of class names (got {type(classes).__name__})")
    if len(classes) < ev.probs.shape[1]:
        raise ValueError(f"classes must name all {ev.probs.shape[1]} classes (got {len(classes)})")
    out = []
    for i in idx.tolist():
        pred = int(ev.probs[i].argmax())
        out.append(f"{classes[int(ev.targets[i])]} →\n{classes[pred]} {float(ev.probs[i, pred]):.0%}\n"
                   f"loss {float(ev.losses[i]):.1f} nats")
    return out


def _fingerprint(model: nn.Module, data, recipe: Recipe, seed: int) -> str:
    """A short hash of what determines the run: recipe, seed, model shape, labels and a sample of pixels."""
    # Only what changes the training counts: editing a recipe's name or description keeps its checkpoints.
    fields = {k: v for k, v in dataclasses.asdict(recipe).items() if k not in ("name", "description")}
    # A run defined by its time budget is the same run whatever epochs this machine's speed allowed.
    fields.pop("epochs" if recipe.budget_s is not None else "budget_s")
    fields = {k: v for k, v in fields.items() if k not in LATER_FIELDS or v != LATER_FIELDS[k]}
    h = hashlib.sha1(json.dumps(fields, sort_keys=True).encode())
    h.update(f"{seed}|{type(model).__name__}|{sum(p.numel() for p in model.parameters())}".encode())
    h.update(str(tuple(data.x_train.shape)).encode())
    h.update(data.y_train.to(torch.int64).numpy().tobytes())
    h.update(data.x_train.reshape(-1)[:: 9973].numpy().tobytes())
    return h.hexdigest()[:12]


def checkpoint_path(checkpoint_dir: str | os.PathLike, model: nn.Module, data, *, recipe="quick", epochs=None,
                    label_smoothing=None, seed: int = 0) -> Path:
    """Where ``fit`` with these arguments keeps its checkpoint: one file per distinct run (recipe, epochs,
    label smoothing, seed, model, labels), so variants never overwrite one another."""
    folder = check_path(checkpoint_dir, "checkpoint_dir")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    _check_data(data)
    epochs = check_optional_int(epochs, "epochs", high=MAX_EPOCHS)
    seed = check_seed(seed)
    if label_smoothing is not None:
        label_smoothing = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0, high_open=True)
    rec = get_recipe(recipe)
    rec = dataclasses.replace(rec, epochs=rec.epochs if epochs is None else epochs,
                              label_smoothing=rec.label_smoothing if label_smoothing is None else label_smoothing)
    return folder / f"{rec.name}-{_fingerprint(model, data, rec, seed)}.pt"


# ---------------------------------------------------------------------------------------------- fitting
@dataclass
class _Run:
    """One call of ``fit``, checked at the door: what every helper below reads."""

    model: nn.Module
    data: object
    recipe: Recipe
    seed: int
    device: torch.device
    precision: str
    budget_s: float | None
    eval_each_epoch: bool
    ckpt: Path | None
    resume: bool
    batch: int = 0
    steps_per_epoch: int = 0
    step: int = 0
    clock0: float = 0.0
    optimizer: torch.optim.Optimizer | None = None
    scaler: object = None
    progress: bool = False
    live_plot: bool = False
    untrained_loss: float | None = None
    log: object = None

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.recipe.epochs


def _check_data(data) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    for attr in ("x_train", "y_train", "x_test", "y_test"):
        if not hasattr(data, attr):
            raise TypeError(f"data must be a CIFAR10 tuple with x_train, y_train, x_test, y_test (no {attr})")
    x_train = _check_images(data.x_train, "data.x_train")
    y_train = _check_labels(data.y_train, "data.y_train", len(x_train))
    x_test = _check_images(data.x_test, "data.x_test")
    y_test = _check_labels(data.y_test, "data.y_test", len(x_test))
    if len(x_train) == 0:
        raise ValueError("data.x_train must hold at least one image (got 0)")
    return x_train, y_train, x_test, y_test


@torch.no_grad()
def _check_model_fits(model: nn.Module, x: torch.Tensor, labels: dict[str, torch.Tensor]) -> None:
    """One image through ``model`` (in eval mode, nothing changes): the images must fit it, and every label
    must be below its number of outputs."""
    was_training = model.training
    model.eval()
    try:
        out = model(normalize_batch(x[:1]).to(_model_device(model)))
    except RuntimeError as err:
        raise ValueError(f"data.x_train images of {x.shape[2]}×{x.shape[3]} pixels do not fit the model "
                         f"({str(err).splitlines()[0]})") from None
    finally:
        model.train(was_training)
    if out.ndim != 2:
        raise ValueError(f"model must return N×classes logits (got shape {tuple(out.shape)} for one image)")
    k = out.shape[1]
    for name, y in labels.items():
        if len(y) and int(y.max()) >= k:
            raise ValueError(f"{name} has a class index {int(y.max())} but the model has {k} outputs "
                             f"(valid: 0..{k - 1})")


def _check_checkpoint_dir(checkpoint_dir) -> Path | None:
    if checkpoint_dir is None:
        return None
    folder = check_path(checkpoint_dir, "checkpoint_dir")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"checkpoint_dir must be a folder ({folder} is a file)")
    return folder


def _door_reporting(run: _Run, progress, live_plot, untrained_loss, log) -> _Run:
    """The reporting arguments of ``fit``, checked."""
    run.progress = check_flag(progress, "progress")
    run.live_plot = run.progress and reporting.in_notebook() if live_plot is None else check_flag(live_plot,
                                                                                                  "live_plot")
    if untrained_loss is not None:
        run.untrained_loss = check_scalar(untrained_loss, "untrained_loss", low=0.0)
    if log is not None and not callable(log):
        raise TypeError(f"log must be a function or None (got {type(log).__name__})")
    run.log = log
    return run


def _door(model, data, *, recipe, epochs, label_smoothing, checkpoint_dir, resume, time_budget_s, seed,
          device, precision, eval_each_epoch) -> _Run:
    """Every argument of ``fit`` that shapes the run checked, before anything moves or trains."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    x_train, y_train, x_test, y_test = _check_data(data)
    rec = get_recipe(recipe)
    epochs = check_optional_int(epochs, "epochs", high=MAX_EPOCHS)
    if label_smoothing is not None:
        label_smoothing = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0, high_open=True)
    rec = dataclasses.replace(rec, epochs=rec.epochs if epochs is None else epochs,
                              label_smoothing=rec.label_smoothing if label_smoothing is None else label_smoothing)
    if time_budget_s is not None:
        time_budget_s = check_scalar(time_budget_s, "time_budget_s", low=0.0, low_open=True)
    seed = check_seed(seed)
    folder = _check_checkpoint_dir(checkpoint_dir)
    device = resolve_device(device)
    precision = resolve_precision(rec.precision if precision is None else precision, device)
    _check_model_fits(model, x_train, {"data.y_train": y_train, "data.y_test": y_test})
    ckpt = None if folder is None else checkpoint_path(folder, model, data, recipe=rec, seed=seed)
    return _Run(model, data, rec, seed, device, precision, time_budget_s, check_flag(eval_each_epoch,
                "eval_each_epoch"), ckpt, check_flag(resume, "resume"))


def _setup(run: _Run) -> History:
    """Model on its device, optimizer, batches per epoch; the history resumed from the checkpoint if any."""
    run.model.to(run.device).to(memory_format=torch.channels_last)
    run.optimizer = optim.make_optimizer(run.model, run.recipe)
    run.scaler = grad_scaler(run.device, run.precision)
    n = len(run.data.x_train)
    run.batch = min(run.recipe.batch_size, n)
    run.steps_per_epoch = n // run.batch  # drop the last partial batch: BN prefers full batches
    history = None
    if run.ckpt is not None and run.resume and run.ckpt.exists():
        history = checkpoint.load_checkpoint(run.ckpt, run.model, run.optimizer, device=run.device,
                                             make_history=History)
        if history is None:  # set aside: start afresh, with an optimizer nothing was loaded into
            run.optimizer = optim.make_optimizer(run.model, run.recipe)
    history = history or History(recipe=run.recipe.name, precision=run.precision)
    run.step = len(history.epoch) * run.steps_per_epoch
    return history


def _whiten(run: _Run) -> None:
    """Set the fast net's whitening stem from 5,000 training images, once per model."""
    model = run.model
    if run.recipe.whiten and hasattr(model, "init_whitening") and not bool(getattr(model, "whitened", True)):
        g = torch.Generator().manual_seed(run.seed)
        x = run.data.x_train
        model.init_whitening(normalize_batch(x[torch.randperm(len(x), generator=g)[:5000]]).to(run.device))


def _save(run: _Run, history: History) -> None:
    if run.ckpt is not None:
        checkpoint.save_checkpoint(run.ckpt, {"model": run.model.state_dict(),
                                              "optimizer": run.optimizer.state_dict(),
                                              "history": history.as_dict()})


def _progress(run: _Run) -> float | None:
    """How far the run is, from 0 to 1, or None when the time budget is spent. With a budget, progress is
    the larger of the steps done and the time used, so the schedule ends on time."""
    progress = run.step / run.total_steps
    if run.budget_s is not None:
        progress = max(progress, (clock() - run.clock0) / run.budget_s)
        if progress >= 1.0:
            return None
    return progress


def _whiten_bias(model: nn.Module) -> torch.Tensor | None:
    """The fast net's whitening bias (trained only early in the run, see ``Recipe.whiten_bias_until``)."""
    stem = getattr(model, "whiten", None)
    bias = getattr(stem, "bias", None)
    return bias if isinstance(bias, torch.Tensor) else None


def _freeze_whiten_bias(run: _Run, progress: float) -> None:
    """Stop training the whitening bias once the run passes ``whiten_bias_until``: its gradient is the one
    that makes the first block compute the gradient of its input, so each later step is faster (the README's
    validation runs: 518 → 558 training images/s for ``quick`` on 2 CPU cores)."""
    bias = _whiten_bias(run.model)
    if bias is not None and bias.requires_grad and progress >= run.recipe.whiten_bias_until:
        bias.requires_grad_(False)
        bias.grad = None


def _train_step(run: _Run, idx: torch.Tensor, g: torch.Generator, lr: float,
                flips: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on the images ``idx`` (mirrored where ``flips`` says, if given, instead of at
    random); returns the loss (nats) and the number right."""
    rec, device = run.recipe, run.device
    optim.set_lr(run.optimizer, lr)
    xb = run.data.x_train[idx]
    if rec.flip or rec.translate:
        xb = augment_batch(xb, g, translate=rec.translate, flip=rec.flip, flips=None if flips is None else flips[idx])
    xb = _prepare(xb, device)
    yb = run.data.y_train[idx].long().to(device, non_blocking=True)
    with autocast(device, run.precision):
        logits = run.model(xb)
        loss = F.cross_entropy(logits.float(), yb, label_smoothing=rec.label_smoothing)
    run.optimizer.zero_grad(set_to_none=True)
    run.scaler.scale(loss).backward()
    run.scaler.step(run.optimizer)
    run.scaler.update()
    run.step += 1
    return loss.detach(), (logits.detach().argmax(1) == yb).sum()


def _train_epoch(run: _Run, history: History, epoch: int, report: reporting.Reporter) -> tuple[float, int, int]:
    """The steps of one epoch, in a seeded order, until the epoch or the time budget ends: returns the
    summed loss, the number right and the number of images seen."""
    g = torch.Generator().manual_seed(run.seed * 100_003 + epoch)
    order = torch.randperm(len(run.data.x_train), generator=g)
    flips = None
    if run.recipe.flip and run.recipe.alternate_flips:
        flips = alternating_flips(len(run.data.x_train), epoch, seed=run.seed)
    loss_sum, correct, seen = torch.zeros((), dtype=torch.float64), torch.zeros((), dtype=torch.int64), 0
    for i in range(run.steps_per_epoch):
        progress = _progress(run)
        if progress is None:
            history.stopped_by_budget = True
            break
        _freeze_whiten_bias(run, progress)
        lr = optim.lr_at(run.recipe, progress)
        idx = order[i * run.batch:(i + 1) * run.batch]
        loss, right = _train_step(run, idx, g, lr, flips)
        loss_sum += loss.double().cpu() * len(idx)
        correct += right.cpu()
        seen += len(idx)
        history.step_loss.append(float(loss))
        report.step(history, run.step, float(loss), lr)
    return float(loss_sum), int(correct), seen


def _end_epoch(run: _Run, history: History, epoch: int, sums: tuple[float, int, int],
               report: reporting.Reporter) -> None:
    """Record a finished epoch: training means, the test loss and accuracy (without TTA), the time."""
    loss_sum, correct, seen = sums
    history.images_seen += seen
    history.epoch.append(epoch + 1)
    history.train_loss.append(loss_sum / seen)
    history.train_accuracy.append(correct / seen)
    history.lr.append(run.optimizer.param_groups[0]["lr"])
    # Once the budget is spent, the caller's final evaluation is the only one left to run.
    measured = run.eval_each_epoch and len(run.data.x_test) > 0 and not history.stopped_by_budget
    if measured:
        report.evaluating()
        ev = evaluate(run.model, run.data.x_test, run.data.y_test, tta=False, precision=run.precision)
    history.test_loss.append(ev.loss if measured else float("nan"))
    history.test_accuracy.append(ev.accuracy if measured else float("nan"))
    history.seconds.append(clock() - run.clock0)
    history.finished = epoch + 1 == run.recipe.epochs or history.stopped_by_budget
    _save(run, history)
    report.epoch(history, reporting.epoch_line(history, run.recipe.epochs, measured))


def _reused(run: _Run, history: History) -> bool:
    """Whether a finished checkpoint was loaded (then its history is drawn once, and nothing trains)."""
    if run.untrained_loss is not None:
        history.untrained_test_loss = run.untrained_loss
    if not history.finished:
        if run.log and history.epoch:
            run.log(f"resuming from epoch {len(history.epoch)} of {run.recipe.epochs} ({run.ckpt})")
        return False
    history.reused_checkpoint = True
    if run.live_plot:
        reporting.LivePlot(history, run.steps_per_epoch, run.untrained_loss)
    if run.log:
        run.log(f"reused the finished checkpoint {run.ckpt}")
    return True


def _train(run: _Run, history: History) -> None:
    """The loop: epoch after epoch until the recipe's epochs or the time budget end."""
    run.clock0 = clock() - history.train_seconds
    run.model.train()
    bias = _whiten_bias(run.model)
    bias_trains = bias is not None and bias.requires_grad
    try:
        _epochs(run, history)
    finally:
        if bias_trains:
            bias.requires_grad_(True)  # the model leaves as it came: every parameter it trains is trainable


def _epochs(run: _Run, history: History) -> None:
    with reporting.Reporter(history, name=run.recipe.name, total_steps=run.total_steps, done_steps=run.step,
                            steps_per_epoch=run.steps_per_epoch, progress=run.progress, live_plot=run.live_plot,
                            log=run.log, untrained_loss=run.untrained_loss) as report:
        for epoch in range(len(history.epoch), run.recipe.epochs):
            sums = _train_epoch(run, history, epoch, report)
            if sums[2] == 0:  # the budget ran out at the first step of an epoch: the run is over
                history.finished = history.stopped_by_budget
                _save(run, history)
                return
            _end_epoch(run, history, epoch, sums, report)
            if history.stopped_by_budget:
                return


def fit(model: nn.Module, data, *, recipe="quick", epochs: int | None = None,
        label_smoothing: float | None = None, checkpoint_dir: str | os.PathLike | None = None, resume: bool = True,
        time_budget_s: float | None = None, seed: int = 0, device=None, live_plot: bool | None = None,
        progress: bool = True, eval_each_epoch: bool = True, log=None, precision: str | None = None,
        untrained_loss: float | None = None) -> History:
    """Train ``model`` on ``data`` (a ``CIFAR10`` tuple, uint8 images) with a named recipe and return its
    ``History``.

    - ``epochs`` and ``label_smoothing`` override the recipe's. To train on noisy labels, pass
      ``data._replace(y_train=flip_labels(data.y_train, 0.2))``.
    - ``checkpoint_dir``: save a checkpoint after every epoch (atomically); with ``resume`` an unfinished run
      continues where it stopped, and a finished one is loaded instead of retrained. Each distinct run
      (recipe, overrides, seed, model, labels) has its own file. A file that cannot be loaded as plain
      weights is set aside as ``*.corrupt``, with a warning, and the run starts from scratch.
    - ``time_budget_s``: squeeze the learning-rate schedule into this many seconds and stop when they are
      spent (the schedule then follows the clock, so such a run is not bit-for-bit reproducible).
    - ``seed`` fixes the order of the batches and the augmentation. ``device``: default cuda > mps > cpu;
      ``precision`` (default: the recipe's): see ``devices.resolve_precision``; ``History.precision``
      records the one used.
    - ``live_plot``: redraw loss (nats) and accuracy curves in the notebook (default: when in a notebook
      and ``progress``), with ``untrained_loss`` (the test loss before training, in nats) marked at step 0.
      ``progress``: a progress bar. ``eval_each_epoch``: measure the test loss and accuracy after every
      epoch (without TTA). ``log``: a function called with one line per epoch.
    """
    run = _door(model, data, recipe=recipe, epochs=epochs, label_smoothing=label_smoothing,
                checkpoint_dir=checkpoint_dir, resume=resume, time_budget_s=time_budget_s, seed=seed,
                device=device, precision=precision, eval_each_epoch=eval_each_epoch)
    history = _setup(_door_reporting(run, progress, live_plot, untrained_loss, log))
    if not _reused(run, history):
        _whiten(run)
        _train(run, history)
    run.model.eval()
    return history


def first_batch_loss(model: nn.Module, data, *, logit_scale: float | None = None, batch_size: int = 256,
                     seed: int = 0) -> dict:
    """The loss training starts from: a copy of ``model``, its whitening stem set from the training images as
    :func:`fit` sets it, in train mode on the first ``batch_size`` training images. ``logit_scale`` replaces
    the net's own (FastNet scales its logits by 0.125). Returns ``{"loss", "logit_std"}``: the mean
    cross-entropy in nats and the spread of the logits. ``model`` itself is left untouched."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module (got {type(model).__name__})")
    x_train, y_train, _, _ = _check_data(data)
    batch_size = check_int(batch_size, "batch_size", high=10**6)
    seed = check_seed(seed)
    net = copy.deepcopy(model)
    if logit_scale is not None:
        if not hasattr(net, "logit_scale"):
            raise ValueError(f"logit_scale: {type(net).__name__} has no logit scale to replace")
        net.logit_scale = check_scalar(logit_scale, "logit_scale", low=0.0, low_open=True)
    device = _model_device(net)
    if hasattr(net, "init_whitening") and not bool(getattr(net, "whitened", True)):
        g = torch.Generator().manual_seed(seed)
        net.init_whitening(normalize_batch(x_train[torch.randperm(len(x_train), generator=g)[:5000]]).to(device))
    net.train()
    with torch.no_grad():
        z = net(_prepare(x_train[:batch_size], device)).float()
        loss = F.cross_entropy(z, y_train[:batch_size].to(device).long())
    return {"loss": loss.item(), "logit_std": z.std().item()}
