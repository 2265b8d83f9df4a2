"""Benchmark: the vectorised sweep against a loop that runs the single-run model once per draw.

Run: ``python benchmarks/bench_sweep.py`` (``--quick`` for a smoke run; the full run takes
about two minutes, most of it in the loop). For `compromise` on the default scenario (100,000
draws) and `bdm` on the EU emission scenario (10,000 draws, 10 rounds) it
1. runs the sweep in-process (its chunks, batch-evaluated), then the loop over the very same
   draws (same chunk seeds), checks that both give the same numbers, and prints both times
   and the ratio;
2. prints the peak memory of one chunk (tracemalloc) and the whole sweep with 1 and 2
   worker processes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from tertius.io import load_scenario
from tertius.models import run_model
from tertius.scenario import Perturbation
from tertius.sweeps import SweepJob, chunk_seed, run_chunk, sweep
from tertius.sweeps.perturb import apply, draw


def case(scenario_id: str, model: str, spec: Perturbation, n: int, chunk: int) -> None:
    s = load_scenario(scenario_id)
    job = SweepJob(scenario=s, model=model, params={}, spec=spec, seed=0, n=n, chunk_size=chunk)
    import pandas  # noqa: F401  (imported where a table is first built: a one-time cost, kept off the clock)
    t = time.perf_counter()
    tables = [run_chunk(job, i)["table"] for i in range(job.chunks)]
    t_vec = time.perf_counter() - t
    vec = np.concatenate([tb["outcome"].to_numpy() for tb in tables]).reshape(n, -1)
    t = time.perf_counter()
    loop = []
    for i in range(job.chunks):
        size = min(chunk, n - i * chunk)
        b = draw(s, spec, np.random.default_rng(chunk_seed(0, i)), size)
        for d in range(size):
            loop.append(run_model(apply(s, b["position"][d], b["salience"][d], b["capability"][d]), model).outcome)
    t_loop = time.perf_counter() - t
    diff = float(np.max(np.abs(vec - np.array(loop))))
    assert diff < 1e-9, diff
    tracemalloc.start()
    run_chunk(job, 0)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{model:>10} on {scenario_id}, {n} draws: sweep {t_vec:6.2f} s | loop {t_loop:7.2f} s | "
          f"ratio {t_loop / t_vec:5.1f}x | max difference {diff:.1e} | peak {peak:.0f} MiB per chunk of {chunk}")
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            sweep(s, model, n=n, seed=0, perturbation=spec, out=Path(tmp), engine="processes", workers=workers,
                  chunk_size=chunk, broker=False)
            print(f"{'':>10}  {workers} worker process(es), whole sweep with Parquet output: "
                  f"{time.perf_counter() - t:6.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    scale = 20 if args.quick else 1
    print("sweeps: vectorised chunks vs one model run per draw, on the same draws")
    case("second-opium-war", "compromise", load_scenario("second-opium-war").perturbation, 100_000 // scale, 10_000)
    case("eu-emissions-1994", "bdm", Perturbation(position=1.0, salience=0.2, capability=0.25), 10_000 // scale, 2_000)


if __name__ == "__main__":
    main()
