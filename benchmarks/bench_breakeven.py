"""Benchmark: the batched break-even search against a brute-force scan, on the default scenario.

Run: ``python benchmarks/bench_breakeven.py`` (``--quick``: scan 5 inputs only, one timed run).
The issue's goal: for the default scenario, all inputs and all questions (every third party's
option in every phase, :func:`tertius.breakeven.search`, and every model's forecast of every
issue, :func:`tertius.breakeven.forecast_search`) in under 3 s. Both are timed (the median of
three runs, wall and CPU; the machine may be shared, so CPU time is printed beside the wall).

Baselines, timed in the same process:

* the brute-force scan (:func:`tertius.breakeven.scan`): one game per value in steps of 0.001 of
  the input's range, the scenario rebuilt for each value; its time for all inputs is
  extrapolated from the inputs it ran, and its flip values are compared with the search's
  (within 1 % of the range);
* the same search with every candidate's scenario rebuilt (no direct writes into the war).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from tertius.breakeven import _Evaluator, bracket, forecast_search, scan, search
from tertius.io import load_scenario
from tertius.scenario import Scenario
from tertius.uncertainty import inputs

GOAL_S = 3.0


def timed(work: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """The median wall and CPU seconds of ``runs`` runs, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        out = work()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def rebuilt(s: Scenario) -> None:
    """The search with every candidate's scenario rebuilt and validated (the route before the
    direct writes)."""
    found = [i for i in inputs(s) if i.assumed]
    ev = _Evaluator(s, found, rebuild=True)
    base = ev.base()
    bracket(ev, found, base.astype(float), np.zeros(len(base)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    runs = 1 if args.quick else 3
    s = load_scenario()
    search(s), forecast_search(s)  # warm-up (imports, caches)
    fast, fast_cpu, table = timed(lambda: search(s), runs)
    fore, fore_cpu, forecasts = timed(lambda: forecast_search(s), runs)
    slow, slow_cpu, _ = timed(lambda: rebuilt(s), 1)
    found = [i for i in inputs(s) if i.assumed]
    # the conflict's inputs flip answers; scan them first, then stances
    chosen = sorted(found, key=lambda i: i.path[0] != "conflict")[: 5 if args.quick else 12]
    agree = True
    t = time.perf_counter()
    for inp in chosen:
        width = inp.hi - inp.lo
        ref = scan(s, inp.key, step=width / 1000)
        for q in table["questions"]:
            row = next(r for r in q["inputs"] if r["input"] == inp.key)
            got: list[float | None] = [None, None]
            for f in row["flips"]:
                got[0 if f["at"] < inp.value else 1] = f["at"]
            for side in (0, 1):
                e, g = ref[(q["phase"], q["third_party"])][side], got[side]
                if (e is None) != (g is None) or (e is not None and g is not None and abs(e - g) > 0.01 * width):
                    agree = False
                    print(f"disagree: {inp.key} {q['question']} side {side}: scan {e}, search {g}")
    scanned = time.perf_counter() - t
    brute = scanned / len(chosen) * len(found)
    total = fast + fore
    print(f"default scenario: {len(found)} assumed inputs x {len(table['questions'])} third-party questions; "
          f"{forecasts['inputs']} stance inputs x {len(forecasts['questions'])} forecast questions "
          f"({', '.join(forecasts['models'])})")
    print(f"batched search, third parties' options: {fast:.2f} s wall, {fast_cpu:.2f} s CPU (median of {runs})")
    print(f"batched search, models' forecasts: {fore:.2f} s wall, {fore_cpu:.2f} s CPU (median of {runs})")
    print(f"all inputs and all questions: {total:.2f} s wall, {fast_cpu + fore_cpu:.2f} s CPU "
          f"(goal < {GOAL_S:g} s: {'met' if total < GOAL_S else 'NOT met'})")
    print(f"same search, every candidate's scenario rebuilt: {slow:.2f} s wall, {slow_cpu:.2f} s CPU "
          f"(ratio {slow / fast:.1f}x)")
    print(f"brute-force scan, 1000 steps per range: {scanned:.2f} s for {len(chosen)} inputs, "
          f"{brute:.1f} s for all {len(found)} (extrapolated)")
    print(f"ratio (scan / search): {brute / fast:.0f}x; flip values agree within 1 % of the range: {agree}")


if __name__ == "__main__":
    main()
