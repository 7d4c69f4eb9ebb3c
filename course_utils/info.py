"""Information theory in NumPy: surprisal, entropy, cross-entropy, KL divergence (bits by default).

Every function accepts lists, NumPy arrays and CPU torch tensors, computes in float64, and reads the
distribution from the last axis (leading axes are a batch). We define 0 · log 0 = 0, so outcomes with
p = 0 contribute nothing; where q = 0 but p > 0 the cross-entropy and KL are infinite.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_distribution, as_probs, check_base, check_same_shape

__all__ = ["surprisal", "entropy", "cross_entropy", "kl_divergence", "binary_entropy"]


def _out(x: np.ndarray) -> np.ndarray | np.float64:
    """0-d results as a NumPy float, others as arrays."""
    return np.float64(x) if np.ndim(x) == 0 else x


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x · ln y with 0 · ln y = 0 (also for y = 0); ln 0 = -inf where x > 0."""
    with np.errstate(divide="ignore"):
        logy = np.log(y)
    return np.where(x == 0, 0.0, x * np.where(x == 0, 0.0, logy))


def _pair(p, q, base):
    """The door for two distributions over the same outcomes: (p, q, ln base), validated."""
    ln_base = np.log(check_base(base))
    p = as_distribution(p, "p")
    q = as_distribution(q, "q")
    check_same_shape(p, q, "p", "q")
    return p, q, ln_base


def surprisal(p, *, base: float = 2):
    """Surprisal (self-information) of an event of probability p: -log_base(p). Infinite at p = 0."""
    base = check_base(base)
    p = as_probs(p, "p")
    with np.errstate(divide="ignore"):
        return _out(-np.log(p) / np.log(base))


def entropy(p, *, base: float = 2):
    """H(p) = -sum_i p_i log p_i: the expected surprisal, the shortest average code length."""
    base = check_base(base)
    p = as_distribution(p, "p")
    return _out(-_xlogy(p, p).sum(axis=-1) / np.log(base))


def cross_entropy(p, q, *, base: float = 2):
    """H(p, q) = -sum_i p_i log q_i: the average code length when coding p with a code built for q."""
    p, q, ln_base = _pair(p, q, base)
    return _out(-_xlogy(p, q).sum(axis=-1) / ln_base)


def kl_divergence(p, q, *, base: float = 2):
    """KL(p || q) = sum_i p_i log(p_i / q_i): the extra bits paid for coding p with a code built for q."""
    p, q, ln_base = _pair(p, q, base)
    kl = (_xlogy(p, p) - _xlogy(p, q)).sum(axis=-1) / ln_base
    # Rounding can leave -1e-17 where p == q; Gibbs' inequality says KL >= 0.
    return _out(np.maximum(kl, 0.0))


def binary_entropy(p, *, base: float = 2):
    """H_b(p) = -p log p - (1 - p) log(1 - p): the entropy of a coin with P(heads) = p, elementwise."""
    base = check_base(base)
    p = as_probs(p, "p")
    return _out(-(_xlogy(p, p) + _xlogy(1 - p, 1 - p)) / np.log(base))
