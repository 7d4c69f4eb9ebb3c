"""Cross-entropy is compression: the computations and figures of notebook 09 (NumPy; no torch).

- a Markov source whose entropy rate is known exactly, and models of growing power that code its samples;
- the course's English corpus (public-domain State of the Union addresses, shipped in ``corpus/``), as
  symbols of a fixed 96-character alphabet, and n-gram models of it, unsmoothed or smoothed;
- the file sizes of our arithmetic coder (:mod:`course_utils.arithmetic_coding`) beside gzip, bz2 and lzma;
- the loss of a batch of padded sequences, averaged per token with ``ignore_index`` as in PyTorch;
- labels coded with a classifier's logits (CIFAR-10 in the notebook): the file size against N · CE / ln 2.

Information is in bits; training losses are in nats, and every number says which.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import arithmetic_coding, plots
from ._validate import (
    as_class_indices,
    as_distribution,
    as_float,
    as_int_array,
    check_axes,
    check_int,
    check_mapping,
    check_optional_str,
    check_reduction,
    check_scalar,
    check_seed,
)

#: The most classes (symbols) a count or a model here may have: far beyond the course, far below memory limits.
_MAX_CLASSES = 100_000

__all__ = [
    "ALPHABET",
    "CORPUS_PATH",
    "IGNORE_INDEX",
    "NGramModel",
    "baseline_compressors",
    "bits_per_symbol",
    "class_frequency_model",
    "code_report",
    "decode_text",
    "encode_text",
    "entropy_rate",
    "label_code_lengths",
    "load_corpus",
    "markov_model_predictions",
    "plot_bits_per_character",
    "plot_label_code_lengths",
    "plot_markov_rates",
    "sample_markov",
    "sequence_cross_entropy",
    "stationary_distribution",
    "surprise_bits",
    "uniform_model",
]

#: The corpus's alphabet: the 95 printable ASCII characters and the newline (96 symbols).
ALPHABET = "\n" + "".join(chr(c) for c in range(32, 127))
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
CORPUS_PATH = Path(__file__).resolve().parent / "corpus" / "sotu_1990_2021.txt.xz"
#: PyTorch's default ``ignore_index`` for padded targets.
IGNORE_INDEX = -100


# ---------------------------------------------------------------- a source with a known entropy rate
def _transition_matrix(P) -> np.ndarray:
    P = as_distribution(P, "P")
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError(f"P must be a square (K, K) matrix of transition probabilities (got shape {P.shape})")
    return P


def stationary_distribution(P) -> np.ndarray:
    """The stationary distribution π of a Markov chain, π P = π (rows of P: P[i, j] = P(next j | now i))."""
    P = _transition_matrix(P)
    k = P.shape[0]
    # solve π (P - I) = 0 with sum π = 1, as a least-squares system (exact for an irreducible chain)
    a = np.vstack([(P - np.eye(k)).T, np.ones(k)])
    b = np.zeros(k + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(a, b, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def entropy_rate(P) -> float:
    """The entropy rate of a stationary Markov chain, H = sum_i π_i H(P[i]), in bits per symbol."""
    P = _transition_matrix(P)
    pi = stationary_distribution(P)
    with np.errstate(divide="ignore", invalid="ignore"):
        row_h = -np.where(P > 0, P * np.log2(np.where(P > 0, P, 1.0)), 0.0).sum(axis=1)
    return float(pi @ row_h)


def sample_markov(P, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` symbols of the chain P, the first drawn from the stationary distribution (int64 array)."""
    P = _transition_matrix(P)
    n = check_int(n, "n", low=0)
    rng = np.random.default_rng(check_seed(seed))
    cum = np.cumsum(P, axis=1)
    u = rng.random(n)
    x = np.empty(n, dtype=np.int64)
    if n:
        x[0] = min(int(np.searchsorted(np.cumsum(stationary_distribution(P)), u[0], side="right")), len(P) - 1)
    for i in range(1, n):
        x[i] = min(int(np.searchsorted(cum[x[i - 1]], u[i], side="right")), len(P) - 1)
    return x


def uniform_model(n: int, num_symbols: int) -> np.ndarray:
    """n rows of the uniform distribution over ``num_symbols``: the model that knows nothing."""
    k = check_int(num_symbols, "num_symbols", high=_MAX_CLASSES)
    n = check_int(n, "n", low=0, high=10**8 // k)  # at most 10^8 numbers (800 MB)
    return np.full((n, k), 1.0 / k)


def markov_model_predictions(P, symbols, *, first=None) -> np.ndarray:
    """(n, K) predictions of the chain P for each symbol given the one before; ``first`` (default: P's
    stationary distribution) predicts symbol 0."""
    P = _transition_matrix(P)
    x = as_class_indices(symbols, "symbols", P.shape[0])
    if x.ndim != 1:
        raise ValueError(f"symbols must be a 1-D sequence (got shape {x.shape})")
    first = stationary_distribution(P) if first is None else as_distribution(first, "first")
    if first.shape != (P.shape[0],):
        raise ValueError(f"first must be a distribution over {P.shape[0]} symbols (got shape {first.shape})")
    if x.size == 0:
        return np.zeros((0, P.shape[0]))
    return np.vstack([first[None], P[x[:-1]]])


# ---------------------------------------------------------------- cost of symbols, files, baselines
def surprise_bits(q) -> np.ndarray | float:
    """-log2 q: the bits an ideal coder spends on a symbol the model gave probability q (inf at q = 0)."""
    q = as_float(q, "q")
    if q.size and (q.min() < 0 or q.max() > 1):
        raise ValueError(f"q must lie in [0, 1] (got {q.min() if q.min() < 0 else q.max():.6g})")
    with np.errstate(divide="ignore"):
        out = -np.log2(q)
    return float(out) if out.ndim == 0 else out


def _model_q(q) -> np.ndarray:
    """A model: a (K,) distribution, or (n, K), one per symbol."""
    q = as_float(q, "q", min_ndim=1)
    if q.ndim > 2 or q.shape[-1] == 0:
        raise ValueError(f"q must be a (K,) or (n, K) array of probabilities (got shape {q.shape})")
    return as_distribution(q, "q")


def bits_per_symbol(q, symbols) -> float:
    """The model's cross-entropy on the data, (1/n) sum_i -log2 q_i(x_i), in bits per symbol (inf if a
    symbol has probability 0). ``q`` is (n, K) or (K,)."""
    q = _model_q(q)
    x = np.asarray(symbols)
    n = x.size
    if n == 0:
        raise ValueError("symbols must not be empty")
    return arithmetic_coding.ideal_bits(symbols, q) / n


def code_report(q, symbols) -> dict:
    """Code ``symbols`` with model ``q`` for real and return bits per symbol (the cross-entropy), perplexity,
    the ideal size sum -log2 q / 8, the quantised model's ideal size (the probabilities the coder really uses,
    never below 2^-16) and the coder's size, all in bytes; checks the round trip."""
    q = _model_q(q)
    x = as_class_indices(symbols, "symbols", q.shape[-1])
    bits = bits_per_symbol(q, x)
    data = arithmetic_coding.encode(x, q)
    back = arithmetic_coding.decode(data, q, x.size)
    if not np.array_equal(back, x):  # pragma: no cover - the coder's tests hold this
        raise AssertionError("the arithmetic coder did not round-trip")
    return {"bits_per_symbol": bits, "perplexity": float(2.0**bits), "ideal_bytes": bits * x.size / 8,
            "quantised_bytes": arithmetic_coding.quantised_bits(x, q) / 8, "coder_bytes": len(data), "n": int(x.size)}


def baseline_compressors(data) -> dict:
    """Bytes written by gzip, bz2 and lzma (xz) at their strongest settings, for ``data`` (str or bytes)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be str or bytes (got {type(data).__name__})")
    data = bytes(data)
    return {"gzip -9": len(gzip.compress(data, compresslevel=9, mtime=0)),
            "bz2 -9": len(bz2.compress(data, compresslevel=9)),
            "lzma (xz -9e)": len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))}


# ---------------------------------------------------------------- the English corpus
def encode_text(text: str) -> np.ndarray:
    """Characters -> symbols 0..95 of :data:`ALPHABET` (int64)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (got {type(text).__name__})")
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lut = np.full(128, -1, dtype=np.int64)
    for ch, i in _INDEX.items():
        lut[ord(ch)] = i
    bad = (codes >= 128) | (lut[np.minimum(codes, 127)] < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"text has a character outside the 96-character alphabet at position {i}: {text[i]!r}")
    return lut[codes]


def decode_text(symbols) -> str:
    """Symbols 0..95 -> the characters of :data:`ALPHABET`."""
    x = as_class_indices(symbols, "symbols", len(ALPHABET))
    if x.ndim != 1:
        raise ValueError(f"symbols must be a 1-D sequence (got shape {x.shape})")
    return "".join(ALPHABET[i] for i in x.tolist())


@dataclass
class Corpus:
    """The English corpus split by year: ``train`` (1990 to ``split_year`` - 1) and ``test`` (the rest)."""

    train: str
    test: str
    index: list = field(default_factory=list)
    split_year: int = 2017


def load_corpus(*, split_year: int = 2017, max_train: int | None = None, max_test: int | None = None) -> Corpus:
    """The State of the Union addresses of 1990-2021 (course_utils/corpus/, public domain), split by year:
    the training text comes before ``split_year``, the held-out text from it on. ``max_*`` keep the first
    characters only (fast mode)."""
    split_year = check_int(split_year, "split_year", low=1991)
    if split_year > 2021:
        raise ValueError(f"split_year must be <= 2021 so that some text is held out (got {split_year})")
    text = lzma.decompress(CORPUS_PATH.read_bytes()).decode("ascii")
    index = json.loads((CORPUS_PATH.parent / "sotu_1990_2021_index.json").read_text(encoding="ascii"))
    cut = next(s["start"] for s in index if s["year"] >= split_year)
    train, test = text[:cut], text[cut:]
    if max_train is not None:
        train = train[: check_int(max_train, "max_train", high=10**9)]
    if max_test is not None:
        test = test[: check_int(max_test, "max_test", high=10**9)]
    return Corpus(train=train, test=test, index=index, split_year=split_year)


# ---------------------------------------------------------------- n-gram models
class NGramModel:
    """A character n-gram model: q(x | the previous ``order`` - 1 symbols), from counts.

    ``smoothing`` = β >= 0 interpolates each order with the one below, as a Dirichlet prior:

        q_n(x | c) = (count(c, x) + β · q_{n-1}(x | c')) / (count(c) + β),

    down to order 0, the uniform distribution (c' is c without its oldest symbol). With β = 0 the model is
    the unsmoothed maximum-likelihood estimate count(c, x) / count(c): a pair never seen in training gets
    probability 0. (A context never seen at all falls back to the order below, with or without smoothing.)
    """

    def __init__(self, order: int, num_symbols: int, *, smoothing: float = 0.0):
        self.order = check_int(order, "order", low=0)
        if self.order > 8:
            raise ValueError(f"order must be <= 8 (got {order})")
        self.k = check_int(num_symbols, "num_symbols", low=2)
        self.smoothing = check_scalar(smoothing, "smoothing", low=0.0)
        self.tables: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def fit(self, symbols) -> NGramModel:
        """Count every context of length 0 .. order - 1 and the symbol after it."""
        x = as_class_indices(symbols, "symbols", self.k)
        if x.ndim != 1:
            raise ValueError(f"symbols must be 1-D (got shape {x.shape})")
        self.tables = []
        for m in range(self.order):  # context length m
            ctx = self._context_ids(x, m)[m:]
            nxt = x[m:]
            keys = ctx * self.k + nxt
            uniq, counts = np.unique(keys, return_counts=True)
            ctx_ids, rows = np.unique(uniq // self.k, return_inverse=True)
            table = np.zeros((ctx_ids.size, self.k), dtype=np.float64)
            table[rows, uniq % self.k] = counts
            self.tables.append((ctx_ids, table, table.sum(axis=1)))
        return self

    def _context_ids(self, x: np.ndarray, m: int) -> np.ndarray:
        """For each position i, the id of the m symbols before it (positions with fewer get -1)."""
        ids = np.zeros(x.size, dtype=np.int64)
        for j in range(1, m + 1):
            shifted = np.full(x.size, 0, dtype=np.int64)
            if j < x.size:
                shifted[j:] = x[:-j]
            ids = ids * self.k + shifted
        ids[: min(m, x.size)] = -1
        return ids

    def predict(self, symbols, *, history=None) -> np.ndarray:
        """(n, K): the model's distribution for each symbol of ``symbols`` given those before it (and
        ``history``, the symbols that precede the sequence, if given)."""
        if len(self.tables) != self.order:
            raise RuntimeError("call fit(symbols) before predict")
        x = as_class_indices(symbols, "symbols", self.k)
        h = np.zeros(0, dtype=np.int64) if history is None else as_class_indices(history, "history", self.k)
        h = h[len(h) - min(len(h), max(self.order - 1, 0)):]
        full = np.concatenate([h, x])
        q = np.full((full.size, self.k), 1.0 / self.k)
        beta = self.smoothing
        for m, (ctx_ids, table, totals) in enumerate(self.tables):
            ids = self._context_ids(full, m)
            pos = np.searchsorted(ctx_ids, ids)
            pos = np.minimum(pos, max(ctx_ids.size - 1, 0))
            seen = (ids >= 0) & (ctx_ids.size > 0) & (ctx_ids[pos] == ids)
            counts = np.where(seen[:, None], table[pos], 0.0)
            total = np.where(seen, totals[pos], 0.0)
            if beta > 0:
                q = (counts + beta * q) / (total + beta)[:, None]
            else:
                q = np.where(seen[:, None], counts / np.where(seen, total, 1.0)[:, None], q)
        return q[h.size:]


def class_frequency_model(labels, num_classes: int, *, smoothing: float = 1.0) -> np.ndarray:
    """(K,) class frequencies of ``labels``, add-``smoothing`` so that no class gets probability 0."""
    k = check_int(num_classes, "num_classes", low=2, high=_MAX_CLASSES)
    y = as_class_indices(labels, "labels", k)
    s = check_scalar(smoothing, "smoothing", low=0.0)
    counts = np.bincount(y.ravel(), minlength=k) + s
    if counts.sum() == 0:
        raise ValueError("labels is empty and smoothing is 0: no frequencies to use")
    return counts / counts.sum()


# ---------------------------------------------------------------- the loss per token: padding and ignore_index
def sequence_cross_entropy(logits, targets, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"):
    """Cross-entropy (nats) of logits (B, T, K) against targets (B, T), skipping positions whose target is
    ``ignore_index`` (padding); 'mean' averages over the real tokens, as ``F.cross_entropy`` does with
    ``logits.reshape(-1, K)``: sum of the token losses / number of real tokens (a ValueError when there are
    none, where PyTorch returns NaN). 'none' gives (B, T), 0 at padding."""
    z = as_float(logits, "logits", min_ndim=2)
    reduction = check_reduction(reduction)
    ignore_index = check_int(ignore_index, "ignore_index", low=-(2**63), high=2**63 - 1)
    y = as_int_array(targets, "targets")
    if y.shape != z.shape[:-1]:
        raise ValueError(f"targets must have shape {z.shape[:-1]} to match logits {z.shape} (got {y.shape})")
    pad = y == ignore_index
    if reduction == "mean" and pad.all():
        raise ValueError(f"targets are all padding (ignore_index={ignore_index}): the mean over no tokens is "
                         "undefined (F.cross_entropy returns NaN); use reduction='sum' or 'none'")
    y_real = as_class_indices(np.where(pad, 0, y), "targets", z.shape[-1])
    zmax = z.max(axis=-1, keepdims=True)
    log_q = z - zmax - np.log(np.exp(z - zmax).sum(axis=-1, keepdims=True))
    loss = -np.take_along_axis(log_q, y_real[..., None], axis=-1)[..., 0]
    loss = np.where(pad, 0.0, loss)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.float64(loss.sum())
    return np.float64(loss.sum() / int((~pad).sum()))


# ---------------------------------------------------------------- labels coded by a classifier
def label_code_lengths(logits, labels, *, prior=None) -> dict:
    """Code ``labels`` (N,) with a classifier's ``logits`` (N, K) and measure everything in bits:

    - ``ce_nats``: the mean cross-entropy (nats), as F.cross_entropy reports it;
    - ``ideal_bits`` = N · CE / ln 2, and ``coder_bits``: 8 × the bytes our arithmetic coder writes;
    - ``uniform_bits`` (N log2 K) and ``uniform_coder_bits``; ``prior_bits`` and ``prior_coder_bits`` for the
      class-frequency code ``prior`` (K,) (default: the labels' own add-one frequencies).
    """
    z = as_float(logits, "logits", min_ndim=2)
    if z.ndim != 2:
        raise ValueError(f"logits must be (N, K) (got shape {z.shape})")
    n, k = z.shape
    y = as_class_indices(labels, "labels", k)
    if y.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match logits (got {y.shape})")
    if n == 0:
        raise ValueError("logits must hold at least one example")
    zmax = z.max(axis=1, keepdims=True)
    log_q = z - zmax - np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
    q = np.exp(log_q)
    q /= q.sum(axis=1, keepdims=True)
    ce = float(-log_q[np.arange(n), y].mean())
    prior = class_frequency_model(y, k) if prior is None else as_distribution(prior, "prior")
    if prior.shape != (k,):
        raise ValueError(f"prior must be a distribution over {k} classes (got shape {prior.shape})")
    uniform = np.full(k, 1.0 / k)
    with np.errstate(divide="ignore"):
        prior_bits = float(-np.log2(prior[y]).sum())
    return {
        "n": n,
        "num_classes": k,
        "ce_nats": ce,
        "ideal_bits": n * ce / np.log(2),
        "coder_bits": 8 * len(arithmetic_coding.encode(y, q)),
        "uniform_bits": n * float(np.log2(k)),
        "uniform_coder_bits": 8 * len(arithmetic_coding.encode(y, uniform)),
        "prior_bits": prior_bits,
        "prior_coder_bits": 8 * len(arithmetic_coding.encode(y, prior)) if np.isfinite(prior_bits) else np.inf,
    }


# ---------------------------------------------------------------- figures
def plot_markov_rates(rates: dict, entropy_rate_bits: float, ax=None, *, title: str | None = None):
    """Bars of bits per symbol, measured by our coder, for each model; the entropy rate as a line."""
    check_mapping(rates, "rates", nonempty=True)
    vals = [check_scalar(v, f"rates[{k!r}]", low=0.0) for k, v in rates.items()]
    entropy_rate_bits = check_scalar(entropy_rate_bits, "entropy_rate_bits", low=0.0)
    title = check_optional_str(title, "title")
    ax = _axes(ax, (7, 3.6))
    names = list(rates)
    colors = [plots.COLORS["pred"]] * len(names)
    bars = ax.bar(names, vals, color=colors, alpha=0.85, label="coder's file, bits per symbol")
    ax.axhline(entropy_rate_bits, color=plots.COLORS["true"], lw=2, ls="--",
               label=f"entropy rate {entropy_rate_bits:.3f} bits")
    for b, v in zip(bars, vals, strict=True):
        ax.annotate(f"{v:.3f}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize="small",
                    xytext=(0, 2), textcoords="offset points")
    ax.set_ylabel("bits per symbol")
    ax.set_ylim(0, max(vals + [entropy_rate_bits]) * 1.25)
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(title or "No model codes below the entropy rate")
    return ax


def plot_bits_per_character(rows: dict, ax=None, *, title: str | None = None):
    """Horizontal bars: bits per character on held-out text for each model / compressor.
    ``rows`` maps a name to (bits per character, kind) with kind "model" or "compressor"."""
    check_mapping(rows, "rows", nonempty=True)
    for k, v in rows.items():
        if not isinstance(v, (tuple, list)) or len(v) != 2 or v[1] not in ("model", "compressor"):
            raise ValueError(f"rows[{k!r}] must be (bits per character, 'model' or 'compressor') (got {v!r:.60})")
        bits = _as_number(v[0])  # inf is allowed: a model that gave a character probability 0, drawn as ∞
        if np.isnan(bits) or bits < 0:
            raise ValueError(f"rows[{k!r}] must have bits per character >= 0 (got {bits})")
    title = check_optional_str(title, "title")
    ax = _axes(ax, (8, 0.45 * len(rows) + 1.2))
    names = list(rows)
    vals = [float(rows[k][0]) for k in names]
    colors = [plots.COLORS["pred"] if rows[k][1] == "model" else plots.COLORS["neutral"] for k in names]
    y = np.arange(len(names))[::-1]
    finite = [v for v in vals if np.isfinite(v)]
    top = max(finite) * 1.2 if finite else 1.0
    ax.barh(y, [v if np.isfinite(v) else top for v in vals], color=colors, alpha=0.9,
            hatch=None)
    for yi, v in zip(y, vals, strict=True):
        label = "∞" if not np.isfinite(v) else f"{v:.3f}"
        ax.annotate(label, (min(v, top) if np.isfinite(v) else top, yi), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize="small")
    ax.set_yticks(y, names)
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel("bits per character on held-out text")
    ax.set_title(title or "Better model, smaller file")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=plots.COLORS["pred"], label="a model + our arithmetic coder"),
                       Patch(color=plots.COLORS["neutral"], label="a general-purpose compressor")],
              loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, fontsize="small")  # below: clear of the bars
    return ax


def plot_label_code_lengths(report: dict, ax=None, *, title: str | None = None):
    """Bars, in bytes: the labels coded uniformly, by class frequency, and by the classifier (ideal
    N · CE / ln 2 beside the coder's file)."""
    check_mapping(report, "report")
    missing = [k for k in ("uniform_bits", "prior_bits", "ideal_bits", "coder_bits") if k not in report]
    if missing:
        raise ValueError(f"report must be label_code_lengths' dict (missing {', '.join(missing)})")
    for k in ("uniform_bits", "prior_bits", "ideal_bits", "coder_bits"):
        check_scalar(report[k], f"report[{k!r}]", low=0.0)
    title = check_optional_str(title, "title")
    ax = _axes(ax, (7, 3.6))
    names = ["uniform\n(log2 K each)", "class\nfrequencies", "classifier:\nN·CE/ln 2", "classifier:\nour coder"]
    vals = [report["uniform_bits"], report["prior_bits"], report["ideal_bits"], report["coder_bits"]]
    colors = [plots.COLORS["neutral"], plots.COLORS["true"], plots.COLORS["loss"], plots.COLORS["pred"]]
    sizes = [v / 8 for v in vals]
    bars = ax.bar(names, sizes, color=colors, alpha=0.9)
    for b, v in zip(bars, sizes, strict=True):
        ax.annotate(f"{v:,.0f} B", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom",
                    xytext=(0, 2), textcoords="offset points", fontsize="small")
    ax.set_ylabel("file size (bytes)")
    ax.set_ylim(0, max(sizes) * 1.2)
    ax.set_title(title or f"{report['n']:,} labels as a file")
    return ax


def _as_number(v) -> float:
    """``v`` as a float for a finiteness test (inf bits per character is drawn as ∞); TypeError if no number."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"rows must map names to (bits per character, kind) (got a {type(v).__name__} of bits)")
    return float(v)


def _axes(ax, figsize):
    if check_axes(ax, "ax") is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax
