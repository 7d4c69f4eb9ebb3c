"""Regenerate every figure in figures/ (PNG and SVG), from the course's own functions.

    .venv/bin/python figures/make_figures.py            # all figures
    .venv/bin/python figures/make_figures.py binary     # only those whose name contains "binary"

Each figure is the static twin of an explorer, or a plot_* function, at settings chosen to tell the story
(the "confidently wrong" prediction, a hot and a cold softmax). SVGs are written with a fixed hash salt
and no date, so that an unchanged figure gives an unchanged file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import matplotlib  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from course_utils import ce_vs_mse, compression, plots  # noqa: E402
from course_utils import compression_explorers as CX  # noqa: E402
from course_utils import widgets as W  # noqa: E402


def _loss_and_grad():
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    plots.plot_loss_vs_prob(["bce", "mse"], 1, a, q=0.05, ylim=(0, 5))
    plots.plot_grad_vs_prob(["bce", "mse"], 1, b, q=0.05)
    return fig


def _training_race():
    # A real run, computed here: the same logistic regression trained with BCE and with MSE from a bad start.
    return ce_vs_mse.race_figure(ce_vs_mse.training_race())


def _markov_rates():
    # Notebook 09's weather chain: models of growing power code 200,000 samples with the arithmetic coder.
    P = [[0.8, 0.15, 0.05], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5]]
    train, days = compression.sample_markov(P, 200_000, seed=1), compression.sample_markov(P, 200_000, seed=2)
    models = {"uniform": compression.uniform_model(len(days), 3),
              "unigram": compression.NGramModel(1, 3, smoothing=1.0).fit(train).predict(days),
              "bigram": compression.NGramModel(2, 3, smoothing=1.0).fit(train).predict(days),
              "true P": compression.markov_model_predictions(P, days)}
    rates = {k: 8 * compression.code_report(q, days)["coder_bytes"] / len(days) for k, q in models.items()}
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    compression.plot_markov_rates(rates, compression.entropy_rate(P), ax=ax)
    return fig


#: file stem -> function returning a Figure
FIGURES = {
    "cross_entropy_decomposition": lambda: W.distribution_figure([0.5, 0.25, 0.125, 0.125], [0.25] * 4),
    "binary_confidently_wrong": lambda: W.binary_figure(q=0.05, y=1),
    "binary_loss_and_gradient": _loss_and_grad,
    "softmax_cold": lambda: W.softmax_figure([2.0, 1.0, 0.0, -1.0], temperature=0.5, target=1),
    "softmax_hot": lambda: W.softmax_figure([2.0, 1.0, 0.0, -1.0], temperature=3.0, target=1),
    "loss_family": lambda: W.loss_family_figure(q=0.3, gamma=2.0, pos_weight=3.0, label_smoothing=0.1),
    "training_race_ce_vs_mse": _training_race,
    "cost_of_a_surprise": lambda: CX.surprise_figure(q=0.01),
    "markov_entropy_rate": _markov_rates,
}


def main(argv=None) -> int:
    only = (argv if argv is not None else sys.argv[1:]) or [""]
    plots.use_style()
    matplotlib.rcParams["svg.hashsalt"] = "cross-entropy-course"
    written = []
    for stem, make in FIGURES.items():
        if not any(o in stem for o in only):
            continue
        fig = make()
        for ext, kw in (("png", {"dpi": 150}), ("svg", {"metadata": {"Date": None}})):
            path = HERE / f"{stem}.{ext}"
            fig.savefig(path, **kw)
            written.append(path)
        plt.close(fig)
    for path in written:
        print(f"wrote {path.relative_to(HERE.parent)} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
