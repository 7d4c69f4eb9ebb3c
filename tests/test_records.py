"""Ideas from the CIFAR-10 speed records (issue 14, section 2): Muon on the conv filters, alternating flips, the
whitening bias trained early only. Each checked against what it claims to do, on tiny data."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from course_utils.cifar import data as cdata
from course_utils.cifar import models, optim, train

TINY = dataclasses.replace(train.RECIPES["quick"], name="tiny", epochs=2, batch_size=20, lr=0.05)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = cdata.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=100, n_test=40, seed=2)
    return cdata.load_cifar10(root, download=False, verify=False, progress=False)


@pytest.mark.parametrize("shape", [(16, 64), (64, 16), (32, 32)])
def test_orthogonalize_keeps_the_singular_vectors_and_brings_the_values_near_one(shape):
    g = torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = optim.orthogonalize(g, steps=5)
    u, s, vh = torch.linalg.svd(g, full_matrices=False)
    sx = torch.linalg.svdvals(x)
    assert sx.min() > 0.6 and sx.max() < 1.25  # near 1, not exactly (the quintic's coefficients overshoot)
    # Same singular vectors: x = U diag(s') Vᵀ, so Uᵀ x V is diagonal.
    inner = u.T @ x @ vh.T
    assert torch.allclose(inner, torch.diag(inner.diagonal()), atol=1e-6)
    assert (inner.diagonal() > 0).all()  # and the signs kept: an update in the gradient's direction


def test_orthogonalize_validates():
    with pytest.raises(ValueError, match="g must be a 2-D"):
        optim.orthogonalize(torch.zeros(2, 3, 4))
    with pytest.raises(TypeError, match="steps"):
        optim.orthogonalize(torch.zeros(2, 3), steps=1.5)


def test_muon_sgd_groups_match_torch_sgd():
    """The groups without muon=True are plain SGD with (Nesterov) momentum and weight decay."""
    torch.manual_seed(0)
    a = torch.nn.Linear(5, 3)
    b = torch.nn.Linear(5, 3)
    b.load_state_dict(a.state_dict())
    ours = optim.Muon(a.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    ref = torch.optim.SGD(b.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    for step in range(4):
        x = torch.randn(8, 5, generator=torch.Generator().manual_seed(step))
        for net, opt in ((a, ours), (b, ref)):
            opt.zero_grad()
            net(x).square().sum().backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.allclose(pa, pb, atol=1e-6)


def test_a_muon_step_moves_each_filter_bank_by_an_orthogonal_update_at_fixed_norm():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(8, 4, 3, 3))
    opt = optim.Muon([{"params": [w], "muon": True}], lr=0.1, momentum=0.0)
    w.grad = torch.randn_like(w)
    before = w.detach().clone() * (8 ** 0.5 / w.detach().norm())  # the bank rescaled to norm √8 first
    opt.step()
    update = ((before - w.detach()) / 0.1).reshape(8, -1)
    s = torch.linalg.svdvals(update)
    assert s.min() > 0.5 and s.max() < 1.5
    assert torch.allclose(update, optim.orthogonalize(w.grad.reshape(8, -1)), atol=1e-5)


def test_muon_refuses_vectors_in_a_muon_group():
    with pytest.raises(ValueError, match="muon=True"):
        optim.Muon([{"params": [torch.nn.Parameter(torch.zeros(3))], "muon": True}])


def test_a_muon_recipe_puts_the_filters_under_muon_at_their_own_rate():
    rec = dataclasses.replace(TINY, optimizer="muon", lr=0.2, muon_lr=0.3)
    model = models.make_model("quick")
    opt = optim.make_optimizer(model, rec)
    filters = {id(p) for p in model.parameters() if p.ndim == 4 and p.requires_grad}
    muon = [g for g in opt.param_groups if g.get("muon")]
    assert len(muon) == 1 and {id(p) for p in muon[0]["params"]} == filters
    optim.set_lr(opt, 0.1)  # halfway down the schedule: both at half their peak
    assert muon[0]["lr"] == pytest.approx(0.15)
    assert all(g["lr"] == pytest.approx(0.1) for g in opt.param_groups if not g.get("muon"))


def test_a_muon_recipe_trains_and_lowers_the_loss(tiny):
    rec = dataclasses.replace(TINY, optimizer="muon", epochs=6, muon_lr=0.1, label_smoothing=0.0, tta=False)
    model = models.make_model("quick", seed=0)
    before = train.first_batch_loss(model, tiny, batch_size=100)["loss"]
    hist = train.fit(model, tiny, recipe=rec, progress=False, eval_each_epoch=False)
    assert hist.finished and hist.train_loss[-1] < before - 0.3


def test_alternating_flips_show_every_image_both_ways_in_two_epochs():
    a, b = cdata.alternating_flips(1000, 0, seed=3), cdata.alternating_flips(1000, 1, seed=3)
    assert torch.equal(a, ~b) and torch.equal(a, cdata.alternating_flips(1000, 2, seed=3))
    assert 400 < int(a.sum()) < 600  # a random half first
    assert not torch.equal(a, cdata.alternating_flips(1000, 0, seed=4))


def test_alternating_flips_validates():
    with pytest.raises(TypeError, match="n"):
        cdata.alternating_flips(1.5, 0)
    with pytest.raises(ValueError, match="epoch"):
        cdata.alternating_flips(10, -1)


def test_fit_with_alternating_flips_mirrors_each_image_in_every_other_epoch(tiny, monkeypatch):
    batches = []
    real = train._prepare
    monkeypatch.setattr(train, "_prepare", lambda x, device: batches.append(x.clone()) or real(x, device))
    rec = dataclasses.replace(TINY, alternate_flips=True, batch_size=100, translate=0)  # one step per epoch
    train.fit(models.make_model("quick"), tiny, recipe=rec, progress=False, eval_each_epoch=False)
    train_batches = [b for b in batches if len(b) == 100]
    assert len(train_batches) == 2
    for epoch, batch in enumerate(train_batches):
        order = torch.randperm(100, generator=torch.Generator().manual_seed(epoch))  # fit's order for seed 0
        flips = cdata.alternating_flips(100, epoch, seed=0)[order]
        x = tiny.x_train[order]
        expected = torch.where(flips[:, None, None, None], x.flip(-1), x)
        assert torch.equal(batch, expected)  # mirrored exactly where the mask says, no random flip on top


def test_the_whitening_bias_stops_training_at_its_fraction_and_is_trainable_again_after(tiny, monkeypatch):
    trained = []
    real = train._train_step

    def spy(run, idx, g, lr, flips=None):
        trained.append(run.model.whiten.bias.requires_grad)
        return real(run, idx, g, lr, flips)

    monkeypatch.setattr(train, "_train_step", spy)
    model = models.make_model("quick")
    rec = dataclasses.replace(TINY, epochs=4, whiten_bias_until=0.5)  # 5 steps an epoch, 20 in all
    train.fit(model, tiny, recipe=rec, progress=False, eval_each_epoch=False)
    assert trained == [True] * 10 + [False] * 10
    assert model.whiten.bias.requires_grad


@pytest.mark.parametrize("field, value, exc, word", [
    ("optimizer", "adam", ValueError, "optimizer"),
    ("whiten_bias_until", 1.5, ValueError, "whiten_bias_until"),
    ("muon_momentum", 1.0, ValueError, "muon_momentum"),
    ("alternate_flips", "yes", TypeError, "alternate_flips"),
])
def test_a_recipe_refuses_bad_values_of_the_new_fields(field, value, exc, word):
    with pytest.raises(exc, match=word):
        dataclasses.replace(TINY, **{field: value})


def test_recipes_that_do_not_use_the_new_fields_keep_their_checkpoint_names(tiny, tmp_path, monkeypatch):
    model = models.make_model("quick")
    path = lambda rec: train.checkpoint_path(tmp_path, model, tiny, recipe=rec)  # noqa: E731
    hashed = []
    real_dumps = train.json.dumps
    monkeypatch.setattr(train.json, "dumps", lambda obj, **kw: hashed.append(obj) or real_dumps(obj, **kw))
    for name in ("tutorial", "full", "quick-sgd"):  # none of them uses a later field
        path(train.RECIPES[name])
        assert not set(train.LATER_FIELDS) & set(hashed[-1]), name  # hashed as before the fields existed
    plain = path(train.RECIPES["quick-sgd"])
    assert path(dataclasses.replace(train.RECIPES["quick-sgd"], optimizer="muon")) != plain
    assert hashed[-1]["optimizer"] == "muon"
    assert path(dataclasses.replace(train.RECIPES["quick-sgd"], alternate_flips=True)) != plain
    path(train.RECIPES["quick"])
    assert hashed[-1]["optimizer"] == "muon" and hashed[-1]["whiten_bias_until"] == 0.3


def test_muon_refuses_a_net_without_batch_norm():
    with pytest.raises(ValueError, match="batch norm"):
        optim.make_optimizer(models.make_model("tutorial"), TINY)


def test_validation_split_holds_out_training_images_and_drops_the_test_set(tiny):
    split = cdata.validation_split(tiny, n_val=30, seed=1)
    assert len(split.y_train) == 70 and len(split.y_test) == 30
    pool = {bytes(x.numpy()) for x in tiny.x_train}
    test = {bytes(x.numpy()) for x in tiny.x_test}
    held, kept = {bytes(x.numpy()) for x in split.x_test}, {bytes(x.numpy()) for x in split.x_train}
    assert held <= pool and kept <= pool and not held & kept and not held & test
    assert torch.equal(split.y_test, cdata.validation_split(tiny, n_val=30, seed=1).y_test)
    with pytest.raises(ValueError, match="n_val"):
        cdata.validation_split(tiny, n_val=100)
