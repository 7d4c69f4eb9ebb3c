"""Notebook 09's computations: the Markov source and its entropy rate, n-gram models, the corpus, the loss per
token with padding (PyTorch as the oracle), labels coded by logits, the language model and the explorers."""

from __future__ import annotations

import lzma

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import arithmetic_coding as ac
from course_utils import compression as C
from course_utils import compression_explorers as X
from course_utils import info
from course_utils import language_models as L

P3 = np.array([[0.8, 0.15, 0.05], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])


# ---------------------------------------------------------------- Markov source
def test_stationary_distribution_is_left_fixed_point():
    pi = C.stationary_distribution(P3)
    assert np.allclose(pi @ P3, pi) and np.isclose(pi.sum(), 1)


def test_entropy_rate_of_an_iid_chain_is_the_entropy_of_its_row():
    p = np.array([0.5, 0.25, 0.25])
    assert C.entropy_rate(np.tile(p, (3, 1))) == pytest.approx(1.5)
    assert C.entropy_rate(np.eye(3)[[1, 2, 0]]) == pytest.approx(0.0)  # a deterministic cycle


def test_entropy_rate_matches_the_empirical_code_length_of_the_true_model():
    x = C.sample_markov(P3, 60_000, seed=1)
    q = C.markov_model_predictions(P3, x)
    h = C.entropy_rate(P3)
    assert C.bits_per_symbol(q, x) == pytest.approx(h, abs=0.02)
    # the empirical transition frequencies match P
    counts = np.zeros((3, 3))
    np.add.at(counts, (x[:-1], x[1:]), 1)
    assert np.allclose(counts / counts.sum(axis=1, keepdims=True), P3, atol=0.02)


def test_models_of_growing_power_approach_but_never_beat_the_entropy_rate():
    x = C.sample_markov(P3, 30_000, seed=2)
    h = C.entropy_rate(P3)
    rates = {}
    for order in (0, 1, 2):
        q = C.NGramModel(order, 3, smoothing=1.0).fit(x).predict(x)
        rates[order] = C.code_report(q, x)["bits_per_symbol"]
    true = C.code_report(C.markov_model_predictions(P3, x), x)["bits_per_symbol"]
    assert rates[0] > rates[1] > h - 0.02
    assert abs(true - h) < 0.02


def test_markov_arguments_are_checked():
    with pytest.raises(ValueError, match="P must be a square"):
        C.entropy_rate(np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="P must sum to 1"):
        C.stationary_distribution([[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match="n must be >= 0"):
        C.sample_markov(P3, -1)
    with pytest.raises(ValueError, match="first must be a distribution over 3"):
        C.markov_model_predictions(P3, [0, 1], first=[0.5, 0.5])


# ---------------------------------------------------------------- n-grams
def test_ngram_unsmoothed_is_the_count_ratio_and_gives_zero_to_unseen_pairs():
    x = np.array([0, 1, 0, 1, 0, 2, 0, 1])
    m = C.NGramModel(2, 3).fit(x)
    q = m.predict([0, 1, 2, 2], history=[1])
    # after 0: 1 three times, 2 once -> (0, 3/4, 1/4); after 1: always 0; after 2: always 0
    assert np.allclose(q[0], [1, 0, 0]) and np.allclose(q[1], [0, 0.75, 0.25])
    assert np.allclose(q[2], [1, 0, 0]) and q[3][2] == 0.0
    assert C.bits_per_symbol(q, [0, 1, 2, 2]) == np.inf


def test_ngram_smoothing_is_a_dirichlet_interpolation_down_to_uniform():
    x = np.array([0, 1, 0, 1, 0, 2, 0, 1])
    beta = 2.0
    q = C.NGramModel(2, 3, smoothing=beta).fit(x).predict([1], history=[0])
    uni = (np.bincount(x[1:], minlength=3) + beta / 3) / (len(x) - 1 + beta)  # order 1 over positions 1..
    uni = (np.bincount(x, minlength=3) + beta / 3) / (len(x) + beta)
    expected = (np.array([0, 3, 1]) + beta * uni) / (4 + beta)
    assert np.allclose(q[0], expected)
    assert np.allclose(q.sum(axis=1), 1)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 4), st.floats(0.01, 10), st.integers(0, 2**31 - 1))
def test_smoothed_ngram_predictions_are_distributions_with_no_zero(order, beta, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, 300)
    q = C.NGramModel(order, 6, smoothing=beta).fit(x).predict(rng.integers(0, 6, 50), history=x[-5:])
    assert q.shape == (50, 6) and np.allclose(q.sum(axis=1), 1) and q.min() > 0


def test_ngram_arguments_are_checked():
    with pytest.raises(ValueError, match="order must be <= 8"):
        C.NGramModel(9, 3)
    with pytest.raises(ValueError, match="smoothing must be >= 0"):
        C.NGramModel(2, 3, smoothing=-1)
    with pytest.raises(RuntimeError, match="call fit"):
        C.NGramModel(2, 3).predict([0])
    with pytest.raises(ValueError, match="symbols has a class index 3"):
        C.NGramModel(2, 3).fit([0, 3])


# ---------------------------------------------------------------- corpus, text, baselines
def test_corpus_is_real_english_of_the_promised_size_and_splits_by_year():
    corpus = C.load_corpus()
    assert len(corpus.train) + len(corpus.test) >= 500_000
    first_test = next(s for s in corpus.index if s["year"] == 2017)
    assert len(corpus.train) == first_test["start"]
    assert " the " in corpus.train and "Congress" in corpus.test
    assert C.CORPUS_PATH.stat().st_size < 1_000_000
    assert (C.CORPUS_PATH.parent / "PROVENANCE.md").exists()
    small = C.load_corpus(max_train=1000, max_test=500)
    assert (len(small.train), len(small.test)) == (1000, 500)
    with pytest.raises(ValueError, match="split_year must be <= 2021"):
        C.load_corpus(split_year=2022)


def test_text_round_trips_through_symbols():
    text = "Mr. Speaker,\nthe state of our Union is strong! (Applause.)"
    x = C.encode_text(text)
    assert x.min() >= 0 and x.max() < 96 and C.decode_text(x) == text
    with pytest.raises(ValueError, match="outside the 96-character alphabet at position 1"):
        C.encode_text("a\u2019b")
    with pytest.raises(TypeError, match="text must be a str"):
        C.encode_text(b"abc")


def test_baseline_compressors_report_real_sizes():
    text = "the cat sat on the mat. " * 200
    sizes = C.baseline_compressors(text)
    assert sizes["lzma (xz -9e)"] == len(lzma.compress(text.encode(), preset=9 | lzma.PRESET_EXTREME))
    assert all(0 < v < len(text) for v in sizes.values())
    with pytest.raises(TypeError, match="data must be str or bytes"):
        C.baseline_compressors(3)


def test_code_report_is_the_cross_entropy_and_the_coder_agrees():
    rng = np.random.default_rng(0)
    q = rng.dirichlet(np.ones(8), size=5000)
    x = np.minimum((q.cumsum(1) < rng.random((5000, 1))).sum(1), 7)
    r = C.code_report(q, x)
    assert r["bits_per_symbol"] == pytest.approx(ac.ideal_bits(x, q) / 5000)
    assert r["perplexity"] == pytest.approx(2 ** r["bits_per_symbol"])
    assert abs(r["coder_bytes"] - r["ideal_bytes"]) < 8
    assert abs(r["coder_bytes"] - r["quantised_bytes"]) < 8


def test_a_model_too_sure_of_itself_writes_a_file_under_its_cross_entropy():
    """Notebook 09 in full mode: the coder gives no symbol less than 2^-16, so a model that gave a character
    1e-12 pays 16 bits for it, not 40: the file follows the quantised probabilities, below the model's own CE."""
    q = np.full((400, 4), [0.5, 0.5 - 2e-12, 1e-12, 1e-12])
    x = np.zeros(400, dtype=int)
    x[::20] = 2  # the "impossible" symbol, 20 times
    r = C.code_report(q, x)
    assert r["coder_bytes"] < r["ideal_bytes"] - 40  # 20 x (40 - 16) bits saved
    assert abs(r["coder_bytes"] - r["quantised_bytes"]) < 8


def test_surprise_bits():
    assert C.surprise_bits(0.25) == pytest.approx(2.0)
    assert C.surprise_bits(0.0) == np.inf
    with pytest.raises(ValueError, match="q must lie in"):
        C.surprise_bits(1.5)


# ---------------------------------------------------------------- loss per token: padding and ignore_index
@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 7), st.integers(2, 6), st.integers(0, 2**31 - 1),
       st.sampled_from(["mean", "sum", "none"]))
def test_sequence_cross_entropy_matches_torch_with_ignore_index(b, t, k, seed, reduction):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(b, t, k)) * 3
    y = rng.integers(0, k, (b, t))
    lengths = rng.integers(1, t + 1, b)
    y[np.arange(t)[None, :] >= lengths[:, None]] = C.IGNORE_INDEX
    ours = C.sequence_cross_entropy(z, y, reduction=reduction)
    ref = F.cross_entropy(torch.from_numpy(z).reshape(-1, k), torch.from_numpy(y).reshape(-1),
                          ignore_index=C.IGNORE_INDEX, reduction=reduction)
    assert np.allclose(ours, ref.numpy().reshape(np.shape(ours)), rtol=1e-10, atol=1e-12)


def test_sequence_cross_entropy_with_a_custom_ignore_index_and_errors():
    z = np.zeros((1, 3, 4))
    y = np.array([[1, 2, 0]])
    assert C.sequence_cross_entropy(z, y, ignore_index=0) == pytest.approx(np.log(4))
    ref = F.cross_entropy(torch.zeros(3, 4), torch.tensor([1, 2, 0]), ignore_index=0)
    assert C.sequence_cross_entropy(z, y, ignore_index=0) == pytest.approx(ref.item())
    with pytest.raises(ValueError, match="all padding"):  # no silent NaN: PyTorch's mean over no tokens is NaN
        C.sequence_cross_entropy(z, np.full((1, 3), -100))
    assert C.sequence_cross_entropy(z, np.full((1, 3), -100), reduction="sum") == 0.0
    with pytest.raises(ValueError, match=r"targets must have shape \(1, 3\)"):
        C.sequence_cross_entropy(z, [1, 2])
    with pytest.raises(ValueError, match="targets has a class index 4"):
        C.sequence_cross_entropy(z, [[1, 2, 4]])
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        C.sequence_cross_entropy(z, y, ignore_index=0.5)


# ---------------------------------------------------------------- labels coded by a classifier
def test_label_code_lengths_match_cross_entropy_to_the_byte():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(2000, 10)) * 2
    y = rng.integers(0, 10, 2000)
    r = C.label_code_lengths(z, y)
    ref = F.cross_entropy(torch.from_numpy(z), torch.from_numpy(y)).item()
    assert r["ce_nats"] == pytest.approx(ref)
    assert r["ideal_bits"] == pytest.approx(2000 * ref / np.log(2))
    assert abs(r["coder_bits"] - r["ideal_bits"]) <= 8 * 6
    assert r["uniform_bits"] == pytest.approx(2000 * np.log2(10))
    assert abs(r["uniform_coder_bits"] - r["uniform_bits"]) <= 8 * 6
    counts = np.bincount(y, minlength=10) + 1
    assert r["prior_bits"] == pytest.approx(-np.log2((counts / counts.sum())[y]).sum())
    with pytest.raises(ValueError, match=r"labels must have shape \(2000,\)"):
        C.label_code_lengths(z, y[:5])
    with pytest.raises(ValueError, match="prior must be a distribution over 10"):
        C.label_code_lengths(z, y, prior=[0.5, 0.5])


def test_class_frequency_model():
    assert np.allclose(C.class_frequency_model([0, 0, 1], 3, smoothing=0), [2 / 3, 1 / 3, 0])
    assert np.allclose(C.class_frequency_model([0, 0, 1], 3), [3 / 6, 2 / 6, 1 / 6])


def test_figures_return_axes():
    import matplotlib.pyplot as plt

    ax = C.plot_markov_rates({"uniform": 1.58, "unigram": 1.4, "true": 1.1}, 1.1)
    assert ax.get_ylabel() == "bits per symbol"
    ax = C.plot_bits_per_character({"unigram": (4.5, "model"), "bigram, unsmoothed": (np.inf, "model"),
                                     "gzip -9": (2.9, "compressor")})
    assert "bits per character" in ax.get_xlabel()
    r = C.label_code_lengths(np.zeros((10, 10)), np.arange(10))
    ax = C.plot_label_code_lengths(r)
    assert ax.get_ylabel() == "file size (bytes)"
    plt.close("all")


# ---------------------------------------------------------------- the language model
def test_char_mlp_windows_hold_the_symbols_before_each_position():
    m = L.CharMLP(5, context=3, embed=2, hidden=4, layers=1)
    w = m.windows(torch.tensor([1, 2, 3]), history=torch.tensor([4]))
    assert w.tolist() == [[5, 5, 4], [5, 4, 1], [4, 1, 2]]


def test_next_char_probs_are_the_models_softmax_and_training_lowers_the_loss():
    torch.manual_seed(0)
    x = np.tile(np.array([0, 1, 2, 3]), 200)  # a deterministic cycle: learnable to ~0 bits
    m = L.CharMLP(4, context=2, embed=4, hidden=16, layers=1)
    before = C.bits_per_symbol(L.next_char_probs(m, x[:100], history=x[:4]), x[:100])
    hist = L.train_char_lm(m, x, steps=150, batch_size=64, lr=1e-2, log_every=50)
    q = L.next_char_probs(m, x[:100], history=x[:4])
    after = C.bits_per_symbol(q, x[:100])
    assert after < 0.2 < before and hist.loss_nats[-1] < hist.loss_nats[0]
    assert np.allclose(q.sum(axis=1), 1) and q.dtype == np.float64
    with torch.no_grad():
        ref = torch.softmax(m(m.windows(torch.from_numpy(x[:100]), torch.from_numpy(x[:4]))).double(), -1)
    assert np.allclose(q, ref.numpy())
    assert np.allclose(L.next_distribution(m, x[:5]), q[5])  # the symbol after x[:5] is x[5]
    ax = L.plot_lm_history(hist, num_symbols=4)
    assert "nats" in ax.get_ylabel()
    nxt = L.next_distribution(m, [0, 1])
    assert nxt.argmax() == 2 and np.isclose(nxt.sum(), 1)
    assert L.sample_text(m, [0, 1], 8, temperature=0.1).tolist() == [2, 3, 0, 1, 2, 3, 0, 1]
    hot = L.next_distribution(m, [0, 1], temperature=100.0)
    assert info.entropy(hot) > info.entropy(nxt)


def test_language_model_arguments_are_checked():
    m = L.CharMLP(4, context=2, embed=2, hidden=4, layers=1)
    with pytest.raises(TypeError, match="model must be a CharMLP"):
        L.train_char_lm(torch.nn.Linear(2, 2), [0, 1])
    with pytest.raises(ValueError, match="symbols has a class index 4"):
        L.next_char_probs(m, [0, 4])
    with pytest.raises(ValueError, match="temperature must be > 0"):
        L.next_distribution(m, [0], temperature=0)
    with pytest.raises(ValueError, match="prompt must hold at least one symbol"):
        L.sample_text(m, [], 3)


# ---------------------------------------------------------------- explorers, driven headless
def test_surprise_explorer_spends_minus_log2_q_bits():
    ex = X.surprise_explorer(q=0.1)
    assert ex.values["ideal_bits"] == pytest.approx(-np.log2(0.1))
    for q in (0.5, 0.01, 0.9):
        ex.controls["q"].value = q
        v = ex.values
        assert v["ideal_bits"] == pytest.approx(-np.log2(q))
        assert abs(v["coder_bits"] - v["ideal_bits"]) < 0.01 + 8 * 4 / v["repeats"]
    X.surprise_figure(0.01)
    with pytest.raises(ValueError, match="q must be > 0"):
        X.surprise_values(0.0)


def _toy_logits(text: str) -> np.ndarray:
    """A stand-in language model over 'abc': after 'a' strongly 'b', else flat-ish."""
    return np.array([0.0, 4.0, 1.0]) if text.endswith("a") else np.array([1.0, 0.5, 0.0])


def test_temperature_explorer_entropy_grows_with_temperature():
    ex = X.temperature_explorer(_toy_logits, "abc", ["a", "ca"])
    h = {}
    for t in (0.2, 1.0, 5.0):
        ex.controls["temperature"].value = t
        h[t] = ex.values["entropy_bits"]
        q = np.exp(np.array([0.0, 4.0, 1.0]) / t)
        assert np.allclose(ex.values["probs"], q / q.sum(), rtol=1e-6)
    assert h[0.2] < h[1.0] < h[5.0] <= np.log2(3) + 1e-12
    assert ex.values["top_chars"][0] == "b" and len(ex.values["sample"]) == 60
    assert "sample at T" in ex.sample.value
    ex.controls["prompt"].value = "ca"
    assert ex.values["prompt"] == "ca"
    X.temperature_figure(_toy_logits, "abc", "a", 0.5)
    with pytest.raises(ValueError, match="logits_fn must return 3 logits"):
        X.temperature_values(lambda s: np.zeros(2), "abc", "a")
    with pytest.raises(ValueError, match="temperature must be > 0"):
        X.temperature_values(_toy_logits, "abc", "a", 0.0)
