"""Benchmark: tertius' exchange model against Decide's (decide-exchange-model 2025.3.1).

Run: ``python benchmarks/bench_exchange.py`` (``--skip-large`` leaves out the 50 x 20 synthetic
case, which takes Decide about two minutes for one round). The first run builds a Python 3.13
virtual environment in ``benchmarks/.decide-venv`` (pyenv's 3.13, or ``python3.13`` on PATH,
or ``$DECIDE_PYTHON``) and installs ``decide-exchange-model==2025.3.1`` into it from PyPI.

Both tools are timed on model time only (no file output), in the same run: round 1 and 10
rounds on CoP21, Copenhagen and the 2012 Dutch election, and one round of the 50 x 20
synthetic set; tertius also 10 rounds of it. It prints both times and the tertius/decide ratio.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tertius.io import load_scenario
from tertius.models import run_model
from tertius.models.exchange import warm

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("TERTIUS_SHARED", HERE.parent.parent / "shared")) / "data" / "decide"
VENV = HERE / ".decide-venv"


def python313() -> str:
    for candidate in [os.environ.get("DECIDE_PYTHON"),
                      *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13"))),
                      shutil.which("python3.13")]:
        if candidate and Path(candidate).exists() and subprocess.run(
                [candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    sys.exit("Python 3.13 not found: set DECIDE_PYTHON to a python3.13 interpreter")


def decide_python() -> str:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([python313(), "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "decide-exchange-model==2025.3.1"], check=True)
    return str(py)


def tertius_time(path: Path, rounds: int) -> float:
    """Model time in a warm process: with the ``fast`` extra the compiled round loop is loaded
    first (a one-shot small run in a fresh process takes the numpy loop instead, since loading
    numba costs more than it saves there: ``tertius.models.exchange.COMPILE_FROM``)."""
    warm()
    scenario = load_scenario(path)
    t = time.perf_counter()
    run_model(scenario, "exchange", {"rounds": rounds})
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    jobs = [(DATA / "input" / f, r) for f in ("cop21.csv", "copenhagen.csv", "verkiezing_2012.csv") for r in (1, 10)]
    if not args.skip_large:
        jobs.append((DATA / "synthetic" / "syn_50x20.csv", 1))
    out = subprocess.run([decide_python(), str(HERE / "decide_runner.py"),
                          json.dumps([[str(p), r] for p, r in jobs])], check=True, capture_output=True, text=True)
    decide = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'data set':<22} {'rounds':>6} {'decide s':>9} {'tertius s':>10} {'ratio':>8}")
    for (path, rounds), d in zip(jobs, decide, strict=True):
        t = min(tertius_time(path, rounds) for _ in range(3))
        print(f"{path.name:<22} {rounds:>6} {d:9.3f} {t:10.4f} {d / t:7.1f}x")
    t = tertius_time(DATA / "synthetic" / "syn_50x20.csv", 10)
    print(f"tertius alone: syn_50x20.csv, 10 rounds: {t:.2f} s")


if __name__ == "__main__":
    main()
