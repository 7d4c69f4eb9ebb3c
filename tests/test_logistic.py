"""Toy data and the from-scratch logistic regression, with PyTorch as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import ce_vs_mse, logistic, plots


def test_make_blobs_shapes_dtypes_and_balance():
    x, y = logistic.make_blobs()
    assert x.shape == (200, 2) and x.dtype == np.float64
    assert y.shape == (200,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100]
    x3, y3 = logistic.make_blobs(301, num_classes=3)
    assert np.bincount(y3).tolist() == [101, 100, 100]


def test_make_blobs_is_seeded_and_shuffled():
    a, ya = logistic.make_blobs(seed=3)
    b, yb = logistic.make_blobs(seed=3)
    c, _ = logistic.make_blobs(seed=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)
    assert 0 < ya[:100].sum() < 100  # the classes are mixed, not in blocks


def test_make_blobs_imbalance_and_separation():
    _, y = logistic.make_blobs(200, imbalance=0.05)
    assert np.bincount(y).tolist() == [190, 10]
    x, y = logistic.make_blobs(4000, separation=6.0)
    gap = np.linalg.norm(x[y == 1].mean(0) - x[y == 0].mean(0))
    assert gap == pytest.approx(6.0, abs=0.15)
    centers = logistic.blob_centers(5, 2.0)
    assert np.linalg.norm(centers[0] - centers[1]) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("kwargs", "err"),
    [
        ({"n": 0}, ValueError),
        ({"n": 2.5}, TypeError),
        ({"num_classes": 1}, ValueError),
        ({"separation": -1.0}, ValueError),
        ({"imbalance": 0.0}, ValueError),
        ({"imbalance": 1.2}, ValueError),
        ({"imbalance": 0.001}, ValueError),  # rounds to an empty class at n = 200
        ({"imbalance": 0.2, "num_classes": 3}, ValueError),
    ],
)
def test_make_blobs_rejects_bad_arguments(kwargs, err):
    with pytest.raises(err):
        logistic.make_blobs(**kwargs)


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_train_logistic_matches_pytorch_step_by_step(loss):
    x, y = logistic.make_blobs(120, seed=1)
    ours = logistic.train_logistic(x, y, loss=loss, lr=0.5, steps=60, w0=[-2.0, 1.0], b0=0.3)
    ref = ce_vs_mse.train_logistic_torch(x, y, loss=loss, lr=0.5, steps=60, w0=[-2.0, 1.0], b0=0.3)
    np.testing.assert_allclose(ours.losses, ref.losses, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.w_path, ref.w_path, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.b_path, ref.b_path, rtol=1e-10, atol=1e-12)


def test_train_logistic_records_losses_in_nats_and_learns():
    x, y = logistic.make_blobs(200, separation=3.0)
    r = logistic.train_logistic(x, y, steps=300, lr=0.5)
    assert r.losses.shape == (301,)
    assert r.losses[0] == pytest.approx(np.log(2))  # w = 0, b = 0: p = 1/2 everywhere, ln 2 nats
    assert r.losses[-1] < r.losses[0] / 3
    assert np.all(np.diff(r.losses) <= 1e-12)  # small steps on a convex loss never go up
    expected = F.binary_cross_entropy_with_logits(torch.from_numpy(r.logits(x)), torch.from_numpy(y * 1.0))
    assert r.losses[-1] == pytest.approx(expected.item(), rel=1e-12)
    accuracy = ((r.predict_proba(x) > 0.5) == y).mean()
    assert accuracy > 0.9


@pytest.mark.parametrize(
    ("kwargs", "err"),
    [
        ({"loss": "nope"}, ValueError),
        ({"lr": 0.0}, ValueError),
        ({"steps": -1}, ValueError),
        ({"steps": 1.0}, TypeError),
        ({"w0": [1.0, 2.0, 3.0]}, ValueError),
        ({"b0": float("nan")}, ValueError),
    ],
)
def test_train_logistic_rejects_bad_arguments(kwargs, err):
    x, y = logistic.make_blobs(20)
    with pytest.raises(err):
        logistic.train_logistic(x, y, **kwargs)


def test_train_logistic_rejects_bad_data():
    x, y = logistic.make_blobs(20)
    with pytest.raises(ValueError, match="y must contain binary labels"):
        logistic.train_logistic(x, y + 1)
    with pytest.raises(ValueError, match="y must have shape"):
        logistic.train_logistic(x, y[:-1])
    with pytest.raises(ValueError, match="x must have shape"):
        logistic.train_logistic(x[:, 0], y)


def test_plot_decision_boundary_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = logistic.make_blobs(50)
    ax = plots.plot_decision_boundary(x, y, logistic.train_logistic(x, y, steps=5))
    assert ax.get_xlabel() == "$x_1$"
    plt.close(ax.figure)
