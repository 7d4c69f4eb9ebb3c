"""Logistic regression from scratch (notebooks 03, 05, 06): toy data and full-batch gradient descent.

``make_blobs`` draws Gaussian blobs in 2-D; ``train_logistic`` fits a logistic regression q = σ(x · w + b)
to them by full-batch gradient descent on any loss of the binary family, with the loss and its gradient
taken from :mod:`course_utils.binary_losses` (no math re-derived here). Seeded, NumPy-only, fast on any
laptop. The PyTorch twin and notebook 05's experiments are in :mod:`course_utils.ce_vs_mse`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import binary_losses, losses
from ._validate import as_binary_xy, as_float, check_int, check_scalar, check_seed, check_str

#: The most gradient-descent steps a trainer takes (a typo like steps=10**9 is refused at the door).
MAX_STEPS = 1_000_000
#: The largest number of points a toy data set may have.
MAX_POINTS = 10_000_000

__all__ = ["LOSSES", "MAX_STEPS", "MAX_POINTS", "blob_centers", "make_blobs", "TrainResult", "train_logistic",
           "check_train_args"]

#: The two losses the from-scratch trainer offers (keys of binary_losses.BINARY_LOSSES).
LOSSES = ("bce", "mse")


def blob_centers(num_classes: int, separation: float) -> np.ndarray:
    """Centres of ``num_classes`` blobs on a circle, neighbours ``separation`` apart; shape (K, 2).

    With two classes the centres sit at ±(separation / 2) along the diagonal (1, 1) / √2.
    """
    k = check_int(num_classes, "num_classes", low=2, high=10_000)
    sep = check_scalar(separation, "separation", low=0.0, high=1e6)
    radius = sep / (2 * np.sin(np.pi / k))
    angles = np.pi / 4 + np.pi + 2 * np.pi * np.arange(k) / k  # class 0 at the lower left
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def make_blobs(n: int = 200, *, num_classes: int = 2, separation: float = 2.0, imbalance: float | None = None,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs in 2-D (unit variance), shuffled: ``x`` of shape (n, 2) float64, ``y`` of shape (n,) int64.

    Neighbouring class centres lie ``separation`` standard deviations apart. ``imbalance`` (two classes
    only) is the fraction of class 1, e.g. 0.05; ``None`` splits the classes as evenly as possible.
    """
    n = check_int(n, "n", low=1, high=MAX_POINTS)
    k = check_int(num_classes, "num_classes", low=2, high=10_000)
    seed = check_seed(seed)
    centers = blob_centers(k, separation)
    if imbalance is None:
        counts = np.full(k, n // k)
        counts[: n % k] += 1
    else:
        if k != 2:
            raise ValueError(f"imbalance is only defined for num_classes=2 (got num_classes={k})")
        frac = check_scalar(imbalance, "imbalance", low=0.0, high=1.0, low_open=True, high_open=True)
        n1 = int(round(frac * n))
        if n1 == 0 or n1 == n:
            raise ValueError(f"imbalance={frac:g} leaves a class empty with n={n}; raise n or the fraction")
        counts = np.array([n - n1, n1])
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    rng.shuffle(y)
    x = centers[y] + rng.standard_normal((n, 2))
    return x, y


class TrainResult(NamedTuple):
    """A trained logistic regression. ``losses[t]`` is the loss after t steps (``losses[0]``: at the start).

    ``w_path`` (steps + 1, d) and ``b_path`` (steps + 1,) record the parameters after each step.
    """

    w: np.ndarray
    b: float
    losses: np.ndarray
    w_path: np.ndarray
    b_path: np.ndarray

    def logits(self, x) -> np.ndarray:
        """z = x · w + b for a batch ``x`` of shape (n, d)."""
        return as_float(x, "x") @ self.w + self.b

    def predict_proba(self, x) -> np.ndarray:
        """P(y = 1 | x) = σ(x · w + b)."""
        return losses.sigmoid(self.logits(x))


def check_train_args(x, y, loss, lr, steps, w0, b0, losses_allowed):
    """The door of a from-scratch trainer: data, loss name, learning rate, steps and the starting point."""
    if isinstance(losses_allowed, (str, bytes)) or not isinstance(losses_allowed, (tuple, list)) \
            or not losses_allowed or not all(isinstance(n, str) for n in losses_allowed):
        raise TypeError(f"losses_allowed must be a non-empty tuple of loss names (got {type(losses_allowed).__name__})")
    x, y = as_binary_xy(x, y)
    check_str(loss, "loss", choices=tuple(losses_allowed))
    lr = check_scalar(lr, "lr", low=0.0, high=1e3, low_open=True)
    steps = check_int(steps, "steps", low=0, high=MAX_STEPS)
    d = x.shape[1]
    if w0 is None:
        w = np.zeros(d)
    else:
        w = as_float(w0, "w0").copy()
        if w.shape != (d,):
            raise ValueError(f"w0 must have shape ({d},) to match x of shape {x.shape} (got shape {w.shape})")
    b = check_scalar(b0, "b0", low=-1e6, high=1e6)
    if np.abs(w).max(initial=0) > 1e6:
        raise ValueError(f"w0 must lie in [-1e6, 1e6] (got {np.abs(w).max():g})")
    return x, y, lr, steps, w, b


def train_logistic(x, y, *, loss: str = "bce", lr: float = 0.5, steps: int = 500, w0=None,
                   b0: float = 0.0, **params) -> TrainResult:
    """Logistic regression q = σ(x · w + b) by full-batch gradient descent on the mean of any loss of the
    family (``binary_losses.BINARY_LOSSES``: 'bce', 'mse', 'hinge', 'focal', 'weighted_bce', 'smoothed_bce').

    The loss and its gradient ∂loss/∂z come from the family's table; ``params`` are its parameters (gamma,
    alpha, pos_weight, label_smoothing). Weights start at ``w0`` (zeros if None), the bias at ``b0``.
    """
    x, y, lr, steps, w, b = check_train_args(x, y, loss, lr, steps, w0, b0, tuple(binary_losses.BINARY_LOSSES))
    params = binary_losses.check_params(**params)
    entry = binary_losses.BINARY_LOSSES[loss]
    n = x.shape[0]
    history = np.empty(steps + 1)
    w_path = np.empty((steps + 1, x.shape[1]))
    b_path = np.empty(steps + 1)
    for t in range(steps + 1):
        z = x @ w + b
        g = entry.grad(z, y, **params)  # per-sample ∂loss_i/∂z_i; the mean's gradient divides by n
        history[t], w_path[t], b_path[t] = float(entry.loss(z, y, **params).mean()), w, b
        if t < steps:
            w = w - lr * (x.T @ g) / n
            b = b - lr * float(g.mean())
    return TrainResult(w=w, b=float(b), losses=history, w_path=w_path, b_path=b_path)
