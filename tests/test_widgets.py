"""Headless tests of the explorers: set controls, then .values must equal what info/losses/grads compute."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from course_utils import binary_losses, grads, info, losses
from course_utils import widgets as W

RTOL, ATOL = 1e-12, 1e-12


def close(a, b):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=RTOL, atol=ATOL)


def set_controls(explorer, **settings):
    for name, value in settings.items():
        explorer.controls[name].value = value


def png_array(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# ---------------------------------------------------------------- distribution explorer
@pytest.fixture(scope="module")
def dist():
    return W.distribution_explorer(4)


def test_distribution_controls_and_values_keys(dist):
    assert set(dist.controls) == {"p0", "p1", "p2", "p3", "q0", "q1", "q2", "q3", "unit"}
    assert {"p", "q", "entropy", "cross_entropy", "kl"} <= set(dist.values)


@pytest.mark.parametrize(
    ("p", "q", "unit"),
    [
        ([0.5, 0.25, 0.125, 0.125], [0.25, 0.25, 0.25, 0.25], "bits"),
        ([1.0, 0.0, 0.0, 0.0], [0.97, 0.01, 0.01, 0.01], "nats"),  # p degenerate: H(p) = 0
        ([0.3, 0.3, 0.2, 0.7], [0.01, 1.0, 1.0, 0.02], "bits"),  # weights, normalised by the explorer
        ([0.2, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 0.2], "nats"),  # p == q: KL = 0
    ],
)
def test_distribution_values_match_info(dist, p, q, unit):
    set_controls(dist, unit=unit, **{f"p{i}": v for i, v in enumerate(p)}, **{f"q{i}": v for i, v in enumerate(q)})
    pn, qn = np.array(p) / np.sum(p), np.array(q) / np.sum(q)
    base = 2 if unit == "bits" else np.e
    v = dist.values
    assert close(v["p"], pn) and close(v["q"], qn)
    assert close(v["entropy"], info.entropy(pn, base=base))
    assert close(v["cross_entropy"], info.cross_entropy(pn, qn, base=base))
    assert close(v["kl"], info.kl_divergence(pn, qn, base=base))
    assert v["cross_entropy"] == pytest.approx(v["entropy"] + v["kl"], abs=1e-12)
    assert f"data-key='cross_entropy'>{W.plots.fmt_number(v['cross_entropy'])}<" in dist.readout.value


def test_distribution_zero_q_where_p_positive_is_infinite(dist):
    set_controls(dist, p0=0.5, p1=0.5, p2=0.0, p3=0.0, q0=0.0, q1=0.5, q2=0.5, q3=0.0, unit="bits")
    assert np.isinf(dist.values["cross_entropy"]) and np.isinf(dist.values["kl"])
    assert dist.values["entropy"] == pytest.approx(1.0)
    assert "∞" in dist.readout.value  # the readout says so, and the redraw did not fail


def test_distribution_all_zero_weights_mean_uniform(dist):
    set_controls(dist, p0=0.0, p1=0.0, p2=0.0, p3=0.0)
    assert close(dist.values["p"], np.full(4, 0.25))
    assert dist.values["entropy"] == pytest.approx(2.0)


# ---------------------------------------------------------------- binary explorer
@pytest.fixture(scope="module")
def binary():
    return W.binary_explorer()


def test_binary_controls_and_values_keys(binary):
    assert set(binary.controls) == {"q", "y"}  # q, the prediction; q is reserved for the true distribution
    assert {"bce", "mse", "bce_grad_prob", "bce_grad_logit", "mse_grad_logit"} <= set(binary.values)


@pytest.mark.parametrize("y", [0, 1])
@pytest.mark.parametrize("q", [0.001, 0.01, 0.3, 0.5, 0.9, 0.999])  # both ends: confidently right and wrong
def test_binary_values_match_losses_and_grads(binary, q, y):
    set_controls(binary, q=q, y=y)
    v = binary.values
    assert v["q"] == q and v["y"] == y
    pa, ya = np.array([q]), np.array([float(y)])
    z = np.log(q / (1 - q))
    assert close(losses.sigmoid(v["z"]), q)
    assert close(v["bce"], losses.binary_cross_entropy(pa, ya))
    assert close(v["mse"], losses.mse_loss(pa, ya))
    assert close(v["bce_grad_prob"], grads.bce_grad_prob(pa, ya))
    assert np.isclose(v["bce_grad_logit"], grads.bce_grad_logit(np.array([z]), ya)[0], rtol=1e-9, atol=1e-12)
    assert np.isclose(v["mse_grad_logit"], grads.mse_grad_logit(np.array([z]), ya)[0], rtol=1e-9, atol=1e-12)
    # the logit gradient of BCE equals the logit chain rule of the probability gradient: dBCE/dz = dBCE/dp · q(1-q)
    assert np.isclose(v["bce_grad_logit"], v["bce_grad_prob"] * q * (1 - q), rtol=1e-9)


def test_binary_confidently_wrong_picture(binary):
    """Near q = 0 with y = 1, BCE's logit gradient stays near -1 while MSE's vanishes."""
    set_controls(binary, y=1, q=0.001)
    assert binary.values["bce_grad_logit"] == pytest.approx(-0.999)
    assert abs(binary.values["mse_grad_logit"]) < 0.002
    assert binary.values["bce"] == pytest.approx(-np.log(0.001))


def test_binary_slider_stays_inside_open_interval(binary):
    values = [v for _, v in binary.controls["q"].options]
    assert 0 < min(values) and max(values) < 1


# ---------------------------------------------------------------- softmax explorer
@pytest.fixture(scope="module")
def soft():
    return W.softmax_explorer(4)


def test_softmax_controls_and_values_keys(soft):
    assert set(soft.controls) == {"z0", "z1", "z2", "z3", "temperature", "target"}
    assert {"probs", "loss", "grad"} <= set(soft.values)


@pytest.mark.parametrize(
    ("z", "t", "target"),
    [
        ([2.0, 1.0, 0.1, -1.0], 1.0, 0),
        ([2.0, 1.0, 0.1, -1.0], 3.0, 2),
        ([10.0, -10.0, 10.0, -10.0], 1.0, 1),  # large logits, wrong target
        ([10.0, -10.0, 9.9, -10.0], 0.01, 1),  # temperature near 0: logits / T = ±1000
        ([10.0, -10.0, 9.9, -10.0], 0.01, 0),  # ... and the confident right answer
        ([0.5, 0.4, 0.3, 0.2], 10.0, 3),  # high temperature: nearly uniform
    ],
)
def test_softmax_values_match_losses_and_grads(soft, z, t, target):
    set_controls(soft, temperature=t, target=target, **{f"z{i}": v for i, v in enumerate(z)})
    assert soft.controls["temperature"].value == pytest.approx(t)
    t = soft.controls["temperature"].value  # the log slider may round to its step
    zs = np.array(z) / t
    v = soft.values
    assert close(v["probs"], losses.softmax(zs))
    assert close(v["loss"], losses.categorical_cross_entropy(zs, target))
    assert close(v["grad"], grads.cce_grad_logits(zs, target) / t)  # ∂loss/∂z carries the 1/T
    assert np.all(np.isfinite(v["grad"])) and np.isfinite(v["loss"])


def test_softmax_grad_is_derivative_wrt_logits(soft):
    """Finite differences on the explorer's own loss confirm the 1/T factor."""
    set_controls(soft, z0=1.0, z1=0.5, z2=-0.5, z3=0.0, temperature=0.5, target=2)
    t = soft.controls["temperature"].value
    z = np.array([1.0, 0.5, -0.5, 0.0])
    h = 1e-6
    fd = [(losses.categorical_cross_entropy((z + h * e) / t, 2) - losses.categorical_cross_entropy((z - h * e) / t, 2))
          / (2 * h) for e in np.eye(4)]
    assert np.allclose(soft.values["grad"], fd, atol=1e-6)


def test_softmax_grad_axis_grows_for_small_temperature(soft):
    set_controls(soft, z0=10.0, z1=-10.0, z2=9.9, z3=-10.0, target=1, temperature=1.0)
    set_controls(soft, temperature=0.01)
    assert max(abs(soft.values["grad"])) == pytest.approx(100.0, rel=1e-6)
    top = soft.view.grad.ax.get_ylim()[1]
    assert top >= 100.0  # the bars fit on the axes


# ---------------------------------------------------------------- loss family explorer
@pytest.fixture(scope="module")
def family():
    return W.loss_family_explorer()


def test_loss_family_controls_and_values_keys(family):
    assert set(family.controls) == {"q", "gamma", "pos_weight", "label_smoothing"}
    assert set(binary_losses.BINARY_LOSSES) <= set(family.values)  # the family's keys, no translation


@pytest.mark.parametrize(
    ("q", "gamma", "pos_weight", "eps"),
    [(0.3, 2.0, 3.0, 0.1), (0.001, 0.0, 1.0, 0.0), (0.999, 5.0, 10.0, 1.0), (0.5, 0.5, 0.0, 0.3)],
)
def test_loss_family_values_match_losses(family, q, gamma, pos_weight, eps):
    set_controls(family, q=q, gamma=gamma, pos_weight=pos_weight, label_smoothing=eps)
    v = family.values
    z = np.log(q) - np.log1p(-q)
    two = np.array([[0.0, z]])  # two-class logits whose softmax gives the true class 1 probability q
    one = np.array([1])
    assert close(losses.softmax(two)[0, 1], q)
    assert close(v["bce"], losses.binary_cross_entropy(np.array([q]), np.array([1.0])))
    assert close(v["bce"], losses.categorical_cross_entropy(two, one))
    assert close(v["mse"], losses.mse_loss(np.array([q]), np.array([1.0])))
    assert close(v["hinge"], losses.binary_hinge_loss(np.array([z]), np.array([1.0])))  # = 2 × multi_margin on [0, z]
    assert close(v["hinge"], 2 * losses.multiclass_hinge_loss(two, one))
    assert np.isclose(v["focal"], losses.focal_loss(two, one, gamma=gamma), rtol=1e-9, atol=1e-12)
    assert close(v["weighted_bce"], losses.binary_cross_entropy_with_logits(
        np.array([z]), np.array([1.0]), pos_weight=np.array([pos_weight])))
    assert close(v["smoothed_bce"], losses.categorical_cross_entropy(two, one, label_smoothing=eps))


def test_loss_family_special_cases(family):
    set_controls(family, q=0.2, gamma=0.0, pos_weight=1.0, label_smoothing=0.0)
    v = family.values
    assert v["focal"] == pytest.approx(v["bce"])  # γ = 0 is cross-entropy
    assert v["weighted_bce"] == pytest.approx(v["bce"])  # pos_weight 1 is plain BCE
    assert v["smoothed_bce"] == pytest.approx(v["bce"])  # ε = 0 is plain CE


# ---------------------------------------------------------------- shared behaviour
EXPLORERS = {
    "distribution": (W.distribution_explorer, "p0", 0.9),
    "binary": (W.binary_explorer, "q", 0.8),
    "softmax": (W.softmax_explorer, "z1", 3.0),
    "loss_family": (W.loss_family_explorer, "q", 0.7),
}


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_explorer_is_a_widget_container_that_redraws(name):
    import ipywidgets

    make, control, value = EXPLORERS[name]
    ex = make()
    assert isinstance(ex, ipywidgets.Box)
    assert all(isinstance(w, ipywidgets.Widget) for w in ex.controls.values())
    before = ex.image.value
    ex.controls[control].value = value
    assert ex.image.value != before  # a new PNG
    # blitting (moving artists over a cached background) gives the same picture as a full redraw
    blit = png_array(ex.image.value)
    full = png_array(ex.redraw(full=True))
    assert blit.shape == full.shape
    assert np.mean(np.any(blit != full, axis=-1)) < 0.002  # at most a few antialiased pixels differ
    # keyboard focus order: controls come before the readout and the picture in the widget tree
    controls_box = ex.children[1].children[0]
    assert list(controls_box.children) == list(ex.controls.values())


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_controls_are_enabled_sliders_with_a_step(name):
    import ipywidgets

    ex = EXPLORERS[name][0]()
    for w in ex.controls.values():
        assert not w.disabled
        if isinstance(w, ipywidgets.FloatSlider | ipywidgets.FloatLogSlider):
            assert w.step > 0  # an arrow key moves the slider by one step


def test_png_writer_round_trips():
    rgba = np.zeros((3, 5, 4), dtype=np.uint8)
    rgba[..., 0] = np.arange(5)[None, :] * 50
    rgba[..., 1] = np.arange(3)[:, None] * 80
    rgba[..., 3] = 255
    back = png_array(W.png_bytes(rgba))
    assert np.array_equal(back, rgba[..., :3])


@pytest.mark.parametrize(
    ("fn", "kwargs"),
    [
        (W.distribution_figure, {}),
        (W.distribution_figure, {"p": [1, 0, 0], "q": [0, 1, 0], "unit": "nats"}),
        (W.binary_figure, {"q": 0.05, "y": 1}),
        (W.softmax_figure, {"logits": [10, -10, 9.9], "temperature": 0.01, "target": 1}),
        (W.loss_family_figure, {"q": 0.001, "gamma": 0.0}),
    ],
)
def test_static_twins_return_figures(fn, kwargs):
    fig = fn(**kwargs)
    assert isinstance(fig, Figure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue().startswith(b"\x89PNG")


def test_static_twin_draws_the_same_view_as_the_explorer():
    """Same axes, same titles apart from the numbers, same curves: one drawing code for both."""
    ex = W.binary_explorer()
    ex.controls["q"].value = 0.05
    fig = W.binary_figure(q=0.05, y=1)
    live_axes, static_axes = ex.figure.axes, fig.axes
    assert len(live_axes) == len(static_axes)
    for a, b in zip(live_axes, static_axes, strict=True):
        assert a.get_xlabel() == b.get_xlabel() and a.get_ylabel() == b.get_ylabel()
        for la, lb in zip(a.get_lines(), b.get_lines(), strict=True):
            assert np.allclose(la.get_ydata(), lb.get_ydata(), equal_nan=True)


@pytest.mark.parametrize(
    ("fn", "kwargs", "exc"),
    [
        (W.distribution_explorer, {"num_outcomes": 1}, ValueError),
        (W.softmax_explorer, {"num_classes": 2.5}, TypeError),
        (W.binary_explorer, {"y": 2}, ValueError),
        (W.binary_figure, {"q": 1.0}, ValueError),
        (W.softmax_figure, {"logits": [1, 2], "temperature": 0.0}, ValueError),
        (W.softmax_figure, {"logits": [1, 2], "target": 2}, ValueError),
        (W.distribution_figure, {"p": [1, -1], "q": [1, 1]}, ValueError),
        (W.loss_family_figure, {"q": 0.5, "label_smoothing": 1.5}, ValueError),
    ],
)
def test_bad_arguments_are_named(fn, kwargs, exc):
    with pytest.raises(exc):
        fn(**kwargs)


# ---------------------------------------------------------------- every slider: on its grid, crossable by keyboard
def _all_explorers():
    from course_utils import calibration, distillation

    z, y = calibration.synthetic_logits(300, seed=0)
    return {"distribution": W.distribution_explorer(), "binary": W.binary_explorer(), "softmax": W.softmax_explorer(),
            "loss_family": W.loss_family_explorer(), "temperature": W.temperature_explorer(z, y),
            "dark_knowledge": distillation.dark_knowledge_explorer()}


def _grid_position(w) -> tuple[float, float]:
    """(position of the value in steps from the start, steps across the whole range) for one slider."""
    import ipywidgets

    if isinstance(w, ipywidgets.SelectionSlider):
        return float(w.index), float(len(w.options) - 1)
    if isinstance(w, ipywidgets.FloatLogSlider):
        return (np.log10(w.value) / 1 - w.min) / w.step, (w.max - w.min) / w.step
    return (w.value - w.min) / w.step, (w.max - w.min) / w.step


def test_every_slider_starts_on_its_grid_and_crosses_its_range_in_100_key_presses():
    """A browser snaps a value off the step grid and sends the snapped value back (H(p) = 1.7622 instead of
    1.75 once); and a slider that needs 1,000 ArrowRight presses is not operable by keyboard."""
    import ipywidgets

    sliders = (ipywidgets.FloatSlider, ipywidgets.FloatLogSlider, ipywidgets.IntSlider, ipywidgets.SelectionSlider)
    seen = 0
    for name, explorer in _all_explorers().items():
        for key, w in explorer.controls.items():
            if not isinstance(w, sliders):
                continue
            seen += 1
            at, across = _grid_position(w)
            assert abs(at - round(at)) < 1e-6, f"{name}.{key} starts at {w.value}, off its grid"
            assert across <= 100, f"{name}.{key} needs {across:.0f} key presses to cross its range"
    assert seen >= 15


def test_the_q_sliders_reach_both_ends_and_read_out_probabilities():
    binary = W.binary_explorer()
    options = [v for _, v in binary.controls["q"].options]
    assert options[0] < 0.001 and options[-1] > 0.999 and 0.5 in options
    z = np.log(np.array(options) / (1 - np.array(options)))
    assert np.max(np.diff(z)) <= 0.26, "the positions step evenly in the logit (at most 0.25 apart)"
    assert binary.controls["q"].options[0][0] == f"{options[0]:.3g}"


def test_the_readout_grows_with_the_figures_in_projector_mode():
    import matplotlib

    from course_utils import plots

    with matplotlib.rc_context():
        plots.use_style(projector=False)
        normal = W.binary_explorer().readout.value
        plots.use_style(projector=True)
        big = W.binary_explorer().readout.value
    assert "font-size:100%" in normal
    assert f"font-size:{round(100 * plots.PROJECTOR_SCALE)}%" in big
