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
from ._validate import as_distribution, as_float, check_scalar

#: log of the largest float64 / float32: e^z overflows to inf just above these.
EXP_LIMIT_F64 = float(np.log(np.finfo(np.float64).max))
EXP_LIMIT_F32 = float(np.log(np.finfo(np.float32).max))


def _check_int(value, name: str, *, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int (got {type(value).__name__})")
    if value < low:
        raise ValueError(f"{name} must be >= {low} (got {value})")
    return int(value)


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
    num_classes = _check_int(num_classes, "num_classes", low=2)
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
    steps = _check_int(steps, "steps")
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
