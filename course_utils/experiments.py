"""The experiments behind notebooks 04–06, as pure functions the notebooks call in one line.

Each function validates its input at the door, computes with the course's own losses and gradients
(``losses``, ``grads``), and returns plain numbers or small dataclasses; the ``*_figure`` helpers draw
them. Losses are in nats (training), entropies in bits unless a ``base`` says otherwise. torch is
imported inside the functions that contrast with PyTorch, so importing this module stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import grads, info, losses
from ._validate import (
    as_class_indices,
    as_distribution,
    as_float,
    as_probs,
    as_weight,
    check_int,
    check_reduction,
    check_same_shape,
    check_scalar,
    reduce,
)

#: log of the largest float64 / float32: e^z overflows to inf just above these.
EXP_LIMIT_F64 = float(np.log(np.finfo(np.float64).max))
EXP_LIMIT_F32 = float(np.log(np.finfo(np.float32).max))


def _one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    out = np.zeros(y.shape + (num_classes,))
    np.put_along_axis(out, y[..., None], 1.0, axis=-1)
    return out


# --- 04 softmax and categorical cross-entropy ---
def naive_softmax(z) -> np.ndarray:
    """softmax the textbook way, e^{z_i} / sum_j e^{z_j}, with no shift: e^z overflows to inf above ~709.8."""
    z = as_float(z, "z", min_ndim=1)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


@dataclass
class OverflowDemo:
    """The same logits through a naive softmax, the shifted (log-sum-exp) one, and PyTorch's float32 one."""

    logits: np.ndarray
    naive: np.ndarray
    stable: np.ndarray
    torch_float32: np.ndarray
    naive_float32: np.ndarray


def softmax_overflow_demo(logits) -> OverflowDemo:
    """Run ``logits`` through the naive softmax (float64 and float32), the stable one and torch.softmax."""
    import torch

    z = as_float(logits, "logits", min_ndim=1)
    with np.errstate(over="ignore", invalid="ignore"):
        e32 = np.exp(z.astype(np.float32))
        naive32 = (e32 / e32.sum(axis=-1, keepdims=True)).astype(np.float64)
    t32 = torch.softmax(torch.tensor(z, dtype=torch.float32), dim=-1).numpy().astype(np.float64)
    return OverflowDemo(z, naive_softmax(z), losses.softmax(z), t32, naive32)


@dataclass
class SoftmaxBugDemo:
    """Cross-entropy on logits (right) vs on softmax(logits) (the bug), with gradients from autograd."""

    loss_right: float
    loss_bug: float
    grad_right: np.ndarray
    grad_bug: np.ndarray
    loss_floor_bug: float  # the smallest loss the buggy version can ever reach
    loss_ceiling_bug: float  # the largest loss the buggy version can ever reach


def softmax_before_ce(logits, targets) -> SoftmaxBugDemo:
    """Compare ``F.cross_entropy(z, y)`` with the common bug ``F.cross_entropy(softmax(z), y)``.

    The bug feeds probabilities in [0, 1] where logits are expected, so softmax is applied twice. The loss
    is then trapped between log(1 + (C-1)/e) and log(e + C - 1) nats, and the gradient vanishes wherever
    the first softmax saturates, right or wrong.
    """
    import torch
    import torch.nn.functional as F

    z = losses._logits_2d(logits, "logits")
    y = losses._index_targets(targets, z)
    z2, y2 = z.reshape(-1, z.shape[-1]), y.reshape(-1)
    zt = torch.tensor(z2, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y2)
    right = F.cross_entropy(zt, yt)
    (g_right,) = torch.autograd.grad(right, zt)
    bug = F.cross_entropy(torch.softmax(zt, dim=-1), yt)
    (g_bug,) = torch.autograd.grad(bug, zt)
    c = z2.shape[-1]
    shape = z.shape
    return SoftmaxBugDemo(
        right.item(), bug.item(), g_right.numpy().reshape(shape), g_bug.numpy().reshape(shape),
        float(np.log1p((c - 1) / np.e)), float(np.log(np.e + c - 1)),
    )


@dataclass
class SoftmaxBugSweep:
    """Loss and gradient norm against the logit gap, for the right and the buggy pipeline."""

    gaps: np.ndarray
    loss_right: np.ndarray
    loss_bug: np.ndarray
    grad_norm_right: np.ndarray
    grad_norm_bug: np.ndarray
    num_classes: int


def softmax_bug_sweep(gaps=None, *, num_classes: int = 10) -> SoftmaxBugSweep:
    """Logits with the true class ``gap`` nats above (gap > 0) or below (gap < 0) all the others, swept."""
    num_classes = check_int(num_classes, "num_classes", low=2)
    gaps = np.linspace(-15, 15, 121) if gaps is None else as_float(gaps, "gaps", min_ndim=1).ravel()
    out = {k: np.empty(gaps.size) for k in ("lr", "lb", "gr", "gb")}
    for i, g in enumerate(gaps):
        z = np.zeros(num_classes)
        z[0] = g
        d = softmax_before_ce(z, 0)
        out["lr"][i], out["lb"][i] = d.loss_right, d.loss_bug
        out["gr"][i], out["gb"][i] = np.linalg.norm(d.grad_right), np.linalg.norm(d.grad_bug)
    return SoftmaxBugSweep(gaps, out["lr"], out["lb"], out["gr"], out["gb"], num_classes)


def softmax_bug_figure(sweep: SoftmaxBugSweep | None = None):
    """Two panels: loss and gradient norm against the logit gap, right vs softmax-before-CrossEntropyLoss."""
    from matplotlib.figure import Figure

    from .plots import COLORS

    s = softmax_bug_sweep() if sweep is None else sweep
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    (a1, a2) = fig.subplots(1, 2)
    a1.plot(s.gaps, s.loss_right, color=COLORS["loss"], label="cross_entropy(logits, y)")
    a1.plot(s.gaps, s.loss_bug, color=COLORS["other"], ls="--", label="cross_entropy(softmax(logits), y)")
    a1.axhline(np.log1p((s.num_classes - 1) / np.e), color=COLORS["neutral"], ls=":", lw=1.2,
               label="floor of the buggy loss")
    a1.set(xlabel="logit gap: true class minus the others (nats)", ylabel="loss (nats)",
           title=f"Loss, {s.num_classes} classes")
    a2.plot(s.gaps, s.grad_norm_right, color=COLORS["grad"], label="right")
    a2.plot(s.gaps, s.grad_norm_bug, color=COLORS["other"], ls="--", label="softmax applied twice")
    a2.set(xlabel="logit gap: true class minus the others (nats)", ylabel="‖∂loss/∂logits‖ (nats per logit)",
           title="Gradient with respect to the logits")
    for ax in (a1, a2):
        ax.axvline(0, color=COLORS["neutral"], lw=1)
        ax.legend(frameon=False)
    return fig


@dataclass
class SoftTargetFit:
    """Gradient descent on one logit vector against a soft target t."""

    target: np.ndarray
    probs: np.ndarray  # softmax of the final logits
    losses: np.ndarray  # cross-entropy per step, nats
    entropy_nats: float  # H(t): the floor the loss approaches
    kl_nats: float  # KL(t || q) at the end: loss - H(t)


def fit_soft_target(target, *, steps: int = 300, lr: float = 1.0, logits0=None) -> SoftTargetFit:
    """Minimise H(t, softmax(z)) over z by gradient descent with the gradient softmax(z) - t (grads.cce_grad_logits).

    The loss falls to H(t), not to 0: with soft targets, the part of cross-entropy that can be removed is
    the KL divergence.
    """
    t = as_distribution(target, "target")
    if t.ndim != 1:
        raise ValueError(f"target must be one distribution of shape (C,) (got shape {t.shape})")
    steps = check_int(steps, "steps")
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    z = np.zeros_like(t) if logits0 is None else as_float(logits0, "logits0").copy()
    if z.shape != t.shape:
        raise ValueError(f"logits0 must have shape {t.shape} (got {z.shape})")
    trace = np.empty(steps)
    for k in range(steps):
        trace[k] = losses.categorical_cross_entropy(z, t)
        z = z - lr * grads.cce_grad_logits(z, t)
    q = losses.softmax(z)
    h = float(info.entropy(t, base=np.e))
    return SoftTargetFit(t, q, trace, h, float(info.kl_divergence(t, q, base=np.e)))


# --- 05 gradients: CE vs MSE ---
def logit(p) -> np.ndarray:
    """The logit z = log(p / (1 - p)), the inverse of the sigmoid, for p strictly inside (0, 1)."""
    p = as_float(p, "p")
    if p.size and (p.min() <= 0 or p.max() >= 1):
        raise ValueError(f"p must lie strictly between 0 and 1 (got {p.min() if p.min() <= 0 else p.max():.6g})")
    return np.log(p) - np.log1p(-p)


@dataclass
class SaturationTable:
    """Loss and gradient with respect to the logit, for BCE and MSE, at predictions ``probs`` of label ``y``."""

    probs: np.ndarray
    y: int
    bce: np.ndarray
    mse: np.ndarray
    bce_grad: np.ndarray
    mse_grad: np.ndarray

    def rows(self) -> list[str]:
        """One formatted line per prediction."""
        out = [f"{'p':>7} | {'BCE (nats)':>10} | {'MSE':>7} | {'∂BCE/∂z':>9} | {'∂MSE/∂z':>9} | BCE's gradient is"]
        for i, p in enumerate(self.probs):
            ratio = abs(self.bce_grad[i] / self.mse_grad[i]) if self.mse_grad[i] else np.inf
            out.append(f"{p:7.3g} | {self.bce[i]:10.4f} | {self.mse[i]:7.4f} | {self.bce_grad[i]:9.4f} | "
                       f"{self.mse_grad[i]:9.2e} | {ratio:,.0f}× MSE's")
        return out


def saturation_table(probs=(0.5, 0.1, 0.01, 0.001), *, y: int = 1) -> SaturationTable:
    """BCE and MSE, and their gradients with respect to the logit (grads.bce_grad_logit, grads.mse_grad_logit),
    when the model predicts P(y = 1) = p for each p in ``probs`` and the label is ``y``."""
    p = as_float(probs, "probs", min_ndim=1).ravel()
    if y not in (0, 1) or isinstance(y, bool):
        raise ValueError(f"y must be the label 0 or 1 (got {y!r})")
    z = logit(p)
    t = np.full_like(p, float(y))
    return SaturationTable(
        p, int(y), losses.binary_cross_entropy_with_logits(z, t, reduction="none"),
        losses.mse_loss(p, t, reduction="none"), grads.bce_grad_logit(z, t), grads.mse_grad_logit(z, t),
    )


@dataclass
class Race:
    """The CE-vs-MSE training race: one TrainResult per loss, and the accuracy after every step."""

    x: np.ndarray
    y: np.ndarray
    results: dict  # "bce" / "mse" -> toy.TrainResult
    accuracy: dict  # "bce" / "mse" -> (steps + 1,) accuracy after each step
    target_accuracy: float

    def steps_to(self, loss: str) -> int | None:
        """The first step at which ``loss``'s run reaches the target accuracy (None if it never does)."""
        hit = np.flatnonzero(self.accuracy[loss] >= self.target_accuracy)
        return int(hit[0]) if hit.size else None


def training_race(x=None, y=None, *, w0=(-4.0, -4.0), b0: float = 0.0, lr: float = 0.5, steps: int = 1000,
                  target_accuracy: float = 0.9, seed: int = 0) -> Race:
    """Train the same logistic regression with BCE and with MSE from the same (bad) start, ``w0``.

    The default start points the weights the wrong way, so almost every point is confidently wrong:
    MSE's gradient is then multiplied by σ(1 - σ) ≈ 0 and the model crawls, while BCE's gradient is the
    full error σ(z) - y. Data: ``toy.make_blobs(200, separation=3.0, seed=seed)`` unless given.
    """
    from . import toy

    if x is None and y is None:
        x, y = toy.make_blobs(200, separation=3.0, seed=seed)
    elif x is None or y is None:
        raise ValueError("give both x and y, or neither")
    x, y = as_float(x, "x"), as_float(y, "y")
    target_accuracy = check_scalar(target_accuracy, "target_accuracy", low=0.0, high=1.0)
    results, acc = {}, {}
    for loss in ("bce", "mse"):
        r = toy.train_logistic(x, y, loss=loss, lr=lr, steps=steps, w0=np.asarray(w0, dtype=float), b0=b0)
        z = x @ r.w_path.T + r.b_path  # (n, steps + 1): the logits after each step
        results[loss] = r
        acc[loss] = ((z > 0) == (y[:, None] == 1)).mean(axis=0)
    return Race(x, y, results, acc, target_accuracy)


def race_figure(race: Race):
    """Two panels: loss (nats for BCE, squared probability for MSE) and accuracy against the step."""
    from matplotlib.figure import Figure

    from .plots import COLORS

    fig = Figure(figsize=(10, 3.8), layout="constrained")
    (a1, a2) = fig.subplots(1, 2)
    style = {"bce": (COLORS["loss"], "-", "cross-entropy (BCE)"), "mse": (COLORS["other"], "--", "MSE on σ(z)")}
    for loss, (color, ls, label) in style.items():
        r = race.results[loss]
        a1.plot(r.losses / r.losses[0], color=color, ls=ls, label=label)
        a2.plot(race.accuracy[loss], color=color, ls=ls, label=label)
        s = race.steps_to(loss)
        if s is not None:
            a2.plot([s], [race.accuracy[loss][s]], "o", color=color)
    a1.set(xlabel="gradient-descent step", ylabel="loss / loss at step 0", title="Loss, relative to its start",
           ylim=(0, 1.05))
    a2.axhline(race.target_accuracy, color=COLORS["neutral"], ls=":", lw=1.2)
    a2.set(xlabel="gradient-descent step", ylabel="training accuracy", title="Accuracy (dot: target reached)",
           ylim=(0, 1.02))
    for ax in (a1, a2):
        ax.legend(frameon=False)
    return fig


@dataclass
class Landscape:
    """Mean loss along the line w = t · direction (bias fixed), for BCE and for MSE through a sigmoid."""

    t: np.ndarray
    direction: np.ndarray
    bce: np.ndarray
    mse: np.ndarray

    def curvature(self, loss: str) -> np.ndarray:
        """The second derivative d²L/dt², by central differences (length len(t) - 2)."""
        v = self.bce if loss == "bce" else self.mse
        h = self.t[1] - self.t[0]
        return (v[2:] - 2 * v[1:-1] + v[:-2]) / h**2

    def min_curvature(self, loss: str) -> float:
        """The most negative second derivative along the line: < 0 proves the loss is not convex."""
        return float(self.curvature(loss).min())


def loss_landscape(x=None, y=None, *, direction=None, t=None, b: float = 0.0, seed: int = 0) -> Landscape:
    """Slice both losses along a line through the weights of a logistic regression.

    A function is convex exactly when it is convex along every line, so one line with negative curvature
    is a proof of non-convexity, while curvature >= 0 along lines is the check that CE passes everywhere
    (its Hessian X^T diag(σ(1 - σ)) X is positive semi-definite). The default line runs through the
    origin along the direction between the two blob centres.
    """
    from . import toy

    if x is None and y is None:
        x, y = toy.make_blobs(200, separation=3.0, seed=seed)
    elif x is None or y is None:
        raise ValueError("give both x and y, or neither")
    x, y = as_float(x, "x"), as_float(y, "y")
    d = np.array([1.0, 1.0]) / np.sqrt(2) if direction is None else as_float(direction, "direction")
    if d.shape != (x.shape[1],) or not np.any(d):
        raise ValueError(f"direction must be a non-zero vector of shape ({x.shape[1]},) (got {d.shape})")
    t = np.linspace(-8, 8, 401) if t is None else as_float(t, "t", min_ndim=1).ravel()
    if t.size < 3 or not np.allclose(np.diff(t), t[1] - t[0]):
        raise ValueError("t must be an evenly spaced grid of at least 3 points")
    b = check_scalar(b, "b")
    z = np.outer(t, x @ d) + b  # (len(t), n)
    yy = np.broadcast_to(y, z.shape)
    bce = losses.binary_cross_entropy_with_logits(z, yy, reduction="none").mean(axis=1)
    mse = losses.mse_loss(losses.sigmoid(z), yy, reduction="none").mean(axis=1)
    return Landscape(t, d, bce, mse)


def landscape_figure(land: Landscape):
    """Two panels, BCE and MSE along the line, with the stretches of negative curvature shaded."""
    from matplotlib.figure import Figure

    from .plots import COLORS

    fig = Figure(figsize=(10, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, loss, color, title, unit in ((axes[0], "bce", COLORS["loss"], "cross-entropy: convex", "nats"),
                                         (axes[1], "mse", COLORS["other"], "MSE through a sigmoid: not convex",
                                          "squared probability")):
        v = getattr(land, loss)
        ax.plot(land.t, v, color=color)
        neg = np.concatenate([[False], land.curvature(loss) < 0, [False]])
        if neg.any():
            ax.fill_between(land.t, 0, v.max() * 1.05, where=neg, color=COLORS["neutral"], alpha=0.25, lw=0,
                            label="negative curvature")
            ax.legend(frameon=False, loc="upper center")
        ax.set(xlabel="t, with weights w = t · direction", ylabel=f"mean loss ({unit})", title=title,
               ylim=(0, v.max() * 1.05))
    return fig


# --- 06 the loss family ---
BINARY_LOSSES = ("bce", "mse", "focal", "weighted_bce", "smoothed_bce")


def binary_hinge_loss(scores, targets, *, margin: float = 1.0, reduction: str = "mean"):
    """Binary hinge max(0, margin - y·s) for labels y in {-1, +1} and real scores s (the linear SVM's loss)."""
    reduction = check_reduction(reduction)
    s = as_float(scores, "scores")
    y = as_float(targets, "targets")
    check_same_shape(s, y, "scores", "targets")
    if y.size and not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("targets must be labels -1 and +1 for the binary hinge loss")
    margin = check_scalar(margin, "margin")
    return reduce(np.maximum(0.0, margin - y * s), reduction)


def smoothed_targets(targets, num_classes: int, epsilon: float) -> np.ndarray:
    """Label smoothing: class indices -> (1 - ε) · one-hot + ε / K, shape (..., K). The true class gets 1 - ε + ε/K."""
    k = check_int(num_classes, "num_classes", low=2)
    eps = check_scalar(epsilon, "epsilon", low=0.0, high=1.0)
    y = as_class_indices(targets, "targets", k)
    return (1 - eps) * _one_hot(y, k) + eps / k


def _per_sample_loss_grad(z: np.ndarray, y: np.ndarray, loss: str, gamma: float, alpha: float,
                          pos_weight: float, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample loss (nats) and ∂loss/∂z for labels y in {0, 1}, from the course's losses and grads."""
    if loss == "bce":
        return losses.binary_cross_entropy_with_logits(z, y, reduction="none"), grads.bce_grad_logit(z, y)
    if loss == "mse":
        return losses.mse_loss(losses.sigmoid(z), y, reduction="none"), grads.mse_grad_logit(z, y)
    if loss == "focal":
        return (losses.sigmoid_focal_loss(z, y, alpha=alpha, gamma=gamma, reduction="none"),
                grads.focal_grad_logit(z, y, alpha=alpha, gamma=gamma))
    if loss == "weighted_bce":  # with hard labels, pos_weight is a per-sample weight w_y = 1 + (w - 1) y
        w = 1 + (pos_weight - 1) * y
        return (losses.binary_cross_entropy_with_logits(z, y, pos_weight=np.array([pos_weight]), reduction="none"),
                w * grads.bce_grad_logit(z, y))
    t = y * (1 - epsilon) + epsilon / 2  # smoothed_bce: two classes, target (1 - ε) y + ε / 2
    return losses.binary_cross_entropy_with_logits(z, t, reduction="none"), grads.bce_grad_logit(z, t)


def fit_binary(x, y, *, loss: str = "bce", gamma: float = 2.0, alpha: float = -1.0, pos_weight: float = 1.0,
               epsilon: float = 0.1, lr: float = 0.5, steps: int = 500, w0=None, b0: float = 0.0):
    """Logistic regression by full-batch gradient descent on any loss of the family (a toy.TrainResult).

    ``loss``: 'bce', 'mse', 'focal' (γ = ``gamma``, α = ``alpha``, α < 0 for none), 'weighted_bce'
    (``pos_weight``) or 'smoothed_bce' (ε = ``epsilon``). Gradients come from :mod:`course_utils.grads`.
    """
    from .toy import TrainResult, _check_xy

    x, y = _check_xy(x, y)
    if loss not in BINARY_LOSSES:
        raise ValueError(f"loss must be one of {', '.join(BINARY_LOSSES)} (got {loss!r})")
    gamma = check_scalar(gamma, "gamma", low=0.0)
    alpha = check_scalar(alpha, "alpha", high=1.0)
    pos_weight = check_scalar(pos_weight, "pos_weight", low=0.0)
    epsilon = check_scalar(epsilon, "epsilon", low=0.0, high=1.0)
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    steps = check_int(steps, "steps", low=0)
    w = np.zeros(x.shape[1]) if w0 is None else as_float(w0, "w0").copy()
    if w.shape != (x.shape[1],):
        raise ValueError(f"w0 must have shape ({x.shape[1]},) (got {w.shape})")
    b = check_scalar(b0, "b0")
    hist, w_path, b_path = np.empty(steps + 1), np.empty((steps + 1, x.shape[1])), np.empty(steps + 1)
    for t in range(steps + 1):
        per, g = _per_sample_loss_grad(x @ w + b, y, loss, gamma, alpha, pos_weight, epsilon)
        hist[t], w_path[t], b_path[t] = per.mean(), w, b
        if t < steps:
            w, b = w - lr * (x.T @ g) / len(y), b - lr * float(g.mean())
    return TrainResult(w=w, b=float(b), losses=hist, w_path=w_path, b_path=b_path)


def binary_metrics(result, x, y, *, threshold: float = 0.5) -> dict:
    """Accuracy, precision, recall of class 1, and mean predicted P(y = 1), for a trained logistic model."""
    x, y = as_float(x, "x"), as_float(y, "y")
    threshold = check_scalar(threshold, "threshold", low=0.0, high=1.0)
    p = result.predict_proba(x)
    pred = p >= threshold
    pos = y == 1
    tp = float(np.sum(pred & pos))
    return {
        "accuracy": float(np.mean(pred == pos)),
        "precision": tp / float(pred.sum()) if pred.sum() else float("nan"),
        "recall": tp / float(pos.sum()) if pos.sum() else float("nan"),
        "mean_prob": float(p.mean()),
        "base_rate": float(pos.mean()),
    }


def easy_example_share(logits, targets, *, gamma: float = 2.0, easy: float = 0.9) -> dict:
    """How much of the total loss comes from easy examples (p_t > ``easy``), under CE and under focal loss.

    p_t is the probability given to the true label. Lin et al. (2017) observed that the many easy negatives
    of dense detection dominate the summed cross-entropy; the focal factor (1 - p_t)^γ takes that share away.
    """
    z = as_float(logits, "logits")
    y = as_probs(targets, "targets")
    check_same_shape(z, y, "logits", "targets")
    gamma = check_scalar(gamma, "gamma", low=0.0)
    easy = check_scalar(easy, "easy", low=0.0, high=1.0)
    p = losses.sigmoid(z)
    pt = np.where(y == 1, p, 1 - p)
    ce = losses.binary_cross_entropy_with_logits(z, y, reduction="none")
    fl = losses.sigmoid_focal_loss(z, y, alpha=-1.0, gamma=gamma, reduction="none")
    mask = pt > easy
    return {"fraction_easy": float(mask.mean()), "ce_share": float(ce[mask].sum() / ce.sum()),
            "focal_share": float(fl[mask].sum() / fl.sum()),
            "ce_share_positives": float(ce[y == 1].sum() / ce.sum()),
            "focal_share_positives": float(fl[y == 1].sum() / fl.sum())}


def weighted_bce_optimum(base_rate: float, pos_weight: float) -> dict:
    """The constant prediction that minimises BCE with ``pos_weight`` when a fraction ``base_rate`` is positive.

    Found numerically (a fine grid of logits, scored with losses.binary_cross_entropy_with_logits) and in closed
    form: the odds get multiplied by pos_weight, p* = wπ / (wπ + 1 - π), so the logit shifts by log w.
    """
    pi = check_scalar(base_rate, "base_rate", low=0.0, high=1.0, low_open=True, high_open=True)
    w = check_scalar(pos_weight, "pos_weight", low=0.0, low_open=True)
    z = np.linspace(-12, 12, 240_001)
    # expected loss of predicting logit z: π · loss(z, 1) + (1 - π) · loss(z, 0)
    pos = losses.binary_cross_entropy_with_logits(z, np.ones_like(z), pos_weight=np.array([w]), reduction="none")
    neg = losses.binary_cross_entropy_with_logits(z, np.zeros_like(z), reduction="none")
    z_star = float(z[np.argmin(pi * pos + (1 - pi) * neg)])
    return {"numeric": float(losses.sigmoid(z_star)), "closed_form": w * pi / (w * pi + 1 - pi),
            "logit_shift": z_star - float(logit(pi))}


def weighted_mean_gotcha(logits, targets, weight) -> dict:
    """Three ways to average a class-weighted cross-entropy over a batch, and PyTorch's choice.

    ``reduction='mean'`` with ``weight`` divides by the sum of the weights of the targets, sum_i w[y_i],
    not by the batch size N. So a batch of one class gives the unweighted mean whatever its weight.
    """
    import torch
    import torch.nn.functional as F

    z = losses._logits_2d(logits, "logits")
    if z.ndim != 2:
        raise ValueError(f"logits must have shape (N, C) (got shape {z.shape})")
    y = losses._index_targets(targets, z)
    w = as_weight(weight, "weight", z.shape[-1])
    per = losses.categorical_cross_entropy(z, y, reduction="none")
    torch_mean = F.cross_entropy(torch.tensor(z), torch.tensor(y), weight=torch.tensor(w)).item()
    return {"unweighted_mean": float(per.mean()), "weighted_sum_over_n": float((w[y] * per).sum() / len(y)),
            "weighted_sum_over_weights": float((w[y] * per).sum() / w[y].sum()),
            "course_utils": float(losses.categorical_cross_entropy(z, y, weight=w)), "torch": torch_mean}


def label_smoothing_gap(num_classes: int = 10, epsilon: float = 0.1, *, steps: int = 2000, lr: float = 1.0) -> dict:
    """Gradient descent on one logit vector towards class 0, with and without label smoothing ε.

    Returns the gap z_0 - max_{j>0} z_j after each step for both, and the predicted optimum of the smoothed
    loss, log(1 + K (1 - ε) / ε): finite, where the one-hot target's optimum is at infinity.
    """
    k = check_int(num_classes, "num_classes", low=2)
    eps = check_scalar(epsilon, "epsilon", low=0.0, high=1.0, low_open=True)
    steps = check_int(steps, "steps")
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    gaps = {}
    for name, e in (("one_hot", 0.0), ("smoothed", eps)):
        z = np.zeros(k)
        g = np.empty(steps + 1)
        for t in range(steps + 1):
            g[t] = z[0] - z[1:].max()
            z = z - lr * grads.cce_grad_logits(z, 0, label_smoothing=e)
        gaps[name] = g
    optimum = float(np.log1p(k * (1 - eps) / eps))
    return {"one_hot": gaps["one_hot"], "smoothed": gaps["smoothed"], "optimal_gap": optimum,
            "optimal_top_prob": float(1 - eps + eps / k)}


def label_smoothing_figure(result: dict, *, epsilon: float | None = None):
    """The logit gap against the step, one-hot vs smoothed targets, with the smoothed optimum marked."""
    from matplotlib.figure import Figure

    from .plots import COLORS

    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    steps = np.arange(result["one_hot"].size)
    ax.plot(steps, result["one_hot"], color=COLORS["loss"], label="one-hot target: grows forever")
    lab = "smoothed target" + (f" (ε = {epsilon:g})" if epsilon is not None else "")
    ax.plot(steps, result["smoothed"], color=COLORS["true"], ls="--", label=lab)
    ax.axhline(result["optimal_gap"], color=COLORS["neutral"], ls=":", label="log(1 + K(1 − ε)/ε)")
    ax.set(xlabel="gradient-descent step", ylabel="logit gap z_y − max z_other (nats)",
           title="Label smoothing makes the optimal logit gap finite")
    ax.legend(frameon=False)
    return fig


@dataclass
class NoiseExperiment:
    """Clean blobs plus ``k`` mislabeled points far on the wrong side, trained with BCE and with MSE."""

    counts: np.ndarray
    accuracy: dict  # loss -> clean test accuracy per count
    x: np.ndarray  # the training set with the most outliers
    y: np.ndarray
    results: dict  # loss -> TrainResult on that training set


def label_noise_experiment(counts=(0, 5, 10, 15, 20, 25, 30), *, distance: float = 6.0, steps: int = 800,
                           lr: float = 0.5, seed: int = 0) -> NoiseExperiment:
    """Add ``k`` points labelled 1 deep inside class 0's region (distance ``distance`` from the centre line)
    and measure clean test accuracy for BCE and MSE. CE's loss on each such point grows linearly with its
    distance and its gradient stays at full strength, so a few of them drag the boundary; MSE's gradient
    saturates, so they barely count."""
    from . import toy

    counts = np.asarray([check_int(int(c), "counts", low=0) for c in np.ravel(counts)])
    distance = check_scalar(distance, "distance", low=0.0)
    x0, y0 = toy.make_blobs(200, separation=3.0, seed=seed)
    xt, yt = toy.make_blobs(2000, separation=3.0, seed=seed + 1000)
    d = np.array([1.0, 1.0]) / np.sqrt(2)  # class 0 lies at -d, class 1 at +d
    rng = np.random.default_rng(seed)
    cloud = -distance * d + 0.5 * rng.standard_normal((int(counts.max(initial=0)), 2))
    acc = {"bce": np.empty(counts.size), "mse": np.empty(counts.size)}
    for i, k in enumerate(counts):
        x = np.vstack([x0, cloud[:k]])
        y = np.concatenate([y0, np.ones(k, dtype=np.int64)])
        res = {loss: fit_binary(x, y, loss=loss, steps=steps, lr=lr) for loss in acc}
        for loss, r in res.items():
            acc[loss][i] = binary_metrics(r, xt, yt)["accuracy"]
    return NoiseExperiment(counts, acc, x, y, res)


def noise_figure(exp: NoiseExperiment):
    """Left: the decision boundaries of BCE and MSE on the noisiest training set. Right: test accuracy."""
    from matplotlib.figure import Figure

    from .plots import COLORS

    fig = Figure(figsize=(10, 4.0), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    for label, color, marker in ((0, COLORS["true"], "o"), (1, COLORS["pred"], "^")):
        sel = exp.y == label
        a1.scatter(exp.x[sel, 0], exp.x[sel, 1], s=14, color=color, marker=marker, label=f"y = {label}")
    lo, hi = exp.x.min(axis=0) - 0.5, exp.x.max(axis=0) + 0.5
    xs = np.linspace(lo[0], hi[0], 50)
    style = {"bce": (COLORS["loss"], "-", "boundary, cross-entropy"), "mse": (COLORS["other"], "--", "boundary, MSE")}
    for loss, (color, ls, label) in style.items():
        w, b = exp.results[loss].w, exp.results[loss].b
        a1.plot(xs, -(w[0] * xs + b) / w[1], color=color, ls=ls, label=label)
    a1.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="$x_1$", ylabel="$x_2$", aspect="equal",
           title=f"{exp.counts.max()} mislabeled points, lower left")
    a1.legend(frameon=False, fontsize=8, loc="upper left")
    for loss, (color, ls, _) in style.items():
        a2.plot(exp.counts, exp.accuracy[loss], color=color, ls=ls, marker="o",
                label="cross-entropy" if loss == "bce" else "MSE")
    a2.set(xlabel="mislabeled points added to 200 clean ones", ylabel="accuracy on a clean test set",
           title="Sensitivity to far-away label noise")
    a2.legend(frameon=False)
    return fig


def _family(gamma: float, pos_weight: float, epsilon: float) -> dict:
    """Each binary loss of the family as a function of the logit z for a label y in {0, 1}: loss(z, y), nats."""
    def bce(z, y):
        return losses.binary_cross_entropy_with_logits(z, np.full_like(z, y), reduction="none")

    return {
        "cross-entropy (BCE)": (bce, "F.binary_cross_entropy_with_logits"),
        "MSE on σ(z) (Brier)": (lambda z, y: losses.mse_loss(losses.sigmoid(z), np.full_like(z, y), reduction="none"),
                                "F.mse_loss(torch.sigmoid(z), y)"),
        "hinge": (lambda z, y: binary_hinge_loss(z, np.full_like(z, 2.0 * y - 1), reduction="none"),
                  "(1 - y·z).clamp(min=0)"),
        f"focal, γ = {gamma:g}": (lambda z, y: losses.sigmoid_focal_loss(z, np.full_like(z, y), alpha=-1.0,
                                                                         gamma=gamma, reduction="none"),
                                  "torchvision.ops.sigmoid_focal_loss"),
        f"weighted BCE, pos_weight = {pos_weight:g}": (
            lambda z, y: losses.binary_cross_entropy_with_logits(
                z, np.full_like(z, y), pos_weight=np.array([pos_weight]), reduction="none"),
            "F.binary_cross_entropy_with_logits(pos_weight=)"),
        f"label-smoothed BCE, ε = {epsilon:g}": (
            lambda z, y: bce_soft(z, y * (1 - epsilon) + epsilon / 2),
            "F.binary_cross_entropy_with_logits(z, (1 - ε)·y + ε/2)"),
    }


def bce_soft(z, t):
    """BCE-with-logits against a soft target t (scalar or array), per element, nats."""
    z = as_float(z, "z")
    return losses.binary_cross_entropy_with_logits(z, np.broadcast_to(as_probs(t, "t"), z.shape), reduction="none")


def loss_comparison(*, gamma: float = 2.0, pos_weight: float = 3.0, epsilon: float = 0.1,
                    true_prob: float = 0.7) -> list[dict]:
    """One row per loss of the family, every number computed from the course's loss functions.

    Columns: the loss for label y = 1 at logits z = -5 (confidently wrong), 0 and +5 (confidently right);
    |∂loss/∂z| at z = -5 and z = +5 (central differences); whether the loss is convex in z (second differences
    on a grid from -20 to 20); the prediction that minimises the expected loss when P(y = 1) = ``true_prob``
    (a proper scoring rule gives back ``true_prob``; hinge gives a score, not a probability).
    """
    gamma = check_scalar(gamma, "gamma", low=0.0)
    pos_weight = check_scalar(pos_weight, "pos_weight", low=0.0, low_open=True)
    epsilon = check_scalar(epsilon, "epsilon", low=0.0, high=1.0)
    pi = check_scalar(true_prob, "true_prob", low=0.0, high=1.0, low_open=True, high_open=True)
    h = 1e-4
    pts = np.array([-5.0, 0.0, 5.0])
    grid = np.linspace(-20, 20, 8001)
    rows = []
    for name, (f, torch_name) in _family(gamma, pos_weight, epsilon).items():
        vals = f(pts, 1)
        grad = np.abs((f(pts + h, 1) - f(pts - h, 1)) / (2 * h))
        curve = f(grid, 1)
        curv = (curve[2:] - 2 * curve[1:-1] + curve[:-2]) / (grid[1] - grid[0]) ** 2
        expected = pi * f(grid, 1) + (1 - pi) * f(grid, 0)
        z_star = float(grid[np.argmin(expected)])
        rows.append({
            "loss": name, "pytorch": torch_name,
            "loss_wrong": float(vals[0]), "loss_zero": float(vals[1]), "loss_right": float(vals[2]),
            "grad_wrong": float(grad[0]), "grad_right": float(grad[2]),
            "convex": bool(curv.min() >= -1e-6), "z_star": z_star,
            "q_star": None if name == "hinge" else float(losses.sigmoid(z_star)),
        })
    return rows


def comparison_markdown(rows: list[dict], *, true_prob: float = 0.7) -> str:
    """The rows of :func:`loss_comparison` as a Markdown table (display it with IPython.display.Markdown)."""
    head = ("| loss | at z = −5 (wrong) | at z = 0 | at z = +5 (right) | \\|∂/∂z\\| wrong | \\|∂/∂z\\| right | "
            f"convex in z | best prediction if P(y=1) = {true_prob:g} | in PyTorch |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        best = f"score z = {r['z_star']:.2f} (not a probability)" if r["q_star"] is None else f"q = {r['q_star']:.3f}"
        lines.append(f"| {r['loss']} | {r['loss_wrong']:.3g} | {r['loss_zero']:.3g} | {r['loss_right']:.2g} | "
                     f"{r['grad_wrong']:.3g} | {r['grad_right']:.2g} | {'yes' if r['convex'] else 'no'} | {best} | "
                     f"`{r['pytorch']}` |")
    return "\n".join(lines)
