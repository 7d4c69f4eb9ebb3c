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
    if isinstance(x, (bool, np.bool_)):  # True is not the number 1 here (arrays of booleans are masks, allowed)
        raise TypeError(f"{name} must be a number or an array of numbers (got bool)")
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
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none' (got {reduction!r})")
    return reduction


def check_int(value, name: str, *, low: int = 1, high: int | None = None) -> int:
    """An integer (not a bool) in ``[low, high]``: TypeError for anything else, ValueError out of range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int (got {type(value).__name__})")
    if value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f">= {low} and <= {high}"
        raise ValueError(f"{name} must be {span} (got {value})")
    return int(value)


def _is_real_cpu_tensor_scalar(value) -> bool:
    """A 0-d CPU torch tensor of a real, non-bool dtype (recognised without importing torch)."""
    if not type(value).__module__.startswith("torch") or getattr(value, "ndim", None) != 0:
        return False
    return value.device.type == "cpu" and not value.dtype.is_complex and str(value.dtype) != "torch.bool"


def check_scalar(value, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite real scalar inside ``[low, high]`` (ends open where asked)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, (np.integer, np.floating)) or _is_real_cpu_tensor_scalar(value):
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


def as_input_and_probs(x, targets, name: str, *, x_probs: bool = False, target_name: str = "targets",
                       nonempty: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """An input (logits, or probabilities with ``x_probs``) and same-shaped probability targets, both float64;
    not empty unless ``nonempty=False``: the one door of the element-wise binary losses and gradients."""
    x = as_probs(x, name) if x_probs else as_float(x, name)
    y = as_probs(targets, target_name)
    check_same_shape(x, y, name, target_name)
    if nonempty:
        check_nonempty(x, name)
    return x, y


def check_nonempty(x: np.ndarray, name: str) -> None:
    if x.size == 0:
        raise ValueError(f"{name} must not be empty")


def check_gamma(gamma) -> float:
    """The focusing parameter γ of focal loss, in [0, 100] (papers use 0 to 5; beyond 100 nothing is left)."""
    return check_scalar(gamma, "gamma", low=0.0, high=100.0)


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


def as_nonnegative(x, name: str) -> np.ndarray:
    """Finite, non-negative numbers (element and class weights)."""
    arr = as_float(x, name)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be non-negative (got {arr.min():.6g})")
    return arr


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


def check_weight_total(total: float, name: str = "weight") -> None:
    """A weighted mean divides by the weights of the batch's targets: refuse 0 / 0 instead of returning NaN."""
    if not total > 0:
        raise ValueError(f"{name} sums to {total:g} over this batch's targets, so the weighted mean is 0 / 0; "
                         "give the batch's classes a positive weight, or use reduction='sum'")


def check_finite_result(out, names: str):
    """A loss that overflowed float64 (inputs near 1e308) is refused, naming the inputs, never returned as inf."""
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{names} too large: the result overflows float64 (keep |values| well below 1e300)")
    return out


def reduce(loss: np.ndarray, reduction: str, denominator: float | None = None):
    """Apply a torch-style reduction. ``denominator`` overrides the count for 'mean' (weighted means)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return np.float64(total)
    n = loss.size if denominator is None else denominator
    return np.float64(total / n) if n else np.float64(np.nan)


# Shared validators added with the CIFAR-10 wing (course_utils/cifar). Appended here, at the very end.
# ===================================================================================================
def check_optional_int(value, name: str, *, low: int = 1, high: int | None = None) -> int | None:
    """None, or an integer (not a bool) in ``[low, high]``."""
    return None if value is None else check_int(value, name, low=low, high=high)


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


class MissingFileError(FileNotFoundError, ValueError):
    """A path argument that names no existing file: a FileNotFoundError that is also a ValueError (a bad value
    of the argument, which it names)."""


def check_existing_file(value, name: str):
    """A path (see :func:`check_path`) to a file that exists, as a ``pathlib.Path``."""
    path = check_path(value, name)
    if not path.is_file():
        raise MissingFileError(f"{name} must name an existing file (got {str(path)!r}: no such file)")
    return path


# --- kinds of things other than numbers -------------------------------------------------------------------
#: The largest seed accepted (NumPy's legacy generator, which notebooks also seed, takes 32 bits).
MAX_SEED = 2**32 - 1


def _type_name(value) -> str:
    return type(value).__name__


def check_flag(value, name: str) -> bool:
    """A flag: ``True`` or ``False`` only (the strings "no" and "False" are not false, so they are refused)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False (got {_type_name(value)})")


def check_optional_flag(value, name: str) -> bool | None:
    """A flag that may also be ``None`` (meaning: decide for me)."""
    return None if value is None else check_flag(value, name)


def check_seed(seed, name: str = "seed") -> int:
    """A random seed: an int (not a bool, not 1.5 or "3") in ``[0, 2**32 - 1]``."""
    return check_int(seed, name, low=0, high=MAX_SEED)


def check_str(value, name: str, *, choices=None) -> str:
    """A str, one of ``choices`` when given."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (got {_type_name(value)})")
    if choices is not None and value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))} (got {value!r})")
    return value


def check_optional_str(value, name: str) -> str | None:
    """A str or ``None`` (a title, a label)."""
    return None if value is None else check_str(value, name)


def check_callable(value, name: str) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be a function (got {_type_name(value)})")


def check_instance(value, cls, name: str, what: str | None = None):
    """``value`` must be an instance of ``cls`` (a class or a tuple of classes)."""
    if not isinstance(value, cls):
        if what is None:
            what = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise TypeError(f"{name} must be a {what} (got {_type_name(value)})")
    return value


def _is_axes(ax) -> bool:
    """A matplotlib Axes, recognised by its class (the floor imports no matplotlib)."""
    return any(c.__name__ == "Axes" and c.__module__.startswith("matplotlib.axes") for c in type(ax).__mro__)


def check_axes(ax, name: str = "ax", *, allow_none: bool = True):
    """A matplotlib Axes to draw on (or ``None``, meaning a new figure)."""
    if ax is None and allow_none:
        return None
    if not _is_axes(ax):
        raise TypeError(f"{name} must be a matplotlib Axes{' or None' if allow_none else ''} (got {_type_name(ax)})")
    return ax


def check_axes_sequence(axes, name: str, count: int):
    """``count`` matplotlib Axes (a list, a tuple or an array of them), or ``None``."""
    if axes is None:
        return None
    try:
        items = list(np.ravel(np.asarray(axes, dtype=object))) if not isinstance(axes, (str, bytes)) else None
    except Exception:  # noqa: BLE001 - anything that isn't a sequence
        items = None
    if items is None or len(items) != count or not all(_is_axes(a) for a in items):
        raise TypeError(f"{name} must be {count} matplotlib Axes or None (got {_type_name(axes)})")
    return items


def check_mapping(value, name: str, *, nonempty: bool = False):
    """A dict-like mapping (for ``events=``, ``groups=``, ``colors=``)."""
    from collections.abc import Mapping

    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict (got {_type_name(value)})")
    if nonempty and not value:
        raise ValueError(f"{name} must not be empty")
    return value


def check_str_sequence(value, name: str, *, nonempty: bool = True) -> list[str]:
    """A list or tuple of str (code words, loss names)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
        raise TypeError(f"{name} must be a list of str (got {_type_name(value)})")
    items = list(value)
    bad = [v for v in items if not isinstance(v, str)]
    if bad:
        raise TypeError(f"{name} must contain only str (got {_type_name(bad[0])})")
    if nonempty and not items:
        raise ValueError(f"{name} must not be empty")
    return items



def as_int_array(x, name: str, *, low: int | None = None, high: int | None = None) -> np.ndarray:
    """Whole numbers (ints, or floats that are whole; not bools) in ``[low, high]``, as int64."""
    arr = _to_numpy(x, name)
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must contain integers (got booleans)")
    if arr.dtype.kind == "f":
        if arr.size and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
            raise ValueError(f"{name} must contain whole numbers (got a fractional, NaN or infinite value)")
    if arr.size and low is not None and arr.min() < low:
        raise ValueError(f"{name} must be >= {low} (got {arr.min():g})")
    if arr.size and high is not None and arr.max() > high:
        raise ValueError(f"{name} must be <= {high} (got {arr.max():g})")
    return arr.astype(np.int64)


# ============================================================================================
