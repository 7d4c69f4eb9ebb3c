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

from . import grads, info, losses
from ._validate import as_distribution, as_float, as_probs, check_int, check_scalar

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


def _style(projector: bool) -> dict:
    """The rcParams of the course style; the projector variant scales text, lines and markers up."""
    s = 1.6 if projector else 1.0  # text
    w = 1.75 if projector else 1.0  # strokes
    return {
        "figure.figsize": (6.4 * (1.25 if projector else 1.0), 4.0 * (1.25 if projector else 1.0)),
        "figure.dpi": 100,
        "savefig.dpi": 150 if projector else 100,
        "font.size": 11 * s,
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
def _axes(ax, figsize=None):
    """``ax`` itself, or a fresh Axes on a new pyplot figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _unit(base) -> str:
    """'bits' for base 2, 'nats' for base e, else 'log-base-b units'."""
    if base == 2:
        return "bits"
    if np.isclose(base, np.e):
        return "nats"
    return f"units of log base {base:g}"


def _logit(p: np.ndarray) -> np.ndarray:
    """z = log p - log(1 - p): the logit whose sigmoid is p (inputs already checked to lie in (0, 1))."""
    return np.log(p) - np.log1p(-p)


def fmt_number(x) -> str:
    """A readout number: 4 decimals for ordinary sizes, scientific notation for huge or tiny ones, ∞ for inf."""
    x = float(x)
    if np.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-4):
        return f"{x:.4e}"
    return f"{x:.4f}"


def nice_limit(x: float) -> float:
    """A round number >= x for an axis limit (1, 2, 2.5, 5 times a power of ten)."""
    if not np.isfinite(x) or x <= 0:
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
    if not np.isfinite(needed) or needed <= 0:
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


def plot_distribution_bars(p, q=None, ax=None, *, labels: Sequence[str] | None = None, title: str | None = None):
    """Bar chart of a distribution p (blue), next to a prediction q (orange) when given."""
    p = as_distribution(p, "p")
    if p.ndim != 1:
        raise ValueError(f"p must be one distribution, 1-D (got shape {p.shape})")
    if q is not None:
        q = as_distribution(q, "q")
        if q.shape != p.shape:
            raise ValueError(f"p and q must have the same shape (got {p.shape} and {q.shape})")
    if labels is not None and len(labels) != p.shape[0]:
        raise ValueError(f"labels must have one entry per outcome ({p.shape[0]}) (got {len(labels)})")
    ax = _axes(ax)
    DistributionBarsArtists(ax, p, q, labels=labels)
    if title:
        ax.set_title(title)
    return ax


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
        ax.legend(loc="upper right", fontsize="small")
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


def plot_cross_entropy_decomposition(p, q, ax=None, *, base: float = 2, title: str | None = None):
    """H(p, q) = H(p) + KL(p‖q) as one stacked bar, in bits (base 2) or nats (base e)."""
    h = info.entropy(p, base=base)
    kl = info.kl_divergence(p, q, base=base)
    if np.ndim(h) != 0:
        raise ValueError(f"p must be one distribution, 1-D (got shape {np.shape(p)})")
    ax = _axes(ax, figsize=(3.6, 4.0))
    CrossEntropyStackArtists(ax, h, kl, unit=_unit(base))
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------- binary losses against the predicted probability
#: The binary losses the course compares, as functions of the predicted probability p of class 1 and the
#: label y. Each one calls course_utils.losses; ``params`` holds gamma, pos_weight and label_smoothing.
#: Name -> (legend label, colour, line style, function(p, y, params) -> per-point loss in nats).
def _two_class_logits(p: np.ndarray) -> np.ndarray:
    """Logits [0, z] of a two-class softmax whose class-1 probability is p = σ(z)."""
    z = _logit(p)
    return np.stack([np.zeros_like(z), z], axis=-1)


def _class_targets(p: np.ndarray, y: int) -> np.ndarray:
    return np.full(p.shape, y, dtype=np.int64)


BINARY_LOSSES: dict = {
    "bce": ("cross-entropy (BCE)", COLORS["loss"], "-",
            lambda p, y, k: losses.binary_cross_entropy(p, np.full_like(p, y), reduction="none")),
    "mse": ("MSE on p", COLORS["other"], "--",
            lambda p, y, k: losses.mse_loss(p, np.full_like(p, y), reduction="none")),
    "hinge": ("hinge (margin 1)", COLORS["black"], "-.",
              lambda p, y, k: losses.multiclass_hinge_loss(_two_class_logits(p), _class_targets(p, y),
                                                           reduction="none")),
    "focal": ("focal (γ = {gamma:g})", COLORS["accent"], "-",
              lambda p, y, k: losses.sigmoid_focal_loss(_logit(p), np.full_like(p, y), alpha=-1.0,
                                                        gamma=k.get("gamma", 2.0), reduction="none")),
    "weighted_bce": ("weighted BCE (pos_weight = {pos_weight:g})", COLORS["loss"], "--",
                     lambda p, y, k: losses.binary_cross_entropy_with_logits(
                         _logit(p), np.full_like(p, y), pos_weight=np.float64(k.get("pos_weight", 1.0)),
                         reduction="none")),
    "label_smoothing": ("label smoothing (ε = {label_smoothing:g})", COLORS["loss"], ":",
                        lambda p, y, k: losses.categorical_cross_entropy(
                            _two_class_logits(p), _class_targets(p, y),
                            label_smoothing=k.get("label_smoothing", 0.1), reduction="none")),
}

#: Gradients with respect to the logit z = logit(p) (and BCE's with respect to p itself), from course_utils.grads.
BINARY_GRADS: dict = {
    "bce": ("∂BCE/∂z", COLORS["grad"], "-", lambda p, y, k: grads.bce_grad_logit(_logit(p), np.full_like(p, y))),
    "mse": ("∂MSE/∂z", COLORS["grad"], "--", lambda p, y, k: grads.mse_grad_logit(_logit(p), np.full_like(p, y))),
    "focal": ("∂focal/∂z (γ = {gamma:g})", COLORS["accent"], "-",
              lambda p, y, k: grads.focal_grad_logit(_logit(p), np.full_like(p, y), alpha=-1.0,
                                                     gamma=k.get("gamma", 2.0))),
    "bce_prob": ("∂BCE/∂p", COLORS["grad"], ":", lambda p, y, k: grads.bce_grad_prob(p, np.full_like(p, y))),
}

_DEFAULT_PARAMS = {"gamma": 2.0, "pos_weight": 1.0, "label_smoothing": 0.1}


def binary_curve(name: str, p, y: int, *, which: str = "loss", **params) -> np.ndarray:
    """One curve of :data:`BINARY_LOSSES` (``which='loss'``) or :data:`BINARY_GRADS` (``'grad'``) at the
    predicted probabilities ``p`` (in (0, 1)) for the label ``y``."""
    table = BINARY_LOSSES if which == "loss" else BINARY_GRADS
    if which not in ("loss", "grad"):
        raise ValueError(f"which must be 'loss' or 'grad' (got {which!r})")
    if name not in table:
        raise ValueError(f"unknown {which} {name!r}; choose from {', '.join(table)}")
    if y not in (0, 1) or isinstance(y, bool):
        raise ValueError(f"y must be the label 0 or 1 (got {y!r})")
    p = as_probs(p, "p")
    if p.size and (p.min() <= 0 or p.max() >= 1):
        raise ValueError("p must lie strictly between 0 and 1 (the logit of 0 or 1 is infinite)")
    return np.asarray(table[name][3](p, int(y), {**_DEFAULT_PARAMS, **params}), dtype=float)


def _curve_label(table: dict, name: str, params: Mapping) -> str:
    return table[name][0].format(**{**_DEFAULT_PARAMS, **params})


class BinaryCurvesArtists:
    """Curves of several binary losses (or gradients) against p, with the current point marked; in place."""

    def __init__(self, ax, names: Sequence[str], y: int, *, which: str = "loss", p=None, params=None,
                 grid=None, ylim=None, legend_outside: bool = False, numbered_labels: bool = True):
        self.ax, self.names, self.which = ax, list(names), which
        self.legend_outside, self.numbered_labels = legend_outside, numbered_labels
        self.table = BINARY_LOSSES if which == "loss" else BINARY_GRADS
        self.grid = np.linspace(0.001, 0.999, 400) if grid is None else np.asarray(grid, dtype=float)
        params = dict(params or {})
        self.lines, self.points = {}, {}
        for name in self.names:
            label, color, ls, _ = self.table[name]
            self.lines[name] = ax.plot(self.grid, np.zeros_like(self.grid), color=color, ls=ls,
                                       label=self._label(name, params))[0]
            self.points[name] = ax.plot([], [], "o", color=color, mec="white", mew=1.0, zorder=5)[0]
        self.vline = ax.axvline(0.5, color=COLORS["neutral"], lw=1.0, ls=":", zorder=1)
        ax.set_xlim(0, 1)
        ax.set_xlabel("predicted probability of class 1, p")
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
        self.update(y, p=p, params=params)

    def _label(self, name: str, params: Mapping) -> str:
        if self.numbered_labels:
            return _curve_label(self.table, name, params)
        return self.table[name][0].split(" (")[0] + {"focal": " (γ)", "weighted_bce": " (pos_weight)",
                                                      "label_smoothing": " (ε)"}.get(name, "")

    @property
    def moving(self) -> list:
        """What a move of p changes: the marked points and the guide line."""
        return [self.vline, *self.points.values()]

    @property
    def slow(self) -> list:
        """What a change of y or of a parameter changes as well: the curves and their legend."""
        # A legend outside the axes with fixed labels never needs a redraw: it stays in the background.
        fixed_legend = self.legend_outside and not self.numbered_labels
        return [*self.lines.values(), *([] if fixed_legend else [self.legend])]

    def update(self, y: int, *, p=None, params=None) -> bool:
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
            if p is None:
                self.points[name].set_data([], [])
            else:
                val = binary_curve(name, np.array([p]), y, which=self.which, **params)
                self.points[name].set_data([p], val)
        for text, name in zip(self.legend.get_texts(), self.names, strict=False):
            text.set_text(self._label(name, params))
        self.vline.set_xdata([p if p is not None else np.nan] * 2)
        self.vline.set_visible(p is not None)
        return changed


def _check_binary_args(names, table, y, p):
    names = [names] if isinstance(names, str) else list(names)
    for n in names:
        if n not in table:
            raise ValueError(f"unknown name {n!r}; choose from {', '.join(table)}")
    if isinstance(y, bool) or y not in (0, 1):
        raise ValueError(f"y must be the label 0 or 1 (got {y!r})")
    if p is not None:
        p = check_scalar(p, "p", low=0.0, high=1.0, low_open=True, high_open=True)
    return names, p


def plot_loss_vs_prob(losses: Sequence[str] | str = ("bce", "mse"), y: int = 1, ax=None, *, p: float | None = None,
                      ylim=(0, 5), **params):
    """Each named loss of :data:`BINARY_LOSSES` (in nats) against the predicted probability p of class 1, for
    the true label y; marks the point ``p`` when given. ``params``: gamma, pos_weight, label_smoothing."""
    names, p = _check_binary_args(losses, BINARY_LOSSES, y, p)
    ax = _axes(ax)
    BinaryCurvesArtists(ax, names, y, which="loss", p=p, params=params, ylim=ylim)
    ax.set_title(f"loss when the true label is y = {y}")
    return ax


def plot_grad_vs_prob(grads: Sequence[str] | str = ("bce", "mse"), y: int = 1, ax=None, *, p: float | None = None,
                      ylim=(-1.1, 1.1), **params):
    """Each named gradient of :data:`BINARY_GRADS` against the predicted probability p, for the label y.

    'bce', 'mse' and 'focal' are derivatives with respect to the logit z = logit(p); 'bce_prob' is ∂BCE/∂p,
    which blows up at the wrong end (give it a wider ``ylim``)."""
    names, p = _check_binary_args(grads, BINARY_GRADS, y, p)
    ax = _axes(ax)
    BinaryCurvesArtists(ax, names, y, which="grad", p=p, params=params, ylim=ylim)
    ax.set_title(f"gradient when the true label is y = {y}")
    return ax


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


def plot_softmax_bars(logits, ax=None, *, temperature: float = 1.0, target: int | None = None,
                      title: str | None = None):
    """Bars of softmax(logits / T) (orange), with the target class outlined in blue when given."""
    z = as_float(logits, "logits")
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"logits must be a non-empty 1-D array (got shape {z.shape})")
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    if target is not None and (isinstance(target, bool) or not 0 <= int(target) < z.size or int(target) != target):
        raise ValueError(f"target must be a class index in 0..{z.size - 1} (got {target!r})")
    probs = losses.softmax(z / t)
    ax = _axes(ax)
    art = BarsArtists(ax, probs, color=COLORS["pred"], ylabel="probability", label="q = softmax(z / T)")
    art.update(probs, target=target, target_color=COLORS["true"])
    ax.set_title(title if title is not None else f"softmax at temperature T = {t:g}")
    return ax


# ---------------------------------------------------------------- training curves
def _history_columns(history) -> dict[str, np.ndarray]:
    """Per-epoch columns from a dict of lists, a list of per-epoch dicts, or an object with ``.history``."""
    if hasattr(history, "history") and not isinstance(history, Mapping):
        history = history.history
    if hasattr(history, "to_dict") and not isinstance(history, Mapping):
        history = history.to_dict()
    if isinstance(history, Mapping):
        cols = {str(k): v for k, v in history.items() if np.ndim(v) == 1 and len(v) > 0}
    elif isinstance(history, Sequence) and history and all(isinstance(r, Mapping) for r in history):
        keys = [k for k in history[0] if all(k in r for r in history)]
        cols = {str(k): [r[k] for r in history] for k in keys}
    else:
        raise TypeError("history must be a dict of per-epoch lists, a list of per-epoch dicts, "
                        f"or have a .history dict (got {type(history).__name__})")
    out = {}
    for k, v in cols.items():
        try:
            out[k] = as_float(v, f"history[{k!r}]", allow_inf=True)
        except (TypeError, ValueError):
            continue  # a non-numeric column (e.g. timestamps as strings) is not plotted
    return out


def plot_training_curve(history, ax=None, *, title: str | None = None):
    """Loss (nats, left axis) and accuracy (right axis) per epoch, from a training history.

    ``history``: a dict like ``{"train_loss": [...], "val_loss": [...], "train_acc": [...], "val_acc": [...]}``
    (any keys containing 'loss' or 'acc'; an 'epoch' column is used as the x axis), a list of per-epoch
    dicts, or an object with a ``.history`` dict. Accuracies above 1 are read as percentages.
    Returns the loss Axes; the accuracy Axes is ``ax.accuracy_axes``.
    """
    cols = _history_columns(history)
    loss_keys = [k for k in cols if "loss" in k.lower()]
    acc_keys = [k for k in cols if "acc" in k.lower()]
    if not loss_keys and not acc_keys:
        raise ValueError(f"history has no column with 'loss' or 'acc' in its name (got {list(cols)})")
    n = max(len(cols[k]) for k in loss_keys + acc_keys)
    epochs = cols.get("epoch", np.arange(1, n + 1, dtype=float))
    ax = _axes(ax)
    styles = ["-", "--", ":", "-."]

    def x_for(v):
        return epochs[: len(v)] if len(epochs) >= len(v) else np.arange(1, len(v) + 1)

    handles = []
    for i, k in enumerate(loss_keys):
        handles += ax.plot(x_for(cols[k]), cols[k], color=COLORS["loss"], ls=styles[i % 4], marker="o",
                           markersize=4, label=k.replace("_", " ") + " (nats)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (nats)")
    if loss_keys:
        ax.set_ylim(bottom=0)
    acc_ax = None
    if acc_keys:
        acc_ax = ax.twinx()
        acc_ax.grid(False)
        acc_ax.spines["right"].set_visible(True)
        percent = any(np.nanmax(cols[k]) > 1 for k in acc_keys)
        for i, k in enumerate(acc_keys):
            handles += acc_ax.plot(x_for(cols[k]), cols[k], color=COLORS["true"], ls=styles[i % 4], marker="s",
                                   markersize=4, label=k.replace("_", " "))
        acc_ax.set_ylabel("accuracy (%)" if percent else "accuracy (fraction correct)")
        acc_ax.set_ylim(0, 100 if percent else 1)
    if acc_ax is not None:  # the loss axes (and its legend) above the accuracy axes
        ax.set_zorder(acc_ax.get_zorder() + 1)
        ax.patch.set_visible(False)
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(handles), 4),
              fontsize="small", frameon=False)
    if n <= 20:
        ax.set_xticks(np.unique(np.round(epochs[:n])).astype(int))
    ax.accuracy_axes = acc_ax
    if title:
        ax.set_title(title, pad=28)
    return ax


# --- calibration ---
class ReliabilityArtists:
    """The artists of one reliability diagram, drawn once and then updated in place by :meth:`update`.

    ``moving`` lists the artists that change (the bars and the ECE box), for the explorers' blitting.
    """

    def __init__(self, ax, bins, *, show_ece: bool = True):
        self.ax = ax
        self.acc_bars = None
        self.gap_bars = None
        self.moving: list = []
        self.show_ece = show_ece
        (self.diagonal,) = ax.plot([0, 1], [0, 1], ls="--", lw=1.2, color=COLORS["neutral"],
                                   label="perfect calibration", zorder=4)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("confidence (top-class probability)")
        ax.set_ylabel("accuracy (fraction correct)")
        self.text = ax.text(0.04, 0.96, "", transform=ax.transAxes, va="top", ha="left",
                            bbox={"boxstyle": "round", "fc": "white", "ec": COLORS["neutral"], "alpha": 0.9})
        self.update(bins)

    def _make_bars(self, n: int, edges) -> None:
        for old in (self.acc_bars, self.gap_bars):
            if old is not None:
                old.remove()
        left, width = np.asarray(edges[:-1]), np.diff(edges)
        zeros = np.zeros(n)
        self.acc_bars = self.ax.bar(left, zeros, width=width, align="edge", color=COLORS["true"],
                                    edgecolor="white", linewidth=0.8, label="accuracy in bin", zorder=2)
        self.gap_bars = self.ax.bar(left, zeros, width=width, align="edge", color=COLORS["loss"], alpha=0.3,
                                    edgecolor=COLORS["loss"], hatch="//", linewidth=0.8,
                                    label="gap to confidence", zorder=2)
        self.ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.85), fontsize="small", framealpha=0.9)

    def update(self, bins) -> bool:
        """Move the artists to new :class:`~course_utils.calibration.ReliabilityBins` (same axes). Returns
        True when the number of bins changed, so the bars (and the legend) were rebuilt."""
        n = len(bins.count)
        rebuilt = self.acc_bars is None or len(self.acc_bars.patches) != n
        if rebuilt:
            self._make_bars(n, bins.edges)
            # the diagonal and the box are drawn after the bars, so they stay on top when blitting
            self.moving = [*self.acc_bars.patches, *self.gap_bars.patches, self.diagonal, self.text]
        full = bins.count > 0
        acc = np.where(full, bins.accuracy, 0.0)
        conf = np.where(full, bins.confidence, 0.0)
        for a_bar, g_bar, a, c in zip(self.acc_bars.patches, self.gap_bars.patches, acc, conf, strict=True):
            a_bar.set_height(a)
            g_bar.set_y(min(a, c))
            g_bar.set_height(abs(c - a))
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
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 4.8))
    ReliabilityArtists(ax, bins, show_ece=show_ece)
    if title:
        ax.set_title(title)
    return ax


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
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False (got {type(flag).__name__})")
    if uniform_classes is not None:
        uniform_classes = check_int(uniform_classes, "uniform_classes", low=2)
    arrays = {label: as_float(v, f"groups[{label!r}]", min_ndim=1, allow_inf=True).ravel()
              for label, v in groups.items()}
    every = np.concatenate(list(arrays.values()))
    finite = every[np.isfinite(every)]
    top = float(finite.max()) if finite.size else 1.0
    if uniform_classes is not None:
        top = max(top, np.log(uniform_classes))
    edges = np.linspace(0.0, max(top, 1e-6) * 1.02, bins + 1) if np.isscalar(bins) else np.asarray(bins)
    default = [COLORS[k] for k in ("true", "loss", "other", "accent", "pred")]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.8))
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
    """The two panels of a ``course_utils.train.History``: cross-entropy (nats) of every training step, the
    epoch means and the test loss, with ln 10 marked; and training and test accuracy per epoch.
    ``axes``: two Axes to draw on (cleared first, so a live plot redraws with this same function).
    ``steps_per_epoch`` places the steps on the epoch axis (default: inferred from the finished epochs)."""
    import matplotlib.pyplot as plt

    if not all(hasattr(history, k) for k in ("epoch", "train_loss", "test_loss", "step_loss", "recipe")):
        raise TypeError(f"history must be a course_utils.train.History (got {type(history).__name__})")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss, ax_acc = axes
    ax_loss.clear()
    ax_acc.clear()
    steps = len(history.step_loss)
    if steps_per_epoch is not None:
        steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch")
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
