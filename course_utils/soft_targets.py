"""Targets that are distributions, not labels: fitting a soft target and label smoothing (notebooks 04, 06).

With a soft target t, cross-entropy H(t, q) falls to H(t), not to 0: what training can remove is KL(t || q).
Label smoothing replaces the one-hot target by (1 - ε) · one-hot + ε / K, which makes the optimal logit gap
finite. Losses in nats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import grads, info, losses
from ._validate import as_class_indices, as_distribution, as_float, check_int, check_scalar
from .logistic import MAX_STEPS
from .plots import COLORS, new_axes

__all__ = ["SoftTargetFit", "fit_soft_target", "smoothed_targets", "label_smoothing_gap",
           "plot_label_smoothing_gap"]


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
    steps = check_int(steps, "steps", high=MAX_STEPS)
    lr = check_scalar(lr, "lr", low=0.0, high=1e3, low_open=True)
    z = np.zeros_like(t) if logits0 is None else as_float(logits0, "logits0").copy()
    if z.size and np.abs(z).max() > 1e6:
        raise ValueError(f"logits0 must lie in [-1e6, 1e6] (got {np.abs(z).max():g})")
    if z.shape != t.shape:
        raise ValueError(f"logits0 must have shape {t.shape} (got {z.shape})")
    trace = np.empty(steps)
    for k in range(steps):
        trace[k] = losses.categorical_cross_entropy(z, t)
        z = z - lr * grads.cce_grad_logits(z, t)
    q = losses.softmax(z)
    h = float(info.entropy(t, base=np.e))
    return SoftTargetFit(t, q, trace, h, float(info.kl_divergence(t, q, base=np.e)))


def smoothed_targets(targets, num_classes: int, label_smoothing: float) -> np.ndarray:
    """Label smoothing: class indices -> (1 - ε) · one-hot + ε / K, shape (..., K). The true class gets 1 - ε + ε/K."""
    k = check_int(num_classes, "num_classes", low=2, high=1_000_000)
    eps = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    y = as_class_indices(targets, "targets", k)
    return (1 - eps) * losses.one_hot(y, k) + eps / k


def label_smoothing_gap(num_classes: int = 10, label_smoothing: float = 0.1, *, steps: int = 2000,
                        lr: float = 1.0) -> dict:
    """Gradient descent on one logit vector towards class 0, with and without label smoothing ε.

    Returns the gap z_0 - max_{j>0} z_j after each step for both, and the predicted optimum of the smoothed
    loss, log(1 + K (1 - ε) / ε): finite, where the one-hot target's optimum is at infinity.
    """
    k = check_int(num_classes, "num_classes", low=2, high=1_000_000)
    eps = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0, low_open=True)
    steps = check_int(steps, "steps", high=MAX_STEPS)
    lr = check_scalar(lr, "lr", low=0.0, high=1e3, low_open=True)
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


def plot_label_smoothing_gap(result: dict, *, label_smoothing: float | None = None, ax=None):
    """The logit gap against the step, one-hot vs smoothed targets (from :func:`label_smoothing_gap`), with the
    smoothed optimum marked. Returns the Axes."""
    if not isinstance(result, dict) or not {"one_hot", "smoothed", "optimal_gap"} <= set(result):
        raise TypeError("result must be the dict that label_smoothing_gap returns")
    if label_smoothing is not None:
        label_smoothing = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    ax = new_axes(ax, figsize=(6.4, 3.8))
    steps = np.arange(result["one_hot"].size)
    ax.plot(steps, result["one_hot"], color=COLORS["loss"], label="one-hot target: grows forever")
    lab = "smoothed target" + (f" (ε = {label_smoothing:g})" if label_smoothing is not None else "")
    ax.plot(steps, result["smoothed"], color=COLORS["true"], ls="--", label=lab)
    ax.axhline(result["optimal_gap"], color=COLORS["neutral"], ls=":", label="log(1 + K(1 − ε)/ε)")
    ax.set(xlabel="gradient-descent step", ylabel="logit gap z_y − max z_other (nats)",
           title="Label smoothing makes the optimal logit gap finite")
    ax.legend(frameon=False)
    return ax
