"""Benchmark: the vectorised bdm model against the plain per-pair implementation.

Run: ``python benchmarks/bench_bdm.py`` (add ``--quick`` for a short run). It
1. times both on the same random issues (seeded), checks they give the same positions, and
   prints the speed ratio;
2. prints a scaling table for 10, 100, 1,000 and 3,000 actors over 10 rounds, with the peak
   memory the model allocates (tracemalloc, which counts numpy's buffers).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import plain_bdm

from tertius.models.bdm import DEFAULTS, bdm_issue


def issue(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 100, n), rng.uniform(0.05, 1.0, n), rng.uniform(0.05, 1.0, n)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def compare(n: int, rounds: int, repeat: int) -> None:
    x, c, s = issue(n, seed=n)
    params = {**DEFAULTS, "rounds": rounds}
    fast = bdm_issue(x, c, s, params).positions
    plain = np.array(plain_bdm.run(x, c, s, rounds))
    diff = float(np.abs(fast - plain).max())
    assert diff < 1e-9, f"positions differ by {diff}"
    moves = int((np.diff(fast, axis=0) != 0).sum())
    assert moves > 0, "nobody moved: the comparison would be empty"
    t_fast = best_of(lambda: bdm_issue(x, c, s, params), repeat)
    t_plain = best_of(lambda: plain_bdm.run(x, c, s, rounds), 1)
    print(f"{n:>6} actors, {rounds:>2} rounds | plain {t_plain:9.3f} s | tertius {t_fast:8.4f} s | "
          f"ratio {t_plain / t_fast:8.1f}x | max position difference {diff:.1e} over {moves} moves")


def scaling(sizes: list[int], rounds: int) -> None:
    print(f"\nscaling, {rounds} rounds (one issue; time is the best of 3 below 1,000 actors)")
    print(f"{'actors':>7} | {'time (s)':>9} | {'per round (s)':>13} | {'peak memory (MiB)':>17}")
    for n in sizes:
        x, c, s = issue(n, seed=n)
        params = {**DEFAULTS, "rounds": rounds}
        t = best_of(lambda: bdm_issue(x, c, s, params), 3 if n < 1000 else 1)
        tracemalloc.start()
        bdm_issue(x, c, s, params)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"{n:>7} | {t:9.3f} | {t / rounds:13.4f} | {peak:17.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = ap.parse_args()
    print("bdm: vectorised tertius model vs the plain per-pair Python implementation (same equations)")
    compare(10, 10, repeat=20)
    if args.quick:
        compare(40, 2, repeat=5)
        scaling([10, 100], 10)
        return
    compare(100, 2, repeat=5)
    scaling([10, 100, 1000, 3000], 10)


if __name__ == "__main__":
    main()
