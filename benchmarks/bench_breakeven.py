"""Benchmark: the batched break-even search against a brute-force scan, on the default scenario.

Run: ``python benchmarks/bench_breakeven.py`` (``--quick``: scan 5 inputs only). The search
brackets and bisects every assumed input for every question in batched game calls
(:func:`tertius.breakeven.search`); the brute-force scan (:func:`tertius.breakeven.scan`) runs one
game per value in steps of 0.001 of the input's range. The scan's time for all inputs is
extrapolated from the inputs it ran. Prints both times, the ratio, and whether the flip values
agree within 0.01 of the range on the scanned inputs.
"""

from __future__ import annotations

import argparse
import time

from tertius.breakeven import scan, search
from tertius.io import load_scenario
from tertius.uncertainty import inputs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    s = load_scenario()
    search(s)  # warm-up (imports, caches)
    t, cpu = time.perf_counter(), time.process_time()
    table = search(s)
    fast, fast_cpu = time.perf_counter() - t, time.process_time() - cpu
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
    print(f"default scenario: {len(found)} assumed inputs x {len(table['questions'])} questions")
    print(f"batched search (all inputs, all questions): {fast:.2f} s wall, {fast_cpu:.2f} s CPU")
    print(f"brute-force scan, 1000 steps per range: {scanned:.2f} s for {len(chosen)} inputs, "
          f"{brute:.1f} s for all {len(found)} (extrapolated)")
    print(f"ratio (scan / search): {brute / fast:.0f}x; flip values agree within 1 % of the range: {agree}")


if __name__ == "__main__":
    main()
