"""Training and evaluation for the CIFAR-10 notebooks: ``fit`` (progress bar, live curves, history,
checkpoints, resume, time budget) and ``evaluate`` (accuracy, per-class accuracy, confusion, probabilities).

Losses are cross-entropies in nats. The training loss is the loss being minimised, which includes label
smoothing when the recipe uses it (so it cannot reach 0); the test loss is the plain cross-entropy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import numbers
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .data import augment_batch, normalize_batch


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
    precision: str = "auto"  # "auto", "bf16" or "fp32": see resolve_precision
    description: str = ""


#: The named recipes. ``tutorial`` reproduces the PyTorch tutorial in this harness, for comparison.
RECIPES: dict[str, Recipe] = {
    "tutorial": Recipe(
        "tutorial", "tutorial", epochs=2, batch_size=4, lr=0.001, nesterov=False, weight_decay=0.0,
        label_smoothing=0.0, schedule="constant", translate=0, flip=False, tta=False, whiten=False,
        precision="fp32",
        description="the PyTorch 'Training a classifier' recipe: LeNet-style net, batch 4, SGD 0.001, "
                    "momentum 0.9, 2 epochs, no augmentation, float32",
    ),
    "quick": Recipe("quick", "quick", epochs=5, batch_size=256, lr=0.2,
                    description="a live classroom demo (target: >= 83% in <= 3 minutes on 2 CPU cores)"),
    "standard": Recipe("standard", "standard", epochs=15, batch_size=256, lr=0.2,
                       description="the notebook's default (target: >= 90% in <= 10 minutes on 2 CPU cores)"),
    "full": Recipe("full", "full", epochs=30, batch_size=256, lr=0.2, tta_translate=1,
                   description="for learners with time or a GPU: a 2 M-parameter net (widths 64/256/256), "
                               "30 epochs, test-time flips and 1-pixel shifts (target: >= 94%)"),
}


#: The notebook's default recipe in full mode (see ``notebook_recipe``).
NOTEBOOK_RECIPE = "standard"


def notebook_recipe(fast: bool | None = None) -> Recipe:
    """The recipe notebook 07 trains: ``standard`` in full mode; in fast mode (default
    ``course_utils.FAST``) a few short epochs of the ``quick`` recipe with small batches, which finish in
    seconds on the stand-in data."""
    if fast is None:
        from . import FAST as fast
    if not isinstance(fast, bool):
        raise TypeError(f"fast must be True, False or None (got {type(fast).__name__})")
    if fast:
        return dataclasses.replace(RECIPES["quick"], name="fast", epochs=4, batch_size=50, lr=0.1,
                                   description="fast mode: seconds, for checking that everything runs")
    return RECIPES[NOTEBOOK_RECIPE]


def default_checkpoint_dir() -> Path:
    """``$COURSE_CHECKPOINTS`` if set, else ``~/.cache/cross-entropy-course/checkpoints``."""
    env = os.environ.get("COURSE_CHECKPOINTS", "").strip()
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(cache).expanduser() / "cross-entropy-course" / "checkpoints"


def smoothed_target_entropy(label_smoothing: float, num_classes: int = 10) -> float:
    """Entropy, in nats, of a label-smoothed one-hot target: 1 - eps + eps/C on the true class and eps/C
    on each other. Cross-entropy = entropy + KL, so this is the lowest training loss label smoothing allows."""
    from ._validate import check_scalar

    eps = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    num_classes = _positive_int(num_classes, "num_classes", allow_none=False)
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
    precision: str = "fp32"  # of the forward passes: "bf16" (autocast) or "fp32"
    finished: bool = False
    stopped_by_budget: bool = False
    reused_checkpoint: bool = False

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
def _get_recipe(recipe) -> Recipe:
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
    if y.dtype.is_floating_point or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class indices (got {y.dtype})")
    if n and (y.min() < 0):
        raise ValueError(f"{name} must be non-negative class indices (got {int(y.min())})")
    return y.long()


def _positive_int(value, name: str, *, allow_none: bool = True):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int (got {value!r})")
    return int(value)


def _resolve_device(device) -> torch.device:
    if device is None:
        from . import pick_device

        device = pick_device()
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda' (got {device!r})") from err


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


# ------------------------------------------------------------------------------------------ evaluation
def _prepare(x_uint8: torch.Tensor, device: torch.device) -> torch.Tensor:
    x = normalize_batch(x_uint8).to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last)


PRECISIONS = ("auto", "bf16", "fp32")


def cpu_has_bf16_units() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel AMX), where bf16 autocast makes
    convolutions several times faster. On other CPUs bf16 is emulated and slower than float32."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def resolve_precision(precision: str, device) -> str:
    """``"bf16"`` or ``"fp32"``: the precision ``fit`` and ``evaluate`` use on ``device``. ``"auto"`` picks
    bf16 autocast on a CUDA GPU and on a CPU with bf16 matrix units (``cpu_has_bf16_units``), else fp32."""
    if not isinstance(precision, str):
        raise TypeError(f"precision must be a str (got {type(precision).__name__})")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))} (got {precision!r})")
    device = _resolve_device(device)
    if precision == "bf16" and device.type not in ("cuda", "cpu"):
        raise ValueError(f"precision 'bf16' is supported on cuda and cpu devices (got {device.type!r})")
    if precision != "auto":
        return precision
    if device.type == "cuda" or (device.type == "cpu" and cpu_has_bf16_units()):
        return "bf16"
    return "fp32"


def _autocast(device: torch.device, precision: str):
    """The forward pass in bf16 autocast when ``precision`` is bf16: matrix products and convolutions in
    bfloat16, reductions and the loss in float32."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def shift_batch(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Float images moved ``shift`` pixels down and right (up and left when negative), the border filled
    by reflection, as the training augmentation does."""
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
    many pixels (see ``_predict_views``). ``precision``: see ``resolve_precision``."""
    _check_images(x, "x")
    batch_size = _positive_int(batch_size, "batch_size", allow_none=False)
    if isinstance(tta_translate, bool) or not isinstance(tta_translate, numbers.Integral) \
            or not 0 <= tta_translate <= 8:
        raise ValueError(f"tta_translate must be an int in [0, 8] (got {tta_translate!r})")
    device = _resolve_device(device) if device is not None else next(model.parameters()).device
    precision = resolve_precision(precision, device)
    was_training = model.training
    model.eval()
    out = []
    try:
        for i in range(0, len(x), batch_size):
            xb = _prepare(x[i:i + batch_size], device)
            with _autocast(device, precision):
                logits = _predict_views(model, xb, tta, int(tta_translate))
            out.append(logits.cpu())
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.empty(0)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, tta: bool = True, batch_size: int = 500,
             device=None, precision: str = "auto", tta_translate: int = 0) -> Evaluation:
    """Accuracy, per-class accuracy, confusion matrix, probabilities and per-image cross-entropy (nats) of
    ``model`` on uint8 images ``x`` with labels ``y``. ``tta``: average the logits over a horizontal flip;
    ``tta_translate``: and over shifted copies (see ``predict_logits``). ``precision``: see
    ``resolve_precision``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    x = _check_images(x, "x")
    y = _check_labels(y, "y", len(x))
    if len(x) == 0:
        raise ValueError("x must hold at least one image (got 0)")
    if device is not None:
        model.to(_resolve_device(device))
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
    c = torch.as_tensor(confusion)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"confusion must be a square matrix (got shape {tuple(c.shape)})")
    c = c.double()
    support = c.sum(1)
    nan = torch.tensor(float("nan"), dtype=torch.float64)
    return torch.where(support > 0, c.diagonal() / support.clamp(min=1e-300), nan)


def confident_mistakes(probs, targets, k: int = 8) -> torch.Tensor:
    """Indices of the ``k`` wrong predictions made with the highest probability, most confident first."""
    p = torch.as_tensor(probs)
    y = torch.as_tensor(targets).long()
    if p.ndim != 2 or y.ndim != 1 or len(p) != len(y):
        raise ValueError(f"probs must be N×C and targets N (got shapes {tuple(p.shape)} and {tuple(y.shape)})")
    k = _positive_int(k, "k", allow_none=False)
    conf, pred = p.max(1)
    wrong = torch.nonzero(pred != y).flatten()
    order = torch.argsort(conf[wrong], descending=True, stable=True)
    return wrong[order[:k]]


def describe_predictions(ev: Evaluation, indices, classes) -> list[str]:
    """One short title per image: the true class, the predicted class with its probability, and the
    image's loss -ln q(true class) in nats."""
    out = []
    for i in torch.as_tensor(indices).long().tolist():
        pred = int(ev.probs[i].argmax())
        out.append(f"{classes[int(ev.targets[i])]} →\n{classes[pred]} {float(ev.probs[i, pred]):.0%}\n"
                   f"loss {float(ev.losses[i]):.1f} nats")
    return out


# ---------------------------------------------------------------------------------------- live plotting
class _LivePlot:
    """Loss (nats) and accuracy curves, redrawn in place in a notebook output by ``plots.plot_fit_history``."""

    def __init__(self, history: History, steps_per_epoch: int):
        import matplotlib.pyplot as plt
        from IPython.display import display

        self.fig, self.axes = plt.subplots(1, 2, figsize=(10, 3.6))
        plt.close(self.fig)  # shown only through the display handle
        self.steps_per_epoch = steps_per_epoch
        self.handle = None
        self.update(history)
        self.handle = display(self.fig, display_id=True)

    def update(self, h: History) -> None:
        from .plots import plot_fit_history

        plot_fit_history(h, self.axes, steps_per_epoch=self.steps_per_epoch)
        self.fig.tight_layout()
        if self.handle is not None:
            self.handle.update(self.fig)


# ---------------------------------------------------------------------------------------------- fitting
def _fingerprint(model: nn.Module, data, recipe: Recipe, seed: int) -> str:
    """A short hash of what determines the run: recipe, seed, model shape, labels and a sample of pixels."""
    # Only what changes the training counts: editing a recipe's name or description keeps its checkpoints.
    settings = {k: v for k, v in dataclasses.asdict(recipe).items() if k not in ("name", "description")}
    h = hashlib.sha1(json.dumps(settings, sort_keys=True).encode())
    h.update(f"{seed}|{type(model).__name__}|{sum(p.numel() for p in model.parameters())}".encode())
    h.update(str(tuple(data.x_train.shape)).encode())
    h.update(data.y_train.to(torch.int64).numpy().tobytes())
    h.update(data.x_train.reshape(-1)[:: 9973].numpy().tobytes())
    return h.hexdigest()[:12]


def _lr_at(recipe: Recipe, progress: float) -> float:
    if recipe.schedule == "constant":
        return recipe.lr
    if progress < recipe.warmup:
        return recipe.lr * progress / recipe.warmup
    return recipe.lr * max(0.0, 1.0 - progress) / (1.0 - recipe.warmup)


def checkpoint_path(checkpoint_dir, model: nn.Module, data, *, recipe="quick", epochs=None,
                    label_smoothing=None, seed: int = 0) -> Path:
    """Where ``fit`` with these arguments keeps its checkpoint: one file per distinct run (recipe, epochs,
    label smoothing, seed, model, labels), so variants never overwrite one another."""
    rec = _get_recipe(recipe)
    rec = dataclasses.replace(rec, epochs=rec.epochs if epochs is None else epochs,
                              label_smoothing=rec.label_smoothing if label_smoothing is None else label_smoothing)
    return Path(checkpoint_dir) / f"{rec.name}-{_fingerprint(model, data, rec, seed)}.pt"


def fit(model: nn.Module, data, *, recipe="quick", epochs: int | None = None,
        label_smoothing: float | None = None, checkpoint_dir=None, resume: bool = True,
        time_budget_s: float | None = None, seed: int = 0, device=None, live_plot: bool | None = None,
        progress: bool = True, eval_each_epoch: bool = True, log=None, precision: str | None = None) -> History:
    """Train ``model`` on ``data`` (a ``CIFAR10`` tuple, uint8 images) with a named recipe and return its
    ``History``.

    - ``epochs`` and ``label_smoothing`` override the recipe's. To train on noisy labels, pass
      ``data._replace(y_train=flip_labels(data.y_train, 0.2))``.
    - ``checkpoint_dir``: save a checkpoint after every epoch; with ``resume`` an unfinished run continues
      where it stopped, and a finished one is loaded instead of retrained. Each distinct run (recipe,
      overrides, seed, model, labels) has its own file.
    - ``time_budget_s``: squeeze the learning-rate schedule into this many seconds and stop when they are
      spent (the schedule then follows the clock, so such a run is not bit-for-bit reproducible).
    - ``seed`` fixes the order of the batches and the augmentation. ``device``: default cuda > mps > cpu;
      ``precision`` (default: the recipe's): ``"auto"`` runs the forward pass in bf16 autocast on a GPU and
      on a CPU with bf16 matrix units (Intel AMX), else in float32; ``"bf16"`` or ``"fp32"`` force one.
      ``History.precision`` records the one used.
    - ``live_plot``: redraw loss (nats) and accuracy curves in the notebook (default: when in a notebook
      and ``progress``). ``progress``: a tqdm progress bar. ``eval_each_epoch``: measure the test loss and
      accuracy after every epoch (without TTA). ``log``: a function called with one line per epoch.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    for attr in ("x_train", "y_train", "x_test", "y_test"):
        if not hasattr(data, attr):
            raise TypeError(f"data must be a CIFAR10 tuple with x_train, y_train, x_test, y_test (no {attr})")
    x_train = _check_images(data.x_train, "data.x_train")
    y_train = _check_labels(data.y_train, "data.y_train", len(x_train))
    x_test = _check_images(data.x_test, "data.x_test")
    y_test = _check_labels(data.y_test, "data.y_test", len(x_test))
    if len(x_train) == 0:
        raise ValueError("data.x_train must hold at least one image (got 0)")
    rec = _get_recipe(recipe)
    epochs = _positive_int(epochs, "epochs")
    if label_smoothing is not None:
        from ._validate import check_scalar

        label_smoothing = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0, high_open=True)
    rec = dataclasses.replace(rec, epochs=rec.epochs if epochs is None else epochs,
                              label_smoothing=rec.label_smoothing if label_smoothing is None else label_smoothing)
    if time_budget_s is not None:
        from ._validate import check_scalar

        time_budget_s = check_scalar(time_budget_s, "time_budget_s", low=0.0, low_open=True)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int (got {type(seed).__name__})")
    for flag, name in ((resume, "resume"), (progress, "progress"), (eval_each_epoch, "eval_each_epoch")):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False (got {type(flag).__name__})")
    if live_plot is None:
        live_plot = progress and _in_notebook()
    device = _resolve_device(device)
    precision = resolve_precision(rec.precision if precision is None else precision, device)

    model.to(device).to(memory_format=torch.channels_last)
    decay, no_decay = [], []
    for p_name, p in model.named_parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 and not p_name.endswith("bias") else no_decay).append(p)
    optimizer = torch.optim.SGD(
        [{"params": decay, "weight_decay": rec.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=_lr_at(rec, 0.0), momentum=rec.momentum, nesterov=rec.nesterov and rec.momentum > 0,
    )
    n = len(x_train)
    batch = min(rec.batch_size, n)
    steps_per_epoch = n // batch  # drop the last partial batch: BN prefers full batches
    total_steps = steps_per_epoch * rec.epochs
    history = History(recipe=rec.name, precision=precision)
    start_epoch = 0

    ckpt = None
    if checkpoint_dir is not None:
        ckpt = checkpoint_path(checkpoint_dir, model, data, recipe=rec, seed=int(seed))
        if resume and ckpt.exists():
            state = torch.load(ckpt, map_location=device, weights_only=False)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            history = History(**state["history"])
            start_epoch = len(history.epoch)
            if history.finished:
                history.reused_checkpoint = True
                if log:
                    log(f"reused the finished checkpoint {ckpt}")
                return history
            if log:
                log(f"resuming from epoch {start_epoch} of {rec.epochs} ({ckpt})")

    if rec.whiten and hasattr(model, "init_whitening") and not bool(getattr(model, "whitened", True)):
        g = torch.Generator().manual_seed(int(seed))
        sample = x_train[torch.randperm(n, generator=g)[:5000]]
        model.init_whitening(normalize_batch(sample).to(device))

    plot = _LivePlot(history, steps_per_epoch) if live_plot else None
    redraw_every = max(25, total_steps // 50)  # about 50 redraws a run: each one re-renders the figure
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total_steps, initial=start_epoch * steps_per_epoch, desc=f"fit ({rec.name})",
                   unit="step")
    clock0 = time.perf_counter() - history.train_seconds
    step = start_epoch * steps_per_epoch
    model.train()
    try:
        for epoch in range(start_epoch, rec.epochs):
            g = torch.Generator().manual_seed(int(seed) * 100_003 + epoch)
            order = torch.randperm(n, generator=g)
            loss_sum = torch.zeros((), dtype=torch.float64)
            correct = torch.zeros((), dtype=torch.int64)
            seen = 0
            for i in range(steps_per_epoch):
                elapsed = time.perf_counter() - clock0
                prog = step / total_steps
                if time_budget_s is not None:
                    prog = max(prog, elapsed / time_budget_s)
                    if prog >= 1.0:
                        history.stopped_by_budget = True
                        break
                lr = _lr_at(rec, prog)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                idx = order[i * batch:(i + 1) * batch]
                xb = x_train[idx]
                if rec.flip or rec.translate:
                    xb = augment_batch(xb, g, translate=rec.translate, flip=rec.flip)
                xb = _prepare(xb, device)
                yb = y_train[idx].to(device, non_blocking=True)
                with _autocast(device, precision):
                    logits = model(xb)
                    loss = F.cross_entropy(logits.float(), yb, label_smoothing=rec.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                loss_d = loss.detach()
                loss_sum += loss_d.double().cpu() * len(idx)
                correct += (logits.detach().argmax(1) == yb).sum().cpu()
                seen += len(idx)
                history.step_loss.append(float(loss_d))
                if bar is not None:
                    bar.update(1)
                    if step % 10 == 0:
                        bar.set_postfix(loss=f"{float(loss_d):.3f} nats", lr=f"{lr:.3g}")
                if plot is not None and step % redraw_every == 0:
                    plot.update(history)
            if seen == 0:  # the budget ran out at the first step of an epoch: the run is over
                history.finished = history.stopped_by_budget
                if ckpt is not None:
                    _save(ckpt, model, optimizer, history)
                break
            history.images_seen += seen
            history.epoch.append(epoch + 1)
            history.train_loss.append(float(loss_sum) / seen)
            history.train_accuracy.append(int(correct) / seen)
            history.lr.append(optimizer.param_groups[0]["lr"])
            if eval_each_epoch and len(x_test):
                ev = evaluate(model, x_test, y_test, tta=False, precision=precision)
                history.test_loss.append(ev.loss)
                history.test_accuracy.append(ev.accuracy)
            else:
                history.test_loss.append(float("nan"))
                history.test_accuracy.append(float("nan"))
            history.seconds.append(time.perf_counter() - clock0)
            history.finished = epoch + 1 == rec.epochs or history.stopped_by_budget
            if plot is not None:
                plot.update(history)
            if ckpt is not None:
                _save(ckpt, model, optimizer, history)
            if log:
                test = (f"test loss {history.test_loss[-1]:.4f} nats  test acc {history.test_accuracy[-1]:.4f}"
                        if eval_each_epoch else "test not measured each epoch")
                log(f"epoch {epoch + 1:3d}/{rec.epochs}  train loss {history.train_loss[-1]:.4f} nats  "
                    f"train acc {history.train_accuracy[-1]:.4f}  {test}  lr {history.lr[-1]:.4f}  "
                    f"{history.seconds[-1]:.1f} s")
            if history.stopped_by_budget:
                break
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    return history


def _save(path: Path, model: nn.Module, optimizer, history: History) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "history": history.as_dict()}, tmp)
    os.replace(tmp, path)
