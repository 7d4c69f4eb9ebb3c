"""Staging area for the calibration explorer; it moves into widgets.py as its ``# --- calibration ---`` section."""

from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib.pyplot as plt

from . import calibration, plots


# --- calibration ---
class TemperatureExplorer(widgets.VBox):
    """A temperature slider over fixed logits: the reliability diagram and ECE/NLL/Brier/accuracy, live.

    ``.controls``: ``"temperature"`` (log slider, 0.1 to 10), ``"n_bins"``, ``"reset"`` (T = 1) and, when a
    fitted temperature is given, ``"fit"`` (jump to it). ``.values``: the numbers now shown, computed by
    :func:`course_utils.calibration.calibration_metrics` on ``apply_temperature(logits, T)``.
    """

    def __init__(self, logits, targets, *, n_bins: int = 15, temperature: float = 1.0,
                 fitted_temperature: float | None = None, title: str = "Reliability diagram"):
        z, y = calibration._logits_targets(logits, targets)  # validate once, at the door
        n_bins = calibration._check_n_bins(n_bins)
        temperature = calibration._check_temperature(temperature)
        if fitted_temperature is not None:
            fitted_temperature = calibration._check_temperature(fitted_temperature)
        self._logits, self._targets, self._title = z, y, title
        self._reference = calibration.calibration_metrics(calibration.apply_temperature(z, 1.0), y, n_bins)

        slider = widgets.FloatLogSlider(value=temperature, base=10, min=-1, max=1, step=0.01,
                                        description="temperature T", continuous_update=False,
                                        readout_format=".2f", style={"description_width": "initial"},
                                        layout=widgets.Layout(width="380px"))
        bins_slider = widgets.IntSlider(value=n_bins, min=1, max=30, description="bins",
                                        continuous_update=False, layout=widgets.Layout(width="260px"))
        reset = widgets.Button(description="T = 1 (as trained)", tooltip="Reset the temperature to 1")
        self.controls: dict[str, widgets.Widget] = {"temperature": slider, "n_bins": bins_slider, "reset": reset}
        reset.on_click(lambda _: setattr(slider, "value", 1.0))
        buttons = [reset]
        if fitted_temperature is not None:
            fit = widgets.Button(description=f"fitted T = {fitted_temperature:.2f}", button_style="info",
                                 tooltip="Jump to the temperature fitted on held-out data")
            fit.on_click(lambda _: setattr(slider, "value", fitted_temperature))
            self.controls["fit"] = fit
            buttons.append(fit)

        # Draw once; every later change updates these artists and re-renders the same figure.
        with plt.ioff():
            self._fig, self._ax = plt.subplots(figsize=(4.6, 4.6))
        self._artists = plots.ReliabilityArtists(self._ax, calibration.reliability_bins(
            calibration.apply_temperature(z, temperature), y, n_bins))
        self._image = widgets.Image(format="png", layout=widgets.Layout(width="420px"))
        self._readout = widgets.HTML(layout=widgets.Layout(min_width="260px"))
        self.values: dict[str, float] = {}

        for w in (slider, bins_slider):
            w.observe(self._update, names="value")
        super().__init__([
            widgets.HBox([slider, bins_slider]),
            widgets.HBox(buttons),
            widgets.HBox([self._image, self._readout], layout=widgets.Layout(align_items="center")),
        ])
        self._update()

    def _update(self, change=None) -> None:
        t = float(self.controls["temperature"].value)
        n_bins = int(self.controls["n_bins"].value)
        probs = calibration.apply_temperature(self._logits, t)
        metrics = calibration.calibration_metrics(probs, self._targets, n_bins)
        self.values = {**metrics, "temperature": t, "n_bins": n_bins}
        self._artists.update(calibration.reliability_bins(probs, self._targets, n_bins))
        self._ax.set_title(f"{self._title}, T = {t:.2f}")
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png", dpi=80)
        self._image.value = buf.getvalue()
        self._readout.value = self._table(metrics, t)

    def _table(self, m: dict, t: float) -> str:
        ref = self._reference
        rows = [("ECE", "ece", "lower is better; 0 = calibrated"), ("NLL (nats)", "nll", "a proper score"),
                ("Brier", "brier", "a proper score"), ("accuracy", "accuracy", "never changes with T")]
        body = "".join(
            f"<tr><td>{label}</td><td style='text-align:right'><b>{m[k]:.4f}</b></td>"
            f"<td style='text-align:right'>{ref[k]:.4f}</td><td><i>{note}</i></td></tr>"
            for label, k, note in rows
        )
        return (f"<table><tr><th></th><th>T = {t:.2f}</th><th>T = 1</th><th></th></tr>{body}</table>"
                f"<p>{len(self._targets):,} samples.</p>")


def temperature_explorer(logits, targets, *, n_bins: int = 15, temperature: float = 1.0,
                         fitted_temperature: float | None = None) -> TemperatureExplorer:
    """Slide the temperature T of ``softmax(logits / T)`` and watch the reliability diagram and the metrics."""
    return TemperatureExplorer(logits, targets, n_bins=n_bins, temperature=temperature,
                               fitted_temperature=fitted_temperature)
