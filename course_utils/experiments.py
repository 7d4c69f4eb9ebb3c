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
    import matplotlib.pyplot as plt

    from .plots import COLORS

    s = softmax_bug_sweep() if sweep is None else sweep
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
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
