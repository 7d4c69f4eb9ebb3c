"""Prefix codes, and the small computations behind notebooks 01–03.

- **Codes** (01, 02): Huffman codes, Shannon code lengths ⌈-log2 q⌉, Kraft sums, encoding and decoding,
  and Huffman codes on blocks of symbols, whose bits per symbol fall toward the entropy.
- **Fitting a Gaussian to a bimodal p** (02): forward KL(p || q) covers the modes, reverse KL(q || p)
  seeks one.
- **Which way does cross-entropy move?** (02): H(p, q) along a path of q from uniform to p and on to
  near-certainty on p's mode.
- **BCE numerics** (03): what a naive BCE, PyTorch's clamped BCE and BCE-with-logits return at extreme
  logits.

Code lengths are in bits. References: Shannon (1948), "A Mathematical Theory of Communication";
Huffman (1952), "A Method for the Construction of Minimum-Redundancy Codes"; Cover & Thomas (2006),
*Elements of Information Theory*, 2nd ed., ch. 5.
"""

from __future__ import annotations

import heapq
import itertools
import numbers
from typing import NamedTuple

import numpy as np

from . import info
from ._validate import as_distribution, as_float, check_int, check_scalar

__all__ = [
    "huffman_code",
    "code_lengths",
    "shannon_code_lengths",
    "average_code_length",
    "kraft_sum",
    "is_prefix_free",
    "encode",
    "decode",
    "block_distribution",
    "block_code_rates",
    "sample_code_rate",
    "grid_gaussian",
    "grid_bimodal",
    "cross_entropy_path",
    "GaussianFit",
    "fit_gaussian_kl",
    "bce_numerics",
    "plot_surprisal",
    "plot_binary_entropy",
    "plot_block_code_rates",
    "plot_gaussian_fits",
    "plot_cross_entropy_path",
]


# ---------------------------------------------------------------- prefix codes
def _as_1d_distribution(p, name: str) -> np.ndarray:
    p = as_distribution(p, name)
    if p.ndim != 1:
        raise ValueError(f"{name} must be a 1-D distribution (got shape {p.shape})")
    return p


def _check_codewords(codewords, name: str = "codewords") -> list[str]:
    if isinstance(codewords, str) or not all(isinstance(c, str) for c in codewords):
        raise TypeError(f"{name} must be a list of strings of '0' and '1'")
    codewords = list(codewords)
    if not codewords:
        raise ValueError(f"{name} must not be empty")
    if any(set(c) - {"0", "1"} or not c for c in codewords):
        raise ValueError(f"{name} must be non-empty strings of '0' and '1'")
    return codewords


def huffman_code(p) -> list[str]:
    """A Huffman code for the distribution p: one codeword ("0"/"1" string) per outcome, in order.

    It is an optimal prefix code: no prefix code has a shorter average length sum_i p_i l_i, and
    H(p) <= that length < H(p) + 1 bit (Huffman 1952; Cover & Thomas, Thm 5.8.1). Ties are broken by
    outcome index, so the code is deterministic. A single outcome gets the codeword "0".
    """
    p = _as_1d_distribution(p, "p")
    if p.size == 1:
        return ["0"]
    counter = itertools.count()
    # heap items: (probability, tie-breaker, outcome indices in this subtree)
    heap = [(float(pi), next(counter), [i]) for i, pi in enumerate(p)]
    heapq.heapify(heap)
    codes = [""] * p.size
    while len(heap) > 1:
        p0, _, left = heapq.heappop(heap)
        p1, _, right = heapq.heappop(heap)
        for i in left:
            codes[i] = "0" + codes[i]
        for i in right:
            codes[i] = "1" + codes[i]
        heapq.heappush(heap, (p0 + p1, next(counter), left + right))
    return codes


def code_lengths(codewords) -> np.ndarray:
    """The length in bits of each codeword, as an int64 array."""
    return np.array([len(c) for c in _check_codewords(codewords)], dtype=np.int64)


def shannon_code_lengths(q) -> np.ndarray:
    """Shannon's code lengths ⌈-log2 q_i⌉ for a code built for q (every q_i must be > 0).

    They satisfy Kraft's inequality, so a prefix code with these lengths exists; coding p with them
    costs between H(p, q) and H(p, q) + 1 bits per symbol (Cover & Thomas, Thm 5.4.3).
    """
    q = _as_1d_distribution(q, "q")
    if q.min() <= 0:
        raise ValueError("q must be > 0 for every outcome: an outcome with q = 0 gets no codeword")
    # round first so that exact powers of two (q = 1/8 -> 3 bits) are not pushed up by rounding error
    return np.ceil(np.round(-np.log2(q), 12)).astype(np.int64)


def average_code_length(p, lengths) -> float:
    """sum_i p_i l_i: the expected number of bits per symbol when outcome i costs l_i bits."""
    p = _as_1d_distribution(p, "p")
    lengths = as_float(lengths, "lengths")
    if lengths.shape != p.shape:
        raise ValueError(f"lengths must have shape {p.shape} to match p (got shape {lengths.shape})")
    if lengths.min() < 0:
        raise ValueError(f"lengths must be non-negative (got {lengths.min():g})")
    return float(np.dot(p, lengths))


def kraft_sum(lengths) -> float:
    """sum_i 2^(-l_i). A prefix code with these lengths exists if and only if it is <= 1 (Kraft 1949)."""
    lengths = as_float(lengths, "lengths", min_ndim=1)
    if lengths.min() < 0:
        raise ValueError(f"lengths must be non-negative (got {lengths.min():g})")
    return float(np.sum(2.0 ** -lengths))


def is_prefix_free(codewords) -> bool:
    """True when no codeword is a prefix of another, so a bit stream decodes without separators."""
    words = sorted(_check_codewords(codewords))
    return all(not b.startswith(a) for a, b in itertools.pairwise(words))


def encode(symbols, codewords) -> str:
    """Concatenate the codewords of a sequence of outcome indices into one bit string."""
    codewords = _check_codewords(codewords)
    symbols = np.asarray(symbols)
    if symbols.ndim != 1 or (symbols.size and (symbols.dtype.kind not in "iu" or symbols.min() < 0
                                                  or symbols.max() >= len(codewords))):
        raise ValueError(f"symbols must be a 1-D sequence of outcome indices in 0..{len(codewords) - 1}")
    return "".join(codewords[s] for s in symbols.tolist())


def decode(bits: str, codewords) -> list[int]:
    """Read a bit string back into outcome indices, one codeword at a time (needs a prefix-free code)."""
    codewords = _check_codewords(codewords)
    if not isinstance(bits, str) or set(bits) - {"0", "1"}:
        raise ValueError("bits must be a string of '0' and '1'")
    if not is_prefix_free(codewords):
        raise ValueError("codewords must be prefix-free to decode a bit stream without separators")
    lookup = {c: i for i, c in enumerate(codewords)}
    out, word = [], ""
    for bit in bits:
        word += bit
        if word in lookup:
            out.append(lookup[word])
            word = ""
    if word:
        raise ValueError(f"bits end in the middle of a codeword ({word!r} left over)")
    return out


def _check_block(n, name: str = "n", high: int = 12) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an int (got {type(n).__name__})")
    if not 1 <= n <= high:
        raise ValueError(f"{name} must be between 1 and {high} (got {n})")
    return int(n)


def block_distribution(p, n: int) -> np.ndarray:
    """The distribution of n independent draws from p, as a flat array of K**n block probabilities."""
    p = _as_1d_distribution(p, "p")
    n = _check_block(n)
    if p.size**n > 2**16:
        raise ValueError(f"{p.size}**{n} blocks is too many (at most 65536)")
    out = p
    for _ in range(n - 1):
        out = np.outer(out, p).ravel()
    return out


def block_code_rates(p, max_block: int) -> np.ndarray:
    """Bits per symbol of a Huffman code on blocks of 1, 2, ..., max_block symbols drawn from p.

    Entry n - 1 lies in [H(p), H(p) + 1/n): coding longer blocks gets as close to the entropy as you
    like (Shannon's source coding theorem; Cover & Thomas, Thm 5.4.2).
    """
    max_block = _check_block(max_block, "max_block")
    rates = []
    for n in range(1, max_block + 1):
        pn = block_distribution(p, n)
        rates.append(average_code_length(pn, code_lengths(huffman_code(pn))) / n)
    return np.array(rates)


def sample_code_rate(p, codewords, *, n: int = 10_000, seed: int = 0) -> float:
    """Draw n symbols from p, encode them with ``codewords`` and return the bits spent per symbol."""
    p = _as_1d_distribution(p, "p")
    codewords = _check_codewords(codewords)
    if len(codewords) != p.size:
        raise ValueError(f"codewords must have one entry per outcome ({p.size}; got {len(codewords)})")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive int (got {n!r})")
    rng = np.random.default_rng(seed)
    symbols = rng.choice(p.size, size=int(n), p=p)
    return len(encode(symbols, codewords)) / n


# ---------------------------------------------------------------- forward vs reverse KL
def _grid(x) -> np.ndarray:
    x = as_float(x, "x", min_ndim=1)
    if x.ndim != 1 or x.size < 3 or not np.all(np.diff(x) > 0):
        raise ValueError("x must be an increasing 1-D grid of at least 3 points")
    return x


def grid_gaussian(x, mu: float, sigma: float) -> np.ndarray:
    """A Gaussian N(mu, sigma²) discretised on the grid x: a distribution (sums to 1) over the grid points."""
    x = _grid(x)
    mu = check_scalar(mu, "mu")
    sigma = check_scalar(sigma, "sigma", low=0.0, low_open=True)
    logd = -0.5 * ((x - mu) / sigma) ** 2
    d = np.exp(logd - logd.max())
    return d / d.sum()


def grid_bimodal(x, *, mu1: float = -2.5, mu2: float = 2.5, sigma: float = 0.7, weight: float = 0.5) -> np.ndarray:
    """A mixture of two Gaussians, weight·N(mu1, σ²) + (1 - weight)·N(mu2, σ²), discretised on x."""
    weight = check_scalar(weight, "weight", low=0.0, high=1.0)
    mix = weight * grid_gaussian(x, mu1, sigma) + (1 - weight) * grid_gaussian(x, mu2, sigma)
    return mix / mix.sum()


class GaussianFit(NamedTuple):
    """The Gaussian q = N(mu, sigma²) that minimises one direction of KL to p, and that KL in bits."""

    direction: str
    mu: float
    sigma: float
    kl_bits: float
    q: np.ndarray


def fit_gaussian_kl(x, p, *, direction: str = "forward", mus=None, sigmas=None) -> GaussianFit:
    """Fit a Gaussian q to a distribution p on the grid x by minimising KL, by search over (mu, sigma).

    ``direction="forward"`` minimises KL(p || q) (the cross-entropy direction; q must cover every place p
    has mass: *mode-covering*); ``"reverse"`` minimises KL(q || p) (q is punished for mass where p has
    little: *mode-seeking*). For forward KL the exact answer is moment matching (mean and variance of p);
    the grid search finds it up to the search step.
    """
    x = _grid(x)
    p = _as_1d_distribution(p, "p")
    if p.shape != x.shape:
        raise ValueError(f"p must have one entry per grid point ({x.size}; got {p.size})")
    if direction not in ("forward", "reverse"):
        raise ValueError(f"direction must be 'forward' or 'reverse' (got {direction!r})")
    span = x[-1] - x[0]
    mus = np.linspace(x[0], x[-1], 121) if mus is None else as_float(mus, "mus", min_ndim=1)
    sigmas = np.geomspace(span / 200, span / 2, 80) if sigmas is None else as_float(sigmas, "sigmas", min_ndim=1)
    if sigmas.min() <= 0:
        raise ValueError("sigmas must be > 0")
    # every candidate q at once: shape (len(mus), len(sigmas), len(x))
    logq = -0.5 * ((x[None, None, :] - mus[:, None, None]) / sigmas[None, :, None]) ** 2
    logq -= logq.max(axis=-1, keepdims=True)
    logq -= np.log(np.exp(logq).sum(axis=-1, keepdims=True))
    q = np.exp(logq)
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    if direction == "forward":
        kl = np.sum(np.where(p > 0, p * (logp - logq), 0.0), axis=-1)
    else:
        kl = np.sum(np.where(q > 0, q * (logq - logp), 0.0), axis=-1)
    i, j = np.unravel_index(np.argmin(kl), kl.shape)
    best = q[i, j] / q[i, j].sum()
    kl_bits = info.kl_divergence(p, best) if direction == "forward" else info.kl_divergence(best, p)
    return GaussianFit(direction, float(mus[i]), float(sigmas[j]), float(kl_bits), best)


# ---------------------------------------------------------------- BCE numerics
def cross_entropy_path(p, *, steps: int = 101, certainty: float = 0.999) -> tuple[np.ndarray, np.ndarray]:
    """H(p, q) in bits along a path of q: for t in [0, 1], q = (1 - t) · uniform + t · p; for t in [1, 2],
    q = (2 - t) · p + (t - 1) · e, where e puts ``certainty`` on p's most likely outcome and spreads the
    rest evenly. Returns (t, H(p, q)), 2 · steps - 1 points; H is smallest at t = 1, where q = p."""
    p = _as_1d_distribution(p, "p")
    steps = check_int(steps, "steps", low=2)
    certainty = check_scalar(certainty, "certainty", low=0.0, high=1.0, low_open=True, high_open=True)
    k = p.size
    if k < 2:
        raise ValueError(f"p must have at least 2 outcomes (got {k})")
    e = np.full(k, (1 - certainty) / (k - 1))
    e[np.argmax(p)] = certainty
    t = np.linspace(0.0, 1.0, steps)[:, None]
    q = np.concatenate([(1 - t) * np.full(k, 1 / k) + t * p, ((1 - t) * p + t * e)[1:]])
    return np.concatenate([t[:, 0], 1 + t[1:, 0]]), info.cross_entropy(np.broadcast_to(p, q.shape), q)


def bce_numerics(logits, target: float = 1.0, *, dtype: str = "float32") -> dict[str, np.ndarray]:
    """BCE of σ(z) against one target, computed four ways in PyTorch at the given dtype, per logit z.

    Returns a dict of arrays: ``sigmoid`` (σ(z) as stored), ``naive`` (-[y log σ + (1 - y) log(1 - σ)],
    which gives inf or NaN once σ rounds to 0 or 1), ``clamped`` (``F.binary_cross_entropy``, whose logs
    are clamped at -100), ``with_logits`` (``F.binary_cross_entropy_with_logits``) and ``exact`` (the
    float64 value from the logit, ``losses.binary_cross_entropy_with_logits``). All in nats.
    """
    import torch
    import torch.nn.functional as F

    from . import losses

    z = as_float(logits, "logits", min_ndim=1)
    y = check_scalar(target, "target", low=0.0, high=1.0)
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64' (got {dtype!r})")
    tdtype = getattr(torch, dtype)
    zt = torch.tensor(z, dtype=tdtype)
    yt = torch.full_like(zt, y)
    s = 1 / (1 + torch.exp(-zt))  # the textbook formula, as a learner would write it
    with np.errstate(divide="ignore", invalid="ignore"):
        sn = s.numpy().astype(np.float64) if dtype == "float64" else s.numpy()
        naive = -(y * np.log(sn) + (1 - y) * np.log(1 - sn))
    clamped = F.binary_cross_entropy(s, yt, reduction="none")
    with_logits = F.binary_cross_entropy_with_logits(zt, yt, reduction="none")
    exact = losses.binary_cross_entropy_with_logits(z, np.full_like(z, y), reduction="none")
    return {
        "logit": z,
        "sigmoid": s.double().numpy(),
        "naive": np.asarray(naive, dtype=np.float64),
        "clamped": clamped.double().numpy(),
        "with_logits": with_logits.double().numpy(),
        "exact": exact,
    }


# ---------------------------------------------------------------- figures for notebooks 01–02
def _axes(ax, figsize=(6.0, 3.8)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_surprisal(events: dict[str, float] | None = None, *, ax=None):
    """The surprisal curve -log2 p against p, with named events marked on it. Returns the Axes."""
    from .plots import COLORS

    ax = _axes(ax)
    ps = np.geomspace(1e-5, 1, 400)
    ax.plot(ps, info.surprisal(ps), color=COLORS["loss"], label="surprisal −log₂ p")
    for name, p in (events or {}).items():
        p = check_scalar(p, f"events[{name!r}]", low=0.0, high=1.0, low_open=True)
        s = info.surprisal(p)
        ax.plot([p], [s], "o", color=COLORS["true"])
        right = p < 0.01  # labels of likely events go to the left of their point, clear of each other
        ax.annotate(f"{name}: {s:.2f} bits", (p, s), textcoords="offset points", xytext=(10 if right else -10, 0),
                    ha="left" if right else "right", va="center")
    ax.set(xscale="log", xlabel="probability p of the event (log scale)", ylabel="surprisal (bits)")
    ax.legend(loc="upper right")
    return ax


def plot_binary_entropy(p_mark: float | None = None, *, ax=None):
    """The binary entropy curve H_b(p) in bits, its maximum at p = 1/2, and optionally a marked p."""
    from .plots import COLORS

    ax = _axes(ax)
    ps = np.linspace(0, 1, 401)
    ax.plot(ps, info.binary_entropy(ps), color=COLORS["true"], label="H_b(p)")
    ax.axhline(1.0, color=COLORS["neutral"], ls="--", lw=1, label="log₂ 2 = 1 bit")
    if p_mark is not None:
        p_mark = check_scalar(p_mark, "p_mark", low=0.0, high=1.0)
        h = info.binary_entropy(p_mark)
        ax.plot([p_mark], [h], "o", color=COLORS["pred"], label=f"p = {p_mark:.3g}: {h:.3f} bits")
    ax.set(xlabel="p = P(heads)", ylabel="entropy (bits)", ylim=(0, 1.1))
    ax.legend(loc="lower center")
    return ax


def plot_block_code_rates(p, max_block: int = 8, *, ax=None):
    """Bits per symbol of Huffman codes on blocks of 1..max_block symbols, against the entropy H(p)."""
    from .plots import COLORS

    ax = _axes(ax)
    rates = block_code_rates(p, max_block)
    n = np.arange(1, max_block + 1)
    h = info.entropy(p)
    ax.fill_between(n, h, h + 1 / n, color=COLORS["neutral"], alpha=0.2, label="[H, H + 1/n): the guarantee")
    ax.plot(n, rates, "o-", color=COLORS["pred"], label="Huffman code on blocks of n symbols")
    ax.axhline(h, color=COLORS["true"], ls="--", label=f"entropy H(p) = {h:.3f} bits")
    ax.set(xlabel="block length n (symbols coded together)", ylabel="bits per symbol", xticks=n)
    ax.legend(loc="upper right")
    return ax


def plot_gaussian_fits(x, p, fits, *, ax=None):
    """The bimodal p and the Gaussians fitted by forward and reverse KL, as densities on the grid."""
    from .plots import COLORS

    ax = _axes(ax, figsize=(7.0, 3.8))
    x = _grid(x)
    dx = np.diff(x).mean()
    ax.fill_between(x, np.asarray(p) / dx, color=COLORS["true"], alpha=0.3, label="p (true, bimodal)")
    styles = {"forward": (COLORS["pred"], "-"), "reverse": (COLORS["other"], "--")}
    for fit in fits:
        color, ls = styles[fit.direction]
        name = "KL(p‖q)" if fit.direction == "forward" else "KL(q‖p)"
        ax.plot(x, fit.q / dx, color=color, ls=ls,
                label=f"q minimising {name}: μ = {fit.mu:.2f}, σ = {fit.sigma:.2f}")
    ax.set(xlabel="x", ylabel="density")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_cross_entropy_path(p, *, ax=None):
    """H(p, q) in bits along ``cross_entropy_path``: falling from the uniform q to q = p, where it reaches
    the entropy H(p), then rising as q grows over-confident on p's mode."""
    from .plots import COLORS

    ax = _axes(ax, figsize=(6.4, 3.6))
    t, ce = cross_entropy_path(p)
    ax.plot(t, ce, color=COLORS["loss"], label="H(p, q)")
    ax.axhline(info.entropy(p), color=COLORS["true"], ls="--", label="H(p): reached at q = p")
    ax.set(xticks=[0, 1, 2], xticklabels=["uniform", "q = p", "near-certain\non the mode"],
           xlabel="q along the path", ylabel="cross-entropy (bits)")
    ax.legend()
    return ax
