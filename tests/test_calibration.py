"""course_utils.calibration: hand-computed cases, calibrated-by-construction data, temperature recovery,
PyTorch as the oracle for the NLL, laws checked by hypothesis, and clear errors at the door."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_utils.calibration import (
    ReliabilityBins,
    accuracy,
    apply_temperature,
    brier_score,
    calibration_metrics,
    expected_calibration_error,
    fit_temperature,
    maximum_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)

# Four samples, two classes, five bins [0,.2] (.2,.4] (.4,.6] (.6,.8] (.8,1].
# top conf: .9 (bin 4, right), .6 (bin 2, wrong: argmax 0, target 1), .7 (bin 3, right), .8 (bin 3, right)
P4 = [[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]]
Y4 = [0, 1, 1, 0]


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def calibrated_sample(n, c=10, scale=2.0, seed=0):
    """Logits z and labels drawn from softmax(z) itself: calibrated by construction."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, c)) * scale
    p = softmax(z)
    u = rng.random((n, 1))
    y = np.minimum((p.cumsum(axis=1) < u).sum(axis=1), c - 1)  # inverse-CDF sampling, one label per row
    return z, p, y


# ------------------------------------------------------------------------------------ hand-computed
def test_reliability_bins_by_hand():
    b = reliability_bins(P4, Y4, n_bins=5)
    assert isinstance(b, ReliabilityBins)
    np.testing.assert_allclose(b.edges, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_array_equal(b.count, [0, 0, 1, 2, 1])
    np.testing.assert_allclose(b.confidence[2:], [0.6, 0.75, 0.9])
    np.testing.assert_allclose(b.accuracy[2:], [0.0, 1.0, 1.0])
    assert np.isnan(b.confidence[:2]).all() and np.isnan(b.accuracy[:2]).all()  # empty bins: NaN, count 0
    np.testing.assert_allclose(b.gap[2:], [0.6, -0.25, -0.1])
    assert b.total == 4


def test_ece_mce_brier_nll_by_hand():
    # ECE = 1/4 * |0 - .6| + 2/4 * |1 - .75| + 1/4 * |1 - .9| = .15 + .125 + .025
    assert expected_calibration_error(P4, Y4, n_bins=5) == pytest.approx(0.3)
    assert maximum_calibration_error(P4, Y4, n_bins=5) == pytest.approx(0.6)
    # Brier per sample: 2*.1^2, 2*.6^2, 2*.3^2, 2*.2^2 = .02, .72, .18, .08
    np.testing.assert_allclose(brier_score(P4, Y4, reduction="none"), [0.02, 0.72, 0.18, 0.08])
    assert brier_score(P4, Y4) == pytest.approx(0.25)
    assert brier_score(P4, Y4, reduction="sum") == pytest.approx(1.0)
    expected_nll = -(math.log(0.9) + math.log(0.4) + math.log(0.7) + math.log(0.8)) / 4
    assert negative_log_likelihood(P4, Y4) == pytest.approx(expected_nll)
    assert accuracy(P4, Y4) == 0.75
    m = calibration_metrics(P4, Y4, n_bins=5)
    assert m == pytest.approx({"ece": 0.3, "mce": 0.6, "nll": expected_nll, "brier": 0.25, "accuracy": 0.75})


def test_bin_edges_are_closed_on_the_right():
    # 0.2 with 5 bins lies on an edge and belongs to the bin below, [0, 0.2]; 1.0 to the last bin.
    uniform5 = np.full((1, 5), 0.2)
    assert reliability_bins(uniform5, [0], n_bins=5).count.tolist() == [1, 0, 0, 0, 0]
    assert reliability_bins([[0.5, 0.5]], [0], n_bins=2).count.tolist() == [1, 0]
    assert reliability_bins([[1.0, 0.0]], [0], n_bins=2).count.tolist() == [0, 1]
    assert reliability_bins([[0.7, 0.3]], [0], n_bins=10).count.tolist() == [0] * 6 + [1] + [0] * 3
    assert reliability_bins([[0.71, 0.29]], [0], n_bins=10).count.tolist() == [0] * 7 + [1] + [0] * 2


def test_one_bin_ece_is_confidence_minus_accuracy():
    # With a single bin, ECE is |mean confidence - accuracy|.
    _, p, y = calibrated_sample(200, seed=1)
    ece = expected_calibration_error(p, y, n_bins=1)
    assert ece == pytest.approx(abs(p.max(axis=1).mean() - (p.argmax(axis=1) == y).mean()))


def test_accepts_lists_arrays_and_torch_tensors():
    expected = expected_calibration_error(P4, Y4, n_bins=5)
    as_np = expected_calibration_error(np.array(P4), np.array(Y4), n_bins=5)
    as_t = expected_calibration_error(torch.tensor(P4, dtype=torch.float64), torch.tensor(Y4), n_bins=5)
    assert as_np == expected and as_t == pytest.approx(expected, abs=1e-12)
    # float32 0.6 and 0.8 are 0.60000002 and 0.80000001: each crosses its edge into the bin above
    as_f32 = reliability_bins(torch.tensor(P4, dtype=torch.float32), torch.tensor(Y4), n_bins=5)
    assert as_f32.count.tolist() == [0, 0, 0, 2, 2]
    z = torch.randn(50, 10)
    probs32 = torch.softmax(z * 4, dim=1)  # float32 rows sum to 1 only within ~1e-7: still accepted
    assert 0 <= expected_calibration_error(probs32, torch.randint(0, 10, (50,))) <= 1


# --------------------------------------------------------------------------- calibrated by construction
def test_ece_near_zero_on_calibrated_data():
    _, p, y = calibrated_sample(20000, seed=0)
    assert expected_calibration_error(p, y) < 0.015
    # ...and clearly non-zero once the same logits are made over-confident.
    z, _, _ = calibrated_sample(20000, seed=0)
    assert expected_calibration_error(softmax(3 * z), y) > 0.15


def test_ece_can_be_gamed_but_proper_scores_cannot():
    # Balanced labels, a predictor that always says "uniform": perfectly calibrated (ECE = 0), useless.
    y = np.repeat(np.arange(10), 30)
    uniform = np.full((300, 10), 0.1)
    assert expected_calibration_error(uniform, y) == pytest.approx(0.0, abs=1e-12)
    z = np.eye(10)[y] * 2.0 + np.random.default_rng(0).normal(size=(300, 10))
    useful = softmax(z)  # informative, a little miscalibrated
    assert expected_calibration_error(useful, y) > 0
    assert negative_log_likelihood(useful, y) < negative_log_likelihood(uniform, y) == pytest.approx(math.log(10))
    assert brier_score(useful, y) < brier_score(uniform, y) == pytest.approx(0.9)


# ---------------------------------------------------------------------------------- PyTorch as oracle
def test_nll_matches_torch_cross_entropy():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 7, generator=gen, dtype=torch.float64) * 3
    targets = torch.randint(0, 7, (64,), generator=gen)
    expected = F.cross_entropy(logits, targets).item()
    assert negative_log_likelihood(torch.softmax(logits, dim=1), targets) == pytest.approx(expected, rel=1e-12)
    per = negative_log_likelihood(torch.softmax(logits, 1), targets, reduction="none")
    np.testing.assert_allclose(per, F.cross_entropy(logits, targets, reduction="none").numpy(), rtol=1e-12)
    for t in (0.5, 2.0):
        got = negative_log_likelihood(apply_temperature(logits, t), targets)
        assert got == pytest.approx(F.cross_entropy(logits / t, targets).item(), rel=1e-12)


def test_apply_temperature_matches_torch_softmax():
    logits = torch.randn(10, 5, dtype=torch.float64) * 5
    np.testing.assert_allclose(apply_temperature(logits, 1.7), torch.softmax(logits / 1.7, 1).numpy(), rtol=1e-12)
    big = apply_temperature([[1000.0, 0.0, -1000.0]], 1.0)  # no overflow
    np.testing.assert_allclose(big, [[1.0, 0.0, 0.0]])


def test_brier_matches_onehot_definition():
    _, p, y = calibrated_sample(100, c=4, seed=3)
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(brier_score(p, y, reduction="none"), ((p - onehot) ** 2).sum(1), atol=1e-12)


# -------------------------------------------------------------------------------- temperature scaling
@pytest.mark.parametrize("factor", [3.0, 0.5])
def test_fit_temperature_recovers_known_miscalibration(factor):
    z, _, y = calibrated_sample(20000, seed=2)
    t = fit_temperature(factor * z, y)  # over-confident (3x) or under-confident (0.5x) logits
    assert t == pytest.approx(factor, rel=0.05)
    m = calibration_metrics(apply_temperature(factor * z, t), y)
    assert m["ece"] < 0.015


def test_fit_temperature_minimises_nll_and_keeps_accuracy():
    z, _, y = calibrated_sample(2000, seed=4)
    z = 2.5 * z
    t = fit_temperature(z, y)
    nll = negative_log_likelihood(apply_temperature(z, t), y)
    for other in (t * 0.98, t * 1.02, 1.0, 10.0):
        assert nll <= negative_log_likelihood(apply_temperature(z, other), y)
    # the slope of the NLL at the fitted T is ~0 (checked against torch autograd)
    log_t = torch.tensor(math.log(t), dtype=torch.float64, requires_grad=True)
    F.cross_entropy(torch.tensor(z) / log_t.exp(), torch.tensor(y)).backward()
    assert abs(log_t.grad.item()) < 1e-8
    assert accuracy(apply_temperature(z, t), y) == accuracy(softmax(z), y)


def test_fit_temperature_at_the_bounds_warns():
    # Perfectly separated, all correct: the NLL keeps falling as T -> 0.
    z = np.array([[5.0, 0.0], [0.0, 5.0]])
    with pytest.warns(RuntimeWarning, match="perfectly separated"):
        assert fit_temperature(z, [0, 1]) == 0.01
    # Always wrong: the best one can do is flatten towards uniform, T -> inf.
    with pytest.warns(RuntimeWarning, match="little signal"):
        assert fit_temperature(z, [1, 0], bounds=(0.1, 50)) == 50.0


def test_fit_temperature_is_quiet_and_fast_on_ordinary_data():
    z, _, y = calibrated_sample(5000, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = fit_temperature(torch.tensor(1.5 * z, dtype=torch.float32), torch.tensor(y))
    assert t == pytest.approx(1.5, rel=0.08)


# ------------------------------------------------------------------------------------- laws (hypothesis)
@st.composite
def logits_and_targets(draw, max_n=40, max_c=6):
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(2, max_c))
    z = draw(arrays(np.float64, (n, c), elements=st.floats(-8, 8, allow_nan=False)))
    y = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return z, y


@settings(max_examples=60, deadline=None)
@given(logits_and_targets(), st.integers(1, 20))
def test_ece_laws(zy, n_bins):
    z, y = zy
    p = softmax(z)
    b = reliability_bins(p, y, n_bins)
    assert b.count.sum() == len(y)
    full = b.count > 0
    assert np.all((b.confidence[full] >= 1 / z.shape[1] - 1e-12) & (b.confidence[full] <= 1))
    assert np.all((b.confidence[full] > b.edges[:-1][full] - 1e-12) & (b.confidence[full] <= b.edges[1:][full] + 1e-12))
    ece, mce = expected_calibration_error(p, y, n_bins), maximum_calibration_error(p, y, n_bins)
    assert 0 <= ece <= mce + 1e-12 <= 1 + 1e-12
    assert 0 <= brier_score(p, y) <= 2


@settings(max_examples=60, deadline=None)
@given(logits_and_targets(), st.floats(0.05, 20))
def test_temperature_never_changes_the_prediction(zy, t):
    z, y = zy
    scaled = apply_temperature(z, t)
    np.testing.assert_allclose(scaled.sum(axis=1), 1.0, atol=1e-12)
    # argmax is unchanged (compare where the top logit is unique, so ties cannot flip)
    top2 = np.sort(z, axis=1)[:, -2:]
    unique = top2[:, 1] - top2[:, 0] > 1e-9
    assert np.array_equal(scaled.argmax(1)[unique], z.argmax(1)[unique])


@settings(max_examples=30, deadline=None)
@given(logits_and_targets(max_n=60))
def test_fitted_temperature_is_no_worse_than_t_equals_one(zy):
    z, y = zy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t = fit_temperature(z, y)
    assert 0.01 <= t <= 100
    assert negative_log_likelihood(apply_temperature(z, t), y) <= negative_log_likelihood(softmax(z), y) + 1e-9


# ------------------------------------------------------------------------------------------ the door
@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: reliability_bins([0.5, 0.5], [0]), ValueError, r"probs must have shape \(N, C\)"),
        (lambda: reliability_bins([[0.5, 0.4]], [0]), ValueError, "probs must sum to 1 along the last axis"),
        (lambda: reliability_bins([[1.2, -0.2]], [0]), ValueError, "probs must be non-negative"),
        (lambda: reliability_bins([[np.nan, 1.0]], [0]), ValueError, "probs contains NaN"),
        (lambda: reliability_bins(np.empty((0, 3)), []), ValueError, "probs must hold at least one sample"),
        (lambda: reliability_bins([[1.0]], [0]), ValueError, "at least 2 classes"),
        (lambda: reliability_bins(None, [0]), TypeError, "probs must be a number or an array"),
        (lambda: reliability_bins(P4, [0, 1]), ValueError, r"targets must be class indices of shape \(4,\)"),
        (lambda: reliability_bins(P4, [0, 1, 2, 0]), ValueError, "class index 2 out of range for 2 classes"),
        (lambda: reliability_bins(P4, [0, 1, -1, 0]), ValueError, "targets must be non-negative"),
        (lambda: reliability_bins(P4, [0, 1, 0.5, 0]), ValueError, "targets must be whole-number"),
        (lambda: reliability_bins(P4, Y4, n_bins=0), ValueError, "n_bins must be >= 1"),
        (lambda: reliability_bins(P4, Y4, n_bins=2.5), TypeError, "n_bins must be an int"),
        (lambda: expected_calibration_error(P4, Y4, n_bins=True), TypeError, "n_bins must be an int"),
        (lambda: brier_score(P4, Y4, reduction="avg"), ValueError, "reduction must be one of"),
        (lambda: negative_log_likelihood(P4, Y4, reduction="max"), ValueError, "reduction must be one of"),
        (lambda: apply_temperature([[1.0, 2.0]], 0), ValueError, "temperature must be > 0"),
        (lambda: apply_temperature([[1.0, 2.0]], -1.0), ValueError, "temperature must be > 0"),
        (lambda: apply_temperature([[1.0, 2.0]], "2"), TypeError, "temperature must be a real number"),
        (lambda: apply_temperature([[1.0, np.inf]], 1.0), ValueError, "logits must be finite"),
        (lambda: fit_temperature([[1.0, 2.0]], [0, 1]), ValueError, r"targets must be class indices of shape"),
        (lambda: fit_temperature([[1.0, 2.0]], [0], bounds=(2, 1)), ValueError, "t_min < t_max"),
        (lambda: fit_temperature([[1.0, 2.0]], [0], bounds=(0, 1)), ValueError, r"bounds\[0\] must be > 0"),
        (lambda: fit_temperature([[1.0, 2.0]], [0], bounds=3), TypeError, "bounds must be a pair"),
        (lambda: fit_temperature(["a", "b"], [0]), TypeError, "logits must contain numbers"),
    ],
)
def test_bad_input_gets_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_cuda_tensors_are_refused_with_advice():
    class FakeDevice:
        type = "cuda"

        def __str__(self):
            return "cuda:0"

    class FakeCuda:  # looks like a torch tensor on a GPU, without needing one
        __module__ = "torch"
        device = FakeDevice()

    with pytest.raises(TypeError, match=r"call \.cpu\(\) first"):
        reliability_bins(FakeCuda(), [0])
