"""The binary loss family, described once: for each loss of a logit z and a label y in {0, 1}, the loss,
its gradient ∂loss/∂z, and its PyTorch twin.

Every entry calls :mod:`course_utils.losses` and :mod:`course_utils.grads`. Figures and explorers add only a
label, a colour and a line style under the same keys (``plots.LOSS_STYLES``); the notebook-06 experiments
train with these entries; the tests check each ``loss`` against its ``torch`` expression and each ``grad``
against autograd. Parameters (keyword-only): ``gamma`` and ``alpha`` (focal), ``pos_weight`` (weighted BCE),
``label_smoothing`` (ε of the smoothed BCE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import grads, losses
from ._validate import as_float, as_probs, check_alpha, check_gamma, check_same_shape, check_scalar

__all__ = ["BINARY_LOSSES", "DEFAULT_PARAMS", "BinaryLoss", "binary_loss", "binary_loss_grad", "check_params"]

#: The family's parameters and their defaults.
DEFAULT_PARAMS = {"gamma": 2.0, "alpha": -1.0, "pos_weight": 1.0, "label_smoothing": 0.1}


class BinaryLoss(NamedTuple):
    """One member of the family. ``loss(z, y, **params)`` and ``grad(z, y, **params)`` act per element;
    ``torch`` is a PyTorch expression in ``z``, ``y``, ``F``, ``torch`` and the parameters (None where
    PyTorch has no twin); ``in_pytorch`` is what a table shows a learner."""

    loss: Callable[..., np.ndarray]
    grad: Callable[..., np.ndarray]
    torch: str | None
    in_pytorch: str
    params: tuple[str, ...]
    unit: str


def _smoothed(y: np.ndarray, eps: float) -> np.ndarray:
    """The two-class smoothed target (1 - ε) y + ε / 2."""
    return y * (1 - eps) + eps / 2


def _weighted_grad(z, y, pos_weight):
    q = losses.sigmoid(z)
    return pos_weight * y * (q - 1) + (1 - y) * q


BINARY_LOSSES: dict[str, BinaryLoss] = {
    "bce": BinaryLoss(
        lambda z, y, **_: losses.binary_cross_entropy_with_logits(z, y, reduction="none"),
        lambda z, y, **_: grads.bce_grad_logit(z, y),
        "F.binary_cross_entropy_with_logits(z, y, reduction='none')",
        "F.binary_cross_entropy_with_logits", (), "nats"),
    "mse": BinaryLoss(
        lambda z, y, **_: losses.mse_loss(losses.sigmoid(z), y, reduction="none"),
        lambda z, y, **_: grads.mse_grad_logit(z, y),
        "F.mse_loss(torch.sigmoid(z), y, reduction='none')",
        "F.mse_loss(torch.sigmoid(z), y)", (), "squared probability"),
    "hinge": BinaryLoss(
        lambda z, y, **_: losses.binary_hinge_loss(z, 2 * y - 1, reduction="none"),
        lambda z, y, **_: np.where((2 * y - 1) * z < 1, -(2 * y - 1), 0.0),
        "(1 - (2 * y - 1) * z).clamp(min=0)",
        "(1 - (2y - 1)·z).clamp(min=0)", (), "margin units"),
    "focal": BinaryLoss(
        lambda z, y, gamma, alpha, **_: losses.sigmoid_focal_loss(z, y, alpha=alpha, gamma=gamma, reduction="none"),
        lambda z, y, gamma, alpha, **_: grads.focal_grad_logit(z, y, alpha=alpha, gamma=gamma),
        None, "torchvision.ops.sigmoid_focal_loss (external; not installed by the course)", ("gamma", "alpha"),
        "nats"),
    "weighted_bce": BinaryLoss(
        lambda z, y, pos_weight, **_: losses.binary_cross_entropy_with_logits(
            z, y, pos_weight=np.float64(pos_weight), reduction="none"),
        lambda z, y, pos_weight, **_: _weighted_grad(z, y, pos_weight),
        "F.binary_cross_entropy_with_logits(z, y, pos_weight=torch.tensor(pos_weight), reduction='none')",
        "F.binary_cross_entropy_with_logits(pos_weight=)", ("pos_weight",), "nats"),
    "smoothed_bce": BinaryLoss(
        lambda z, y, label_smoothing, **_: losses.binary_cross_entropy_with_logits(
            z, _smoothed(y, label_smoothing), reduction="none"),
        lambda z, y, label_smoothing, **_: grads.bce_grad_logit(z, _smoothed(y, label_smoothing)),
        "F.binary_cross_entropy_with_logits(z, (1 - label_smoothing) * y + label_smoothing / 2, reduction='none')",
        "F.binary_cross_entropy_with_logits(z, (1 − ε)·y + ε/2)", ("label_smoothing",), "nats"),
}


def check_params(**params) -> dict:
    """The family's parameters, validated and completed with :data:`DEFAULT_PARAMS`."""
    unknown = set(params) - set(DEFAULT_PARAMS)
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(sorted(unknown))}; the family takes "
                        f"{', '.join(DEFAULT_PARAMS)}")
    out = {**DEFAULT_PARAMS, **params}
    out["gamma"] = check_gamma(out["gamma"])
    out["alpha"] = check_alpha(out["alpha"])
    out["pos_weight"] = check_scalar(out["pos_weight"], "pos_weight", low=0.0, high=1e6)
    out["label_smoothing"] = check_scalar(out["label_smoothing"], "label_smoothing", low=0.0, high=1.0)
    return out


def _door(name: str, logits, targets) -> tuple[BinaryLoss, np.ndarray, np.ndarray]:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (got {type(name).__name__})")
    if name not in BINARY_LOSSES:
        raise ValueError(f"name must be one of {', '.join(BINARY_LOSSES)} (got {name!r})")
    z = as_float(logits, "logits")
    y = as_probs(targets, "targets")
    if y.shape != z.shape:
        y = np.broadcast_to(y, z.shape) if y.ndim == 0 else y
    check_same_shape(z, y, "logits", "targets")
    return BINARY_LOSSES[name], z, y


def binary_loss(name: str, logits, targets, **params) -> np.ndarray:
    """The per-element loss ``name`` of the family at logits z and labels y (a scalar y applies to every z)."""
    entry, z, y = _door(name, logits, targets)
    return np.asarray(entry.loss(z, y, **check_params(**params)), dtype=float)


def binary_loss_grad(name: str, logits, targets, **params) -> np.ndarray:
    """∂loss/∂z of the family member ``name``, per element."""
    entry, z, y = _door(name, logits, targets)
    return np.asarray(entry.grad(z, y, **check_params(**params)), dtype=float)
