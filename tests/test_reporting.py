"""What a learner sees while notebook 07 trains (issue 18, section 4): one history figure, a time estimate
that counts the evaluations, and the untrained loss marked at step 0."""

from __future__ import annotations

import dataclasses
import math

import matplotlib.pyplot as plt
import pytest

from course_utils.cifar import data as cdata
from course_utils.cifar import models, reporting, train

TINY = dataclasses.replace(train.RECIPES["quick"], name="tiny", epochs=2, batch_size=20, lr=0.05)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = cdata.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=60, n_test=20, seed=2)
    return cdata.load_cifar10(root, download=False, verify=False, progress=False)


class _Handle:
    def __init__(self):
        self.updates = 0

    def update(self, fig):
        self.updates += 1


@pytest.fixture
def shown(monkeypatch):
    """Every figure a LivePlot displays, instead of a notebook output."""
    import IPython.display

    figures = []

    def display(fig, display_id=False):
        figures.append(fig)
        return _Handle()

    monkeypatch.setattr(IPython.display, "display", display)
    yield figures
    plt.close("all")


def test_the_time_estimate_is_the_average_rate_so_evaluation_counts():
    with reporting.Reporter(train.History("r"), name="r", total_steps=10, done_steps=0, steps_per_epoch=5,
                            progress=True, live_plot=False) as report:
        assert report.bar.smoothing == 0  # tqdm: 0 = average since the start, evaluation pauses included
        report.evaluating()
        assert "evaluating" in str(report.bar.postfix)


def test_the_untrained_loss_is_marked_at_step_0(shown):
    h = train.History("r", epoch=[1], train_loss=[1.9], train_accuracy=[0.3], test_loss=[1.8],
                      test_accuracy=[0.35], lr=[0.1], seconds=[1.0], step_loss=[2.3, 2.0, 1.7])
    plot = reporting.LivePlot(h, steps_per_epoch=3, untrained_loss=math.log(10))
    ax = plot.axes[0]
    marks = [line for line in ax.get_lines() if list(line.get_xdata()) == [0]]
    assert len(marks) == 1 and marks[0].get_ydata()[0] == pytest.approx(math.log(10))
    assert "untrained" in marks[0].get_label() and ax.get_xlim()[0] < 0
    assert len(shown) == 1


def test_fit_shows_the_history_once_and_records_the_untrained_loss(tiny, tmp_path, shown):
    kw = dict(recipe=TINY, progress=False, live_plot=True, device="cpu", checkpoint_dir=tmp_path,
              untrained_loss=2.3)
    hist = train.fit(models.make_model("quick"), tiny, **kw)
    assert len(shown) == 1 and hist.untrained_test_loss == 2.3
    again = train.fit(models.make_model("quick"), tiny, **kw)  # a finished checkpoint: nothing trains
    assert again.reused_checkpoint and len(shown) == 2  # its figure is drawn once, too


def test_fit_without_a_notebook_draws_nothing(tiny, shown):
    train.fit(models.make_model("quick"), tiny, recipe=TINY, progress=True, device="cpu", eval_each_epoch=False)
    assert shown == [] and not reporting.in_notebook()
