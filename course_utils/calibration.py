"""Calibration: is a classifier's confidence honest? Reliability bins, ECE/MCE, proper scores, temperature.

A classifier is *calibrated* when, among all the predictions it makes with top-class confidence ``c``, a
fraction ``c`` is correct. Everything here works on ``probs`` of shape ``(N, C)`` (a distribution per row)
or ``logits`` of shape ``(N, C)``, with ``targets`` as class indices of shape ``(N,)``. Inputs may be
lists, NumPy arrays or CPU torch tensors; the arithmetic is NumPy float64 and losses are in nats.

**Binning.** ``reliability_bins`` splits ``[0, 1]`` into ``n_bins`` equal-width bins on the *top-class
confidence* ``max_c probs[i, c]`` (the top class is ``argmax``, ties going to the lowest index). Bin ``b``
is the half-open interval ``(edges[b], edges[b + 1]]``, closed on the right, as in Guo et al. (2017); the
first bin also includes 0, so it is ``[0, edges[1]]``. A confidence lying exactly on an edge therefore falls
in the bin *below* it (0.2 with 5 bins is in bin 0, ``[0, 0.2]``). An *empty* bin has ``count == 0`` and
``confidence`` and ``accuracy`` set to NaN (there is nothing to average); the error measures skip it, and
``plot_reliability_diagram`` draws nothing for it.

References: Guo, Pleiss, Sun & Weinberger (2017), "On Calibration of Modern Neural Networks", ICML;
Naeini, Cooper & Hauskrecht (2015) for ECE/MCE; Brier (1950) for the Brier score.
"""

from __future__ import annotations

import numbers
import warnings
from typing import NamedTuple

import numpy as np

from . import _numeric as num
from . import losses
from ._validate import as_class_indices, as_distribution, as_float, check_int, check_reduction, check_scalar, reduce

__all__ = [
    "ReliabilityBins",
    "reliability_bins",
    "expected_calibration_error",
    "maximum_calibration_error",
    "brier_score",
    "negative_log_likelihood",
    "accuracy",
    "calibration_metrics",
    "calibration_metrics_and_bins",
    "check_n_bins",
    "check_temperature",
    "as_logits_targets",
    "fit_temperature",
    "apply_temperature",
]

#: Probabilities often arrive in float32 (a torch softmax); rows must sum to 1 within this tolerance.
PROBS_SUM_TOL = 1e-4


class ReliabilityBins(NamedTuple):
    """Per-bin summary of top-class confidence vs accuracy. Empty bins: ``count == 0``, NaN averages."""

    edges: np.ndarray  # (n_bins + 1,) from 0 to 1; bin b is (edges[b], edges[b+1]], the first also holds 0
    confidence: np.ndarray  # (n_bins,) mean top-class confidence in the bin (NaN if empty)
    accuracy: np.ndarray  # (n_bins,) fraction of the bin whose top class is the target (NaN if empty)
    count: np.ndarray  # (n_bins,) int64, how many samples fell in the bin

    @property
    def gap(self) -> np.ndarray:
        """``confidence - accuracy`` per bin: positive where the model is over-confident (NaN if empty)."""
        return self.confidence - self.accuracy

    @property
    def total(self) -> int:
        return int(self.count.sum())


# --------------------------------------------------------------------------------------------- the door
def check_n_bins(n_bins) -> int:
    """The number of reliability bins: an int >= 1."""
    return check_int(n_bins, "n_bins", low=1)


def _matrix(x, name: str) -> np.ndarray:
    arr = as_float(x, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (N, C), one row per sample (got shape {arr.shape})")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample (got shape {arr.shape})")
    if arr.shape[1] < 2:
        raise ValueError(f"{name} must have at least 2 classes on the last axis (got shape {arr.shape})")
    return arr


def _probs_targets(probs, targets) -> tuple[np.ndarray, np.ndarray]:
    p = _matrix(probs, "probs")
    p = as_distribution(p, "probs", tol=PROBS_SUM_TOL)
    y = _targets(targets, p.shape)
    return p, y


def as_logits_targets(logits, targets) -> tuple[np.ndarray, np.ndarray]:
    """Logits (N, C) and class indices (N,) as validated float64 and int64 arrays."""
    z = _matrix(logits, "logits")
    y = _targets(targets, z.shape)
    return z, y


def _targets(targets, shape: tuple) -> np.ndarray:
    y = as_class_indices(targets, "targets", shape[1])
    if y.ndim != 1 or y.shape[0] != shape[0]:
        raise ValueError(
            f"targets must be class indices of shape ({shape[0]},), one per row of the {shape[0]}x{shape[1]} "
            f"input (got shape {y.shape})"
        )
    return y


def check_temperature(temperature) -> float:
    """A temperature T: a finite real number > 0."""
    return check_scalar(temperature, "temperature", low=0.0, low_open=True)


# ------------------------------------------------------------------------------------------ internals
def _bins(p: np.ndarray, y: np.ndarray, n_bins: int) -> ReliabilityBins:
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # searchsorted(side="left") gives i with edges[i-1] < conf <= edges[i]: right-closed bins, exactly on
    # the reported edges. Confidence 0 (impossible for a distribution, kept for safety) joins bin 0.
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(np.int64)
    conf_sum = np.bincount(idx, weights=conf, minlength=n_bins)
    corr_sum = np.bincount(idx, weights=correct, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(count > 0, conf_sum / np.maximum(count, 1), np.nan)
        mean_acc = np.where(count > 0, corr_sum / np.maximum(count, 1), np.nan)
    return ReliabilityBins(edges=edges, confidence=mean_conf, accuracy=mean_acc, count=count)


def _ece(b: ReliabilityBins) -> float:
    full = b.count > 0
    return float(np.sum(b.count[full] * np.abs(b.accuracy[full] - b.confidence[full])) / b.count.sum())


def _mce(b: ReliabilityBins) -> float:
    full = b.count > 0
    return float(np.max(np.abs(b.accuracy[full] - b.confidence[full])))


# ----------------------------------------------------------------------------------------- public API
def reliability_bins(probs, targets, n_bins: int = 15) -> ReliabilityBins:
    """Equal-width bins on the top-class confidence: per bin the mean confidence, the accuracy, the count.

    Bin ``b`` is ``(edges[b], edges[b+1]]`` (closed on the right; the first bin also holds 0). Empty bins
    report ``count == 0`` and NaN ``confidence``/``accuracy``. See the module docstring.
    """
    n_bins = check_n_bins(n_bins)
    p, y = _probs_targets(probs, targets)
    return _bins(p, y, n_bins)


def expected_calibration_error(probs, targets, n_bins: int = 15) -> float:
    """ECE = sum_b (n_b / N) |acc_b - conf_b| over the non-empty reliability bins (0 = calibrated)."""
    return _ece(reliability_bins(probs, targets, n_bins))


def maximum_calibration_error(probs, targets, n_bins: int = 15) -> float:
    """MCE = max_b |acc_b - conf_b| over the non-empty reliability bins (the worst bin, whatever its size)."""
    return _mce(reliability_bins(probs, targets, n_bins))


def brier_score(probs, targets, *, reduction: str = "mean"):
    """Brier score: sum_c (probs_c - onehot(target)_c)^2 per sample, in [0, 2]; a proper scoring rule.

    This is Brier's (1950) multi-class form, summed over classes (not divided by C). ``reduction`` is
    ``"mean"`` (default), ``"sum"`` or ``"none"`` (one score per sample), as in ``torch.nn.functional``.
    """
    reduction = check_reduction(reduction)
    p, y = _probs_targets(probs, targets)
    return reduce(_brier(p, y), reduction)


def _brier(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum_c (p_c - [c == y])^2 per row, without forming the one-hot matrix."""
    return np.maximum(np.sum(p**2, axis=1) - 2.0 * num.gather(p, y) + 1.0, 0.0)


def negative_log_likelihood(probs, targets, *, reduction: str = "mean"):
    """NLL = -log probs[i, target_i] in nats (averaged by default): cross-entropy against one-hot labels.

    Equals ``torch.nn.functional.cross_entropy(logits, targets)`` when ``probs = softmax(logits)``. A
    target given probability exactly 0 costs ``inf`` (that is the honest value, not an error).
    """
    reduction = check_reduction(reduction)
    p, y = _probs_targets(probs, targets)
    with np.errstate(divide="ignore"):
        return losses.nll_loss(np.log(p), y, reduction=reduction)


def accuracy(probs, targets) -> float:
    """Fraction of samples whose top class (``argmax``, ties to the lowest index) is the target."""
    p, y = _probs_targets(probs, targets)
    return float(np.mean(p.argmax(axis=1) == y))


def calibration_metrics(probs, targets, n_bins: int = 15) -> dict:
    """All the numbers at once: ``{"ece", "mce", "nll", "brier", "accuracy"}`` (floats; NLL in nats)."""
    return calibration_metrics_and_bins(probs, targets, n_bins)[0]


def calibration_metrics_and_bins(probs, targets, n_bins: int = 15) -> tuple[dict, ReliabilityBins]:
    """:func:`calibration_metrics` and the :class:`ReliabilityBins` behind it, in one pass (the explorers
    call this on every change)."""
    n_bins = check_n_bins(n_bins)
    p, y = _probs_targets(probs, targets)
    b = _bins(p, y, n_bins)
    with np.errstate(divide="ignore"):
        nll = float(losses.nll_loss(np.log(p), y))
    metrics = {"ece": _ece(b), "mce": _mce(b), "nll": nll, "brier": float(np.mean(_brier(p, y))),
               "accuracy": float(np.mean(p.argmax(axis=1) == y))}
    return metrics, b


def apply_temperature(logits, temperature: float) -> np.ndarray:
    """``softmax(logits / temperature)`` in float64, shape ``(N, C)``: the temperature-scaled probabilities.

    T > 1 softens (less confident), T < 1 sharpens; the argmax, and so the accuracy, never changes.
    """
    t = check_temperature(temperature)
    z = _matrix(logits, "logits")
    return np.exp(num.log_softmax(z / t, 1))


def _nll_and_slopes(z: np.ndarray, y: np.ndarray, beta: float) -> tuple[float, float, float]:
    """Mean NLL of softmax(beta * z) and its first two derivatives with respect to beta = 1 / T."""
    logp = num.log_softmax(beta * z, 1)
    p = np.exp(logp)
    rows = np.arange(len(y))
    ez = np.sum(p * z, axis=1)  # E_p[z]
    ez2 = np.sum(p * z * z, axis=1)  # E_p[z^2]
    nll = float(-np.mean(logp[rows, y]))
    d1 = float(np.mean(ez - z[rows, y]))  # d NLL / d beta
    d2 = float(np.mean(np.maximum(ez2 - ez * ez, 0.0)))  # = mean Var_p[z] >= 0: NLL is convex in beta
    return nll, d1, d2


def fit_temperature(logits, targets, *, bounds: tuple[float, float] = (0.01, 100.0), tol: float = 1e-10) -> float:
    """The one temperature T > 0 that minimises the mean NLL of ``softmax(logits / T)`` on these targets.

    Fit it on held-out data (never the test set). The NLL is convex in ``beta = 1/T`` (a log-sum-exp of a
    linear function), so its slope in beta is monotone: a Newton iteration on ``log beta``, safeguarded by
    bisection on the sign of the slope, finds the unique minimiser inside ``bounds`` to ``tol`` in log T.
    If the NLL is still falling at an end of ``bounds`` (e.g. perfectly separated data wants T -> 0, or
    logits no better than chance want T -> inf), that end is returned with a ``RuntimeWarning``.
    """
    z, y = as_logits_targets(logits, targets)
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise TypeError(f"bounds must be a pair (t_min, t_max) (got {bounds!r})")
    t_min = check_scalar(bounds[0], "bounds[0]", low=0.0, low_open=True)
    t_max = check_scalar(bounds[1], "bounds[1]", low=0.0, low_open=True)
    if not t_min < t_max:
        raise ValueError(f"bounds must satisfy t_min < t_max (got {t_min:g}, {t_max:g})")
    tol = check_scalar(tol, "tol", low=0.0, low_open=True)

    # Work in u = log(beta), beta = 1/T. The slope h(u) = dNLL/dbeta has the sign of dNLL/du.
    lo, hi = -np.log(t_max), -np.log(t_min)  # u range
    _, h_lo, _ = _nll_and_slopes(z, y, np.exp(lo))
    if h_lo >= 0:  # NLL rising already at the largest T: the minimum lies at or beyond t_max
        warnings.warn(
            f"fit_temperature: the NLL is still falling as T -> {t_max:g} (the logits carry little signal "
            f"about these targets); returning the upper bound T = {t_max:g}",
            RuntimeWarning,
            stacklevel=2,
        )
        return float(t_max)
    _, h_hi, _ = _nll_and_slopes(z, y, np.exp(hi))
    if h_hi <= 0:  # NLL still falling at the smallest T
        warnings.warn(
            f"fit_temperature: the NLL is still falling as T -> {t_min:g} (the data look perfectly "
            f"separated); returning the lower bound T = {t_min:g}",
            RuntimeWarning,
            stacklevel=2,
        )
        return float(t_min)

    u = 0.0 if lo < 0.0 < hi else 0.5 * (lo + hi)  # start from T = 1
    for _ in range(200):
        beta = np.exp(u)
        _, h, h2 = _nll_and_slopes(z, y, beta)
        if h > 0:
            hi = u
        elif h < 0:
            lo = u
        else:
            break
        dh_du = beta * h2  # d/du of h(e^u)
        step_ok = dh_du > 0
        u_new = u - h / dh_du if step_ok else 0.5 * (lo + hi)
        if not (lo < u_new < hi):
            u_new = 0.5 * (lo + hi)  # Newton left the bracket: bisect instead
        if abs(u_new - u) < tol or hi - lo < tol:
            u = u_new
            break
        u = u_new
    return float(np.exp(-u))


def synthetic_logits(n: int = 2000, num_classes: int = 10, *, overconfidence: float = 1.0, scale: float = 1.5,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels with a known miscalibration: each label is drawn from ``softmax(z)`` (so ``z`` is
    calibrated by construction) and the logits returned are ``overconfidence * z``. The temperature that
    undoes it is ``overconfidence`` (up to sampling noise); 1 gives calibrated logits."""
    for value, name in ((n, "n"), (num_classes, "num_classes")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < (2 if name != "n" else 1):
            raise ValueError(f"{name} must be an int >= {2 if name != 'n' else 1} (got {value!r})")
    overconfidence = check_scalar(overconfidence, "overconfidence", low=0.0, low_open=True)
    scale = check_scalar(scale, "scale", low=0.0)
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(int(n), int(num_classes))) * scale
    p = np.exp(num.log_softmax(z, 1))
    y = np.minimum((p.cumsum(axis=1) < rng.random((int(n), 1))).sum(axis=1), int(num_classes) - 1)
    return overconfidence * z, y.astype(np.int64)
