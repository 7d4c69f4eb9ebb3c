"""Figures for the CIFAR-10 notebook: image grids, the confusion matrix, per-image losses, training curves.

Each ``plot_*`` takes ``ax=None`` (or ``axes=None`` for a grid), labels losses in nats, uses the course
palette, and returns what it drew on.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .plots import COLORS


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_images(x, titles=(), *, ncols: int = 8, axes=None, title_colors=()) -> np.ndarray:
    """A grid of uint8 images (N×3×H×W), one title each. Returns the array of Axes."""
    if not isinstance(x, torch.Tensor) or x.dtype != torch.uint8 or x.ndim != 4:
        raise TypeError("x must be a uint8 tensor of shape N×3×H×W")
    n = len(x)
    if n == 0:
        raise ValueError("x must hold at least one image (got 0)")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    if axes is None:
        lines = max([str(t).count("\n") + 1 for t in titles] or [1])
        _, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, (1.45 + 0.3 * lines) * nrows),
                               squeeze=False)
    axes = np.asarray(axes).reshape(-1)
    titles, colors = list(titles), list(title_colors)
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            ax.imshow(x[i].permute(1, 2, 0).numpy(), interpolation="nearest")
            if i < len(titles):
                ax.set_title(titles[i], fontsize="small", color=colors[i] if i < len(colors) else "black")
    return axes


def plot_confusion(confusion, classes, ax=None):
    """The confusion matrix as row fractions (each true class sums to 1), the diagonal being accuracy."""
    c = torch.as_tensor(confusion).double()
    frac = (c / c.sum(1, keepdim=True).clamp(min=1)).numpy()
    ax = _ax(ax, figsize=(6.5, 5.5))
    im = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    k = len(classes)
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted class", ylabel="true class",
           title="confusion matrix (fraction of each true class)")
    ax.set_xticklabels(classes, rotation=45, ha="right")
    ax.set_yticklabels(classes)
    ax.grid(False)
    for i in range(k):
        for j in range(k):
            if frac[i, j] >= 0.005:
                ax.text(j, i, f"{frac[i, j]:.2f}"[1:] if frac[i, j] < 1 else "1", ha="center", va="center",
                        fontsize=7, color="white" if frac[i, j] > 0.6 else "black")
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    return ax


def plot_loss_histogram(losses, correct=None, ax=None, *, bins: int = 60):
    """Histogram of per-image cross-entropy -ln q(true class), in nats, split into right and wrong
    predictions, with the mean (the test loss) and ln 10 (a uniform guess) marked."""
    loss = torch.as_tensor(losses).double().numpy()
    ax = _ax(ax)
    edges = np.linspace(0, max(float(loss.max()), math.log(10)) * 1.02, bins + 1)
    if correct is None:
        ax.hist(loss, bins=edges, color=COLORS["loss"], alpha=0.8, label="all test images")
    else:
        ok = torch.as_tensor(correct).bool().numpy()
        ax.hist(loss[ok], bins=edges, color=COLORS["grad"], alpha=0.75, label="predicted right")
        ax.hist(loss[~ok], bins=edges, color=COLORS["loss"], alpha=0.75, label="predicted wrong")
    ax.axvline(loss.mean(), color=COLORS["black"], lw=1.5, label=f"mean = {loss.mean():.3f} nats (test loss)")
    ax.axvline(math.log(10), color=COLORS["neutral"], ls="--", lw=1.5, label="ln 10 (uniform guess)")
    ax.set(xlabel="per-image cross-entropy  -ln q(true class)  (nats)", ylabel="images (log scale)",
           yscale="log", title="where the test loss comes from")
    ax.legend(fontsize="small")
    return ax


def plot_history(history, axes=None):
    """Static training curves of a ``History``: loss (nats) and accuracy per epoch."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss, ax_acc = axes
    steps = len(history.step_loss)
    if steps and history.epoch:
        xs = np.arange(1, steps + 1) / steps * history.epoch[-1]
        ax_loss.plot(xs, history.step_loss, color=COLORS["loss"], lw=1, alpha=0.35, label="train, each step")
    ax_loss.plot(history.epoch, history.train_loss, "o-", color=COLORS["loss"], label="train, epoch mean")
    ax_loss.plot(history.epoch, history.test_loss, "s-", color=COLORS["other"], label="test")
    ax_loss.axhline(math.log(10), color=COLORS["neutral"], ls="--", lw=1, label="ln 10 (guessing)")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy (nats)", title=f"recipe '{history.recipe}'")
    ax_acc.plot(history.epoch, history.train_accuracy, "o-", color=COLORS["loss"], label="train (augmented)")
    ax_acc.plot(history.epoch, history.test_accuracy, "s-", color=COLORS["other"], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    ax_loss.legend(fontsize="small")
    ax_acc.legend(fontsize="small", loc="lower right")
    return axes
