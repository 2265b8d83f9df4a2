"""The compiled kernels' own source, run as Python.

numba compiles ``tertius.models._bdm_jit`` and the exchange model's ``_table``, ``_greedy`` and
``_effects`` to machine code,
which neither a debugger nor the coverage measurement can follow. Here the same source runs as
plain Python (numba's ``DISABLE_JIT`` while the module is loaded; the exchange kernels called directly) on
small issues and is compared with the numpy path, so every line of the kernels is exercised and
checked, not only their compiled form (tests/test_bdm_kernel.py and tests/test_exchange.py compare
the compiled form)."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

import numpy as np
import pytest

from tertius.io import load_scenario
from tertius.models import bdm as B
from tertius.models import bdm_kernel, run_model
from tertius.models import exchange as ex
from tests.conftest import DECIDE_INPUT, need

numba = pytest.importorskip("numba", reason="the kernels need the 'fast' extra (pip install 'tertius[fast]')")


@pytest.fixture(scope="module")
def python_bdm_kernel() -> ModuleType:
    """``_bdm_jit`` loaded again under another name with numba's jit switched off: its functions
    are the plain Python ones."""
    path = importlib.util.find_spec("tertius.models._bdm_jit").origin
    spec = importlib.util.spec_from_file_location("tertius.models._bdm_jit_as_python", path)
    module = importlib.util.module_from_spec(spec)
    old = numba.config.DISABLE_JIT
    numba.config.DISABLE_JIT = True
    try:
        spec.loader.exec_module(module)
    finally:
        numba.config.DISABLE_JIT = old
    assert not hasattr(module.round_rows, "py_func")  # plain functions, not dispatchers
    return module


def _issue(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 100, n), 0)  # ties between positions too
    return x, rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)


@pytest.mark.parametrize("form", ["global", "local"])
@pytest.mark.parametrize("blocked,stored", [(False, True), (True, True), (True, False)])
def test_the_bdm_kernels_python_source_gives_the_numpy_trajectory(monkeypatch, python_bdm_kernel, form, blocked, stored):
    n = 24
    monkeypatch.setattr(bdm_kernel, "compiled", lambda kind="numba": python_bdm_kernel)
    monkeypatch.setattr(B, "ROW_BLOCK", 7 if blocked else B.ROW_BLOCK)  # several blocks of rows
    monkeypatch.setattr(B, "WHOLE_MAX_ACTORS", 8 if blocked else B.WHOLE_MAX_ACTORS)
    monkeypatch.setattr(B, "KERNEL_BLOCK", 4 if blocked else B.KERNEL_BLOCK)  # several blocks and chunks of rows
    monkeypatch.setattr(B, "KERNEL_CHUNK", 8 if blocked else B.KERNEL_CHUNK)
    monkeypatch.setattr(B, "KERNEL_STORE_MAX_ACTORS", n if stored else n - 1)
    x, c, s = _issue(n, 3)
    params = {**B.DEFAULTS, "rounds": 3, "form": form}
    kernel = B.bdm_issue(x, c, s, params, kernel="numba")
    plain = B.bdm_issue(x, c, s, params, kernel="numpy")
    assert int((np.diff(plain.positions, axis=0) != 0).sum()) > n  # actors moved: the comparison is not empty
    np.testing.assert_allclose(kernel.positions, plain.positions, rtol=0, atol=1e-9 * np.ptp(x))
    np.testing.assert_array_equal(kernel.partners, plain.partners)
    monkeypatch.setattr(bdm_kernel, "threads", lambda jit: 2)  # the ``*_parallel`` names: the same source
    parallel = B.bdm_issue(x, c, s, params, kernel="numba")
    np.testing.assert_array_equal(parallel.positions, kernel.positions)


def test_the_bdm_batch_kernels_python_source_gives_the_numpy_batch(monkeypatch, python_bdm_kernel):
    monkeypatch.setattr(bdm_kernel, "compiled", lambda kind="numba": python_bdm_kernel)
    draws = [_issue(12, seed) for seed in range(3)]
    x, c, s = (np.stack([d[k] for d in draws]) for k in range(3))
    params = {**B.DEFAULTS, "rounds": 3}
    kernel = B.bdm_batch_issue(x, c, s, params, kernel="numba")
    plain = B.bdm_batch_issue(x, c, s, params, kernel="numpy")
    for a, b in zip(kernel, plain, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * 100)


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
