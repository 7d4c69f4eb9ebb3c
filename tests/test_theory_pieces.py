"""The three short pieces of theory the course's title promises (issue 11, section 6): the irreducible loss
H(Y|X) (notebook 02), the squared error as a Gaussian NLL (05), and why the loss stays in float32 (07)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_utils import ce_vs_mse, info, kl_fitting


def _rows(rng, n, c):
    return rng.dirichlet(np.ones(c), size=n)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(2, 5))
def test_expected_cross_entropy_is_conditional_entropy_plus_expected_kl(seed, n, c):
    rng = np.random.default_rng(seed)
    px, p, q = rng.dirichlet(np.ones(n)), _rows(rng, n, c), _rows(rng, n, c)
    parts = kl_fitting.irreducible_loss(px, p, q)
    joint = px[:, None] * p  # p(x, y)
    h_xy, h_x = info.entropy(joint.ravel()), info.entropy(px)
    assert parts["conditional_entropy"] == pytest.approx(h_xy - h_x, abs=1e-9)  # H(Y|X) = H(X, Y) - H(X)
    assert parts["expected_ce"] == pytest.approx(-(joint * np.log2(q)).sum(), rel=1e-9)
    assert parts["expected_ce"] == pytest.approx(parts["conditional_entropy"] + parts["expected_kl"], abs=1e-9)
    assert parts["expected_kl"] >= 0


def test_the_truth_reaches_the_conditional_entropy_and_nothing_beats_it():
    px = [0.5, 0.3, 0.2]
    p = [[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]]
    best = kl_fitting.irreducible_loss(px, p, p)
    assert best["expected_kl"] == 0 and best["expected_ce"] == pytest.approx(best["conditional_entropy"])
    rng = np.random.default_rng(0)
    for q in rng.dirichlet(np.ones(2), size=(200, 3)):
        assert kl_fitting.irreducible_loss(px, p, q)["expected_ce"] >= best["expected_ce"] - 1e-12


def test_irreducible_loss_in_nats_and_argument_checks():
    px, p, q = [1.0], [[0.25, 0.75]], [[0.5, 0.5]]
    nats = kl_fitting.irreducible_loss(px, p, q, base=np.e)
    assert nats["expected_ce"] == pytest.approx(np.log(2))
    with pytest.raises(ValueError, match="p_y_given_x"):
        kl_fitting.irreducible_loss([0.5, 0.5], p, q)          # one row per x
    with pytest.raises(ValueError, match="q_y_given_x"):
        kl_fitting.irreducible_loss(px, p, [[0.5, 0.25, 0.25]])
    with pytest.raises(ValueError, match="p_x"):
        kl_fitting.irreducible_loss([0.7], p, q)               # p_x must sum to 1


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, 5, elements=st.floats(-10, 10)), arrays(np.float64, 5, elements=st.floats(-10, 10)),
       st.floats(0.1, 5.0))
def test_gaussian_nll_equals_torch_and_is_scaled_mse_plus_a_constant(mu, t, sigma):
    ours = ce_vs_mse.gaussian_nll(mu, t, sigma=sigma)
    var = torch.full((5,), sigma**2, dtype=torch.float64)
    theirs = F.gaussian_nll_loss(torch.tensor(mu), torch.tensor(t), var, full=True).item()
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)
    mse = np.mean((mu - t) ** 2)
    assert ours == pytest.approx(mse / (2 * sigma**2) + 0.5 * np.log(2 * np.pi * sigma**2), rel=1e-9, abs=1e-9)


def test_gaussian_nll_reductions_and_argument_checks():
    per = ce_vs_mse.gaussian_nll([0.0, 1.0], [1.0, 1.0], reduction="none")
    assert per.shape == (2,) and per[1] == pytest.approx(0.5 * np.log(2 * np.pi))
    assert ce_vs_mse.gaussian_nll([0.0, 1.0], [1.0, 1.0], reduction="sum") == pytest.approx(per.sum())
    with pytest.raises(ValueError, match="sigma"):
        ce_vs_mse.gaussian_nll([0.0], [1.0], sigma=0.0)
    with pytest.raises(ValueError):
        ce_vs_mse.gaussian_nll([0.0, 1.0], [1.0])


def test_half_precision_demo_shows_float16_overflow_and_bfloat16_rounding():
    from course_utils import numerics

    assert numerics.EXP_LIMIT_F16 == pytest.approx(np.log(65504.0))
    assert np.isinf(np.float16(np.exp(np.float16(numerics.EXP_LIMIT_F16 + 0.01))))
    demo = numerics.half_precision_demo()                  # a confidently wrong prediction, true loss 12 nats
    assert demo.loss_float32 == pytest.approx(12.0, abs=1e-4)
    assert not np.isfinite(demo.naive_float16)              # e^12 > 65504: the float16 softmax breaks
    assert demo.close_in_bfloat16[0] == demo.close_in_bfloat16[1] == 300.0  # spacing 2 between 256 and 512
    assert demo.loss_close_float32 == pytest.approx(np.log1p(np.exp(-1.0)), rel=1e-6)
    assert demo.loss_close_bfloat16 == pytest.approx(np.log(2), rel=1e-6)
    small = numerics.half_precision_demo(logits=[2.0, 1.0, 0.0], close_logits=[1.0, 2.0])
    assert np.isfinite(small.naive_float16) and small.loss_close_bfloat16 == pytest.approx(small.loss_close_float32)
    with pytest.raises(ValueError):
        numerics.half_precision_demo(target=5)
    with pytest.raises(ValueError):
        numerics.half_precision_demo(logits=[[1.0, 2.0]])


def test_first_batch_loss_shows_what_the_logit_scale_does(tmp_path):
    """Notebook 07: FastNet scales its logits by 0.125 so that training starts near ln 10; without the scale the
    logits spread 8 times wider and the first loss is higher. The model passed in is not touched."""
    from course_utils.cifar import data as cdata
    from course_utils.cifar import models, train

    tiny = cdata.load_cifar10(cdata.make_fixture(tmp_path, n_train=100, n_test=20, seed=2), download=False,
                              verify=False)
    model = models.make_model("quick")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    scaled = train.first_batch_loss(model, tiny, batch_size=64)
    raw = train.first_batch_loss(model, tiny, logit_scale=1.0, batch_size=64)
    assert model.logit_scale == 0.125 and not bool(model.whitened)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert scaled["loss"] == pytest.approx(np.log(10), abs=0.1)
    assert raw["logit_std"] == pytest.approx(8 * scaled["logit_std"], rel=1e-3)
    assert raw["loss"] > scaled["loss"]
    with pytest.raises(ValueError, match="logit_scale"):
        train.first_batch_loss(models.make_model("tutorial"), tiny, logit_scale=1.0)
    with pytest.raises(ValueError, match="logit_scale"):
        train.first_batch_loss(model, tiny, logit_scale=0.0)
