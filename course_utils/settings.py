"""Where things live and how fast to go: the course's one rule for each, read from the environment.

- **Fast mode**: the ``fast`` argument wins; else ``COURSE_FAST=1`` (also ``true``, ``yes``, ``on``).
- **Cache root**: ``$COURSE_CACHE``, else ``~/.cache/cross-entropy-course``.
- **CIFAR-10**: ``$CIFAR10_ROOT``, else ``<cache root>/cifar10``.
- **Checkpoints** (notebooks 07 and 08, and the benchmarks): ``$COURSE_CHECKPOINTS``, else
  ``<cache root>/checkpoints``.

Standard library only: the math floor and the CIFAR-10 wing both read it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["TRUE_WORDS", "env_flag", "fast_mode", "cache_root", "data_root", "checkpoint_root"]

#: The values of a yes/no environment variable that mean "yes" (any case, surrounding spaces ignored).
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to 1, true, yes or on."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (got {type(name).__name__})")
    return os.environ.get(name, "").strip().lower() in TRUE_WORDS


def fast_mode(fast: bool | None = None) -> bool:
    """Fast mode: ``fast`` if given, else ``COURSE_FAST`` from the environment."""
    if fast is None:
        return env_flag("COURSE_FAST")
    if not isinstance(fast, bool):
        raise TypeError(f"fast must be True, False or None (got {type(fast).__name__})")
    return fast


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """The course's cache folder: ``$COURSE_CACHE``, else ``~/.cache/cross-entropy-course``."""
    return _env_path("COURSE_CACHE") or Path.home() / ".cache" / "cross-entropy-course"


def data_root() -> Path:
    """The folder that holds (or will hold) ``cifar-10-batches-bin/``: ``$CIFAR10_ROOT``, else
    ``<cache root>/cifar10``."""
    return _env_path("CIFAR10_ROOT") or cache_root() / "cifar10"


def checkpoint_root() -> Path:
    """Where training checkpoints are kept: ``$COURSE_CHECKPOINTS``, else ``<cache root>/checkpoints``."""
    return _env_path("COURSE_CHECKPOINTS") or cache_root() / "checkpoints"
