"""What a learner sees while ``fit`` trains: a progress bar, a live plot of the losses (nats) and accuracies,
and one log line per epoch.

- The bar's time estimate is the *average* rate since the start (tqdm ``smoothing=0``), so the time spent on
  each epoch's test evaluation is counted in it instead of making the estimate jump.
- The live plot is the run's one history figure: it is redrawn in place, and shown once more only when a
  finished checkpoint is reused (then nothing trains and the figure is drawn once).
- The untrained test loss, when given, is marked at step 0, where "both losses start near ln 10" can be seen.
"""

from __future__ import annotations

import math

from .._validate import check_flag, check_instance, check_int

__all__ = ["in_notebook", "LivePlot", "Reporter", "epoch_line"]


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where a live plot can be displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class LivePlot:
    """Loss (nats) and accuracy curves, redrawn in place in a notebook output by ``plots.plot_fit_history``,
    with the untrained test loss marked at step 0."""

    def __init__(self, history, steps_per_epoch: int, untrained_loss: float | None = None):
        import matplotlib.pyplot as plt
        from IPython.display import display

        self.fig, self.axes = plt.subplots(1, 2, figsize=(10, 3.6))
        plt.close(self.fig)  # shown only through the display handle
        self.steps_per_epoch = steps_per_epoch
        self.untrained_loss = untrained_loss
        self.handle = None
        self.update(history)
        self.handle = display(self.fig, display_id=True)

    def update(self, history) -> None:
        """Redraw both panels from ``history``."""
        from ..plots import COLORS, plot_fit_history

        ax_loss = plot_fit_history(history, self.axes, steps_per_epoch=self.steps_per_epoch)[0]
        if self.untrained_loss is not None and math.isfinite(self.untrained_loss):
            ax_loss.plot([0], [self.untrained_loss], "s", mfc="none", color=COLORS["other"],
                         label="test, untrained (step 0)")
            ax_loss.set_xlim(left=-0.05 * max(1, len(history.epoch)))
            ax_loss.legend(loc="upper right", fontsize="small")
        self.fig.tight_layout()
        if self.handle is not None:
            self.handle.update(self.fig)


def epoch_line(history, epochs: int, measured: bool) -> str:
    """The log line of the last finished epoch of ``history``."""
    from .train import History  # at call time: train imports this module

    check_instance(history, History, "history", "train.History")
    if not history.epoch:
        raise ValueError("history must hold at least one finished epoch")
    epochs = check_int(epochs, "epochs", high=100_000)
    measured = check_flag(measured, "measured")
    test = (f"test loss {history.test_loss[-1]:.4f} nats  test acc {history.test_accuracy[-1]:.4f}"
            if measured else "test not measured each epoch")
    return (f"epoch {history.epoch[-1]:3d}/{epochs}  train loss {history.train_loss[-1]:.4f} nats  "
            f"train acc {history.train_accuracy[-1]:.4f}  {test}  lr {history.lr[-1]:.4f}  "
            f"{history.seconds[-1]:.1f} s")


class Reporter:
    """The progress bar, the live plot and the log of one ``fit``; use as a context manager."""

    def __init__(self, history, *, name: str, total_steps: int, done_steps: int, steps_per_epoch: int,
                 progress: bool, live_plot: bool, log=None, untrained_loss: float | None = None):
        self.log = log
        self.plot = LivePlot(history, steps_per_epoch, untrained_loss) if live_plot else None
        self.redraw_every = max(25, total_steps // 50)  # about 50 redraws a run: each re-renders the figure
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_steps, initial=done_steps, desc=f"fit ({name})", unit="step",
                            smoothing=0)

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def step(self, history, step: int, loss: float, lr: float) -> None:
        """After training step number ``step`` (counted from 1)."""
        if self.bar is not None:
            self.bar.update(1)
            if step % 10 == 0:
                self.bar.set_postfix(loss=f"{loss:.3f} nats", lr=f"{lr:.3g}")
        if self.plot is not None and step % self.redraw_every == 0:
            self.plot.update(history)

    def evaluating(self) -> None:
        """Say on the bar that the test set is being evaluated (the bar stands still meanwhile)."""
        if self.bar is not None:
            self.bar.set_postfix_str("evaluating on the test set")

    def epoch(self, history, line: str) -> None:
        """After an epoch: redraw the plot and log ``line``."""
        if self.plot is not None:
            self.plot.update(history)
        if self.log:
            self.log(line)
