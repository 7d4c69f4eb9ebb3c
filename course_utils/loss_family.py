"""The loss family at work (notebook 06): what each member of ``binary_losses.BINARY_LOSSES`` does to a
model trained with it.

Focal loss and the share of easy examples, class weights and the decision threshold, PyTorch's weighted
mean, mislabeled points far from the boundary, and one table comparing the family. Models are trained by
``logistic.train_logistic``; losses in nats. torch is imported inside the functions that contrast with
PyTorch, so importing this module stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import binary_losses, losses
from ._validate import (
    MAX_SEED,
    as_binary_xy,
    as_index_targets,
    as_input_and_probs,
    as_int_array,
    as_logits_2d,
    as_weight,
    check_instance,
    check_int,
    check_scalar,
)
from .logistic import TrainResult, make_blobs, train_logistic
from .plots import COLORS, new_figure

__all__ = ["binary_metrics", "easy_example_share", "weighted_bce_optimum", "weighted_mean_gotcha", "NoiseExperiment",
           "label_noise_experiment", "noise_figure", "loss_comparison", "comparison_markdown"]


def binary_metrics(result, x, y, *, threshold: float = 0.5) -> dict:
    """Accuracy, precision, recall of class 1, and mean predicted P(y = 1), for a trained logistic model."""
    if not isinstance(result, TrainResult):
        raise TypeError(f"result must be a TrainResult (got {type(result).__name__})")
    x, y = as_binary_xy(x, y)
    if np.shape(result.w) != (x.shape[1],):
        raise ValueError(f"x must have {np.size(result.w)} feature(s), as result was trained on (got {x.shape[1]})")
    threshold = check_scalar(threshold, "threshold", low=0.0, high=1.0)
    p = result.predict_proba(x)
    pred = p >= threshold
    pos = y == 1
    tp = float(np.sum(pred & pos))
    return {
        "accuracy": float(np.mean(pred == pos)),
        # no predicted (or no true) positives: 0, as scikit-learn's zero_division default; never NaN
        "precision": tp / float(pred.sum()) if pred.sum() else 0.0,
        "recall": tp / float(pos.sum()) if pos.sum() else 0.0,
        "mean_prob": float(p.mean()),
        "base_rate": float(pos.mean()),
    }


def easy_example_share(logits, targets, *, gamma: float = 2.0, easy: float = 0.9) -> dict:
    """How much of the total loss comes from easy examples (q_t > ``easy``), under CE and under focal loss.

    q_t is the probability given to the true label (Lin et al.'s p_t). Lin et al. (2017) observed that the many
    easy negatives of dense detection dominate the summed cross-entropy; the focal factor (1 - q_t)^γ takes that
    share away.
    """
    z, y = as_input_and_probs(logits, targets, "logits")
    gamma = check_scalar(gamma, "gamma", low=0.0, high=100.0)
    easy = check_scalar(easy, "easy", low=0.0, high=1.0)
    p = losses.sigmoid(z)
    pt = np.where(y == 1, p, 1 - p)
    ce = losses.binary_cross_entropy_with_logits(z, y, reduction="none")
    fl = losses.sigmoid_focal_loss(z, y, alpha=-1.0, gamma=gamma, reduction="none")
    mask = pt > easy

    def share(part, total):  # a share of nothing is 0 (every loss underflowed to 0), never NaN
        return float(part.sum() / total.sum()) if total.sum() > 0 else 0.0

    return {"fraction_easy": float(mask.mean()), "ce_share": share(ce[mask], ce),
            "focal_share": share(fl[mask], fl), "ce_share_positives": share(ce[y == 1], ce),
            "focal_share_positives": share(fl[y == 1], fl)}


def weighted_bce_optimum(base_rate: float, pos_weight: float) -> dict:
    """The constant prediction that minimises BCE with ``pos_weight`` when a fraction ``base_rate`` is positive.

    Found numerically (a fine grid of logits, scored with losses.binary_cross_entropy_with_logits) and in closed
    form: the odds get multiplied by pos_weight, p* = wπ / (wπ + 1 - π), so the logit shifts by log w.
    """
    pi = check_scalar(base_rate, "base_rate", low=0.0, high=1.0, low_open=True, high_open=True)
    w = check_scalar(pos_weight, "pos_weight", low=0.0, high=1e6, low_open=True)
    z = np.linspace(-12, 12, 240_001)
    # expected loss of predicting logit z: π · loss(z, 1) + (1 - π) · loss(z, 0)
    pos = losses.binary_cross_entropy_with_logits(z, np.ones_like(z), pos_weight=np.array([w]), reduction="none")
    neg = losses.binary_cross_entropy_with_logits(z, np.zeros_like(z), reduction="none")
    z_star = float(z[np.argmin(pi * pos + (1 - pi) * neg)])
    return {"numeric": float(losses.sigmoid(z_star)), "closed_form": w * pi / (w * pi + 1 - pi),
            "logit_shift": z_star - float(losses.logit(pi))}


def weighted_mean_gotcha(logits, targets, weight) -> dict:
    """Three ways to average a class-weighted cross-entropy over a batch, and PyTorch's choice.

    ``reduction='mean'`` with ``weight`` divides by the sum of the weights of the targets, sum_i w[y_i],
    not by the batch size N. So a batch of one class gives the unweighted mean whatever its weight.
    """
    import torch
    import torch.nn.functional as F

    z = as_logits_2d(logits, "logits")
    if z.ndim != 2:
        raise ValueError(f"logits must have shape (N, C) (got shape {z.shape})")
    y = as_index_targets(targets, z)
    w = as_weight(weight, "weight", z.shape[-1])
    per = losses.categorical_cross_entropy(z, y, reduction="none")
    torch_mean = F.cross_entropy(torch.tensor(z), torch.tensor(y), weight=torch.tensor(w)).item()
    return {"unweighted_mean": float(per.mean()), "weighted_sum_over_n": float((w[y] * per).sum() / len(y)),
            "weighted_sum_over_weights": float((w[y] * per).sum() / w[y].sum()),
            "course_utils": float(losses.categorical_cross_entropy(z, y, weight=w)), "torch": torch_mean}


@dataclass
class NoiseExperiment:
    """Clean blobs plus ``k`` mislabeled points far on the wrong side, trained with BCE and with MSE."""

    counts: np.ndarray
    accuracy: dict  # loss -> clean test accuracy per count
    x: np.ndarray  # the training set with the most outliers
    y: np.ndarray
    results: dict  # loss -> TrainResult on that training set


def label_noise_experiment(counts=(0, 5, 10, 15, 20, 25, 30), *, distance: float = 6.0, steps: int = 800,
                           lr: float = 0.5, seed: int = 0) -> NoiseExperiment:
    """Add ``k`` points labelled 1 deep inside class 0's region (distance ``distance`` from the centre line)
    and measure clean test accuracy for BCE and MSE. CE's loss on each such point grows linearly with its
    distance and its gradient stays at full strength, so a few of them drag the boundary; MSE's gradient
    saturates, so they barely count."""
    counts = as_int_array(counts, "counts", low=0, high=10_000)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D list of counts (got shape {counts.shape})")
    distance = check_scalar(distance, "distance", low=0.0, high=1e6)
    seed = check_int(seed, "seed", low=0, high=MAX_SEED - 1000)
    steps = check_int(steps, "steps", low=0, high=100_000)
    lr = check_scalar(lr, "lr", low=0.0, high=1e3, low_open=True)
    x0, y0 = make_blobs(200, separation=3.0, seed=seed)
    xt, yt = make_blobs(2000, separation=3.0, seed=seed + 1000)
    d = np.array([1.0, 1.0]) / np.sqrt(2)  # class 0 lies at -d, class 1 at +d
    rng = np.random.default_rng(seed)
    cloud = -distance * d + 0.5 * rng.standard_normal((int(counts.max(initial=0)), 2))
    acc = {"bce": np.empty(counts.size), "mse": np.empty(counts.size)}
    for i, k in enumerate(counts):
        x = np.vstack([x0, cloud[:k]])
        y = np.concatenate([y0, np.ones(k, dtype=np.int64)])
        res = {loss: train_logistic(x, y, loss=loss, steps=steps, lr=lr) for loss in acc}
        for loss, r in res.items():
            acc[loss][i] = binary_metrics(r, xt, yt)["accuracy"]
    return NoiseExperiment(counts, acc, x, y, res)


def noise_figure(exp: NoiseExperiment):
    """Left: the decision boundaries of BCE and MSE on the noisiest training set. Right: test accuracy."""
    check_instance(exp, NoiseExperiment, "exp", "NoiseExperiment from label_noise_experiment()")
    fig = new_figure((10, 4.0))
    a1, a2 = fig.subplots(1, 2)
    for label, color, marker in ((0, COLORS["true"], "o"), (1, COLORS["pred"], "^")):
        sel = exp.y == label
        a1.scatter(exp.x[sel, 0], exp.x[sel, 1], s=14, color=color, marker=marker, label=f"y = {label}")
    lo, hi = exp.x.min(axis=0) - 0.5, exp.x.max(axis=0) + 0.5
    xs = np.linspace(lo[0], hi[0], 50)
    style = {"bce": (COLORS["loss"], "-", "boundary, cross-entropy"), "mse": (COLORS["other"], "--", "boundary, MSE")}
    for loss, (color, ls, label) in style.items():
        w, b = exp.results[loss].w, exp.results[loss].b
        a1.plot(xs, -(w[0] * xs + b) / w[1], color=color, ls=ls, label=label)
    a1.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="$x_1$", ylabel="$x_2$", aspect="equal",
           title=f"{exp.counts.max()} mislabeled points, lower left")
    a1.legend(frameon=False, fontsize="small", loc="upper left")
    for loss, (color, ls, _) in style.items():
        a2.plot(exp.counts, exp.accuracy[loss], color=color, ls=ls, marker="o",
                label="cross-entropy" if loss == "bce" else "MSE")
    a2.set(xlabel="mislabeled points added\nto 200 clean ones", ylabel="accuracy on a clean test set",
           title="Sensitivity to far-away label noise")
    a2.legend(frameon=False)
    return fig


def loss_comparison(*, gamma: float = 2.0, pos_weight: float = 3.0, label_smoothing: float = 0.1,
                    true_prob: float = 0.7) -> list[dict]:
    """One row per loss of ``binary_losses.BINARY_LOSSES``, every number computed from the family's table.

    Columns: the loss for label y = 1 at logits z = -5 (confidently wrong), 0 and +5 (confidently right);
    |∂loss/∂z| at z = -5 and z = +5 (from the table's gradient); whether the loss is convex in z (second
    differences on a grid from -20 to 20); the prediction that minimises the expected loss when P(y = 1) =
    ``true_prob`` (a proper scoring rule gives back ``true_prob``; hinge gives a score, not a probability).
    """
    params = binary_losses.check_params(gamma=gamma, pos_weight=pos_weight, label_smoothing=label_smoothing)
    if params["gamma"] > 100 or params["pos_weight"] > 1e6:
        raise ValueError("gamma must be <= 100 and pos_weight <= 1e6 for the comparison table")
    pi = check_scalar(true_prob, "true_prob", low=0.0, high=1.0, low_open=True, high_open=True)
    pts = np.array([-5.0, 0.0, 5.0])
    grid = np.linspace(-20, 20, 8001)
    rows = []
    for name, entry in binary_losses.BINARY_LOSSES.items():
        def f(z, y, entry=entry):
            return entry.loss(z, np.full_like(z, y), **params)

        vals = f(pts, 1)
        grad = np.abs(entry.grad(pts, np.ones_like(pts), **params))
        curve = f(grid, 1)
        curv = (curve[2:] - 2 * curve[1:-1] + curve[:-2]) / (grid[1] - grid[0]) ** 2
        z_star = float(grid[np.argmin(pi * curve + (1 - pi) * f(grid, 0))])
        rows.append({
            "loss": name, "label": _row_label(name, params), "pytorch": entry.in_pytorch,
            "loss_wrong": float(vals[0]), "loss_zero": float(vals[1]), "loss_right": float(vals[2]),
            "grad_wrong": float(grad[0]), "grad_right": float(grad[2]),
            "convex": bool(curv.min() >= -1e-6), "z_star": z_star,
            "q_star": None if name == "hinge" else float(losses.sigmoid(z_star)),
        })
    return rows


def _row_label(name: str, params: dict) -> str:
    return {"bce": "cross-entropy (BCE)", "mse": "MSE on σ(z) (Brier)", "hinge": "hinge",
            "focal": f"focal, γ = {params['gamma']:g}",
            "weighted_bce": f"weighted BCE, pos_weight = {params['pos_weight']:g}",
            "smoothed_bce": f"label-smoothed BCE, ε = {params['label_smoothing']:g}"}[name]


def comparison_markdown(rows: list[dict], *, true_prob: float = 0.7) -> str:
    """The rows of :func:`loss_comparison` as a Markdown table (display it with IPython.display.Markdown)."""
    pi = check_scalar(true_prob, "true_prob", low=0.0, high=1.0, low_open=True, high_open=True)
    keys = {"label", "loss_wrong", "loss_zero", "loss_right", "grad_wrong", "grad_right", "convex", "z_star",
            "q_star", "pytorch"}
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, dict) and keys <= set(r)
                                                                   for r in rows):
        raise TypeError("rows must be the non-empty list of dicts that loss_comparison() returns")
    head = ("| loss | at z = −5 (wrong) | at z = 0 | at z = +5 (right) | \\|∂/∂z\\| wrong | \\|∂/∂z\\| right | "
            f"convex in z | best prediction if P(y=1) = {pi:g} | in PyTorch |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        best = f"score z = {r['z_star']:.2f} (not a probability)" if r["q_star"] is None else f"q = {r['q_star']:.3f}"
        lines.append(f"| {r['label']} | {r['loss_wrong']:.3g} | {r['loss_zero']:.3g} | {r['loss_right']:.2g} | "
                     f"{r['grad_wrong']:.3g} | {r['grad_right']:.2g} | {'yes' if r['convex'] else 'no'} | {best} | "
                     f"`{r['pytorch']}` |")
    return "\n".join(lines)
