"""Figures: one style, one colour-blind-safe palette (Okabe–Ito), and ``plot_*(..., ax=None) -> Axes``.

Each plot comes in two layers: an ``*Artists`` class that draws once and then moves its artists in place
(``update``), which the explorers in :mod:`course_utils.widgets` use for instant redraws, and a
``plot_*`` function that draws a static figure with it. Losses and gradients are computed by
:mod:`course_utils.losses` and :mod:`course_utils.grads`; nothing here re-derives the math.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from . import binary_losses, grads, logistic, losses
from ._validate import (
    as_binary_labels,
    as_binary_xy,
    as_float,
    as_probs,
    check_axes,
    check_axes_sequence,
    check_flag,
    check_int,
    check_mapping,
    check_optional_str,
    check_scalar,
    check_str,
)

__all__ = ["COLORS", "UNIT_LABELS", "PROJECTOR_SCALE", "PROJECTOR_FIGURE_SCALE", "PROJECTOR_MAX_FIGSIZE",
           "BASE_FONT_SIZE", "use_style", "scaled", "new_figure", "new_axes", "fmt_number", "nice_limit", "fit_limit",
           "DistributionBarsArtists", "CrossEntropyStackArtists", "LOSS_STYLES", "GRAD_STYLES", "binary_curve",
           "BinaryCurvesArtists", "plot_loss_vs_prob", "plot_grad_vs_prob", "BarsArtists", "ReliabilityArtists",
           "plot_reliability_diagram", "reliability_panels", "plot_loss_histogram", "plot_fit_history",
           "plot_decision_boundary"]

#: Okabe–Ito palette, each colour with one fixed meaning across the course.
COLORS = {
    "true": "#0072B2",  # blue: the true distribution p, targets
    "pred": "#E69F00",  # orange: the prediction q, probs
    "loss": "#D55E00",  # vermillion: a loss
    "grad": "#009E73",  # bluish green: a gradient
    "other": "#CC79A7",  # reddish purple: a second loss / comparison
    "accent": "#56B4E9",  # sky blue: a third series
    "neutral": "#999999",  # grey: guides, reference lines
    "black": "#000000",
}

#: Axis labels with units, so every figure in the course says what it measures.
UNIT_LABELS = {"bits": "bits", "nats": "nats"}


#: Projector mode scales text by this factor (strokes a little more) and every figure by
#: PROJECTOR_FIGURE_SCALE: the text grows relative to the figure (so it reads from the back of a room, and on a
#: slide the figure is shrunk to fit), and the layout grows with it (tested: no text overprints or is clipped).
PROJECTOR_SCALE = 1.6
PROJECTOR_FIGURE_SCALE = 1.25
#: The largest figure (inches, at 100 dpi) that a 1280x720 slide (1,192 x 520 px for a figure, inside the
#: slide's margins) or a projected notebook shows at full size: a
#: bigger one is shrunk on the screen, its text with it. ``scaled`` fits every figure inside this box
#: (keeping its shape), so figure text stays at its set size: at least 20 px on a slide (12 px in normal mode).
PROJECTOR_MAX_FIGSIZE = (11.8, 5.1)
BASE_FONT_SIZE = 11.0


def _style(projector: bool) -> dict:
    """The rcParams of the course style; the projector variant scales text, lines, markers and figures up."""
    s = PROJECTOR_SCALE if projector else 1.0  # text and figure size
    w = 1.75 if projector else 1.0  # strokes
    return {
        "figure.figsize": scaled((6.4, 4.0), projector=projector),
        "figure.dpi": 100,
        "savefig.dpi": 150 if projector else 100,
        "font.size": BASE_FONT_SIZE * s,
        "axes.titlesize": 12 * s,
        "axes.labelsize": 11 * s,
        "xtick.labelsize": 10 * s,
        "ytick.labelsize": 10 * s,
        "legend.fontsize": 10 * s,
        "figure.titlesize": 13 * s,
        "lines.linewidth": 2.0 * w,
        "lines.markersize": 7.0 * w,
        "axes.linewidth": 1.0 * w,
        "patch.linewidth": 1.0 * w,
        "grid.linewidth": 0.8 * w,
        "xtick.major.width": 1.0 * w,
        "ytick.major.width": 1.0 * w,
        "xtick.major.size": 4.0 * w,
        "ytick.major.size": 4.0 * w,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": True,
        "legend.framealpha": 0.9,
        "axes.prop_cycle": mpl.cycler(color=[COLORS[k] for k in ("true", "pred", "loss", "grad", "other")]),
    }


def use_style(*, projector: bool = False) -> None:
    """Apply the course style; ``projector=True`` gives large fonts and thick lines for a room.

    Calling it again with ``projector=False`` restores the normal sizes (every key is set both ways).
    """
    if not isinstance(projector, bool):
        raise TypeError(f"projector must be True or False (got {type(projector).__name__})")
    mpl.rcParams.update(_style(projector))


# ---------------------------------------------------------------- helpers
def scaled(figsize, *, projector: bool | None = None) -> tuple[float, float]:
    """A figure size (inches) for the mode: as given in normal mode, times PROJECTOR_FIGURE_SCALE in projector
    mode (by default the current style's mode, read from its font size); in both, shrunk (shape kept) to fit
    PROJECTOR_MAX_FIGSIZE, what a slide or a notebook's column shows at full size."""
    size = as_float(figsize, "figsize")
    if size.shape != (2,) or size.min() <= 0:
        raise ValueError(f"figsize must be (width, height) in inches, both > 0 (got {figsize!r:.60})")
    if projector is not None:
        projector = check_flag(projector, "projector")
    else:
        projector = mpl.rcParams["font.size"] > BASE_FONT_SIZE * 1.01
    w, h = size
    k = PROJECTOR_FIGURE_SCALE if projector else 1.0
    k = min(k, PROJECTOR_MAX_FIGSIZE[0] / w, PROJECTOR_MAX_FIGSIZE[1] / h)
    return (float(w) * k, float(h) * k)


def new_figure(figsize=(6.4, 4.0)):
    """A figure outside pyplot (a function that returns it shows it once) with constrained layout, sized by
    :func:`scaled`: the door of every multi-panel ``*_figure``."""
    return Figure(figsize=scaled(figsize), layout="constrained")


def new_axes(ax=None, figsize=None):
    """``ax`` itself, or a fresh Axes on a new pyplot figure (constrained layout, sized for the mode by
    :func:`scaled`): the door of every ``plot_*(..., ax=None)``."""
    if check_axes(ax, "ax") is not None:
        return ax
    import matplotlib.pyplot as plt

    figsize = (6.4, 4.0) if figsize is None else _check_figsize(figsize)
    _, ax = plt.subplots(figsize=scaled(figsize), layout="constrained")
    return ax


def _check_figsize(figsize) -> tuple[float, float]:
    """(width, height) in inches, each in (0, 100]."""
    if isinstance(figsize, (str, bytes)) or not isinstance(figsize, (tuple, list, np.ndarray)) or len(figsize) != 2:
        raise TypeError(f"figsize must be (width, height) in inches (got {type(figsize).__name__})")
    return tuple(check_scalar(v, "figsize", low=0.0, high=100.0, low_open=True) for v in figsize)


def _unit(base) -> str:
    """'bits' for base 2, 'nats' for base e, else 'log-base-b units'."""
    if base == 2:
        return "bits"
    if np.isclose(base, np.e):
        return "nats"
    return f"units of log base {base:g}"


def fmt_number(x) -> str:
    """A readout number: 4 decimals for ordinary sizes, scientific notation for huge or tiny ones, ∞ for inf."""
    x = check_scalar(x, "x") if not (isinstance(x, (float, np.floating)) and np.isinf(x)) else float(x)
    if np.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-4):
        return f"{x:.4e}"
    return f"{x:.4f}"


def nice_limit(x: float) -> float:
    """A round number >= x for an axis limit (1, 2, 2.5, 5 times a power of ten)."""
    x = check_scalar(x, "x", low=0.0, high=1e300)
    if x <= 0:
        return 1.0
    mag = 10 ** np.floor(np.log10(x))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * mag >= x * (1 - 1e-12):
            return float(m * mag)
    return float(10 * mag)  # pragma: no cover


def fit_limit(current: float, needed: float) -> float:
    """A new upper axis limit for ``needed`` (finite, > 0): grow when exceeded, shrink when far below.

    Keeping the old limit when it still fits means a slider move only moves artists, and the axes (and a
    cached background) survive.
    """
    current = check_scalar(current, "current", low=0.0, high=1e300, low_open=True)
    needed = check_scalar(needed, "needed", low=0.0, high=1e300)
    if needed <= 0:
        needed = 1e-3
    if needed * 1.05 > current or needed < current / 4:
        return nice_limit(needed * 1.1)
    return current


# ---------------------------------------------------------------- distributions (p vs q)
class DistributionBarsArtists:
    """Grouped bars of a true distribution p (blue) and a prediction q (orange), updated in place."""

    def __init__(self, ax, p, q=None, *, labels: Sequence[str] | None = None):
        p = np.asarray(p, dtype=float)
        n = p.shape[-1]
        x = np.arange(n)
        width = 0.4 if q is not None else 0.7
        self.ax = ax
        self.p_bars = ax.bar(x - (width / 2 if q is not None else 0), p, width, color=COLORS["true"],
                             label="p (true)")
        self.q_bars = None
        if q is not None:
            self.q_bars = ax.bar(x + width / 2, np.asarray(q, dtype=float), width, color=COLORS["pred"],
                                 label="q (predicted)")
        ax.set_xticks(x, labels if labels is not None else [str(i) for i in range(n)])
        ax.set_xlabel("outcome")
        ax.set_ylabel("probability")
        ax.set_ylim(0, 1)
        ax.legend(loc="upper right")

    @property
    def moving(self) -> list:
        return list(self.p_bars) + (list(self.q_bars) if self.q_bars is not None else [])

    def update(self, p, q=None) -> None:
        for bar, h in zip(self.p_bars, np.asarray(p, dtype=float), strict=True):
            bar.set_height(h)
        if q is not None and self.q_bars is not None:
            for bar, h in zip(self.q_bars, np.asarray(q, dtype=float), strict=True):
                bar.set_height(h)


class CrossEntropyStackArtists:
    """One stacked bar: H(p) (blue) + KL(p‖q) (vermillion, hatched) = H(p, q), with the numbers written on it."""

    def __init__(self, ax, entropy: float, kl: float, *, unit: str = "bits", show_numbers: bool = True):
        self.ax, self.show_numbers = ax, show_numbers
        self.h_bar = ax.bar([0], [0.0], 0.5, color=COLORS["true"], alpha=0.85, label="H(p): entropy")[0]
        self.kl_bar = ax.bar([0], [0.0], 0.5, color=COLORS["loss"], alpha=0.35, hatch="//",
                             edgecolor=COLORS["loss"], label="KL(p‖q): extra cost")[0]
        self.total_line = ax.axhline(0.0, color=COLORS["black"], lw=1.2, ls="--", xmin=0.2, xmax=0.8)
        self.text = ax.text(0.98, 0.78, "", transform=ax.transAxes, ha="right", va="top", fontsize="small",
                            bbox={"boxstyle": "round", "fc": "white", "ec": COLORS["neutral"], "alpha": 0.9})
        ax.set_xlim(-0.6, 1.4)
        ax.set_xticks([0], ["H(p, q)"])
        ax.grid(False, axis="x")
        # below the axes, where it can never cover the numbers' box
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize="small", ncol=1)
        self.top = 1.0
        self.update(entropy, kl, unit=unit)

    @property
    def moving(self) -> list:
        return [self.h_bar, self.kl_bar, self.total_line, *([self.text] if self.show_numbers else [])]

    def update(self, entropy: float, kl: float, *, unit: str = "bits") -> bool:
        """Move the bars; returns True when the axis limits changed (the background must be redrawn)."""
        entropy, kl = float(entropy), float(kl)
        total = entropy + kl
        finite_top = total if np.isfinite(total) else max(entropy * 2, 1.0)
        new_top = fit_limit(self.top, finite_top * 1.15)
        changed = new_top != self.top or self.ax.get_ylabel() != f"{unit}"
        self.top = new_top
        shown_kl = kl if np.isfinite(kl) else self.top - entropy  # an infinite KL fills the axes
        self.h_bar.set_height(entropy)
        self.kl_bar.set_y(entropy)
        self.kl_bar.set_height(shown_kl)
        shown_total = entropy + shown_kl
        self.total_line.set_ydata([shown_total, shown_total])
        self.text.set_text(f"H(p, q) = {fmt_number(total)}\nH(p) = {fmt_number(entropy)}\n"
                           f"KL = {fmt_number(kl)}\n({unit})")
        self.text.set_visible(self.show_numbers)
        if changed:
            self.ax.set_ylim(0, self.top)
            self.ax.set_ylabel(unit)
        return changed


# ---------------------------------------------------------------- binary losses against the predicted probability
#: How figures draw the binary loss family (:data:`course_utils.binary_losses.BINARY_LOSSES`), under the same
#: keys: (legend label, colour, line style). The colour keeps its one meaning (the cross-entropy colour for
#: the three cross-entropies, "other" for MSE, a third and a fourth series for focal and hinge); the line
#: style tells every loss apart, also in grey print.
LOSS_STYLES: dict[str, tuple[str, str, object]] = {
    "bce": ("cross-entropy (BCE)", COLORS["loss"], "-"),
    "mse": ("MSE on q (Brier)", COLORS["other"], "--"),
    "hinge": ("hinge (margin 1, on z)", COLORS["black"], "-."),
    "focal": ("focal (γ = {gamma:g})", COLORS["accent"], (0, (6, 1.5, 1.5, 1.5))),
    "weighted_bce": ("weighted BCE (pos_weight = {pos_weight:g})", COLORS["loss"], (0, (4, 1.5))),
    "smoothed_bce": ("label-smoothed BCE (ε = {label_smoothing:g})", COLORS["loss"], (0, (1, 1.2))),
}

#: How figures draw the gradients ∂loss/∂z of the family (and BCE's ∂/∂q, ``"bce_prob"``): the gradient colour,
#: one line style per loss.
GRAD_STYLES: dict[str, tuple[str, str, object]] = {
    "bce": ("∂BCE/∂z", COLORS["grad"], "-"),
    "mse": ("∂MSE/∂z", COLORS["grad"], "--"),
    "focal": ("∂focal/∂z (γ = {gamma:g})", COLORS["grad"], (0, (6, 1.5, 1.5, 1.5))),
    "bce_prob": ("∂BCE/∂q", COLORS["grad"], (0, (1, 1.2))),
}

#: Short labels for a legend whose numbers live elsewhere (the explorer's readout).
_SHORT = {"focal": "focal (γ)", "weighted_bce": "weighted BCE (pos_weight)", "smoothed_bce": "label-smoothed BCE (ε)"}


def binary_curve(name: str, q, y: int, *, which: str = "loss", **params) -> np.ndarray:
    """One loss of the family (``which='loss'``) or its gradient (``'grad'``: ∂/∂z, or ∂BCE/∂q for
    ``'bce_prob'``) at predicted probabilities ``q`` of class 1 (in (0, 1)), for the label ``y``."""
    check_str(which, "which", choices=("loss", "grad"))
    styles = LOSS_STYLES if which == "loss" else GRAD_STYLES
    check_str(name, "name", choices=tuple(styles))
    y = as_binary_labels(y, "y")
    q = as_probs(q, "q")
    if not q.size:
        raise ValueError("q must not be empty")
    if q.size and (q.min() <= 0 or q.max() >= 1):
        raise ValueError("q must lie strictly between 0 and 1 (the logit of 0 or 1 is infinite)")
    t = np.full(q.shape, float(y))
    if name == "bce_prob":
        return grads.bce_grad_prob(q, t)
    fn = binary_losses.binary_loss if which == "loss" else binary_losses.binary_loss_grad
    return fn(name, losses.logit(q), t, **params)


class BinaryCurvesArtists:
    """Curves of several binary losses (or gradients) against q, with the current point marked; in place."""

    def __init__(self, ax, names: Sequence[str], y: int, *, which: str = "loss", q=None, params=None,
                 grid=None, ylim=None, legend_outside: bool = False, numbered_labels: bool = True):
        self.ax, self.names, self.which = ax, list(names), which
        self.legend_outside, self.numbered_labels = legend_outside, numbered_labels
        self.styles = LOSS_STYLES if which == "loss" else GRAD_STYLES
        self.grid = np.linspace(0.001, 0.999, 400) if grid is None else np.asarray(grid, dtype=float)
        params = dict(params or {})
        self.lines, self.points = {}, {}
        for name in self.names:
            _, color, ls = self.styles[name]
            self.lines[name] = ax.plot(self.grid, np.zeros_like(self.grid), color=color, ls=ls,
                                       label=self._label(name, params))[0]
            self.points[name] = ax.plot([], [], "o", color=color, mec="white", mew=1.0, zorder=5)[0]
        self.vline = ax.axvline(0.5, color=COLORS["neutral"], lw=1.0, ls=":", zorder=1)
        ax.set_xlim(0, 1)
        ax.set_xlabel("predicted probability of class 1, q")
        if which == "loss":
            ax.set_ylabel("loss (nats)")
        else:
            ax.axhline(0, color=COLORS["neutral"], lw=0.8)
            ax.set_ylabel("gradient (per unit of logit z)" if "bce_prob" not in self.names else "gradient")
        if ylim is not None:
            ax.set_ylim(*ylim)
        if legend_outside:
            self.legend = ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
        else:
            self.legend = ax.legend(loc="upper center", fontsize="small")
        self.update(y, q=q, params=params)

    def _label(self, name: str, params: Mapping) -> str:
        if self.numbered_labels:
            return self.styles[name][0].format(**binary_losses.check_params(**params))
        return _SHORT.get(name, self.styles[name][0])

    @property
    def moving(self) -> list:
        """What a move of q changes: the marked points and the guide line."""
        return [self.vline, *self.points.values()]

    @property
    def slow(self) -> list:
        """What a change of y or of a parameter changes as well: the curves and their legend."""
        # A legend outside the axes with fixed labels never needs a redraw: it stays in the background.
        fixed_legend = self.legend_outside and not self.numbered_labels
        return [*self.lines.values(), *([] if fixed_legend else [self.legend])]

    def update(self, y: int, *, q=None, params=None) -> bool:
        """Move the marked point, recomputing the curves when y or a parameter changed (then returns True).
        The axis limits never change."""
        params = dict(params or {})
        key = (y, tuple(sorted(params.items())))
        changed = key != getattr(self, "_key", None)
        self._key = key
        for name in self.names:
            if changed:
                self.lines[name].set_ydata(binary_curve(name, self.grid, y, which=self.which, **params))
                self.lines[name].set_label(self._label(name, params))
            if q is None:
                self.points[name].set_data([], [])
            else:
                val = binary_curve(name, np.array([q]), y, which=self.which, **params)
                self.points[name].set_data([q], val)
        for text, name in zip(self.legend.get_texts(), self.names, strict=False):
            text.set_text(self._label(name, params))
        self.vline.set_xdata([q if q is not None else np.nan] * 2)
        self.vline.set_visible(q is not None)
        return changed


def _plot_binary(which: str, names, y, ax, q, ylim, params):
    """The door and the drawing shared by :func:`plot_loss_vs_prob` and :func:`plot_grad_vs_prob`."""
    styles = LOSS_STYLES if which == "loss" else GRAD_STYLES
    arg = "losses" if which == "loss" else "grads"
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)):
        raise TypeError(f"{arg} must be a name or a list of names (got {type(names).__name__})")
    if not names:
        raise ValueError(f"{arg} must name at least one curve")
    for n in names:
        check_str(n, arg, choices=tuple(styles))
    check_axes(ax, "ax")
    if isinstance(ylim, (str, bytes)) or not isinstance(ylim, (tuple, list, np.ndarray)) or len(ylim) != 2:
        raise TypeError(f"ylim must be (bottom, top) (got {type(ylim).__name__})")
    bottom, top = (check_scalar(v, "ylim") for v in ylim)
    if bottom >= top:
        raise ValueError(f"ylim must have bottom < top (got {bottom:g}, {top:g})")
    y = as_binary_labels(y, "y")
    if q is not None:
        q = check_scalar(q, "q", low=0.0, high=1.0, low_open=True, high_open=True)
    ax = new_axes(ax)
    BinaryCurvesArtists(ax, names, y, which=which, q=q, params=params, ylim=ylim)
    ax.set_title(f"{'loss' if which == 'loss' else 'gradient'} when the true label is y = {y}")
    return ax


def plot_loss_vs_prob(losses: Sequence[str] | str = ("bce", "mse"), y: int = 1, ax=None, *, q: float | None = None,
                      ylim=(0, 5), **params):
    """Each named loss of the family (:data:`LOSS_STYLES`, nats) against the predicted probability q of class 1,
    for the true label y; marks the point ``q`` when given. ``params``: gamma, alpha, pos_weight, label_smoothing."""
    return _plot_binary("loss", losses, y, ax, q, ylim, params)


def plot_grad_vs_prob(grads: Sequence[str] | str = ("bce", "mse"), y: int = 1, ax=None, *, q: float | None = None,
                      ylim=(-1.1, 1.1), **params):
    """Each named gradient of :data:`GRAD_STYLES` against the predicted probability q, for the label y.

    'bce', 'mse' and 'focal' are derivatives with respect to the logit z = logit(q); 'bce_prob' is ∂BCE/∂q,
    which blows up at the wrong end (give it a wider ``ylim``)."""
    return _plot_binary("grad", grads, y, ax, q, ylim, params)


# ---------------------------------------------------------------- softmax bars
class BarsArtists:
    """A row of bars (one per class) with fixed colour, optional target highlight, updated in place."""

    def __init__(self, ax, heights, *, color: str, ylabel: str, symmetric: bool = False, top: float = 1.0,
                 label: str | None = None, show_numbers: bool = True):
        heights = np.asarray(heights, dtype=float)
        n = heights.shape[0]
        self.ax, self.symmetric, self.top, self.show_numbers = ax, symmetric, top, show_numbers
        self.bars = ax.bar(np.arange(n), heights, 0.7, color=color, label=label)
        self.values_text = [ax.text(i, 0, "", ha="center", va="bottom", fontsize="small") for i in range(n)]
        ax.set_xticks(np.arange(n), [str(i) for i in range(n)])
        ax.set_xlabel("class")
        ax.set_ylabel(ylabel)
        if symmetric:
            ax.axhline(0, color=COLORS["neutral"], lw=0.8)
        self._apply_limits()

    def _apply_limits(self) -> None:
        self.ax.set_ylim(-self.top if self.symmetric else 0, self.top)

    @property
    def moving(self) -> list:
        return [*self.bars, *(self.values_text if self.show_numbers else [])]

    def update(self, heights, *, target: int | None = None, target_color: str | None = None,
               top: float | None = None) -> bool:
        """Move the bars (and set the axis limit to ``top`` when given); returns True when the limits changed."""
        heights = np.asarray(heights, dtype=float)
        changed = top is not None and top != self.top
        if changed:
            self.top = top
            self._apply_limits()
        for i, (bar, h, txt) in enumerate(zip(self.bars, heights, self.values_text, strict=True)):
            bar.set_height(h)
            is_target = target is not None and i == target
            bar.set_edgecolor(target_color if is_target and target_color else "none")
            bar.set_linewidth(3.0 * mpl.rcParams["lines.linewidth"] / 2.0 if is_target else 0.0)
            txt.set_position((i, h if h >= 0 else h))
            txt.set_va("bottom" if h >= 0 else "top")
            txt.set_text(f"{h:.2f}")
            txt.set_visible(self.show_numbers)
        return changed


# ---------------------------------------------------------------- training curves


# --- calibration ---
class ReliabilityArtists:
    """The artists of one reliability diagram, drawn once and then updated in place by :meth:`update`.

    ``moving`` lists the artists that change (the bars and the ECE box), for the explorers' blitting.
    """

    def __init__(self, ax, bins, *, show_ece: bool = True, legend_outside: bool = False):
        self.ax = ax
        self.legend_outside = legend_outside  # to the right of the axes (an explorer's wide view), not inside
        self.acc_bars = None
        self.gap_bars = None  # over-confidence: confidence above accuracy
        self.under_bars = None  # under-confidence: accuracy above confidence
        self.moving: list = []
        self.show_ece = show_ece
        (self.diagonal,) = ax.plot([0, 1], [0, 1], ls="--", lw=1.2, color=COLORS["neutral"],
                                   label="perfect calibration", zorder=4)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("confidence (top-class probability)")
        ax.set_ylabel("accuracy (fraction correct)")
        self.text = ax.text(0.96, 0.04, "", transform=ax.transAxes, va="bottom", ha="right",
                            bbox={"boxstyle": "round", "fc": "white", "ec": COLORS["neutral"], "alpha": 0.9})
        self.update(bins)

    def _make_bars(self, n: int, edges) -> None:
        for old in (self.acc_bars, self.gap_bars, self.under_bars):
            if old is not None:
                old.remove()
        left, width = np.asarray(edges[:-1]), np.diff(edges)
        zeros = np.zeros(n)
        self.acc_bars = self.ax.bar(left, zeros, width=width, align="edge", color=COLORS["true"],
                                    edgecolor="white", linewidth=0.8, label="accuracy in bin", zorder=2)
        self.gap_bars = self.ax.bar(left, zeros, width=width, align="edge", color=COLORS["loss"], alpha=0.3,
                                    edgecolor=COLORS["loss"], hatch="//", linewidth=0.8,
                                    label="over-confident: confidence above accuracy", zorder=3)
        self.under_bars = self.ax.bar(left, zeros, width=width, align="edge", color=COLORS["accent"], alpha=0.55,
                                      edgecolor=COLORS["black"], hatch="\\\\", linewidth=0.8,
                                      label="under-confident: accuracy above confidence", zorder=3)
        if self.legend_outside:  # the square diagram to the left, the legend in the room to its right
            self.ax.set_anchor("W")
            handles, labels = self.ax.get_legend_handles_labels()
            labels = [label.replace(": ", ":\n") for label in labels]
            self.ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.04, 0.5), fontsize="small",
                           frameon=False)
        else:
            self.ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.85), fontsize="small", framealpha=0.9)

    def update(self, bins) -> bool:
        """Move the artists to new :class:`~course_utils.calibration.ReliabilityBins` (same axes). Returns
        True when the number of bins changed, so the bars (and the legend) were rebuilt."""
        n = len(bins.count)
        rebuilt = self.acc_bars is None or len(self.acc_bars.patches) != n
        if rebuilt:
            self._make_bars(n, bins.edges)
            # the diagonal and the box are drawn after the bars, so they stay on top when blitting
            self.moving = [*self.acc_bars.patches, *self.gap_bars.patches, *self.under_bars.patches, self.diagonal,
                           self.text]
        full = bins.count > 0
        acc = np.where(full, bins.accuracy, 0.0)
        conf = np.where(full, bins.confidence, 0.0)
        for a_bar, g_bar, u_bar, a, c in zip(self.acc_bars.patches, self.gap_bars.patches, self.under_bars.patches,
                                             acc, conf, strict=True):
            a_bar.set_height(min(a, c))  # the accuracy up to the confidence; the rest is an under-confidence gap
            g_bar.set_y(a)
            g_bar.set_height(max(c - a, 0.0))
            u_bar.set_y(c)
            u_bar.set_height(max(a - c, 0.0))
        if self.show_ece:
            n_total = bins.count.sum()
            ece = float(np.sum(bins.count[full] * np.abs(bins.accuracy[full] - bins.confidence[full])) / n_total)
            self.text.set_text(f"ECE = {ece:.3f}\n{n} bins, {int(n_total):,} samples")
        self.text.set_visible(self.show_ece)
        return rebuilt


def plot_reliability_diagram(bins, ax=None, *, title: str | None = None, show_ece: bool = True):
    """Reliability diagram of :func:`course_utils.calibration.reliability_bins` output: blue bars are the
    accuracy per confidence bin, hatched bars the gap up (over-confident) or down (under-confident) to the
    bin's mean confidence, the dashed diagonal is perfect calibration. Empty bins draw nothing."""
    import matplotlib.pyplot as plt

    if not all(hasattr(bins, k) for k in ("edges", "confidence", "accuracy", "count")):
        raise TypeError(f"bins must come from reliability_bins(...) (got {type(bins).__name__})")
    check_axes(ax, "ax")
    check_optional_str(title, "title")
    check_flag(show_ece, "show_ece")
    if ax is None:
        _, ax = plt.subplots(figsize=scaled((4.8, 4.8)), layout="constrained")
    ReliabilityArtists(ax, bins, show_ece=show_ece)
    if title:
        ax.set_title(title)
    return ax


def reliability_panels(panels: Mapping) -> Figure:
    """Reliability diagrams side by side, one per entry of ``panels`` (``{title: reliability_bins(...)}``), with
    one legend for all of them below the row: a legend inside each small panel would cover its bars."""
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError("panels must be a non-empty dict {title: reliability_bins(...)}")
    if len(panels) > 6:
        raise ValueError(f"panels must hold at most 6 diagrams, for one row (got {len(panels)})")
    for title, bins in panels.items():
        if not isinstance(title, str):
            raise TypeError(f"panels' keys must be titles (str) (got {type(title).__name__})")
        if not all(hasattr(bins, k) for k in ("edges", "confidence", "accuracy", "count")):
            raise TypeError(f"panels[{title!r}] must come from reliability_bins(...) (got {type(bins).__name__})")
    fig = new_figure((4.4 * len(panels), 5.4))
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for i, (ax, (title, bins)) in enumerate(zip(axes, panels.items(), strict=True)):
        drawn = ReliabilityArtists(ax, bins)
        drawn.text.set_fontsize("small")
        ax.set_title(title)
        ax.set_xlabel("confidence\n(top-class probability)")  # narrow panels: labels on two lines, y once
        ax.set_ylabel("accuracy\n(fraction correct)" if i == 0 else "")
        ax.set_aspect("auto")  # the panels fill the row; the dashed diagonal still marks perfect calibration
        ax.get_legend().remove()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize="small", frameon=False)
    return fig


def plot_loss_histogram(groups, ax=None, *, colors=None, bins=40, title: str | None = None,
                        density: bool = True, log_counts: bool = False, mean_line: bool = False,
                        uniform_classes: int | None = None):
    """Overlaid histograms of per-sample losses (nats), one per group: ``groups`` maps a label to an array.

    ``density=True`` normalises each histogram to its group's size, so groups of different sizes compare;
    ``density=False`` with ``log_counts=True`` counts images on a log axis, so a thin tail stays visible.
    ``mean_line`` marks the mean over all groups (the loss a training loop reports); ``uniform_classes=K``
    marks ln K, the loss of a uniform guess over K classes."""
    import matplotlib.pyplot as plt

    if not isinstance(groups, Mapping) or not groups:
        raise TypeError("groups must be a non-empty dict {label: per-sample losses}")
    for flag, name in ((density, "density"), (log_counts, "log_counts"), (mean_line, "mean_line")):
        check_flag(flag, name)
    check_axes(ax, "ax")
    check_optional_str(title, "title")
    if colors is not None:
        check_mapping(colors, "colors")
    if uniform_classes is not None:
        uniform_classes = check_int(uniform_classes, "uniform_classes", low=2, high=10**6)
    if isinstance(bins, (bool, np.bool_)) or np.ndim(bins) == 0:
        bins = check_int(bins, "bins", low=1, high=10_000)
    else:
        bins = as_float(bins, "bins", min_ndim=1)
        if bins.ndim != 1 or bins.size < 2 or np.any(np.diff(bins) <= 0):
            raise ValueError("bins must be an int or at least two increasing edges")
    arrays = {label: as_float(v, f"groups[{label!r}]", min_ndim=1, allow_inf=True).ravel()
              for label, v in groups.items()}
    every = np.concatenate(list(arrays.values()))
    finite = every[np.isfinite(every)]
    top = float(finite.max()) if finite.size else 1.0
    if uniform_classes is not None:
        top = max(top, np.log(uniform_classes))
    edges = np.linspace(0.0, max(top, 1e-6) * 1.02, bins + 1) if np.ndim(bins) == 0 else bins
    default = [COLORS[k] for k in ("true", "loss", "other", "accent", "pred")]
    if ax is None:
        _, ax = plt.subplots(figsize=scaled((6.4, 3.8)), layout="constrained")
    for i, (label, a) in enumerate(arrays.items()):
        color = (colors or {}).get(label, default[i % len(default)])
        mean = f"mean {np.mean(a):.3f} nats" if a.size else "empty"
        ax.hist(np.clip(a, edges[0], edges[-1]), bins=edges, density=density, histtype="stepfilled",
                alpha=0.35, color=color, edgecolor=color, linewidth=1.5, label=f"{label} (n = {a.size:,}, {mean})")
    if mean_line and every.size:
        ax.axvline(float(np.mean(every)), color=COLORS["black"], lw=1.5,
                   label=f"mean of all = {np.mean(every):.3f} nats")
    if uniform_classes is not None:
        ax.axvline(np.log(uniform_classes), color=COLORS["neutral"], ls="--", lw=1.5,
                   label=f"ln {uniform_classes} (uniform guess)")
    ax.set_xlabel("per-sample cross-entropy (nats)")
    ax.set_ylabel("density" if density else ("count (log scale)" if log_counts else "count"))
    if log_counts:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_fit_history(history, axes=None, *, steps_per_epoch: int | None = None):
    """The two panels of a ``course_utils.cifar.train.History``: cross-entropy (nats) of every training step, the
    epoch means and the test loss, with ln 10 marked; and training and test accuracy per epoch.
    ``axes``: two Axes to draw on (cleared first, so a live plot redraws with this same function).
    ``steps_per_epoch`` places the steps on the epoch axis (default: inferred from the finished epochs)."""
    import matplotlib.pyplot as plt

    if not all(hasattr(history, k) for k in ("epoch", "train_loss", "test_loss", "step_loss", "recipe")):
        raise TypeError(f"history must be a course_utils.cifar.train.History (got {type(history).__name__})")
    if steps_per_epoch is not None:
        steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch", high=10**9)
    axes = check_axes_sequence(axes, "axes", 2)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=scaled((10, 3.6)), layout="constrained")
    ax_loss, ax_acc = axes
    ax_loss.clear()
    ax_acc.clear()
    steps = len(history.step_loss)
    if steps:
        per_epoch = steps_per_epoch or (steps / history.epoch[-1] if history.epoch else steps)
        xs = np.arange(1, steps + 1) / per_epoch
        ax_loss.plot(xs, history.step_loss, color=COLORS["loss"], lw=1, alpha=0.35, label="train, each step")
    ax_loss.plot(history.epoch, history.train_loss, "o-", color=COLORS["loss"], label="train, epoch mean")
    ax_loss.plot(history.epoch, history.test_loss, "s-", color=COLORS["other"], label="test")
    ax_loss.axhline(np.log(10), color=COLORS["neutral"], ls="--", lw=1, label="ln 10 (guessing)")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy (nats)", title=f"training: recipe '{history.recipe}'")
    ax_acc.plot(history.epoch, history.train_accuracy, "o-", color=COLORS["loss"], label="train (augmented)")
    ax_acc.plot(history.epoch, history.test_accuracy, "s-", color=COLORS["other"], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    ax_loss.legend(loc="upper right", fontsize="small")
    ax_acc.legend(loc="lower right", fontsize="small")
    return axes


# ---------------------------------------------------------------- logistic regression on toy data
def plot_decision_boundary(x, y, result, *, ax=None, levels: int = 11):
    """Scatter the two classes, shade P(y = 1 | x) and draw the decision boundary p = 0.5. Returns the Axes."""
    from matplotlib.colors import LinearSegmentedColormap

    x, yf = as_binary_xy(x, y)
    if not isinstance(result, logistic.TrainResult):
        raise TypeError(f"result must be a TrainResult (got {type(result).__name__})")
    if np.shape(result.w) != (x.shape[1],):
        raise ValueError(f"result was trained on {np.size(result.w)} feature(s) but x has {x.shape[1]}")
    levels = check_int(levels, "levels", low=2, high=1000)
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
