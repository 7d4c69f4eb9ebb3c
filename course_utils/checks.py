"""Exercise checks: ``check_<name>(fn)`` runs a learner's function on a few cases and prints ✓ / ✗ per case.

An exercise stub raises ``NotImplementedError``; its check then prints "not attempted yet" instead of
failing, so the notebook still runs top to bottom. Expected values are computed by the course's own
functions, never typed. ``show_solution(name)`` prints the reference answer from ``solutions.py``.

Every check is registered under the name of its reference solution, and a test runs each check on its
solution: ``CHECKS[name](getattr(solutions, name))`` must pass.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import grads, info, losses  # noqa: F401 - the sections below compute expected values with them
from ._validate import check_callable, check_flag, check_str

__all__ = ["CHECKS", "Case", "CheckResult", "register", "run_cases", "show_code", "show_solution",
           "check_bits_to_name", "check_binary_entropy", "check_surprisal_bits", "check_entropy_bits",
           "check_average_code_length", "check_cross_entropy_bits", "check_kl_divergence_bits",
           "check_mean_nll_nats", "check_bce_from_probs", "check_bce_from_logits",
           "check_logistic_regression_grad", "check_softmax_stable", "check_cross_entropy_from_logits",
           "check_soft_target_cross_entropy", "check_grad_bce_wrt_logit", "check_grad_mse_wrt_logit",
           "check_grad_softmax_ce", "check_binary_hinge", "check_binary_focal_loss", "check_smooth_labels",
           "check_weighted_mean_ce", "check_uniform_guess_loss", "check_flip_batch", "check_per_class_accuracy",
           "check_confident_mistakes", "check_ece", "check_brier", "check_best_temperature",
           "check_bits_per_character", "check_markov_entropy_rate", "check_masked_token_mean_nll", "cases_for",
           "grade",
           "check_kd_loss_nats", "check_infonce_from_similarities", "check_infonce_mi_bound"]

#: name of a reference solution -> its check function
CHECKS: dict[str, Callable[[Callable], CheckResult]] = {}


@dataclass
class Case:
    """One call of the learner's function: ``fn(*args, **kwargs)`` should give ``expected``."""

    args: tuple
    expected: Any
    label: str = ""
    kwargs: dict = field(default_factory=dict)
    rtol: float = 1e-6
    atol: float = 1e-9
    compare: Callable[[Any, Any], bool] | None = None  # custom comparison (got, expected) -> bool


@dataclass
class CheckResult:
    """What a check found. Truthy only when the exercise was attempted and every case passed."""

    name: str
    attempted: bool
    passed: int = 0
    failed: int = 0
    messages: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.attempted and self.failed == 0 and self.passed > 0

    def __repr__(self) -> str:
        if not self.attempted:
            return f"<{self.name}: not attempted yet>"
        return f"<{self.name}: {self.passed} passed, {self.failed} failed>"


def register(name: str):
    """Register a check under the name of its reference solution in ``solutions.py``."""
    check_str(name, "name")
    if not name.isidentifier():
        raise ValueError(f"name must be the name of a function in solutions.py (got {name!r})")

    def deco(check: Callable[[Callable], CheckResult]):
        if name in CHECKS:
            raise ValueError(f"a check named {name!r} is already registered")
        CHECKS[name] = check
        return check

    return deco


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray) and x.size > 6:
        return f"array of shape {x.shape}"
    if type(x).__module__.startswith("torch") and hasattr(x, "shape") and x.numel() > 6:
        return f"{x.dtype} tensor of shape {tuple(x.shape)}"
    if isinstance(x, (float, np.floating)):
        return f"{float(x) + 0.0:.6g}"  # + 0.0 prints -0.0 as 0
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6)
    return repr(x)


def _close(got: Any, expected: Any, case: Case) -> bool:
    if case.compare is not None:
        return bool(case.compare(got, expected))
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    e = np.asarray(expected, dtype=np.float64)
    return g.shape == e.shape and bool(np.allclose(g, e, rtol=case.rtol, atol=case.atol, equal_nan=False))


def run_cases(name: str, fn: Callable, cases: list[Case], *, verbose: bool = True) -> CheckResult:
    """Run ``fn`` on every case, print one line per case, and return a :class:`CheckResult`."""
    check_str(name, "name")
    check_callable(fn, "fn")
    check_flag(verbose, "verbose")
    if not isinstance(cases, (list, tuple)) or not cases or not all(isinstance(c, Case) for c in cases):
        raise TypeError(f"cases must be a non-empty list of Case (got {type(cases).__name__})")
    say = print if verbose else (lambda *a, **k: None)
    result = CheckResult(name=name, attempted=True)
    for case in cases:
        label = case.label or ", ".join(_describe(a) for a in case.args)
        try:
            got = fn(*case.args, **case.kwargs)
        except NotImplementedError:
            say(f"○ {name}: not attempted yet. Replace the `raise NotImplementedError` line with your code.")
            return CheckResult(name=name, attempted=False)
        except Exception as err:  # a learner's bug: report it, don't crash the notebook
            result.failed += 1
            msg = f"✗ {label}: raised {type(err).__name__}: {err}"
            result.messages.append(msg)
            say(msg)
            continue
        if _close(got, case.expected, case):
            result.passed += 1
            say(f"✓ {label} -> {_describe(got)}")
        else:
            result.failed += 1
            msg = f"✗ {label}: expected {_describe(case.expected)}, got {_describe(got)}"
            result.messages.append(msg)
            say(msg)
    if result.failed == 0:
        say(f"All {result.passed} checks passed for {name}.")
    else:
        say(f"{result.failed} of {result.passed + result.failed} checks failed for {name}. "
            f"Stuck? show_solution({name!r}) prints a reference answer.")
    return result


def show_code(fn: Callable) -> None:
    """Print the source of a course_utils function (or class), so that the code behind a one-line demo is one
    call away from being read: ``show_code(training_race)``."""
    if not (inspect.isfunction(fn) or inspect.isclass(fn) or inspect.ismethod(fn)):
        raise TypeError(f"fn must be a function or class of course_utils (got {type(fn).__name__})")
    module = getattr(fn, "__module__", "") or ""
    if not module.startswith("course_utils"):
        raise ValueError(f"fn must come from course_utils (got one from {module or 'nowhere'!r})")
    print(f"# {module}.{fn.__qualname__}")
    print(inspect.getsource(fn))


def show_solution(name: str) -> None:
    """Print the reference solution of the exercise ``name``."""
    from . import solutions

    if not isinstance(name, str):
        raise TypeError(f"name must be a string (got {type(name).__name__})")
    fn = getattr(solutions, name, None)
    if fn is None or name.startswith("_") or not callable(fn):
        known = ", ".join(sorted(CHECKS))
        raise ValueError(f"name {name!r} is not an exercise with a solution (known: {known})")
    print(inspect.getsource(fn))


# --- 00 welcome: the demo exercise ---
@register("bits_to_name")
def check_bits_to_name(fn: Callable) -> CheckResult:
    """Demo exercise: the bits needed to name one of n equally likely outcomes, log2 n."""
    cases = [Case((n,), info.entropy(np.full(n, 1.0 / n)), label=f"n = {n}") for n in (1, 2, 8, 10, 1000)]
    return run_cases("bits_to_name", fn, cases)


# --- 01 surprisal and entropy ---
@register("binary_entropy")
def check_binary_entropy(fn: Callable) -> CheckResult:
    """Exercise: the entropy of a coin with P(heads) = p, in bits, with 0 log 0 = 0."""
    ps = [0.5, 0.1, 0.9, 0.0, 1.0, 0.25]
    cases = [Case((p,), info.binary_entropy(p), label=f"p = {p}") for p in ps]
    return run_cases("binary_entropy", fn, cases)


@register("surprisal_bits")
def check_surprisal_bits(fn: Callable) -> CheckResult:
    """Exercise: the surprisal -log2 p of an event of probability p, in bits."""
    ps = [0.5, 0.25, 1.0, 1 / 6000, 0.9]
    cases = [Case((p,), info.surprisal(p), label=f"p = {p:.6g}") for p in ps]
    return run_cases("surprisal_bits", fn, cases)


@register("entropy_bits")
def check_entropy_bits(fn: Callable) -> CheckResult:
    """Exercise: H(p) = -sum p_i log2 p_i of a 1-D distribution, in bits, with 0 log 0 = 0."""
    ps = [[0.5, 0.5], [0.25, 0.25, 0.25, 0.25], [0.7, 0.2, 0.1], [1.0, 0.0, 0.0], [0.5, 0.0, 0.25, 0.25]]
    cases = [Case((np.array(p),), info.entropy(p), label=f"p = {p}") for p in ps]
    return run_cases("entropy_bits", fn, cases)


@register("average_code_length")
def check_average_code_length(fn: Callable) -> CheckResult:
    """Exercise: the expected bits per symbol sum_i p_i l_i of a code with lengths l for a source p."""
    from . import source_coding

    ps = [[0.5, 0.25, 0.125, 0.125], [0.6, 0.3, 0.1], [0.25, 0.25, 0.25, 0.25]]
    cases = []
    for p in ps:
        lengths = source_coding.code_lengths(source_coding.huffman_code(p))
        cases.append(Case((np.array(p), lengths), source_coding.average_code_length(p, lengths),
                          label=f"p = {p}, lengths = {lengths.tolist()}"))
    return run_cases("average_code_length", fn, cases)


# --- 02 cross-entropy and KL ---
@register("cross_entropy_bits")
def check_cross_entropy_bits(fn: Callable) -> CheckResult:
    """Exercise: H(p, q) = -sum p_i log2 q_i, in bits, with 0 log 0 = 0 where p_i = 0."""
    pairs = [([0.5, 0.5], [0.5, 0.5]), ([0.5, 0.25, 0.125, 0.125], [0.125, 0.125, 0.25, 0.5]),
             ([0.7, 0.2, 0.1], [0.2, 0.5, 0.3]), ([1.0, 0.0, 0.0], [0.8, 0.1, 0.1]), ([0.0, 1.0], [0.0, 1.0])]
    cases = [Case((np.array(p), np.array(q)), info.cross_entropy(p, q), label=f"p = {p}, q = {q}") for p, q in pairs]
    return run_cases("cross_entropy_bits", fn, cases)


@register("kl_divergence_bits")
def check_kl_divergence_bits(fn: Callable) -> CheckResult:
    """Exercise: KL(p || q) = sum p_i log2(p_i / q_i), in bits, with 0 log 0 = 0 where p_i = 0."""
    pairs = [([0.5, 0.5], [0.5, 0.5]), ([0.5, 0.25, 0.125, 0.125], [0.125, 0.125, 0.25, 0.5]),
             ([0.125, 0.125, 0.25, 0.5], [0.5, 0.25, 0.125, 0.125]), ([0.7, 0.2, 0.1], [0.2, 0.5, 0.3]),
             ([1.0, 0.0, 0.0], [0.8, 0.1, 0.1])]
    cases = [Case((np.array(p), np.array(q)), info.kl_divergence(p, q), label=f"p = {p}, q = {q}") for p, q in pairs]
    return run_cases("kl_divergence_bits", fn, cases)


@register("mean_nll_nats")
def check_mean_nll_nats(fn: Callable) -> CheckResult:
    """Exercise: the mean of -ln probs[i, targets[i]] over a batch, in nats (cross-entropy with one-hot p)."""
    rng = np.random.default_rng(2)
    batches = [(np.array([[0.7, 0.2, 0.1]]), np.array([0])), (np.array([[0.7, 0.2, 0.1]]), np.array([2])),
               (rng.dirichlet(np.ones(4), size=5), np.array([0, 3, 1, 1, 2])),
               (np.array([[0.5, 0.5], [0.9, 0.1], [0.01, 0.99]]), np.array([1, 0, 1]))]
    cases = [Case((probs, targets), losses.nll_loss(np.log(probs), targets),
                  label=f"probs of shape {probs.shape}, targets = {targets.tolist()}") for probs, targets in batches]
    return run_cases("mean_nll_nats", fn, cases)


# --- 03 binary cross-entropy ---
@register("bce_from_probs")
def check_bce_from_probs(fn: Callable) -> CheckResult:
    """Exercise: mean binary cross-entropy -[y ln q + (1 - y) ln(1 - q)] from probabilities q, in nats."""
    batches = [([0.8], [1.0]), ([0.2], [1.0]), ([0.9, 0.2, 0.6], [1.0, 0.0, 1.0]), ([0.5, 0.5], [0.0, 1.0]),
               ([0.01, 0.99, 0.3, 0.7], [1.0, 1.0, 0.0, 0.0])]
    cases = [Case((np.array(p), np.array(y)), losses.binary_cross_entropy(p, y), label=f"probs = {p}, targets = {y}")
             for p, y in batches]
    return run_cases("bce_from_probs", fn, cases)


@register("bce_from_logits")
def check_bce_from_logits(fn: Callable) -> CheckResult:
    """Exercise: mean BCE of sigmoid(logits), computed stably from the logits, in nats (no inf, no NaN)."""
    batches = [([0.0], [1.0]), ([2.0, -1.0, 0.5], [1.0, 0.0, 0.0]), ([1000.0], [0.0]), ([-1000.0], [1.0]),
               ([-1000.0, 1000.0, 30.0, -30.0], [0.0, 1.0, 1.0, 0.0])]
    cases = [Case((np.array(z), np.array(y)), losses.binary_cross_entropy_with_logits(z, y),
                  label=f"logits = {z}, targets = {y}") for z, y in batches]
    return run_cases("bce_from_logits", fn, cases)


def _same_grads(got, expected) -> bool:
    try:
        gw, gb = got
        return (np.allclose(np.asarray(gw, dtype=float), expected[0], rtol=1e-6, atol=1e-9)
                and np.shape(gw) == expected[0].shape and np.allclose(float(gb), expected[1], rtol=1e-6, atol=1e-9))
    except (TypeError, ValueError):
        return False


@register("logistic_regression_grad")
def check_logistic_regression_grad(fn: Callable) -> CheckResult:
    """Exercise: the gradient (grad_w, grad_b) of the mean BCE of sigmoid(x @ w + b) against labels y."""
    from . import logistic

    cases = []
    for n, w, b in [(5, [0.0, 0.0], 0.0), (20, [1.0, -2.0], 0.5), (50, [-3.0, 0.5], -1.0)]:
        x, y = logistic.make_blobs(n, seed=n)
        w = np.array(w)
        g = grads.bce_grad_logit(x @ w + b, y)
        expected = (x.T @ g / n, float(g.mean()))
        cases.append(Case((x, y, w, b), expected, label=f"{n} points, w = {w.tolist()}, b = {b}",
                          compare=_same_grads))
    return run_cases("logistic_regression_grad", fn, cases)


# --- 04 softmax and categorical cross-entropy ---
#: (logits, class indices) pairs shared by the cross-entropy and its gradient (notebook 05)
_LOGITS_AND_INDICES = [([[2.0, 1.0, 0.1]], [0]), ([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], [2, 1]),
                       ([[1000.0, 0.0, -1000.0]], [2]), ([[0.0, 0.0, 0.0, 0.0]], [3])]

@register("softmax_stable")
def check_softmax_stable(fn: Callable) -> CheckResult:
    """Exercise: softmax on the last axis that survives logits of ±1000 (the log-sum-exp shift)."""
    inputs = [[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [[0.0, 0.0], [5.0, -5.0]]]
    cases = [Case((np.array(z),), losses.softmax(z), label=f"z = {z}", atol=1e-12) for z in inputs]
    return run_cases("softmax_stable", fn, cases)


@register("cross_entropy_from_logits")
def check_cross_entropy_from_logits(fn: Callable) -> CheckResult:
    """Exercise: mean categorical cross-entropy (nats) of (N, C) logits against (N,) class indices."""
    cases = [Case((np.array(z), np.array(y)), losses.categorical_cross_entropy(z, y), label=f"logits = {z}, y = {y}")
             for z, y in _LOGITS_AND_INDICES]
    return run_cases("cross_entropy_from_logits", fn, cases)


@register("soft_target_cross_entropy")
def check_soft_target_cross_entropy(fn: Callable) -> CheckResult:
    """Exercise: mean cross-entropy (nats) of (N, C) logits against (N, C) target distributions."""
    inputs = [([[2.0, 1.0, 0.1]], [[0.7, 0.2, 0.1]]), ([[0.0, 0.0]], [[0.5, 0.5]]),
              ([[3.0, -1.0], [1000.0, 0.0]], [[1.0, 0.0], [0.9, 0.1]])]
    cases = [Case((np.array(z), np.array(t)), losses.categorical_cross_entropy(z, t), label=f"logits = {z}, t = {t}")
             for z, t in inputs]
    return run_cases("soft_target_cross_entropy", fn, cases)


# --- 05 gradients: CE vs MSE ---
_GRAD_CASES = [([0.0], [1.0]), ([-3.0, 2.0], [1.0, 1.0]), ([4.0, -6.0, 0.5], [0.0, 0.0, 1.0]),
               ([-40.0, 40.0], [1.0, 0.0])]


@register("grad_bce_wrt_logit")
def check_grad_bce_wrt_logit(fn: Callable) -> CheckResult:
    """Exercise: ∂BCE/∂z per sample, for logits z and labels y."""
    cases = [Case((np.array(z), np.array(y)), grads.bce_grad_logit(z, y), label=f"z = {z}, y = {y}")
             for z, y in _GRAD_CASES]
    return run_cases("grad_bce_wrt_logit", fn, cases)


@register("grad_mse_wrt_logit")
def check_grad_mse_wrt_logit(fn: Callable) -> CheckResult:
    """Exercise: ∂/∂z (σ(z) - y)² per sample, for logits z and labels y."""
    cases = [Case((np.array(z), np.array(y)), grads.mse_grad_logit(z, y), label=f"z = {z}, y = {y}", atol=1e-12)
             for z, y in _GRAD_CASES]
    return run_cases("grad_mse_wrt_logit", fn, cases)


@register("grad_softmax_ce")
def check_grad_softmax_ce(fn: Callable) -> CheckResult:
    """Exercise: ∂CE/∂z per sample for (N, C) logits and (N,) class indices: softmax(z) - one_hot(y)."""
    cases = [Case((np.array(z), np.array(y)), grads.cce_grad_logits(z, y), label=f"logits = {z}, y = {y}")
             for z, y in _LOGITS_AND_INDICES]
    return run_cases("grad_softmax_ce", fn, cases)


# --- 06 the loss family ---
@register("binary_hinge")
def check_binary_hinge(fn: Callable) -> CheckResult:
    """Exercise: the mean binary hinge loss max(0, 1 - y·s) for scores s and labels y in {-1, +1}."""
    inputs = [([2.0], [1.0]), ([0.5], [1.0]), ([0.5, -3.0, 1.0], [-1.0, -1.0, 1.0]), ([-4.0, 0.0], [1.0, -1.0])]
    cases = [Case((np.array(s), np.array(y)), losses.binary_hinge_loss(s, y), label=f"s = {s}, y = {y}")
             for s, y in inputs]
    return run_cases("binary_hinge", fn, cases)


@register("binary_focal_loss")
def check_binary_focal_loss(fn: Callable) -> CheckResult:
    """Exercise: the mean binary focal loss -(1 - q_t)^γ log q_t (no α) for logits, labels in {0, 1} and γ."""
    inputs = [([0.0], [1.0], 2.0), ([3.0, -2.0], [1.0, 0.0], 2.0), ([3.0, -2.0], [0.0, 1.0], 2.0),
              ([1.5, -0.5, 4.0], [1.0, 1.0, 0.0], 0.0), ([40.0, -40.0], [0.0, 1.0], 5.0)]
    cases = [Case((np.array(z), np.array(y), g), losses.sigmoid_focal_loss(z, y, alpha=-1.0, gamma=g),
                  label=f"z = {z}, y = {y}, γ = {g}") for z, y, g in inputs]
    return run_cases("binary_focal_loss", fn, cases)


@register("smooth_labels")
def check_smooth_labels(fn: Callable) -> CheckResult:
    """Exercise: label smoothing, class indices -> (N, K) targets (1 - ε) · one-hot + ε / K."""
    from . import soft_targets

    inputs = [([0], 3, 0.1), ([2, 0, 1], 3, 0.2), ([1, 1], 10, 0.0), ([4], 5, 1.0)]
    cases = [Case((np.array(y), k, e), soft_targets.smoothed_targets(y, k, e), label=f"y = {y}, K = {k}, ε = {e}")
             for y, k, e in inputs]
    return run_cases("smooth_labels", fn, cases)


@register("weighted_mean_ce")
def check_weighted_mean_ce(fn: Callable) -> CheckResult:
    """Exercise: class-weighted cross-entropy with PyTorch's 'mean': sum_i w[y_i] loss_i / sum_i w[y_i]."""
    inputs = [([[2.0, 1.0, 0.1]], [0], [1.0, 1.0, 1.0]),
              ([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0]], [0, 1, 2], [1.0, 1.0, 10.0]),
              ([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], [2, 2], [1.0, 1.0, 5.0]),
              ([[1000.0, 0.0], [0.0, 1000.0]], [1, 1], [0.5, 2.0])]
    cases = [Case((np.array(z), np.array(y), np.array(w)), losses.categorical_cross_entropy(z, y, weight=w),
                  label=f"logits = {z}, y = {y}, weight = {w}") for z, y, w in inputs]
    return run_cases("weighted_mean_ce", fn, cases)


# --- 07 training a CIFAR-10 CNN ---
@register("uniform_guess_loss")
def check_uniform_guess_loss(fn: Callable) -> CheckResult:
    """Exercise: the cross-entropy (nats) of a model that gives every one of C classes the same probability."""
    cases = [Case((c,), losses.categorical_cross_entropy(np.zeros((1, c)), [0]), label=f"C = {c}")
             for c in (10, 2, 100, 1000)]
    return run_cases("uniform_guess_loss", fn, cases)


@register("flip_batch")
def check_flip_batch(fn: Callable) -> CheckResult:
    """Exercise: mirror a batch of images, a torch tensor (N, C, H, W) as the pipeline holds it, left to right;
    the answer must be a tensor of the same dtype."""
    import torch

    g = torch.Generator().manual_seed(7)
    batches = [torch.arange(12).reshape(1, 1, 3, 4), torch.randint(0, 256, (4, 3, 32, 32), generator=g,
               dtype=torch.uint8), torch.randn(2, 3, 5, 5, generator=g)]

    def same_tensor(got, expected) -> bool:
        return isinstance(got, torch.Tensor) and got.dtype == expected.dtype and torch.equal(got, expected)

    cases = [Case((x.clone(),), torch.flip(x, dims=[-1]), label=f"a {x.dtype} tensor of shape {tuple(x.shape)}",
                  compare=same_tensor) for x in batches]
    return run_cases("flip_batch", fn, cases)


@register("per_class_accuracy")
def check_per_class_accuracy(fn: Callable) -> CheckResult:
    """Exercise: per-class accuracy from a confusion matrix (rows: true class, columns: predicted class)."""
    from .cifar import train

    rng = np.random.default_rng(8)
    mats = [np.array([[8, 2], [1, 9]]), np.eye(3, dtype=int) * 5, rng.integers(0, 50, (10, 10))]
    cases = [Case((m.copy(),), train.per_class_accuracy(m).numpy(), label=f"a {m.shape[0]}×{m.shape[0]} matrix")
             for m in mats]
    return run_cases("per_class_accuracy", fn, cases)


@register("confident_mistakes")
def check_confident_mistakes(fn: Callable) -> CheckResult:
    """Exercise: indices of the k wrong predictions with the highest probability, most confident first."""
    from .cifar import train

    rng = np.random.default_rng(9)
    probs = [np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4]]),
             losses.softmax(rng.normal(scale=3, size=(50, 10)))]
    targets = [np.array([1, 1, 0, 0]), rng.integers(0, 10, 50)]
    cases = [Case((p.copy(), y.copy(), k), train.confident_mistakes(p, y, k).numpy(),
                  label=f"{len(y)} images, k = {k}") for p, y, k in zip(probs, targets, (2, 5), strict=True)]
    return run_cases("confident_mistakes", fn, cases)


# --- 08 calibration ---
def _calibration_data(n: int = 300, c: int = 4, scale: float = 3.0, seed: int = 0):
    """Logits and labels for the calibration checks: labels drawn from softmax(logits / scale), so the
    logits are over-confident by ``scale`` (under-confident when ``scale`` < 1)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, c)) * 1.5
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.minimum((p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1), c - 1)
    return z * scale, y


_P4 = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
_Y4 = np.array([0, 1, 1, 0])


@register("ece")
def check_ece(fn: Callable) -> CheckResult:
    """Exercise: the expected calibration error, with equal-width bins closed on the right."""
    from . import calibration

    z, y = _calibration_data()
    p = calibration.apply_temperature(z, 1.0)
    edge_p, edge_y = np.array([[0.5, 0.5], [0.6, 0.4]]), np.array([0, 1])
    inputs = [((_P4, _Y4), 5, "the worked example: 4 samples, 5 bins"),
              ((edge_p, edge_y), 2, "confidence 0.5 on an edge belongs to the bin [0, 0.5] (2 bins)"),
              ((p, y), 15, "300 over-confident predictions, 15 bins"),
              ((p, y), 1, "the same, 1 bin: |mean confidence - accuracy|")]
    cases = [Case(args, calibration.expected_calibration_error(*args, n_bins=b), label=label,
                  kwargs={"n_bins": b}, rtol=1e-9) for args, b, label in inputs]
    return run_cases("ece", fn, cases)


@register("brier")
def check_brier(fn: Callable) -> CheckResult:
    """Exercise: the mean Brier score, sum over classes of (probability - one-hot)^2."""
    from . import calibration

    z, y = _calibration_data(seed=1)
    p = calibration.apply_temperature(z, 1.0)
    inputs = [((_P4, _Y4), "the worked example: 4 samples"),
              ((np.eye(3), np.arange(3)), "certain and right: 0"),
              ((np.eye(3), np.array([1, 2, 0])), "certain and wrong: 2, the maximum"),
              ((np.full((10, 10), 0.1), np.arange(10)), "uniform over 10 classes: 0.9"),
              ((p, y), "300 over-confident predictions")]
    cases = [Case(args, calibration.brier_score(*args), label=label, rtol=1e-9) for args, label in inputs]
    return run_cases("brier", fn, cases)


@register("best_temperature")
def check_best_temperature(fn: Callable) -> CheckResult:
    """Exercise: the temperature minimising the NLL of softmax(logits / T), to within 1%."""
    from . import calibration

    inputs = [(3.0, 0, "logits 3x over-confident"), (0.5, 1, "logits 2x under-confident"),
              (1.0, 2, "calibrated logits")]
    cases = []
    for scale, seed, label in inputs:
        z, y = _calibration_data(n=1000, scale=scale, seed=seed)
        cases.append(Case((z, y), calibration.fit_temperature(z, y), label=f"{label} (1,000 samples)",
                          rtol=0.01))
    return run_cases("best_temperature", fn, cases)


# ==============================================================================================

# --- 09 compression and language models (notebook 09; added by the nb09 branch) ---
@register("bits_per_character")
def check_bits_per_character(fn: Callable) -> CheckResult:
    """Exercise: a model's cross-entropy on a text, (1/n) sum_i -log2 q_i(x_i), in bits per character."""
    from . import compression

    rng = np.random.default_rng(90)
    q5 = rng.dirichlet(np.ones(5), size=40)
    x5 = rng.integers(0, 5, 40)
    inputs = [(np.full((4, 4), 0.25), np.array([0, 1, 2, 3]), "uniform over 4 symbols: 2 bits"),
              (np.array([[0.5, 0.5], [0.9, 0.1], [0.1, 0.9]]), np.array([0, 0, 1]), "3 steps, 2 symbols"),
              (q5, x5, "40 steps, 5 symbols")]
    cases = [Case((q.copy(), x.copy()), compression.bits_per_symbol(q, x), label=label) for q, x, label in inputs]
    return run_cases("bits_per_character", fn, cases)


@register("markov_entropy_rate")
def check_markov_entropy_rate(fn: Callable) -> CheckResult:
    """Exercise: the entropy rate sum_i pi_i H(P[i]) (bits per symbol) of a Markov chain with stationary pi."""
    from . import compression

    rng = np.random.default_rng(91)
    chains = [np.array([[0.5, 0.5], [0.5, 0.5]]), np.array([[0.9, 0.1], [0.4, 0.6]]),
              np.array([[0.8, 0.15, 0.05], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]]), rng.dirichlet(np.ones(6), size=6)]
    cases = [Case((P.copy(), compression.stationary_distribution(P)), compression.entropy_rate(P),
                  label=f"a {len(P)}-state chain") for P in chains]
    return run_cases("markov_entropy_rate", fn, cases)


@register("masked_token_mean_nll")
def check_masked_token_mean_nll(fn: Callable) -> CheckResult:
    """Exercise: mean NLL (nats) over the real tokens of padded sequences, skipping targets == -100."""
    from . import compression

    rng = np.random.default_rng(92)
    cases = []
    for b, t, k, label in [(1, 3, 4, "one sequence, no padding"), (2, 5, 3, "two sequences, one padded"),
                           (4, 8, 6, "four sequences of different lengths")]:
        z = rng.normal(size=(b, t, k)) * 2
        log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        y = rng.integers(0, k, (b, t))
        lengths = np.maximum(1, t - np.arange(b) * 2) if b > 1 else np.array([t])
        y[np.arange(t)[None, :] >= lengths[:, None]] = compression.IGNORE_INDEX
        cases.append(Case((log_probs, y.copy()), compression.sequence_cross_entropy(z, y), label=label))
    return run_cases("masked_token_mean_nll", fn, cases)


# --- graders (classroom/: nbgrader tests): the checks' own cases, so a grade and a check never disagree ---
def cases_for(name: str) -> list[Case]:
    """The cases that the check registered as ``name`` runs: the very list, read without running any code."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (got {type(name).__name__})")
    if name not in CHECKS:
        raise ValueError(f"name {name!r} is not a registered check (known: {', '.join(sorted(CHECKS))})")
    captured: list[Case] = []

    def capture(check_name, _fn, cases, **_kwargs):
        captured.extend(cases)
        return CheckResult(name=check_name, attempted=False)

    module = globals()
    original = module["run_cases"]
    module["run_cases"] = capture  # each check builds its cases and hands them to run_cases: catch them there
    try:
        CHECKS[name](lambda *args, **kwargs: None)
    finally:
        module["run_cases"] = original
    return captured


def grade(name: str, fn: Callable) -> CheckResult:
    """Run ``fn`` on the cases of the check ``name``, silently: truthy when attempted and every case passed."""
    return run_cases(name, fn, cases_for(name), verbose=False)


# =====================================================================================================
# --- 10 distillation and contrastive learning (notebook 10; added by the nb10 branch) ---
@register("kd_loss_nats")
def check_kd_loss_nats(fn: Callable) -> CheckResult:
    """Exercise: the distillation loss (1 - α)·CE(y, z_s) + α·T²·KL(softmax(z_t/T) || softmax(z_s/T)), mean, nats."""
    from . import distillation

    rng = np.random.default_rng(101)
    cases = []
    for n, k, alpha, t, label in [(1, 3, 0.0, 1.0, "α = 0: plain cross-entropy"),
                                  (4, 5, 0.5, 4.0, "α = 0.5, T = 4"), (6, 10, 1.0, 2.0, "α = 1: soft term only"),
                                  (3, 4, 0.9, 20.0, "a hot teacher, T = 20")]:
        zs, zt, y = rng.normal(size=(n, k)) * 2, rng.normal(size=(n, k)) * 3, rng.integers(0, k, n)
        cases.append(Case((zs, zt, y, alpha, t), float(distillation.kd_loss(zs, zt, y, alpha=alpha, temperature=t)),
                          label=label))
    return run_cases("kd_loss_nats", fn, cases)


@register("infonce_from_similarities")
def check_infonce_from_similarities(fn: Callable) -> CheckResult:
    """Exercise: InfoNCE (nats) from an N × N similarity matrix: cross-entropy of each row, target the diagonal."""
    from . import distillation

    rng = np.random.default_rng(102)
    sims = [np.zeros((4, 4)), np.eye(3) * 5, rng.normal(size=(8, 8)) * 2, rng.normal(size=(2, 2))]
    labels = ["all similarities equal: ln 4", "matches stand out", "a random 8 × 8 batch", "a batch of 2"]
    cases = [Case((s.copy(),), float(distillation.infonce_loss(s)), label=lab)
             for s, lab in zip(sims, labels, strict=True)]
    return run_cases("infonce_from_similarities", fn, cases)


@register("infonce_mi_bound")
def check_infonce_mi_bound(fn: Callable) -> CheckResult:
    """Exercise: the InfoNCE lower bound on mutual information, log N - L_InfoNCE, in nats."""
    from . import distillation

    rng = np.random.default_rng(103)
    sims = [np.eye(16) * 1e3, np.zeros((5, 5)), rng.normal(size=(10, 10)) * 3, np.eye(64) * 4]
    labels = ["a perfect critic, N = 16: the ceiling ln 16", "a critic that knows nothing: 0",
              "a random 10 × 10 batch (may be negative)", "N = 64, matches scored 4 higher"]
    cases = [Case((s.copy(),), distillation.infonce_bound(s), label=lab) for s, lab in zip(sims, labels, strict=True)]
    return run_cases("infonce_mi_bound", fn, cases)
