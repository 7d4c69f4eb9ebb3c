"""Every loss in course_utils.losses equals its torch.nn.functional twin in float64 (rtol 1e-7),
for every reduction, on random inputs and at the extremes: logits of ±1e4, probabilities of exactly 0 and 1."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import losses as L

REDUCTIONS = ["mean", "sum", "none"]
RTOL = 1e-7


def t(x):
    return torch.as_tensor(np.asarray(x), dtype=torch.float64)


def ti(x):
    return torch.as_tensor(np.asarray(x), dtype=torch.int64)


def assert_twin(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape
    assert np.all(np.isfinite(ours)) or np.array_equal(np.isinf(ours), np.isinf(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=0)


def extreme_logits(rng, n=6, c=5):
    z = rng.normal(scale=4.0, size=(n, c))
    z[0, 0], z[1, 1], z[2, :] = 1e4, -1e4, [1e4, -1e4, 0.0, 1e4 - 1, -3.0][:c]
    return z


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_activations_equal_torch_and_stay_finite(rng, scale):
    z = rng.normal(size=(7, 5)) * scale
    z[0, 0], z[0, 1] = 1e4, -1e4
    assert_twin(L.sigmoid(z), torch.sigmoid(t(z)))
    assert_twin(L.softmax(z), torch.softmax(t(z), dim=-1))
    assert_twin(L.softmax(z, axis=0), torch.softmax(t(z), dim=0))
    assert_twin(L.log_softmax(z), F.log_softmax(t(z), dim=-1))
    for out in (L.sigmoid(z), L.softmax(z), L.log_softmax(z)):
        assert np.all(np.isfinite(out))
    np.testing.assert_allclose(L.softmax(z).sum(-1), 1.0, rtol=1e-12)


def test_sigmoid_exact_at_extremes():
    assert L.sigmoid(1e4) == 1.0 and L.sigmoid(-1e4) == 0.0 and L.sigmoid(0.0) == 0.5


def test_softmax_accepts_lists_and_tensors():
    np.testing.assert_allclose(L.softmax([0.0, 0.0]), [0.5, 0.5])
    np.testing.assert_allclose(L.softmax(torch.tensor([1.0, 1.0])), [0.5, 0.5])


# ---------------------------------------------------------------- binary losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_equals_torch(rng, reduction, weighted):
    probs = rng.uniform(size=(6, 4))
    probs[0] = [0.0, 1.0, 0.0, 1.0]  # exactly 0 and 1, right and wrong: torch's -100 clamp
    targets = (rng.uniform(size=(6, 4)) > 0.5).astype(float)
    targets[0] = [0.0, 1.0, 1.0, 0.0]
    targets[1] = rng.uniform(size=4)  # soft targets are allowed, as in torch
    weight = rng.uniform(0.5, 2.0, size=4) if weighted else None
    ours = L.binary_cross_entropy(probs, targets, weight=weight, reduction=reduction)
    theirs = F.binary_cross_entropy(t(probs), t(targets), weight=None if weight is None else t(weight),
                                    reduction=reduction)
    assert_twin(ours, theirs)


def test_binary_cross_entropy_clamp_gives_exactly_100():
    assert L.binary_cross_entropy([0.0], [1.0]) == 100.0
    assert L.binary_cross_entropy([1.0], [0.0]) == 100.0
    assert L.binary_cross_entropy([1.0], [1.0]) == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_equals_torch(rng, reduction, weighted, pos_weighted):
    logits = extreme_logits(rng)
    targets = (rng.uniform(size=logits.shape) > 0.5).astype(float)
    targets[3] = rng.uniform(size=logits.shape[1])
    weight = rng.uniform(0.5, 2.0, size=logits.shape[1]) if weighted else None
    pos_weight = rng.uniform(0.1, 10.0, size=logits.shape[1]) if pos_weighted else None
    ours = L.binary_cross_entropy_with_logits(logits, targets, weight=weight, pos_weight=pos_weight,
                                              reduction=reduction)
    theirs = F.binary_cross_entropy_with_logits(
        t(logits), t(targets), weight=None if weight is None else t(weight),
        pos_weight=None if pos_weight is None else t(pos_weight), reduction=reduction)
    assert_twin(ours, theirs)


def test_bce_with_logits_is_exact_where_probabilities_saturate():
    # σ(±1e4) rounds to 1 / 0, so BCE on probabilities hits the clamp; from logits the loss is exact.
    assert L.binary_cross_entropy_with_logits([-1e4], [1.0]) == 1e4
    assert L.binary_cross_entropy_with_logits([1e4], [1.0]) == 0.0


# ---------------------------------------------------------------- categorical losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
def test_cce_index_targets_equal_torch(rng, reduction, weighted, label_smoothing):
    logits = extreme_logits(rng)
    targets = np.array([0, 0, 1, 4, 2, 3])
    weight = rng.uniform(0.2, 3.0, size=logits.shape[1]) if weighted else None
    ours = L.categorical_cross_entropy(logits, targets, weight=weight, label_smoothing=label_smoothing,
                                       reduction=reduction)
    theirs = F.cross_entropy(t(logits), ti(targets), weight=None if weight is None else t(weight),
                             label_smoothing=label_smoothing, reduction=reduction)
    assert_twin(ours, theirs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cce_probability_targets_equal_torch(rng, reduction, weighted, label_smoothing):
    logits = extreme_logits(rng)
    targets = L.softmax(rng.normal(size=logits.shape) * 2)
    targets[0] = [1.0, 0.0, 0.0, 0.0, 0.0]  # one-hot rows, with exact zeros
    weight = rng.uniform(0.2, 3.0, size=logits.shape[1]) if weighted else None
    ours = L.categorical_cross_entropy(logits, targets, weight=weight, label_smoothing=label_smoothing,
                                       reduction=reduction)
    theirs = F.cross_entropy(t(logits), t(targets), weight=None if weight is None else t(weight),
                             label_smoothing=label_smoothing, reduction=reduction)
    assert_twin(ours, theirs)


def test_cce_unbatched_equals_torch():
    z = np.array([2.0, -1.0, 0.5])
    assert_twin(L.categorical_cross_entropy(z, 2), F.cross_entropy(t(z), torch.tensor(2)))
    assert_twin(L.categorical_cross_entropy(z, 2, label_smoothing=0.3),
                F.cross_entropy(t(z), torch.tensor(2), label_smoothing=0.3))


def test_weighted_mean_divides_by_the_weights_of_the_targets():
    logits = np.zeros((2, 2))
    w = np.array([1.0, 3.0])
    # both losses are ln 2; the weighted mean is (1·ln2 + 3·ln2) / (1 + 3) = ln 2, not 4 ln2 / 2
    np.testing.assert_allclose(L.categorical_cross_entropy(logits, [0, 1], weight=w), np.log(2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_equals_torch(rng, reduction, weighted):
    logits = extreme_logits(rng)
    log_probs = L.log_softmax(logits)
    targets = np.array([1, 0, 2, 4, 3, 3])
    weight = rng.uniform(0.2, 3.0, size=logits.shape[1]) if weighted else None
    ours = L.nll_loss(log_probs, targets, weight=weight, reduction=reduction)
    theirs = F.nll_loss(t(log_probs), ti(targets), weight=None if weight is None else t(weight),
                        reduction=reduction)
    assert_twin(ours, theirs)


def test_log_softmax_then_nll_is_cross_entropy(rng):
    z = rng.normal(size=(5, 3))
    y = np.array([0, 2, 1, 1, 0])
    np.testing.assert_allclose(L.nll_loss(L.log_softmax(z), y), L.categorical_cross_entropy(z, y), rtol=1e-12)


# ---------------------------------------------------------------- other losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_equals_torch(rng, reduction):
    x, y = rng.normal(size=(4, 3)) * 100, rng.normal(size=(4, 3))
    assert_twin(L.mse_loss(x, y, reduction=reduction), F.mse_loss(t(x), t(y), reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5, 3.0])
def test_multiclass_hinge_equals_torch(rng, reduction, margin):
    scores = extreme_logits(rng)
    targets = np.array([0, 1, 2, 3, 4, 0])
    assert_twin(L.multiclass_hinge_loss(scores, targets, margin=margin, reduction=reduction),
                F.multi_margin_loss(t(scores), ti(targets), margin=margin, reduction=reduction))


def test_hinge_is_zero_beyond_the_margin():
    assert L.multiclass_hinge_loss([[5.0, 0.0, 3.9]], [0]) == 0.0


# ---------------------------------------------------------------- focal losses
def torchvision_sigmoid_focal_loss(inputs, targets, alpha, gamma, reduction):
    """The definition in torchvision.ops.sigmoid_focal_loss (Lin et al. 2017), written out in torch."""
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [0.25, 0.9, -1.0])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
def test_sigmoid_focal_equals_torchvision_definition(rng, reduction, alpha, gamma):
    logits = rng.normal(scale=3.0, size=(6, 4))  # (1 - p_t) computed naively is accurate at this scale
    targets = (rng.uniform(size=logits.shape) > 0.5).astype(float)
    ours = L.sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma, reduction=reduction)
    assert_twin(ours, torchvision_sigmoid_focal_loss(t(logits), t(targets), alpha, gamma, reduction))


def test_sigmoid_focal_at_extreme_logits_is_finite_and_matches_limits():
    logits = np.array([1e4, -1e4, 1e4, -1e4])
    targets = np.array([1.0, 0.0, 0.0, 1.0])
    out = L.sigmoid_focal_loss(logits, targets, alpha=-1, gamma=2.0, reduction="none")
    # right and confident: (1 - p_t)^γ CE = 0; wrong and confident: (1 - p_t) = 1, CE = 1e4
    np.testing.assert_array_equal(out, [0.0, 0.0, 1e4, 1e4])
    ref = torchvision_sigmoid_focal_loss(t(logits), t(targets), -1, 2.0, "none")
    assert_twin(out, ref)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_focal_gamma0_no_alpha_is_bce_with_logits(rng, reduction):
    logits = extreme_logits(rng)
    targets = (rng.uniform(size=logits.shape) > 0.5).astype(float)
    assert_twin(L.sigmoid_focal_loss(logits, targets, alpha=-1, gamma=0.0, reduction=reduction),
                F.binary_cross_entropy_with_logits(t(logits), t(targets), reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 3.5])
def test_focal_loss_equals_torch_expression(rng, reduction, gamma):
    logits = extreme_logits(rng)
    targets = np.array([0, 1, 1, 2, 3, 4])
    z = t(logits)
    logp_y = F.log_softmax(z, dim=-1).gather(1, ti(targets)[:, None])[:, 0]
    ref = -(-torch.expm1(logp_y)) ** gamma * logp_y
    ref = {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[reduction]
    assert_twin(L.focal_loss(logits, targets, gamma=gamma, reduction=reduction), ref)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_gamma0_is_cross_entropy(rng, reduction):
    logits = extreme_logits(rng)
    targets = np.array([0, 1, 1, 2, 3, 4])
    assert_twin(L.focal_loss(logits, targets, gamma=0.0, reduction=reduction),
                F.cross_entropy(t(logits), ti(targets), reduction=reduction))


# ---------------------------------------------------------------- laws
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=20), st.lists(st.integers(0, 1), min_size=1, max_size=20))
def test_two_class_cce_is_bce_on_the_logit_difference(zs, ys):
    n = min(len(zs), len(ys))
    z = np.array(zs[:n])
    y = np.array(ys[:n])
    logits2 = np.stack([np.zeros(n), z], axis=1)  # logit difference z1 - z0 = z
    cce = L.categorical_cross_entropy(logits2, y, reduction="none")
    bce = L.binary_cross_entropy_with_logits(z, y.astype(float), reduction="none")
    np.testing.assert_allclose(cce, bce, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=8), st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant_and_normalised(zs, shift):
    z = np.array(zs)
    np.testing.assert_allclose(L.softmax(z), L.softmax(z + shift), rtol=1e-6, atol=1e-12)
    assert abs(L.softmax(z).sum() - 1) < 1e-12


def test_inputs_can_be_torch_tensors_lists_and_float32():
    z = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float32)
    a = L.categorical_cross_entropy(z, torch.tensor([2]))
    b = L.categorical_cross_entropy([[1.0, 2.0, 3.0]], [2])
    assert isinstance(a, np.floating) and a == pytest.approx(b, rel=1e-12)
