"""Shared test set-up. Tests never need the network or the real CIFAR-10."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # no screen in tests

# --- notebooks ---
