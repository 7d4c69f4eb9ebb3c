"""Recipes defined by a time budget (issue 14, section 1), with a fake clock: fewer epochs on a slower machine,
and never a late finish."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from course_utils.cifar import budget, models, train
from course_utils.cifar import data as cdata

TINY = dataclasses.replace(train.RECIPES["quick"], name="tiny", epochs=1, batch_size=20, lr=0.05, tta=True)


class FakeClock:
    """Time moves only when the test says so."""

    def __init__(self):
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def tick(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = cdata.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=60, n_test=20, seed=2)
    return cdata.load_cifar10(root, download=False, verify=False, progress=False)


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(train, "clock", c)
    return c


def _machine(monkeypatch, clock, *, step_s: float, eval_s: float = 0.0):
    """A machine whose training steps take ``step_s`` and whose evaluations take ``eval_s`` fake seconds."""
    monkeypatch.setattr(budget, "_one_step", lambda *a, **k: clock.tick(step_s))
    real_step, real_eval = train._train_step, train.evaluate

    def step(*a, **k):
        out = real_step(*a, **k)
        clock.tick(step_s)
        return out

    def evaluate(*a, **k):
        out = real_eval(*a, **k)
        clock.tick(eval_s)
        return out

    monkeypatch.setattr(train, "_train_step", step)
    monkeypatch.setattr(train, "evaluate", evaluate)


def test_plan_epochs_fills_what_the_budget_leaves():
    assert budget.plan_epochs(100, n_train=1000, images_per_second=100) == 10
    assert budget.plan_epochs(100, n_train=1000, images_per_second=100, eval_seconds=15, warmup_seconds=5) == 8
    assert budget.plan_epochs(100, n_train=1000, images_per_second=50) == 5  # half the speed, half the epochs
    assert budget.plan_epochs(1, n_train=1000, images_per_second=1) == 1  # at least one
    assert budget.plan_epochs(100, n_train=10, images_per_second=100, max_epochs=30) == 30
    for kwargs, exc in (({"n_train": 0}, ValueError), ({"images_per_second": 0}, ValueError),
                        ({"n_train": 1.5}, TypeError)):
        with pytest.raises(exc, match=next(iter(kwargs))):
            budget.plan_epochs(100, **{"n_train": 10, "images_per_second": 1.0, **kwargs})


def test_the_chosen_epochs_shrink_when_the_measured_throughput_halves(tiny, clock, monkeypatch):
    monkeypatch.setattr(train, "fit", lambda model, data, **kw: kw)  # plan only: nothing trains
    plans = {}
    for step_s in (0.01, 0.02):  # 2,000 then 1,000 images/s with batches of 20
        monkeypatch.setattr(budget, "_one_step", lambda *a, s=step_s, **k: clock.tick(s))
        kw, plans[step_s] = budget.budgeted_fit(models.make_model("quick"), tiny, recipe=TINY, budget_s=10.0,
                                                device="cpu", log=None)
        assert kw["recipe"].epochs == plans[step_s].epochs and kw["time_budget_s"] == plans[step_s].train_budget_s
    fast, slow = plans[0.01], plans[0.02]
    assert fast.images_per_second == pytest.approx(2 * slow.images_per_second)
    assert slow.epochs < fast.epochs and slow.epochs == pytest.approx(fast.epochs / 2, abs=1)
    assert fast.warmup_seconds == pytest.approx(4 * 0.01)  # 1 + 3 warm-up steps, counted in the budget


@pytest.mark.parametrize("eval_each_epoch", [False, True])
def test_a_budgeted_run_ends_within_one_step_plus_the_evaluation(tiny, clock, monkeypatch, eval_each_epoch):
    step_s, eval_s, budget_s = 0.05, 0.4, 3.0
    _machine(monkeypatch, clock, step_s=step_s, eval_s=eval_s)
    start = clock()
    lines = []
    hist, plan = budget.budgeted_fit(models.make_model("quick"), tiny, recipe=TINY, budget_s=budget_s,
                                     device="cpu", progress=False, live_plot=False, log=lines.append,
                                     eval_each_epoch=eval_each_epoch)
    train.evaluate(models.make_model("quick"), tiny.x_test, tiny.y_test, tta=TINY.tta)  # the final evaluation
    assert clock() - start <= budget_s + step_s + eval_s
    assert hist.finished and plan.epochs >= 2
    assert "budget 3 s" in lines[0] and "images/s" in lines[0] and f"{plan.epochs} epoch(s)" in lines[0]
    assert "precision" in lines[0]


def test_the_schedule_ends_at_the_budget(tiny, clock, monkeypatch):
    _machine(monkeypatch, clock, step_s=0.05)
    hist, plan = budget.budgeted_fit(models.make_model("quick"), tiny, recipe=TINY, budget_s=2.0, device="cpu",
                                     progress=False, live_plot=False, log=None, eval_each_epoch=False)
    assert hist.lr[-1] < 0.2 * TINY.lr  # annealed to (near) zero by the end, whichever ran out first
    assert len(hist.step_loss) * 0.05 <= plan.train_budget_s + 0.05


def test_a_machine_faster_than_measured_still_uses_the_whole_budget(tiny, clock, monkeypatch):
    """The warm-up measured 0.05 s a step, but training runs at 0.042 s (19% faster, inside the headroom): the
    clock, not the epoch count, ends the schedule, so the run does not finish early."""
    _machine(monkeypatch, clock, step_s=0.042)
    monkeypatch.setattr(budget, "_one_step", lambda *a, **k: clock.tick(0.05))
    start = clock()
    hist, plan = budget.budgeted_fit(models.make_model("quick"), tiny, recipe=TINY, budget_s=3.0, device="cpu",
                                     progress=False, live_plot=False, log=None, eval_each_epoch=False)
    assert hist.stopped_by_budget
    assert plan.budget_s - plan.eval_seconds - 0.042 <= clock() - start <= plan.budget_s - plan.eval_seconds + 0.042
    assert plan.epochs > plan.expected_epochs


def test_plan_epochs_rounds_up_so_the_clock_ends_the_last_epoch():
    assert budget.plan_epochs(100, n_train=1000, images_per_second=17.8) == 2  # 1.78 epochs fit: 2, cut by the clock


def test_measuring_leaves_the_model_alone(tiny):
    model = models.make_model("quick")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ips = budget.measure_throughput(model, tiny, TINY, device=torch.device("cpu"), precision="fp32", steps=1)
    assert ips > 0 and all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_a_recipe_without_a_budget_trains_its_fixed_epochs_and_says_so(tiny):
    lines = []
    hist, plan = budget.budgeted_fit(models.make_model("quick"), tiny, recipe=dataclasses.replace(TINY, epochs=2),
                                     device="cpu", progress=False, live_plot=False, log=lines.append,
                                     eval_each_epoch=False)
    assert plan.budget_s is None and plan.train_budget_s is None and plan.epochs == 2 and hist.epoch == [1, 2]
    assert lines[0].startswith("no time budget: a fixed 2 epoch(s)") and "images/s" in lines[0]
    assert budget.BUDGETS == {"quick": 180.0, "standard": 600.0}
    with pytest.raises(ValueError, match="budget_s"):
        budget.budgeted_fit(models.make_model("quick"), tiny, recipe=TINY, budget_s=-1.0, log=None)


def test_a_budgeted_run_is_found_again_whatever_epochs_the_machine_allowed(tiny, clock, monkeypatch, tmp_path):
    """Notebook 07 re-run: a slower warm-up plans fewer epochs, yet the finished checkpoint is reused."""
    runs = []
    for step_s in (0.05, 0.08):
        _machine(monkeypatch, clock, step_s=step_s)
        hist, plan = budget.budgeted_fit(models.make_model("quick"), tiny, recipe=TINY, budget_s=3.0, device="cpu",
                                         progress=False, live_plot=False, log=None, eval_each_epoch=False,
                                         checkpoint_dir=tmp_path)
        runs.append((hist, plan))
    assert runs[1][1].epochs < runs[0][1].epochs
    assert not runs[0][0].reused_checkpoint and runs[1][0].reused_checkpoint
    assert len(list(tmp_path.glob("*.pt"))) == 1
