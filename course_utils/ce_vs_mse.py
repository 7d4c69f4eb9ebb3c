"""Cross-entropy against MSE (notebooks 03, 05): the PyTorch twin of the from-scratch logistic regression,
the saturation table, the training race from a bad start, the loss landscape along a line (convex for
BCE, not for MSE through a sigmoid), and the squared error as a Gaussian negative log-likelihood.

Losses and gradients come from :mod:`course_utils.binary_losses`; models are trained by
:func:`course_utils.logistic.train_logistic`. BCE in nats, MSE in squared probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import binary_losses, losses
from ._validate import (
    as_binary_labels,
    as_binary_xy,
    as_float,
    as_probs,
    check_instance,
    check_reduction,
    check_same_shape,
    check_scalar,
    check_seed,
    reduce,
)
from .logistic import LOSSES, TrainResult, check_train_args, make_blobs, train_logistic
from .plots import COLORS, new_figure

__all__ = ["train_logistic_torch", "SaturationTable", "saturation_table", "Race", "training_race", "race_figure",
           "Landscape", "loss_landscape", "landscape_figure", "gaussian_nll"]


def train_logistic_torch(x, y, *, loss: str = "bce", lr: float = 0.5, steps: int = 500, w0=None,
                         b0: float = 0.0) -> TrainResult:
    """The same model and updates as :func:`train_logistic` (BCE or MSE), in PyTorch (float64, autograd,
    ``torch.optim.SGD``)."""
    import torch
    import torch.nn.functional as F

    x, y, lr, steps, w, b = check_train_args(x, y, loss, lr, steps, w0, b0, LOSSES)
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
    q = as_probs(probs, "probs").ravel()
    if q.size == 0 or q.min() <= 0 or q.max() >= 1:
        raise ValueError("probs must be a non-empty list of probabilities strictly between 0 and 1")
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


def _data_or_blobs(x, y, seed) -> tuple[np.ndarray, np.ndarray]:
    """The given data set, or the notebooks' default one: ``make_blobs(200, separation=3.0, seed=seed)``."""
    seed = check_seed(seed)
    if x is None and y is None:
        return make_blobs(200, separation=3.0, seed=seed)
    if x is None or y is None:
        raise ValueError(f"give both x and y, or neither (got {'y' if x is None else 'x'} only)")
    return as_binary_xy(x, y)


def training_race(x=None, y=None, *, w0=(-4.0, -4.0), b0: float = 0.0, lr: float = 0.5, steps: int = 1000,
                  target_accuracy: float = 0.9, seed: int = 0) -> Race:
    """Train the same logistic regression with BCE and with MSE from the same (bad) start, ``w0``.

    The default start points the weights the wrong way, so almost every point is confidently wrong:
    MSE's gradient is then multiplied by σ(1 - σ) ≈ 0 and the model crawls, while BCE's gradient is the
    full error σ(z) - y. Data: ``make_blobs(200, separation=3.0, seed=seed)`` unless given.
    """
    x, y = _data_or_blobs(x, y, seed)
    w0 = as_float(w0, "w0")
    target_accuracy = check_scalar(target_accuracy, "target_accuracy", low=0.0, high=1.0)
    results, acc = {}, {}
    for loss in ("bce", "mse"):
        r = train_logistic(x, y, loss=loss, lr=lr, steps=steps, w0=w0, b0=b0)
        z = x @ r.w_path.T + r.b_path  # (n, steps + 1): the logits after each step
        results[loss] = r
        acc[loss] = ((z > 0) == (y[:, None] == 1)).mean(axis=0)
    return Race(x, y, results, acc, target_accuracy)


def race_figure(race: Race):
    """Two panels: loss (nats for BCE, squared probability for MSE) and accuracy against the step."""
    check_instance(race, Race, "race", "Race from training_race()")
    fig = new_figure((10, 3.8))
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
    x, y = _data_or_blobs(x, y, seed)
    d = np.array([1.0, 1.0]) / np.sqrt(2) if direction is None else as_float(direction, "direction")
    if d.shape != (x.shape[1],) or not np.any(d):
        raise ValueError(f"direction must be a non-zero vector of shape ({x.shape[1]},) (got {d.shape})")
    t = np.linspace(-8, 8, 401) if t is None else as_float(t, "t", min_ndim=1).ravel()
    if t.size < 3 or t.size > 100_000 or not np.allclose(np.diff(t), t[1] - t[0]) or t[1] <= t[0]:
        raise ValueError("t must be an increasing, evenly spaced grid of 3 to 100000 points")
    if np.abs(t).max() * np.abs(x @ d).max(initial=0) > 1e150:
        raise ValueError("t reaches logits beyond 1e150; use a shorter line")
    b = check_scalar(b, "b", low=-1e6, high=1e6)
    z = np.outer(t, x @ d) + b  # (len(t), n)
    yy = np.broadcast_to(y, z.shape)
    bce = losses.binary_cross_entropy_with_logits(z, yy, reduction="none").mean(axis=1)
    mse = losses.mse_loss(losses.sigmoid(z), yy, reduction="none").mean(axis=1)
    return Landscape(t, d, bce, mse)


def landscape_figure(land: Landscape):
    """Two panels, BCE and MSE along the line, with the stretches of negative curvature shaded."""
    check_instance(land, Landscape, "land", "Landscape from loss_landscape()")
    fig = new_figure((10, 3.8))
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


def gaussian_nll(pred, target, *, sigma: float = 1.0, reduction: str = "mean"):
    """Negative log-likelihood of ``target`` under N(pred, sigma²), in nats: (target - pred)² / (2 sigma²) +
    ln(2 pi sigma²) / 2. So the squared error is a Gaussian NLL up to a scale and a constant, as BCE is the
    Bernoulli one. Equals ``F.gaussian_nll_loss(pred, target, var=sigma², full=True)``."""
    pred = as_float(pred, "pred")
    target = as_float(target, "target")
    check_same_shape(pred, target, "pred", "target")
    sigma = check_scalar(sigma, "sigma", low=0.0, low_open=True)
    reduction = check_reduction(reduction)
    nll = (target - pred) ** 2 / (2 * sigma**2) + 0.5 * np.log(2 * np.pi * sigma**2)
    return reduce(nll, reduction)
