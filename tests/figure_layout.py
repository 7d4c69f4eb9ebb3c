"""A test helper: what a figure shows a person. No two texts overprint, and no text leaves the canvas.

tests/test_figure_layout.py draws every figure of the course in normal and projector mode and calls
:func:`layout_problems`. Text means every visible :class:`matplotlib.text.Text` with
content (titles, axis labels, tick labels, annotations, legend entries), each legend's frame counted as one
box, and text boxes drawn with a background (``bbox=``) as their patch.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text


def text_boxes(fig: Figure) -> list[tuple[str, np.ndarray]]:
    """(a short description, [x0, y0, x1, y1] in display pixels) for each visible text and legend on ``fig``."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure (got {type(fig).__name__})")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # a figure made with Figure() has no drawing canvas yet
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes: list[tuple[str, np.ndarray]] = []
    hidden = set()  # tick labels of ticks outside the axis limits: they exist but are never drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - span <= tick.get_loc() <= hi + span:
                    hidden.update({id(tick.label1), id(tick.label2)})
    legends = [a for a in fig.findobj(Legend) if a.get_visible()]
    inside_legend = {id(t) for lg in legends for t in lg.findobj(Text)}
    for lg in legends:
        bb = lg.get_window_extent(renderer)
        boxes.append((f"legend ({', '.join(t.get_text() for t in lg.get_texts())[:40]})",
                      np.array([bb.x0, bb.y0, bb.x1, bb.y1])))
    for t in fig.findobj(Text):
        if id(t) in inside_legend or id(t) in hidden or not t.get_visible() or not t.get_text().strip():
            continue
        ax = t.axes
        if ax is not None and not ax.get_visible():
            continue
        patch = t.get_bbox_patch()
        bb = (patch.get_window_extent(renderer) if patch is not None else t.get_window_extent(renderer))
        if bb.width <= 0 or bb.height <= 0:
            continue
        boxes.append((repr(t.get_text())[:50], np.array([bb.x0, bb.y0, bb.x1, bb.y1])))
    return boxes


def layout_problems(fig: Figure, *, tolerance: float = 1.0) -> list[str]:
    """Every pair of overlapping text boxes and every text box that leaves the canvas, as sentences.

    ``tolerance`` (pixels) forgives a touch. Tick labels of one axis never overlap each other in a
    readable figure, so they count like any other text."""
    boxes = text_boxes(fig)
    w, h = fig.canvas.get_width_height()
    problems = []
    for name, (x0, y0, x1, y1) in boxes:
        if x0 < -tolerance or y0 < -tolerance or x1 > w + tolerance or y1 > h + tolerance:
            problems.append(f"{name} leaves the canvas ({x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f} on {w}×{h})")
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            (na, a), (nb, b) = boxes[i], boxes[j]
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if dx > tolerance and dy > tolerance:
                problems.append(f"{na} overlaps {nb} by {dx:.0f}×{dy:.0f} px")
    return problems
