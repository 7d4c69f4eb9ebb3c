"""Each hand-derived gradient in course_utils.grads equals autograd: the per-sample derivative of the
loss under reduction='none', at random points and at logits of ±1e4 and probabilities of 0 and 1."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import grads as G

EXTREME = np.array([-1e4, -50.0, -3.0, -0.1, 0.0, 0.2, 4.0, 50.0, 1e4])


def autograd(fn, x):
    """Gradient of sum(fn(x)) at x, which is the per-sample derivative for an elementwise loss."""
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    fn(xt).sum().backward()
    return xt.grad.numpy()


def test_bce_grad_prob_equals_autograd_including_0_and_1():
    probs = np.array([0.0, 1e-9, 0.3, 0.5, 0.99, 1.0, 0.0, 1.0, 0.7])
    targets = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.25])
    ours = G.bce_grad_prob(probs, targets)
    theirs = autograd(lambda p: F.binary_cross_entropy(p, torch.tensor(targets), reduction="none"), probs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7)
    assert np.all(np.isfinite(ours))


@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_grad_logit_is_sigma_minus_y(y):
    targets = np.full(EXTREME.shape, y)
    ours = G.bce_grad_logit(EXTREME, targets)
    theirs = autograd(lambda z: F.binary_cross_entropy_with_logits(z, torch.tensor(targets), reduction="none"),
                      EXTREME)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-300)


@pytest.mark.parametrize("y", [0.0, 1.0, 0.6])
def test_mse_grad_logit_equals_autograd(y):
    targets = np.full(EXTREME.shape, y)
    ours = G.mse_grad_logit(EXTREME, targets)
    theirs = autograd(lambda z: (torch.sigmoid(z) - torch.tensor(targets)) ** 2, EXTREME)
    # autograd multiplies by σ(1 - σ) with σ(50) rounded to 1, giving 0 where the exact value is ~4e-22;
    # ours uses σ(z)σ(-z) and keeps it. Gradients here are at most 0.3, so atol 1e-15 is a tight check.
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-15)


def test_mse_gradient_saturates_when_confidently_wrong():
    # z = -10 with y = 1: CE's gradient is almost -1, MSE's almost 0
    assert G.bce_grad_logit([-10.0], [1.0])[0] == pytest.approx(-1.0, abs=1e-4)
    assert abs(G.mse_grad_logit([-10.0], [1.0])[0]) < 1e-4


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("soft", [False, True])
def test_cce_grad_logits_equals_autograd(label_smoothing, soft):
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=3.0, size=(6, 4))
    logits[0] = [1e4, -1e4, 0.0, 1e4]
    logits[1] = [-1e4, -1e4, -1e4, 1e4]
    if soft:
        targets = rng.dirichlet(np.ones(4), size=6)
        tt = torch.tensor(targets)
    else:
        targets = np.array([0, 0, 1, 2, 3, 1])
        tt = torch.tensor(targets)
    ours = G.cce_grad_logits(logits, targets, label_smoothing=label_smoothing)
    theirs = autograd(lambda z: F.cross_entropy(z, tt, label_smoothing=label_smoothing, reduction="none"), logits)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-15)


def sigmoid_focal_torch(z, y, alpha, gamma):
    """Lin et al.'s focal loss in torch, with 1 - p_t written stably, for autograd."""
    ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    one_minus_pt = y * torch.sigmoid(-z) + (1 - y) * torch.sigmoid(z)
    loss = ce * one_minus_pt**gamma
    if alpha >= 0:
        loss = loss * (alpha * y + (1 - alpha) * (1 - y))
    return loss


@pytest.mark.parametrize("alpha", [0.25, -1.0])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_focal_grad_logit_equals_autograd(alpha, gamma, y):
    targets = np.full(EXTREME.shape, y)
    ours = G.focal_grad_logit(EXTREME, targets, alpha=alpha, gamma=gamma)
    theirs = autograd(lambda z: sigmoid_focal_torch(z, torch.tensor(targets), alpha, gamma), EXTREME)
    assert np.all(np.isfinite(ours))
    finite = np.isfinite(theirs)  # autograd meets 0 · inf at γ < 1 when p_t rounds to 1; ours takes the limit 0
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-7, atol=1e-15)
    np.testing.assert_array_equal(ours[~finite], 0.0)


@settings(max_examples=80, deadline=None)
@given(st.floats(-30, 30), st.sampled_from([0.0, 1.0]), st.floats(0, 5), st.sampled_from([0.25, 0.5, -1.0]))
def test_every_binary_grad_equals_autograd_property(z, y, gamma, alpha):
    zs, ys = np.array([z]), np.array([y])
    yt = torch.tensor(ys)
    checks = [
        (G.bce_grad_logit(zs, ys), lambda v: F.binary_cross_entropy_with_logits(v, yt, reduction="none")),
        (G.mse_grad_logit(zs, ys), lambda v: (torch.sigmoid(v) - yt) ** 2),
        (G.focal_grad_logit(zs, ys, alpha=alpha, gamma=gamma), lambda v: sigmoid_focal_torch(v, yt, alpha, gamma)),
    ]
    for ours, fn in checks:
        np.testing.assert_allclose(ours, autograd(fn, zs), rtol=1e-6, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=6), st.data(), st.floats(0, 1))
def test_cce_grad_property(zs, data, eps):
    y = data.draw(st.integers(0, len(zs) - 1))
    z = np.array([zs])
    ours = G.cce_grad_logits(z, [y], label_smoothing=eps)
    theirs = autograd(lambda v: F.cross_entropy(v, torch.tensor([y]), label_smoothing=eps, reduction="none"), z)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)
    assert abs(ours.sum()) < 1e-9  # softmax and the target both sum to 1


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-6, 1 - 1e-6), st.floats(0, 1))
def test_bce_grad_prob_property(p, y):
    ours = G.bce_grad_prob([p], [y])
    theirs = autograd(lambda v: F.binary_cross_entropy(v, torch.tensor([y], dtype=torch.float64), reduction="none"),
                      [p])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
