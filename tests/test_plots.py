"""The course style and the plot_* functions: Axes returned, units on the axes, numbers from the math core."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import binary_losses, grads, losses, plots, setup


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
    plots.use_style(projector=False)


# ---------------------------------------------------------------- style
def test_projector_style_is_large_and_thick():
    plots.use_style(projector=False)
    normal = {k: mpl.rcParams[k] for k in ("font.size", "axes.labelsize", "lines.linewidth", "axes.linewidth",
                                           "lines.markersize", "xtick.major.width")}
    setup(projector=True, quiet=True)
    big = mpl.rcParams
    assert big["font.size"] >= 16 and big["axes.labelsize"] >= 16  # readable from the back of a room
    assert big["lines.linewidth"] >= 3
    for k, v in normal.items():
        assert big[k] > v, k
    plots.use_style(projector=False)  # and back: every key is set both ways
    assert all(mpl.rcParams[k] == v for k, v in normal.items())


def test_palette_has_one_colour_per_meaning_and_is_the_cycle():
    assert len(set(plots.COLORS.values())) == len(plots.COLORS)
    plots.use_style()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle[:4] == [plots.COLORS[k] for k in ("true", "pred", "loss", "grad")]


def test_use_style_rejects_non_bool():
    with pytest.raises(TypeError, match="projector"):
        plots.use_style(projector="yes")


# ---------------------------------------------------------------- plot functions


@pytest.mark.parametrize("y", [0, 1])
def test_loss_vs_prob_curves_come_from_losses(y):
    names = list(plots.LOSS_STYLES)
    ax = plots.plot_loss_vs_prob(names, y, q=0.2, gamma=1.5, pos_weight=2.0, label_smoothing=0.2)
    assert ax.get_ylabel() == "loss (nats)" and "probability" in ax.get_xlabel()
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    bce = lines["cross-entropy (BCE)"]
    p = bce.get_xdata()
    assert np.allclose(bce.get_ydata(), losses.binary_cross_entropy(p, np.full_like(p, y), reduction="none"))
    focal = lines["focal (γ = 1.5)"]
    z = np.log(p / (1 - p))
    assert np.allclose(focal.get_ydata(), losses.sigmoid_focal_loss(z, np.full_like(p, y), alpha=-1, gamma=1.5,
                                                                    reduction="none"))
    assert "weighted BCE (pos_weight = 2)" in lines and "label-smoothed BCE (ε = 0.2)" in lines
    assert set(plots.LOSS_STYLES) == set(binary_losses.BINARY_LOSSES)  # one table, the views only add style
    styles = [(c, ls) for _, c, ls in plots.LOSS_STYLES.values()]
    assert len(set(map(str, styles))) == len(styles), "each loss needs its own colour and line style"


def test_grad_vs_prob_curves_come_from_grads():
    ax = plots.plot_grad_vs_prob(["bce", "mse"], 1, q=0.01)
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    p = lines[0].get_xdata()
    z = np.log(p / (1 - p))
    assert np.allclose(lines[0].get_ydata(), grads.bce_grad_logit(z, np.ones_like(z)))
    assert np.allclose(lines[1].get_ydata(), grads.mse_grad_logit(z, np.ones_like(z)))
    assert "gradient" in ax.get_ylabel()


def test_binary_curve_rejects_bad_names_and_labels():
    with pytest.raises(ValueError, match="unknown"):
        plots.plot_loss_vs_prob(["nope"])
    with pytest.raises(ValueError, match="y must be"):
        plots.plot_loss_vs_prob(["bce"], y=2)
    with pytest.raises(ValueError, match="q must"):
        plots.plot_loss_vs_prob(["bce"], q=1.0)
    with pytest.raises(ValueError, match="strictly"):
        plots.binary_curve("bce", [0.0, 0.5], 1)


def test_fmt_number():
    assert plots.fmt_number(1.23456) == "1.2346"
    assert plots.fmt_number(float("inf")) == "∞"
    assert plots.fmt_number(1e12) == "1.0000e+12"
    assert plots.fmt_number(0) == "0.0000"


# ---------------------------------------------------------------- training figures
def test_loss_histogram_counts_on_a_log_axis_with_mean_and_uniform_guess():
    rng = np.random.default_rng(1)
    right, wrong = rng.exponential(0.2, 400), rng.exponential(2.0, 50)
    ax = plots.plot_loss_histogram({"right": right, "wrong": wrong}, bins=30, density=False, log_counts=True,
                                   mean_line=True, uniform_classes=10)
    assert ax.get_yscale() == "log" and "count" in ax.get_ylabel()
    heights = sum(p.get_path().vertices[:, 1].max() for p in ax.patches)
    assert heights > 50  # counts, not densities
    xs = sorted(line.get_xdata()[0] for line in ax.lines)
    assert xs == pytest.approx(sorted([np.log(10), np.concatenate([right, wrong]).mean()]))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("ln 10") for lab in labels) and any(lab.startswith("mean of all") for lab in labels)
    assert ax.get_xlim()[1] >= np.log(10)
    with pytest.raises(ValueError, match="uniform_classes"):
        plots.plot_loss_histogram({"a": right}, uniform_classes=1)
    with pytest.raises(TypeError, match="log_counts"):
        plots.plot_loss_histogram({"a": right}, log_counts="yes")


def test_fit_history_draws_steps_epochs_and_redraws_in_place():
    from course_utils.cifar.train import History

    h = History(recipe="demo", epoch=[1, 2], train_loss=[1.9, 1.2], train_accuracy=[0.4, 0.6],
                test_loss=[1.7, 1.1], test_accuracy=[0.45, 0.62], step_loss=list(np.linspace(2.3, 1.1, 20)))
    ax_loss, ax_acc = plots.plot_fit_history(h)
    step_line = ax_loss.lines[0]
    assert step_line.get_xdata()[-1] == pytest.approx(2.0)  # 20 steps over 2 epochs
    assert "nats" in ax_loss.get_ylabel() and ax_acc.get_ylim() == (0, 1)
    assert any(np.allclose(line.get_ydata(), np.log(10)) for line in ax_loss.lines)
    h.step_loss.append(1.0)  # a live plot redraws on the same axes without piling up lines
    n_lines = len(ax_loss.lines)
    plots.plot_fit_history(h, (ax_loss, ax_acc), steps_per_epoch=10)
    assert len(ax_loss.lines) == n_lines and ax_loss.lines[0].get_xdata()[-1] == pytest.approx(2.1)
    with pytest.raises(TypeError, match="History"):
        plots.plot_fit_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="steps_per_epoch"):
        plots.plot_fit_history(h, steps_per_epoch=0)
