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
