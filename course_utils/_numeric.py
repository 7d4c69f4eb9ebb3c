"""Numeric kernels shared by the math floor (``losses``, ``grads``): no validation, arrays in, arrays out.

A private helper module: public functions validate at the door (``_validate``) and then call these.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) for a float array, never overflowing."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log σ(z) = min(z, 0) - log(1 + e^{-|z|}), exact at ±1e4."""
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """log softmax along ``axis`` with the log-sum-exp shift: the largest exponent is e^0."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def gather(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """a[..., idx[...]] along the last axis."""
    return np.take_along_axis(a, idx[..., None], axis=-1)[..., 0]


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Class indices (...,) -> one-hot float64 (..., num_classes)."""
    out = np.zeros(y.shape + (num_classes,))
    np.put_along_axis(out, y[..., None], 1.0, axis=-1)
    return out


def focal_modulator(one_minus_qt: np.ndarray, gamma: float) -> np.ndarray:
    """(1 - q_t)^γ with 0^0 = 1 (so γ = 0 is plain cross-entropy)."""
    return np.ones_like(one_minus_qt) if gamma == 0 else one_minus_qt**gamma
