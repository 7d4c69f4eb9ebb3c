"""Computing cross-entropy without overflow: what the naive formulas do at extreme logits (notebooks 03, 04).

- **BCE numerics** (03): a naive BCE, PyTorch's clamped BCE and BCE-with-logits at extreme logits.
- **Softmax overflow** (04): e^z overflows above about 709.8 in float64 (88.7 in float32); the log-sum-exp
  shift never does.
- **Softmax applied twice** (04): ``F.cross_entropy(softmax(z), y)``, a common bug, traps the loss and kills
  the gradient.
- **Why the loss stays in float32 under mixed precision** (07): e^z overflows float16 above ln 65504 ≈ 11.09,
  and bfloat16 keeps float32's range but only 8 bits of precision.

torch is imported inside the functions that contrast with PyTorch, so importing this module stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import losses
from ._validate import as_float, as_index_targets, as_logits_2d, check_instance, check_int, check_scalar, check_str
from .plots import COLORS, new_figure

__all__ = ["EXP_LIMIT_F64", "EXP_LIMIT_F32", "bce_numerics", "naive_softmax", "OverflowDemo",
           "softmax_overflow_demo", "SoftmaxBugDemo", "softmax_before_ce", "SoftmaxBugSweep", "softmax_bug_sweep",
           "softmax_bug_figure", "EXP_LIMIT_F16", "HalfPrecisionDemo", "half_precision_demo"]


#: log of the largest float64 / float32: e^z overflows to inf just above these.
EXP_LIMIT_F64 = float(np.log(np.finfo(np.float64).max))


EXP_LIMIT_F32 = float(np.log(np.finfo(np.float32).max))


#: log of the largest float16 (65504): e^z overflows float16 just above z ≈ 11.09.
EXP_LIMIT_F16 = float(np.log(float(np.finfo(np.float16).max)))


# --- 04 softmax and categorical cross-entropy ---
def naive_softmax(z) -> np.ndarray:
    """softmax the textbook way, e^{z_i} / sum_j e^{z_j}, with no shift: e^z overflows to inf above ~709.8."""
    z = as_float(z, "z", min_ndim=1)
    if z.shape[-1] == 0:
        raise ValueError(f"z must not be empty (got shape {z.shape})")
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


@dataclass
class OverflowDemo:
    """The same logits through a naive softmax, the shifted (log-sum-exp) one, and PyTorch's float32 one."""

    logits: np.ndarray
    naive: np.ndarray
    stable: np.ndarray
    torch_float32: np.ndarray
    naive_float32: np.ndarray


def softmax_overflow_demo(logits) -> OverflowDemo:
    """Run ``logits`` through the naive softmax (float64 and float32), the stable one and torch.softmax."""
    import torch

    z = as_float(logits, "logits", min_ndim=1)
    if z.shape[-1] == 0:
        raise ValueError(f"logits must not be empty (got shape {z.shape})")
    with np.errstate(over="ignore", invalid="ignore"):
        e32 = np.exp(z.astype(np.float32))
        naive32 = (e32 / e32.sum(axis=-1, keepdims=True)).astype(np.float64)
    t32 = torch.softmax(torch.tensor(z, dtype=torch.float32), dim=-1).numpy().astype(np.float64)
    return OverflowDemo(z, naive_softmax(z), losses.softmax(z), t32, naive32)


@dataclass
class SoftmaxBugDemo:
    """Cross-entropy on logits (right) vs on softmax(logits) (the bug), with gradients from autograd."""

    loss_right: float
    loss_bug: float
    grad_right: np.ndarray
    grad_bug: np.ndarray
    loss_floor_bug: float  # the smallest loss the buggy version can ever reach
    loss_ceiling_bug: float  # the largest loss the buggy version can ever reach


def softmax_before_ce(logits, targets) -> SoftmaxBugDemo:
    """Compare ``F.cross_entropy(z, y)`` with the common bug ``F.cross_entropy(softmax(z), y)``.

    The bug feeds probabilities in [0, 1] where logits are expected, so softmax is applied twice. The loss
    is then trapped between log(1 + (C-1)/e) and log(e + C - 1) nats, and the gradient vanishes wherever
    the first softmax saturates, right or wrong.
    """
    import torch
    import torch.nn.functional as F

    z = as_logits_2d(logits, "logits")
    y = as_index_targets(targets, z)
    z2, y2 = z.reshape(-1, z.shape[-1]), y.reshape(-1)
    zt = torch.tensor(z2, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y2)
    right = F.cross_entropy(zt, yt)
    (g_right,) = torch.autograd.grad(right, zt)
    bug = F.cross_entropy(torch.softmax(zt, dim=-1), yt)
    (g_bug,) = torch.autograd.grad(bug, zt)
    c = z2.shape[-1]
    shape = z.shape
    return SoftmaxBugDemo(
        right.item(), bug.item(), g_right.numpy().reshape(shape), g_bug.numpy().reshape(shape),
        float(np.log1p((c - 1) / np.e)), float(np.log(np.e + c - 1)),
    )


@dataclass
class SoftmaxBugSweep:
    """Loss and gradient norm against the logit gap, for the right and the buggy pipeline."""

    gaps: np.ndarray
    loss_right: np.ndarray
    loss_bug: np.ndarray
    grad_norm_right: np.ndarray
    grad_norm_bug: np.ndarray
    num_classes: int


def softmax_bug_sweep(gaps=None, *, num_classes: int = 10) -> SoftmaxBugSweep:
    """Logits with the true class ``gap`` nats above (gap > 0) or below (gap < 0) all the others, swept."""
    num_classes = check_int(num_classes, "num_classes", low=2, high=10_000)
    gaps = np.linspace(-15, 15, 121) if gaps is None else as_float(gaps, "gaps", min_ndim=1).ravel()
    if not 1 <= gaps.size <= 10_000:
        raise ValueError(f"gaps must hold 1 to 10000 values (got {gaps.size})")
    out = {k: np.empty(gaps.size) for k in ("lr", "lb", "gr", "gb")}
    for i, g in enumerate(gaps):
        z = np.zeros(num_classes)
        z[0] = g
        d = softmax_before_ce(z, 0)
        out["lr"][i], out["lb"][i] = d.loss_right, d.loss_bug
        out["gr"][i], out["gb"][i] = np.linalg.norm(d.grad_right), np.linalg.norm(d.grad_bug)
    return SoftmaxBugSweep(gaps, out["lr"], out["lb"], out["gr"], out["gb"], num_classes)


def softmax_bug_figure(sweep: SoftmaxBugSweep | None = None):
    """Two panels: loss and gradient norm against the logit gap, right vs softmax-before-CrossEntropyLoss."""
    if sweep is not None:
        check_instance(sweep, SoftmaxBugSweep, "sweep", "SoftmaxBugSweep from softmax_bug_sweep() or None")
    s = softmax_bug_sweep() if sweep is None else sweep
    fig = new_figure((10, 3.8))
    (a1, a2) = fig.subplots(1, 2)
    a1.plot(s.gaps, s.loss_right, color=COLORS["loss"], label="cross_entropy(logits, y)")
    a1.plot(s.gaps, s.loss_bug, color=COLORS["other"], ls="--", label="cross_entropy(softmax(logits), y)")
    a1.axhline(np.log1p((s.num_classes - 1) / np.e), color=COLORS["neutral"], ls=":", lw=1.2,
               label="floor of the buggy loss")
    a1.set(xlabel="logit gap: true class\nminus the others (nats)", ylabel="loss (nats)",
           title=f"Loss, {s.num_classes} classes")
    a2.plot(s.gaps, s.grad_norm_right, color=COLORS["grad"], label="right")
    a2.plot(s.gaps, s.grad_norm_bug, color=COLORS["other"], ls="--", label="softmax applied twice")
    a2.set(xlabel="logit gap: true class\nminus the others (nats)", ylabel="‖∂loss/∂logits‖ (nats per logit)",
           title="Gradient with respect to the logits")
    for ax in (a1, a2):
        ax.axvline(0, color=COLORS["neutral"], lw=1)
        ax.legend(frameon=False)
    return fig


def bce_numerics(logits, target: float = 1.0, *, dtype: str = "float32") -> dict[str, np.ndarray]:
    """BCE of σ(z) against one target, computed four ways in PyTorch at the given dtype, per logit z.

    Returns a dict of arrays: ``sigmoid`` (σ(z) as stored), ``naive`` (-[y log σ + (1 - y) log(1 - σ)],
    which gives inf or NaN once σ rounds to 0 or 1), ``clamped`` (``F.binary_cross_entropy``, whose logs
    are clamped at -100), ``with_logits`` (``F.binary_cross_entropy_with_logits``) and ``exact`` (the
    float64 value from the logit, ``losses.binary_cross_entropy_with_logits``). All in nats.
    """
    import torch
    import torch.nn.functional as F

    z = as_float(logits, "logits", min_ndim=1)
    y = check_scalar(target, "target", low=0.0, high=1.0)
    check_str(dtype, "dtype", choices=("float32", "float64"))
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


# --- 07 mixed precision ---
@dataclass
class HalfPrecisionDemo:
    """One cross-entropy computed in float32 and in the two 16-bit formats of mixed-precision training."""

    logits: np.ndarray          # the float16 example (a logit above EXP_LIMIT_F16)
    loss_float32: float         # F.cross_entropy in float32: the reference
    naive_float16: float        # -log(e^{z_y} / sum e^z) with every step in float16: e^z overflows, so NaN
    close_logits: np.ndarray    # the bfloat16 example: two large logits one apart
    close_in_bfloat16: np.ndarray  # the same logits rounded to bfloat16 (8 bits of precision)
    loss_close_float32: float   # their cross-entropy in float32
    loss_close_bfloat16: float  # ... and computed from the bfloat16 logits


def half_precision_demo(logits=(12.0, 0.0, -3.0), close_logits=(300.0, 301.0), target: int = 1) -> HalfPrecisionDemo:
    """Why autocast keeps the loss in float32: a naive softmax cross-entropy in float16 overflows once a logit
    passes EXP_LIMIT_F16, and bfloat16, which has float32's range, rounds logits 300 and 301 to the same number
    (its spacing there is 2), so the loss of a confident prediction becomes ln 2. ``target`` is the true class
    (an index into both logit vectors)."""
    import torch
    import torch.nn.functional as F

    z = as_float(logits, "logits", min_ndim=1)
    zc = as_float(close_logits, "close_logits", min_ndim=1)
    if z.ndim != 1 or zc.ndim != 1 or min(z.size, zc.size) < 2:
        raise ValueError("logits and close_logits must be 1-D, with at least two classes each")
    y = check_int(target, "target", low=0, high=min(z.size, zc.size) - 1)
    t = torch.tensor([y])
    z16 = torch.tensor(z, dtype=torch.float16)
    naive16 = -torch.log(torch.exp(z16)[y] / torch.exp(z16).sum())
    zc32 = torch.tensor(zc, dtype=torch.float32)
    zc_bf = zc32.to(torch.bfloat16)
    return HalfPrecisionDemo(
        logits=z, loss_float32=F.cross_entropy(torch.tensor(z, dtype=torch.float32)[None], t).item(),
        naive_float16=float(naive16.item()), close_logits=zc, close_in_bfloat16=zc_bf.float().numpy().astype(float),
        loss_close_float32=F.cross_entropy(zc32[None], t).item(),
        loss_close_bfloat16=F.cross_entropy(zc_bf.float()[None], t).item())
