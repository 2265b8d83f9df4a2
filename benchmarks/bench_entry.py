"""Benchmark: the order of entry's block of ``tertius validate TABLE --cv 5`` against the plain logit's CV.

Run: ``python benchmarks/bench_entry.py [TABLE ...]`` (default: the shared wars' and disputes'
tables, ``$TERTIUS_SHARED/data`` or ``../shared/data``). For each table it times, in one process
and one after the other, the order of entry (:func:`tertius.conflict.score._order_of_entry`: both
variants in 5 grouped folds, their inner CV, the two whole-table fits) and, as the baseline, the
plain logit's own grouped 5-fold CV with its inner CV (:func:`tertius.conflict.choicemodel.cross_validate`
on the plain design): CPU time (user + system of this process) and wall time, the ratio of the
two CPU times, and the load average beside them. The goal (issue 22, item 4): the block adds
well under 60 s of CPU to validate on the disputes' table.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tertius.conflict import choicemodel as cm
from tertius.conflict.score import _order_of_entry
from tertius.io.thirdparty_table import read_decision_table

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TERTIUS_SHARED", ROOT.parent / "shared")) / "data"
TABLES = (SHARED / "cow-third-party" / "train.csv", SHARED / "mid-third-party" / "train.csv")


def timed(work) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def main(paths: list[Path]) -> None:
    for path in paths:
        layout, cases = read_decision_table(path)
        t_entry = timed(lambda: _order_of_entry(path, layout, cases, 5, 0))
        t_plain = timed(lambda: cm.cross_validate(cm.design(cases), k=5, seed=0))
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{path.parent.name}: order of entry {t_entry[0]:6.1f} s CPU ({t_entry[1]:5.1f} s wall) | plain logit's "
              f"CV {t_plain[0]:6.1f} s CPU ({t_plain[1]:5.1f} s wall) | ratio {t_entry[0] / t_plain[0]:5.2f} | "
              f"load {load} | goal: under 60 s CPU")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or list(TABLES))
