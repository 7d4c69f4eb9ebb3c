"""Toy data and a from-scratch logistic regression: small, seeded, NumPy-only, fast on any laptop.

``make_blobs`` draws Gaussian blobs in 2-D; ``train_logistic`` fits a logistic regression to them by
full-batch gradient descent, with the loss and its gradient taken from :mod:`course_utils.losses` and
:mod:`course_utils.grads` (no math re-derived here). ``train_logistic_torch`` is the same model and the
same updates in PyTorch, so a notebook can show that the two agree.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import grads, losses
from ._validate import as_float, check_int, check_scalar

__all__ = ["make_blobs", "TrainResult", "train_logistic", "train_logistic_torch", "plot_decision_boundary"]

LOSSES = ("bce", "mse")


def blob_centers(num_classes: int, separation: float) -> np.ndarray:
    """Centres of ``num_classes`` blobs on a circle, neighbours ``separation`` apart; shape (K, 2).

    With two classes the centres sit at ±(separation / 2) along the diagonal (1, 1) / √2.
    """
    k = check_int(num_classes, "num_classes", low=2)
    sep = check_scalar(separation, "separation", low=0.0)
    radius = sep / (2 * np.sin(np.pi / k))
    angles = np.pi / 4 + np.pi + 2 * np.pi * np.arange(k) / k  # class 0 at the lower left
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def make_blobs(n: int = 200, *, num_classes: int = 2, separation: float = 2.0, imbalance: float | None = None,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs in 2-D (unit variance), shuffled: ``x`` of shape (n, 2) float64, ``y`` of shape (n,) int64.

    Neighbouring class centres lie ``separation`` standard deviations apart. ``imbalance`` (two classes
    only) is the fraction of class 1, e.g. 0.05; ``None`` splits the classes as evenly as possible.
    """
    n = check_int(n, "n", low=1)
    k = check_int(num_classes, "num_classes", low=2)
    seed = check_int(seed, "seed", low=0)
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


def _check_xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = as_float(x, "x")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (n, d) with n >= 1 (got shape {x.shape})")
    y = as_float(y, "y")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},) to match x of shape {x.shape} (got shape {y.shape})")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must contain binary labels 0 and 1")
    return x, y


def _check_train_args(x, y, loss, lr, steps, w0, b0):
    x, y = _check_xy(x, y)
    if loss not in LOSSES:
        raise ValueError(f"loss must be 'bce' or 'mse' (got {loss!r})")
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    steps = check_int(steps, "steps", low=0)
    d = x.shape[1]
    if w0 is None:
        w = np.zeros(d)
    else:
        w = as_float(w0, "w0").copy()
        if w.shape != (d,):
            raise ValueError(f"w0 must have shape ({d},) to match x of shape {x.shape} (got shape {w.shape})")
    b = check_scalar(b0, "b0")
    return x, y, lr, steps, w, b


def train_logistic(x, y, *, loss: str = "bce", lr: float = 0.1, steps: int = 200, w0=None,
                   b0: float = 0.0) -> TrainResult:
    """Logistic regression p = σ(x · w + b) by full-batch gradient descent on the mean loss.

    ``loss="bce"``: binary cross-entropy in nats (``losses.binary_cross_entropy_with_logits``), gradient
    ∂/∂z = σ(z) - y (``grads.bce_grad_logit``). ``loss="mse"``: mean squared error (σ(z) - y)²
    (``losses.mse_loss``), gradient ``grads.mse_grad_logit``. Weights start at ``w0`` (zeros if None).
    """
    x, y, lr, steps, w, b = _check_train_args(x, y, loss, lr, steps, w0, b0)
    n = x.shape[0]

    def loss_and_grad(w: np.ndarray, b: float) -> tuple[float, np.ndarray]:
        z = x @ w + b
        if loss == "bce":
            return float(losses.binary_cross_entropy_with_logits(z, y)), grads.bce_grad_logit(z, y)
        return float(losses.mse_loss(losses.sigmoid(z), y)), grads.mse_grad_logit(z, y)

    history = np.empty(steps + 1)
    w_path = np.empty((steps + 1, x.shape[1]))
    b_path = np.empty(steps + 1)
    for t in range(steps + 1):
        value, g = loss_and_grad(w, b)  # g: per-sample ∂loss_i/∂z_i; the mean's gradient divides by n
        history[t], w_path[t], b_path[t] = value, w, b
        if t < steps:
            w = w - lr * (x.T @ g) / n
            b = b - lr * float(g.mean())
    return TrainResult(w=w, b=float(b), losses=history, w_path=w_path, b_path=b_path)


def train_logistic_torch(x, y, *, loss: str = "bce", lr: float = 0.1, steps: int = 200, w0=None,
                         b0: float = 0.0) -> TrainResult:
    """The same model and updates as :func:`train_logistic`, in PyTorch (float64, autograd, ``torch.optim.SGD``)."""
    import torch
    import torch.nn.functional as F

    x, y, lr, steps, w, b = _check_train_args(x, y, loss, lr, steps, w0, b0)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = torch.nn.Linear(x.shape[1], 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(w)[None, :])
        model.bias.fill_(b)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    history = np.empty(steps + 1)
    w_path = np.empty((steps + 1, x.shape[1]))
    b_path = np.empty(steps + 1)
    for t in range(steps + 1):
        z = model(xt)[:, 0]
        value = F.binary_cross_entropy_with_logits(z, yt) if loss == "bce" else F.mse_loss(torch.sigmoid(z), yt)
        history[t] = value.item()
        w_path[t] = model.weight.detach().numpy()[0]
        b_path[t] = model.bias.item()
        if t < steps:
            opt.zero_grad()
            value.backward()
            opt.step()
    return TrainResult(w=w_path[-1].copy(), b=float(b_path[-1]), losses=history, w_path=w_path, b_path=b_path)


def plot_decision_boundary(x, y, result: TrainResult, *, ax=None, levels: int = 11):
    """Scatter the two classes, shade P(y = 1 | x) and draw the decision boundary p = 0.5. Returns the Axes."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    from .plots import COLORS

    x, yf = _check_xy(x, y)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.4))
    pad = 1.0
    (x0, y0), (x1, y1) = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    probs = result.predict_proba(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    cmap = LinearSegmentedColormap.from_list("course", [COLORS["true"], "#ffffff", COLORS["pred"]])
    shade = ax.contourf(gx, gy, probs, levels=np.linspace(0, 1, levels), cmap=cmap, alpha=0.35)
    ax.contour(gx, gy, probs, levels=[0.5], colors=COLORS["black"], linewidths=1.5)
    for label, color, marker in ((0, COLORS["true"], "o"), (1, COLORS["pred"], "^")):
        sel = yf == label
        ax.scatter(x[sel, 0], x[sel, 1], s=18, color=color, marker=marker, edgecolor="white", linewidth=0.4,
                   label=f"y = {label}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    ax.figure.colorbar(shade, ax=ax, label="P(y = 1 | x)", shrink=0.8)
    ax.legend(loc="upper left")
    return ax
