"""Activations and classification losses in NumPy (float64), each equal to its PyTorch twin.

Argument order and ``reduction`` follow ``torch.nn.functional``: input first, then target;
``reduction`` is 'mean' (default), 'sum' or 'none'. Losses are in nats, as in PyTorch.
Classes lie on the last axis: ``logits`` has shape (C,) or (N, C).
"""

from __future__ import annotations

import numpy as np

from . import _numeric as num
from ._validate import (
    as_class_indices,
    as_distribution,
    as_float,
    as_index_targets,
    as_input_and_probs,
    as_logits_2d,
    as_nonnegative,
    as_weight,
    broadcast_to,
    check_alpha,
    check_axis,
    check_finite_result,
    check_gamma,
    check_int,
    check_nonempty,
    check_reduction,
    check_same_shape,
    check_scalar,
    check_weight_total,
    is_prob_targets,
    reduce,
)

__all__ = ["LOG_CLAMP", "logit", "one_hot", "sigmoid", "softmax", "log_softmax", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "nll_loss", "categorical_cross_entropy", "mse_loss",
           "binary_hinge_loss", "multiclass_hinge_loss", "sigmoid_focal_loss", "focal_loss"]

#: torch.nn.functional.binary_cross_entropy clamps each log at -100, so one loss term is at most 100 nats.
LOG_CLAMP = -100.0


# ---------------------------------------------------------------- activations
def logit(q):
    """The logit z = log(q / (1 - q)), the inverse of the sigmoid, for q strictly inside (0, 1)."""
    q = as_float(q, "q")
    if q.size and (q.min() <= 0 or q.max() >= 1):
        raise ValueError(f"q must lie strictly between 0 and 1 (got {q.min() if q.min() <= 0 else q.max():.6g})")
    return np.log(q) - np.log1p(-q)


def one_hot(targets, num_classes: int) -> np.ndarray:
    """Class indices (...,) -> one-hot rows (..., num_classes), float64."""
    k = check_int(num_classes, "num_classes", low=1, high=1_000_000)
    return num.one_hot(as_class_indices(targets, "targets", k), k)


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), computed without overflow for any finite z."""
    return num.sigmoid(as_float(z, "z"))


def softmax(z, axis: int = -1):
    """softmax(z)_i = e^{z_i} / sum_j e^{z_j}, shifted by max(z) so it never overflows."""
    z = as_float(z, "z")
    return np.exp(num.log_softmax(z, check_axis(z, axis)))


def log_softmax(z, axis: int = -1):
    """log softmax(z)_i = z_i - logsumexp(z), stable at logits of ±1e4."""
    z = as_float(z, "z")
    return num.log_softmax(z, check_axis(z, axis))


# ---------------------------------------------------------------- binary losses
def binary_cross_entropy(probs, targets, *, weight=None, reduction: str = "mean"):
    """BCE = -[y log q + (1 - y) log(1 - q)] per element for predicted probabilities q = ``probs``, in nats;
    equals F.binary_cross_entropy.

    Like PyTorch, each log is clamped at -100, so a confident wrong prediction (p = 0 with y = 1) costs
    exactly 100 nats instead of infinity. That is the answer to "why is my loss exactly 100?": the
    probabilities saturated. Work with logits and ``binary_cross_entropy_with_logits`` instead.
    """
    reduction = check_reduction(reduction)
    p, y = as_input_and_probs(probs, targets, "probs", x_probs=True)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), LOG_CLAMP)
        log_1mp = np.maximum(np.log1p(-p), LOG_CLAMP)
    loss = -(y * log_p + (1 - y) * log_1mp)
    if weight is not None:
        loss = loss * broadcast_to(as_nonnegative(weight, "weight"), p.shape, "weight", "probs")
        return check_finite_result(reduce(loss, reduction), "weight")
    return reduce(loss, reduction)


def binary_cross_entropy_with_logits(logits, targets, *, weight=None, pos_weight=None, reduction: str = "mean"):
    """BCE on σ(z), computed from the logit z without ever forming σ(z); equals F.binary_cross_entropy_with_logits.

    loss = (1 - y) z - w_pos(y) · log σ(z), with w_pos(y) = 1 + (pos_weight - 1) y, and
    log σ(z) = min(z, 0) - log(1 + e^{-|z|}): exact at logits of ±1e4, where σ(z) itself rounds to 0 or 1.
    ``pos_weight`` (one entry per class, on the last axis) multiplies the positive term: for a rare
    positive class set it near (#negatives / #positives).
    """
    reduction = check_reduction(reduction)
    z, y = as_input_and_probs(logits, targets, "logits")
    log_sig = num.log_sigmoid(z)
    if pos_weight is not None:
        pw = broadcast_to(as_nonnegative(pos_weight, "pos_weight"), z.shape, "pos_weight", "logits")
        log_sig = log_sig * (1 + (pw - 1) * y)
    loss = (1 - y) * z - log_sig
    if weight is not None:
        loss = loss * broadcast_to(as_nonnegative(weight, "weight"), z.shape, "weight", "logits")
    return check_finite_result(reduce(loss, reduction), "logits (or weights)")


# ---------------------------------------------------------------- categorical losses
def nll_loss(log_probs, targets, *, weight=None, reduction: str = "mean"):
    """Negative log-likelihood: -log_probs[i, y_i]; equals F.nll_loss.

    With a class ``weight``, each sample counts w[y_i] times and 'mean' divides by sum_i w[y_i]
    (a weighted mean), not by N.
    """
    reduction = check_reduction(reduction)
    lp = as_logits_2d(log_probs, "log_probs", allow_inf=True)  # -inf: a class given probability 0
    if lp.max() > 0:
        raise ValueError(
            f"log_probs must be log-probabilities, all <= 0 (got {lp.max():.6g}); "
            "did you pass logits? Apply log_softmax first, or use categorical_cross_entropy"
        )
    y = as_index_targets(targets, lp)
    w = None if weight is None else as_weight(weight, "weight", lp.shape[-1])
    return _nll(lp, y, w, reduction)


def _reduce_by_target(picked: np.ndarray, y: np.ndarray, w: np.ndarray | None, reduction: str):
    """Reduce per-sample losses, each weighted by its target class's weight w[y_i]; 'mean' then divides
    by sum_i w[y_i], as nll_loss does."""
    if w is None:
        return reduce(picked, reduction)
    wy = w[y]
    total = wy.sum()
    if reduction == "mean":
        check_weight_total(total)
    return reduce(picked * wy, reduction, denominator=total)


def _nll(lp: np.ndarray, y: np.ndarray, w: np.ndarray | None, reduction: str):
    return _reduce_by_target(-num.gather(lp, y), y, w, reduction)


def categorical_cross_entropy(logits, targets, *, weight=None, label_smoothing: float = 0.0,
                              reduction: str = "mean"):
    """Cross-entropy of softmax(logits) against class indices or class probabilities; equals F.cross_entropy.

    - Index targets, shape (N,): loss_i = -log softmax(z_i)[y_i] = log sum_j e^{z_ij} - z_{i y_i}.
    - Probability targets, shape (N, C): loss_i = -sum_c t_ic log softmax(z_i)_c.
    - Label smoothing ε replaces the target by (1 - ε) · target + ε / C.
    - Class ``weight`` w: with index targets 'mean' divides by sum_i w[y_i] (as nll_loss does);
      with probability targets it divides by N. Both are PyTorch's choices.
    """
    reduction = check_reduction(reduction)
    z = as_logits_2d(logits, "logits")
    eps = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    n_classes = z.shape[-1]
    w = None if weight is None else as_weight(weight, "weight", n_classes)
    if is_prob_targets(targets, z):
        lp = num.log_softmax(z, -1)
        t = as_distribution(targets, "targets")
        check_same_shape(z, t, "logits", "targets")
        if eps > 0:
            t = t * (1 - eps) + eps / n_classes
        per_class = -(lp * t) if w is None else -(lp * t * w)
        loss = per_class.sum(axis=-1)
        n = loss.size
        return check_finite_result(reduce(loss, reduction, denominator=n), "logits")
    y = as_index_targets(targets, z)
    # -log softmax(z)[y] = (max - z_y) + log sum_j e^{z_j - max}, without forming the (N, C) log-softmax.
    with np.errstate(over="ignore"):  # logits near ±1e308: the gap overflows to inf, refused below
        shifted = z - z.max(axis=-1, keepdims=True)
    shifted_y = num.gather(shifted, y)
    if eps > 0:  # sum_c w_c log softmax(z)_c = sum_c w_c shifted_c - (sum_c w_c) log_s, log_s added below
        smooth_shift = shifted.sum(axis=-1) if w is None else (shifted * w).sum(axis=-1)
    np.exp(shifted, out=shifted)
    log_s = np.log(shifted.sum(axis=-1))
    picked = log_s - shifted_y
    nll = _reduce_by_target(picked, y, w, reduction)
    if eps == 0:
        return check_finite_result(nll, "logits")
    smooth = (n_classes if w is None else w.sum()) * log_s - smooth_shift
    if reduction == "mean" and w is not None:
        smooth_red = smooth.sum() / w[y].sum()
    else:
        smooth_red = reduce(smooth, reduction)
    return check_finite_result((1 - eps) * nll + smooth_red * (eps / n_classes), "logits")


# ---------------------------------------------------------------- other losses
def mse_loss(input, target, *, reduction: str = "mean"):  # noqa: A002 - torch's argument name
    """Mean squared error (input - target)², elementwise; equals F.mse_loss."""
    reduction = check_reduction(reduction)
    x = as_float(input, "input")
    t = as_float(target, "target")
    check_same_shape(x, t, "input", "target")
    check_nonempty(x, "input")
    with np.errstate(over="ignore"):
        return check_finite_result(reduce((x - t) ** 2, reduction), "input and target")


def binary_hinge_loss(scores, targets, *, margin: float = 1.0, reduction: str = "mean"):
    """Binary hinge max(0, margin - s·z) for labels s in {-1, +1} and real scores z (the linear SVM's loss)."""
    reduction = check_reduction(reduction)
    z = as_float(scores, "scores")
    s = as_float(targets, "targets")
    check_same_shape(z, s, "scores", "targets")
    if s.size and not np.isin(s, (-1.0, 1.0)).all():
        raise ValueError("targets must be labels -1 and +1 for the binary hinge loss")
    margin = check_scalar(margin, "margin")
    check_nonempty(z, "scores")
    with np.errstate(over="ignore"):
        return check_finite_result(reduce(np.maximum(0.0, margin - s * z), reduction), "scores and margin")


def multiclass_hinge_loss(scores, targets, *, margin: float = 1.0, reduction: str = "mean"):
    """Multi-class hinge in Weston & Watkins's (1999) sum form, as F.multi_margin_loss computes it (p = 1):

    loss_i = sum_{j != y_i} max(0, margin - s_{i y_i} + s_{ij}) / C.
    (Crammer & Singer (2001) take the max over j != y_i instead of the sum.) Zero once the true class beats
    every other class by at least ``margin``: unlike cross-entropy it stops pushing.
    """
    reduction = check_reduction(reduction)
    s = as_logits_2d(scores, "scores")
    margin = check_scalar(margin, "margin")
    y = as_index_targets(targets, s)
    s_true = num.gather(s, y)[..., None]
    terms = np.maximum(0.0, margin - s_true + s)
    np.put_along_axis(terms, y[..., None], 0.0, axis=-1)
    with np.errstate(over="ignore"):
        return check_finite_result(reduce(terms.sum(axis=-1) / s.shape[-1], reduction), "scores and margin")


def sigmoid_focal_loss(logits, targets, *, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean"):
    """Binary focal loss (Lin et al. 2017), as torchvision.ops.sigmoid_focal_loss:

    FL = α_t (1 - q_t)^γ · BCE(z, y), with q = σ(z), q_t = q y + (1 - q)(1 - y) (Lin et al.'s p_t) and
    α_t = α y + (1 - α)(1 - y). The factor (1 - q_t)^γ shrinks the loss of easy, well-classified examples.
    ``alpha < 0`` turns the α weighting off; with γ = 0 and α < 0 it is exactly BCE-with-logits.
    """
    reduction = check_reduction(reduction)
    alpha = check_alpha(alpha)
    gamma = check_gamma(gamma)
    z, y = as_input_and_probs(logits, targets, "logits")
    return check_finite_result(reduce(_sigmoid_focal(z, y, alpha, gamma), reduction), "logits")


def _sigmoid_focal(z: np.ndarray, y: np.ndarray, alpha: float, gamma: float) -> np.ndarray:
    ce = (1 - y) * z - num.log_sigmoid(z)
    one_minus_pt = y * num.sigmoid(-z) + (1 - y) * num.sigmoid(z)  # no cancellation: 1 - σ(z) = σ(-z)
    loss = ce * num.focal_modulator(one_minus_pt, gamma)
    if alpha >= 0:
        loss = loss * (alpha * y + (1 - alpha) * (1 - y))
    return loss


def focal_loss(logits, targets, *, gamma: float = 2.0, reduction: str = "mean"):
    """Multi-class focal loss: -(1 - p_y)^γ log p_y with p = softmax(logits). At γ = 0 it is cross-entropy."""
    reduction = check_reduction(reduction)
    gamma = check_gamma(gamma)
    z = as_logits_2d(logits, "logits")
    y = as_index_targets(targets, z)
    lp_y = num.gather(num.log_softmax(z, -1), y)
    one_minus_py = -np.expm1(lp_y)  # 1 - e^{log p_y}, accurate when p_y is near 1
    return check_finite_result(reduce(-num.focal_modulator(one_minus_py, gamma) * lp_y, reduction), "logits")
