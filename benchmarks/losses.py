"""Our NumPy categorical_cross_entropy against torch's F.cross_entropy, side by side in one run.

Forward pass only, float64, index targets, reduction='mean'. Prints the median of several repeats for each
shape and the ratio ours / torch. Goal: within 2x of torch on the same cores.

    python benchmarks/losses.py [--threads 2] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from course_utils.losses import categorical_cross_entropy

SHAPES = [(100_000, 100), (10_000, 1_000)]


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs visible")
    print(f"{'shape':>14} {'ours (ms)':>10} {'torch (ms)':>11} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for n, c in SHAPES:
        logits = rng.normal(scale=3.0, size=(n, c))
        targets = rng.integers(0, c, size=n)
        lt, tt = torch.from_numpy(logits), torch.from_numpy(targets)
        ours_value = categorical_cross_entropy(logits, targets)
        torch_value = F.cross_entropy(lt, tt).item()
        assert abs(ours_value - torch_value) <= 1e-7 * abs(torch_value), (ours_value, torch_value)
        ours = median_seconds(lambda: categorical_cross_entropy(logits, targets), args.repeats)  # noqa: B023
        theirs = median_seconds(lambda: F.cross_entropy(lt, tt), args.repeats)  # noqa: B023
        print(f"{f'{n:,} x {c:,}':>14} {ours * 1e3:10.1f} {theirs * 1e3:11.1f} {ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
