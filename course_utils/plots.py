"""Figures: one style, one colour-blind-safe palette (Okabe–Ito), and plot_*(..., ax=None) -> Axes."""

from __future__ import annotations

import matplotlib as mpl

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


def use_style(*, projector: bool = False) -> None:
    """Apply the course style; ``projector=True`` gives large fonts and thick lines for a room."""
    scale = 1.6 if projector else 1.0
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4 * (1.25 if projector else 1.0), 4.0 * (1.25 if projector else 1.0)),
            "figure.dpi": 100,
            "font.size": 11 * scale,
            "axes.titlesize": 12 * scale,
            "axes.labelsize": 11 * scale,
            "xtick.labelsize": 10 * scale,
            "ytick.labelsize": 10 * scale,
            "legend.fontsize": 10 * scale,
            "lines.linewidth": 2.0 * (1.75 if projector else 1.0),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.prop_cycle": mpl.cycler(color=[COLORS[k] for k in ("true", "pred", "loss", "grad", "other")]),
        }
    )


# --- calibration ---
class ReliabilityArtists:
    """The artists of one reliability diagram, drawn once and then updated in place by :meth:`update`."""

    def __init__(self, ax, bins, *, show_ece: bool = True):
        self.ax = ax
        self.acc_bars = None
        self.gap_bars = None
        self.show_ece = show_ece
        ax.plot([0, 1], [0, 1], ls="--", lw=1.2, color=COLORS["neutral"], label="perfect calibration", zorder=4)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("confidence (top-class probability)")
        ax.set_ylabel("accuracy (fraction correct)")
        self.text = ax.text(0.04, 0.96, "", transform=ax.transAxes, va="top", ha="left",
                            bbox={"boxstyle": "round", "fc": "white", "ec": COLORS["neutral"], "alpha": 0.9})
        self.update(bins)

    def _make_bars(self, n: int, edges) -> None:
        import numpy as np

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

    def update(self, bins) -> None:
        """Redraw for new :class:`~course_utils.calibration.ReliabilityBins` (same figure, same axes)."""
        import numpy as np

        n = len(bins.count)
        if self.acc_bars is None or len(self.acc_bars.patches) != n:
            self._make_bars(n, bins.edges)
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
