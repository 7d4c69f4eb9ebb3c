"""Tests of the topic modules behind notebooks 04–06 (numerics, soft_targets, ce_vs_mse, loss_family): PyTorch
as the oracle where the notebooks contrast with it, finite differences for gradients, and the claims the
notebooks print."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from course_utils import binary_losses, ce_vs_mse, grads, info, logistic, loss_family, losses, numerics, soft_targets


# --- 04 softmax and categorical cross-entropy ---
def test_naive_softmax_overflows_where_the_stable_one_does_not():
    assert np.isnan(numerics.naive_softmax([1000.0, 1001.0, 1002.0])).all()
    np.testing.assert_allclose(numerics.naive_softmax([1.0, 2.0, 3.0]), losses.softmax([1.0, 2.0, 3.0]))
    demo = numerics.softmax_overflow_demo([1000.0, 1001.0, 1002.0])
    np.testing.assert_allclose(demo.stable, losses.softmax([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(demo.torch_float32, demo.stable, rtol=1e-6)
    assert np.isnan(numerics.softmax_overflow_demo([10.0, 89.0, 90.0]).naive_float32[1:]).all()
    assert 88 < numerics.EXP_LIMIT_F32 < 89 and 709 < numerics.EXP_LIMIT_F64 < 710


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_before_ce_matches_torch_and_stays_between_its_bounds(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=5.0, size=(6, 5))
    y = rng.integers(0, 5, size=6)
    d = numerics.softmax_before_ce(z, y)
    assert d.loss_right == pytest.approx(F.cross_entropy(torch.tensor(z), torch.tensor(y)).item())
    np.testing.assert_allclose(d.grad_right, grads.cce_grad_logits(z, y) / len(y), atol=1e-12)
    assert d.loss_floor_bug <= d.loss_bug <= d.loss_ceiling_bug


def test_softmax_bug_floor_is_reached_and_its_gradient_vanishes_when_wrong():
    s = numerics.softmax_bug_sweep([-15.0, 0.0, 30.0], num_classes=10)
    assert s.loss_bug[-1] == pytest.approx(np.log1p(9 / np.e), abs=1e-9)
    assert s.grad_norm_bug[0] < 1e-6 < 0.9 < s.grad_norm_right[0]
    assert s.loss_right[-1] < 1e-9


def test_fit_soft_target_falls_to_the_entropy_of_the_target():
    t = [0.7, 0.2, 0.1]
    fit = soft_targets.fit_soft_target(t, steps=300)
    assert fit.losses[-1] == pytest.approx(info.entropy(t, base=np.e), abs=1e-8)
    np.testing.assert_allclose(fit.probs, t, atol=1e-6)
    assert fit.kl_nats < 1e-8
    with pytest.raises(ValueError, match="target"):
        soft_targets.fit_soft_target([0.5, 0.6])
    with pytest.raises(ValueError, match="logits0"):
        soft_targets.fit_soft_target(t, logits0=[0.0, 0.0])


# --- 05 gradients: CE vs MSE ---
def test_logit_inverts_the_sigmoid_and_validates():
    p = np.array([0.001, 0.3, 0.5, 0.99])
    np.testing.assert_allclose(losses.sigmoid(losses.logit(p)), p)
    with pytest.raises(ValueError, match="q must lie strictly"):
        losses.logit([0.0, 0.5])


def test_saturation_table_uses_the_course_gradients():
    tab = ce_vs_mse.saturation_table([0.5, 0.01], y=1)
    z = losses.logit(tab.probs)
    np.testing.assert_allclose(tab.bce_grad, grads.bce_grad_logit(z, np.ones(2)))
    np.testing.assert_allclose(tab.mse_grad, grads.mse_grad_logit(z, np.ones(2)))
    assert abs(tab.mse_grad[1]) < abs(tab.mse_grad[0]) < abs(tab.bce_grad[0]) < abs(tab.bce_grad[1])
    assert len(tab.rows()) == 3
    with pytest.raises(ValueError, match="y must be"):
        ce_vs_mse.saturation_table([0.5], y=2)


def test_training_race_cross_entropy_wins_from_a_bad_start():
    race = ce_vs_mse.training_race(steps=600)
    ce, mse = race.steps_to("bce"), race.steps_to("mse")
    assert ce is not None and ce < 50
    assert mse is None or mse > 5 * ce
    assert race.accuracy["bce"].shape == (601,)
    with pytest.raises(ValueError, match="both x and y"):
        ce_vs_mse.training_race(x=np.zeros((3, 2)))


def test_landscape_cross_entropy_convex_mse_not():
    land = ce_vs_mse.loss_landscape()
    assert land.min_curvature("bce") >= -1e-9
    assert land.min_curvature("mse") < -0.01
    other = ce_vs_mse.loss_landscape(direction=[1.0, -0.5], b=0.3)
    assert other.min_curvature("bce") >= -1e-9
    with pytest.raises(ValueError, match="direction"):
        ce_vs_mse.loss_landscape(direction=[0.0, 0.0])
    with pytest.raises(ValueError, match="evenly spaced"):
        ce_vs_mse.loss_landscape(t=[0.0, 1.0, 3.0])


# --- 06 the loss family ---
def test_binary_hinge_loss():
    s, y = np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0])
    np.testing.assert_allclose(losses.binary_hinge_loss(s, y, reduction="none"), [0.0, 0.5, 2.0])
    assert losses.binary_hinge_loss(s, -y) == pytest.approx(np.mean([3.0, 1.5, 0.0]))
    with pytest.raises(ValueError, match="-1 and \\+1"):
        losses.binary_hinge_loss(s, [0.0, 1.0, 1.0])


def test_smoothed_targets_match_torch_label_smoothing():
    t = soft_targets.smoothed_targets([0, 2], 3, 0.1)
    np.testing.assert_allclose(t.sum(axis=1), 1.0)
    assert t[0, 0] == pytest.approx(1 - 0.1 + 0.1 / 3)
    z = np.array([[2.0, 1.0, 0.1], [0.3, -1.0, 2.0]])
    want = F.cross_entropy(torch.tensor(z), torch.tensor([0, 2]), label_smoothing=0.1).item()
    assert losses.categorical_cross_entropy(z, t) == pytest.approx(want)
    with pytest.raises(ValueError, match="targets"):
        soft_targets.smoothed_targets([3], 3, 0.1)


@pytest.mark.parametrize("loss", binary_losses.BINARY_LOSSES)
def test_family_gradients_match_finite_differences(loss):
    rng = np.random.default_rng(0)
    z, y = rng.normal(scale=3.0, size=20), rng.integers(0, 2, size=20).astype(float)
    z = z[np.abs(np.abs(z) - 1) > 1e-3]  # away from the hinge's kinks at |z| = 1
    y = y[: z.size]
    kw = {"gamma": 2.0, "alpha": 0.25, "pos_weight": 4.0, "label_smoothing": 0.2}
    g = binary_losses.binary_loss_grad(loss, z, y, **kw)
    h = 1e-6
    up = binary_losses.binary_loss(loss, z + h, y, **kw)
    down = binary_losses.binary_loss(loss, z - h, y, **kw)
    np.testing.assert_allclose(g, (up - down) / (2 * h), atol=1e-6)


@pytest.mark.parametrize("loss", binary_losses.BINARY_LOSSES)
def test_train_logistic_descends_every_loss_of_the_family(loss):
    x, y = logistic.make_blobs(100, seed=4)
    r = logistic.train_logistic(x, y, loss=loss, steps=50, lr=0.3, gamma=2.0, pos_weight=2.0)
    assert r.losses[-1] < r.losses[0]
    with pytest.raises(ValueError, match="loss must be"):
        logistic.train_logistic(x, y, loss="nope")


def test_binary_metrics_on_a_known_model():
    x = np.array([[1.0], [2.0], [-1.0], [-2.0]])
    y = np.array([1, 0, 0, 0])
    r = logistic.TrainResult(w=np.array([1.0]), b=0.0, losses=np.zeros(1), w_path=np.zeros((1, 1)), b_path=np.zeros(1))
    m = loss_family.binary_metrics(r, x, y)
    assert m["precision"] == 0.5 and m["recall"] == 1.0 and m["accuracy"] == 0.75 and m["base_rate"] == 0.25


def test_easy_example_share_equals_at_gamma_zero():
    rng = np.random.default_rng(1)
    z, y = rng.normal(scale=4, size=200), rng.integers(0, 2, size=200).astype(float)
    s = loss_family.easy_example_share(z, y, gamma=0.0)
    assert s["ce_share"] == pytest.approx(s["focal_share"])
    assert loss_family.easy_example_share(z, y, gamma=2.0)["focal_share"] < s["ce_share"]


@pytest.mark.parametrize(("pi", "w"), [(0.05, 19.0), (0.3, 2.0), (0.5, 0.5)])
def test_weighted_bce_optimum_multiplies_the_odds(pi, w):
    opt = loss_family.weighted_bce_optimum(pi, w)
    assert opt["numeric"] == pytest.approx(opt["closed_form"], abs=1e-4)
    assert opt["logit_shift"] == pytest.approx(np.log(w), abs=1e-3)


def test_weighted_mean_gotcha_is_torch_behaviour():
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0]])
    d = loss_family.weighted_mean_gotcha(z, [0, 1, 2], [1.0, 1.0, 10.0])
    assert d["torch"] == pytest.approx(d["course_utils"]) == pytest.approx(d["weighted_sum_over_weights"])
    assert d["weighted_sum_over_n"] != pytest.approx(d["torch"])
    one = loss_family.weighted_mean_gotcha(z[[2, 2]], [2, 2], [1.0, 1.0, 10.0])
    assert one["torch"] == pytest.approx(one["unweighted_mean"])


def test_label_smoothing_gap_converges_to_its_formula():
    gap = soft_targets.label_smoothing_gap(num_classes=10, label_smoothing=0.1, steps=400)
    assert gap["smoothed"][-1] == pytest.approx(gap["optimal_gap"], abs=1e-6)
    assert gap["one_hot"][-1] > gap["optimal_gap"] + 2 and np.all(np.diff(gap["one_hot"]) > 0)
    assert gap["optimal_top_prob"] == pytest.approx(0.91)


def test_label_noise_hurts_cross_entropy_more():
    e = loss_family.label_noise_experiment(counts=(0, 25), steps=400)
    drop_ce = e.accuracy["bce"][0] - e.accuracy["bce"][1]
    drop_mse = e.accuracy["mse"][0] - e.accuracy["mse"][1]
    assert drop_ce > 0.1 and drop_mse < 0.02


def test_loss_comparison_table():
    rows = {r["label"].split(",")[0]: r
            for r in loss_family.loss_comparison(pos_weight=3.0, label_smoothing=0.1, true_prob=0.7)}
    assert rows["cross-entropy (BCE)"]["q_star"] == pytest.approx(0.7, abs=1e-3)
    assert rows["MSE on σ(z) (Brier)"]["q_star"] == pytest.approx(0.7, abs=1e-3)
    assert rows["weighted BCE"]["q_star"] == pytest.approx(3 * 0.7 / (3 * 0.7 + 0.3), abs=1e-3)
    assert rows["label-smoothed BCE"]["q_star"] == pytest.approx(0.7 * 0.9 + 0.05, abs=1e-3)
    assert rows["focal"]["q_star"] < 0.7
    assert rows["hinge"]["q_star"] is None and rows["hinge"]["z_star"] == pytest.approx(1.0)
    assert rows["cross-entropy (BCE)"]["convex"] and not rows["MSE on σ(z) (Brier)"]["convex"]
    assert rows["cross-entropy (BCE)"]["grad_wrong"] > 50 * rows["MSE on σ(z) (Brier)"]["grad_wrong"]
    table = loss_family.comparison_markdown(list(rows.values()))
    assert table.count("\n") == 1 + len(rows)


def test_figures_are_figures():
    figs = [
        numerics.softmax_bug_figure(numerics.softmax_bug_sweep(np.linspace(-5, 5, 11), num_classes=3)),
        ce_vs_mse.race_figure(ce_vs_mse.training_race(steps=30)),
        ce_vs_mse.landscape_figure(ce_vs_mse.loss_landscape(t=np.linspace(-4, 4, 41))),
        loss_family.noise_figure(loss_family.label_noise_experiment(counts=(0, 3), steps=20)),
    ]
    for fig in figs:
        assert isinstance(fig, Figure) and len(fig.axes) >= 1
    ax = soft_targets.plot_label_smoothing_gap(soft_targets.label_smoothing_gap(steps=20), label_smoothing=0.1)
    assert "nats" in ax.get_ylabel()


def test_validation_names_the_argument():
    with pytest.raises(TypeError, match="num_classes"):
        numerics.softmax_bug_sweep(num_classes=2.5)
    with pytest.raises(ValueError, match="label_smoothing"):
        soft_targets.label_smoothing_gap(label_smoothing=0.0)
    with pytest.raises(ValueError, match="base_rate"):
        loss_family.weighted_bce_optimum(1.0, 2.0)
    with pytest.raises(ValueError, match="weight"):
        loss_family.weighted_mean_gotcha([[0.0, 1.0]], [0], [1.0])
