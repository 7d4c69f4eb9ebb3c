"""The calibration study of notebook 08 (course_utils.cifar.calibration_study), on a tiny fixture (never the
real data or the network)."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import calibration as cal
from course_utils import settings
from course_utils.cifar import calibration_study as study
from course_utils.cifar import data as cdata
from course_utils.cifar import train
from course_utils.plots import plot_loss_histogram

#: The LeNet-style net for one short epoch: enough to exercise the pipeline in a second or two.
TINY = dataclasses.replace(train.RECIPES["tutorial"], name="tiny", epochs=1, batch_size=32, lr=0.01, tta=True)


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory):
    root = cdata.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=240, n_test=80, seed=0)
    return cdata.load_cifar10(root, download=False, progress=False, checksums=cdata.fixture_checksums(root))


def test_split_validation_is_disjoint_seeded_and_leaves_test_alone(fixture_data):
    d = fixture_data
    train_d, x_val, y_val = study.split_validation(d, 40, seed=0)
    assert len(train_d.y_train) == 200 and len(y_val) == 40 and x_val.shape == (40, 3, 32, 32)
    assert train_d.x_test is d.x_test and train_d.y_test is d.y_test
    # every training image ends up in exactly one of the two parts
    flat = lambda x: {bytes(img.numpy().tobytes()) for img in x}  # noqa: E731
    assert flat(train_d.x_train) | flat(x_val) == flat(d.x_train)
    assert not flat(train_d.x_train) & flat(x_val)
    again = study.split_validation(d, 40, seed=0)[2]
    assert torch.equal(again, y_val)
    with pytest.raises(ValueError, match="n_val must be between 1 and 239"):
        study.split_validation(d, 240)
    with pytest.raises(TypeError, match="n_val must be an int"):
        study.split_validation(d, 0.1)


def test_subset_is_one_function_for_both_notebooks(fixture_data):
    small = cdata.subset(fixture_data, n_train=50, n_test=20)
    assert len(small.y_train) == 50 and len(small.y_test) == 20 and small.x_train.dtype == torch.uint8
    assert cdata.subset(fixture_data, n_train=10_000) is fixture_data
    assert not hasattr(cal, "subsample") and not hasattr(study, "subsample")


def test_synthetic_logits_have_the_promised_temperature():
    z, y = cal.synthetic_logits(20000, overconfidence=2.0, seed=3)
    assert z.shape == (20000, 10) and y.dtype == np.int64 and y.min() >= 0 and y.max() <= 9
    assert cal.fit_temperature(z, y) == pytest.approx(2.0, rel=0.05)
    with pytest.raises(ValueError, match="overconfidence must be > 0"):
        cal.synthetic_logits(10, overconfidence=0)
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        cal.synthetic_logits(10, num_classes=1)


def test_calibration_run_end_to_end_and_checkpoint_reuse(fixture_data, tmp_path):
    kw = {"recipe": TINY, "n_val": 40, "checkpoint_dir": tmp_path, "n_train_losses": 50}
    run = study.calibration_run(fixture_data, label_smoothing=0.0, **kw)
    assert run.name == "ε = 0" and run.recipe == "tiny" and run.temperature > 0
    assert run.test_logits.shape == (80, 10) and run.val_logits.shape == (40, 10) and run.val_targets.shape == (40,)
    assert run.before["accuracy"] == run.after["accuracy"]  # temperature never changes a prediction
    assert run.after["nll"] <= run.before["nll"] + 0.05  # T fitted on held-out data, measured on test
    assert run.before == pytest.approx(cal.calibration_metrics(cal.apply_temperature(run.test_logits, 1.0),
                                                               run.test_targets))
    assert run.test_losses.shape == (80,) and run.train_losses.shape == (50,) and not run.train_flipped.any()
    assert not run.reused_checkpoint
    again = study.calibration_run(fixture_data, label_smoothing=0.0, **kw)
    assert again.reused_checkpoint and again.temperature == pytest.approx(run.temperature)
    skip = study.calibration_run(fixture_data, label_smoothing=0.0, **{**kw, "n_train_losses": 0})
    assert skip.reused_checkpoint and skip.train_losses.shape == (0,) and skip.train_flipped.shape == (0,)
    noisy = study.calibration_run(fixture_data, label_smoothing=0.1, noise=0.25, **{**kw, "checkpoint_dir": None})
    assert noisy.name == "ε = 0.1, 25% noisy labels" and 0.1 < noisy.train_flipped.mean() < 0.45
    table = study.runs_table([run, noisy])
    assert "ε = 0.1, 25% noisy labels" in table and "ECE at T" in table
    md = study.runs_table([run], markdown=True).splitlines()
    assert md[0].startswith("| run | T |") and md[1].startswith("|---|---:") and len(md) == 3


def test_a_recipe_with_a_time_budget_trains_on_its_budget(fixture_data, monkeypatch):
    from course_utils.cifar import budget

    calls = []
    real = budget.budgeted_fit
    monkeypatch.setattr(budget, "budgeted_fit", lambda *a, **k: calls.append(k["recipe"]) or real(*a, **k))
    rec = dataclasses.replace(train.RECIPES["quick"], name="tiny-budget", epochs=1, batch_size=32, budget_s=30.0)
    run = study.calibration_run(fixture_data, recipe=rec, n_val=40, n_train_losses=20)
    assert calls == [rec] and run.recipe == "tiny-budget" and np.isfinite(run.temperature)
    study.calibration_run(fixture_data, recipe=rec, n_val=40, n_train_losses=20, epochs=1)  # fixed epochs: fit
    assert len(calls) == 1


def test_study_settings(fixture_data):
    small, kw = study.study_settings(fixture_data, fast=True)
    assert len(small.y_test) == 80 and kw["n_val"] == 48 and kw["checkpoint_dir"] is None
    assert kw["recipe"].epochs == 1 and kw["recipe"].model == "quick"
    full, kw = study.study_settings(fixture_data, fast=False)
    assert full is fixture_data and kw["recipe"].name == "quick" and kw["n_val"] == 5000
    assert kw["recipe"].budget_s == 180.0  # the quick recipe on its 3-minute budget
    assert kw["checkpoint_dir"] == settings.checkpoint_root()
    with pytest.raises(TypeError, match="fast must be True, False or None"):
        study.study_settings(fixture_data, fast="yes")


def test_notebooks_07_and_08_keep_checkpoints_under_one_root(monkeypatch, tmp_path, fixture_data):
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(tmp_path))
    assert study.study_settings(fixture_data, fast=False)[1]["checkpoint_dir"] == tmp_path
    monkeypatch.delenv("COURSE_CHECKPOINTS")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    assert study.study_settings(fixture_data, fast=False)[1]["checkpoint_dir"] == tmp_path / "cache" / "checkpoints"


def test_plot_loss_histogram():
    rng = np.random.default_rng(0)
    ax = plot_loss_histogram({"clean": rng.exponential(0.5, 300), "flipped": rng.exponential(3.0, 60)}, bins=20)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("clean (n = 300") and labels[1].startswith("flipped (n = 60")
    assert "nats" in ax.get_xlabel() and len(ax.patches) == 2
    with pytest.raises(TypeError, match="groups must be a non-empty dict"):
        plot_loss_histogram({})
    with pytest.raises(ValueError, match="contains NaN"):
        plot_loss_histogram({"a": [1.0, np.nan]})
    plt.close("all")
