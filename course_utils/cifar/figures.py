"""Figures for the CIFAR-10 notebook: image grids, the confusion matrix and the split of the test loss.

Training curves are ``plots.plot_fit_history``; loss histograms are ``plots.plot_loss_histogram``.

Each ``plot_*`` takes ``ax=None`` (or ``axes=None`` for a grid), labels losses in nats, uses the course
palette, and returns what it drew on.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .._validate import (
    as_int_array,
    check_axes,
    check_axes_sequence,
    check_instance,
    check_int,
    check_str_sequence,
)
from ..plots import COLORS, PROJECTOR_MAX_FIGSIZE, new_axes, plot_loss_histogram, scaled

__all__ = ["plot_images", "plot_confusion", "plot_test_losses"]


def _names(value, name: str, *, nonempty: bool = True) -> list[str]:
    """A list or tuple of str (titles, class names, colours)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple of str (got {type(value).__name__})")
    return check_str_sequence(list(value), name, nonempty=nonempty)


def _image_grid(nrows: int, ncols: int, title_lines: int) -> np.ndarray:
    """Axes for a grid of square images with ``title_lines`` lines of small text above each, placed by hand
    (constrained layout misplaces titles over fixed-aspect images): the width is the mode's
    (``plots.scaled``), each title gets its room at the mode's font size, and the images shrink, not the text,
    until the grid fits what a slide shows at full size."""
    width, _ = scaled((1.6 * ncols, 1.0))
    title_in = title_lines * plt.rcParams["font.size"] * 0.833 * 1.3 / 72 + 0.12
    cell = min(width / ncols, (PROJECTOR_MAX_FIGSIZE[1] / nrows - title_in) / 0.95)  # within a slide's figure box
    side, row_h = 0.92 * cell, 0.95 * cell + title_in
    fig = plt.figure(figsize=(cell * ncols, nrows * row_h))
    fw, fh = fig.get_size_inches()
    axes = [fig.add_axes(((c * cell + (cell - side) / 2) / fw, ((nrows - 1 - r) * row_h + 0.03 * cell) / fh,
                          side / fw, side / fh)) for r in range(nrows) for c in range(ncols)]
    return np.asarray(axes)


def plot_images(x, titles=(), *, ncols: int = 8, axes=None, title_colors=()) -> np.ndarray:
    """A grid of uint8 images (N×3×H×W), one title each. Returns the array of Axes."""
    if not isinstance(x, torch.Tensor) or x.dtype != torch.uint8 or x.ndim != 4:
        raise TypeError("x must be a uint8 tensor of shape N×3×H×W")
    n = len(x)
    if n == 0:
        raise ValueError("x must hold at least one image (got 0)")
    ncols = min(check_int(ncols, "ncols", high=1000), n)
    nrows = math.ceil(n / ncols)
    titles = _names(titles, "titles", nonempty=False)
    title_colors = _names(title_colors, "title_colors", nonempty=False)
    if axes is not None:
        axes = check_axes_sequence(axes, "axes", nrows * ncols)
    if axes is None:
        lines = max([str(t).count("\n") + 1 for t in titles] or [1]) if titles else 0
        axes = _image_grid(nrows, ncols, lines)
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
    """The confusion matrix as row percentages (each true class sums to 100), the diagonal being accuracy;
    each cell from 0.5% to 99.5% is labelled with its whole percentage, at the figures' small text size (a
    100% cell is the colour bar's darkest, unlabelled: three digits do not fit a cell)."""
    c = torch.from_numpy(as_int_array(confusion, "confusion", low=0)).double()
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] == 0:
        raise ValueError(f"confusion must be a non-empty square matrix (got shape {tuple(c.shape)})")
    classes = _names(classes, "classes")
    if len(classes) != c.shape[0]:
        raise ValueError(f"classes must name the {c.shape[0]} classes of confusion (got {len(classes)})")
    check_axes(ax, "ax")
    frac = (c / c.sum(1, keepdim=True).clamp(min=1)).numpy()
    ax = new_axes(ax, figsize=(6.5, 5.5))
    im = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    k = len(classes)
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted class", ylabel="true class")
    ax.set_title("confusion matrix\n(% of each true class)", pad=14)  # clear of the colour bar's top label
    ax.set_xticklabels(classes, rotation=90)  # upright boxes that never overprint
    ax.set_yticklabels(classes)
    ax.grid(False)
    for i in range(k):
        for j in range(k):
            if 0.005 <= frac[i, j] < 0.995:  # two digits fit a cell; a full one is the darkest colour
                ax.text(j, i, f"{100 * frac[i, j]:.0f}", ha="center", va="center", fontsize="small",
                        color="white" if frac[i, j] > 0.6 else "black")
    bar = ax.figure.colorbar(im, ax=ax, fraction=0.046)
    bar.ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    return ax


def plot_test_losses(ev, ax=None):
    """Where the test loss comes from: per-image cross-entropy -ln q(true class) of an ``Evaluation``,
    split into right and wrong predictions, on a log count axis, with the mean and ln 10 marked."""
    from .train import Evaluation

    check_instance(ev, Evaluation, "ev", "train.Evaluation")
    right = (ev.probs.argmax(1) == ev.targets).numpy()
    losses = ev.losses.double().numpy()
    return plot_loss_histogram({"predicted right": losses[right], "predicted wrong": losses[~right]}, ax,
                               colors={"predicted right": COLORS["grad"], "predicted wrong": COLORS["loss"]},
                               bins=60, density=False, log_counts=True, mean_line=True,
                               uniform_classes=len(ev.per_class_accuracy), title="where the test loss comes from")
