"""Every benchmark script imports against the current package: a moved function (such as
``war_draws``, which left ``tertius.uncertainty``) breaks the script here, not in the next
hand-run of ``benchmarks/run_all.py``. Importing runs no benchmark (each has a ``__main__`` guard
or only defines functions)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
#: runs inside Decide's own Python environment (benchmarks/bench_exchange.py makes it), not ours
OTHER_PYTHON = {"decide_runner"}
SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("*.py") if p.stem not in OTHER_PYTHON)


def test_the_benchmarks_folder_is_found():
    assert {"run_all", "bench_bdm", "bench_qre", "bench_sweep"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_benchmark_script_imports(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    before = set(sys.modules)
    try:
        module = importlib.import_module(name)
        assert module.__file__ is not None and Path(module.__file__).parent == BENCHMARKS
    finally:
        for added in set(sys.modules) - before:
            if added in SCRIPTS:
                del sys.modules[added]
