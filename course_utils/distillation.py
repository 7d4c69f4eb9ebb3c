"""Soft targets beyond label smoothing (notebook 10): knowledge distillation and contrastive learning (InfoNCE).

- **Distillation.** A student learns from a teacher's softened distribution p_t^T = softmax(z_t / T):
  loss = (1 - α) · CE(y, z_s) + α · T² · KL(p_t^T || q_s^T), in nats (:func:`kd_loss`). The gradient of
  KL(p_t^T || q_s^T) with respect to the student's logits is (q_s^T - p_t^T) / T, and for large T,
  q_s^T - p_t^T ≈ (z_s - z_t) / (K T) (zero-mean logits), so without the T² the soft term's gradient shrinks
  as 1/T² (:func:`kd_soft_gradient`).
- **Dark knowledge.** Which wrong classes a teacher thinks are close, seen at a temperature
  (:func:`dark_knowledge_values`, :func:`dark_knowledge_explorer`, its static twin :func:`dark_knowledge_figure`).
- **InfoNCE is cross-entropy over a batch.** Row i of a score matrix scores x_i against every y_j; the target
  is the matching pair j = i (:func:`infonce_loss`). log N - L_InfoNCE is a lower bound on the mutual
  information I(X; Y) that can never exceed log N (:func:`infonce_bound`; Poole et al. 2019). Correlated
  Gaussians have I = -d/2 · ln(1 - ρ²) nats (:func:`gaussian_mi`), so the bound can be checked exactly.
- A small critic trained on the InfoNCE loss in seconds (:func:`train_critic`, torch).

Losses and information in nats unless the name says bits.
"""

from __future__ import annotations

import time

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from . import info, losses, plots
from ._validate import (
    as_class_indices,
    as_float,
    check_int,
    check_nonempty,
    check_reduction,
    check_scalar,
    check_seed,
    reduce,
)
from .widgets import Explorer, ExplorerView, static_figure

__all__ = [
    "CIFAR10_CLASSES", "EXAMPLE_TEACHER_LOGITS", "soften", "kd_loss", "kd_soft_gradient", "kd_gradient_scale",
    "plot_kd_gradient_scale", "dark_knowledge_values", "dark_knowledge_explorer", "dark_knowledge_figure",
    "infonce_loss", "infonce_bound", "gaussian_mi", "correlated_gaussians", "gaussian_critic_scores",
    "infonce_bound_sweep", "plot_infonce_bound", "train_critic", "plot_critic_training",
]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: A teacher's logits for a picture of a cat (made up to look like a trained CNN's: dog close, trucks far).
EXAMPLE_TEACHER_LOGITS = np.array([-1.5, -2.5, 1.5, 8.0, 2.0, 6.0, 3.0, 1.0, -1.0, -2.0])


# ---------------------------------------------------------------- distillation
def soften(logits, temperature: float = 1.0) -> np.ndarray:
    """softmax(z / T) along the last axis: T > 1 spreads probability onto the wrong classes, T < 1 sharpens."""
    z = as_float(logits, "logits", min_ndim=1)
    check_nonempty(z, "logits")
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    return losses.softmax(z / t)


def kd_loss(student_logits, teacher_logits, targets, *, alpha: float = 0.5, temperature: float = 4.0,
            reduction: str = "mean"):
    """Distillation loss in nats: (1 - α) · CE(y, z_s) + α · T² · KL(softmax(z_t/T) || softmax(z_s/T)), per row of
    (N, K) logits (``targets``: N class indices), reduced by ``reduction`` ("mean", "sum" or "none")."""
    zs = as_float(student_logits, "student_logits")
    zt = as_float(teacher_logits, "teacher_logits")
    if zs.ndim != 2:
        raise ValueError(f"student_logits must be 2-D (N × classes) (got shape {zs.shape})")
    if zt.shape != zs.shape:
        raise ValueError(f"teacher_logits must have the shape of student_logits {zs.shape} (got {zt.shape})")
    y = as_class_indices(targets, "targets", zs.shape[1])
    if y.shape != zs.shape[:1]:
        raise ValueError(f"targets must hold one class index per row ({zs.shape[0]}) (got shape {y.shape})")
    alpha = check_scalar(alpha, "alpha", low=0.0, high=1.0)
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    reduction = check_reduction(reduction)
    hard = -losses.log_softmax(zs)[np.arange(len(y)), y]
    log_p, log_q = losses.log_softmax(zt / t), losses.log_softmax(zs / t)
    soft = (np.exp(log_p) * (log_p - log_q)).sum(axis=-1)
    return reduce((1 - alpha) * hard + alpha * t**2 * soft, reduction)


def kd_soft_gradient(student_logits, teacher_logits, temperature: float, *, t_squared: bool = True) -> np.ndarray:
    """Gradient of the soft term with respect to the student's logits, per row: T · (q_s^T - p_t^T) with the T²
    factor, (q_s^T - p_t^T) / T without it."""
    zs = as_float(student_logits, "student_logits", min_ndim=1)
    zt = as_float(teacher_logits, "teacher_logits", min_ndim=1)
    if zt.shape != zs.shape:
        raise ValueError(f"teacher_logits must have the shape of student_logits {zs.shape} (got {zt.shape})")
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    if not isinstance(t_squared, bool):
        raise TypeError(f"t_squared must be True or False (got {type(t_squared).__name__})")
    diff = losses.softmax(zs / t) - losses.softmax(zt / t)
    return diff * t if t_squared else diff / t


def kd_gradient_scale(student_logits, teacher_logits, temperatures) -> dict:
    """The size (L2 norm) of the soft term's gradient at each temperature, with and without the T² factor."""
    ts = as_float(temperatures, "temperatures", min_ndim=1)
    if ts.ndim != 1 or np.any(ts <= 0):
        raise ValueError("temperatures must be a 1-D list of positive numbers")
    rows = {flag: np.array([np.linalg.norm(kd_soft_gradient(student_logits, teacher_logits, float(t),
                                                            t_squared=flag)) for t in ts]) for flag in (True, False)}
    return {"temperatures": ts, "with_t2": rows[True], "without_t2": rows[False]}


def plot_kd_gradient_scale(result: dict, ax=None):
    """Gradient norm of the soft term against T, with and without T², on log-log axes (from
    :func:`kd_gradient_scale`), with a 1/T² guide. Returns the Axes."""
    if not isinstance(result, dict) or not {"temperatures", "with_t2", "without_t2"} <= set(result):
        raise TypeError("result must be the dict that kd_gradient_scale returns")
    ax = plots.new_axes(ax, figsize=(6.4, 3.8))
    ts = result["temperatures"]
    ax.loglog(ts, result["with_t2"], color=plots.COLORS["grad"], lw=2, label="T² · KL: flat")
    ax.loglog(ts, result["without_t2"], color=plots.COLORS["grad"], ls="--", lw=2, label="KL alone")
    guide = result["without_t2"][-1] * (ts[-1] / ts) ** 2
    ax.loglog(ts, guide, color=plots.COLORS["neutral"], ls=":", label="∝ 1/T²")
    ax.set(xlabel="temperature T", ylabel="‖∂ soft term / ∂z_s‖ (nats)",
           title="Why the soft term is multiplied by T²")
    ax.legend(frameon=False, loc="lower left")
    return ax


# ---------------------------------------------------------------- the dark-knowledge explorer
def dark_knowledge_values(logits=None, temperature: float = 1.0, *, classes=CIFAR10_CLASSES, top: int = 3) -> dict:
    """A teacher's softened distribution softmax(z / T), its entropy in bits, and the ``top`` wrong classes it
    finds closest (the classes after the predicted one, most probable first)."""
    z = EXAMPLE_TEACHER_LOGITS if logits is None else as_float(logits, "logits")
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"logits must be one vector of at least 2 classes (got shape {z.shape})")
    if not isinstance(classes, list | tuple) or len(classes) != z.size or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"classes must be a list of {z.size} class names")
    top = check_int(top, "top", high=z.size - 1)
    p = soften(z, temperature)
    order = np.argsort(-p, kind="stable")
    wrong = order[1:1 + top]
    return {"temperature": float(temperature), "probs": p, "logits": z, "classes": tuple(classes),
            "predicted": classes[int(order[0])], "top_prob": float(p[order[0]]),
            "entropy_bits": float(info.entropy(p)), "max_entropy_bits": float(np.log2(z.size)),
            "close_classes": tuple(classes[int(i)] for i in wrong), "close_probs": p[wrong],
            "wrong_mass": float(1 - p[order[0]])}


class _DarkKnowledgeView(ExplorerView):
    """Bars of softmax(z / T), one per class; the predicted class in orange, the close wrong ones outlined."""

    figsize = (9.0, 3.8)

    def draw(self, values: dict) -> None:
        ax = self.fig.subplots()
        k = len(values["classes"])
        self.bars = ax.bar(np.arange(k), values["probs"], color=plots.COLORS["pred"], edgecolor="none")
        ax.set_xticks(np.arange(k), values["classes"], rotation=90)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("teacher's probability\nsoftmax(z/T)")
        ax.axhline(1 / k, color=plots.COLORS["neutral"], ls=":", lw=1)
        self.title = ax.set_title("")
        self.moving = [*self.bars]
        self.slow = [self.title]

    def update(self, values: dict) -> bool:
        close = set(values["close_classes"])
        for bar, p, name in zip(self.bars, values["probs"], values["classes"], strict=True):
            bar.set_height(p)
            bar.set_color(plots.COLORS["pred"] if name == values["predicted"]
                          else plots.COLORS["true"] if name in close else plots.COLORS["neutral"])
        if self.live:
            self.title.set_text("Dark knowledge: the teacher's wrong answers, softened")
        else:
            self.title.set_text(f"T = {values['temperature']:g}: entropy {values['entropy_bits']:.2f} bits; "
                                f"closest: {', '.join(values['close_classes'])}")
        self.slow_changed = True
        return False


def _dark_readout(v: dict) -> list:
    rows = [("temperature", "temperature T", v["temperature"], ""),
            ("top_prob", f"p({v['predicted']})", v["top_prob"], ""),
            ("entropy_bits", "entropy", v["entropy_bits"], "bits"),
            ("wrong_mass", "on wrong classes", v["wrong_mass"], "")]
    rows += [(f"close_{i}", f"close #{i + 1}: {name}", p, "")
             for i, (name, p) in enumerate(zip(v["close_classes"], v["close_probs"], strict=True))]
    return rows


def dark_knowledge_explorer(logits=None, *, classes=CIFAR10_CLASSES, temperature: float = 1.0) -> Explorer:
    """Drag the temperature over a teacher's logits (default: :data:`EXAMPLE_TEACHER_LOGITS`, a cat): the softened
    distribution, its entropy in bits and the wrong classes the teacher thinks are close.

    Control ``temperature`` (0.5 to 10 in steps of 0.1); values as :func:`dark_knowledge_values`."""
    dark_knowledge_values(logits, temperature, classes=classes)
    steps = (temperature - 0.5) / 0.1
    if not 0.5 <= temperature <= 10 or abs(steps - round(steps)) > 1e-9:
        raise ValueError(f"temperature must be on the slider's grid, 0.5 to 10 in steps of 0.1 (got {temperature:g})")
    slider = widgets.FloatSlider(value=temperature, min=0.5, max=10.0, step=0.1, description="temperature T",
                                 readout_format=".1f", continuous_update=True,
                                 layout=widgets.Layout(width="380px"), style={"description_width": "110px"},
                                 tooltip="divide the teacher's logits by T before the softmax")
    return Explorer({"temperature": slider}, lambda temperature: dark_knowledge_values(logits, temperature,
                                                                                        classes=classes),
                    _DarkKnowledgeView, _dark_readout, title="Dark knowledge: softmax(z / T) of a teacher",
                    name="dark-knowledge")


def dark_knowledge_figure(logits=None, *, classes=CIFAR10_CLASSES, temperature: float = 4.0) -> Figure:
    """The dark-knowledge explorer's view at ``temperature``, drawn once (its static twin)."""
    return static_figure(_DarkKnowledgeView, dark_knowledge_values(logits, temperature, classes=classes))


# ---------------------------------------------------------------- InfoNCE
def infonce_loss(scores, *, reduction: str = "mean"):
    """InfoNCE in nats: cross-entropy of each row of an (N, N) score matrix (row i: x_i against every y_j) with
    the matching pair j = i as the target."""
    s = as_float(scores, "scores")
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] < 2:
        raise ValueError(f"scores must be a square N × N matrix with N >= 2 (got shape {s.shape})")
    reduction = check_reduction(reduction)
    per_row = -np.diagonal(losses.log_softmax(s))
    return reduce(per_row.copy(), reduction)


def infonce_bound(scores) -> float:
    """The InfoNCE lower bound on I(X; Y) in nats: log N - L_InfoNCE. It can never exceed log N."""
    loss = infonce_loss(scores)  # checks the scores at the door
    return float(np.log(np.shape(scores)[0]) - loss)


def gaussian_mi(rho, dim: int = 1):
    """Mutual information of d independent pairs of standard Gaussians with correlation ρ: -d/2 · ln(1 - ρ²) nats."""
    r = as_float(rho, "rho")
    if np.any(np.abs(r) >= 1):
        raise ValueError(f"rho must lie strictly between -1 and 1 (got {r})")
    check_nonempty(r, "rho")
    dim = check_int(dim, "dim", high=10**4)
    out = -0.5 * dim * np.log1p(-r**2)
    return float(out) if out.ndim == 0 else out


def correlated_gaussians(n: int, rho: float, *, dim: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pairs (x, y) of d-dimensional standard Gaussians, each coordinate pair with correlation ρ."""
    n = check_int(n, "n", high=10**7)
    rho = check_scalar(rho, "rho", low=-1.0, high=1.0, low_open=True, high_open=True)
    dim = check_int(dim, "dim", high=10**4)
    rng = np.random.default_rng(check_seed(seed))
    x = rng.standard_normal((n, dim))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))
    return x, y


def gaussian_critic_scores(x, y, rho: float) -> np.ndarray:
    """The optimal critic: scores[i, j] = ln p(y_j | x_i) / p(y_j) for correlated Gaussians, in nats."""
    x, y = as_float(x, "x"), as_float(y, "y")
    if x.ndim != 2 or y.shape != x.shape:
        raise ValueError(f"x and y must both be (N, d) arrays of the same shape (got {x.shape} and {y.shape})")
    rho = check_scalar(rho, "rho", low=-1.0, high=1.0, low_open=True, high_open=True)
    s2 = 1 - rho**2
    diff = y[None, :, :] - rho * x[:, None, :]  # (N, N, d)
    log_cond = -0.5 * (diff**2).sum(-1) / s2 - 0.5 * x.shape[1] * np.log(s2)
    log_marg = -0.5 * (y**2).sum(-1)[None, :]
    return log_cond - log_marg


def infonce_bound_sweep(rhos, *, batch_size: int = 64, dim: int = 1, batches: int = 20, seed: int = 0) -> dict:
    """The InfoNCE bound with the optimal critic, averaged over ``batches`` batches of ``batch_size`` pairs, at
    each ρ, beside the true I(X; Y) and the ceiling log N (nats)."""
    r = as_float(rhos, "rhos", min_ndim=1)
    check_nonempty(r, "rhos")
    seed = check_seed(seed)
    if r.ndim != 1 or np.any(np.abs(r) >= 1):
        raise ValueError("rhos must be a 1-D list of correlations strictly between -1 and 1")
    n, dim = check_int(batch_size, "batch_size", low=2, high=10**5), check_int(dim, "dim", high=10**4)
    batches = check_int(batches, "batches", high=10**5)
    bounds = np.array([np.mean([infonce_bound(gaussian_critic_scores(*correlated_gaussians(
        n, float(rho), dim=dim, seed=seed + 1000 * b), float(rho))) for b in range(batches)]) for rho in r])
    return {"rho": r, "true_mi": gaussian_mi(r, dim), "bound": bounds, "log_n": float(np.log(n)),
            "batch_size": n, "dim": dim}


def plot_infonce_bound(sweep: dict, ax=None):
    """The InfoNCE bound (optimal critic) and the true mutual information against the true MI, with the ceiling
    log N (from :func:`infonce_bound_sweep`). Returns the Axes."""
    if not isinstance(sweep, dict) or not {"true_mi", "bound", "log_n"} <= set(sweep):
        raise TypeError("sweep must be the dict that infonce_bound_sweep returns")
    ax = plots.new_axes(ax, figsize=(6.4, 4.0))
    mi = sweep["true_mi"]
    ax.plot(mi, mi, color=plots.COLORS["true"], lw=2, label="true I(X; Y)")
    ax.plot(mi, sweep["bound"], "o-", color=plots.COLORS["loss"], label="log N − InfoNCE (best critic)")
    ax.axhline(sweep["log_n"], color=plots.COLORS["neutral"], ls="--", label=f"log N, N = {sweep['batch_size']}")
    ax.set(xlabel="true mutual information I(X; Y) (nats)", ylabel="estimate (nats)",
           title="InfoNCE: a lower bound that saturates at log N")
    ax.legend(frameon=False, loc="upper left")
    return ax


def train_critic(rho: float = 0.8, *, dim: int = 1, batch_size: int = 128, steps: int = 300, hidden: int = 32,
                 lr: float = 1e-2, seed: int = 0) -> dict:
    """Train a small separable critic f(x, y) = g(x)ᵀh(y) (two one-hidden-layer MLPs) on InfoNCE batches of
    correlated Gaussians (torch, a few seconds). Returns the bound log N - L per step (nats), the bound on
    held-out batches, the true I and the seconds taken."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    rho = check_scalar(rho, "rho", low=-1.0, high=1.0, low_open=True, high_open=True)
    dim, n = check_int(dim, "dim", high=10**4), check_int(batch_size, "batch_size", low=2, high=10**5)
    steps, hidden = check_int(steps, "steps", high=10**6), check_int(hidden, "hidden", high=10**5)
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    seed = check_seed(seed)
    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        g = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden))
        h = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden))

    def scores(x, y):
        return g(x.float()) @ h(y.float()).T  # (N, N): row i scores x_i against every y_j, f = g(x)ᵀh(y)

    opt = torch.optim.Adam([*g.parameters(), *h.parameters()], lr=lr)
    target = torch.arange(n)
    trace = np.empty(steps)
    for k in range(steps):
        x, y = (torch.from_numpy(a) for a in correlated_gaussians(n, rho, dim=dim, seed=seed * 1_000_003 + k))
        loss = F.cross_entropy(scores(x, y), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        trace[k] = np.log(n) - float(loss.detach())
    with torch.no_grad():
        held = [np.log(n) - float(F.cross_entropy(scores(*(torch.from_numpy(a) for a in correlated_gaussians(
            n, rho, dim=dim, seed=10**9 + b))), target)) for b in range(10)]
    return {"bound_per_step": trace, "held_out_bound": float(np.mean(held)), "true_mi": gaussian_mi(rho, dim),
            "log_n": float(np.log(n)), "batch_size": n, "rho": rho, "dim": dim,
            "seconds": time.perf_counter() - t0}


def plot_critic_training(result: dict, ax=None):
    """The bound log N - InfoNCE of a critic as it trains (from :func:`train_critic`), with the true I and log N."""
    if not isinstance(result, dict) or not {"bound_per_step", "true_mi", "log_n"} <= set(result):
        raise TypeError("result must be the dict that train_critic returns")
    ax = plots.new_axes(ax, figsize=(6.4, 3.8))
    trace = result["bound_per_step"]
    ax.plot(np.arange(trace.size), trace, color=plots.COLORS["loss"], lw=1, alpha=0.8,
            label="log N − InfoNCE, training batch")
    ax.axhline(result["true_mi"], color=plots.COLORS["true"], lw=2, label="true I(X; Y)")
    ax.axhline(result["log_n"], color=plots.COLORS["neutral"], ls="--", label="log N")
    ax.set(xlabel="training step", ylabel="nats", title="A critic learns the bound")
    ax.set_ylim(min(0.0, float(trace.min())), max(result["log_n"], result["true_mi"]) * 1.25)
    ax.legend(frameon=False, loc="center right")
    return ax
