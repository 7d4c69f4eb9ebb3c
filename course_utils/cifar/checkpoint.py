"""Checkpoints that never run code and are never half-written.

- **Loading** uses ``torch.load(weights_only=True)`` only: tensors, numbers, strings, lists and dicts, never an
  arbitrary pickle. A file that cannot be read that way (a planted pickle, a truncated, empty or garbage file,
  or the weights of another architecture) is named in a warning, set aside as ``<name>.corrupt`` and the run
  trains from scratch.
- **Saving** writes to a unique temporary file in the same folder, flushes and fsyncs it, renames it over the
  checkpoint with ``os.replace`` (atomic) and fsyncs the folder. A failed save leaves no temporary file behind
  and the previous checkpoint intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from .._validate import check_callable, check_existing_file, check_instance, check_path, check_str
from .devices import resolve_device

__all__ = ["CheckpointWarning", "save_checkpoint", "load_checkpoint", "set_aside"]


class CheckpointWarning(UserWarning):
    """A checkpoint could not be used: it was set aside and the run starts from scratch."""


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - folders cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) to ``path`` atomically; return ``path``."""
    path = check_path(path, "path")
    check_instance(state, dict, "state")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)
    return path


def set_aside(path: str | os.PathLike, why: str) -> Path:
    """Rename a bad checkpoint to ``<name>.corrupt`` (``.corrupt.1``, ... if taken), warn, return the new path."""
    path = check_existing_file(path, "path")
    why = check_str(why, "why")
    target = path.with_name(path.name + ".corrupt")
    k = 0
    while target.exists():
        k += 1
        target = path.with_name(f"{path.name}.corrupt.{k}")
    os.replace(path, target)
    warnings.warn(f"the checkpoint {path} cannot be used ({why}); it was renamed to {target.name} and training "
                  "starts from scratch", CheckpointWarning, stacklevel=3)
    return target


def _shape_problem(model: nn.Module, weights) -> str | None:
    """Why ``weights`` do not fit ``model`` (missing, unexpected or differently shaped tensors), or None."""
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        return "it holds no model weights"
    own = model.state_dict()
    missing, extra = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
    if missing or extra:
        return f"its weights belong to another architecture (missing {missing[:3]}, unexpected {extra[:3]})"
    for k, v in own.items():
        if v.shape != weights[k].shape:
            return f"its weights belong to another architecture ({k}: {tuple(weights[k].shape)} vs {tuple(v.shape)})"
    return None


def _why(err: Exception) -> str:
    text = str(err).strip()
    if "weights only load failed" in text.lower() or "weights_only" in text:
        return ("it is not a plain weights file: loading it would build objects or run code from the file, "
                "which the course never does")
    first = text.splitlines()[0] if text else "unreadable"
    return f"{type(err).__name__}: {first}"[:300]


def load_checkpoint(path: str | os.PathLike, model: nn.Module, optimizer: torch.optim.Optimizer, *, device,
                    make_history):
    """Load a checkpoint written by ``save_checkpoint({"model", "optimizer", "history"})`` into ``model`` and
    ``optimizer`` and return ``make_history(**state["history"])``. A file that cannot be used is set aside
    (``set_aside``) and None is returned, with ``model`` and ``optimizer`` untouched."""
    path = check_existing_file(path, "path")
    check_instance(model, nn.Module, "model", "torch.nn.Module")
    check_instance(optimizer, torch.optim.Optimizer, "optimizer", "torch.optim.Optimizer")
    if device is None:
        raise TypeError("device must be a str or a torch.device (got NoneType)")
    device = resolve_device(device)
    check_callable(make_history, "make_history")
    try:
        with warnings.catch_warnings():  # torch's own notes about odd files: the warning below says it all
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=device, weights_only=True)
        if not isinstance(state, dict) or not {"model", "optimizer", "history"} <= set(state):
            raise ValueError("it is not a course checkpoint (no model, optimizer and history)")
        why = _shape_problem(model, state["model"])
        if why:
            raise ValueError(why)
        history = make_history(**state["history"])
        optimizer.load_state_dict(state["optimizer"])  # checks the groups before changing anything
        model.load_state_dict(state["model"])
    except Exception as err:  # noqa: BLE001 - any unreadable file is set aside, never trusted
        set_aside(path, _why(err))
        return None
    return history
