"""Bad input raises ValueError or TypeError with a message that names the argument and what was wrong."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from course_utils import grads as G
from course_utils import info
from course_utils import losses as L

Z = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
Y = [2, 0]

CASES = [
    # probabilities outside [0, 1]
    (lambda: info.surprisal(1.5), ValueError, "p must lie in [0, 1] (got 1.5)"),
    (lambda: info.binary_entropy([-0.1, 0.5]), ValueError, "p must lie in [0, 1] (got -0.1)"),
    (lambda: L.binary_cross_entropy([0.5, 1.2], [1, 0]), ValueError, "probs must lie in [0, 1] (got 1.2)"),
    (lambda: L.binary_cross_entropy([0.5], [2.0]), ValueError, "targets must lie in [0, 1] (got 2)"),
    (lambda: G.bce_grad_prob([1.01], [1.0]), ValueError, "probs must lie in [0, 1]"),
    # distributions that don't sum to 1, negative entries
    (lambda: info.entropy([0.5, 0.43]), ValueError, "p must sum to 1 along the last axis (got 0.93)"),
    (lambda: info.cross_entropy([0.5, 0.5], [0.5, 0.6]), ValueError, "q must sum to 1 along the last axis (got 1.1)"),
    (lambda: info.kl_divergence([1.5, -0.5], [0.5, 0.5]), ValueError, "p must be non-negative (got -0.5)"),
    (lambda: info.entropy([0.5, 0.5 + 2e-6]), ValueError, "p must sum to 1"),
    # NaN
    (lambda: info.entropy([np.nan, 1.0]), ValueError, "p contains NaN"),
    (lambda: L.softmax([1.0, np.nan]), ValueError, "z contains NaN"),
    (lambda: L.categorical_cross_entropy([[np.nan, 0.0]], [0]), ValueError, "logits contains NaN"),
    (lambda: L.sigmoid([np.inf]), ValueError, "z must be finite (got inf)"),
    (lambda: G.bce_grad_logit([np.nan], [1.0]), ValueError, "logits contains NaN"),
    # shape and batch mismatches
    (lambda: info.cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5]), ValueError,
     "p and q must have the same shape (got (2,) and (3,))"),
    (lambda: L.binary_cross_entropy([0.5, 0.5], [1.0]), ValueError,
     "probs and targets must have the same shape (got (2,) and (1,))"),
    (lambda: L.categorical_cross_entropy(Z, [0, 1, 2]), ValueError,
     "targets must have shape (2,) to match input of shape (2, 3) (got shape (3,))"),
    (lambda: L.categorical_cross_entropy(np.zeros((2, 3, 4)), [0, 1]), ValueError,
     "logits must have shape (C,) or (N, C) (got shape (2, 3, 4))"),
    (lambda: L.mse_loss([1.0, 2.0], [1.0]), ValueError, "input and target must have the same shape"),
    # class indices out of range, negative, fractional
    (lambda: L.categorical_cross_entropy(Z, [3, 0]), ValueError,
     "targets has a class index 3 out of range for 3 classes (valid: 0..2)"),
    (lambda: L.nll_loss(L.log_softmax(Z), [-1, 0]), ValueError, "targets must be non-negative class indices (got -1)"),
    (lambda: L.categorical_cross_entropy(Z, [0.5, 1.0]), ValueError,
     "targets must be whole-number class indices (got a fractional value)"),
    (lambda: L.multiclass_hinge_loss(Z, [0, 7]), ValueError, "targets has a class index 7 out of range"),
    (lambda: L.focal_loss(Z, [True, False]), TypeError, "targets must be integer class indices (got booleans)"),
    # soft targets that are not distributions
    (lambda: L.categorical_cross_entropy(Z, [[0.5, 0.5, 0.5], [1.0, 0.0, 0.0]]), ValueError,
     "targets must sum to 1 along the last axis (got 1.5)"),
    (lambda: L.categorical_cross_entropy(Z, [[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]), ValueError,
     "targets must be non-negative (got -0.5)"),
    (lambda: G.cce_grad_logits(Z, [[0.2, 0.2, 0.2], [1.0, 0.0, 0.0]]), ValueError, "targets must sum to 1"),
    # label_smoothing outside [0, 1], gamma < 0
    (lambda: L.categorical_cross_entropy(Z, Y, label_smoothing=1.5), ValueError,
     "label_smoothing must be <= 1 (got 1.5)"),
    (lambda: L.categorical_cross_entropy(Z, Y, label_smoothing=-0.1), ValueError,
     "label_smoothing must be >= 0 (got -0.1)"),
    (lambda: G.cce_grad_logits(Z, Y, label_smoothing=2), ValueError, "label_smoothing must be <= 1"),
    (lambda: L.focal_loss(Z, Y, gamma=-1), ValueError, "gamma must be >= 0 (got -1)"),
    (lambda: L.sigmoid_focal_loss([0.0], [1.0], gamma=-0.5), ValueError, "gamma must be >= 0 (got -0.5)"),
    (lambda: G.focal_grad_logit([0.0], [1.0], gamma=-2), ValueError, "gamma must be >= 0"),
    (lambda: L.sigmoid_focal_loss([0.0], [1.0], alpha=1.5), ValueError, "alpha must be <= 1"),
    (lambda: L.focal_loss(Z, Y, gamma="2"), TypeError, "gamma must be a real number (got str)"),
    # base <= 0 or == 1
    (lambda: info.entropy([0.5, 0.5], base=1), ValueError, "base must be a positive number other than 1 (got 1)"),
    (lambda: info.surprisal(0.5, base=0), ValueError, "base must be a positive number other than 1 (got 0)"),
    (lambda: info.kl_divergence([1.0], [1.0], base=-2), ValueError, "base must be a positive number other than 1"),
    (lambda: info.entropy([1.0], base="e"), TypeError, "base must be a real number (got str)"),
    # unknown reduction
    (lambda: L.mse_loss([1.0], [1.0], reduction="avg"), ValueError,
     "reduction must be one of 'mean', 'sum', 'none' (got 'avg')"),
    (lambda: L.categorical_cross_entropy(Z, Y, reduction=None), ValueError, "reduction must be one of"),
    # weight of the wrong length
    (lambda: L.categorical_cross_entropy(Z, Y, weight=[1.0, 2.0]), ValueError,
     "weight must be a 1-D array of length 3 (got shape (2,))"),
    (lambda: L.nll_loss(L.log_softmax(Z), Y, weight=[1.0, -1.0, 1.0]), ValueError, "weight must be non-negative"),
    (lambda: L.binary_cross_entropy_with_logits([[0.0, 1.0]], [[1.0, 0.0]], pos_weight=[1.0, 2.0, 3.0]), ValueError,
     "pos_weight of shape (3,) cannot be broadcast to the shape of logits (1, 2)"),
    # non-numeric input
    (lambda: info.entropy("abc"), TypeError, "p must be a number or an array of numbers (got str)"),
    (lambda: L.softmax(["a", "b"]), TypeError, "z must contain numbers (got dtype <U1)"),
    (lambda: L.categorical_cross_entropy(None, Y), TypeError,
     "logits must be a number or an array of numbers (got None)"),
    (lambda: info.entropy([[0.5, 0.5], [1.0]]), ValueError, "p must be a rectangular array of numbers"),
    (lambda: L.sigmoid([1 + 2j]), TypeError, "z must be real-valued"),
    # log-probabilities > 0 in nll_loss
    (lambda: L.nll_loss(Z, Y), ValueError, "log_probs must be log-probabilities, all <= 0 (got 3)"),
    # empty input
    (lambda: L.mse_loss([], []), ValueError, "input must not be empty"),
    (lambda: L.categorical_cross_entropy(np.zeros((0, 3)), []), ValueError, "logits must not be empty"),
    (lambda: info.entropy([]), ValueError, "p must have at least one outcome"),
    # softmax axis
    (lambda: L.softmax(Z, axis=2), ValueError, "axis 2 is out of range for z with 2 dimension(s)"),
    (lambda: L.softmax(Z, axis=0.5), TypeError, "axis must be an int (got float)"),
]


@pytest.mark.parametrize("call, error, message", CASES, ids=[c[2][:50] for c in CASES])
def test_bad_input_is_named_and_explained(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_no_silent_nan_at_extremes():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    outs = [
        L.categorical_cross_entropy(z, [1, 2], reduction="none"),
        L.categorical_cross_entropy(z, [1, 2], label_smoothing=0.1, reduction="none"),
        L.focal_loss(z, [1, 2], reduction="none"),
        L.multiclass_hinge_loss(z, [1, 2], reduction="none"),
        L.binary_cross_entropy_with_logits(z, np.ones_like(z), reduction="none"),
        L.binary_cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]), reduction="none"),
        G.cce_grad_logits(z, [1, 2]),
        G.focal_grad_logit(z, np.zeros_like(z), gamma=0.5),
        G.bce_grad_prob([0.0, 1.0], [1.0, 0.0]),
    ]
    for out in outs:
        assert not np.isnan(out).any()


def test_tensors_off_the_cpu_are_refused_with_a_hint():
    off_cpu = torch.empty(2, device="meta")  # any non-CPU device takes the same path as CUDA or MPS
    with pytest.raises(TypeError, match=re.escape("p must be a CPU tensor (got a tensor on meta); call .cpu() first")):
        info.entropy(off_cpu)


# --- issue 13: every door (the fuzz suite, tests/test_fuzz.py, sweeps all of them; these pin the messages) ---
def _explorer_cases():
    from course_utils import widgets as W

    return [
        (lambda: W.temperature_explorer(Z, Y, n_bins=50), ValueError,
         "n_bins must be between 1 and 30, the range of its slider (got 50)"),
        (lambda: W.temperature_explorer(Z, Y, temperature=20.0), ValueError,
         "temperature must be between 0.1 and 10, the range of its slider"),
        (lambda: W.binary_explorer(q=0.0002), ValueError, f"q must be between {W.Q_MIN:g} and {W.Q_MAX:g}"),
        (lambda: W.softmax_values(["a", "b"]), TypeError, "logits must contain numbers"),
        (lambda: W.softmax_values([1.0, 2.0], target=-1), ValueError, "target must be >= 0"),
    ]


DOORS = [
    # silent NaN or inf
    (lambda: L.categorical_cross_entropy(Z, Y, weight=[0.0, 1.0, 0.0]), ValueError,
     "weight sums to 0 over this batch's targets"),
    (lambda: L.nll_loss(L.log_softmax(Z), Y, weight=[0.0, 1.0, 0.0]), ValueError, "weight sums to 0"),
    (lambda: L.categorical_cross_entropy([[1e308, -1e308]], [1]), ValueError, "logits too large"),
    (lambda: L.mse_loss([1e200], [0.0]), ValueError, "input and target too large"),
    (lambda: L.focal_loss(Z, Y, gamma=1000), ValueError, "gamma must be <= 100"),
    # silent acceptance
    (lambda: L.binary_cross_entropy([0.5], [1.0], weight=[-1.0]), ValueError, "weight must be non-negative"),
    (lambda: L.binary_cross_entropy_with_logits([0.5], [1.0], weight=[-1.0]), ValueError,
     "weight must be non-negative"),
    (lambda: L.sigmoid(True), TypeError, "z must be a number or an array of numbers (got bool)"),
    (lambda: L.softmax(Z, axis=np.array(["a"])), TypeError, "axis must be an int"),
    (lambda: L.mse_loss([1.0], [1.0], reduction=np.array(["a", "b"])), ValueError, "reduction must be one of"),
    # seeds and flags
    (lambda: __import__("course_utils").seed_everything(1.5), TypeError, "seed must be an int (got float)"),
    (lambda: __import__("course_utils").seed_everything("3"), TypeError, "seed must be an int (got str)"),
    (lambda: __import__("course_utils").seed_everything(2**40), ValueError, "seed must be >= 0 and <= 4294967295"),
    (lambda: __import__("course_utils").setup(quiet="no"), TypeError, "quiet must be True or False (got str)"),
    # messages name the real argument
    (lambda: __import__("course_utils.kl_fitting").kl_fitting.grid_bimodal(np.linspace(-3, 3, 7), mu1=None),
     TypeError, "mu1 must be a real number"),
]


@pytest.mark.parametrize("call, error, message", DOORS, ids=[c[2][:50] for c in DOORS])
def test_every_door_names_the_argument(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_explorers_refuse_values_outside_their_sliders():
    for call, error, message in _explorer_cases():
        with pytest.raises(error, match=re.escape(message)):
            call()


def test_plots_check_axes_and_flags_at_the_door():
    from course_utils import calibration, plots

    bins = calibration.reliability_bins([[0.7, 0.3], [0.2, 0.8]], [0, 1], n_bins=5)
    with pytest.raises(TypeError, match=re.escape("ax must be a matplotlib Axes or None (got str)")):
        plots.plot_reliability_diagram(bins, ax="left")
    with pytest.raises(TypeError, match=re.escape("show_ece must be True or False (got str)")):
        plots.plot_reliability_diagram(bins, show_ece="no")
    with pytest.raises(TypeError, match=re.escape("axes must be 2 matplotlib Axes or None")):
        plots.plot_fit_history(__import__("types").SimpleNamespace(
            epoch=[], train_loss=[], test_loss=[], step_loss=[], recipe="x"), axes=[1, 2])


def test_gaussian_fits_stay_finite_at_extreme_mu_and_sigma():
    from course_utils import kl_fitting

    x = np.linspace(-3, 3, 7)
    for mu, sigma in ((1e300, 1.0), (0.0, 1e-300), (-1e300, 1e-300), (0.0, 1e300)):
        q = kl_fitting.grid_gaussian(x, mu, sigma)
        assert np.isfinite(q).all() and np.isclose(q.sum(), 1.0)
