"""Source coding: entropy as the shortest average code (notebooks 01, 02).

Huffman codes, Shannon code lengths ⌈-log2 q⌉, Kraft sums, encoding and decoding, and Huffman codes on
blocks of symbols, whose bits per symbol fall toward the entropy; the surprisal and binary-entropy curves.

Code lengths are in bits. References: Shannon (1948), "A Mathematical Theory of Communication";
Huffman (1952), "A Method for the Construction of Minimum-Redundancy Codes"; Cover & Thomas (2006),
*Elements of Information Theory*, 2nd ed., ch. 5.
"""

from __future__ import annotations

import heapq
import itertools
import numbers

import numpy as np

from . import info
from ._validate import (
    as_1d_distribution,
    as_float,
    as_int_array,
    check_int,
    check_mapping,
    check_scalar,
    check_seed,
    check_str,
    check_str_sequence,
)
from .plots import COLORS, new_axes

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
    "plot_surprisal",
    "plot_binary_entropy",
    "plot_block_code_rates",
]


# ---------------------------------------------------------------- prefix codes
def _check_codewords(codewords, name: str = "codewords") -> list[str]:
    codewords = check_str_sequence(codewords, name)
    if any(set(c) - {"0", "1"} or not c for c in codewords):
        raise ValueError(f"{name} must be non-empty strings of '0' and '1'")
    return codewords


def huffman_code(p) -> list[str]:
    """A Huffman code for the distribution p: one codeword ("0"/"1" string) per outcome, in order.

    It is an optimal prefix code: no prefix code has a shorter average length sum_i p_i l_i, and
    H(p) <= that length < H(p) + 1 bit (Huffman 1952; Cover & Thomas, Thm 5.8.1). Ties are broken by
    outcome index, so the code is deterministic. A single outcome gets the codeword "0".
    """
    p = as_1d_distribution(p, "p")
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
    q = as_1d_distribution(q, "q")
    if q.min() <= 0:
        raise ValueError("q must be > 0 for every outcome: an outcome with q = 0 gets no codeword")
    # round first so that exact powers of two (q = 1/8 -> 3 bits) are not pushed up by rounding error
    return np.ceil(np.round(-np.log2(q), 12)).astype(np.int64)


def average_code_length(p, lengths) -> float:
    """sum_i p_i l_i: the expected number of bits per symbol when outcome i costs l_i bits."""
    p = as_1d_distribution(p, "p")
    lengths = as_float(lengths, "lengths")
    if lengths.shape != p.shape:
        raise ValueError(f"lengths must have shape {p.shape} to match p (got shape {lengths.shape})")
    if lengths.min() < 0:
        raise ValueError(f"lengths must be non-negative (got {lengths.min():g})")
    return float(np.dot(p, lengths))


def kraft_sum(lengths) -> float:
    """sum_i 2^(-l_i). A prefix code with these lengths exists if and only if it is <= 1 (Kraft 1949)."""
    lengths = as_float(lengths, "lengths", min_ndim=1)
    if lengths.size == 0:
        raise ValueError("lengths must not be empty")
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
    symbols = as_int_array(symbols, "symbols")
    if symbols.ndim != 1 or (symbols.size and (symbols.min() < 0 or symbols.max() >= len(codewords))):
        raise ValueError(f"symbols must be a 1-D sequence of outcome indices in 0..{len(codewords) - 1}")
    return "".join(codewords[s] for s in symbols.tolist())


def decode(bits: str, codewords) -> list[int]:
    """Read a bit string back into outcome indices, one codeword at a time (needs a prefix-free code)."""
    codewords = _check_codewords(codewords)
    if set(check_str(bits, "bits")) - {"0", "1"}:
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
    p = as_1d_distribution(p, "p")
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
    p = as_1d_distribution(p, "p")
    codewords = _check_codewords(codewords)
    if len(codewords) != p.size:
        raise ValueError(f"codewords must have one entry per outcome ({p.size}; got {len(codewords)})")
    n = check_int(n, "n", low=1, high=10_000_000)
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    symbols = rng.choice(p.size, size=int(n), p=p)
    return len(encode(symbols, codewords)) / n


# ---------------------------------------------------------------- forward vs reverse KL


# ---------------------------------------------------------------- BCE numerics


# ---------------------------------------------------------------- figures for notebooks 01–02


def plot_surprisal(events: dict[str, float] | None = None, *, ax=None):
    """The surprisal curve -log2 p against p, with named events marked on it. Returns the Axes."""
    if events is not None:
        check_mapping(events, "events")
    ax = new_axes(ax)
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
    if p_mark is not None:
        p_mark = check_scalar(p_mark, "p_mark", low=0.0, high=1.0)
    ax = new_axes(ax)
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
    rates = block_code_rates(p, max_block)
    ax = new_axes(ax)
    n = np.arange(1, max_block + 1)
    h = info.entropy(p)
    ax.fill_between(n, h, h + 1 / n, color=COLORS["neutral"], alpha=0.2, label="[H, H + 1/n): the guarantee")
    ax.plot(n, rates, "o-", color=COLORS["pred"], label="Huffman code on blocks of n symbols")
    ax.axhline(h, color=COLORS["true"], ls="--", label=f"entropy H(p) = {h:.3f} bits")
    ax.set(xlabel="block length n (symbols coded together)", ylabel="bits per symbol", xticks=n)
    ax.legend(loc="upper right")
    return ax


