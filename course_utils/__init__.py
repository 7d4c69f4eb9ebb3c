"""course_utils: the helper package of the cross-entropy course.

A notebook starts with ``course_utils.setup()``: it applies the course's figure style, seeds the random
number generators, picks a device and reports whether fast mode (``COURSE_FAST=1``) is on.
"""

from __future__ import annotations

import random

from . import settings

__version__ = "0.2.0"

__all__ = ["FAST", "pick_device", "seed_everything", "setup"]

#: Fast mode at import (``settings.fast_mode``): ``COURSE_FAST=1`` shrinks the CIFAR-10 work to seconds (used by CI).
FAST: bool = settings.fast_mode()


def pick_device() -> str:
    """The best available torch device: ``"cuda"`` > ``"mps"`` > ``"cpu"`` (``cifar.devices.best_device``)."""
    from .cifar.devices import best_device

    return best_device()


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's random number generators."""
    import numpy as np

    from ._validate import check_seed

    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - learners also call the legacy np.random functions
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a core dependency
        return
    torch.manual_seed(seed)


def setup(*, projector: bool | None = None, seed: int = 0, quiet: bool = False) -> dict:
    """Prepare a notebook: figure style (projector mode from the argument or ``COURSE_PROJECTOR=1``),
    seeds, device and fast mode. Returns what it set, as a dict, and prints one line unless ``quiet``."""
    from . import plots
    from ._validate import check_flag, check_optional_flag, check_seed

    projector = check_optional_flag(projector, "projector")
    check_seed(seed)
    check_flag(quiet, "quiet")
    if projector is None:
        projector = settings.env_flag("COURSE_PROJECTOR")
    if not isinstance(projector, bool):
        raise TypeError(f"projector must be True, False or None (got {type(projector).__name__})")
    plots.use_style(projector=projector)
    seed_everything(seed)
    state = {
        "version": __version__,
        "fast": FAST,
        "projector": projector,
        "seed": seed,
        "device": pick_device(),
    }
    if not quiet:
        mode = "fast mode (COURSE_FAST=1)" if FAST else "full mode"
        print(
            f"course_utils {__version__} · {mode} · device {state['device']} · seed {seed}"
            + (" · projector style" if projector else "")
        )
    return state
