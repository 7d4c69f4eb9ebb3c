"""The arithmetic coder's speed and overhead: symbols per second (goal: >= 100,000 a second encoding with the
array form), and the file size against the ideal sum -log2 q(x) and the quantised ideal.

Each case draws n symbols from n random distributions over K outcomes (Dirichlet(α), so the entropy is
text-like for α = 0.1 and K = 90), encodes them with the (n, K) array model, decodes and checks the round
trip. Encoding time includes the validation and the vectorised quantisation. Prints the median of a few
repeats.

    python benchmarks/arithmetic_coding.py [--n 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from course_utils import arithmetic_coding as ac

CASES = [(2, 1.0), (10, 1.0), (90, 0.1), (256, 1.0)]  # (K, Dirichlet α)


def median_seconds(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000, help="symbols per case (default 200,000)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"arithmetic coder, {args.n:,} symbols a case, median of {args.repeats}")
    print(f"{'K':>4} {'α':>4} {'bits/sym':>9} {'encode sym/s':>13} {'decode sym/s':>13} {'bytes':>9} "
          f"{'ideal':>11} {'quantised':>11} {'quant. bits/sym':>15} {'over quantised':>14}")
    for k, alpha in CASES:
        q = rng.dirichlet(np.full(k, alpha), size=args.n)
        q = np.maximum(q, 1e-12)
        q /= q.sum(axis=1, keepdims=True)
        x = np.minimum((np.cumsum(q, axis=1) < rng.random((args.n, 1))).sum(axis=1), k - 1)
        t_enc, code = median_seconds(lambda q=q, x=x: ac.encode(x, q), args.repeats)
        t_dec, back = median_seconds(lambda q=q, code=code: ac.decode(code, q, args.n), 1)
        assert np.array_equal(back, x), "round trip failed"
        ideal, quant = ac.ideal_bits(x, q) / 8, ac.quantised_bits(x, q) / 8
        print(f"{k:>4} {alpha:>4} {8 * ideal / args.n:>9.4f} {args.n / t_enc:>13,.0f} {args.n / t_dec:>13,.0f} "
              f"{len(code):>9,} {ideal:>11,.1f} {quant:>11,.1f} {8 * (quant - ideal) / args.n:>15.6f} "
              f"{len(code) - quant:>+14.1f}")
    m = 5_000
    q = rng.dirichlet(np.full(90, 0.1), size=m)
    x = np.minimum((np.cumsum(q, axis=1) < rng.random((m, 1))).sum(axis=1), 89)
    t_call, _ = median_seconds(lambda: ac.encode(x, lambda prefix: q[len(prefix)]), 1)
    print(f"callable form (one model call a symbol, K = 90): {m / t_call:,.0f} symbols/s encoding")


if __name__ == "__main__":
    main()
