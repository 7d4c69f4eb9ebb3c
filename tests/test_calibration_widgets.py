"""The calibration explorer and reliability diagram, headless: set a control, assert on ``.values``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import calibration as cal
from course_utils.plots import plot_reliability_diagram
from course_utils.widgets import reliability_figure, temperature_explorer


@pytest.fixture(scope="module")
def overconfident():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(1500, 10)) * 2
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    y = (p.cumsum(1) < rng.random((1500, 1))).sum(1).clip(0, 9)
    return 3 * z, y  # labels drawn from softmax(z), logits 3x too sharp


def expected(z, y, t, n_bins=15):
    return cal.calibration_metrics(cal.apply_temperature(z, t), y, n_bins)


def test_temperature_slider_updates_values(overconfident):
    z, y = overconfident
    ex = temperature_explorer(z, y)
    assert ex.values["temperature"] == 1.0
    assert {k: ex.values[k] for k in expected(z, y, 1.0)} == pytest.approx(expected(z, y, 1.0), rel=1e-12)
    ex.controls["temperature"].value = 2.0
    assert ex.values["temperature"] == 2.0
    for key, value in expected(z, y, 2.0).items():
        assert ex.values[key] == pytest.approx(value, rel=1e-12), key
    assert ex.values["accuracy"] == expected(z, y, 1.0)["accuracy"]  # temperature never changes accuracy
    assert ex.values["ece"] < expected(z, y, 1.0)["ece"]  # softening helps an over-confident model
    assert ex._renderer.full_redraws == 1  # a temperature change only moves the bars (blitting)
    ex.controls["n_bins"].value = 5
    assert ex.values["ece"] == pytest.approx(cal.expected_calibration_error(cal.apply_temperature(z, 2.0), y, 5))
    assert ex.values["ece_at_1"] == pytest.approx(cal.expected_calibration_error(cal.apply_temperature(z, 1.0), y, 5))
    assert ex._renderer.full_redraws == 2  # new bars: the background is redrawn once
    assert len(ex.view.diagram.acc_bars.patches) == 5


def test_buttons_and_image(overconfident):
    z, y = overconfident
    t_fit = cal.fit_temperature(z, y)
    ex = temperature_explorer(z, y, fitted_temperature=t_fit)
    assert set(ex.controls) == {"temperature", "n_bins"} and set(ex.buttons) == {"reset", "fit"}
    first_image = ex.image.value
    assert first_image[:4] == b"\x89PNG"
    ex.buttons["fit"].click()
    assert ex.values["temperature"] == pytest.approx(t_fit)
    assert ex.values["nll"] == pytest.approx(expected(z, y, t_fit)["nll"])
    assert ex.image.value != first_image  # the same figure was re-rendered with new bars
    assert "data-key='ece'" in ex.readout.value and "ECE at T = 1" in ex.readout.value
    ex.buttons["reset"].click()
    assert ex.values["temperature"] == 1.0
    plt.close("all")


def test_static_twin(overconfident):
    z, y = overconfident
    fig = reliability_figure(z, y, temperature=3.0, n_bins=10)
    ax = fig.axes[0]
    assert len(ax.containers[0].patches) == 10 and "T = 3" in ax.get_title()
    plt.close("all")


def test_explorer_rejects_bad_input():
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        temperature_explorer([1.0, 2.0], [0])
    with pytest.raises(ValueError, match="temperature must be > 0"):
        temperature_explorer([[1.0, 2.0]], [0], fitted_temperature=0.0)


def test_plot_reliability_diagram_returns_axes_with_bars():
    bins = cal.reliability_bins([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]], [0, 1, 1, 0], n_bins=5)
    ax = plot_reliability_diagram(bins, title="four samples")
    heights = np.array([p.get_height() for p in ax.containers[0].patches])  # accuracy, up to the confidence
    over = np.array([p.get_height() for p in ax.containers[1].patches])
    under = np.array([p.get_height() for p in ax.containers[2].patches])
    np.testing.assert_allclose(heights + under, [0, 0, 0, 1, 1])  # the accuracy; empty bins draw nothing
    np.testing.assert_allclose(over, [0, 0, 0.6, 0, 0])  # confidence above accuracy: over-confident
    np.testing.assert_allclose(under, [0, 0, 0, 0.25, 0.1])  # accuracy above confidence: under-confident
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("under-confident" in t for t in labels) and any("over-confident" in t for t in labels)
    assert "ECE = 0.300" in ax.texts[0].get_text()
    assert "confidence" in ax.get_xlabel() and "accuracy" in ax.get_ylabel()
    fig, ax2 = plt.subplots()
    assert plot_reliability_diagram(bins, ax=ax2) is ax2
    with pytest.raises(TypeError, match="bins must come from reliability_bins"):
        plot_reliability_diagram([0.1, 0.2])
    plt.close("all")
