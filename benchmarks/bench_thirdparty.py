"""Benchmark: the third-party game against the option-table loop it replaced, on the same inputs.

Run: ``python benchmarks/bench_thirdparty.py`` (``--quick``: the first 40 disputes only). It times

1. ``tertius broker`` on the default scenario (2 phases, 2 third parties, 1,000 perturbed draws):
   the API call, the whole command in a fresh process (imports included), and the baseline, the
   analysis as of commit a38b1af (``benchmarks/legacy_thirdparty.py``: one option table per third
   party, then a Python loop that evaluates 1,000 perturbed copies one by one, a linear programme
   each);
2. the whole dispute table (``shared/data/mid-third-party/train.csv``: 327 disputes, 11,929 third
   parties) with equilibria and probabilities, against the baseline's option table for every third
   party of every dispute (no game, no probabilities);
3. the same for the war table.

Each line prints both times and the ratio. The goals (issue 10): the dispute table under 60 s and
``tertius broker`` under 2 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import legacy_thirdparty as legacy
from bench_bdm import best_of

from tertius.conflict import broker
from tertius.conflict.choice import fitted
from tertius.conflict.score import predict, solve
from tertius.io import load_scenario
from tertius.io.thirdparty_table import read_decision_table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def default_scenario(draws: int = 1000) -> None:
    s = load_scenario()
    t_new = best_of(lambda: broker(s, draws=draws, seed=0), 3)
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("tertius")), "broker", "--draws", str(draws), "--format",
                    "json"], check=True, capture_output=True)
    t_cli = time.perf_counter() - t

    def old() -> None:
        for phase in s.conflict.phases:
            war = legacy.build_war(s, phase)
            for k, tp in enumerate(phase.third_parties or s.conflict.third_parties):
                legacy.evaluate(war, tp)
                legacy.rank_shares(war, tp, draws, seed=k)

    t_old = best_of(old, 1)
    print(f"broker, default scenario, 2 phases x 2 third parties x {draws} draws: game {t_new:6.2f} s "
          f"(command with imports {t_cli:5.2f} s) | a38b1af loop {t_old:7.2f} s | ratio {t_old / t_new:6.1f}x")


def table(name: str, path: Path, limit: int | None) -> None:
    params = fitted()
    layout, cases = read_decision_table(path, cost=params["cost"])
    cases = cases[:limit] if limit else cases
    rows = sum(len(c.joined) for c in cases)

    def new() -> None:
        predict([solve(c, params["cost"]) for c in cases], params)

    t_new = best_of(new, 1)

    def old() -> None:
        for c in cases:
            war = legacy.build_war(c.scenario)
            for tp in c.joined:
                legacy.evaluate(war, tp)

    t_old = best_of(old, 1)
    print(f"{name}: {len(cases)} {layout}s, {rows} third parties: game with equilibria and probabilities "
          f"{t_new:6.2f} s | a38b1af option tables {t_old:7.2f} s | ratio {t_old / t_new:6.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the first 40 disputes and wars only")
    args = ap.parse_args()
    np.seterr(all="ignore")
    default_scenario()
    limit = 40 if args.quick else None
    table("dispute table", SHARED / "mid-third-party" / "train.csv", limit)
    table("war table", SHARED / "cow-third-party" / "train.csv", limit)


if __name__ == "__main__":
    main()
