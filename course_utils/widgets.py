"""Explorers: one-line slider widgets over the course's pure functions.

Each ``*_explorer()`` returns a displayable ipywidgets container with

- ``.controls``: a dict of named ipywidgets (set ``explorer.controls["q"].value = 0.1`` in a test);
- ``.values``: the quantities it currently shows, recomputed by :mod:`course_utils.info`,
  :mod:`~course_utils.losses` and :mod:`~course_utils.grads` on every change.

The figure is drawn once with Matplotlib's Agg canvas and shown as a PNG in an ``ipywidgets.Image``. A
change moves the artists that depend on it and redraws only them over a cached background (blitting),
so a slider feels instant; the axes are redrawn only when their limits must change. The numbers are
printed next to the plot (an HTML readout), so they can be read without the picture.

Every explorer has a static twin, ``*_figure(...)``, which draws the same view at given settings with the
same code, for pages where widgets are dead (a static render, a notebook viewer).
"""

from __future__ import annotations

import html
import struct
import zlib
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import binary_losses, calibration, grads, info, losses, plots
from ._validate import as_binary_labels, as_float, check_int, check_scalar, check_str

__all__ = ["LIVE_DPI", "PNG_COMPRESS_LEVEL", "png_bytes", "Explorer", "UNITS", "distribution_values",
           "distribution_explorer", "distribution_figure", "binary_values", "binary_explorer", "binary_figure",
           "softmax_values", "softmax_explorer", "softmax_figure", "LOSS_FAMILY", "loss_family_values",
           "loss_family_explorer", "loss_family_figure", "TemperatureExplorer", "temperature_explorer",
           "reliability_figure"]

#: Resolution of the live PNG; 100 dpi keeps a redraw (blit + PNG encoding) near 10 ms.
LIVE_DPI = 100
#: zlib level for the live PNG: 1 is several times faster than the default and barely larger.
PNG_COMPRESS_LEVEL = 1

_SLIDER_LAYOUT = {"width": "380px"}
_SLIDER_STYLE = {"description_width": "110px"}


# ---------------------------------------------------------------- the machinery shared by all explorers
class ExplorerView:
    """The figure of one explorer: ``draw`` builds the artists, ``update(values)`` moves them.

    ``update`` returns True when axis limits changed, so the live explorer redraws the background.
    The same class draws the static twin, so the two can never disagree. Artists in ``moving`` are redrawn
    on every change; artists in ``slow`` (curves that depend on a label or a parameter) only when ``update``
    sets ``slow_changed``, over a second cached background.
    """

    figsize = (9.0, 3.6)
    #: Device pixels per CSS pixel of the live image: 2 renders a crisp image on a high-density screen (or a
    #: zoomed browser), at 4× the pixels; the reliability diagram's hatching and small text need it.
    pixel_ratio = 1

    def __init__(self, fig: Figure, values: dict, *, live: bool = False):
        self.fig, self.live = fig, live  # live: the numbers go to the readout, not into the figure
        self.moving: list = []
        self.slow: list = []
        self.slow_changed = False
        self.draw(values)
        self.update(values)

    def draw(self, values: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, values: dict) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


class _Renderer:
    """Agg rendering with blitting: a cached background, the moving artists drawn over it, PNG bytes out."""

    def __init__(self, fig: Figure, view: ExplorerView):
        self.fig, self.view = fig, view
        self.canvas = FigureCanvasAgg(fig)
        self._background = None  # the axes without any moving artist
        self._with_slow = None  # ... plus the slow layer
        self.full_redraws = 0

    def _draw(self, artists) -> None:
        for artist in artists:
            if artist.get_visible():
                self.fig.draw_artist(artist)

    def render(self, *, full: bool = False) -> bytes:
        view = self.view
        slow = list(getattr(view, "slow", []))
        for artist in (*view.moving, *slow):
            artist.set_animated(True)
        slow_changed = getattr(view, "slow_changed", False)
        view.slow_changed = False
        if full or self._background is None:
            self.canvas.draw()  # lays out (once), then draws everything that is not animated
            if self.fig.get_layout_engine() is not None:
                self.fig.set_layout_engine("none")  # freeze the layout: later draws keep the axes in place
                self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.full_redraws += 1
            slow_changed = True
        if slow and (slow_changed or self._with_slow is None):
            self.canvas.restore_region(self._background)
            self._draw(slow)
            self._with_slow = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._with_slow if slow else self._background)
        self._draw(view.moving)
        return self.png()

    def png(self) -> bytes:
        return png_bytes(np.asarray(self.canvas.buffer_rgba()))


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png_bytes(rgba: np.ndarray, level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """An (H, W, 4) uint8 image as an RGB PNG, unfiltered: about three times faster than a general encoder
    for flat plots, and the size stays small because zlib finds the flat colours anyway."""
    if not isinstance(rgba, np.ndarray) or rgba.dtype != np.uint8:
        raise TypeError(f"rgba must be a uint8 NumPy array (got {type(rgba).__name__} "
                        f"{getattr(rgba, 'dtype', '')})".replace(" )", ")"))
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4) or 0 in rgba.shape[:2]:
        raise ValueError(f"rgba must have shape (H, W, 4) or (H, W, 3) (got shape {rgba.shape})")
    level = check_int(level, "level", low=0, high=9)
    h, w = rgba.shape[:2]
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type 0 (none) for every row
    raw[:, 1:].reshape(h, w, 3)[...] = rgba[..., :3]
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + _png_chunk(b"IEND", b""))


def mpl_font_scale() -> float:
    """How much the current style enlarges text: 1 normally, plots.PROJECTOR_SCALE in projector mode."""
    import matplotlib as mpl

    return mpl.rcParams["font.size"] / plots.BASE_FONT_SIZE


def _readout_html(rows: list[tuple[str, str, object, str]], title: str = "") -> str:
    """An HTML table of (key, label, value, unit); each number sits in ``<span class="ce-value" data-key=..>``.
    Its text grows with the figures in projector mode (``plots.scaled``), so the numbers read from the back."""
    size = round(100 * mpl_font_scale())
    lines = [f"<div class='ce-readout' role='status' aria-live='polite' style='font-size:{size}%'>"
             f"{html.escape(title)}<table>"]
    for key, label, value, unit in rows:
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            text = str(int(value))
        elif isinstance(value, np.ndarray):
            text = "[" + ", ".join(plots.fmt_number(v) for v in value) + "]"
        else:
            text = plots.fmt_number(value)
        lines.append(
            f"<tr><td style='padding-right:0.6em'>{html.escape(label)}</td>"
            f"<td style='text-align:right;font-family:monospace'>"
            f"<span class='ce-value' data-key='{html.escape(key)}'>{text}</span></td>"
            f"<td style='padding-left:0.4em'>{html.escape(unit)}</td></tr>"
        )
    lines.append("</table></div>")
    return "".join(lines)


class Explorer(widgets.VBox):
    """A displayable explorer: controls on the left, the live figure and its numeric readout.

    Subclasses give the controls, ``compute(**settings) -> values``, a view class and the readout rows.
    """

    css_class = "ce-explorer"

    def __init__(self, controls: dict[str, widgets.Widget], compute: Callable[..., dict], view_cls: type[ExplorerView],
                 readout: Callable[[dict], list], *, title: str, name: str):
        self.controls = controls
        self._compute, self._readout_rows, self.title = compute, readout, title
        self.values = compute(**self.settings())
        size = plots.scaled(view_cls.figsize)  # larger in projector mode, with the text
        fig = Figure(figsize=size, dpi=LIVE_DPI * getattr(view_cls, "pixel_ratio", 1), layout="constrained")
        self.view = view_cls(fig, self.values, live=True)
        self.figure = fig
        self._renderer = _Renderer(fig, self.view)
        css_width = f"{round(size[0] * LIVE_DPI)}px"  # the image's size on the page, in CSS pixels
        self.image = widgets.Image(value=self._renderer.render(full=True), format="png",
                                   layout=widgets.Layout(width=css_width, max_width="100%", height="auto",
                                                         flex="0 1 auto"))
        self.readout = widgets.HTML(layout=widgets.Layout(min_width="230px", margin="0 0 0 8px"))
        self._update_readout()
        header = widgets.HTML(f"<b>{html.escape(title)}</b>")
        control_box = widgets.VBox(list(controls.values()), layout=widgets.Layout(min_width="340px"))
        super().__init__([header, widgets.HBox([control_box, self.readout]), self.image])
        self.add_class(self.css_class)
        self.add_class(f"ce-{name}-explorer")
        for w in controls.values():
            w.observe(self._on_change, names="value")

    def settings(self) -> dict:
        """The current control values, by control name."""
        return {k: w.value for k, w in self.controls.items()}

    def _update_readout(self) -> None:
        self.readout.value = _readout_html(self._readout_rows(self.values))

    def _on_change(self, _change=None) -> None:
        self.values = self._compute(**self.settings())
        full = self.view.update(self.values)
        self.image.value = self._renderer.render(full=full)
        self._update_readout()

    def redraw(self, *, full: bool = False) -> bytes:
        """Recompute and redraw now (``full=True`` redraws the background too); returns the PNG bytes."""
        self.values = self._compute(**self.settings())
        full = self.view.update(self.values) or full
        self.image.value = self._renderer.render(full=full)
        self._update_readout()
        return self.image.value


def static_figure(view_cls: type[ExplorerView], values: dict) -> Figure:
    """The static twin: the same view drawn once on a pyplot figure (closed, so a notebook shows it once)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=plots.scaled(view_cls.figsize), layout="constrained")
    view_cls(fig, values)
    plt.close(fig)
    return fig


def _in_slider_range(value: float, name: str, lo: float, hi: float) -> float:
    """An explorer's starting value must lie on its slider (a slider would clamp it silently)."""
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, the range of its slider (got {value:g})")
    return value


def _slider(value, lo, hi, step, description, fmt=".2f", *, continuous=True, tooltip=""):
    """A float slider whose initial value lies on its step grid (a browser snaps it otherwise, and sends the
    snapped value back to the kernel)."""
    steps = (value - lo) / step
    if abs(steps - round(steps)) > 1e-9:
        raise ValueError(f"{description}: the initial value {value:g} is not on the slider's grid "
                         f"({lo:g} to {hi:g} in steps of {step:g})")
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=fmt, continuous_update=continuous, tooltip=tooltip,
                               layout=widgets.Layout(**_SLIDER_LAYOUT), style=_SLIDER_STYLE)


def _normalise(weights, name: str) -> np.ndarray:
    """Non-negative weights -> a distribution; all zeros -> uniform (nothing to prefer)."""
    w = as_float(weights, name)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"{name} must be a non-empty list of weights (got shape {w.shape})")
    if not np.all(np.isfinite(w)) or w.min() < 0:
        raise ValueError(f"{name} weights must be finite and non-negative (got {w})")
    total = w.sum()
    return np.full(w.size, 1.0 / w.size) if total == 0 else w / total


# ---------------------------------------------------------------- distribution explorer: H(p, q) = H(p) + KL(p‖q)
UNITS = {"bits": 2.0, "nats": float(np.e)}


def distribution_values(p, q, unit: str = "bits") -> dict:
    """What the distribution explorer shows, from weights ``p`` and ``q`` (normalised here)."""
    check_str(unit, "unit", choices=tuple(UNITS))
    p, q = _normalise(p, "p"), _normalise(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same number of outcomes (got {p.size} and {q.size})")
    base = UNITS[unit]
    return {
        "p": p,
        "q": q,
        "entropy": float(info.entropy(p, base=base)),
        "cross_entropy": float(info.cross_entropy(p, q, base=base)),
        "kl": float(info.kl_divergence(p, q, base=base)),
        "unit": unit,
    }


class _DistributionView(ExplorerView):
    figsize = (9.0, 3.6)

    def draw(self, values: dict) -> None:
        ax_bars, ax_stack = self.fig.subplots(1, 2, width_ratios=[2.2, 1])
        self.bars = plots.DistributionBarsArtists(ax_bars, values["p"], values["q"])
        ax_bars.set_title("true p and predicted q")
        self.stack = plots.CrossEntropyStackArtists(ax_stack, values["entropy"], values["kl"], unit=values["unit"],
                                                    show_numbers=not self.live)
        ax_stack.set_title("H(p, q) =\nH(p) + KL(p‖q)")
        self.moving = self.bars.moving + self.stack.moving

    def update(self, values: dict) -> bool:
        self.bars.update(values["p"], values["q"])
        return self.stack.update(values["entropy"], values["kl"], unit=values["unit"])


def _distribution_readout(v: dict) -> list:
    u = v["unit"]
    return [("p", "p", v["p"], ""), ("q", "q", v["q"], ""), ("entropy", "H(p)", v["entropy"], u),
            ("cross_entropy", "H(p, q)", v["cross_entropy"], u), ("kl", "KL(p‖q)", v["kl"], u)]


#: The weight sliders' step: 40 key presses cross [0, 1], and 1/2, 1/4 and 1/8 lie on the grid.
WEIGHT_STEP = 0.025


def _default_p(n: int) -> np.ndarray:
    """Weights 1/2, 1/4, ..., the last two equal (for 4 outcomes 1/2, 1/4, 1/8, 1/8: H = 1.75 bits exactly),
    each on the sliders' grid (at least one step)."""
    w = 0.5 ** np.arange(1, n + 1)
    w[-1] = w[-2] if n > 1 else 1.0
    return np.maximum(np.round(w / WEIGHT_STEP) * WEIGHT_STEP, WEIGHT_STEP)


def distribution_explorer(num_outcomes: int = 4) -> Explorer:
    """Sliders for a true distribution p and a prediction q (weights, normalised), with H(p), H(p, q) and
    KL(p‖q) shown as the stacked bar H(p, q) = H(p) + KL(p‖q), in bits or nats.

    Controls ``p0``…, ``q0``… (weights in [0, 1]) and ``unit``; values ``p``, ``q``, ``entropy``,
    ``cross_entropy``, ``kl`` (in ``unit``) and ``unit``.
    """
    n = check_int(num_outcomes, "num_outcomes", low=2, high=10)
    p0, q0 = _default_p(n), np.full(n, 0.25)  # equal weights: the uniform prediction
    controls: dict[str, widgets.Widget] = {}
    for i in range(n):
        controls[f"p{i}"] = _slider(float(p0[i]), 0.0, 1.0, WEIGHT_STEP, f"p{i} (true)", fmt=".3f",
                                    tooltip=f"weight of outcome {i} in the true distribution p")
    for i in range(n):
        controls[f"q{i}"] = _slider(float(q0[i]), 0.0, 1.0, WEIGHT_STEP, f"q{i} (predicted)", fmt=".3f",
                                    tooltip=f"weight of outcome {i} in the predicted distribution q")
    controls["unit"] = widgets.ToggleButtons(options=list(UNITS), value="bits", description="unit",
                                             style={"button_width": "60px"})

    def compute(**s):
        return distribution_values([s[f"p{i}"] for i in range(n)], [s[f"q{i}"] for i in range(n)], s["unit"])

    return Explorer(controls, compute, _DistributionView, _distribution_readout,
                    title="Cross-entropy = entropy + KL divergence", name="distribution")


def distribution_figure(p=None, q=None, *, unit: str = "bits", num_outcomes: int = 4) -> Figure:
    """The distribution explorer's view, drawn once for weights ``p`` and ``q`` (defaults as the explorer)."""
    n = check_int(num_outcomes, "num_outcomes", low=2, high=10)
    p = _default_p(n) if p is None else _normalise(p, "p")
    q = np.full(p.size, 1.0 / p.size) if q is None else q
    return static_figure(_DistributionView, distribution_values(p, q, unit))


# ---------------------------------------------------------------- binary explorer: the "confidently wrong" picture
#: The positions of a q slider: 57 points evenly spaced in the logit z = logit(q) from -7 to 7, so that the
#: confidently wrong and right ends are a few key presses away, plus round probabilities (multiples of 0.05,
#: and 0.001, 0.01, 0.99, 0.999). About 80 positions: the keyboard crosses the range in under 100 presses.
Q_GRID = tuple(float(v) for v in np.unique(np.round(np.concatenate([
    1.0 / (1.0 + np.exp(-np.linspace(-7.0, 7.0, 57))), np.arange(1, 20) * 0.05, [0.001, 0.01, 0.99, 0.999]]), 6)))
Q_MIN, Q_MAX = Q_GRID[0], Q_GRID[-1]


def _q_slider(q: float, description: str, tooltip: str) -> widgets.SelectionSlider:
    """A slider over :data:`Q_GRID` (stepping evenly in the logit), whose readout stays a probability."""
    q = _in_slider_range(check_scalar(q, "q"), "q", Q_MIN, Q_MAX)
    grid = Q_GRID if q in Q_GRID else tuple(sorted((*Q_GRID, q)))
    return widgets.SelectionSlider(options=[(f"{v:.3g}", v) for v in grid], value=q, description=description,
                                   continuous_update=True, tooltip=tooltip,
                                   layout=widgets.Layout(**_SLIDER_LAYOUT), style=_SLIDER_STYLE)


def binary_values(q: float, y: int) -> dict:
    """BCE (nats) and MSE (squared probability) at predicted probability ``q`` = σ(z) of class 1 for label
    ``y``, and their gradients (BCE's with respect to q, both with respect to the logit z = logit(q))."""
    q = check_scalar(q, "q", low=0.0, high=1.0, low_open=True, high_open=True)
    y = as_binary_labels(y, "y")
    pa, ya = np.array([q]), np.array([float(y)])
    z = float(losses.logit(q))
    za = np.array([z])
    return {
        "q": q,
        "y": y,
        "z": z,
        "bce": float(losses.binary_cross_entropy(pa, ya)),
        "mse": float(losses.mse_loss(pa, ya)),
        "bce_grad_prob": float(grads.bce_grad_prob(pa, ya)[0]),
        "bce_grad_logit": float(grads.bce_grad_logit(za, ya)[0]),
        "mse_grad_logit": float(grads.mse_grad_logit(za, ya)[0]),
    }


class _BinaryView(ExplorerView):
    figsize = (9.0, 3.6)

    def draw(self, values: dict) -> None:
        ax_loss, ax_grad = self.fig.subplots(1, 2)
        y, q = values["y"], values["q"]
        self.loss = plots.BinaryCurvesArtists(ax_loss, ["bce", "mse"], y, which="loss", q=q, ylim=(0, 7.5))
        self.grad = plots.BinaryCurvesArtists(ax_grad, ["bce", "mse"], y, which="grad", q=q, ylim=(-1.1, 1.1))
        self.loss_title = ax_loss.set_title("")
        self.grad_title = ax_grad.set_title("")
        self.moving = self.loss.moving + self.grad.moving
        self.slow = self.loss.slow + self.grad.slow + [self.loss_title]

    def update(self, values: dict) -> bool:
        y, q = values["y"], values["q"]
        self.slow_changed = self.loss.update(y, q=q) | self.grad.update(y, q=q)
        if self.live:  # the readout carries the numbers
            self.loss_title.set_text(f"loss when the true label is y = {y}")
            self.grad_title.set_text("gradient w.r.t. the logit z = logit(q)")
        else:
            self.loss_title.set_text(f"y = {y}, q = {q:.3g}\nBCE = {plots.fmt_number(values['bce'])} nats, "
                                     f"MSE = {plots.fmt_number(values['mse'])}")
            self.grad_title.set_text(f"∂BCE/∂z = {plots.fmt_number(values['bce_grad_logit'])}\n"
                                     f"∂MSE/∂z = {plots.fmt_number(values['mse_grad_logit'])}")
        return False


def _binary_readout(v: dict) -> list:
    return [("q", "q (predicted)", v["q"], ""), ("y", "y (true label)", v["y"], ""),
            ("z", "z = logit(q)", v["z"], ""), ("bce", "BCE", v["bce"], "nats"),
            ("mse", "MSE", v["mse"], "(prob.)²"), ("bce_grad_prob", "∂BCE/∂q", v["bce_grad_prob"], ""),
            ("bce_grad_logit", "∂BCE/∂z", v["bce_grad_logit"], ""),
            ("mse_grad_logit", "∂MSE/∂z", v["mse_grad_logit"], "")]


def binary_explorer(q: float = 0.3, y: int = 1) -> Explorer:
    """Drag the predicted probability q = σ(z) of class 1 and flip the label y: BCE (nats) and MSE and their
    gradients against q, with the current point marked. The "confidently wrong" picture: near the wrong
    end BCE's logit gradient stays at ±1 while MSE's vanishes.

    Controls ``q`` and ``y``; values ``bce``, ``mse``, ``bce_grad_prob`` (∂BCE/∂q), ``bce_grad_logit``,
    ``mse_grad_logit`` (and ``q``, ``y``, ``z``).
    """
    binary_values(q, y)  # validate the starting point
    controls = {
        "q": _q_slider(q, "q (predicted)", "predicted probability of class 1, q = σ(z)"),
        "y": widgets.ToggleButtons(options=[("y = 0", 0), ("y = 1", 1)], value=int(y), description="true label",
                                   style={"button_width": "60px"}),
    }
    return Explorer(controls, binary_values, _BinaryView, _binary_readout,
                    title="Binary cross-entropy vs MSE: loss and gradient", name="binary")


def binary_figure(q: float = 0.05, y: int = 1) -> Figure:
    """The binary explorer's view at ``q`` and ``y`` (by default the confidently wrong q = 0.05, y = 1)."""
    return static_figure(_BinaryView, binary_values(q, y))


# ---------------------------------------------------------------- softmax explorer: logits, temperature, target
def softmax_values(logits, temperature: float = 1.0, target: int = 0) -> dict:
    """softmax(z / T), the cross-entropy (nats) against class ``target`` and its gradient with respect to
    the logits z themselves (the chain rule through z / T brings a factor 1/T)."""
    z = as_float(logits, "logits", min_ndim=1)
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"logits must be one vector of at least 2 class scores (got shape {z.shape})")
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    target = check_int(target, "target", low=0, high=z.size - 1)
    with np.errstate(over="ignore"):
        scaled = z / t
    if not np.isfinite(scaled).all() or np.ptp(scaled) > 1e300:
        raise ValueError(f"logits / temperature overflows float64 (temperature {t:g} is too small for these logits)")
    return {
        "logits": z,
        "temperature": t,
        "target": int(target),
        "probs": losses.softmax(scaled),
        "loss": float(losses.categorical_cross_entropy(scaled, int(target))),
        "grad": grads.cce_grad_logits(scaled, int(target)) / t,
    }


class _SoftmaxView(ExplorerView):
    figsize = (9.0, 3.6)

    def draw(self, values: dict) -> None:
        ax_p, ax_g = self.fig.subplots(1, 2)
        self.probs = plots.BarsArtists(ax_p, values["probs"], color=plots.COLORS["pred"], ylabel="probability",
                                       top=1.15, show_numbers=not self.live)
        self.grad = plots.BarsArtists(ax_g, values["grad"], color=plots.COLORS["grad"],
                                      ylabel="∂loss/∂z (nats per unit of logit)", symmetric=True, top=1.0,
                                      show_numbers=not self.live)
        ax_p.set_title("q = softmax(z / T); target outlined")
        self.g_title = ax_g.set_title("")
        self.moving = self.probs.moving + self.grad.moving + ([] if self.live else [self.g_title])

    def update(self, values: dict) -> bool:
        self.probs.update(values["probs"], target=values["target"], target_color=plots.COLORS["true"])
        if self.live:
            self.g_title.set_text("gradient w.r.t. the logits z")
        else:
            self.g_title.set_text(f"T = {values['temperature']:.3g}, target {values['target']}\n"
                                  f"loss = {plots.fmt_number(values['loss'])} nats")
        # |∂loss/∂z_i| <= 1/T: a scale fixed by T alone, so moving a logit never rescales the axes, and the
        # shrinking gradient at high temperature shows.
        top = plots.nice_limit(1.05 * max(1.0, 1.0 / values["temperature"]))
        return self.grad.update(values["grad"], target=values["target"], target_color=plots.COLORS["true"], top=top)


def _softmax_readout(v: dict) -> list:
    return [("probs", "q = softmax(z/T)", v["probs"], ""), ("loss", "cross-entropy", v["loss"], "nats"),
            ("grad", "∂loss/∂z", v["grad"], "")]


def _default_logits(n: int) -> np.ndarray:
    return np.round(np.linspace(2.0, -1.0, n) * 4) / 4  # on the logit sliders' grid of 0.25


def softmax_explorer(num_classes: int = 4) -> Explorer:
    """Sliders for the logits z, the temperature T and the target class: the bars of softmax(z / T), the
    cross-entropy (nats) and its gradient with respect to z.

    Controls ``z0``…, ``temperature`` and ``target``; values ``probs``, ``loss``, ``grad``
    (and ``logits``, ``temperature``, ``target``).
    """
    n = check_int(num_classes, "num_classes", low=2, high=10)
    z0 = _default_logits(n)
    controls: dict[str, widgets.Widget] = {
        f"z{i}": _slider(float(z0[i]), -10.0, 10.0, 0.25, f"z{i} (logit)", fmt=".2f",
                         tooltip=f"logit of class {i}") for i in range(n)
    }
    controls["temperature"] = widgets.FloatLogSlider(
        value=1.0, base=10, min=-2, max=1, step=0.05, description="temperature T", readout_format=".3g",
        continuous_update=True, layout=widgets.Layout(**_SLIDER_LAYOUT), style=_SLIDER_STYLE)
    controls["target"] = widgets.Dropdown(options=[(f"class {i}", i) for i in range(n)], value=0,
                                          description="target class", style=_SLIDER_STYLE,
                                          layout=widgets.Layout(width="240px"))

    def compute(**s):
        return softmax_values([s[f"z{i}"] for i in range(n)], s["temperature"], s["target"])

    return Explorer(controls, compute, _SoftmaxView, _softmax_readout,
                    title="Softmax and cross-entropy: logits, temperature, target", name="softmax")


def softmax_figure(logits=None, *, temperature: float = 1.0, target: int = 0, num_classes: int = 4) -> Figure:
    """The softmax explorer's view at the given logits, temperature and target."""
    if logits is None:
        logits = _default_logits(check_int(num_classes, "num_classes", low=2, high=10))
    return static_figure(_SoftmaxView, softmax_values(logits, temperature, target))


# ---------------------------------------------------------------- loss family explorer
#: The losses the explorer compares: keys of binary_losses.BINARY_LOSSES (and of plots.LOSS_STYLES).
LOSS_FAMILY = ("bce", "mse", "hinge", "focal", "weighted_bce", "smoothed_bce")


def loss_family_values(q: float, gamma: float = 2.0, pos_weight: float = 3.0, label_smoothing: float = 0.1) -> dict:
    """Each loss of the family (nats; MSE in squared probability, hinge in margin units) for one example of
    class 1 predicted with probability ``q`` = σ(z), from :data:`course_utils.binary_losses.BINARY_LOSSES`."""
    q = check_scalar(q, "q", low=0.0, high=1.0, low_open=True, high_open=True)
    params = binary_losses.check_params(gamma=gamma, pos_weight=pos_weight, label_smoothing=label_smoothing)
    z = losses.logit(np.array([q]))
    out = {"q": q, "z": float(z[0]), "gamma": params["gamma"], "pos_weight": params["pos_weight"],
           "label_smoothing": params["label_smoothing"]}
    for name in LOSS_FAMILY:
        out[name] = float(binary_losses.binary_loss(name, z, 1.0, **params)[0])
    return out


class _LossFamilyView(ExplorerView):
    figsize = (9.0, 4.2)

    def draw(self, values: dict) -> None:
        ax = self.fig.subplots(1, 1)
        self.curves = plots.BinaryCurvesArtists(ax, LOSS_FAMILY, 1, which="loss", q=values["q"],
                                                params=self._params(values), ylim=(0, 5), legend_outside=True,
                                                numbered_labels=not self.live)  # live: numbers in the readout
        ax.set_xlabel("predicted probability of the true class, q")
        ax.set_ylabel("loss (nats; MSE, hinge in their units)")
        self.title = ax.set_title("")
        self.moving = self.curves.moving
        self.slow = self.curves.slow

    @staticmethod
    def _params(values: dict) -> dict:
        return {k: values[k] for k in ("gamma", "pos_weight", "label_smoothing")}

    def update(self, values: dict) -> bool:
        self.slow_changed = self.curves.update(1, q=values["q"], params=self._params(values))
        self.title.set_text("one example of the true class" if self.live else
                            f"the true class, predicted with q = {values['q']:.3g}")
        return False


def _loss_family_readout(v: dict) -> list:
    return [("bce", "cross-entropy", v["bce"], "nats"), ("mse", "MSE", v["mse"], "(prob.)²"),
            ("hinge", "hinge", v["hinge"], "margin units"), ("focal", f"focal (γ={v['gamma']:g})", v["focal"], "nats"),
            ("weighted_bce", f"weighted BCE (×{v['pos_weight']:g})", v["weighted_bce"], "nats"),
            ("smoothed_bce", f"label smoothing (ε={v['label_smoothing']:g})", v["smoothed_bce"], "nats")]


def loss_family_explorer() -> Explorer:
    """Compare cross-entropy, MSE, hinge, focal (γ), weighted BCE (pos_weight) and label-smoothed BCE (ε)
    as the probability q given to the true class moves.

    Controls ``q``, ``gamma``, ``pos_weight``, ``label_smoothing``; values ``bce``, ``mse``, ``hinge``,
    ``focal``, ``weighted_bce``, ``smoothed_bce`` (the keys of binary_losses.BINARY_LOSSES) and the settings.
    """
    controls = {
        "q": _q_slider(0.3, "q (true class)", "predicted probability of the true class"),
        "gamma": _slider(2.0, 0.0, 5.0, 0.1, "γ (focal)", fmt=".1f", tooltip="focusing parameter of focal loss"),
        "pos_weight": _slider(3.0, 0.0, 10.0, 0.1, "pos_weight", fmt=".1f",
                              tooltip="weight of the positive class in weighted BCE"),
        "label_smoothing": _slider(0.1, 0.0, 1.0, 0.01, "ε (smoothing)", fmt=".2f",
                                   tooltip="label smoothing: target (1 - ε) y + ε / 2"),
    }
    return Explorer(controls, loss_family_values, _LossFamilyView, _loss_family_readout,
                    title="A family of classification losses", name="loss-family")


def loss_family_figure(q: float = 0.3, *, gamma: float = 2.0, pos_weight: float = 3.0,
                       label_smoothing: float = 0.1) -> Figure:
    """The loss family explorer's view at the given settings."""
    return static_figure(_LossFamilyView, loss_family_values(q, gamma, pos_weight, label_smoothing))


# --- calibration ---
class _ReliabilityView(ExplorerView):
    figsize = (8.6, 4.8)  # wide: the legend sits beside the square diagram, clear of its bars and ECE box
    pixel_ratio = 2

    def draw(self, values: dict) -> None:
        ax = self.fig.subplots(1, 1)
        self.diagram = plots.ReliabilityArtists(ax, values["bins"], legend_outside=True)
        self.title = ax.set_title("")
        self.moving = self.diagram.moving + [self.title]

    def update(self, values: dict) -> bool:
        rebuilt = self.diagram.update(values["bins"])
        self.moving = self.diagram.moving + [self.title]
        self.title.set_text(f"softmax(z / T), T = {values['temperature']:.3g}")
        return rebuilt


def _temperature_compute(logits, targets):
    """``compute(temperature, n_bins)`` over validated logits: calibration's own metrics, and the bins."""
    z, y = calibration.as_logits_targets(logits, targets)  # validated once, at the door
    at_one: dict[int, dict] = {}  # the metrics at T = 1, by number of bins

    def _metrics_at(t: float, n_bins: int):
        return calibration.calibration_metrics_and_bins(calibration.apply_temperature(z, t), y, n_bins)

    def compute(temperature: float, n_bins: int, **_) -> dict:
        t, n_bins = float(temperature), int(n_bins)
        metrics, bins = _metrics_at(t, n_bins)
        if n_bins not in at_one:
            at_one[n_bins] = _metrics_at(1.0, n_bins)[0]
        return {**metrics, "temperature": t, "n_bins": n_bins, "bins": bins,
                "ece_at_1": at_one[n_bins]["ece"], "nll_at_1": at_one[n_bins]["nll"], "n": len(y)}

    return compute


def _temperature_readout(v: dict) -> list:
    return [("temperature", "temperature T", v["temperature"], ""), ("ece", "ECE", v["ece"], ""),
            ("ece_at_1", "ECE at T = 1", v["ece_at_1"], ""), ("mce", "MCE (worst bin)", v["mce"], ""),
            ("nll", "NLL", v["nll"], "nats"), ("nll_at_1", "NLL at T = 1", v["nll_at_1"], "nats"),
            ("brier", "Brier score", v["brier"], ""), ("accuracy", "accuracy", v["accuracy"], "(T never moves it)"),
            ("n", "samples", v["n"], "")]


class TemperatureExplorer(Explorer):
    """The temperature explorer: an :class:`Explorer` plus ``buttons`` (``"reset"`` to T = 1 and, given a
    fitted temperature, ``"fit"``), which set ``controls["temperature"]``."""

    def __init__(self, controls, compute, *, fitted_temperature: float | None = None):
        super().__init__(controls, compute, _ReliabilityView, _temperature_readout,
                         title="Temperature scaling: the reliability diagram, live", name="temperature")
        slider = controls["temperature"]
        self.buttons = {"reset": widgets.Button(description="T = 1 (as trained)", tooltip="reset T to 1")}
        self.buttons["reset"].on_click(lambda _: setattr(slider, "value", 1.0))
        if fitted_temperature is not None:
            lo, hi = 10.0 ** slider.min, 10.0 ** slider.max  # a log slider: min and max are exponents
            end = min(max(fitted_temperature, lo), hi)
            beyond = "" if lo <= fitted_temperature <= hi else f" (slider ends at {end:g})"
            self.buttons["fit"] = widgets.Button(description=f"fitted T = {fitted_temperature:.3g}{beyond}",
                                                 button_style="info",
                                                 tooltip="the temperature fitted on the held-out split")
            self.buttons["fit"].on_click(lambda _: setattr(slider, "value", fitted_temperature))
        self.children = (*self.children[:2], widgets.HBox(list(self.buttons.values())), *self.children[2:])


def temperature_explorer(logits, targets, *, temperature: float = 1.0, n_bins: int = 15,
                         fitted_temperature: float | None = None) -> TemperatureExplorer:
    """Slide the temperature T of ``softmax(logits / T)`` over fixed logits and targets: the reliability
    diagram, ECE, MCE, NLL (nats), Brier and accuracy, computed by :mod:`course_utils.calibration`.

    Controls ``temperature`` (0.1 to 10, log scale) and ``n_bins``; ``.buttons`` ``reset`` and (given
    ``fitted_temperature``) ``fit``. Values ``ece``, ``mce``, ``nll``, ``brier``, ``accuracy``,
    ``temperature``, ``n_bins`` (and ``bins``, ``ece_at_1``, ``nll_at_1``, ``n``).
    """
    t = _in_slider_range(calibration.check_temperature(temperature), "temperature", 0.1, 10.0)
    n_bins = int(_in_slider_range(calibration.check_n_bins(n_bins), "n_bins", 1, 30))
    if fitted_temperature is not None:
        # not refused beyond the slider (a fit on stand-in data can hit its bound, T = 100): the button says so
        fitted_temperature = check_scalar(fitted_temperature, "fitted_temperature", low=0.0, low_open=True)
    compute = _temperature_compute(logits, targets)
    controls = {
        "temperature": widgets.FloatLogSlider(
            value=t, base=10, min=-1, max=1, step=0.02, description="temperature T", readout_format=".3g",
            continuous_update=True, layout=widgets.Layout(**_SLIDER_LAYOUT), style=_SLIDER_STYLE,
            tooltip="divide the logits by T before the softmax"),
        "n_bins": widgets.IntSlider(value=n_bins, min=1, max=30, description="bins", continuous_update=False,
                                    layout=widgets.Layout(**_SLIDER_LAYOUT), style=_SLIDER_STYLE,
                                    tooltip="equal-width confidence bins for the diagram and ECE"),
    }
    return TemperatureExplorer(controls, compute, fitted_temperature=fitted_temperature)


def reliability_figure(logits, targets, *, temperature: float = 1.0, n_bins: int = 15) -> Figure:
    """The temperature explorer's view at one temperature: the static twin."""
    t = calibration.check_temperature(temperature)
    n_bins = calibration.check_n_bins(n_bins)
    return static_figure(_ReliabilityView, _temperature_compute(logits, targets)(t, n_bins))
