"""Every speed benchmark in one process tree: one table, ``benchmarks/results.json``, and a guard.

Run: ``python benchmarks/run_all.py`` (``--quick``: smaller work, a few minutes, for CI;
``--check``: exit 1 when a ratio falls below half of its goal). Each case runs in a child
process of its own (``--case NAME``), so its peak RSS (``resource``, the kernel's maximum
resident set, not tracemalloc) is its own; a ratio compares two pieces of work timed in the
same child, one after the other. Absolute times are printed against their goals but only the
ratios are checked: the machine is shared and its absolute times are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_bdm import best_of as _best  # noqa: E402

Row = dict[str, Any]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- cases: each returns rows; it runs in a child process ---------------------------------------

def case_bdm_plain(quick: bool) -> list[Row]:
    import numpy as np
    import plain_bdm

    from tertius.models.bdm import DEFAULTS, bdm_issue
    n, rounds = (40, 2) if quick else (100, 2)
    rng = np.random.default_rng(n)
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1.0, n), rng.uniform(0.05, 1.0, n)
    params = {**DEFAULTS, "rounds": rounds}
    fast = bdm_issue(x, c, s, params).positions
    assert float(np.abs(fast - np.array(plain_bdm.run(x, c, s, rounds))).max()) < 1e-9
    t = _best(lambda: bdm_issue(x, c, s, params), 5)
    base = _best(lambda: plain_bdm.run(x, c, s, rounds), 1)
    return [{"work": f"bdm, {n} actors x {rounds} rounds", "time_s": t, "baseline": "plain per-pair Python",
             "baseline_s": base, "ratio": base / t, "goal_ratio": None}]


def case_bdm_scale(quick: bool, n: int) -> list[Row]:
    """One issue of n actors, 10 rounds, on the kernel ``TERTIUS_KERNEL`` chooses (unset: ``auto``'s,
    the C kernel when it was built, else the numpy path), against the numpy path timed after it
    in this child. The first call (20 actors) is timed apart: imports and the kernel's load
    (``load_s``; the C kernel is compiled at install, nothing at run time); the peak RSS of this fresh process
    is read before the baseline runs."""
    import numpy as np

    from tertius.models import bdm_kernel
    from tertius.models.bdm import DEFAULTS, bdm_issue
    rng = np.random.default_rng(n)
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1.0, n), rng.uniform(0.05, 1.0, n)
    params = {**DEFAULTS, "rounds": 10}
    kernel = bdm_kernel.name(bdm_kernel.choose(actors=n))
    t0 = time.perf_counter()
    bdm_issue(x[:20], c[:20], s[:20], params, kernel=kernel)
    load = time.perf_counter() - t0
    before = _rss_mib()
    repeat = 3 if n <= 1000 else 1
    fast = bdm_issue(x, c, s, params, kernel=kernel).positions
    t = _best(lambda: bdm_issue(x, c, s, params, kernel=kernel), repeat)
    rss = _rss_mib()
    plain = bdm_issue(x, c, s, params, kernel="numpy").positions
    base = _best(lambda: bdm_issue(x, c, s, params, kernel="numpy"), repeat)
    diff = float(np.abs(fast - plain).max())
    assert diff <= 1e-9 * np.ptp(x), f"the kernel's positions differ from numpy's by {diff}"
    goal_s, goal_mib = {1000: (0.2, None), 3000: (2.0, 100.0)}.get(n, (None, None))
    if kernel != "numpy":
        kernel += f", {bdm_kernel.threads()} threads"
    return [{"work": f"bdm, {n:,} actors x 10 rounds ({kernel})", "time_s": t, "peak_rss_mib": rss,
             "rss_before_mib": before, "load_s": load, "kernel": kernel, "baseline": "numpy path",
             "baseline_s": base, "ratio": base / t, "goal_ratio": None, "goal_s": goal_s, "goal_mib": goal_mib,
             "max_difference": diff}]


def case_bdm_threads(quick: bool) -> list[Row]:
    """The compiled kernel ``auto`` chooses (C, when built) on every thread it may use
    (``bdm_kernel.threads``) against one thread, one after the other in this child, 1,000 actors x
    10 rounds (300 with --quick): the same bytes, and the ratio. CPU time is the sum over threads."""
    import numpy as np

    from tertius.models import bdm_kernel
    from tertius.models.bdm import DEFAULTS, bdm_issue
    n = 300 if quick else 1000
    jit = bdm_kernel.choose(actors=n)
    if jit is None:
        return [{"work": "bdm kernel, threads", "skipped": "no compiled kernel (the C extension was not built)"}]
    kernel = bdm_kernel.name(jit)
    rng = np.random.default_rng(n)
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1.0, n), rng.uniform(0.05, 1.0, n)
    params = {**DEFAULTS, "rounds": 10}
    count = bdm_kernel.threads()
    runs = {}
    for threads in (count, 1):
        bdm_kernel._THREADS = threads
        bdm_issue(x[:300], c[:300], s[:300], params, kernel=kernel)  # the first call (pool, pages) out of the timing
        out = bdm_issue(x, c, s, params, kernel=kernel).positions
        cpu = time.process_time()
        runs[threads] = (_best(lambda: bdm_issue(x, c, s, params, kernel=kernel), 3), out,
                         (time.process_time() - cpu) / 3)
    bdm_kernel._THREADS = None
    assert np.array_equal(runs[count][1], runs[1][1]), "the kernel's bytes depend on the threads"
    return [{"work": f"bdm kernel ({kernel}), {n:,} actors x 10 rounds, {count} threads (CPU {runs[count][2]:.3f} s)",
             "time_s": runs[count][0], "baseline": f"1 thread (CPU {runs[1][2]:.3f} s)", "baseline_s": runs[1][0],
             "ratio": runs[1][0] / runs[count][0], "goal_ratio": None}]


def case_bdm_load(quick: bool) -> list[Row]:
    """The C kernel's start (``TERTIUS_KERNEL=c``): the first bdm calls of a fresh process (20
    actors, then a batch of 3 draws), imports included; no compile step at run time (the kernel is
    built at install). Baseline: the same calls on the numpy path in another fresh process, timed
    one after the other; each the best of 3 (2 with --quick) processes."""
    import importlib.util
    if importlib.util.find_spec("tertius.models._bdm_c") is None:
        return [{"work": "bdm C kernel start", "skipped": "the C extension was not built"}]
    code = ("import time; t = time.perf_counter(); import numpy as np; "
            "from tertius.models.bdm import DEFAULTS, bdm_issue, bdm_batch_issue; "
            "x = np.linspace(0, 100, 20); bdm_issue(x, x / 100 + 0.1, x / 200 + 0.2, DEFAULTS, kernel='{k}'); "
            "X = np.tile(x, (3, 1)); bdm_batch_issue(X, X / 100 + 0.1, X / 200 + 0.2, DEFAULTS, kernel='{k}'); "
            "print(time.perf_counter() - t)")

    def start(kernel: str) -> float:
        return min(float(subprocess.run([sys.executable, "-c", code.replace("{k}", kernel)], check=True,
                                        capture_output=True, text=True).stdout.split()[-1])
                   for _ in range(2 if quick else 3))
    c_start, numpy_start = start("c"), start("numpy")
    return [{"work": "bdm C kernel start (first calls, imports included)", "time_s": c_start,
             "baseline": "the same on the numpy path", "baseline_s": numpy_start, "ratio": numpy_start / c_start,
             "goal_ratio": None}]


def case_bdm_stored(quick: bool) -> list[Row]:
    """One of the forecast intervals' bdm draws at the goal's size, on the numpy path: the blocked round reading its
    powers from the stored (n, n) weighted utilities, against recomputing them per block
    (``STORE_MAX_ACTORS = 0``, the form before), timed one after the other; the same bits."""
    import numpy as np

    from tertius.models import bdm as B
    n = 300 if quick else 600
    rng = np.random.default_rng(n)
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1.0, n), rng.uniform(0.05, 1.0, n)
    keep = B.STORE_MAX_ACTORS
    stored = B.bdm_issue(x, c, s, B.DEFAULTS, kernel="numpy").positions
    t = _best(lambda: B.bdm_issue(x, c, s, B.DEFAULTS, kernel="numpy"), 3)
    try:
        B.STORE_MAX_ACTORS = 0
        assert np.array_equal(B.bdm_issue(x, c, s, B.DEFAULTS, kernel="numpy").positions, stored)
        base = _best(lambda: B.bdm_issue(x, c, s, B.DEFAULTS, kernel="numpy"), 3)
    finally:
        B.STORE_MAX_ACTORS = keep
    return [{"work": f"bdm, {n} actors x 10 rounds (one interval draw of an issue)", "time_s": t,
             "baseline": "powers recomputed per block", "baseline_s": base, "ratio": base / t, "goal_ratio": None,
             "peak_rss_mib": _rss_mib()}]


#: Both sides of the exchange rows take the minimum of this many runs (Decide in its own process,
#: before tertius), the usual statistic for a timing on a shared machine: one slow run of either
#: moved the Copenhagen ratio by a third (82.8x and 121.9x in two runs at c64f067, Decide timed once).
EXCHANGE_REPEAT = 5


def case_exchange(quick: bool) -> list[Row]:
    import bench_exchange as bx
    try:
        py = bx.decide_python()
    except (SystemExit, subprocess.CalledProcessError, OSError) as exc:
        return [{"work": "exchange vs Decide", "skipped": f"Decide could not be installed: {exc}"}]
    names = ("copenhagen.csv",) if quick else ("copenhagen.csv", "verkiezing_2012.csv", "cop21.csv")
    rounds = 1 if quick else 10
    repeat = 1 if quick else EXCHANGE_REPEAT
    jobs = [(bx.DATA / "input" / f, rounds) for f in names]
    out = subprocess.run([py, str(HERE / "decide_runner.py"), json.dumps([[str(p), r] for p, r in jobs]),
                          str(repeat)], check=True, capture_output=True, text=True)
    decide = json.loads(out.stdout.strip().splitlines()[-1])
    rows = []
    for (path, r), d in zip(jobs, decide, strict=True):
        t = min(bx.tertius_time(path, r) for _ in range(max(repeat, 3)))
        rows.append({"work": f"exchange, {path.stem}, {r} round(s)", "time_s": t, "baseline": "Decide 2025.3.1",
                     "baseline_s": d, "ratio": d / t, "goal_ratio": 100.0})
    return rows


def case_sweep(quick: bool) -> list[Row]:
    import numpy as np

    from tertius.io import load_scenario
    from tertius.models import run_model
    from tertius.sweeps import SweepJob, chunk_seed, run_chunk
    from tertius.sweeps.perturb import apply, draw
    n, chunk = (20_000, 10_000) if quick else (100_000, 10_000)
    s = load_scenario("second-opium-war")
    spec = s.perturbation
    assert spec is not None
    job = SweepJob(scenario=s, model="compromise", params={}, spec=spec, seed=0, n=n, chunk_size=chunk)
    import pandas  # noqa: F401  (imported where a table is first built: a one-time cost, kept off the clock)
    t = time.perf_counter()
    tables = [run_chunk(job, i)["table"] for i in range(job.chunks)]
    t_vec = time.perf_counter() - t
    vec = np.concatenate([tb["outcome"].to_numpy() for tb in tables]).reshape(n, -1)
    # the loop: the single-run model once per draw, on the very same draws (a sample of them when quick)
    per = min(chunk, 1_000 if quick else chunk)
    t = time.perf_counter()
    loop, done = [], 0
    for i in range(job.chunks):
        size = min(chunk, n - i * chunk)
        b = draw(s, spec, np.random.default_rng(chunk_seed(0, i)), size)
        for d in range(min(size, per)):
            loop.append(run_model(apply(s, b["position"][d], b["salience"][d], b["capability"][d]),
                                  "compromise").outcome)
            done += 1
    t_loop = (time.perf_counter() - t) * n / done
    rows = [vec[i * chunk:i * chunk + per] for i in range(job.chunks)]
    diff = float(np.max(np.abs(np.concatenate(rows) - np.array(loop))))
    assert diff < 1e-9, diff
    return [{"work": f"sweep compromise, {n:,} draws", "time_s": t_vec, "baseline": "one run per draw"
             + ("" if per == chunk else f" (timed on {done:,}, scaled)"), "baseline_s": t_loop,
             "ratio": t_loop / t_vec, "goal_ratio": 60.0, "goal_s": 0.7 if n == 100_000 else None}]


def case_workers(quick: bool) -> list[Row]:
    from tertius.io import load_scenario
    from tertius.scenario import Perturbation
    from tertius.sweeps import sweep
    n, chunk = (1_000, 250) if quick else (10_000, 1_000)  # an even number of chunks: 2 workers can halve it
    s = load_scenario("eu-emissions-1994")
    spec = Perturbation(position=1.0, salience=0.2, capability=0.25)
    times = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            sweep(s, "bdm", n=n, seed=0, perturbation=spec, out=Path(tmp), engine="processes", workers=workers,
                  chunk_size=chunk, broker=False)
            times[workers] = time.perf_counter() - t
    return [{"work": f"bdm sweep, {n:,} draws, 2 worker processes", "time_s": times[2],
             "baseline": "1 worker process", "baseline_s": times[1], "ratio": times[1] / times[2],
             "goal_ratio": 1.8}]


def _cli(args: list[str]) -> tuple[float, float, int]:
    """Run the tertius command in a child process: (seconds, its peak RSS in MiB, exit status)."""
    return _cli_usage(args)[:3]


def _cli_usage(args: list[str]) -> tuple[float, float, int, float]:
    """:func:`_cli`, and the child's CPU time (user + sys seconds), which the machine's load
    changes far less than its wall-clock time."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from tertius.cli import main; main()", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def case_run600(quick: bool) -> list[Row]:
    from scale_scenario import scale_scenario
    actors = 200 if quick else 600
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.json"
        path.write_text(json.dumps(scale_scenario(actors, 3, 0)))
        t, rss, rc = _cli(["run", str(path), "--out", str(Path(tmp) / "out")])
    assert rc == 0, f"tertius run exited {rc}"
    return [{"work": f"tertius run, {actors} actors x 3 issues", "time_s": t, "peak_rss_mib": rss,
             "goal_s": 3.0 if actors == 600 else None, "goal_mib": 400.0 if actors == 600 else None}]


def case_broker520(quick: bool) -> list[Row]:
    """``tertius broker`` at the default draws on a synthetic conflict: 520 actors (4 on each
    side, 52 third parties, the rest named by no side) on 3 issues; quick: 130 actors, 13 third
    parties (benchmarks/scale_scenario.py)."""
    from scale_scenario import add_conflict, scale_scenario
    actors, third = (130, 13) if quick else (520, 52)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "conflict.json"
        path.write_text(json.dumps(add_conflict(scale_scenario(actors, 3, 0), third, 4, 0)))
        t, rss, rc, cpu = _cli_usage(["broker", str(path), "--format", "json"])
    assert rc == 0, f"tertius broker exited {rc}"
    return [{"work": f"tertius broker, {actors} actors, {third} third parties", "time_s": t, "cpu_s": cpu,
             "peak_rss_mib": rss, "goal_s": 10.0 if actors == 520 else None}]


def case_validate(quick: bool) -> list[Row]:
    from scale_disputes import TABLE, scale_disputes
    times = 2 if quick else 20
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "disputes.csv"
        rows = scale_disputes(TABLE, path, times)
        base, _, rc0 = _cli(["validate", str(TABLE)])
        t, rss, rc = _cli(["validate", str(path)])
    assert rc0 == 0 and rc == 0, f"tertius validate exited {rc0}, {rc}"
    return [{"work": f"tertius validate, disputes x{times} ({rows:,} rows)", "time_s": t, "peak_rss_mib": rss,
             "baseline": f"training table's time x{times}", "baseline_s": base * times, "ratio": base * times / t,
             "goal_ratio": None, "goal_s": 30.0 if times == 20 else None, "goal_mib": 1024.0 if times == 20 else None}]


def case_qre(quick: bool) -> list[Row]:
    import bench_qre
    row = bench_qre.run(quick)
    del row["line"]
    return [{**row, "goal_ratio": 5.0}]


CASES: dict[str, Callable[[bool], list[Row]]] = {
    "bdm_plain": case_bdm_plain,
    "bdm_1000": lambda q: case_bdm_scale(q, 300 if q else 1000),
    "bdm_3000": lambda q: [] if q else case_bdm_scale(q, 3000),
    "bdm_stored": case_bdm_stored,
    "bdm_threads": case_bdm_threads,
    "bdm_load": case_bdm_load,
    "exchange": case_exchange,
    "sweep": case_sweep,
    "workers": case_workers,
    "run600": case_run600,
    "broker520": case_broker520,
    "validate": case_validate,
    "qre": case_qre,
}


# --- parent: run every case in a child, print the table, write results.json ---------------------

def _fmt(v: Any, spec: str) -> str:
    return "" if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller work, for CI")
    ap.add_argument("--check", action="store_true", help="exit 1 when a ratio is below half of its goal")
    ap.add_argument("--only", nargs="*", metavar="CASE",
                    help=f"run these cases only (a prefix such as bdm runs bdm_*): {', '.join(CASES)}")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:  # child
        print(json.dumps(CASES[args.case](args.quick)))
        return
    names = [c for c in CASES if not args.only or any(c == o or c.startswith(o + "_") for o in args.only)]
    if not names:
        ap.error(f"--only {' '.join(args.only)}: no such case (cases: {', '.join(CASES)})")
    rows: list[Row] = []
    for name in names:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--case", name] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            rows.append({"case": name, "work": name, "error": proc.stderr.strip().splitlines()[-1:]})
            continue
        rows += [{"case": name, **r} for r in json.loads(proc.stdout.strip().splitlines()[-1])]
    print(f"{'work':<46} {'time s':>8} {'RSS MiB':>8} {'baseline':<34} {'base s':>8} {'ratio':>8} {'goal':>14}")
    failed = []
    for r in rows:
        goal = (f">= {r['goal_ratio']:g}x" if r.get("goal_ratio") else
                ", ".join(f"<= {r[k]:g} {unit}" for k, unit in (("goal_s", "s"), ("goal_mib", "MiB")) if r.get(k)))
        if "error" in r or "skipped" in r:
            print(f"{r['work']:<46} {r.get('error') or r.get('skipped')}")
            if "error" in r:
                failed.append(f"{r['work']}: failed")
            continue
        print(f"{r['work']:<46} {r['time_s']:8.3f} {_fmt(r.get('peak_rss_mib'), '8.0f'):>8} "
              f"{r.get('baseline', ''):<34} {_fmt(r.get('baseline_s'), '8.3f'):>8} "
              f"{_fmt(r.get('ratio'), '7.1f') + ('x' if r.get('ratio') else ''):>8} {goal:>14}")
        if r.get("goal_ratio") and r["ratio"] < r["goal_ratio"] / 2:
            failed.append(f"{r['work']}: ratio {r['ratio']:.1f}x is below half of its goal {r['goal_ratio']:g}x")
    meta = {"quick": args.quick, "python": sys.version.split()[0], "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "commit": _commit()}
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    print(f"results: {args.out}")
    if failed:
        print("\n".join(["below half of the goal:", *failed]), file=sys.stderr)
        if args.check:
            sys.exit(1)


def _commit() -> str | None:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return proc.stdout.strip() or None


if __name__ == "__main__":
    main()
