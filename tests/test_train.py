"""course_utils.cifar.models and course_utils.cifar.train on tiny data: overfitting, checkpoints, resume, evaluation."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from course_utils.cifar import data as cdata
from course_utils.cifar import devices, models, train


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny batches gain nothing from more threads, and a busy machine punishes oversubscription."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# No augmentation or smoothing, small batches: a recipe that can memorise a handful of images.
MEMORISE = dataclasses.replace(train.RECIPES["quick"], name="memorise", epochs=20, batch_size=16, lr=0.05,
                               label_smoothing=0.0, translate=0, flip=False, weight_decay=0.0, warmup=0.1)
TINY = dataclasses.replace(train.RECIPES["quick"], name="tiny", epochs=2, batch_size=20, lr=0.05)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = cdata.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=100, n_test=40, seed=2)
    return cdata.load_cifar10(root, download=False, verify=False)


def _same_state(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.allclose(sa[k].float(), sb[k].float(), atol=1e-6) for k in sa)


def test_recipes_and_models_exist():
    assert {"tutorial", "quick", "standard", "full"} <= set(train.RECIPES)
    for recipe in train.RECIPES.values():
        model = models.make_model(recipe.model)
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert models.make_model("quick", num_classes=3)(torch.zeros(1, 3, 32, 32)).shape == (1, 3)
    assert _same_state(models.make_model("quick", seed=1), models.make_model("quick", seed=1))
    assert not _same_state(models.make_model("quick", seed=1), models.make_model("quick", seed=2))


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"name": "resnet"}, ValueError, "name"), ({"name": 3}, TypeError, "name"),
    ({"num_classes": 1}, ValueError, "num_classes"), ({"seed": 1.5}, TypeError, "seed"),
])
def test_make_model_validates(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        models.make_model(**kwargs)


def test_initial_loss_is_about_ln_10(tiny):
    ev = train.evaluate(models.make_model("quick"), tiny.x_test, tiny.y_test, tta=False)
    assert abs(ev.loss - math.log(10)) < 0.15


def test_overfits_64_images(tiny):
    g = torch.Generator().manual_seed(0)
    x = tiny.x_train[:64]
    y = torch.randint(0, 10, (64,), generator=g)  # random labels: only memorising can fit them
    small = tiny._replace(x_train=x, y_train=y, x_test=x[:0], y_test=y[:0])
    model = models.make_model("quick")
    hist = train.fit(model, small, recipe=MEMORISE, progress=False, live_plot=False, device="cpu")
    assert hist.finished and hist.train_loss[-1] < hist.train_loss[0]
    assert train.evaluate(model, x, y, tta=False).accuracy >= 0.95


def test_checkpoint_resume_matches_an_uninterrupted_run(tiny, tmp_path):
    kwargs = dict(recipe=TINY, progress=False, live_plot=False, device="cpu", seed=3)
    straight = models.make_model("quick")
    h_straight = train.fit(straight, tiny, checkpoint_dir=tmp_path / "a", **kwargs)

    class Interrupt(Exception):
        pass

    def stop_after_first_epoch(line):
        raise Interrupt

    first = models.make_model("quick")
    with pytest.raises(Interrupt):
        train.fit(first, tiny, checkpoint_dir=tmp_path / "b", log=stop_after_first_epoch, **kwargs)
    assert first.whiten.bias.requires_grad  # frozen for the late steps, trainable again after the crash
    resumed = models.make_model("quick")  # as after a kernel restart
    lines = []
    h_resumed = train.fit(resumed, tiny, checkpoint_dir=tmp_path / "b", log=lines.append, **kwargs)
    assert lines[0].startswith("resuming from epoch 1")
    assert _same_state(straight, resumed)
    assert h_resumed.epoch == h_straight.epoch == [1, 2]
    assert h_resumed.step_loss == pytest.approx(h_straight.step_loss, abs=1e-5)

    again = models.make_model("quick", seed=99)
    h_again = train.fit(again, tiny, checkpoint_dir=tmp_path / "b", **kwargs)
    assert h_again.reused_checkpoint and h_again.finished and _same_state(again, straight)


def test_overrides_get_their_own_checkpoint(tiny, tmp_path):
    model = models.make_model("quick")
    paths = {
        train.checkpoint_path(tmp_path, model, tiny, recipe="quick"),
        train.checkpoint_path(tmp_path, model, tiny, recipe="quick", label_smoothing=0.0),
        train.checkpoint_path(tmp_path, model, tiny, recipe="quick", label_smoothing=0.1),
        train.checkpoint_path(tmp_path, model, tiny, recipe="quick", epochs=1),
        train.checkpoint_path(tmp_path, model, tiny._replace(y_train=cdata.flip_labels(tiny.y_train, 0.2)),
                              recipe="quick"),
    }
    assert len(paths) == 5


def test_label_smoothing_override_and_noisy_labels_train(tiny):
    noisy = tiny._replace(y_train=cdata.flip_labels(tiny.y_train, 0.2))
    hist = train.fit(models.make_model("quick"), noisy, recipe=TINY, epochs=1, label_smoothing=0.0,
                     progress=False, live_plot=False, device="cpu")
    assert hist.epoch == [1] and math.isfinite(hist.train_loss[0]) and hist.finished


def test_time_budget_stops_early(tiny):
    hist = train.fit(models.make_model("quick"), tiny, recipe=TINY, epochs=50, time_budget_s=0.5,
                     progress=False, live_plot=False, device="cpu", eval_each_epoch=False)
    assert hist.stopped_by_budget and hist.finished and len(hist.epoch) < 50


def test_evaluate_is_consistent(tiny):
    model = models.make_model("quick")
    ev = train.evaluate(model, tiny.x_test, tiny.y_test)
    n = len(tiny.y_test)
    assert ev.probs.shape == (n, 10) and torch.allclose(ev.probs.sum(1), torch.ones(n), atol=1e-5)
    assert int(ev.confusion.sum()) == n and torch.equal(ev.confusion.sum(1), torch.bincount(tiny.y_test, minlength=10))
    assert ev.accuracy == pytest.approx(float(ev.confusion.diagonal().sum()) / n)
    per_class = ev.confusion.diagonal().double() / ev.confusion.sum(1).double()
    assert torch.allclose(ev.per_class_accuracy, per_class, equal_nan=True)
    assert torch.allclose(ev.losses, -ev.probs.log()[torch.arange(n), tiny.y_test], atol=1e-4)
    assert ev.loss == pytest.approx(float(ev.losses.mean()))
    flipped = train.evaluate(model, tiny.x_test.flip(-1), tiny.y_test)
    assert torch.allclose(ev.logits, flipped.logits, atol=1e-4)  # TTA averages over the mirror image


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"recipe": "huge"}, ValueError, "recipe"), ({"epochs": 0}, ValueError, "epochs"),
    ({"label_smoothing": 1.5}, ValueError, "label_smoothing"), ({"time_budget_s": -1}, ValueError, "time_budget"),
    ({"seed": "0"}, TypeError, "seed"),
])
def test_fit_validates(tiny, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        train.fit(models.make_model("quick"), tiny, progress=False, **kwargs)


def test_fit_rejects_float_images(tiny):
    with pytest.raises(ValueError, match="x_train"):
        train.fit(models.make_model("quick"), tiny._replace(x_train=tiny.x_train.float()), progress=False)


def test_notebook_recipe():
    assert train.notebook_recipe(fast=False).name == train.NOTEBOOK_RECIPE
    assert train.notebook_recipe(fast=False).budget_s == train.BUDGETS[train.NOTEBOOK_RECIPE] == 600.0
    assert train.notebook_recipe(fast=True).budget_s is None
    assert train.notebook_recipe(fast=True).epochs <= 5


def test_fit_whitens_once_and_can_continue_training(tiny):
    model = models.make_model("quick")
    assert not bool(model.whitened)
    train.fit(model, tiny, recipe=TINY, epochs=1, progress=False, live_plot=False, device="cpu")
    assert bool(model.whitened)
    stem = model.whiten.weight.clone()
    train.fit(model, tiny._replace(x_train=tiny.x_train.flip(-1)), recipe=TINY, epochs=1, progress=False,
              live_plot=False, device="cpu")
    assert torch.equal(stem, model.whiten.weight)  # a second fit continues; it does not reset the stem


def test_precision_is_resolved_per_device(monkeypatch):
    assert devices.resolve_precision("fp32", "cpu") == "fp32"
    assert devices.resolve_precision("bf16", "cpu") == "bf16"
    assert devices.resolve_precision("auto", "cpu") == ("bf16" if devices.cpu_has_bf16_units() else "fp32")
    monkeypatch.setattr(devices, "cpu_has_bf16_units", lambda: False)
    assert devices.resolve_precision("auto", "cpu") == "fp32"
    monkeypatch.setattr(devices, "cpu_has_bf16_units", lambda: True)
    assert devices.resolve_precision("auto", "cpu") == "bf16"
    for bad, exc in (("half", ValueError), (16, TypeError)):
        with pytest.raises(exc, match="precision"):
            devices.resolve_precision(bad, "cpu")
    with pytest.raises(ValueError, match="precision 'fp16'"):
        devices.resolve_precision("fp16", "cpu")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_fit_and_evaluate_in_each_precision(tiny, precision):
    model = models.make_model("quick")
    hist = train.fit(model, tiny, recipe=TINY, epochs=1, progress=False, live_plot=False, device="cpu",
                     precision=precision)
    assert hist.precision == precision and math.isfinite(hist.train_loss[0])
    ev = train.evaluate(model, tiny.x_test, tiny.y_test, precision=precision)
    assert ev.logits.dtype == torch.float32 and torch.isfinite(ev.logits).all()
    ev32 = train.evaluate(model, tiny.x_test, tiny.y_test, precision="fp32")
    assert torch.allclose(ev.probs, ev32.probs, atol=0.05)  # bf16 keeps about 3 significant digits


def test_shift_batch_moves_pixels_and_reflects_at_the_border():
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5)
    down = train.shift_batch(x, 1)
    assert down.shape == x.shape and torch.equal(down[..., 1:, 1:], x[..., :-1, :-1])
    assert torch.equal(down[..., 0, 1:], x[..., 1, :-1])  # the new top row reflects row 1
    up = train.shift_batch(x, -2)
    assert torch.equal(up[..., :-2, :-2], x[..., 2:, 2:])
    assert train.shift_batch(x, 0) is x


def test_translate_tta_averages_six_views(tiny):
    model = models.make_model("quick")
    x = tiny.x_test[:8]
    ev = train.evaluate(model, x, tiny.y_test[:8], tta_translate=1, precision="fp32")
    mirrored = train.evaluate(model, x.flip(-1), tiny.y_test[:8], tta_translate=1, precision="fp32")
    assert torch.allclose(ev.logits, mirrored.logits, atol=1e-4)
    model.eval()
    with torch.no_grad():
        xb = train._prepare(x, torch.device("cpu"))
        views = [xb, xb.flip(-1)]
        expected = sum(0.5 * model(v) + 0.25 * (model(train.shift_batch(v, 1)) + model(train.shift_batch(v, -1)))
                       for v in views) / 2
    assert torch.allclose(ev.logits, expected, atol=1e-4)
    for bad, exc in ((-1, ValueError), (9, ValueError), (True, TypeError), (1.0, TypeError)):
        with pytest.raises(exc, match="tta_translate"):
            train.predict_logits(model, x, tta_translate=bad)


def test_the_tutorial_recipe_runs_in_float32_and_a_recipe_sets_the_default(tiny):
    assert train.RECIPES["tutorial"].precision == "fp32"  # as the PyTorch tutorial does
    recipe = dataclasses.replace(TINY, precision="fp32")
    hist = train.fit(models.make_model("quick"), tiny, recipe=recipe, epochs=1, progress=False, live_plot=False,
                     device="cpu", eval_each_epoch=False)
    assert hist.precision == "fp32"
    with pytest.raises(ValueError, match="precision"):
        train.fit(models.make_model("quick"), tiny, recipe=dataclasses.replace(TINY, precision="half"),
                  progress=False, live_plot=False)


def test_a_budgeted_runs_checkpoint_ignores_the_epochs_and_a_fixed_runs_does_not(tiny, tmp_path):
    model = models.make_model("quick")
    path = lambda rec: train.checkpoint_path(tmp_path, model, tiny, recipe=rec)  # noqa: E731
    budgeted = dataclasses.replace(TINY, budget_s=60.0)
    assert path(dataclasses.replace(budgeted, epochs=2)) == path(dataclasses.replace(budgeted, epochs=7))
    assert path(dataclasses.replace(TINY, epochs=2)) != path(dataclasses.replace(TINY, epochs=7))
    assert path(budgeted) != path(dataclasses.replace(budgeted, budget_s=120.0)) != path(TINY)
