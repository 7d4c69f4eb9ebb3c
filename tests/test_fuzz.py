"""A fuzz suite of our own: every public function of ``course_utils``, given a hostile value in one argument,
raises ValueError or TypeError that names that argument, or (where the value is in fact valid) returns a
result without NaN. Nothing it does harms stdin/stdout/stderr or writes outside a temp folder.

How coverage stays automatic:
- ``public_functions()`` walks every module of the package (sub-packages included, so ``course_utils/cifar/``
  is picked up the day it appears) and takes each function named in the module's ``__all__``.
- A valid call is built from ``VALID`` (per function), then ``BY_NAME`` (per parameter name), then
  ``BY_ANNOTATION`` (per type hint), then the parameter's default. A public function with a required argument
  that none of these cover makes ``test_every_public_function_has_a_valid_call`` FAIL, saying what to add.
- ``HOSTILE`` substitutes bad values one parameter at a time (NaN, +-inf, empty, wrong shape, wrong dtype,
  None, str, a bool for a number, huge ints, negative counts, a torch tensor for NumPy and NumPy for torch);
  a hypothesis test draws further values (huge/odd floats and ints, random strings) the same way.

``pytest -s tests/test_fuzz.py`` prints the counts: calls made and failures by kind.
"""

from __future__ import annotations

import collections
import dataclasses
import importlib
import inspect
import math
import os
import pkgutil
import signal
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import course_utils

ROOT = Path(__file__).resolve().parents[1]
#: Left out on purpose: the reference answers skip validation (they are what a learner writes).
SKIP_MODULES = {"course_utils.solutions"}
#: The CIFAR-10 wing, while it still sits at the top level without ``__all__`` (it moves to
#: ``course_utils/cifar/`` with ``__all__``; from then on it is discovered like every other module).
#: ``COURSE_FUZZ_LEGACY_WING=1`` fuzzes these old modules too (their public names, without ``__all__``).
LEGACY_WING = {"course_utils.data", "course_utils.models", "course_utils.train", "course_utils.cifar_figures"}
FUZZ_LEGACY_WING = os.environ.get("COURSE_FUZZ_LEGACY_WING") == "1"
#: CPU seconds one call may use before it counts as a hang (a huge count that was not refused at the door).
#: CPU time, not wall time, so that a busy machine doesn't turn a slow call into a "hang".
CALL_LIMIT_S = 5
#: Slow builders (explorers render a figure to PNG): only the substitutions that should be refused at the door
#: are tried; the "maybe valid" ones (torch for NumPy, a wrong shape, ...) would each build a whole explorer.
SLOW = ("explorer", "figure", "train", "race", "experiment", "gap", "fit_soft_target", "budgeted_fit",
        "calibration_run")


# ----------------------------------------------------------------------------------------------------------
# discovery
# ----------------------------------------------------------------------------------------------------------
def public_modules() -> list[types.ModuleType]:
    mods = [course_utils]
    for info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")[1:]) or name in SKIP_MODULES:
            continue
        if name in LEGACY_WING and not (ROOT / "course_utils" / (name.split(".")[-1] + ".py")).exists():
            continue
        mod = importlib.import_module(name)
        if name in LEGACY_WING and not hasattr(mod, "__all__") and not FUZZ_LEGACY_WING:
            continue
        mods.append(mod)
    return mods


def public_functions() -> dict[str, object]:
    """'module.function' -> the function, for every function in a public module's ``__all__``."""
    out = {}
    for mod in public_modules():
        names = getattr(mod, "__all__", None)
        if names is None:  # only a legacy wing module, when asked for (COURSE_FUZZ_LEGACY_WING=1)
            names = [n for n, o in vars(mod).items() if getattr(o, "__module__", None) == mod.__name__]
        for name in names:
            obj = getattr(mod, name)
            if inspect.isfunction(obj) and not name.startswith("_"):
                key = f"{mod.__name__.removeprefix('course_utils.')}.{name}" if mod is not course_utils \
                    else name
                out[key] = obj
    return out


def test_every_public_module_declares_all():
    missing = [m.__name__ for m in public_modules() if not hasattr(m, "__all__") and m.__name__ not in LEGACY_WING]
    assert not missing, f"public modules without __all__ (the fuzz suite can't see them): {missing}"


# ----------------------------------------------------------------------------------------------------------
# valid calls
# ----------------------------------------------------------------------------------------------------------
Z2 = [[1.0, 2.0, 0.5], [0.1, -0.3, 0.2]]       # logits (N, C)
Y2 = [2, 0]                                   # class indices for Z2
ZB = [0.5, -1.0, 2.0]                         # binary logits
YB = [1.0, 0.0, 1.0]                          # binary targets
P2 = [0.25, 0.75]                             # a distribution
PROBS = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]    # predicted probabilities (N, C)


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 0.0")


def _xy():
    from course_utils import logistic
    return logistic.make_blobs(12, seed=0)


def _train_result():
    from course_utils import logistic
    x, y = _xy()
    return logistic.train_logistic(x, y, steps=3)


def _race():
    from course_utils import ce_vs_mse
    x, y = _xy()
    return ce_vs_mse.training_race(x, y, steps=3)


def _landscape():
    from course_utils import ce_vs_mse
    x, y = _xy()
    return ce_vs_mse.loss_landscape(x, y, t=np.linspace(-1, 1, 5))


def _noise_exp():
    from course_utils import loss_family
    return loss_family.label_noise_experiment((0, 2), steps=3)


def _sweep():
    from course_utils import numerics
    return numerics.softmax_bug_sweep([0.0, 1.0], num_classes=3)


def _bins():
    from course_utils import calibration
    return calibration.reliability_bins(PROBS, [0, 2], n_bins=5)


def _history():
    return types.SimpleNamespace(epoch=[1, 2], train_loss=[2.0, 1.5], test_loss=[2.1, 1.7],
                                 step_loss=[2.2, 1.9, 1.6, 1.4], train_accuracy=[0.3, 0.5],
                                 test_accuracy=[0.28, 0.45], recipe="fuzz", lr=[0.1, 0.05],
                                 seconds=[1.0, 2.0])


def _axes():
    import matplotlib.pyplot as plt
    return plt.subplots()[1]


def _axes_pair():
    import matplotlib.pyplot as plt
    return plt.subplots(1, 2)[1]


def _fits():
    from course_utils import kl_fitting
    x = np.linspace(-4, 4, 41)
    p = kl_fitting.grid_bimodal(x)
    return [kl_fitting.fit_gaussian_kl(x, p, mus=np.linspace(-1, 1, 3), sigmas=np.linspace(0.5, 2, 3))]


def _gap():
    from course_utils import soft_targets
    return soft_targets.label_smoothing_gap(3, 0.1, steps=5)


def _rows():
    from course_utils import loss_family
    return loss_family.loss_comparison()


def _case():
    from course_utils import checks
    return [checks.Case((0.5,), 1.0)]


X41 = np.linspace(-4, 4, 41)
MARKOV = [[0.9, 0.1], [0.2, 0.8]]              # a 2-state Markov chain's transition matrix


def _ac():
    from course_utils import arithmetic_coding
    return arithmetic_coding


def _compression():
    from course_utils import compression
    return compression


def _lm_logits(text):
    """A stand-in language model over the alphabet "abc": logits from the prompt's length."""
    return np.array([0.5, -0.2, 0.1 * len(text)])


def _char_lm():
    from course_utils import language_models
    _torch().manual_seed(0)
    return language_models.CharMLP(3, context=2, embed=2, hidden=4, layers=1)


def _lm_history():
    from course_utils import language_models
    return language_models.LMHistory(step=[1, 2], loss_nats=[1.1, 0.9], seconds=[0.1, 0.2])


def _p41():
    from course_utils import kl_fitting
    return kl_fitting.grid_bimodal(X41)


def lazy(fn):
    """A value built at call time (figures, fitted results)."""
    fn.lazy = True
    return fn


#: Per function: the arguments of one small, valid, fast call (only those the other tables don't give).
VALID: dict[str, dict] = {
    "seed_everything": {"seed": 0},
    # the theory pieces of notebooks 02, 05, 07 and notebook 10's modules
    "ce_vs_mse.gaussian_nll": {"pred": [0.2, 0.7], "target": [0.0, 1.0]},
    "kl_fitting.irreducible_loss": {"p_x": [0.5, 0.5], "p_y_given_x": [[0.9, 0.1], [0.3, 0.7]],
                                    "q_y_given_x": [[0.8, 0.2], [0.4, 0.6]]},
    "numerics.half_precision_demo": {},
    "distillation.kd_loss": {"student_logits": [[1.0, 0.0, -1.0], [0.5, 0.2, 0.1]],
                             "teacher_logits": [[2.0, 0.5, -1.0], [0.1, 1.0, 0.3]], "targets": [0, 1]},
    "distillation.kd_soft_gradient": {"student_logits": [[1.0, 0.0, -1.0]], "teacher_logits": [[2.0, 0.5, -1.0]],
                                      "temperature": 2.0},
    "distillation.kd_gradient_scale": {"student_logits": [[1.0, 0.0, -1.0]], "teacher_logits": [[2.0, 0.5, -1.0]],
                                       "temperatures": [1.0, 2.0, 4.0]},
    "distillation.infonce_loss": {"scores": [[2.0, 0.1, -0.3], [0.2, 1.5, 0.0], [-0.1, 0.3, 1.8]]},
    "distillation.infonce_bound": {"scores": [[2.0, 0.1, -0.3], [0.2, 1.5, 0.0], [-0.1, 0.3, 1.8]]},
    "distillation.gaussian_mi": {"rho": 0.5},
    "distillation.correlated_gaussians": {"n": 8, "rho": 0.5},
    "distillation.gaussian_critic_scores": {"x": [[0.1], [0.5], [-0.3]], "y": [[0.2], [0.4], [-0.1]], "rho": 0.5},
    "distillation.infonce_bound_sweep": {"rhos": [0.1, 0.5], "batch_size": 8, "batches": 2},
    "distillation.plot_infonce_bound": {"sweep": lazy(lambda: _distillation().infonce_bound_sweep(
        [0.1, 0.5], batch_size=8, batches=2))},
    "distillation.plot_kd_gradient_scale": {"result": lazy(lambda: _distillation().kd_gradient_scale(
        [[1.0, 0.0, -1.0]], [[2.0, 0.5, -1.0]], [1.0, 2.0, 4.0]))},
    "distillation.plot_critic_training": {"result": lazy(lambda: _distillation().train_critic(
        0.8, steps=3, batch_size=16))},
    "distillation.soften": {"logits": [[2.0, 0.5, -1.0]], "temperature": 2.0},
    "distillation.train_critic": {"rho": 0.8, "steps": 3, "batch_size": 16},
    "cifar.distill.make_student": {},
    "cifar.distill.teacher_logits": {"teacher": lazy(lambda: _tiny_model()), "x": lazy(lambda: BY_NAME["images"]()),
                                     "batch_size": 4},
    "cifar.distill.kd_loss": {"student_logits": lazy(lambda: _torch().zeros(2, 10)),
                              "teacher_logits": lazy(lambda: _torch().ones(2, 10)),
                              "targets": lazy(lambda: _torch().tensor([0, 1]))},
    "cifar.distill.train_student": {"student": lazy(lambda: _tiny_model()), "data": lazy(lambda: _fixture_data()),
                                    "epochs": 1, "recipe": lazy(lambda: _tiny_recipe()), "precision": "fp32"},
    "cifar.train.first_batch_loss": {"model": lazy(lambda: _tiny_model()), "data": lazy(lambda: _fixture_data()),
                                     "batch_size": 8},

    "setup": {"quiet": True},
    # info / losses / grads: the defaults of BY_NAME are binary/categorical as named below
    "info.surprisal": {"p": [0.5, 0.25]},
    "info.binary_entropy": {"p": [0.5, 0.1]},
    "info.cross_entropy": {"p": P2, "q": [0.5, 0.5]},
    "info.kl_divergence": {"p": P2, "q": [0.5, 0.5]},
    "losses.logit": {"q": [0.2, 0.9]},
    "losses.one_hot": {"targets": Y2, "num_classes": 3},
    "losses.sigmoid": {"z": ZB},
    "losses.softmax": {"z": Z2},
    "losses.log_softmax": {"z": Z2},
    "losses.binary_cross_entropy": {"probs": [0.7, 0.2, 0.9], "targets": YB},
    "losses.binary_cross_entropy_with_logits": {"logits": ZB, "targets": YB},
    "losses.nll_loss": {"log_probs": np.log(PROBS), "targets": Y2},
    "losses.mse_loss": {"input": [0.5, 0.2], "target": [1.0, 0.0]},
    "losses.binary_hinge_loss": {"scores": ZB, "targets": [1.0, -1.0, 1.0]},
    "losses.multiclass_hinge_loss": {"scores": Z2, "targets": Y2},
    "losses.sigmoid_focal_loss": {"logits": ZB, "targets": YB},
    "grads.bce_grad_prob": {"probs": [0.7, 0.2, 0.9], "targets": YB},
    "grads.bce_grad_logit": {"logits": ZB, "targets": YB},
    "grads.mse_grad_logit": {"logits": ZB, "targets": YB},
    "grads.focal_grad_logit": {"logits": ZB, "targets": YB},
    "binary_losses.binary_loss": {"name": "bce", "logits": ZB, "targets": YB},
    "binary_losses.binary_loss_grad": {"name": "focal", "logits": ZB, "targets": YB},
    "binary_losses.check_params": {},
    # calibration
    "calibration.check_n_bins": {"n_bins": 15},
    "calibration.check_temperature": {"temperature": 1.5},
    "calibration.apply_temperature": {"logits": Z2, "temperature": 2.0},
    "calibration.fit_temperature": {"logits": Z2, "targets": Y2},
    # logistic and its neighbours
    "logistic.blob_centers": {"num_classes": 3, "separation": 2.0},
    "logistic.make_blobs": {"n": 12},
    "logistic.train_logistic": {"steps": 3},
    "logistic.check_train_args": {"loss": "bce", "lr": 0.5, "steps": 3, "w0": None, "b0": 0.0,
                                  "losses_allowed": ("bce", "mse")},
    "ce_vs_mse.train_logistic_torch": {"steps": 3},
    "ce_vs_mse.saturation_table": {},
    "ce_vs_mse.training_race": {"steps": 3},
    "ce_vs_mse.loss_landscape": {"t": np.linspace(-1, 1, 5)},
    "loss_family.binary_metrics": {"result": lazy(_train_result)},
    "loss_family.easy_example_share": {"logits": ZB, "targets": YB},
    "loss_family.weighted_bce_optimum": {"base_rate": 0.2, "pos_weight": 3.0},
    "loss_family.weighted_mean_gotcha": {"logits": Z2, "targets": Y2, "weight": [1.0, 2.0, 3.0]},
    "loss_family.label_noise_experiment": {"counts": (0, 2), "steps": 3},
    "loss_family.comparison_markdown": {"rows": lazy(_rows)},
    # numerics, soft targets, KL fits, source coding
    "numerics.bce_numerics": {"logits": [-30.0, 0.0, 30.0]},
    "numerics.naive_softmax": {"z": [1.0, 2.0, 3.0]},
    "numerics.softmax_overflow_demo": {"logits": [1.0, 2.0, 3.0]},
    "numerics.softmax_before_ce": {"logits": Z2, "targets": Y2},
    "numerics.softmax_bug_sweep": {"gaps": [0.0, 1.0], "num_classes": 3},
    "numerics.softmax_bug_figure": {"sweep": lazy(_sweep)},
    "soft_targets.fit_soft_target": {"target": [0.2, 0.5, 0.3], "steps": 3},
    "soft_targets.smoothed_targets": {"targets": Y2, "num_classes": 3, "label_smoothing": 0.1},
    "soft_targets.label_smoothing_gap": {"num_classes": 3, "steps": 5},
    "soft_targets.plot_label_smoothing_gap": {"result": lazy(_gap)},
    "kl_fitting.grid_gaussian": {"x": X41, "mu": 0.0, "sigma": 1.0},
    "kl_fitting.grid_bimodal": {"x": X41},
    "kl_fitting.fit_gaussian_kl": {"x": X41, "p": lazy(_p41), "mus": np.linspace(-1, 1, 3),
                                   "sigmas": np.linspace(0.5, 2, 3)},
    "kl_fitting.cross_entropy_path": {"p": [0.2, 0.5, 0.3], "steps": 5},
    "kl_fitting.plot_gaussian_fits": {"x": X41, "p": lazy(_p41), "fits": lazy(_fits)},
    "kl_fitting.plot_cross_entropy_path": {"p": [0.2, 0.5, 0.3]},
    "source_coding.huffman_code": {"p": [0.5, 0.25, 0.25]},
    "source_coding.code_lengths": {"codewords": ["0", "10", "11"]},
    "source_coding.shannon_code_lengths": {"q": [0.5, 0.25, 0.25]},
    "source_coding.average_code_length": {"p": [0.5, 0.25, 0.25], "lengths": [1, 2, 2]},
    "source_coding.kraft_sum": {"lengths": [1, 2, 2]},
    "source_coding.is_prefix_free": {"codewords": ["0", "10", "11"]},
    "source_coding.encode": {"symbols": [0, 2, 1], "codewords": ["0", "10", "11"]},
    "source_coding.decode": {"bits": "01011", "codewords": ["0", "10", "11"]},
    "source_coding.block_distribution": {"p": P2, "n": 2},
    "source_coding.block_code_rates": {"p": P2, "max_block": 3},
    "source_coding.sample_code_rate": {"p": [0.5, 0.25, 0.25], "codewords": ["0", "10", "11"], "n": 50},
    "source_coding.plot_block_code_rates": {"p": P2, "max_block": 3},
    # views
    "plots.new_axes": {},
    "plots.fmt_number": {"x": 0.125},
    "plots.nice_limit": {"x": 3.2},
    "plots.fit_limit": {"current": 5.0, "needed": 6.5},
    "plots.binary_curve": {"name": "bce", "q": [0.2, 0.5, 0.9], "y": 1},
    "plots.plot_reliability_diagram": {"bins": lazy(_bins)},
    "cifar.train.budgeted_recipe": {"name": "quick"},
    "plots.reliability_panels": {"panels": lazy(lambda: {"a": _bins(), "b": _bins()})},
    "plots.plot_loss_histogram": {"groups": {"a": [0.1, 0.5, 2.0], "b": [0.3, 1.0]}, "bins": 5},
    "plots.plot_fit_history": {"history": lazy(_history)},
    "plots.plot_decision_boundary": {"result": lazy(_train_result)},
    "widgets.png_bytes": {"rgba": np.zeros((4, 4, 4), dtype=np.uint8)},
    "widgets.distribution_values": {"p": P2, "q": [0.5, 0.5]},
    "widgets.binary_values": {"q": 0.3, "y": 1},
    "widgets.softmax_values": {"logits": [1.0, 2.0, 0.5]},
    "widgets.loss_family_values": {"q": 0.3},
    "widgets.temperature_explorer": {"logits": Z2, "targets": Y2, "n_bins": 5},
    "widgets.reliability_figure": {"logits": Z2, "targets": Y2, "n_bins": 5},
    # exercises
    "checks.register": {"name": "fuzz_not_registered"},
    "checks.run_cases": {"name": "fuzz", "fn": _stub, "cases": lazy(_case), "verbose": False},
    "checks.show_code": {"fn": course_utils.seed_everything},
    "checks.show_solution": {"name": "binary_entropy"},
    "claims.claim": {"statement": "two is more than one", "condition": True},
    "checks.cases_for": {"name": "binary_entropy"},
    "checks.grade": {"name": "binary_entropy", "fn": _stub},
    "plots.scaled": {"figsize": (6.4, 4.0)},
    # notebook 09: arithmetic coding, compression, character language models, their explorers
    "arithmetic_coding.quantise": {"probs": P2},
    "arithmetic_coding.encode": {"symbols": [0, 1, 1], "model": P2},
    "arithmetic_coding.decode": {"data": lazy(lambda: _ac().encode([0, 1, 1], P2)), "model": P2, "n": 3},
    "arithmetic_coding.ideal_bits": {"symbols": [0, 1, 1], "model": P2},
    "arithmetic_coding.quantised_bits": {"symbols": [0, 1, 1], "model": P2},
    "compression.stationary_distribution": {"P": MARKOV},
    "compression.entropy_rate": {"P": MARKOV},
    "compression.sample_markov": {"P": MARKOV, "n": 5},
    "compression.uniform_model": {"n": 3, "num_symbols": 4},
    "compression.markov_model_predictions": {"P": MARKOV, "symbols": [0, 1, 1]},
    "compression.surprise_bits": {"q": P2},
    "compression.bits_per_symbol": {"q": P2, "symbols": [0, 1, 1]},
    "compression.code_report": {"q": P2, "symbols": [0, 1, 1]},
    "compression.baseline_compressors": {"data": "abcabc"},
    "compression.encode_text": {"text": "abc"},
    "compression.decode_text": {"symbols": [0, 1, 2]},
    "compression.load_corpus": {"max_train": 200, "max_test": 100},
    "compression.class_frequency_model": {"labels": Y2, "num_classes": 3},
    "compression.sequence_cross_entropy": {"logits": Z2, "targets": Y2},
    "compression.label_code_lengths": {"logits": Z2, "labels": Y2},
    "compression.plot_markov_rates": {"rates": {"order 0": 1.0, "order 1": 0.8}, "entropy_rate_bits": 0.7},
    "compression.plot_bits_per_character": {"rows": {"unigram": (4.5, "model"), "gzip -9": (3.0, "compressor")}},
    "compression.plot_label_code_lengths": {"report": lazy(lambda: _compression().label_code_lengths(Z2, Y2))},
    "compression_explorers.surprise_values": {"q": 0.1, "repeats": 50},
    "compression_explorers.temperature_values": {"logits_fn": _lm_logits, "alphabet": "abc", "prompt": "ab",
                                                 "sample_length": 5},
    "compression_explorers.temperature_explorer": {"logits_fn": _lm_logits, "alphabet": "abc", "prompts": ["ab"]},
    "compression_explorers.temperature_figure": {"logits_fn": _lm_logits, "alphabet": "abc", "prompt": "ab"},
    "language_models.next_char_probs": {"model": lazy(_char_lm), "symbols": [0, 1, 2]},
    "language_models.next_distribution": {"model": lazy(_char_lm), "prompt": [0, 1]},
    "language_models.sample_text": {"model": lazy(_char_lm), "prompt": [0, 1], "n": 3},
    "language_models.train_char_lm": {"model": lazy(_char_lm), "symbols": [0, 1, 2, 1, 0, 2], "steps": 2,
                                      "batch_size": 2, "log_every": 1},
    "language_models.plot_lm_history": {"history": lazy(_lm_history)},
}

class Skip:
    """A VALID entry for a function the fuzz suite must not call (say why)."""

    def __init__(self, reason: str):
        self.reason = reason


def _distillation():
    from course_utils import distillation

    return distillation


def _fixture_root():
    from importlib import import_module
    data = import_module(_wing("data"))
    return data.make_fixture(_tmp_path("cifar10"), n_train=20, n_test=10)


def _fixture_data():
    from importlib import import_module
    data = import_module(_wing("data"))
    return data.load_cifar10(_fixture_root(), download=False, verify=False, progress=False)


def _wing(module: str) -> str:
    """A wing module's import path: course_utils.cifar.<module> once the wing has moved, else the old one."""
    moved = Path(course_utils.__path__[0]) / "cifar" / f"{module}.py"  # this checkout's files, not an install's
    return f"course_utils.cifar.{module}" if moved.exists() else f"course_utils.{module}"


def _evaluation():
    from importlib import import_module
    train = import_module(_wing("train"))
    return train.evaluate(_tiny_model(), BY_NAME["images"](), BY_NAME["labels"](), batch_size=4)


def _tiny_recipe():
    """The quick recipe shrunk to one epoch of batches of 10, no whitening (the tiny model has no stem)."""
    from importlib import import_module
    train = import_module(_wing("train"))
    return dataclasses.replace(train.RECIPES["quick"], name="fuzz", epochs=1, batch_size=10, whiten=False,
                               tta=False, precision="fp32")


def _train_history():
    from importlib import import_module
    train = import_module(_wing("train"))
    return train.History(recipe="fuzz", **{k: v for k, v in vars(_history()).items() if k != "recipe"})


def _sgd():
    return _torch().optim.SGD(_tiny_model().parameters(), lr=0.1)


def _make_history(**kwargs):
    return kwargs


def _saved_checkpoint():
    from importlib import import_module
    checkpoint = import_module(_wing("checkpoint"))
    model = _tiny_model()
    opt = _torch().optim.SGD(model.parameters(), lr=0.1)
    return checkpoint.save_checkpoint(_tmp_path("checkpoints") / "run.pt",
                                      {"model": model.state_dict(), "optimizer": opt.state_dict(), "history": {}})


def _a_file():
    path = _tmp_path("file")
    path.write_bytes(b"course")
    return path


#: The CIFAR-10 wing, keyed by the bare function name so that the table survives the move to
#: ``course_utils/cifar/`` (``_wing`` finds the module either way). Tiny sizes, CPU, temp folders, no network.
WING_VALID: dict[str, dict | Skip] = {
    "file_digest": {"path": lazy(_a_file)},
    "download_archive": Skip("downloads from the network"),
    "extract_archive": Skip("needs the real CIFAR-10 archive"),
    "load_cifar10": {"root": lazy(_fixture_root), "download": False, "verify": False, "progress": False},
    "make_fixture": {"root": lazy(lambda: _tmp_path("fixture")), "n_train": 20, "n_test": 10},
    "fixture_checksums": {"root": lazy(_fixture_root)},
    "load_course_data": {"fast": True, "root": lazy(_fixture_root), "progress": False},
    "subset": {"cifar": lazy(_fixture_data), "n_train": 4, "n_test": 4},
    "validation_split": {"cifar": lazy(_fixture_data), "n_val": 4},
    "flip_labels": {"targets": lazy(lambda: _torch().tensor([0, 1, 2, 3])), "fraction": 0.5},
    "augment_batch": {"x_uint8": lazy(lambda: _torch().zeros((4, 3, 32, 32), dtype=_torch().uint8))},
    "normalize_batch": {"x": lazy(lambda: _torch().zeros((4, 3, 32, 32), dtype=_torch().uint8))},
    "smoothed_target_entropy": {"label_smoothing": 0.1},
    "resolve_precision": {"precision": "auto", "device": "cpu"},
    "shift_batch": {"x": lazy(lambda: _torch().zeros((4, 3, 32, 32))), "shift": 1},
    "predict_logits": {"x": lazy(lambda: BY_NAME["images"]()), "batch_size": 4},
    "evaluate": {"x": lazy(lambda: BY_NAME["images"]()), "y": lazy(lambda: BY_NAME["labels"]()), "batch_size": 4},
    "per_class_accuracy": {"confusion": lazy(lambda: _torch().eye(10, dtype=_torch().int64))},
    "confident_mistakes": {"probs": lazy(lambda: _torch().full((4, 10), 0.1)),
                           "targets": lazy(lambda: _torch().tensor([0, 1, 2, 3])), "k": 2},
    "describe_predictions": {"ev": lazy(_evaluation), "indices": [0, 1], "classes": tuple("abcdefghij")},
    "checkpoint_path": {"checkpoint_dir": lazy(lambda: _tmp_path("checkpoints")), "data": lazy(_fixture_data)},
    "fit": {"data": lazy(_fixture_data), "epochs": 1, "checkpoint_dir": lazy(lambda: _tmp_path("checkpoints"))},
    "plot_images": {"x": lazy(lambda: BY_NAME["images"]())},
    "plot_confusion": {"confusion": lazy(lambda: np.eye(10, dtype=np.int64)), "classes": tuple("abcdefghij")},
    "plot_test_losses": {"ev": lazy(_evaluation)},
    "set_aside": {"path": lazy(_a_file), "why": "fuzz"},
    "save_checkpoint": {"path": lazy(lambda: _tmp_path("checkpoints") / "run.pt"),
                        "state": lazy(lambda: {"model": _tiny_model().state_dict()})},
    "load_checkpoint": {"path": lazy(_saved_checkpoint), "model": lazy(lambda: _tiny_model()), "optimizer": lazy(_sgd),
                        "device": "cpu", "make_history": _make_history},
    "autocast": {"device": lazy(lambda: _torch().device("cpu")), "precision": "fp32"},
    "grad_scaler": {"device": lazy(lambda: _torch().device("cpu")), "precision": "fp32"},
    "precision_reason": {"precision": "auto", "device": "cpu"},
    "get_recipe": {"recipe": "quick"},
    "lr_at": {"recipe": lazy(_tiny_recipe), "progress": 0.5},
    "make_optimizer": {"model": lazy(lambda: _tiny_model()), "recipe": lazy(_tiny_recipe)},
    "set_lr": {"optimizer": lazy(_sgd), "lr": 0.1},
    "orthogonalize": {"g": lazy(lambda: _torch().randn(4, 6))},
    "alternating_flips": {"n": 10, "epoch": 1},
    "epoch_line": {"history": lazy(_train_history), "epochs": 2, "measured": True},
    "plan_epochs": {"budget_s": 60.0, "n_train": 100, "images_per_second": 50.0},
    "measure_throughput": {"model": lazy(lambda: _tiny_model()), "data": lazy(_fixture_data),
                           "recipe": lazy(_tiny_recipe),
                           "device": lazy(lambda: _torch().device("cpu")), "precision": "fp32", "steps": 1},
    "budgeted_fit": {"model": lazy(lambda: _tiny_model()), "data": lazy(_fixture_data),
                     "recipe": lazy(_tiny_recipe),
                     "budget_s": 1.0, "device": "cpu", "precision": "fp32", "warmup_steps": 1, "log": None},
    "split_validation": {"data": lazy(_fixture_data), "n_val": 5},
    "study_settings": {"data": lazy(_fixture_data), "fast": True},
    "calibration_run": {"data": lazy(_fixture_data), "recipe": lazy(_tiny_recipe), "n_val": 5, "n_bins": 5,
                        "n_train_losses": 5, "precision": "fp32"},
    "runs_table": {"runs": [{"name": "fuzz", "T": 1.2, "accuracy": 0.5, "ece": 0.1, "ece_T": 0.05, "nll": 1.0,
                             "nll_T": 0.9, "brier": 0.5, "brier_T": 0.4}]},
}

#: Per parameter name: a valid value where the function's VALID entry doesn't give one.
BY_NAME: dict[str, object] = {
    "logits": Z2, "targets": Y2, "probs": PROBS, "p": P2, "q": P2, "x": lazy(lambda: _xy()[0]),
    "y": lazy(lambda: _xy()[1]), "race": lazy(_race), "land": lazy(_landscape), "exp": lazy(_noise_exp),
    "fn": _stub, "ax": lazy(_axes), "axes": lazy(_axes_pair), "result": lazy(_train_result),
    # the CIFAR-10 wing (extend as its API settles): tiny sizes, CPU, temp folders
    "seed": 0, "device": "cpu", "epochs": 1, "batch_size": 2, "n": 4, "num_classes": 3, "n_train": 4,
    "n_test": 4, "images": lazy(lambda: _torch().zeros((4, 3, 32, 32), dtype=_torch().uint8)),
    "labels": lazy(lambda: _torch().tensor([0, 1, 2, 1])), "model": lazy(lambda: _tiny_model()),
    "root": lazy(lambda: _tmp_path("root")), "path": lazy(lambda: _tmp_path("file")),
    "checkpoint_dir": lazy(lambda: _tmp_path("checkpoints")), "class_names": ("a", "b", "c"),
}

#: Per annotation (as written in the source): a valid value where neither table above gives one.
BY_ANNOTATION: dict[str, object] = {
    "int": 2, "float": 0.5, "bool": False, "str": "bce", "Callable": _stub,
    "torch.nn.Module": lazy(lambda: _tiny_model()), "nn.Module": lazy(lambda: _tiny_model()),
    "torch.Tensor": lazy(lambda: _torch().zeros(4)), "Path": lazy(lambda: _tmp_path("file")),
    "str | os.PathLike": lazy(lambda: _tmp_path("file")), "os.PathLike": lazy(lambda: _tmp_path("file")),
}


def _torch():
    import torch
    return torch


def _tiny_model():
    torch = _torch()
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 10))


_TMP: list[Path] = []


def _tmp_path(kind: str) -> Path:
    base = _TMP[-1]
    out = base / f"{kind}-{len(list(base.iterdir()))}"
    if kind != "file":
        out.mkdir()
    return out


class NoValidCall(LookupError):
    pass


def _materialise(v):
    return v() if getattr(v, "lazy", False) else v


def valid_kwargs(key: str, fn) -> dict:
    """One valid call of ``fn`` as keyword arguments (positional-only parameters are not used in the package)."""
    table = VALID.get(key)
    if table is None and (key.startswith("cifar.") or f"course_utils.{key.split('.')[0]}" in LEGACY_WING):
        table = WING_VALID.get(key.split(".")[-1])
    if isinstance(table, Skip):
        return table
    table = table or {}
    out = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        ann = param.annotation if isinstance(param.annotation, str) else getattr(param.annotation, "__name__", "")
        if name in table:
            out[name] = _materialise(table[name])
        elif param.default is not param.empty:
            continue
        elif name in BY_NAME:
            out[name] = _materialise(BY_NAME[name])
        elif ann in BY_ANNOTATION:
            out[name] = _materialise(BY_ANNOTATION[ann])
        else:
            raise NoValidCall(
                f"{key}: no valid value for required parameter {name!r} (annotation {ann or 'none'}). "
                f"Add an entry for {key!r} to VALID in tests/test_fuzz.py (or {name!r} to BY_NAME)."
            )
    return out


# ----------------------------------------------------------------------------------------------------------
# hostile values
# ----------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Hostile:
    kind: str             # what the report counts by
    value: object
    maybe_valid: bool     # True: returning a NaN-free result is also fine


def _is_arraylike(v) -> bool:
    """A list, tuple or array of numbers (not a NamedTuple or dataclass of results)."""
    if type(v) in (list, tuple) and v:
        try:
            return np.asarray(v).dtype.kind in "fiu"
        except ValueError:
            return False
    return isinstance(v, np.ndarray) and v.dtype.kind in "fiu"


def _kind_of_param(param, valid) -> set[str]:
    """What the parameter is: 'bool', 'int', 'float', 'str', 'array', 'torch', 'none_ok', from its default,
    annotation and valid value."""
    ann = param.annotation if isinstance(param.annotation, str) else getattr(param.annotation, "__name__", "")
    default = param.default
    kinds = set()
    for v in (default, valid):
        if v is inspect.Parameter.empty:
            continue
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, numbers_Integral):
            kinds.add("int")
        elif isinstance(v, float):
            kinds.add("float")
        elif isinstance(v, str):
            kinds.add("str")
        elif _is_arraylike(v):
            kinds.add("array")
        elif type(v).__module__.startswith("torch"):
            kinds.add("torch")
    words = {w.strip() for w in ann.replace("|", ",").split(",")}
    if "bool" in words:
        kinds.add("bool")
    if "int" in words:
        kinds.add("int")
    if "float" in words:
        kinds.add("float")
    if "str" in words:
        kinds.add("str")
    if default is None or valid is None or "None" in words:
        kinds.add("none_ok")
    return kinds


import numbers  # noqa: E402

numbers_Integral = numbers.Integral


def _int_only(kinds: set[str]) -> bool:
    """An int (or flag) parameter, where a float, a huge or a negative number is never right."""
    return bool(kinds & {"int", "bool"}) and not kinds & {"float", "array"}


def hostile_values(param, valid) -> list[Hostile]:
    """The catalogue for one parameter (its valid value ``valid`` shapes the derived ones)."""
    kinds = _kind_of_param(param, valid)
    numeric = bool(kinds & {"int", "float", "array"})
    int_only = _int_only(kinds)
    out = [
        Hostile("None", None, "none_ok" in kinds),
        Hostile("object", object(), False),
        Hostile("str", "no", "str" in kinds),
        Hostile("nan", float("nan"), False),
        Hostile("inf", float("inf"), False),
        Hostile("-inf", float("-inf"), False),
        Hostile("bool", True, "bool" in kinds),
        Hostile("huge int", 10**30, not int_only and numeric),
        Hostile("negative", -1, (not int_only and numeric) or param.name == "axis"),
        Hostile("empty", [], "array" in kinds),
        Hostile("str array", np.array(["a", "b"]), False),
    ]
    if int_only and "bool" not in kinds:
        out.append(Hostile("fractional", 1.5, False))
    if _is_arraylike(valid):
        arr = np.asarray(valid, dtype=float)
        out.append(Hostile("wrong shape", arr[None, ..., None], True))
        bad = arr.copy()
        bad.flat[0] = np.nan
        out.append(Hostile("nan inside", bad, False))
        out.append(Hostile("torch for numpy", _torch().as_tensor(np.asarray(valid)), True))
        out.append(Hostile("complex dtype", arr.astype(complex), False))
    if type(valid).__module__.startswith("torch") and hasattr(valid, "numpy"):
        out.append(Hostile("numpy for torch", valid.detach().cpu().numpy(), True))
    return out


# ----------------------------------------------------------------------------------------------------------
# calling and judging
# ----------------------------------------------------------------------------------------------------------
COUNTS: collections.Counter = collections.Counter()
FAILURES: list[str] = []

#: Demos whose whole point is the NaN a naive formula gives (asked for), and reliability bins, whose empty
#: bins hold NaN by design ("no data"; plots skip them).
NAN_OK = {"numerics.bce_numerics", "numerics.naive_softmax", "numerics.softmax_overflow_demo",
          "calibration.reliability_bins", "calibration.calibration_metrics_and_bins",
          # a History's test loss and accuracy are NaN for epochs where the test set was not measured
          "cifar.budget.budgeted_fit"}
#: Functions whose results may legitimately hold inf (surprisal of an impossible event, ...). NaN never.
INF_OK = {"numerics.half_precision_demo",  # float16 overflowing to inf is what it shows
          "info.surprisal", "info.cross_entropy", "info.kl_divergence", "source_coding.shannon_code_lengths",
          "numerics.bce_numerics", "numerics.naive_softmax", "numerics.softmax_overflow_demo", "plots.fit_limit",
          "plots.nice_limit", "losses.logit"}
#: (function, parameter, kind) where a returned result is right although the kind says "invalid".
ACCEPTED = {
    # device=None picks the best device, as fit's does
    ("cifar.distill.train_student", "device", "None"),
    ("claims.claim", "statement", "str"), ("checks.show_solution", "name", "str"),
    ("checks.register", "name", "str"), ("checks.run_cases", "name", "str"),
    ("plots.fmt_number", "x", "nan"), ("plots.fmt_number", "x", "inf"), ("plots.fmt_number", "x", "-inf"),
    ("plots.fmt_number", "x", "huge int"), ("kl_fitting.plot_gaussian_fits", "fits", "empty"),
    # no titles (the default is ()) and no title colours: the images alone
    ("cifar.figures.plot_images", "titles", "empty"), ("cifar.figures.plot_images", "title_colors", "empty"),
    # the default ignore_index is -100: a negative index is the usual padding marker
    ("compression.sequence_cross_entropy", "ignore_index", "negative"),
    # no labels with add-one smoothing: the uniform model, on purpose (smoothing=0 with no labels is refused)
    ("compression.class_frequency_model", "labels", "empty"),
    # an empty history is no history (text[:0] when a text is scored from its start), as None is
    ("language_models.next_char_probs", "history", "empty"),
    # a negative shift moves images up and left (the docstring's second direction)
    ("cifar.train.shift_batch", "shift", "negative"),
}
#: Functions that take any object for some parameter on purpose.
ANY_OBJECT = {("checks.show_code", "fn")}


def _has_nan(obj, depth=0) -> bool:
    if depth > 4:
        return False
    if isinstance(obj, float):
        return math.isnan(obj)
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind == "f" and bool(np.isnan(obj).any())
    if isinstance(obj, np.floating):
        return bool(np.isnan(obj))
    if isinstance(obj, dict):
        return any(_has_nan(v, depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_has_nan(v, depth + 1) for v in obj[:1000])
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return any(_has_nan(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj))
    return False


def _has_inf(obj, depth=0) -> bool:
    if depth > 4:
        return False
    if isinstance(obj, float):
        return math.isinf(obj)
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind == "f" and bool(np.isinf(obj).any())
    if isinstance(obj, np.floating):
        return bool(np.isinf(obj))
    if isinstance(obj, dict):
        return any(_has_inf(v, depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_has_inf(v, depth + 1) for v in obj[:1000])
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return any(_has_inf(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj))
    return False


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def _fds_ok() -> list[int]:
    bad = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            bad.append(fd)
    return bad


def call_once(key, fn, kwargs, *, label) -> tuple[str, object]:
    """Call ``fn(**kwargs)``: ('ok', result) or ('raised', exception). Checks the standard descriptors."""
    import matplotlib.pyplot as plt

    saved = [os.dup(fd) for fd in (0, 1, 2)]
    before = _fds_ok()
    old = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, CALL_LIMIT_S)
    COUNTS["calls"] += 1
    try:
        out = ("ok", fn(**kwargs))
    except _Hang:
        out = ("hang", None)
    except BaseException as err:  # noqa: BLE001 - we judge every kind, SystemExit included
        out = ("raised", err)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
        broken = [fd for fd in _fds_ok() if fd not in before]
        for fd, copy in zip((0, 1, 2), saved, strict=True):
            if fd in broken:
                os.dup2(copy, fd)
            os.close(copy)
        plt.close("all")
    if broken:
        fail("fd harmed", f"{label}: closed or broke file descriptor(s) {broken}")
    return out


def fail(kind: str, message: str) -> None:
    COUNTS[f"fail: {kind}"] += 1
    FAILURES.append(f"[{kind}] {message}")


def judge(key, fn, param_name, h: Hostile, kwargs) -> None:
    label = f"{key}({param_name}={h.kind})"
    status, out = call_once(key, fn, kwargs, label=label)
    if status == "hang":
        fail("hang", f"{label}: still running after {CALL_LIMIT_S} s of CPU (refuse it at the door)")
    elif status == "raised":
        err = out
        if isinstance(err, (ValueError, TypeError)):
            if param_name not in str(err):
                fail("message", f"{label}: {type(err).__name__} does not name {param_name!r}: {err}")
        elif isinstance(err, NotImplementedError) and key.startswith("checks."):
            pass
        else:
            fail("wrong type", f"{label}: {type(err).__name__}: {err}")
    else:
        accepted = h.maybe_valid or (key, param_name, h.kind) in ACCEPTED or (key, param_name) in ANY_OBJECT
        if not accepted:
            fail("accepted", f"{label}: returned instead of refusing {h.value!r:.60}")
        elif key not in NAN_OK and _has_nan(out):
            fail("nan", f"{label}: returned NaN")
        elif key not in INF_OK and _has_inf(out):
            fail("inf", f"{label}: returned inf")


def _snapshot() -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in {".git", "__pycache__", ".pytest_cache", ".hypothesis",
                                                        ".venv", "node_modules", ".ruff_cache"}]
        for f in filenames:
            p = os.path.join(dirpath, f)
            try:
                st_ = os.stat(p)
            except OSError:
                continue
            out[p] = (st_.st_mtime_ns, st_.st_size)
    return out


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """cwd, HOME and the course's folders in a temp folder; the repository's files unchanged afterwards."""
    for var in ("HOME", "COURSE_CACHE", "CIFAR10_ROOT", "COURSE_CHECKPOINTS", "XDG_CACHE_HOME"):
        d = tmp_path / var.lower()
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    monkeypatch.setenv("COURSE_FAST", "1")  # fast mode: a default (fast=None) never starts a download
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    _TMP.append(tmp_path / "cwd")
    torch = _torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is faster and fair to a shared CI machine
    before = _snapshot()
    yield tmp_path
    torch.set_num_threads(threads)
    _TMP.pop()
    after = _snapshot()
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    if changed:
        fail("wrote outside temp", f"files changed in the repository: {changed[:5]}")
    assert not changed, f"the fuzzed calls changed files in the repository: {changed[:5]}"


FUNCTIONS = public_functions()


def test_every_public_function_has_a_valid_call(sandbox):
    """Coverage is automatic: a new public function without a valid call here fails, saying what to add."""
    missing = []
    for key, fn in FUNCTIONS.items():
        try:
            if isinstance(valid_kwargs(key, fn), Skip):
                continue
        except NoValidCall as err:
            missing.append(str(err))
    assert not missing, "\n".join(missing)


def _sweep_one(key):
    fn = FUNCTIONS[key]
    try:
        kwargs = valid_kwargs(key, fn)
    except NoValidCall as err:
        pytest.fail(str(err))
    if isinstance(kwargs, Skip):
        pytest.skip(kwargs.reason)
    status, out = call_once(key, fn, kwargs, label=f"{key}(valid)")
    assert status == "ok", f"{key}: the valid call from the tables failed: {out!r}"
    found_before = len(FAILURES)
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        valid = kwargs.get(name, param.default)
        for h in hostile_values(param, valid):
            if h.maybe_valid and any(w in key for w in SLOW):
                continue
            judge(key, fn, name, h, {**valid_kwargs(key, fn), name: h.value})
    return FAILURES[found_before:]


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_hostile_values_are_refused_by_name(key, sandbox):
    found = _sweep_one(key)
    assert not found, "\n".join(found)


# ----------------------------------------------------------------------------------------------------------
# hypothesis: random hostile numbers and strings into random parameters
# ----------------------------------------------------------------------------------------------------------
HYPO_FUNCTIONS = sorted(k for k in FUNCTIONS if not k.startswith(("widgets.", "plots.", "checks."))
                        and not any(w in k for w in ("train", "race", "experiment", "gap", "fit_", "figure",
                                                     "plot_", "explorer", "landscape", "setup")))

hostile_scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not math.isfinite(v) or abs(v) > 1e150),
    st.integers(min_value=2**63, max_value=10**40), st.integers(max_value=-(2**63), min_value=-(10**40)),
    st.text(max_size=3), st.none(), st.booleans(),
)


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_hostile_scalars(data, sandbox):
    key = data.draw(st.sampled_from(HYPO_FUNCTIONS), label="function")
    fn = FUNCTIONS[key]
    params = [n for n, p in inspect.signature(fn).parameters.items()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not params:
        return
    name = data.draw(st.sampled_from(params), label="parameter")
    value = data.draw(hostile_scalars, label="value")
    param = inspect.signature(fn).parameters[name]
    valid = valid_kwargs(key, fn)
    if isinstance(valid, Skip):
        return
    kinds = _kind_of_param(param, valid.get(name, param.default))
    if isinstance(value, bool):
        h = Hostile("bool", value, "bool" in kinds)
    elif value is None:
        h = Hostile("None", value, "none_ok" in kinds)
    elif isinstance(value, str):
        h = Hostile("str", value, "str" in kinds)
    elif isinstance(value, int):
        h = Hostile("huge int", value, not _int_only(kinds) and bool(kinds & {"float", "array"}))
    else:
        h = Hostile("extreme float", value, math.isfinite(value) and not _int_only(kinds)
                    and bool(kinds & {"float", "array"}))
    found_before = len(FAILURES)
    judge(key, fn, name, h, {**valid, name: value})
    assert len(FAILURES) == found_before, "\n".join(FAILURES[found_before:])


def test_zz_summary():
    """Print the counts (``pytest -s`` shows them)."""
    kinds = {k: v for k, v in COUNTS.items() if k.startswith("fail")}
    print(f"\nfuzz: {len(FUNCTIONS)} public functions, {COUNTS['calls']} calls, "
          f"{sum(kinds.values())} failures" + "".join(f"\n  {k}: {v}" for k, v in sorted(kinds.items())))
