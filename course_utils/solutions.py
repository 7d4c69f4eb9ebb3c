"""Reference solutions to the course's exercises, one function per exercise, named as in the notebooks.

``show_solution(name)`` prints one of them; a test proves that each passes its check.
"""

from __future__ import annotations

import numpy as np


# --- 01 surprisal and entropy ---
def binary_entropy(p):
    """Entropy of a coin with P(heads) = p, in bits. Define 0 log 0 = 0."""
    p = np.asarray(p, dtype=float)
    terms = [np.where(x > 0, -x * np.log2(np.where(x > 0, x, 1.0)), 0.0) for x in (p, 1 - p)]
    return terms[0] + terms[1]


# --- 02 cross-entropy and KL ---

# --- 03 binary cross-entropy ---

# --- 04 softmax and categorical cross-entropy ---

# --- 05 gradients: CE vs MSE ---

# --- 06 the loss family ---

# --- 07 training a CIFAR-10 CNN ---

# --- 08 calibration ---
