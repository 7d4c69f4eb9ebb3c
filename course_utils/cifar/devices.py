"""Devices and precision for the CIFAR-10 wing: which device exists, and which number format to train in.

A device is checked *before* any model moves, so a bad name never strands a trained model on the meta device.

Precision per device (``resolve_precision("auto", device)``):

- CUDA: bf16 autocast where the GPU supports it (``torch.cuda.is_bf16_supported()``), else float16 autocast
  with a gradient scaler (a T4 has float16 tensor cores and no bf16);
- MPS: float32;
- CPU: bf16 autocast only with bf16 matrix units (Intel AMX), where it is several times faster; elsewhere bf16
  is emulated and slower than float32.
"""

from __future__ import annotations

import torch

__all__ = ["PRECISIONS", "available_devices", "best_device",
           "resolve_device", "cpu_has_bf16_units", "resolve_precision",
           "precision_reason", "autocast", "grad_scaler"]

#: What ``precision`` may be: "auto" picks per device (see the module docstring).
PRECISIONS = ("auto", "bf16", "fp16", "fp32")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """The devices this torch can train on here: ``"cpu"``, then ``"cuda:0"``.. and ``"mps"`` if present."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if _mps_available():
        found.append("mps")
    return found


def best_device() -> str:
    """The best available device: ``"cuda"`` > ``"mps"`` > ``"cpu"``."""
    if torch.cuda.is_available():
        return "cuda"
    return "mps" if _mps_available() else "cpu"


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``device`` (a name, a ``torch.device``, or None for the best one) as a ``torch.device`` that exists
    here; ValueError naming the available devices otherwise. Nothing is moved."""
    if device is None:
        device = best_device()
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str, a torch.device or None (got {type(device).__name__})")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device must name a torch device; available here: {', '.join(available_devices())} "
                         f"(got {device!r})") from None
    ok = (dev.type == "cpu"
          or (dev.type == "cuda" and torch.cuda.is_available() and (dev.index or 0) < torch.cuda.device_count())
          or (dev.type == "mps" and _mps_available() and not dev.index))
    if not ok:
        raise ValueError(f"device {str(dev)!r} is not available here; available: {', '.join(available_devices())}")
    return dev


def cpu_has_bf16_units() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel AMX), where bf16 autocast makes
    convolutions several times faster. On other CPUs bf16 is emulated and slower than float32."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def _cuda_bf16() -> bool:
    try:
        return bool(torch.cuda.is_bf16_supported())
    except (RuntimeError, AssertionError):
        return False


def resolve_precision(precision: str, device: str | torch.device | None) -> str:
    """``"bf16"``, ``"fp16"`` or ``"fp32"``: the precision ``fit`` and ``evaluate`` use on ``device``
    (``"auto"`` picks per device, see the module docstring). The device must exist here."""
    if not isinstance(precision, str):
        raise TypeError(f"precision must be a str (got {type(precision).__name__})")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))} (got {precision!r})")
    kind = resolve_device(device).type
    if precision == "bf16" and kind not in ("cuda", "cpu"):
        raise ValueError(f"precision 'bf16' is supported on cuda and cpu devices (got {kind!r})")
    if precision == "fp16" and kind != "cuda":
        raise ValueError(f"precision 'fp16' is supported on cuda devices only (got {kind!r})")
    if precision != "auto":
        return precision
    if kind == "cuda":
        return "bf16" if _cuda_bf16() else "fp16"
    if kind == "cpu" and cpu_has_bf16_units():
        return "bf16"
    return "fp32"


def precision_reason(precision: str, device: str | torch.device | None) -> str:
    """One sentence: the precision ``"auto"`` gives on ``device``, and why."""
    kind = resolve_device(device).type
    chosen = resolve_precision(precision, device)
    if precision != "auto":
        return f"{chosen} on {kind}: asked for explicitly"
    why = {
        ("cuda", "bf16"): "this GPU supports bfloat16",
        ("cuda", "fp16"): "this GPU has no bfloat16, so float16 autocast with a gradient scaler",
        ("cpu", "bf16"): "this CPU has bfloat16 matrix units (AMX)",
        ("cpu", "fp32"): "this CPU has no bfloat16 matrix units, where bf16 would be emulated and slower",
        ("mps", "fp32"): "float32 on Apple GPUs (MPS)",
    }.get((kind, chosen), "the default")
    return f"{chosen} on {kind}: {why}"


def _check_resolved(device, precision) -> None:
    """A ``torch.device`` and a resolved precision (not "auto": see ``resolve_precision``)."""
    if not isinstance(device, torch.device):
        raise TypeError(f"device must be a torch.device (got {type(device).__name__}); see resolve_device")
    if not isinstance(precision, str) or precision not in PRECISIONS[1:]:
        raise ValueError(f"precision must be one of 'bf16', 'fp16', 'fp32' (got {precision!r:.40}); "
                         "see resolve_precision")


def autocast(device: torch.device, precision: str):
    """The forward pass in bf16 or fp16 autocast (matrix products and convolutions in 16 bits, reductions and
    the loss in float32), or plain float32."""
    _check_resolved(device, precision)
    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    return torch.autocast(device_type=device.type, dtype=dtype, enabled=precision in ("bf16", "fp16"))


def grad_scaler(device: torch.device, precision: str):
    """A gradient scaler, enabled only for float16 (whose small gradients would underflow)."""
    _check_resolved(device, precision)
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
