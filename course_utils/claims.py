"""Claims: a sentence about a computed output, checked by the numbers beside it.

A notebook sentence that compares or judges a result ("the worst", "barely moves", "under-confident") sits
beside a cell like::

    claim("the over-confident model has the worst NLL",
          nll["logits × 3"] > max(nll["calibrated"], nll["class frequencies"]), **nll)

It prints ``✓ statement (numbers)``. When the numbers stop supporting the words, it raises
:class:`ClaimError`, which quotes the statement and the numbers, so the notebook (and CI) fails instead of a
wrong sentence reaching a learner. A claim that only the real CIFAR-10 run can support is marked
``full_only=True``: in fast mode (stand-in data) it prints "(checked in full mode only)" and checks nothing.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validate import check_flag
from .settings import fast_mode

__all__ = ["ClaimError", "claim"]


class ClaimError(AssertionError):
    """A sentence of the course that its own numbers no longer support."""


def _fmt(value) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0):
        x = float(value)
        return f"{x:.4g}" if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3) else f"{x:.4f}".rstrip("0").rstrip(".")
    return repr(value) if isinstance(value, str) else str(value)


def claim(statement: str, condition, *, full_only: bool = False, **numbers_) -> bool:
    """Check that ``condition`` holds for the sentence ``statement``; print ✓ with ``numbers_``, or raise
    :class:`ClaimError` quoting both. ``full_only``: the claim is about the real CIFAR-10 run, so fast mode
    skips it, and says so. Returns True when checked and true, False when skipped."""
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError("statement must be a non-empty str: the sentence the numbers support")
    check_flag(full_only, "full_only")
    if not isinstance(condition, bool | np.bool_):
        raise TypeError(f"condition must be a bool computed from the numbers (got {type(condition).__name__})")
    shown = ", ".join(f"{k} = {_fmt(v)}" for k, v in numbers_.items())
    tail = f" ({shown})" if shown else ""
    if full_only and fast_mode():
        print(f"○ {statement} (checked in full mode only){tail}")
        return False
    if not bool(condition):
        raise ClaimError(f"The sentence «{statement}» is not supported by its numbers{tail}.")
    print(f"✓ {statement}{tail}")
    return True
