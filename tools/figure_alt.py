"""Alt text for every matplotlib figure a notebook shows, generated from the figure itself.

The site builder runs :func:`install` in each kernel at start-up (IPython's ``exec_lines``). It wraps the kernel's
PNG formatter so that a figure's PNG carries ``{"alt": ...}`` metadata, which the site's templates write into
the ``<img alt="...">``. The text names the figure's suptitle and, per panel, its title, its axes (with their
units, since the course labels every axis) and its legend entries, e.g.
``Figure: "entropy of a coin", H (bits) against p (probability of heads), 1 line, legend: H(p)``.
An author who wants to say more sets ``fig.alt_text = "..."`` on the figure, which wins.
"""

from __future__ import annotations


def describe(fig) -> str:
    """A one-line description of a matplotlib Figure, for screen readers and readers of the static site."""
    explicit = getattr(fig, "alt_text", None)
    if isinstance(explicit, str) and explicit.strip():
        return explicit.strip()
    panels = []
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.get_visible():
            continue
        bits = []
        title = " ".join(t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t)
        if title:
            bits.append(f'"{title}"')
        xlabel, ylabel = ax.get_xlabel(), ax.get_ylabel()
        if xlabel or ylabel:
            bits.append(f"{ylabel or 'values'} against {xlabel or 'position'}")
        drawn = []
        lines = ax.get_lines()
        if lines:
            drawn.append(f"{len(lines)} line{'s' if len(lines) > 1 else ''}")
        bars = sum(len(c) for c in ax.containers if type(c).__name__ == "BarContainer")
        if bars:
            drawn.append(f"{bars} bars")
        if ax.images:
            drawn.append("an image")
        if drawn:
            bits.append(" and ".join(drawn))
        legend = ax.get_legend()
        if legend is not None:
            labels = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if labels:
                bits.append("legend: " + ", ".join(labels))
        if bits:
            panels.append(", ".join(bits))
    suptitle = getattr(fig, "_suptitle", None)
    head = "Figure" + (f" \u2014 {suptitle.get_text()}" if suptitle is not None and suptitle.get_text() else "")
    if len(fig.axes) > 1:
        head += f" with {len(fig.axes)} panels"
    return head + (": " + "; ".join(panels) if panels else "")


def min_font_pt(fig) -> float | None:
    """The smallest font size (points) of the visible, non-empty text in a drawn figure; None if it has none."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.figure is not None]
    return min(sizes) if sizes else None


def _is_figure(obj) -> bool:
    return type(obj).__module__.startswith("matplotlib.figure") and hasattr(obj, "savefig")


def install(shell=None) -> None:
    """Wrap ``shell``'s PNG formatter so that figures carry alt text (keeps every printer already registered)."""
    from IPython import get_ipython
    from IPython.core.formatters import PNGFormatter

    shell = shell or get_ipython()
    if shell is None:
        return
    old = shell.display_formatter.formatters["image/png"]

    class AltPNGFormatter(type(old) if isinstance(old, PNGFormatter) else PNGFormatter):
        def __call__(self, obj):
            out = super().__call__(obj)
            if out is None or not _is_figure(obj):
                return out
            data, md = out if isinstance(out, tuple) else (out, None)
            md = dict(md or {})
            md.setdefault("alt", describe(obj))
            smallest = min_font_pt(obj)
            if smallest is not None:  # for the slide test: figure text in px = pt * dpi / 72 * (shown / natural)
                md.setdefault("min_font_pt", round(smallest, 2))
                md.setdefault("dpi", float(obj.dpi))
            return data, md

    new = AltPNGFormatter(parent=shell.display_formatter)
    new.type_printers.update(old.type_printers)
    new.deferred_printers.update(old.deferred_printers)
    new.singleton_printers.update(old.singleton_printers)
    new.enabled = old.enabled
    shell.display_formatter.formatters["image/png"] = new
