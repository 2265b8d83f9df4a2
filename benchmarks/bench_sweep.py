"""Benchmark: vectorised sweeps against a loop that runs the single-run model once per draw.

Run: ``python benchmarks/bench_sweep.py`` (``--quick`` for a smoke run). For `compromise` on
the default scenario and `bdm` on the EU emission scenario it
1. draws the same perturbed inputs for both paths, checks both give the same numbers, and
   prints the speed ratio (the loop runs on a subset and is timed per draw);
2. times the full target sizes (100,000 compromise draws, 10,000 bdm draws) in-process, with
   the peak memory the sweep allocates (tracemalloc), and with 1 and 2 worker processes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from tertius.io import load_scenario
from tertius.models import MODELS, run_model
from tertius.scenario import Perturbation
from tertius.sweep import SweepJob, run_chunk, sweep
from tertius.sweep.perturb import apply, draw


def compare(scenario_id: str, model: str, spec: Perturbation, n_loop: int) -> float:
    s = load_scenario(scenario_id)
    batch = draw(s, spec, np.random.default_rng(0), n_loop)
    fn = MODELS[model]
    params = fn.params({})
    t_vec = float("inf")
    for _ in range(5):  # best of 5: the vectorised run is short, so timer noise matters
        t = time.perf_counter()
        vec = fn.batch(s, batch["position"], batch["salience"], batch["capability"], params)
        t_vec = min(t_vec, time.perf_counter() - t)
    t = time.perf_counter()
    loop = np.array([run_model(apply(s, batch["position"][d], batch["salience"][d], batch["capability"][d]),
                               model).outcome for d in range(n_loop)])
    t_loop = time.perf_counter() - t
    diff = float(np.max(np.abs(vec - loop)))
    assert diff < 1e-9, diff
    print(f"{model:>10} on {scenario_id:<18} {n_loop:>6} draws | loop {t_loop:8.3f} s | vectorised {t_vec:7.4f} s "
          f"(best of 5) | "
          f"ratio {t_loop / t_vec:7.1f}x | max difference {diff:.1e}")
    return t_loop / n_loop


def full(scenario_id: str, model: str, spec: Perturbation, n: int, chunk: int, per_draw_loop: float) -> None:
    s = load_scenario(scenario_id)
    job = SweepJob(scenario=s, model=model, params={}, spec=spec, seed=0, n=n, chunk_size=chunk)
    t = time.perf_counter()
    for i in range(job.chunks):
        run_chunk(job, i)
    elapsed = time.perf_counter() - t
    tracemalloc.start()
    run_chunk(job, 0)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{model:>10}: {n:>7} draws in-process {elapsed:7.2f} s (chunks of {chunk}; peak {peak:.0f} MiB per chunk; "
          f"the loop would take about {per_draw_loop * n:.0f} s, {per_draw_loop * n / elapsed:.0f}x longer)")
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            sweep(s, model, n=n, seed=0, perturbation=spec, out=Path(tmp), engine="processes", workers=workers,
                  chunk_size=chunk, broker=False)
            print(f"{'':>10}  {workers} worker process(es), whole sweep with Parquet output: "
                  f"{time.perf_counter() - t:7.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    opium = load_scenario("second-opium-war").perturbation
    eu = Perturbation(position=1.0, salience=0.2, capability=0.25)
    print("sweeps: vectorised batch vs one model run per draw (same draws)")
    per_c = compare("second-opium-war", "compromise", opium, 2000 // scale)
    per_b = compare("eu-emissions-1994", "bdm", eu, 500 // scale)
    print()
    full("second-opium-war", "compromise", opium, 100_000 // scale, 10_000, per_c)
    full("eu-emissions-1994", "bdm", eu, 10_000 // scale, 2_000, per_b)


if __name__ == "__main__":
    main()
