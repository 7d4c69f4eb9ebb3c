"""The explorers of notebook 09, each with a static twin (same view, drawn once):

- :func:`surprise_explorer` / :func:`surprise_figure`: drag the model's probability q of the next symbol and
  see the bits an ideal coder spends on it, -log2 q, beside what our arithmetic coder really writes;
- :func:`temperature_explorer` / :func:`temperature_figure`: a language model's next-character
  distribution softmax(z / T) after a prompt, its entropy in bits, and a sample drawn at that temperature.

They follow the course's explorer contract (``.controls``, ``.values``; see :mod:`course_utils.widgets`) and
reuse its public :class:`~course_utils.widgets.Explorer`. The language model comes in as a plain function
``logits_fn(text) -> (K,) logits`` over an ``alphabet``, so this module needs no torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from . import arithmetic_coding, plots
from ._validate import as_float, check_int, check_scalar, check_seed, check_str_sequence
from .widgets import Explorer, ExplorerView, static_figure

__all__ = [
    "surprise_explorer",
    "surprise_figure",
    "surprise_values",
    "temperature_explorer",
    "temperature_figure",
    "temperature_values",
]

_SLIDER_LAYOUT = widgets.Layout(width="380px")
_SLIDER_STYLE = {"description_width": "110px"}
Q_MIN, Q_MAX = 1e-4, 0.9999
#: Symbols coded per measurement: the coder's cost per symbol is read to within 8 / SURPRISE_REPEATS bits.
SURPRISE_REPEATS = 4000




# ---------------------------------------------------------------- the cost of a surprise
def surprise_values(q: float, repeats: int = SURPRISE_REPEATS) -> dict:
    """The cost of a symbol the model gave probability ``q``: ideal -log2 q bits, and our coder's bits per
    symbol, measured by coding ``repeats`` such symbols (each with the distribution (1 - q, q))."""
    q = check_scalar(q, "q", low=0.0, high=1.0, low_open=True, high_open=True)
    repeats = check_int(repeats, "repeats", high=10**6)
    # the symbol sits at the top of the interval, so that no run of zero bytes comes for free at the end
    data = arithmetic_coding.encode(np.ones(repeats, dtype=np.int64), [1.0 - q, q])
    return {"q": q, "ideal_bits": float(-np.log2(q)), "coder_bits": 8 * len(data) / repeats,
            "coder_bytes": len(data), "repeats": repeats, "ideal_nats": float(-np.log(q))}


class _SurpriseView(ExplorerView):
    figsize = (8.0, 3.6)

    def draw(self, values: dict) -> None:
        ax = self.fig.subplots()
        qs = np.geomspace(Q_MIN, Q_MAX, 400)
        ax.plot(qs, -np.log2(qs), color=plots.COLORS["loss"], lw=2, label="ideal: −log₂ q bits")
        ax.set_xscale("log")
        ax.set_xlabel("the model's probability q of the symbol that occurs")
        ax.set_ylabel("bits spent on it")
        ax.set_ylim(0, 14.5)
        ax.set_xlim(Q_MIN, 1.0)
        self.vline = ax.axvline(values["q"], color=plots.COLORS["neutral"], ls=":", lw=1)
        (self.ideal_pt,) = ax.plot([], [], "o", ms=9, color=plots.COLORS["loss"], zorder=3)
        (self.coder_pt,) = ax.plot([], [], "s", ms=7, color=plots.COLORS["pred"], zorder=4,
                                   label=f"our coder (bytes × 8 / {values['repeats']:,} symbols)")
        ax.legend(loc="upper right", fontsize="small")
        self.title = ax.set_title("")
        self.moving = [self.vline, self.ideal_pt, self.coder_pt]
        self.slow = [self.title]

    def update(self, values: dict) -> bool:
        q = values["q"]
        self.vline.set_xdata([q, q])
        self.ideal_pt.set_data([q], [values["ideal_bits"]])
        self.coder_pt.set_data([q], [values["coder_bits"]])
        if not self.live:
            self.title.set_text(f"q = {q:.4g}: −log₂ q = {values['ideal_bits']:.3f} bits\n"
                                f"the coder spends {values['coder_bits']:.3f}")
        else:
            self.title.set_text("The cost of a surprise")
        return False


def _surprise_readout(v: dict) -> list:
    return [("q", "q (model)", v["q"], ""), ("ideal_bits", "−log₂ q", v["ideal_bits"], "bits"),
            ("ideal_nats", "−ln q", v["ideal_nats"], "nats"),
            ("coder_bits", "coder, per symbol", v["coder_bits"], "bits"),
            ("coder_bytes", f"coder, {v['repeats']:,} symbols", v["coder_bytes"], "bytes")]


def surprise_explorer(q: float = 0.1) -> Explorer:
    """Drag q, the model's probability for the symbol that occurs: the bits an ideal coder spends on it
    (−log₂ q) and what our arithmetic coder writes, measured on a run of such symbols.

    Control ``q`` (a log slider); values ``q``, ``ideal_bits``, ``ideal_nats``, ``coder_bits`` (per symbol),
    ``coder_bytes`` and ``repeats``."""
    surprise_values(q)
    controls = {"q": widgets.FloatLogSlider(value=float(np.clip(q, Q_MIN, Q_MAX)), base=10, min=np.log10(Q_MIN),
                                            max=np.log10(Q_MAX), step=0.02, description="q (model)",
                                            readout_format=".4f", continuous_update=True,
                                            layout=_SLIDER_LAYOUT, style=_SLIDER_STYLE,
                                            tooltip="the model's probability of the symbol that occurs")}
    return Explorer(controls, lambda q: surprise_values(q), _SurpriseView, _surprise_readout,
                    title="The cost of a surprise: −log₂ q bits", name="surprise")


def surprise_figure(q: float = 0.01) -> Figure:
    """The surprise explorer's view at ``q``, drawn once."""
    return static_figure(_SurpriseView, surprise_values(q))


# ---------------------------------------------------------------- sampling temperature of a language model
TOP = 15


def _shown(ch: str) -> str:
    return {"\n": "⏎", " ": "␣"}.get(ch, ch)


def temperature_values(logits_fn: Callable[[str], np.ndarray], alphabet: str, prompt: str,
                       temperature: float = 1.0, *, sample_length: int = 60, seed: int = 0) -> dict:
    """softmax(z / T) of ``logits_fn(prompt)`` over ``alphabet``, its entropy (bits), the top characters,
    and ``sample_length`` characters sampled at temperature T (seeded)."""
    if not callable(logits_fn):
        raise TypeError(f"logits_fn must be a function text -> logits (got {type(logits_fn).__name__})")
    if not isinstance(alphabet, str) or len(alphabet) < 2:
        raise TypeError("alphabet must be a str of at least 2 characters")
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty str")
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    n = check_int(sample_length, "sample_length", low=0, high=10_000)
    rng = np.random.default_rng(check_seed(seed))

    def dist(text: str) -> np.ndarray:
        z = as_float(logits_fn(text), "logits_fn(prompt)", min_ndim=1)
        if z.shape != (len(alphabet),):
            raise ValueError(f"logits_fn must return {len(alphabet)} logits (got shape {z.shape})")
        s = z / t
        q = np.exp(s - s.max())
        return q / q.sum()

    q = dist(prompt)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = float(-np.sum(np.where(q > 0, q * np.log2(np.where(q > 0, q, 1.0)), 0.0)))
    text = prompt
    for _ in range(n):
        text += alphabet[int(rng.choice(len(alphabet), p=dist(text)))]
    top = np.argsort(-q, kind="stable")[:TOP]
    return {"temperature": t, "prompt": prompt, "probs": q, "entropy_bits": entropy,
            "max_entropy_bits": float(np.log2(len(alphabet))), "top_chars": [alphabet[i] for i in top],
            "top_probs": q[top], "sample": text[len(prompt):], "alphabet": alphabet}


class _TemperatureView(ExplorerView):
    figsize = (9.0, 3.8)

    def draw(self, values: dict) -> None:
        if self.live:  # the sample goes to a text widget below the explorer
            self.ax, text_ax = self.fig.subplots(), None
        else:  # a row below the bars holds the sample
            self.ax, text_ax = self.fig.subplots(2, 1, height_ratios=[6, 1])
            text_ax.axis("off")
        x = np.arange(len(values["top_probs"]))
        self.bars = self.ax.bar(x, values["top_probs"], color=plots.COLORS["pred"], alpha=0.9,
                                label=f"q = softmax(z / T), the {len(x)} likeliest")
        self.ax.set_ylim(0, 1.05)
        self.ax.set_ylabel("probability of\nthe next character")
        self.ax.set_xlabel("next character (␣ space, ⏎ newline)")
        self.ax.legend(loc="upper right", fontsize="small")
        self.title = self.ax.set_title("")
        self.sample_text = (text_ax or self.ax).text(0.0, 0.0, "", fontsize="small", family="monospace",
                                                     va="center", transform=(text_ax or self.ax).transAxes)
        self.chars = None
        self.moving = list(self.bars)
        self.slow = [self.title]

    def update(self, values: dict) -> bool:
        for b, h in zip(self.bars, values["top_probs"], strict=True):
            b.set_height(h)
        full = values["top_chars"] != self.chars
        if full:
            self.ax.set_xticks(np.arange(len(self.bars)), [_shown(c) for c in values["top_chars"]])
            self.chars = values["top_chars"]
        head = f"after «{values['prompt'][-30:]}»  T = {values['temperature']:.2f}"
        if self.live:
            self.title.set_text(head)
        else:
            self.title.set_text(f"{head}: entropy {values['entropy_bits']:.2f} bits")
            self.sample_text.set_text("sample: " + values["sample"].replace("\n", "⏎")[:70])
        self.slow_changed = True
        return full


def _temperature_readout(v: dict) -> list:
    return [("temperature", "T", v["temperature"], ""), ("entropy_bits", "entropy of q", v["entropy_bits"], "bits"),
            ("max_entropy_bits", "uniform (log₂ K)", v["max_entropy_bits"], "bits"),
            ("top_prob", f"P(«{_shown(v['top_chars'][0])}»)", float(v["top_probs"][0]), "")]


def temperature_explorer(logits_fn: Callable[[str], np.ndarray], alphabet: str, prompts: Sequence[str],
                         temperature: float = 1.0) -> Explorer:
    """A language model's next-character distribution after a prompt, at sampling temperature T: drag T and
    watch the entropy (bits) fall as T → 0 (greedy) and rise toward log₂ K as T grows; a sample drawn at
    T is shown below (``explorer.sample``).

    Controls ``temperature`` (a log slider) and ``prompt``; values ``probs``, ``entropy_bits``, ``top_chars``,
    ``top_probs``, ``sample``."""
    if not isinstance(prompts, (list, tuple)):
        raise TypeError(f"prompts must be a non-empty list of str (got {type(prompts).__name__})")
    prompts = check_str_sequence(prompts, "prompts")
    temperature_values(logits_fn, alphabet, prompts[0], temperature, sample_length=0)
    controls = {
        "temperature": widgets.FloatLogSlider(value=temperature, base=10, min=-1, max=1, step=0.02,
                                              description="temperature T", readout_format=".2f",
                                              continuous_update=False, layout=_SLIDER_LAYOUT,
                                              style=_SLIDER_STYLE),
        "prompt": widgets.Dropdown(options=prompts, value=prompts[0], description="prompt",
                                   layout=_SLIDER_LAYOUT, style=_SLIDER_STYLE),
    }

    def compute(temperature, prompt):
        return temperature_values(logits_fn, alphabet, prompt, temperature)

    explorer = Explorer(controls, compute, _TemperatureView, _temperature_readout,
                        title="Sampling temperature: the entropy of the next character", name="temperature")
    explorer.sample = widgets.HTML()

    def show_sample(_=None):
        import html

        v = explorer.values
        explorer.sample.value = (f"<pre style='white-space:pre-wrap'>sample at T = {v['temperature']:.2f}: "
                                 f"{html.escape(v['sample'])}</pre>")

    show_sample()
    for w in controls.values():
        w.observe(show_sample, names="value")
    explorer.children = (*explorer.children, explorer.sample)
    return explorer


def temperature_figure(logits_fn: Callable[[str], np.ndarray], alphabet: str, prompt: str,
                       temperature: float = 1.0) -> Figure:
    """The temperature explorer's view for one prompt and temperature, with a sample, drawn once."""
    return static_figure(_TemperatureView, temperature_values(logits_fn, alphabet, prompt, temperature))
