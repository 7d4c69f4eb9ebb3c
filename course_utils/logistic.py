"""Logistic regression from scratch, and the CE-vs-MSE race (notebooks 03, 05, 06).

``make_blobs`` draws Gaussian blobs in 2-D; ``train_logistic`` fits a logistic regression q = σ(x · w + b)
to them by full-batch gradient descent, with the loss and its gradient taken from
:mod:`course_utils.binary_losses` (no math re-derived here). ``train_logistic_torch`` is the same model and
the same updates in PyTorch, so a notebook can show that the two agree. Notebook 05's experiments follow:
the saturation table, the training race between BCE and MSE from a bad start, and the loss landscape
along a line (convex for BCE, not for MSE through a sigmoid). Seeded, NumPy-only, fast on any laptop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import binary_losses, losses
from ._validate import as_binary_labels, as_binary_xy, as_float, check_int, check_scalar
from .plots import COLORS, new_axes

__all__ = ["blob_centers", "make_blobs", "TrainResult", "train_logistic", "train_logistic_torch",
           "plot_decision_boundary", "SaturationTable", "saturation_table", "Race", "training_race", "race_figure",
           "Landscape", "loss_landscape", "landscape_figure"]

#: The two losses the from-scratch trainer offers (keys of binary_losses.BINARY_LOSSES).
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


def _check_train_args(x, y, loss, lr, steps, w0, b0, losses_allowed):
    x, y = as_binary_xy(x, y)
    if not isinstance(loss, str) or loss not in losses_allowed:
        raise ValueError(f"loss must be one of {', '.join(losses_allowed)} (got {loss!r})")
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


def train_logistic(x, y, *, loss: str = "bce", lr: float = 0.5, steps: int = 500, w0=None,
                   b0: float = 0.0, **params) -> TrainResult:
    """Logistic regression q = σ(x · w + b) by full-batch gradient descent on the mean of any loss of the
    family (``binary_losses.BINARY_LOSSES``: 'bce', 'mse', 'hinge', 'focal', 'weighted_bce', 'smoothed_bce').

    The loss and its gradient ∂loss/∂z come from the family's table; ``params`` are its parameters (gamma,
    alpha, pos_weight, label_smoothing). Weights start at ``w0`` (zeros if None), the bias at ``b0``.
    """
    x, y, lr, steps, w, b = _check_train_args(x, y, loss, lr, steps, w0, b0, tuple(binary_losses.BINARY_LOSSES))
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


def train_logistic_torch(x, y, *, loss: str = "bce", lr: float = 0.5, steps: int = 500, w0=None,
                         b0: float = 0.0) -> TrainResult:
    """The same model and updates as :func:`train_logistic` (BCE or MSE), in PyTorch (float64, autograd,
    ``torch.optim.SGD``)."""
    import torch
    import torch.nn.functional as F

    x, y, lr, steps, w, b = _check_train_args(x, y, loss, lr, steps, w0, b0, LOSSES)
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
    from matplotlib.colors import LinearSegmentedColormap

    x, yf = as_binary_xy(x, y)
    if not isinstance(result, TrainResult):
        raise TypeError(f"result must be a TrainResult (got {type(result).__name__})")
    ax = new_axes(ax, figsize=(5.2, 4.4))
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


# ---------------------------------------------------------------- 05: CE vs MSE, saturation, convexity
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
        out = [f"{'q':>7} | {'BCE (nats)':>10} | {'MSE':>7} | {'∂BCE/∂z':>9} | {'∂MSE/∂z':>9} | BCE's gradient is"]
        for i, q in enumerate(self.probs):
            ratio = abs(self.bce_grad[i] / self.mse_grad[i]) if self.mse_grad[i] else np.inf
            out.append(f"{q:7.3g} | {self.bce[i]:10.4f} | {self.mse[i]:7.4f} | {self.bce_grad[i]:9.4f} | "
                       f"{self.mse_grad[i]:9.2e} | {ratio:,.0f}× MSE's")
        return out


def saturation_table(probs=(0.5, 0.1, 0.01, 0.001), *, y: int = 1) -> SaturationTable:
    """BCE and MSE, and their gradients with respect to the logit (from binary_losses.BINARY_LOSSES), when the
    model predicts P(y = 1) = q for each q in ``probs`` and the label is ``y``."""
    q = as_float(probs, "probs", min_ndim=1).ravel()
    y = as_binary_labels(y, "y")
    z = losses.logit(q)
    t = np.full_like(q, float(y))
    bce, mse = binary_losses.BINARY_LOSSES["bce"], binary_losses.BINARY_LOSSES["mse"]
    return SaturationTable(q, y, bce.loss(z, t), mse.loss(z, t), bce.grad(z, t), mse.grad(z, t))


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
    full error σ(z) - y. Data: ``make_blobs(200, separation=3.0, seed=seed)`` unless given.
    """
    if x is None and y is None:
        x, y = make_blobs(200, separation=3.0, seed=seed)
    elif x is None or y is None:
        raise ValueError("give both x and y, or neither")
    x, y = as_float(x, "x"), as_float(y, "y")
    target_accuracy = check_scalar(target_accuracy, "target_accuracy", low=0.0, high=1.0)
    results, acc = {}, {}
    for loss in ("bce", "mse"):
        r = train_logistic(x, y, loss=loss, lr=lr, steps=steps, w0=np.asarray(w0, dtype=float), b0=b0)
        z = x @ r.w_path.T + r.b_path  # (n, steps + 1): the logits after each step
        results[loss] = r
        acc[loss] = ((z > 0) == (y[:, None] == 1)).mean(axis=0)
    return Race(x, y, results, acc, target_accuracy)


def race_figure(race: Race):
    """Two panels: loss (nats for BCE, squared probability for MSE) and accuracy against the step."""
    from matplotlib.figure import Figure

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
    if x is None and y is None:
        x, y = make_blobs(200, separation=3.0, seed=seed)
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
