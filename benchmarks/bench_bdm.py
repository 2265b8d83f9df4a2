"""Benchmark: the bdm model, against two baselines measured in the same run.

Run: ``python benchmarks/bench_bdm.py`` (add ``--quick`` for a short run). The model runs on the
kernel that ``TERTIUS_KERNEL`` chooses (unset: the C kernel when it was built, else the numpy
path; set it to ``numpy`` for the numpy path), the compiled one on ``TERTIUS_THREADS`` threads
(default: every CPU the process may use; the lines say which kernel and how many). It
1. times the model against the plain per-pair implementation (``plain_bdm``) on small issues,
   checks they give the same positions, and prints the speed ratio;
2. times the compiled kernel against the numpy path, one after the other in this process,
   checks they give the same positions to 1e-9 of the range, and prints the ratio (skipped
   without a compiled kernel);
3. times the numpy path's round in blocks (what it runs above ``WHOLE_MAX_ACTORS`` actors)
   against its round with whole (n, n) arrays (the form before blocking, still in the module),
   one after the other in this process, checks they give the same positions, and prints the
   ratio;
4. prints a scaling table for 10 to 3,000 actors over 10 rounds, each size in a child process
   of its own: the time, the peak RSS of that process (``resource``, what the kernel counts)
   and the peak that tracemalloc sees (numpy's buffers; not the C kernel's own malloc scratch).

The machine these numbers come from may be shared: absolute times are noisy, the ratios less so.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import plain_bdm

from tertius.models import bdm as bdm_module
from tertius.models import bdm_kernel
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


def kernel_vs_numpy(n: int, rounds: int) -> None:
    jit = bdm_kernel.choose(actors=max(n, bdm_kernel.KERNEL_FROM))
    if jit is None:
        print(f"{n:>6} actors: no compiled kernel to compare (the C extension was not built)")
        return
    kernel = bdm_kernel.name(jit)
    x, c, s = issue(n, seed=n)
    params = {**DEFAULTS, "rounds": rounds}
    bdm_issue(x[:20], c[:20], s[:20], params, kernel=kernel)  # the first call (imports, pool) out of the timing
    t = time.perf_counter()
    fast = bdm_issue(x, c, s, params, kernel=kernel)
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    plain = bdm_issue(x, c, s, params, kernel="numpy")
    t_plain = time.perf_counter() - t
    diff = float(np.abs(fast.positions - plain.positions).max())
    assert diff <= 1e-9 * np.ptp(x), f"positions differ by {diff}"
    threads = bdm_kernel.threads()
    print(f"{n:>6} actors, {rounds:>2} rounds | numpy {t_plain:8.3f} s | {kernel} kernel, {threads} threads {t_fast:8.3f} s | "
          f"ratio {t_plain / t_fast:5.2f}x | max position difference {diff:.1e}")


def whole_issue(x: np.ndarray, c: np.ndarray, s: np.ndarray, params: dict) -> bdm_module.Trajectory:
    """``bdm_issue`` on the numpy path with the whole-array round at every size."""
    keep = bdm_module.WHOLE_MAX_ACTORS
    bdm_module.WHOLE_MAX_ACTORS = x.size
    try:
        return bdm_issue(x, c, s, params, kernel="numpy")
    finally:
        bdm_module.WHOLE_MAX_ACTORS = keep


def blocks_vs_whole(n: int, rounds: int) -> None:
    x, c, s = issue(n, seed=n)
    params = {**DEFAULTS, "rounds": rounds}
    t = time.perf_counter()
    blocked = bdm_issue(x, c, s, params, kernel="numpy")
    t_blocked = time.perf_counter() - t
    t = time.perf_counter()
    whole = whole_issue(x, c, s, params)
    t_whole = time.perf_counter() - t
    diff = float(np.abs(blocked.positions - whole.positions).max())
    assert diff < 1e-9, f"positions differ by {diff}"
    print(f"{n:>6} actors, {rounds:>2} rounds | whole arrays {t_whole:8.3f} s | blocks {t_blocked:8.3f} s | "
          f"ratio {t_whole / t_blocked:5.2f}x | max position difference {diff:.1e}")


def measure(n: int, rounds: int) -> dict[str, float]:
    """One size, in this (child) process: time, peak RSS above the start, tracemalloc peak."""
    x, c, s = issue(n, seed=n)
    params = {**DEFAULTS, "rounds": rounds}
    bdm_issue(x[:20], c[:20], s[:20], params)  # imports and first calls out of the timing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = best_of(lambda: bdm_issue(x, c, s, params), 3 if n < 1000 else 1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    bdm_issue(x, c, s, params)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"time_s": t, "rss_mib": rss, "rss_before_mib": before, "traced_mib": traced}


def scaling(sizes: list[int], rounds: int) -> None:
    print(f"\nscaling, {rounds} rounds (one issue; time is the best of 3 below 1,000 actors; each size in a "
          "child process)")
    print(f"{'actors':>7} | {'time (s)':>9} | {'per round (s)':>13} | {'peak RSS (MiB)':>14} | "
          f"{'of which before':>15} | {'tracemalloc (MiB)':>17}")
    for n in sizes:
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", str(n), str(rounds)],
                             check=True, capture_output=True, text=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{n:>7} | {m['time_s']:9.3f} | {m['time_s'] / rounds:13.4f} | {m['rss_mib']:14.1f} | "
              f"{m['rss_before_mib']:15.1f} | {m['traced_mib']:17.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    ap.add_argument("--measure", nargs=2, type=int, metavar=("ACTORS", "ROUNDS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    print("bdm: vectorised tertius model vs the plain per-pair Python implementation (same equations)")
    compare(10, 10, repeat=20)
    if args.quick:
        scaling([10, 100, 400], 10)
        compare(40, 2, repeat=5)
        print("\nbdm: the compiled kernel vs the numpy path (same equations)")
        kernel_vs_numpy(400, 3)
        print("\nbdm, numpy path: the round in blocks vs the round with whole (n, n) arrays (same equations)")
        blocks_vs_whole(400, 3)
        return
    scaling([10, 100, 1000, 3000], 10)  # first: a child starts with its parent's peak RSS (Linux keeps it over exec)
    compare(100, 2, repeat=5)
    print("\nbdm: the compiled kernel vs the numpy path (same equations)")
    kernel_vs_numpy(1000, 10)
    kernel_vs_numpy(3000, 2)
    print("\nbdm, numpy path: the round in blocks vs the round with whole (n, n) arrays (same equations)")
    blocks_vs_whole(1000, 10)
    blocks_vs_whole(3000, 2)


if __name__ == "__main__":
    main()
