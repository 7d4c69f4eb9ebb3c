"""Fitting q to p: which way KL points decides what the fit looks like (notebook 02).

- **A Gaussian q fitted to a bimodal p**: forward KL(p || q) covers both modes, reverse KL(q || p) seeks one.
- **Which way does cross-entropy move?** H(p, q) along a path of q from uniform to p and on to
  near-certainty on p's mode: lowest at q = p.
- **The irreducible loss.** For a classifier q(y|x) of data from p(x) p(y|x), the expected cross-entropy
  splits into H(Y|X), which no model can remove, plus E_x KL(p(·|x) || q(·|x)) >= 0.

KL and cross-entropy in bits. Reference: Bishop (2006), *Pattern Recognition and Machine Learning*, §10.1.2
(figure 10.3, the two directions of KL).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import info
from ._validate import as_1d_distribution, as_float, check_instance, check_int, check_scalar, check_str
from .plots import COLORS, new_axes

__all__ = ["grid_gaussian", "grid_bimodal", "GaussianFit", "fit_gaussian_kl", "cross_entropy_path",
           "plot_gaussian_fits", "plot_cross_entropy_path", "irreducible_loss"]


def _grid(x) -> np.ndarray:
    x = as_float(x, "x", min_ndim=1)
    if x.ndim != 1 or not 3 <= x.size <= 1_000_000 or not np.all(np.diff(x) > 0):
        raise ValueError("x must be an increasing 1-D grid of 3 to 1000000 points")
    return x


def _gaussian(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """N(mu, sigma²) on the grid x, normalised, computed stably: when the Gaussian is far narrower than the
    grid (or far off it) all its mass goes to the grid point(s) nearest mu, never NaN."""
    with np.errstate(over="ignore", invalid="ignore"):
        logd = -0.5 * ((x - mu) / sigma) ** 2
    top = logd.max()
    if not np.isfinite(top):  # every point is infinitely many sigmas away: the nearest point takes it all
        dist = np.abs(x - mu)
        d = (dist == dist.min()).astype(np.float64)
    else:
        d = np.exp(logd - top)
    return d / d.sum()


def grid_gaussian(x, mu: float, sigma: float) -> np.ndarray:
    """A Gaussian N(mu, sigma²) discretised on the grid x: a distribution (sums to 1) over the grid points."""
    x = _grid(x)
    mu = check_scalar(mu, "mu", low=-1e300, high=1e300)
    sigma = check_scalar(sigma, "sigma", low=0.0, low_open=True)
    return _gaussian(x, mu, sigma)


def grid_bimodal(x, *, mu1: float = -2.5, mu2: float = 2.5, sigma: float = 0.7, weight: float = 0.5) -> np.ndarray:
    """A mixture of two Gaussians, weight·N(mu1, σ²) + (1 - weight)·N(mu2, σ²), discretised on x."""
    x = _grid(x)
    mu1 = check_scalar(mu1, "mu1", low=-1e300, high=1e300)
    mu2 = check_scalar(mu2, "mu2", low=-1e300, high=1e300)
    sigma = check_scalar(sigma, "sigma", low=0.0, low_open=True)
    weight = check_scalar(weight, "weight", low=0.0, high=1.0)
    mix = weight * _gaussian(x, mu1, sigma) + (1 - weight) * _gaussian(x, mu2, sigma)
    return mix / mix.sum()


class GaussianFit(NamedTuple):
    """The Gaussian q = N(mu, sigma²) that minimises one direction of KL to p, and that KL in bits."""

    direction: str
    mu: float
    sigma: float
    kl_bits: float
    q: np.ndarray


def fit_gaussian_kl(x, p, *, direction: str = "forward", mus=None, sigmas=None) -> GaussianFit:
    """Fit a Gaussian q to a distribution p on the grid x by minimising KL, by search over (mu, sigma).

    ``direction="forward"`` minimises KL(p || q) (the cross-entropy direction; q must cover every place p
    has mass: *mode-covering*); ``"reverse"`` minimises KL(q || p) (q is punished for mass where p has
    little: *mode-seeking*). For forward KL the exact answer is moment matching (mean and variance of p);
    the grid search finds it up to the search step.
    """
    x = _grid(x)
    p = as_1d_distribution(p, "p")
    if p.shape != x.shape:
        raise ValueError(f"p must have one entry per grid point ({x.size}; got {p.size})")
    check_str(direction, "direction", choices=("forward", "reverse"))
    span = x[-1] - x[0]
    mus = np.linspace(x[0], x[-1], 121) if mus is None else as_float(mus, "mus", min_ndim=1)
    sigmas = np.geomspace(span / 200, span / 2, 80) if sigmas is None else as_float(sigmas, "sigmas", min_ndim=1)
    for name, a in (("mus", mus), ("sigmas", sigmas)):
        if a.ndim != 1 or a.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D grid of candidates (got shape {a.shape})")
    if mus.size * sigmas.size * x.size > 50_000_000:
        raise ValueError(f"mus ({mus.size}) × sigmas ({sigmas.size}) × x ({x.size}) is too large a search "
                         "(at most 5e7 candidate points)")
    if np.abs(mus - (x[0] + x[-1]) / 2).max() > 100 * span:
        raise ValueError(f"mus must lie within 100 grid widths of the grid x (got {mus[np.argmax(np.abs(mus))]:g})")
    if sigmas.min() <= 0:
        raise ValueError(f"sigmas must be > 0 (got {sigmas.min():g})")
    if sigmas.min() < span * 1e-9 or sigmas.max() > span * 1e9:
        raise ValueError(f"sigmas must lie between 1e-9 and 1e9 grid widths ({span * 1e-9:g} to {span * 1e9:g})")
    # every candidate q at once: shape (len(mus), len(sigmas), len(x))
    logq = -0.5 * ((x[None, None, :] - mus[:, None, None]) / sigmas[None, :, None]) ** 2
    logq -= logq.max(axis=-1, keepdims=True)
    logq -= np.log(np.exp(logq).sum(axis=-1, keepdims=True))
    q = np.exp(logq)
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    if direction == "forward":
        kl = np.sum(np.where(p > 0, p * (logp - logq), 0.0), axis=-1)
    else:
        kl = np.sum(np.where(q > 0, q * (logq - logp), 0.0), axis=-1)
    i, j = np.unravel_index(np.argmin(kl), kl.shape)
    best = q[i, j] / q[i, j].sum()
    kl_bits = info.kl_divergence(p, best) if direction == "forward" else info.kl_divergence(best, p)
    return GaussianFit(direction, float(mus[i]), float(sigmas[j]), float(kl_bits), best)


def cross_entropy_path(p, *, steps: int = 101, certainty: float = 0.999) -> tuple[np.ndarray, np.ndarray]:
    """H(p, q) in bits along a path of q: for t in [0, 1], q = (1 - t) · uniform + t · p; for t in [1, 2],
    q = (2 - t) · p + (t - 1) · e, where e puts ``certainty`` on p's most likely outcome and spreads the
    rest evenly. Returns (t, H(p, q)), 2 · steps - 1 points; H is smallest at t = 1, where q = p."""
    p = as_1d_distribution(p, "p")
    steps = check_int(steps, "steps", low=2, high=1_000_000)
    certainty = check_scalar(certainty, "certainty", low=0.0, high=1.0, low_open=True, high_open=True)
    k = p.size
    if k < 2:
        raise ValueError(f"p must have at least 2 outcomes (got {k})")
    e = np.full(k, (1 - certainty) / (k - 1))
    e[np.argmax(p)] = certainty
    t = np.linspace(0.0, 1.0, steps)[:, None]
    q = np.concatenate([(1 - t) * np.full(k, 1 / k) + t * p, ((1 - t) * p + t * e)[1:]])
    return np.concatenate([t[:, 0], 1 + t[1:, 0]]), info.cross_entropy(np.broadcast_to(p, q.shape), q)


def plot_gaussian_fits(x, p, fits, *, ax=None):
    """The bimodal p and the Gaussians fitted by forward and reverse KL, as densities on the grid."""
    x = _grid(x)
    p = as_1d_distribution(p, "p")
    if p.shape != x.shape:
        raise ValueError(f"p must have one entry per grid point ({x.size}; got {p.size})")
    if isinstance(fits, GaussianFit) or not isinstance(fits, (list, tuple)):
        raise TypeError(f"fits must be a list of GaussianFit from fit_gaussian_kl() (got {type(fits).__name__})")
    for fit in fits:
        check_instance(fit, GaussianFit, "fits", "list of GaussianFit from fit_gaussian_kl()")
        if fit.q.shape != x.shape:
            raise ValueError(f"fits must be fitted on this grid x ({x.size} points; got {fit.q.size})")
    ax = new_axes(ax, figsize=(7.0, 3.8))
    dx = np.diff(x).mean()
    ax.fill_between(x, p / dx, color=COLORS["true"], alpha=0.3, label="p (true, bimodal)")
    styles = {"forward": (COLORS["pred"], "-"), "reverse": (COLORS["other"], "--")}
    for fit in fits:
        color, ls = styles[fit.direction]
        name = "KL(p‖q)" if fit.direction == "forward" else "KL(q‖p)"
        ax.plot(x, fit.q / dx, color=color, ls=ls,
                label=f"q minimising {name}: μ = {fit.mu:.2f}, σ = {fit.sigma:.2f}")
    ax.set(xlabel="x", ylabel="density")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_cross_entropy_path(p, *, ax=None):
    """H(p, q) in bits along ``cross_entropy_path``: falling from the uniform q to q = p, where it reaches
    the entropy H(p), then rising as q grows over-confident on p's mode."""
    t, ce = cross_entropy_path(p)
    ax = new_axes(ax, figsize=(6.4, 3.6))
    ax.plot(t, ce, color=COLORS["loss"], label="H(p, q)")
    ax.axhline(info.entropy(p), color=COLORS["true"], ls="--", label="H(p): reached at q = p")
    ax.set(xticks=[0, 1, 2], xticklabels=["uniform", "q = p", "near-certain\non the mode"],
           xlabel="q along the path", ylabel="cross-entropy (bits)")
    ax.legend()
    return ax


def irreducible_loss(p_x, p_y_given_x, q_y_given_x, *, base: float = 2) -> dict:
    """E_x[H(p(·|x), q(·|x))] = H(Y|X) + E_x[KL(p(·|x) || q(·|x))] for a discrete x: the three terms.

    ``p_x`` (X,) is the distribution of the inputs; ``p_y_given_x`` and ``q_y_given_x`` (X, C) hold the true
    and the predicted label distribution for each input, one row per x. Returns ``{"expected_ce",
    "conditional_entropy", "expected_kl"}`` as floats (bits by default); the first is the sum of the other two.
    """
    px = as_1d_distribution(p_x, "p_x")
    q_rows = as_float(q_y_given_x, "q_y_given_x", min_ndim=2)
    p_rows = as_float(p_y_given_x, "p_y_given_x", min_ndim=2)
    if p_rows.ndim != 2 or p_rows.shape[0] != px.size or q_rows.shape != p_rows.shape:
        raise ValueError(f"p_y_given_x and q_y_given_x must both have shape ({px.size}, C), one row per x "
                         f"(got {p_rows.shape} and {q_rows.shape})")
    ce = np.asarray(info.cross_entropy(p_rows, q_rows, base=base), dtype=float)
    kl = np.asarray(info.kl_divergence(p_rows, q_rows, base=base), dtype=float)
    h = np.asarray(info.entropy(p_rows, base=base), dtype=float)
    return {"expected_ce": float(px @ ce), "conditional_entropy": float(px @ h), "expected_kl": float(px @ kl)}
