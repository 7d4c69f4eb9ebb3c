"""The arithmetic coder: exact round trips in both model forms, a length within a few bytes of the model's
cross-entropy plus the measured quantisation cost, and clear errors at the door."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import arithmetic_coding as ac

FLUSH_BYTES = 4  # the coder writes at most 4 bytes more than the quantised ideal, plus a rounding byte


def _sample(q: np.ndarray, rng) -> np.ndarray:
    u = rng.random(q.shape[0])
    return np.minimum((np.cumsum(q, axis=1) < u[:, None]).sum(axis=1), q.shape[1] - 1)


@st.composite
def _sequences(draw, max_k=12, max_n=300):
    k = draw(st.integers(1, max_k))
    n = draw(st.integers(0, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    concentration = draw(st.sampled_from([0.05, 0.3, 1.0, 10.0]))
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.full(k, concentration), size=n)
    q = np.maximum(q, 1e-300)  # Dirichlet draws may underflow to exactly 0
    q /= q.sum(axis=1, keepdims=True)
    x = _sample(q, rng) if n else np.zeros(0, dtype=np.int64)
    return x, q


@settings(max_examples=150, deadline=None)
@given(_sequences())
def test_array_model_round_trips_exactly(data):
    x, q = data
    code = ac.encode(x, q)
    assert np.array_equal(ac.decode(code, q, len(x)), x)


@settings(max_examples=150, deadline=None)
@given(_sequences())
def test_length_is_the_quantised_cross_entropy_within_a_few_bytes(data):
    x, q = data
    code = ac.encode(x, q)
    target = ac.quantised_bits(x, q) / 8
    assert target - 1 <= len(code) <= target + FLUSH_BYTES + 1 + 0.01 * len(x) / 8


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.lists(st.integers(0, 7), max_size=120), st.floats(0.1, 5.0))
def test_callable_model_round_trips_exactly(k, raw, alpha):
    """An adaptive model: Laplace-style counts of the symbols so far (the decoder sees the same prefix)."""
    x = np.asarray([s % k for s in raw], dtype=np.int64)

    def model(prefix):
        counts = np.bincount(prefix, minlength=k) + alpha
        return counts / counts.sum()

    code = ac.encode(x, model)
    assert np.array_equal(ac.decode(code, model, len(x)), x)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_callable_and_array_forms_write_the_same_bytes(seed):
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.ones(5), size=50)
    x = _sample(q, rng)
    assert ac.encode(x, lambda prefix: q[len(prefix)]) == ac.encode(x, q)


def test_extreme_sequences_round_trip():
    """Long runs of near-certain symbols (long carries, 0xFF runs) and of very unlikely ones."""
    rng = np.random.default_rng(0)
    for p in ([1 - 1e-9, 1e-9], [1e-9, 1 - 1e-9], [0.5, 0.5]):
        for x in (np.zeros(5000, dtype=int), np.ones(5000, dtype=int), rng.integers(0, 2, 5000)):
            code = ac.encode(x, p)
            assert np.array_equal(ac.decode(code, p, x.size), x)
    q = np.full(256, 1 / 256)
    x = rng.integers(0, 256, 10_000)
    code = ac.encode(x, q)
    assert len(code) <= 10_000 + FLUSH_BYTES and np.array_equal(ac.decode(code, q, x.size), x)


def test_a_certain_sequence_costs_nothing_and_the_empty_sequence_is_empty():
    assert ac.encode([0, 0, 0], [1.0, 0.0]) == b""
    assert ac.encode([], [0.5, 0.5]) == b""
    assert ac.decode(b"", [0.5, 0.5], 0).shape == (0,)


def test_fair_coin_costs_one_bit_a_toss():
    x = np.random.default_rng(1).integers(0, 2, 80_000)
    assert abs(len(ac.encode(x, [0.5, 0.5])) - 10_000) <= 2


def test_quantisation_has_no_zero_frequency_and_sums_to_total():
    rng = np.random.default_rng(2)
    q = rng.dirichlet(np.full(256, 0.01), size=200)
    q[:, 0] = 0.0
    q /= q.sum(axis=1, keepdims=True)
    f = ac.quantise(q)
    assert f.dtype == np.int64 and f.min() >= 1
    assert np.all(f.sum(axis=1) == ac.TOTAL)
    assert np.abs(f / ac.TOTAL - q).max() < 256 / ac.TOTAL


def test_quantisation_cost_is_small_on_text_like_distributions():
    """The measured cost of quantising to 16-bit frequencies: under 0.01 bits a symbol here."""
    rng = np.random.default_rng(3)
    q = rng.dirichlet(np.full(90, 0.1), size=20_000)
    x = _sample(q, rng)
    per_symbol = (ac.quantised_bits(x, q) - ac.ideal_bits(x, q)) / x.size
    assert -0.01 < per_symbol < 0.01


def test_a_symbol_the_model_calls_impossible_is_an_error():
    with pytest.raises(ValueError, match=r"probability 0 to symbols\[1\] = 1"):
        ac.encode([0, 1], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"probability 0 to symbols\[2\]"):
        ac.encode([0, 0, 1], lambda prefix: np.array([1.0, 0.0]))
    assert ac.ideal_bits([0, 1], [1.0, 0.0]) == np.inf


@pytest.mark.parametrize(
    ("symbols", "model", "error", "match"),
    [
        ([0, 1], [0.5, 0.4], ValueError, "model must sum to 1"),
        ([0, 1], [[0.5, 0.5], [0.7, 0.7]], ValueError, "model must sum to 1"),
        ([0, 1], [1.5, -0.5], ValueError, "model must be non-negative"),
        ([0, 1], [[0.5, 0.5]], ValueError, "model has 1 rows but there are 2 symbols"),
        ([0, 2], [0.5, 0.5], ValueError, "symbols has a class index 2 out of range for 2 classes"),
        ([0, -1], [0.5, 0.5], ValueError, "symbols must be non-negative"),
        ([0.5], [0.5, 0.5], ValueError, "symbols must be whole-number"),
        ([[0, 1]], [0.5, 0.5], ValueError, "symbols must be a 1-D sequence"),
        ("ab", [0.5, 0.5], TypeError, "symbols must be a number or an array"),
        ([0], "ab", TypeError, "model must be a number or an array"),
        ([0], np.full((1, 1, 2), 0.5), ValueError, "model must be a"),
        ([0], np.full(300, 1 / 300), ValueError, "at most 256 outcomes"),
        ([0, 1], [0.5, np.nan], ValueError, "model contains NaN"),
    ],
)
def test_bad_input_is_named(symbols, model, error, match):
    with pytest.raises(error, match=match):
        ac.encode(symbols, model)


def test_a_callable_that_returns_a_bad_distribution_is_named_with_its_step():
    with pytest.raises(ValueError, match=r"at step 0: model\(prefix\) must sum to 1"):
        ac.encode([0], lambda prefix: [0.2, 0.2])
    with pytest.raises(ValueError, match=r"symbols\[1\] = 3 is out of range for the model's 2 outcomes"):
        ac.encode([0, 3], lambda prefix: [0.5, 0.5])
    with pytest.raises(ValueError, match=r"at step 0: model\(prefix\) must sum to 1"):
        ac.decode(b"\x12", lambda prefix: [0.2, 0.2], 1)


def test_decode_checks_its_arguments():
    with pytest.raises(TypeError, match="data must be bytes"):
        ac.decode("abc", [0.5, 0.5], 1)
    with pytest.raises(TypeError, match="n must be an int"):
        ac.decode(b"", [0.5, 0.5], 1.0)
    with pytest.raises(ValueError, match="n must be >= 0"):
        ac.decode(b"", [0.5, 0.5], -1)
    with pytest.raises(ValueError, match="model has 2 rows but there are 3 symbols to decode"):
        ac.decode(b"", [[0.5, 0.5]] * 2, 3)
    with pytest.raises(ValueError, match="probs must sum to 1"):
        ac.quantise([0.5, 0.6])


def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    q = torch.softmax(torch.randn(40, 6, dtype=torch.float64), dim=1)
    x = torch.multinomial(q, 1).squeeze(1)
    code = ac.encode(x, q)
    assert np.array_equal(ac.decode(code, q, 40), x.numpy())
