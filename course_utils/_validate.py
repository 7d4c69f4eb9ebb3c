"""Validation at the door: every public function checks its input here, once, and names the argument.

Each helper raises ``TypeError`` for the wrong kind of thing and ``ValueError`` for the right kind with a
wrong value, e.g. ``ValueError("q must sum to 1 along the last axis (got 0.93)")``. Nothing past the door
re-checks, so a public function never returns a silent NaN.
"""

from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("mean", "sum", "none")
SUM_TOL = 1e-6


def _to_numpy(x, name: str) -> np.ndarray:
    """Lists, tuples, scalars, NumPy arrays and CPU torch tensors -> a NumPy array (no copy if possible)."""
    if x is None:
        raise TypeError(f"{name} must be a number or an array of numbers (got None)")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a number or an array of numbers (got {type(x).__name__})")
    mod = type(x).__module__
    if mod.startswith("torch"):
        if getattr(x, "is_complex", lambda: False)():
            raise TypeError(f"{name} must be real-valued (got a complex tensor)")
        if x.device.type != "cpu":
            raise TypeError(f"{name} must be a CPU tensor (got a tensor on {x.device}); call .cpu() first")
        x = x.detach().numpy()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged lists and the like
        raise ValueError(f"{name} must be a rectangular array of numbers ({err})") from None
    if arr.dtype == object or arr.dtype.kind in "USVM m":
        raise TypeError(f"{name} must contain numbers (got dtype {arr.dtype})")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued (got complex numbers)")
    return arr


def as_float(x, name: str, *, allow_inf: bool = False, min_ndim: int = 0) -> np.ndarray:
    """``x`` as a float64 array; rejects non-numbers, NaN and (unless ``allow_inf``) infinities."""
    arr = _to_numpy(x, name).astype(np.float64, copy=False)
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s) (got shape {arr.shape})")
    if arr.size and not np.isfinite(arr).all():  # one pass in the common, all-finite case
        if np.isnan(arr).any():
            raise ValueError(f"{name} contains NaN")
        if not allow_inf:
            raise ValueError(f"{name} must be finite (got inf)")
    return arr


def as_probs(x, name: str) -> np.ndarray:
    """Probabilities: float64, every entry in [0, 1]."""
    arr = as_float(x, name)
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        bad = arr.min() if arr.min() < 0 else arr.max()
        raise ValueError(f"{name} must lie in [0, 1] (got {bad:.6g})")
    return arr


def as_distribution(x, name: str, *, tol: float = SUM_TOL) -> np.ndarray:
    """A distribution on the last axis: non-negative entries that sum to 1 (within ``tol``)."""
    arr = as_float(x, name, min_ndim=1)
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one outcome on the last axis (got shape {arr.shape})")
    if arr.min() < 0:
        raise ValueError(f"{name} must be non-negative (got {arr.min():.6g})")
    sums = arr.sum(axis=-1)
    worst = np.max(np.abs(sums - 1.0))
    if worst > tol:
        got = np.ravel(sums)[np.argmax(np.abs(np.ravel(sums) - 1.0))]
        raise ValueError(f"{name} must sum to 1 along the last axis (got {got:.6g})")
    return arr


def as_class_indices(x, name: str, num_classes: int) -> np.ndarray:
    """Integer class labels in ``[0, num_classes)``, as int64. Floats are accepted only if whole."""
    arr = _to_numpy(x, name)
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must be integer class indices (got booleans)")
    if arr.dtype.kind == "f":
        if arr.size and np.isnan(arr).any():
            raise ValueError(f"{name} contains NaN")
        if arr.size and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
            raise ValueError(f"{name} must be whole-number class indices (got a fractional value)")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be non-negative class indices (got {int(arr.min())})")
    if arr.size and arr.max() >= num_classes:
        raise ValueError(
            f"{name} has a class index {int(arr.max())} out of range for {num_classes} classes "
            f"(valid: 0..{num_classes - 1})"
        )
    return arr.astype(np.int64)


def as_1d_distribution(p, name: str) -> np.ndarray:
    """One distribution over outcomes: 1-D, non-negative, summing to 1."""
    p = as_distribution(p, name)
    if p.ndim != 1:
        raise ValueError(f"{name} must be a 1-D distribution (got shape {p.shape})")
    return p


def as_binary_xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    """A data set for binary classification: points ``x`` of shape (n, d), n >= 1, and labels ``y`` in {0, 1}."""
    x = as_float(x, "x")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (n, d) with n >= 1 (got shape {x.shape})")
    y = as_float(y, "y")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},) to match x of shape {x.shape} (got shape {y.shape})")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must contain binary labels 0 and 1")
    return x, y


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape (got {a.shape} and {b.shape})")


def check_base(base) -> float:
    """A logarithm base: a real number > 0 and != 1."""
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a real number (got {type(base).__name__})")
    base = float(base)
    if not np.isfinite(base) or base <= 0 or base == 1:
        raise ValueError(f"base must be a positive number other than 1 (got {base:g})")
    return base


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none' (got {reduction!r})")
    return reduction


def check_int(value, name: str, *, low: int = 1, high: int | None = None) -> int:
    """An integer (not a bool) in ``[low, high]``: TypeError for anything else, ValueError out of range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int (got {type(value).__name__})")
    if value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {span} (got {value})")
    return int(value)


def check_scalar(value, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite real scalar inside ``[low, high]`` (ends open where asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if type(value).__module__.startswith(("numpy", "torch")) and np.ndim(value) == 0:
            value = float(value)
        else:
            raise TypeError(f"{name} must be a real number (got {type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite (got {value})")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g} (got {value:g})")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g} (got {value:g})")
    return value


def check_axis(z: np.ndarray, axis) -> int:
    """An axis of ``z`` (an int in range) for softmax; ``z`` must not be a scalar."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int (got {type(axis).__name__})")
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension for softmax (got a scalar)")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis {axis} is out of range for z with {z.ndim} dimension(s)")
    return int(axis)


def as_logits_2d(x, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """Logits (or scores, log-probabilities) of shape (C,) or (N, C), not empty."""
    arr = as_float(x, name, allow_inf=allow_inf)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (C,) or (N, C) (got shape {arr.shape})")
    if arr.shape[-1] == 0 or arr.size == 0:
        raise ValueError(f"{name} must not be empty (got shape {arr.shape})")
    return arr


def as_index_targets(targets, logits: np.ndarray, name: str = "targets") -> np.ndarray:
    """Class indices matching a batch of logits: shape () for (C,) logits, (N,) for (N, C)."""
    t = as_class_indices(targets, name, logits.shape[-1])
    want = logits.shape[:-1]
    if t.shape != want:
        raise ValueError(
            f"{name} must have shape {want} to match input of shape {logits.shape} (got shape {t.shape})"
        )
    return t


def is_prob_targets(targets, logits: np.ndarray) -> bool:
    """Class probabilities have the input's shape; class indices have one axis fewer."""
    return np.ndim(targets) == logits.ndim


def check_nonempty(x: np.ndarray, name: str) -> None:
    if x.size == 0:
        raise ValueError(f"{name} must not be empty")


def check_gamma(gamma) -> float:
    """The focusing parameter γ >= 0 of focal loss."""
    return check_scalar(gamma, "gamma", low=0.0)


def check_alpha(alpha) -> float:
    """Focal loss's α: at most 1, or negative to turn α weighting off."""
    alpha = check_scalar(alpha, "alpha")
    if alpha > 1:
        raise ValueError(f"alpha must be <= 1, or negative to turn alpha weighting off (got {alpha:g})")
    return alpha


def as_binary_labels(y, name: str = "y") -> int:
    """One binary label: the int 0 or 1 (not a bool)."""
    if isinstance(y, bool) or not isinstance(y, numbers.Integral):
        raise TypeError(f"{name} must be the label 0 or 1, an int (got {type(y).__name__})")
    if y not in (0, 1):
        raise ValueError(f"{name} must be the label 0 or 1 (got {y!r})")
    return int(y)


def as_weight(weight, name: str, length: int) -> np.ndarray:
    """A per-class weight vector of the given length, finite and non-negative."""
    w = as_float(weight, name, min_ndim=1)
    if w.ndim != 1 or w.shape[0] != length:
        raise ValueError(f"{name} must be a 1-D array of length {length} (got shape {w.shape})")
    if w.min() < 0:
        raise ValueError(f"{name} must be non-negative (got {w.min():.6g})")
    return w


def broadcast_to(x: np.ndarray, shape: tuple, name: str, other: str) -> np.ndarray:
    """Broadcast ``x`` (e.g. an element weight) to ``shape``, or say why it can't be."""
    try:
        return np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"{name} of shape {x.shape} cannot be broadcast to the shape of {other} {shape}") from None


def reduce(loss: np.ndarray, reduction: str, denominator: float | None = None):
    """Apply a torch-style reduction. ``denominator`` overrides the count for 'mean' (weighted means)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return np.float64(total)
    n = loss.size if denominator is None else denominator
    return np.float64(total / n) if n else np.float64(np.nan)


# ===================================================================================================
# Shared validators added with the CIFAR-10 wing (course_utils/cifar). Appended here, at the very end.
# ===================================================================================================
def check_int_between(value, name: str, low: int, high: int) -> int:
    """An integer (not a bool) in ``[low, high]``."""
    value = check_int(value, name, low=low)
    if value > high:
        raise ValueError(f"{name} must be <= {high} (got {value})")
    return value


def check_optional_int(value, name: str, *, low: int = 1) -> int | None:
    """None, or an integer (not a bool) of at least ``low``."""
    return None if value is None else check_int(value, name, low=low)


def check_flag(value, name: str) -> bool:
    """True or False, nothing else (the strings "no" and "False" are refused, not read as true)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False (got {type(value).__name__})")
    return value


def check_path(value, name: str):
    """A file-system path given as ``str`` or ``os.PathLike``, as a ``pathlib.Path`` (``~`` expanded).
    An int is refused: ``open(1)`` would take it as a file descriptor and close it."""
    import os
    from pathlib import Path

    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike) (got {type(value).__name__})")
    path = os.fspath(value)
    if isinstance(path, bytes):
        raise TypeError(f"{name} must be a str path (got a bytes path)")
    if not path or "\x00" in path:
        raise ValueError(f"{name} must be a non-empty path without NUL characters (got {path!r})")
    return Path(path).expanduser()
