"""What a person sees: in normal and in projector mode, no two texts of a figure overprint and no text leaves
the canvas. Every public figure function of course_utils (``plot_*`` and ``*_figure``) must appear in
FIGURES below; a new one without an entry fails the discovery test, so coverage stays complete."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from figure_layout import layout_problems

import course_utils
from course_utils import (
    calibration,
    ce_vs_mse,
    compression,
    compression_explorers,
    kl_fitting,
    language_models,
    logistic,
    loss_family,
    numerics,
    plots,
    soft_targets,
    source_coding,
)
from course_utils import distillation as distill_topic
from course_utils import widgets as W
from course_utils.cifar import data as cifar_data
from course_utils.cifar import figures as cifar_figures

matplotlib.use("Agg")


def _axes_figure(draw):
    def make():
        fig, ax = plt.subplots(figsize=plots.scaled((6.4, 4.0)), layout="constrained")
        draw(ax)
        return fig
    return make


def _history():
    n = 3
    return SimpleNamespace(epoch=list(range(1, n + 1)), train_loss=[1.9, 1.2, 0.9], test_loss=[1.7, 1.1, 0.95],
                           train_accuracy=[0.3, 0.6, 0.7], test_accuracy=[0.35, 0.6, 0.68], recipe="quick",
                           step_loss=list(np.linspace(2.3, 0.8, 30)))


def _data():
    z, y = calibration.synthetic_logits(2000, seed=0)
    x, lab = logistic.make_blobs(100, seed=0)
    grid = np.linspace(-10, 10, 401)
    bimodal = kl_fitting.grid_bimodal(grid)
    return SimpleNamespace(z=z, y=y, x=x, lab=lab, fit=logistic.train_logistic(x, lab, steps=20), grid=grid,
                           bimodal=bimodal, fits=[kl_fitting.fit_gaussian_kl(grid, bimodal, direction=d)
                                                  for d in ("forward", "reverse")])


D = _data()


def _evaluation():
    """A real ``train.Evaluation`` of an untrained small net on 40 random images (what notebook 07 draws)."""
    from course_utils.cifar import models, train

    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8, generator=g)
    y = torch.randint(0, 10, (40,), generator=g)
    return train.evaluate(models.make_model("quick"), x, y, batch_size=20, tta=False)

#: figure function's qualified name -> a function drawing it at the settings the notebooks use
FIGURES = {
    "widgets.distribution_figure": lambda: W.distribution_figure(),
    "widgets.binary_figure": lambda: W.binary_figure(q=0.05, y=1),
    "widgets.softmax_figure": lambda: W.softmax_figure(),
    "widgets.loss_family_figure": lambda: W.loss_family_figure(),
    "widgets.reliability_figure": lambda: W.reliability_figure(D.z, D.y),
    "plots.plot_loss_vs_prob": _axes_figure(lambda ax: plots.plot_loss_vs_prob(list(plots.LOSS_STYLES), 1, ax, q=0.2)),
    "plots.plot_grad_vs_prob": _axes_figure(lambda ax: plots.plot_grad_vs_prob(["bce", "mse", "focal"], 1, ax, q=0.2)),
    "plots.reliability_panels": lambda: plots.reliability_panels(
        {f"run {k}, T = 1": calibration.reliability_bins(calibration.apply_temperature(D.z * k, 1.0), D.y)
         for k in (1.0, 2.0, 0.5)}),
    "plots.plot_reliability_diagram": _axes_figure(lambda ax: plots.plot_reliability_diagram(
        calibration.reliability_bins(calibration.apply_temperature(D.z, 1.0), D.y), ax, title="T = 1")),
    "plots.plot_decision_boundary": _axes_figure(lambda ax: plots.plot_decision_boundary(D.x, D.lab, D.fit, ax=ax)),
    "plots.plot_loss_histogram": _axes_figure(lambda ax: plots.plot_loss_histogram(
        {"right": np.random.default_rng(0).exponential(0.3, 500), "wrong": np.random.default_rng(1).exponential(2, 80)},
        ax, mean_line=True, uniform_classes=10, title="per-image loss")),
    "plots.plot_fit_history": lambda: plots.plot_fit_history(_history(), steps_per_epoch=10)[0].figure,
    "source_coding.plot_surprisal": _axes_figure(lambda ax: source_coding.plot_surprisal(
        {"heads": 0.5, "edge": 1 / 6000, "a fair die shows 6": 1 / 6}, ax=ax)),
    "source_coding.plot_binary_entropy": _axes_figure(lambda ax: source_coding.plot_binary_entropy(0.1, ax=ax)),
    "source_coding.plot_block_code_rates": _axes_figure(lambda ax: source_coding.plot_block_code_rates([0.9, 0.1], 8,
                                                                                                      ax=ax)),
    "kl_fitting.plot_gaussian_fits": _axes_figure(lambda ax: kl_fitting.plot_gaussian_fits(D.grid, D.bimodal, D.fits,
                                                                                          ax=ax)),
    "kl_fitting.plot_cross_entropy_path": _axes_figure(lambda ax: kl_fitting.plot_cross_entropy_path(
        [0.5, 0.25, 0.125, 0.125], ax=ax)),
    "numerics.softmax_bug_figure": lambda: numerics.softmax_bug_figure(
        numerics.softmax_bug_sweep(np.linspace(-15, 15, 31))),
    "soft_targets.plot_label_smoothing_gap": _axes_figure(lambda ax: soft_targets.plot_label_smoothing_gap(
        soft_targets.label_smoothing_gap(steps=200), label_smoothing=0.1, ax=ax)),
    "ce_vs_mse.race_figure": lambda: ce_vs_mse.race_figure(ce_vs_mse.training_race(steps=100)),
    "ce_vs_mse.landscape_figure": lambda: ce_vs_mse.landscape_figure(ce_vs_mse.loss_landscape()),
    "cifar.figures.plot_images": lambda: cifar_figures.plot_images(
        torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)),
        [f"cat\n0.9{i}" for i in range(8)], ncols=4)[0].figure,
    "cifar.figures.plot_images (notebook 07's mistakes: 3-line titles, 8 across)": lambda: cifar_figures.plot_images(
        torch.zeros((8, 3, 32, 32), dtype=torch.uint8), ["automobile →\ntruck 99%\nloss 4.6 nats"] * 8)[0].figure,
    "cifar.figures.plot_images (notebook 07's samples: 16, 8 across)": lambda: cifar_figures.plot_images(
        torch.zeros((16, 3, 32, 32), dtype=torch.uint8),
        list(cifar_data.CLASSES) + list(cifar_data.CLASSES[:6]))[0].figure,
    "cifar.figures.plot_confusion (its own figure)": lambda: cifar_figures.plot_confusion(
        np.random.default_rng(0).integers(0, 100, (10, 10)) + 400 * np.eye(10, dtype=int), cifar_data.CLASSES).figure,
    "cifar.figures.plot_confusion": _axes_figure(lambda ax: cifar_figures.plot_confusion(
        np.random.default_rng(0).integers(0, 100, (10, 10)) + 400 * np.eye(10, dtype=int), cifar_data.CLASSES, ax)),
    "cifar.figures.plot_test_losses": _axes_figure(lambda ax: cifar_figures.plot_test_losses(_evaluation(), ax)),
    "compression.plot_markov_rates": _axes_figure(lambda ax: compression.plot_markov_rates(
        {"uniform": 1.585, "unigram": 1.43, "bigram": 1.173, "true P": 1.173}, 1.169, ax=ax)),
    "compression.plot_bits_per_character": _axes_figure(lambda ax: compression.plot_bits_per_character(
        {"uniform": (6.585, "model"), "unigram": (4.477, "model"), "6-gram (smoothed)": (2.139, "model"),
         "gzip -9": (2.921, "compressor"), "lzma (xz -9e)": (2.567, "compressor")}, ax=ax)),
    "compression.plot_label_code_lengths": _axes_figure(lambda ax: compression.plot_label_code_lengths(
        compression.label_code_lengths(np.random.default_rng(0).normal(size=(200, 10)) * 2,
                                       np.random.default_rng(1).integers(0, 10, 200)), ax=ax)),
    "language_models.plot_lm_history": _axes_figure(lambda ax: language_models.plot_lm_history(
        language_models.LMHistory(step=[0, 10, 20, 30], loss_nats=[4.56, 3.2, 2.7, 2.5], seconds=[0, 1, 2, 3]),
        ax=ax, num_symbols=96)),
    "compression_explorers.surprise_figure": lambda: compression_explorers.surprise_figure(q=0.01),
    "compression_explorers.temperature_figure": lambda: compression_explorers.temperature_figure(
        lambda text: np.array([0.5, -0.2, 0.1 * len(text)]), "abc", "ab", temperature=0.5),
    "loss_family.noise_figure": lambda: loss_family.noise_figure(loss_family.label_noise_experiment(counts=(0, 10),
                                                                                                    steps=100)),
    "distillation.dark_knowledge_figure": lambda: distill_topic.dark_knowledge_figure(temperature=4.0),
    "distillation.plot_kd_gradient_scale": _axes_figure(lambda ax: distill_topic.plot_kd_gradient_scale(
        distill_topic.kd_gradient_scale([1.0, 0.0, -1.0, 2.0], [3.0, -1.0, 0.0, 0.0], np.geomspace(1, 100, 9)), ax)),
    "distillation.plot_infonce_bound": _axes_figure(lambda ax: distill_topic.plot_infonce_bound(
        distill_topic.infonce_bound_sweep([0.1, 0.5, 0.9, 0.99, 0.9999], dim=2, batches=3), ax)),
    "distillation.plot_critic_training": _axes_figure(lambda ax: distill_topic.plot_critic_training(
        distill_topic.train_critic(0.8, batch_size=32, steps=30), ax)),
}

#: figure functions that are not figures of the course, or are drawn by another test (why)
ELSEWHERE: dict[str, str] = {"plots.new_figure": "the empty figure every *_figure starts from"}


def _public_figure_functions() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name, None)  # a package may list its submodules
            if inspect.isfunction(obj) and (name.startswith("plot_") or name.endswith("_figure")):
                found.add(f"{info.name.removeprefix('course_utils.')}.{name}")
    return found


def test_every_public_figure_function_is_drawn_here():
    missing = _public_figure_functions() - set(FIGURES) - set(ELSEWHERE)
    assert not missing, f"add these figure functions to FIGURES in {__file__}: {sorted(missing)}"


@pytest.fixture(params=[False, True], ids=["normal", "projector"])
def mode(request):
    with matplotlib.rc_context():
        plots.use_style(projector=request.param)
        yield request.param
    plt.close("all")


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_text_overprints_or_leaves_the_canvas(name, mode):
    fig = FIGURES[name]()
    problems = layout_problems(fig)
    plt.close("all")
    assert not problems, f"{name} ({'projector' if mode else 'normal'} mode): " + "; ".join(problems[:6])


@pytest.mark.parametrize("make", [W.distribution_explorer, W.binary_explorer, W.softmax_explorer,
                                  W.loss_family_explorer, lambda: W.temperature_explorer(D.z, D.y),
                                  distill_topic.dark_knowledge_explorer],
                         ids=["distribution", "binary", "softmax", "loss_family", "temperature", "dark_knowledge"])
def test_live_explorer_figures_keep_their_text_inside(make, mode):
    explorer = make()
    problems = layout_problems(explorer.figure)
    assert not problems, "; ".join(problems[:6])


def test_projector_mode_scales_the_figure_with_the_text(mode):
    fig = W.binary_figure(q=0.05, y=1)
    width = fig.get_size_inches()[0]
    assert width == pytest.approx(9.0 * (plots.PROJECTOR_FIGURE_SCALE if mode else 1.0))


@pytest.mark.parametrize("size", [(6.4, 4.0), (14.0, 4.8), (6.5, 5.5), (12.8, 3.5), (3.0, 2.0)])
@pytest.mark.parametrize("projector", [False, True])
def test_every_figure_fits_what_a_slide_shows_at_full_size(size, projector):
    """A slide (1280x720) draws a figure at most 1192 x 520 px; 100 dpi: within PROJECTOR_MAX_FIGSIZE nothing
    is shrunk, so the text keeps its size. The shape is kept, and a figure that fits keeps its mode's size."""
    w, h = plots.scaled(size, projector=projector)
    assert w <= plots.PROJECTOR_MAX_FIGSIZE[0] + 1e-9 and h <= plots.PROJECTOR_MAX_FIGSIZE[1] + 1e-9
    assert w / h == pytest.approx(size[0] / size[1])
    k = plots.PROJECTOR_FIGURE_SCALE if projector else 1.0
    assert w <= size[0] * k + 1e-9
    if size[0] * k <= plots.PROJECTOR_MAX_FIGSIZE[0] and size[1] * k <= plots.PROJECTOR_MAX_FIGSIZE[1]:
        assert (w, h) == pytest.approx((size[0] * k, size[1] * k))
