"""Prefix codes, forward/reverse KL fits and BCE numerics, against the theorems they illustrate."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import info, kl_fitting, numerics, source_coding


def _dists(min_size=2, max_size=8):
    return st.lists(st.floats(0.01, 1.0), min_size=min_size, max_size=max_size).map(
        lambda w: np.asarray(w) / np.sum(w)
    )


def test_huffman_on_a_dyadic_distribution_meets_the_entropy_exactly():
    p = [0.5, 0.25, 0.125, 0.125]
    code = source_coding.huffman_code(p)
    assert code == ["0", "10", "110", "111"]
    assert source_coding.average_code_length(p, source_coding.code_lengths(code)) == pytest.approx(info.entropy(p))


@settings(max_examples=60, deadline=None)
@given(_dists())
def test_huffman_is_a_prefix_code_within_one_bit_of_the_entropy(p):
    code = source_coding.huffman_code(p)
    lengths = source_coding.code_lengths(code)
    assert source_coding.is_prefix_free(code)
    assert source_coding.kraft_sum(lengths) == pytest.approx(1.0)  # Huffman codes are complete
    avg = source_coding.average_code_length(p, lengths)
    h = info.entropy(p)
    assert h - 1e-12 <= avg < h + 1
    # optimal: never longer than the Shannon code for p
    assert avg <= source_coding.average_code_length(p, source_coding.shannon_code_lengths(p)) + 1e-12


@settings(max_examples=60, deadline=None)
@given(_dists(3, 6), _dists(3, 6))
def test_shannon_code_for_q_costs_between_cross_entropy_and_one_bit_more(p, q):
    if p.size != q.size:
        q = np.resize(q, p.size)
        q = q / q.sum()
    lengths = source_coding.shannon_code_lengths(q)
    assert source_coding.kraft_sum(lengths) <= 1 + 1e-12
    avg = source_coding.average_code_length(p, lengths)
    hpq = info.cross_entropy(p, q)
    assert hpq - 1e-9 <= avg < hpq + 1


def test_shannon_lengths_are_exact_on_powers_of_two():
    np.testing.assert_array_equal(source_coding.shannon_code_lengths([1 / 8, 1 / 8, 1 / 4, 1 / 2]), [3, 3, 2, 1])
    with pytest.raises(ValueError, match="q must be > 0"):
        source_coding.shannon_code_lengths([0.0, 1.0])


def test_encode_decode_round_trip_and_errors():
    code = source_coding.huffman_code([0.4, 0.3, 0.2, 0.1])
    msg = [0, 3, 1, 1, 2, 0]
    bits = source_coding.encode(msg, code)
    assert source_coding.decode(bits, code) == msg
    assert len(bits) == source_coding.code_lengths(code)[msg].sum()
    with pytest.raises(ValueError, match="prefix-free"):
        source_coding.decode("01", ["0", "01"])
    with pytest.raises(ValueError, match="middle of a codeword"):
        source_coding.decode(bits + "1", code)
    with pytest.raises(ValueError, match="outcome indices"):
        source_coding.encode([4], code)
    with pytest.raises(TypeError):
        source_coding.code_lengths("0101")


def test_block_codes_approach_the_entropy():
    p = [0.9, 0.1]
    rates = source_coding.block_code_rates(p, 6)
    h = info.entropy(p)
    n = np.arange(1, 7)
    assert np.all(rates >= h - 1e-12) and np.all(rates < h + 1 / n)
    assert rates[0] == 1.0 and rates[-1] < 0.5
    np.testing.assert_allclose(source_coding.block_distribution([0.3, 0.7], 2), [0.09, 0.21, 0.21, 0.49])
    with pytest.raises(ValueError, match="too many"):
        source_coding.block_distribution(np.full(10, 0.1), 5)


def test_sample_code_rate_is_close_to_the_average_length():
    p = [0.5, 0.25, 0.125, 0.125]
    rate = source_coding.sample_code_rate(p, source_coding.huffman_code(p), n=20_000, seed=1)
    assert rate == pytest.approx(1.75, abs=0.03)


def test_forward_kl_fit_matches_moments_and_reverse_kl_picks_a_mode():
    x = np.linspace(-10, 10, 401)
    p = kl_fitting.grid_bimodal(x)
    fwd = kl_fitting.fit_gaussian_kl(x, p, direction="forward")
    rev = kl_fitting.fit_gaussian_kl(x, p, direction="reverse")
    mean = (x * p).sum()
    sd = np.sqrt(((x - mean) ** 2 * p).sum())
    assert fwd.mu == pytest.approx(mean, abs=0.1) and fwd.sigma == pytest.approx(sd, rel=0.05)
    assert abs(rev.mu) == pytest.approx(2.5, abs=0.1) and rev.sigma == pytest.approx(0.7, rel=0.05)
    assert rev.kl_bits == pytest.approx(1.0, abs=0.01)  # dropping one of two equal modes costs log2 2
    assert fwd.kl_bits == pytest.approx(info.kl_divergence(p, fwd.q))
    # each fit is the best in its own direction
    assert info.kl_divergence(p, fwd.q) < info.kl_divergence(p, rev.q)
    assert info.kl_divergence(rev.q, p) < info.kl_divergence(fwd.q, p)
    with pytest.raises(ValueError, match="direction"):
        kl_fitting.fit_gaussian_kl(x, p, direction="both")


def test_bce_numerics_show_nan_inf_and_the_clamp():
    z = np.array([-200.0, 0.0, 50.0])
    r = numerics.bce_numerics(z, 1.0)
    assert np.isinf(r["naive"][0]) and np.isnan(r["naive"][2])
    assert r["clamped"][0] == pytest.approx(100.0)  # torch clamps log at -100
    np.testing.assert_allclose(r["with_logits"], r["exact"], rtol=1e-6, atol=1e-30)
    zt = torch.tensor(z, dtype=torch.float64)
    expected = F.binary_cross_entropy_with_logits(zt, torch.ones_like(zt), reduction="none").numpy()
    np.testing.assert_allclose(r["exact"], expected, rtol=1e-12)


def test_cross_entropy_path_falls_to_the_entropy_then_rises():
    p = np.array([0.5, 0.25, 0.15, 0.1])
    t, ce = kl_fitting.cross_entropy_path(p, steps=51)
    assert t.shape == ce.shape == (101,) and t[0] == 0 and t[-1] == 2
    assert ce[0] == pytest.approx(2.0)  # against the uniform q: log2 4 bits, whatever p is
    assert ce[50] == pytest.approx(info.entropy(p)) and np.argmin(ce) == 50
    assert np.all(np.diff(ce[:51]) < 0) and np.all(np.diff(ce[50:]) > 0)
    end = np.array([0.999, 0.001 / 3, 0.001 / 3, 0.001 / 3])
    assert ce[-1] == pytest.approx(info.cross_entropy(p, end))
    ax = kl_fitting.plot_cross_entropy_path(p)
    assert "bits" in ax.get_ylabel() and len(ax.lines) == 2
    for kwargs, word in (({"steps": 1}, "steps"), ({"certainty": 1.0}, "certainty")):
        with pytest.raises(ValueError, match=word):
            kl_fitting.cross_entropy_path(p, **kwargs)
    with pytest.raises(ValueError, match="p"):
        kl_fitting.cross_entropy_path([0.5, 0.6])
