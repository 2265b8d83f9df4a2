"""The exchange model's compiled kernels' own source, run as Python.

numba compiles the exchange model's ``_table``, ``_greedy`` and ``_effects`` to machine code,
which neither a debugger nor the coverage measurement can follow. Here the same source runs as
plain Python (the kernels called directly) on small runs and is compared with the numpy path, so
every line of the kernels is exercised and checked, not only their compiled form
(tests/test_exchange.py compares the compiled form). bdm's numba kernel, which was run here too,
was removed (its C translation, tests/test_bdm_kernel.py, runs instead)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tertius.io import load_scenario
from tertius.models import exchange as ex
from tertius.models import run_model
from tests.conftest import DECIDE_INPUT, need

numba = pytest.importorskip("numba", reason="the kernels need the 'fast' extra (pip install 'tertius[fast]')")


@pytest.mark.parametrize("ties", ["first", "random"])
def test_the_exchange_loops_python_source_gives_the_numpy_loops_bytes(monkeypatch, ties):
    """``_table``, ``_greedy`` and ``_effects`` as Python, in the place of their compiled forms:
    the same doubles as the numpy round (the candidates, their order and indices, the
    exchanges, the externalities)."""
    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    params = {"rounds": 2, "ties": ties}
    monkeypatch.setattr(ex, "COMPILE_FROM", 0)
    monkeypatch.setattr(ex, "_kernel", lambda: ex.Kernel(ex._table, ex._greedy, ex._effects))
    loop = run_model(s, "exchange", params, seed=2)
    monkeypatch.setattr(ex, "_kernel", lambda: None)
    plain = run_model(s, "exchange", params, seed=2)
    assert sum(len(r) for r in plain.details["exchanges"]) > 10
    assert json.dumps(loop.to_dict()) == json.dumps(plain.to_dict())


def _exchanges(n: int, m: int, count: int, seed: int) -> tuple[np.ndarray, ...]:
    """A round's state and ``count`` realised exchanges (rows as ``ex.RECORD``) on n actors."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 100, (n, m)), 0)  # actors on the outcome too
    s = rng.uniform(0, 1, (n, m))
    present = rng.random((n, m)) < 0.9
    x, s = np.where(present, x, 0.0), np.where(present, s, 0.0)
    O = np.round(rng.uniform(0, 100, m), 0)
    rec = np.zeros((count, len(ex.RECORD)))
    for e in range(count):
        rec[e, :2] = rng.choice(n, 2, replace=False)
        rec[e, 2:4] = np.sort(rng.choice(m, 2, replace=False))
    rec[:, 4:] = rng.uniform(0, 100, (count, len(ex.RECORD) - 4))
    return rec, x, s, O, present


@pytest.mark.parametrize("n", [3, 7, 8, 9, 130, 300, 1031])
@pytest.mark.parametrize("maps", [True, False])
@pytest.mark.parametrize("compiled", [False, True])
def test_the_externality_kernel_gives_numpys_doubles(n, maps, compiled):
    """``_effects`` (as Python and compiled) against the numpy ``_with_externalities``: every
    effect, class total and exchange total the same double, on rows of every length the pairwise
    sum treats apart (under 8, up to 128, halved above)."""
    kernel = ex._kernel() if compiled else ex.Kernel(ex._table, ex._greedy, ex._effects)
    rec, x, s, O, present = _exchanges(n, 3, 40, n)
    plain, plain_actor = ex._with_externalities(rec, x, s, O, present, maps)
    fast, fast_actor = ex._with_externalities(rec, x, s, O, present, maps, kernel)
    assert fast_actor.tobytes() == plain_actor.tobytes()
    assert fast.total.tobytes() == plain.total.tobytes()
    assert np.any(plain_actor[:, 1:] != 0) and np.any(plain.total != 0)
    for name in ("third", "effect", "inner"):
        a, b = getattr(fast, name), getattr(plain, name)
        assert (a is None) == (b is None) == (not maps)
        if maps:
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_the_externality_kernel_without_exchanges():
    rec, x, s, O, present = _exchanges(5, 2, 0, 1)
    kernel = ex.Kernel(ex._table, ex._greedy, ex._effects)
    for maps in (True, False):
        plain, plain_actor = ex._with_externalities(rec, x, s, O, present, maps)
        fast, fast_actor = ex._with_externalities(rec, x, s, O, present, maps, kernel)
        assert fast_actor.tobytes() == plain_actor.tobytes() and len(fast) == len(plain) == 0
        assert (fast.third is None) == (plain.third is None)
        if maps:
            assert fast.third.shape == plain.third.shape == (0, 5)
