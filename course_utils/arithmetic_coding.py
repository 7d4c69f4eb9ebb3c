"""An arithmetic coder (integer range coding) that turns a model's probabilities into a file.

The coder spends -log2 q(x) bits on a symbol x that the model gave probability q(x), to within a small,
measured overhead, so the length of the file is the model's cross-entropy on the data:

    len(encode(x, q)) * 8  ~=  sum_i -log2 q_i(x_i)   bits.

How it works (the range coder of Subbotin 1999 and of LZMA, with a 33-bit ``low`` for the carry):

- The probabilities of each step are **quantised** to integer frequencies that sum to ``TOTAL = 2**16``;
  every symbol gets a frequency of at least 1, even one the model calls impossible, so every symbol stays
  codable. :func:`quantise` does this for all steps at once (vectorised).
- The coder keeps an interval ``[low, low + range)`` of 32-bit integers. Coding a symbol with cumulative
  frequency ``start`` and frequency ``freq`` narrows it to ``low += start * (range >> 16)``,
  ``range = freq * (range >> 16)``: the interval shrinks by the factor freq / TOTAL, which costs
  -log2(freq / TOTAL) bits. Whenever ``range`` drops below 2**24 the top byte of ``low`` is settled and
  written out (a carry into bytes already written is handled by holding back a run of 0xFF bytes).
- At the end the coder writes the shortest number inside the final interval, and drops trailing zero
  bytes: the decoder reads missing bytes as zeros.

``model`` is either an array of probabilities, (n, K) for one distribution per step or (K,) for the same
distribution at every step, or a callable ``model(prefix) -> (K,) probabilities`` that gets the symbols
coded so far (a NumPy int64 array) and returns the distribution of the next one: adaptive and
autoregressive models. Encoder and decoder call it on the same prefixes, so they agree.

Limits: at most ``MAX_SYMBOLS`` = 256 outcomes per step. The overhead over the ideal length has three
parts, each measured by the tests and ``benchmarks/arithmetic_coding.py``: quantisation
(:func:`quantised_bits` minus :func:`ideal_bits`, typically below 0.01 bits a symbol), the truncation in
``range >> 16`` (below 2**-8 of a bit a symbol, usually far less) and at most 4 bytes of flush.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import as_class_indices, as_distribution, as_float, check_int

__all__ = [
    "FREQ_BITS",
    "MAX_SYMBOLS",
    "TOTAL",
    "decode",
    "encode",
    "ideal_bits",
    "quantise",
    "quantised_bits",
]

#: Frequencies of one step sum to TOTAL = 2**FREQ_BITS.
FREQ_BITS = 16
TOTAL = 1 << FREQ_BITS
#: The most outcomes one step may have (each needs a frequency >= 1 and the largest must absorb rounding).
MAX_SYMBOLS = 256

_TOP = 1 << 24  # renormalise when range < 2**24: then range >> 16 >= 2**8
_MASK32 = 0xFFFFFFFF
_MASK24 = 0x00FFFFFF


# ---------------------------------------------------------------- the door
def _distributions(x, name: str) -> np.ndarray:
    """as_distribution, which also lets an empty batch of distributions (0, K) through."""
    arr = as_float(x, name, min_ndim=1)
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one outcome on the last axis (got shape {arr.shape})")
    return as_distribution(arr, name) if arr.size else arr


def _check_symbols(symbols, num_classes: int) -> np.ndarray:
    x = as_class_indices(symbols, "symbols", num_classes)
    if x.ndim != 1:
        raise ValueError(f"symbols must be a 1-D sequence (got shape {x.shape})")
    return x


def _check_array_model(model) -> np.ndarray:
    """A (K,) or (n, K) array of distributions, as float64."""
    q = _distributions(model, "model")
    if q.ndim not in (1, 2):
        raise ValueError(f"model must be a (K,) or (n, K) array of probabilities (got shape {q.shape})")
    if q.shape[-1] > MAX_SYMBOLS:
        raise ValueError(f"model may have at most {MAX_SYMBOLS} outcomes per step (got {q.shape[-1]})")
    return q


def _rows(q: np.ndarray, n: int, what: str = "symbols") -> np.ndarray:
    """(n, K): a (K,) model repeated n times, or an (n, K) model whose length is checked."""
    if q.ndim == 1:
        return np.broadcast_to(q, (n, q.shape[0]))
    if q.shape[0] != n:
        raise ValueError(f"model has {q.shape[0]} rows but there are {n} {what}: give one distribution per symbol")
    return q


def _array_inputs(symbols, model) -> tuple[np.ndarray, np.ndarray]:
    q = _check_array_model(model)
    x = _check_symbols(symbols, q.shape[-1])
    return x, _rows(q, x.size)


def _check_zero_probabilities(q: np.ndarray, x: np.ndarray) -> None:
    """A symbol that occurs must have a positive probability: an impossible event has no code."""
    if x.size == 0:
        return
    hit = q[np.arange(x.size), x]
    if hit.min() <= 0:
        i = int(np.argmin(hit))
        raise ValueError(f"model gives probability 0 to symbols[{i}] = {int(x[i])}, which occurs: an impossible "
                         f"symbol has no code (its cost -log2 0 is infinite); smooth the model")


def _check_step(q, step: int) -> np.ndarray:
    """One distribution returned by a callable model, checked."""
    try:
        row = as_distribution(q, "model(prefix)")
    except (TypeError, ValueError) as err:
        raise type(err)(f"at step {step}: {err}") from None
    if row.ndim != 1:
        raise ValueError(f"at step {step}: model(prefix) must return a (K,) distribution (got shape {row.shape})")
    if row.shape[0] > MAX_SYMBOLS:
        raise ValueError(f"model may have at most {MAX_SYMBOLS} outcomes per step (got {row.shape[0]})")
    return row


# ---------------------------------------------------------------- quantisation
def quantise(probs) -> np.ndarray:
    """Probabilities (..., K) -> integer frequencies (..., K), each >= 1, summing to TOTAL along the last axis.

    Each frequency is round(q * TOTAL), at least 1; the rounding error of a row goes to its largest entry.
    """
    q = _distributions(probs, "probs")
    k = q.shape[-1]
    if k > MAX_SYMBOLS:
        raise ValueError(f"probs may have at most {MAX_SYMBOLS} outcomes (got {k})")
    return _quantise(q)


def _quantise(q: np.ndarray) -> np.ndarray:
    f = np.maximum(np.rint(q * TOTAL).astype(np.int64), 1)
    deficit = TOTAL - f.sum(axis=-1, keepdims=True)  # in [-K, K/2]: the largest entry (>= TOTAL/K) absorbs it
    top = np.argmax(f, axis=-1)[..., None]
    np.put_along_axis(f, top, np.take_along_axis(f, top, axis=-1) + deficit, axis=-1)
    return f


def ideal_bits(symbols, model) -> float:
    """The ideal code length sum_i -log2 q_i(x_i) in bits, for an array model (inf if a symbol has q = 0)."""
    x, q = _array_inputs(symbols, model)
    with np.errstate(divide="ignore"):
        return float(-np.log2(q[np.arange(x.size), x]).sum())


def quantised_bits(symbols, model) -> float:
    """sum_i -log2(f_i(x_i) / TOTAL): the length the coder aims at, after quantising the array model."""
    x, q = _array_inputs(symbols, model)
    f = _quantise(q[:1]) if q.ndim == 2 and q.strides[0] == 0 else _quantise(q)  # a repeated row: quantise once
    rows = np.zeros(x.size, dtype=np.int64) if f.shape[0] == 1 else np.arange(x.size)
    return float(FREQ_BITS * x.size - np.log2(f[rows, x]).sum())


# ---------------------------------------------------------------- the coder
class _Encoder:
    """The range encoder's state; ``put(start, freq)`` codes one symbol, ``finish()`` returns the bytes."""

    __slots__ = ("low", "range", "cache", "pending", "out")

    def __init__(self):
        self.low, self.range = 0, _MASK32
        self.cache, self.pending = 0, 1  # LZMA's cache/cacheSize; the first byte out is always 0 (dropped)
        self.out = bytearray()

    def put(self, start: int, freq: int) -> None:
        r = self.range >> FREQ_BITS
        self.low += start * r
        self.range = freq * r
        while self.range < _TOP:
            self.range <<= 8
            self._shift_low()

    def _shift_low(self) -> None:
        low = self.low
        if low < 0xFF000000 or low > _MASK32:  # the top byte is settled (possibly by a carry)
            carry = low >> 32
            self.out.append((self.cache + carry) & 0xFF)
            if self.pending > 1:
                self.out.extend(bytes([(0xFF + carry) & 0xFF]) * (self.pending - 1))
            self.pending = 0
            self.cache = (low >> 24) & 0xFF
        self.pending += 1
        self.low = (low & _MASK24) << 8

    def finish(self) -> bytes:
        # the number in [low, low + range) with the most trailing zero bits: fewer bytes to write
        for shift in range(32, -1, -1):
            mask = (1 << shift) - 1
            v = (self.low + mask) & ~mask
            if v < self.low + self.range:
                self.low = v
                break
        for _ in range(5):
            self._shift_low()
        return bytes(self.out[1:]).rstrip(b"\x00")


def _encode_array(x: np.ndarray, q: np.ndarray) -> bytes:
    f = _quantise(q)
    rows = np.arange(x.size)
    freq = f[rows, x]
    start = np.cumsum(f, axis=-1)[rows, x] - freq
    low, rng, cache, pending = 0, _MASK32, 0, 1
    out = bytearray()
    append = out.append
    # the loop of _Encoder.put and _shift_low, inlined: about 3x faster than the method calls
    for s, fr in zip(start.tolist(), freq.tolist(), strict=True):
        r = rng >> FREQ_BITS
        low += s * r
        rng = fr * r
        while rng < _TOP:
            rng <<= 8
            if low < 0xFF000000 or low > _MASK32:
                carry = low >> 32
                append((cache + carry) & 0xFF)
                if pending > 1:
                    out.extend(bytes([(0xFF + carry) & 0xFF]) * (pending - 1))
                pending = 0
                cache = (low >> 24) & 0xFF
            pending += 1
            low = (low & _MASK24) << 8
    enc = _Encoder()
    enc.low, enc.range, enc.cache, enc.pending, enc.out = low, rng, cache, pending, out
    return enc.finish()


def encode(symbols, model) -> bytes:
    """Arithmetic-code ``symbols`` (ints in [0, K)) with ``model``: an (n, K) or (K,) array of probabilities,
    or a callable ``model(prefix) -> (K,) probabilities``. Returns the compressed bytes."""
    if _is_callable(model):
        return _encode_callable(symbols, model)
    x, q = _array_inputs(symbols, model)
    _check_zero_probabilities(q, x)
    return _encode_array(x, q)


def _is_callable(model) -> bool:
    return callable(model) and not hasattr(model, "__array__") and not hasattr(model, "numpy")


def _encode_callable(symbols, model: Callable) -> bytes:
    x = as_class_indices(symbols, "symbols", np.iinfo(np.int64).max)
    if x.ndim != 1:
        raise ValueError(f"symbols must be a 1-D sequence (got shape {x.shape})")
    enc = _Encoder()
    for i in range(x.size):
        row = _check_step(model(x[:i]), i)
        k = row.shape[0]
        if x[i] >= k:
            raise ValueError(f"symbols[{i}] = {int(x[i])} is out of range for the model's {k} outcomes "
                             f"(valid: 0..{k - 1})")
        if row[x[i]] <= 0:
            raise ValueError(f"model gives probability 0 to symbols[{i}] = {int(x[i])}, which occurs: an "
                             f"impossible symbol has no code (its cost -log2 0 is infinite); smooth the model")
        f = _quantise(row)
        s = int(x[i])
        enc.put(int(f[:s].sum()), int(f[s]))
    return enc.finish()


def decode(data, model, n: int) -> np.ndarray:
    """Decode ``n`` symbols from ``data`` (bytes from :func:`encode`) with the same ``model``; int64 array."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes (got {type(data).__name__})")
    n = check_int(n, "n", low=0)
    data = bytes(data)
    is_callable = _is_callable(model)
    if not is_callable:
        q = _rows(_check_array_model(model), n, "symbols to decode (n)")
        cum = np.zeros((n, q.shape[-1] + 1), dtype=np.int64)
        np.cumsum(_quantise(q), axis=-1, out=cum[:, 1:])
    out = np.zeros(n, dtype=np.int64)
    pos = 4
    padded = data + b"\x00" * 4
    code, rng = int.from_bytes(padded[:4], "big"), _MASK32
    size = len(data)
    for i in range(n):
        if is_callable:
            row = _check_step(model(out[:i]), i)
            c = np.zeros(row.shape[0] + 1, dtype=np.int64)
            np.cumsum(_quantise(row), out=c[1:])
        else:
            c = cum[i]
        r = rng >> FREQ_BITS
        value = min(code // r, TOTAL - 1)
        s = int(np.searchsorted(c, value, side="right")) - 1
        lo, hi = int(c[s]), int(c[s + 1])
        out[i] = s
        code -= lo * r
        rng = (hi - lo) * r
        while rng < _TOP:
            byte = data[pos] if pos < size else 0
            pos += 1
            code = ((code << 8) | byte) & _MASK32
            rng <<= 8
    return out
