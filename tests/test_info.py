"""course_utils.info: hand-computed values, edge cases (0 log 0 = 0, q = 0), torch as the oracle, and the laws."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_utils import info

LN2 = np.log(2)


def test_hand_computed_values():
    assert info.surprisal(0.5) == 1.0
    assert info.surprisal(0.125) == 3.0
    assert info.entropy([0.5, 0.5]) == 1.0
    assert info.entropy([0.25] * 4) == 2.0
    assert info.entropy([1.0, 0.0]) == 0.0
    assert info.binary_entropy(0.5) == 1.0
    assert info.binary_entropy(0.0) == 0.0 and info.binary_entropy(1.0) == 0.0
    np.testing.assert_allclose(info.entropy([0.5, 0.5], base=np.e), LN2)
    np.testing.assert_allclose(info.cross_entropy([0.5, 0.5], [0.25, 0.75]), 0.5 * 2 + 0.5 * -np.log2(0.75))
    np.testing.assert_allclose(info.kl_divergence([0.5, 0.5], [0.25, 0.75]), 0.5 * np.log2(2) + 0.5 * np.log2(2 / 3))


def test_results_are_numpy_floats_or_arrays():
    assert isinstance(info.entropy([0.5, 0.5]), np.floating)
    out = info.entropy([[0.5, 0.5], [1.0, 0.0]])
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    np.testing.assert_array_equal(out, [1.0, 0.0])


def test_inputs_may_be_lists_arrays_or_cpu_tensors():
    p = [0.2, 0.3, 0.5]
    for x in (p, np.array(p), torch.tensor(p, dtype=torch.float64)):
        assert info.entropy(x) == pytest.approx(info.entropy(p), rel=1e-12)


def test_zero_probability_outcomes():
    assert info.surprisal(0.0) == np.inf
    assert info.cross_entropy([1.0, 0.0], [0.0, 1.0]) == np.inf
    assert info.kl_divergence([1.0, 0.0], [0.0, 1.0]) == np.inf
    # p = 0 where q = 0 costs nothing: 0 log 0 = 0
    assert info.cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert info.kl_divergence([0.0, 1.0], [0.5, 0.5]) == 1.0


def test_batches_on_leading_axes():
    p = np.array([[[0.5, 0.5], [1.0, 0.0]]] * 3)
    assert info.entropy(p).shape == (3, 2)
    assert info.kl_divergence(p, p).shape == (3, 2)


@pytest.mark.parametrize("base", [2, np.e, 10])
def test_equals_torch(base):
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(6), size=8)
    q = rng.dirichlet(np.ones(6), size=8)
    tp, tq = torch.tensor(p), torch.tensor(q)
    ln_b = np.log(base)
    h_torch = torch.distributions.Categorical(probs=tp).entropy().numpy() / ln_b
    ce_torch = -(tp * torch.log(tq)).sum(-1).numpy() / ln_b
    kl_torch = F.kl_div(torch.log(tq), tp, reduction="none").sum(-1).numpy() / ln_b
    np.testing.assert_allclose(info.entropy(p, base=base), h_torch, rtol=1e-7)
    np.testing.assert_allclose(info.cross_entropy(p, q, base=base), ce_torch, rtol=1e-7)
    np.testing.assert_allclose(info.kl_divergence(p, q, base=base), kl_torch, rtol=1e-7)
    x = rng.uniform(size=10)
    bern = torch.distributions.Bernoulli(probs=torch.tensor(x)).entropy().numpy() / ln_b
    np.testing.assert_allclose(info.binary_entropy(x, base=base), bern, rtol=1e-7)
    np.testing.assert_allclose(info.surprisal(x, base=base), -np.log(x) / ln_b, rtol=1e-12)


# ---------------------------------------------------------------- laws (hypothesis)
def distributions(k_min=1, k_max=8):
    """Random distributions, including exact zeros."""
    return st.integers(k_min, k_max).flatmap(
        lambda k: arrays(np.float64, k, elements=st.one_of(st.just(0.0), st.floats(1e-6, 1.0))).filter(
            lambda a: a.sum() > 0
        ).map(lambda a: a / a.sum())
    )


def pairs():
    return st.integers(1, 8).flatmap(
        lambda k: st.tuples(*[
            arrays(np.float64, k, elements=st.one_of(st.just(0.0), st.floats(1e-6, 1.0))).filter(
                lambda a: a.sum() > 0).map(lambda a: a / a.sum())
            for _ in range(2)
        ])
    )


@settings(max_examples=150, deadline=None)
@given(pairs())
def test_gibbs_kl_nonnegative_and_decomposition(pq):
    p, q = pq
    kl = info.kl_divergence(p, q)
    assert kl >= 0
    h, ce = info.entropy(p), info.cross_entropy(p, q)
    if np.isfinite(ce):
        np.testing.assert_allclose(ce, h + kl, rtol=1e-9, atol=1e-9)
    else:
        assert kl == np.inf


@settings(max_examples=100, deadline=None)
@given(distributions())
def test_kl_of_p_with_itself_is_zero_and_ce_is_entropy(p):
    assert info.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(info.cross_entropy(p, p), info.entropy(p), rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(distributions())
def test_entropy_at_most_log_k(p):
    k = p.shape[-1]
    assert info.entropy(p) <= np.log2(k) + 1e-9
    assert info.entropy(np.full(k, 1 / k)) == pytest.approx(np.log2(k), rel=1e-12, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 8).flatmap(lambda k: st.tuples(st.integers(0, k - 1), st.just(k))), distributions(2, 2))
def test_one_hot_cross_entropy_is_surprisal_of_the_true_class(yk, _):
    y, k = yk
    rng = np.random.default_rng(y * 31 + k)
    q = rng.dirichlet(np.ones(k))
    p = np.eye(k)[y]
    np.testing.assert_allclose(info.cross_entropy(p, q), -np.log2(q[y]), rtol=1e-12)
    np.testing.assert_allclose(info.kl_divergence(p, q), -np.log2(q[y]), rtol=1e-9, atol=1e-12)
