"""Notebook 10: distillation and InfoNCE, with PyTorch as the oracle and autograd for the gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_utils import distillation as D

RNG = np.random.default_rng(10)


def _torch_kd(zs, zt, y, alpha, t, reduction="mean"):
    zs, zt = torch.as_tensor(zs), torch.as_tensor(zt)
    y = torch.as_tensor(y)
    hard = F.cross_entropy(zs, y, reduction="none")
    soft = F.kl_div(F.log_softmax(zs / t, 1), F.log_softmax(zt / t, 1), reduction="none", log_target=True).sum(1)
    loss = (1 - alpha) * hard + alpha * t**2 * soft
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


@pytest.mark.parametrize("alpha,t", [(0.0, 1.0), (0.5, 4.0), (1.0, 2.0), (0.9, 20.0), (0.3, 0.5)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_kd_loss_matches_torch(alpha, t, reduction):
    zs, zt = RNG.normal(size=(7, 5)) * 3, RNG.normal(size=(7, 5)) * 3
    y = RNG.integers(0, 5, 7)
    ours = D.kd_loss(zs, zt, y, alpha=alpha, temperature=t, reduction=reduction)
    np.testing.assert_allclose(ours, _torch_kd(zs, zt, y, alpha, t, reduction).numpy(), rtol=1e-10, atol=1e-12)


def test_kd_loss_of_the_torch_wing_matches_numpy():
    from course_utils.cifar import distill

    zs, zt = RNG.normal(size=(6, 10)), RNG.normal(size=(6, 10)) * 4
    y = RNG.integers(0, 10, 6)
    ours = D.kd_loss(zs, zt, y, alpha=0.7, temperature=3.0)
    wing = distill.kd_loss(torch.tensor(zs), torch.tensor(zt), torch.tensor(y), alpha=0.7, temperature=3.0)
    assert float(wing) == pytest.approx(float(ours), rel=1e-10)
    assert float(distill.kd_loss(torch.tensor(zs), torch.tensor(zt), torch.tensor(y), alpha=0.0)) == pytest.approx(
        float(F.cross_entropy(torch.tensor(zs), torch.tensor(y))))


def test_kd_loss_is_cross_entropy_at_alpha_0_and_zero_soft_term_for_a_perfect_copy():
    z = RNG.normal(size=(4, 3))
    y = np.array([0, 1, 2, 0])
    assert D.kd_loss(z, z * 5, y, alpha=0.0) == pytest.approx(float(F.cross_entropy(torch.tensor(z), torch.tensor(y))))
    assert D.kd_loss(z, z, y, alpha=1.0, temperature=3.0) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("t", [0.5, 1.0, 3.0, 10.0])
@pytest.mark.parametrize("t_squared", [True, False])
def test_kd_soft_gradient_matches_autograd(t, t_squared):
    zs, zt = RNG.normal(size=(3, 6)), RNG.normal(size=(3, 6)) * 2
    z = torch.tensor(zs, requires_grad=True)
    soft = F.kl_div(F.log_softmax(z / t, 1), F.log_softmax(torch.tensor(zt) / t, 1), reduction="sum", log_target=True)
    (soft * (t**2 if t_squared else 1.0)).backward()
    np.testing.assert_allclose(D.kd_soft_gradient(zs, zt, t, t_squared=t_squared), z.grad.numpy(), rtol=1e-9,
                               atol=1e-12)


def test_without_t_squared_the_soft_gradient_shrinks_as_one_over_t_squared():
    zs, zt = np.array([1.0, 0.0, -1.0, 2.0]), np.array([3.0, -1.0, 0.0, 0.0])
    r = D.kd_gradient_scale(zs, zt, [50.0, 100.0])
    assert r["without_t2"][0] / r["without_t2"][1] == pytest.approx(4.0, rel=0.01)
    assert r["with_t2"][0] / r["with_t2"][1] == pytest.approx(1.0, rel=0.01)


def test_soften_is_softmax_of_logits_over_t():
    z = RNG.normal(size=(2, 5))
    np.testing.assert_allclose(D.soften(z, 2.5), torch.softmax(torch.tensor(z) / 2.5, 1).numpy(), rtol=1e-12)


@pytest.mark.parametrize("n", [2, 5, 16])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_infonce_is_cross_entropy_with_the_diagonal_as_target(n, reduction):
    s = RNG.normal(size=(n, n)) * 3
    want = F.cross_entropy(torch.tensor(s), torch.arange(n), reduction=reduction).numpy()
    np.testing.assert_allclose(D.infonce_loss(s, reduction=reduction), want, rtol=1e-12)


def test_infonce_bound_never_exceeds_log_n():
    n = 8
    perfect = np.eye(n) * 1e3  # each x picks its own y with certainty: the loss is 0
    assert D.infonce_bound(perfect) == pytest.approx(np.log(n))
    assert D.infonce_bound(np.zeros((n, n))) == pytest.approx(0.0, abs=1e-12)  # a critic that knows nothing
    for _ in range(20):
        assert D.infonce_bound(RNG.normal(size=(n, n)) * 10) <= np.log(n) + 1e-12


def test_gaussian_mi_and_the_optimal_critic():
    assert D.gaussian_mi(0.0) == 0.0
    assert D.gaussian_mi(0.8, 3) == pytest.approx(-1.5 * np.log(1 - 0.64))
    x, y = D.correlated_gaussians(20_000, 0.6, dim=2, seed=1)
    assert np.corrcoef(x[:, 0], y[:, 0])[0, 1] == pytest.approx(0.6, abs=0.02)
    # the critic's diagonal is the pointwise MI: its mean is I(X; Y)
    xs, ys = D.correlated_gaussians(2000, 0.6, dim=2, seed=2)
    diag = np.diagonal(D.gaussian_critic_scores(xs, ys, 0.6))
    assert diag.mean() == pytest.approx(D.gaussian_mi(0.6, 2), abs=0.05)


def test_the_bound_is_tight_for_small_mi_and_saturates_at_log_n():
    sw = D.infonce_bound_sweep([0.3, 0.9999], batch_size=32, dim=2, batches=300)
    assert sw["bound"][0] == pytest.approx(sw["true_mi"][0], abs=0.05)
    assert sw["true_mi"][1] > 2 * sw["log_n"] and sw["bound"][1] <= sw["log_n"]
    assert sw["bound"][1] > 0.9 * sw["log_n"]


def test_a_critic_learns_the_mutual_information_in_a_few_steps():
    r = D.train_critic(0.8, batch_size=64, steps=150, seed=0)
    assert r["held_out_bound"] == pytest.approx(r["true_mi"], abs=0.15)
    assert r["bound_per_step"].shape == (150,)


def test_dark_knowledge_values():
    v = D.dark_knowledge_values(temperature=1.0)
    assert v["predicted"] == "cat" and v["close_classes"][0] == "dog"
    hot = D.dark_knowledge_values(temperature=10.0)
    assert hot["entropy_bits"] > v["entropy_bits"] and hot["entropy_bits"] <= hot["max_entropy_bits"]
    assert hot["close_classes"] == v["close_classes"]  # temperature never changes the order
    assert D.dark_knowledge_values([2.0, 0.0], classes=["a", "b"], top=1)["close_classes"] == ("b",)


def test_dark_knowledge_explorer_headless():
    e = D.dark_knowledge_explorer()
    assert e.values["temperature"] == 1.0
    e.controls["temperature"].value = 8.0
    assert e.values["temperature"] == pytest.approx(8.0)
    assert e.values["entropy_bits"] == pytest.approx(D.dark_knowledge_values(temperature=8.0)["entropy_bits"])
    s = e.controls["temperature"]
    at = (s.value - s.min) / s.step
    assert (s.max - s.min) / s.step <= 100 and abs(at - round(at)) < 1e-9
    fig = D.dark_knowledge_figure(temperature=4.0)
    assert "bits" in fig.axes[0].get_title()


@pytest.mark.parametrize("call,err,match", [
    (lambda: D.kd_loss(np.zeros((2, 3)), np.zeros((2, 4)), [0, 1]), ValueError, "teacher_logits"),
    (lambda: D.kd_loss(np.zeros((2, 3)), np.zeros((2, 3)), [0, 3]), ValueError, "targets"),
    (lambda: D.kd_loss(np.zeros((2, 3)), np.zeros((2, 3)), [0, 1], alpha=1.5), ValueError, "alpha"),
    (lambda: D.kd_loss(np.zeros((2, 3)), np.zeros((2, 3)), [0, 1], temperature=0), ValueError, "temperature"),
    (lambda: D.kd_loss(np.zeros((2, 3)), np.zeros((2, 3)), [0, 1], alpha="x"), TypeError, "alpha"),
    (lambda: D.kd_loss(np.zeros(3), np.zeros(3), [0]), ValueError, "student_logits"),
    (lambda: D.infonce_loss(np.zeros((2, 3))), ValueError, "scores"),
    (lambda: D.infonce_loss(np.zeros((2, 2)), reduction="avg"), ValueError, "reduction"),
    (lambda: D.gaussian_mi(1.0), ValueError, "rho"),
    (lambda: D.correlated_gaussians(0, 0.5), ValueError, "n"),
    (lambda: D.correlated_gaussians(5, 0.5, dim=1.5), TypeError, "dim"),
    (lambda: D.gaussian_critic_scores(np.zeros((2, 1)), np.zeros((3, 1)), 0.5), ValueError, "x and y"),
    (lambda: D.soften([1.0, 2.0], -1), ValueError, "temperature"),
    (lambda: D.kd_soft_gradient([1.0], [1.0], 1.0, t_squared=1), TypeError, "t_squared"),
    (lambda: D.dark_knowledge_values([1.0, 2.0]), ValueError, "classes"),
    (lambda: D.dark_knowledge_explorer(temperature=1.05), ValueError, "temperature"),
    (lambda: D.train_critic(1.0), ValueError, "rho"),
    (lambda: D.plot_infonce_bound({}), TypeError, "sweep"),
    (lambda: D.plot_critic_training([]), TypeError, "result"),
    (lambda: D.plot_kd_gradient_scale(None), TypeError, "result"),
])
def test_bad_arguments_are_refused_at_the_door(call, err, match):
    with pytest.raises(err, match=match):
        call()


# ------------------------------------------------------------------ the CIFAR-10 wing (stand-in data, seconds)
@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    from course_utils.cifar import data as cdata

    root = cdata.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=200, n_test=50)
    return cdata.load_cifar10(root, download=False, verify=True, checksums=cdata.fixture_checksums(root))


def test_student_is_much_smaller_than_the_teacher():
    from course_utils.cifar import distill, models

    assert models.count_parameters(models.make_model("quick")) > 10 * models.count_parameters(distill.make_student())


def test_teacher_logits_cover_each_image_and_its_mirror(standin):
    from course_utils.cifar import distill, models, train

    teacher = models.make_model("quick", seed=0)
    soft = distill.teacher_logits(teacher, standin.x_train[:20])
    assert soft.shape == (2, 20, 10)
    torch.testing.assert_close(soft[1], train.predict_logits(teacher, standin.x_train[:20].flip(-1), tta=False,
                                                             precision="fp32"))


def test_students_with_and_without_teacher_train_on_the_same_seeds(standin):
    from course_utils.cifar import distill, models

    torch.set_num_threads(1)
    soft = distill.teacher_logits(models.make_model("quick", seed=0), standin.x_train)
    a = distill.train_student(distill.make_student(0), standin, epochs=1, batch_size=50, seed=0)
    b = distill.train_student(distill.make_student(0), standin, epochs=1, batch_size=50, seed=0)
    c = distill.train_student(distill.make_student(0), standin, soft_targets=soft, epochs=1, batch_size=50, seed=0)
    assert a.accuracy == b.accuracy and a.train_loss == b.train_loss  # reproducible
    assert not a.teacher and c.teacher and c.alpha == 0.5 and a.alpha == 0.0
    assert 0.0 <= c.accuracy <= 1.0 and np.isfinite(c.test_loss)
    with pytest.raises(ValueError, match="soft_targets"):
        distill.train_student(distill.make_student(0), standin, soft_targets=soft[:, :10], epochs=1)
    with pytest.raises(TypeError, match="student"):
        distill.train_student("net", standin)
    with pytest.raises(ValueError, match="temperature"):
        distill.kd_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor([0, 1]), temperature=0.0)
