"""Hand-derived gradients of the course's losses: the notebooks' "why" made checkable.

Each function returns the per-sample derivative, that is, the gradient of each sample's loss under
``reduction='none'``, with the same shape as the input. The tests check each one against autograd.
"""

from __future__ import annotations

import numpy as np

from . import _numeric as num
from ._validate import (
    as_distribution,
    as_index_targets,
    as_input_and_probs,
    as_logits_2d,
    check_alpha,
    check_gamma,
    check_same_shape,
    check_scalar,
    is_prob_targets,
)

__all__ = ["BCE_GRAD_EPS", "bce_grad_prob", "bce_grad_logit", "mse_grad_logit", "cce_grad_logits",
           "focal_grad_logit"]

#: PyTorch's floor on p(1 - p) in the backward pass of binary_cross_entropy.
BCE_GRAD_EPS = 1e-12


def bce_grad_prob(probs, targets):
    """∂BCE/∂q = -y/q + (1 - y)/(1 - q) = (q - y) / (q (1 - q)), for predicted probabilities q = ``probs``.

    It blows up as a wrong prediction approaches certainty. Like PyTorch's backward pass, the
    denominator is floored at 1e-12, so q = 0 or 1 gives a large finite gradient, never inf or NaN.
    """
    p, y = as_input_and_probs(probs, targets, "probs", x_probs=True, nonempty=False)
    return (p - y) / np.maximum(p * (1 - p), BCE_GRAD_EPS)


def bce_grad_logit(logits, targets):
    """∂BCE/∂z = σ(z) - y: the error itself, never saturating when the prediction is confidently wrong."""
    z, y = as_input_and_probs(logits, targets, "logits", nonempty=False)
    return num.sigmoid(z) - y


def mse_grad_logit(logits, targets):
    """∂/∂z (σ(z) - y)² = 2 (σ(z) - y) · σ(z)(1 - σ(z)).

    The factor σ(1 - σ) vanishes at both ends, so a confidently wrong prediction gets almost no gradient:
    saturation.
    """
    z, y = as_input_and_probs(logits, targets, "logits", nonempty=False)
    s = num.sigmoid(z)
    return 2 * (s - y) * s * num.sigmoid(-z)


def cce_grad_logits(logits, targets, *, label_smoothing: float = 0.0):
    """∂CE/∂z = softmax(z) - t, where t is the (smoothed) target distribution: (1 - ε) one-hot + ε / C."""
    z = as_logits_2d(logits, "logits")
    eps = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    n_classes = z.shape[-1]
    if is_prob_targets(targets, z):
        t = as_distribution(targets, "targets")
        check_same_shape(z, t, "logits", "targets")
    else:
        y = as_index_targets(targets, z)
        t = np.zeros_like(z)
        np.put_along_axis(t, y[..., None], 1.0, axis=-1)
    t = t * (1 - eps) + eps / n_classes
    return np.exp(num.log_softmax(z, -1)) - t


def focal_grad_logit(logits, targets, *, alpha: float = 0.25, gamma: float = 2.0):
    """∂FL/∂z for the sigmoid focal loss FL = α_t (1 - q_t)^γ · CE, with q = σ(z) and q_t the probability of
    the true label (Lin et al.'s p_t):

    ∂FL/∂z = α_t [ (1 - q_t)^γ (q - y) - γ (1 - q_t)^{γ-1} (2y - 1) q (1 - q) · CE ].
    The second term is taken as 0 where 1 - q_t = 0 (its limit), so extreme logits give no NaN.
    """
    alpha = check_alpha(alpha)
    gamma = check_gamma(gamma)
    z, y = as_input_and_probs(logits, targets, "logits", nonempty=False)
    p, q = num.sigmoid(z), num.sigmoid(-z)  # q = 1 - p without cancellation
    ce = (1 - y) * z - num.log_sigmoid(z)
    one_minus_pt = y * q + (1 - y) * p
    grad = num.focal_modulator(one_minus_pt, gamma) * (p - y)
    if gamma > 0:
        safe = np.where(one_minus_pt > 0, one_minus_pt, 1.0)
        second = gamma * safe ** (gamma - 1) * (2 * y - 1) * p * q * ce
        grad = grad - np.where(one_minus_pt > 0, second, 0.0)
    if alpha >= 0:
        grad = grad * (alpha * y + (1 - alpha) * (1 - y))
    return grad
