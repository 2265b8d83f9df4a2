"""The compiled bdm kernel (C, built from ``_bdm_c.pyx`` at install) against the numpy path, and
the choice between them (numba's kernel was removed: ``TERTIUS_KERNEL=numba`` is refused).

The kernel runs the same equations (Bueno de Mesquita 1994; Scholz, Calbert & Smith 2011) with
the per-pair terms fused; its sums run in another order than numpy's (sequential instead of
pairwise or BLAS), so they agree with it to rounding, not to the bit: the tolerance is 1e-9 of the
scale range for positions and 1e-9 for risk exponents, as between the numpy path's blocked and
whole-array rounds (tests/test_bdm.py). The tests of the kernel (``kind``) skip where this
install lacks the extension; the reference tests (tests/test_bdm_reference.py) run on both paths.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.errors import InputError
from tertius.io import load_scenario
from tertius.models import MODELS, bdm_kernel, run_model
from tertius.models import bdm as B
from tertius.scenario import Perturbation
from tertius.sweeps.perturb import draw


def _built() -> bool:
    """Whether this install has the C kernel (the extension built at install)."""
    return importlib.util.find_spec("tertius.models._bdm_c") is not None


#: The compiled kernel, skipped where this install lacks it.
KINDS = [pytest.param("c", marks=pytest.mark.skipif(not _built(), reason="no C kernel in this install"))]

_POSITIONS = st.one_of(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=60),
    st.lists(st.integers(0, 10).map(float), min_size=1, max_size=60),  # many actors on few positions
    st.lists(st.sampled_from([0.0, 1e-7, 2e-7, 50.0, 50.0 + 1e-6, 100.0]), min_size=1, max_size=60),  # clusters
)
_VARIANTS = (st.sampled_from(["global", "local"]), st.sampled_from(["scholz", "neutral"]),
             st.sampled_from(["scholz", "nearest"]), st.booleans())


def _params(form: str, risk: str, offers: str, status_quo: bool, **more: object) -> dict:
    params = {**B.DEFAULTS, "probability": form, "risk": risk, "offers": offers, **more}
    if status_quo:
        params.update(q=0.6, t=0.3)
    return params


@pytest.mark.parametrize("kind", KINDS)
@given(_POSITIONS, st.integers(0, 2**32 - 1), *_VARIANTS, st.booleans())
@settings(max_examples=150, deadline=None)
def test_the_kernel_round_equals_the_numpy_round(kind, xs, seed, form, risk, offers, status_quo, stored):
    """One round, stored or recomputed utilities, against the numpy path's whole-array round."""
    xs = np.sort(np.array(xs))
    rng = np.random.default_rng(seed)
    ws, ss = rng.uniform(0.01, 1, xs.size), rng.uniform(0.05, 1, xs.size)
    R = float(np.ptp(xs)) or 1.0
    params = _params(form, risk, offers, status_quo)
    median = float(np.median(xs))
    numpy_round = B._whole_round(xs, ws, ss, R, median, params)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(B, "KERNEL_STORE_MAX_ACTORS", 10**6 if stored else 0)
        mp.setattr(B, "KERNEL_BLOCK", 4)  # several blocks and chunks of rows, so the running sums carry over
        mp.setattr(B, "KERNEL_CHUNK", 8)
        kernel_round = B._kernel_round(bdm_kernel.compiled(), xs, ws, ss, R, median, params)
    np.testing.assert_allclose(kernel_round[2], numpy_round[2], rtol=0, atol=1e-9)  # risk exponents
    np.testing.assert_allclose(kernel_round[0], numpy_round[0], rtol=0, atol=1e-9 * R)  # new positions
    moved = np.abs(numpy_round[0] - xs) > 1e-9 * R
    np.testing.assert_array_equal(kernel_round[1][moved], numpy_round[1][moved])  # the partners accepted


@pytest.mark.parametrize("kind", KINDS)
@given(st.integers(2, 40), st.integers(0, 2**32 - 1), *_VARIANTS)
@settings(max_examples=60, deadline=None)
def test_the_kernel_trajectory_equals_the_numpy_trajectory(kind, n, seed, form, risk, offers, status_quo):
    rng = np.random.default_rng(seed)
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
    params = _params(form, risk, offers, status_quo, rounds=6)
    fast = B.bdm_issue(x, c, s, params, kernel=kind)
    plain = B.bdm_issue(x, c, s, params, kernel="numpy")
    np.testing.assert_allclose(fast.positions, plain.positions, rtol=0, atol=1e-9 * np.ptp(x))
    np.testing.assert_allclose(fast.risk, plain.risk, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.partners, plain.partners)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stored", [True, False])
def test_a_large_issue_gives_the_numpy_trajectory(monkeypatch, stored, kind):
    rng = np.random.default_rng(11)
    n = 300  # above WHOLE_MAX_ACTORS: the numpy path runs in blocks, the kernel in 5 blocks of rows
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
    params = {**B.DEFAULTS, "rounds": 4}
    monkeypatch.setattr(B, "KERNEL_STORE_MAX_ACTORS", n if stored else n - 1)
    fast = B.bdm_issue(x, c, s, params, kernel=kind)
    plain = B.bdm_issue(x, c, s, params, kernel="numpy")
    assert int((np.diff(plain.positions, axis=0) != 0).sum()) > n  # the comparison is not empty
    np.testing.assert_allclose(fast.positions, plain.positions, rtol=0, atol=1e-9 * np.ptp(x))
    np.testing.assert_array_equal(fast.partners, plain.partners)


def _threads(mp: pytest.MonkeyPatch, count: int, kind: str) -> None:
    mp.setattr(bdm_kernel, "_THREADS", count)


@pytest.mark.parametrize("kind", KINDS)
@given(_POSITIONS, st.integers(0, 2**32 - 1), *_VARIANTS, st.booleans())
@settings(max_examples=60, deadline=None)
def test_one_thread_and_two_give_the_same_bytes(kind, xs, seed, form, risk, offers, status_quo, stored):
    """The parallel functions on two threads and the serial ones: every row by one thread from
    inputs that do not depend on the split, every sum across blocks in block order."""
    xs = np.sort(np.array(xs))
    rng = np.random.default_rng(seed)
    ws, ss = rng.uniform(0.01, 1, xs.size), rng.uniform(0.05, 1, xs.size)
    R = float(np.ptp(xs)) or 1.0
    params = _params(form, risk, offers, status_quo)
    rounds = []
    for count in (1, 2):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(B, "KERNEL_STORE_MAX_ACTORS", 10**6 if stored else 0)
            mp.setattr(B, "KERNEL_BLOCK", 4)
            mp.setattr(B, "KERNEL_CHUNK", 16)  # 4 blocks a chunk, 2 above KERNEL_STORE_MAX_ACTORS
            _threads(mp, count, kind)
            rounds.append(B._kernel_round(bdm_kernel.compiled(), xs, ws, ss, R, float(np.median(xs)), params))
    for a, b in zip(*rounds, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_a_large_unstored_issue_gives_the_same_bytes_on_one_thread_and_two(monkeypatch, kind):
    rng = np.random.default_rng(5)
    n = 2500  # above KERNEL_STORE_MAX_ACTORS: each block of rows starts its running sums from checkpoints
    assert n > B.KERNEL_STORE_MAX_ACTORS
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
    params = {**B.DEFAULTS, "rounds": 2}
    runs = []
    for count in (1, 2):
        _threads(monkeypatch, count, kind)
        runs.append(B.bdm_issue(x, c, s, params, kernel=kind))
    assert int((np.diff(runs[0].positions, axis=0) != 0).sum()) > n // 10  # actors moved
    np.testing.assert_array_equal(runs[0].positions, runs[1].positions)
    np.testing.assert_array_equal(runs[0].risk, runs[1].risk)
    np.testing.assert_array_equal(runs[0].partners, runs[1].partners)


@pytest.mark.parametrize("kind", KINDS)
def test_the_thread_count_comes_from_the_environment(monkeypatch, kind):
    monkeypatch.setattr(bdm_kernel, "_THREADS", None)
    monkeypatch.setenv("TERTIUS_THREADS", "1")
    assert bdm_kernel.threads() == 1
    monkeypatch.setenv("TERTIUS_THREADS", "64")
    assert bdm_kernel.threads() == 64
    monkeypatch.delenv("TERTIUS_THREADS")
    assert bdm_kernel.threads() == len(os.sched_getaffinity(0))
    for bad in ("two", "0", "-1", "1.5"):
        monkeypatch.setenv("TERTIUS_THREADS", bad)
        with pytest.raises(InputError) as e:
            bdm_kernel.threads()
        assert "TERTIUS_THREADS" in str(e.value) and "\n" not in str(e.value)
    monkeypatch.setenv("TERTIUS_THREADS", "2")
    bdm_kernel.one_thread()  # a sweep's worker process: one thread whatever the environment says
    assert bdm_kernel.threads() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_second_caller_runs_the_serial_functions_while_the_parallel_ones_are_busy(monkeypatch, kind):
    jit = bdm_kernel.compiled()
    monkeypatch.setattr(bdm_kernel, "threads", lambda: 2)
    def bound(run, name):  # the function the look-up gives, and the thread count bound to it
        f = run(name)
        return f.func, f.args

    with bdm_kernel.functions(jit) as (first, parts):
        assert bound(first, "row_blocks") == (jit.row_blocks, (2,)) and parts == 2
        with bdm_kernel.functions(jit) as (second, parts):  # another thread of the process, in effect
            assert bound(second, "row_blocks") == (jit.row_blocks, (1,)) and parts == 1
    with bdm_kernel.functions(jit) as (again, parts):
        assert bound(again, "row_blocks") == (jit.row_blocks, (2,)) and parts == 2
    monkeypatch.setattr(bdm_kernel, "threads", lambda: 1)
    with bdm_kernel.functions(jit) as (single, parts):
        assert bound(single, "row_blocks") == (jit.row_blocks, (1,)) and parts == 1


@pytest.mark.parametrize("kind", KINDS)
@given(st.integers(0, 2**32 - 1), *_VARIANTS, st.sampled_from(["last", "cycle"]))
@settings(max_examples=25, deadline=None)
def test_the_batch_kernel_equals_the_numpy_batch(kind, seed, form, risk, offers, status_quo, settle):
    s = load_scenario()
    b = draw(s, Perturbation(position=5), np.random.default_rng(seed), 9)
    params = MODELS["bdm"].params(_params(form, risk, offers, status_quo, rounds=7, settle=settle))
    fast = B.bdm_batch(s, b["position"], b["salience"], b["capability"], params, kernel=kind)
    plain = B.bdm_batch(s, b["position"], b["salience"], b["capability"], params, kernel="numpy")
    np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-9 * 100)


@pytest.mark.parametrize("kind", KINDS)
def test_the_model_takes_the_kernel_from_the_environment(monkeypatch, kind):
    s = load_scenario("eu-emissions-1994")
    calls = []
    real = B._kernel_round

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(B, "_kernel_round", counted)
    monkeypatch.setenv("TERTIUS_KERNEL", "numpy")
    plain = run_model(s, "bdm").outcome
    assert not calls
    monkeypatch.setenv("TERTIUS_KERNEL", kind)
    fast = run_model(s, "bdm").outcome
    assert len(calls) == 10
    np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-9)
    calls.clear()
    monkeypatch.delenv("TERTIUS_KERNEL")
    assert np.array_equal(run_model(s, "bdm").outcome, plain)  # auto: a small issue stays on numpy
    assert not calls


def _without(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if this install lacked the C kernel (``bdm_kernel.compiled`` says None)."""
    monkeypatch.setattr(bdm_kernel, "compiled", lambda: None)


def test_a_bad_kernel_name_or_a_missing_kernel_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv("TERTIUS_KERNEL", "fast")
    with pytest.raises(InputError) as err:
        run_model(load_scenario(), "bdm")
    assert "TERTIUS_KERNEL='fast'" in str(err.value) and "\n" not in str(err.value)
    for name in ("numba", "jit", "C"):  # numba's kernel was removed; names are case-sensitive
        with pytest.raises(InputError) as err:
            bdm_kernel.choose(name)
        text = str(err.value)
        assert f"TERTIUS_KERNEL={name!r}" in text and "auto, c, numpy" in text and "\n" not in text
    _without(monkeypatch)
    assert bdm_kernel.choose("auto") is None  # no kernel: the numpy path
    with pytest.raises(InputError) as err:
        bdm_kernel.choose("c")
    assert "TERTIUS_KERNEL=c" in str(err.value) and "pip install -e ." in str(err.value)
    assert "C compiler" in str(err.value) and "\n" not in str(err.value)


def test_a_missing_c_extension_falls_back_to_numpy(monkeypatch):
    """The extension's import fails (not built, or built for another Python): ``auto`` takes
    the numpy path, and ``c`` is refused in one line."""
    import tertius.models

    for module in ("_bdm_c", "_bdm_cblocks"):  # imported before: forgotten
        monkeypatch.delitem(sys.modules, f"tertius.models.{module}", raising=False)
        monkeypatch.delattr(tertius.models, module, raising=False)
    monkeypatch.setitem(sys.modules, "tertius.models._bdm_c", None)  # its import raises ImportError
    bdm_kernel.compiled.cache_clear()
    try:
        assert bdm_kernel.compiled() is None
        fallback = bdm_kernel.choose("auto", actors=bdm_kernel.KERNEL_FROM)
        assert fallback is None and bdm_kernel.name(fallback) == "numpy"
        with pytest.raises(InputError, match="pip install -e"):
            bdm_kernel.choose("c")
        rng = np.random.default_rng(3)
        n = bdm_kernel.KERNEL_FROM
        x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
        params = {**B.DEFAULTS, "rounds": 2}
        plain = B.bdm_issue(x, c, s, params, kernel="numpy").positions
        np.testing.assert_allclose(B.bdm_issue(x, c, s, params).positions, plain, rtol=0, atol=1e-9 * np.ptp(x))
    finally:
        bdm_kernel.compiled.cache_clear()


def test_the_kernels_have_names():
    assert bdm_kernel.name(None) == "numpy"
    if _built():
        assert bdm_kernel.name(bdm_kernel.compiled()) == "c"


@pytest.mark.parametrize("variable,value,more", [
    ("TERTIUS_KERNEL", "fast", {}),
    ("TERTIUS_KERNEL", "numba", {}),  # numba's kernel was removed
    *[pytest.param("TERTIUS_THREADS", "all", {"TERTIUS_KERNEL": kind.values[0]}, marks=kind.marks)
      for kind in KINDS],  # a kernel, which reads it, on the small example
])
def test_the_command_refuses_a_bad_kernel_name_or_thread_count_in_one_line(monkeypatch, variable, value, more):
    from typer.testing import CliRunner

    from tertius.cli import app

    monkeypatch.setattr(bdm_kernel, "_THREADS", None)
    for name, setting in {**more, variable: value}.items():
        monkeypatch.setenv(name, setting)
    result = CliRunner().invoke(app, ["forecast", "-m", "bdm"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and variable in lines[0]
    assert "Traceback" not in result.output


def test_without_a_compiled_kernel_auto_runs_the_numpy_path_bit_for_bit(monkeypatch):
    s = load_scenario()
    monkeypatch.delenv("TERTIUS_KERNEL", raising=False)
    _without(monkeypatch)  # as if the C kernel were not in this install
    missing = run_model(s, "bdm")
    monkeypatch.setenv("TERTIUS_KERNEL", "numpy")
    plain = run_model(s, "bdm")
    np.testing.assert_array_equal(missing.outcome, plain.outcome)
    for a, b in zip(missing.rounds, plain.rounds, strict=True):
        np.testing.assert_array_equal(a, b)


def test_auto_decides_by_the_issues_size_alone(monkeypatch):
    monkeypatch.delenv("TERTIUS_KERNEL", raising=False)
    assert bdm_kernel.choose(actors=bdm_kernel.KERNEL_FROM - 1) is None  # a small issue: numpy
    large = bdm_kernel.choose(actors=bdm_kernel.KERNEL_FROM)  # a large one: C when built, else numpy
    assert large is bdm_kernel.compiled()
    if _built():
        assert bdm_kernel.name(large) == "c"
        assert bdm_kernel.name(bdm_kernel.choose("c", actors=17)) == "c"  # unless asked
        monkeypatch.setenv("TERTIUS_KERNEL", "c")
        assert bdm_kernel.name(bdm_kernel.choose(actors=17)) == "c"
    monkeypatch.setenv("TERTIUS_KERNEL", "numpy")
    assert bdm_kernel.choose(actors=5000) is None


@pytest.mark.parametrize("kind", KINDS)
def test_auto_runs_a_large_issue_on_the_kernel_whatever_the_process_loaded(monkeypatch, kind):
    """The same issue gives the same bytes under auto as on the kernel asked for by name."""
    rng = np.random.default_rng(5)
    n = bdm_kernel.KERNEL_FROM
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
    params = {**B.DEFAULTS, "rounds": 3}
    monkeypatch.delenv("TERTIUS_KERNEL", raising=False)
    bdm_kernel.compiled()  # loaded before
    auto = B.bdm_issue(x, c, s, params)
    chosen = bdm_kernel.name(bdm_kernel.compiled())
    np.testing.assert_array_equal(auto.positions, B.bdm_issue(x, c, s, params, kernel=chosen).positions)
    small = B.bdm_issue(x[:20], c[:20], s[:20], params)
    np.testing.assert_array_equal(small.positions, B.bdm_issue(x[:20], c[:20], s[:20], params, kernel="numpy").positions)


@pytest.mark.skipif(not _built(), reason="no C kernel in this install")
def test_a_large_issue_on_the_c_kernel_loads_neither_numba_nor_llvm(monkeypatch):
    """The point of the C kernel: a large issue under ``auto`` runs compiled without numba's
    import (about 96 MiB of memory, llvmlite's LLVM most of it), in a fresh process."""
    monkeypatch.delenv("TERTIUS_KERNEL", raising=False)
    code = ("import sys, numpy as np\n"
            "from tertius.models import bdm_kernel\n"
            "from tertius.models.bdm import DEFAULTS, bdm_issue\n"
            "n = bdm_kernel.KERNEL_FROM\n"
            "x = np.linspace(0, 100, n)\n"
            "bdm_issue(x, x / 100 + 0.1, x / 200 + 0.2, {**DEFAULTS, 'rounds': 2})\n"
            "print(bdm_kernel.name(bdm_kernel.choose(actors=n)), 'numba' in sys.modules, 'llvmlite' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-3:] == ["c", "False", "False"]


def test_a_sweep_of_small_issues_does_not_import_numba(monkeypatch):
    """A sweep's worker process would pay numba's import for nothing."""
    monkeypatch.delenv("TERTIUS_KERNEL", raising=False)
    code = ("import sys, numpy as np\n"
            "from tertius.io import load_scenario\n"
            "from tertius.models import MODELS\n"
            "from tertius.scenario import Perturbation\n"
            "from tertius.sweeps.perturb import draw\n"
            "s = load_scenario('eu-emissions-1994')\n"
            "b = draw(s, Perturbation(position=1.0), np.random.default_rng(0), 4)\n"
            "MODELS['bdm'].batch(s, b['position'], b['salience'], b['capability'], MODELS['bdm'].params({}))\n"
            "print('numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False"


def _forked_run(x, c, s, one_thread, kind, out):  # a forked child: the kernel after the parent's threads ran
    if one_thread:
        bdm_kernel.one_thread()
    out.put(B.bdm_issue(x, c, s, {**B.DEFAULTS, "rounds": 2}, kernel=kind).positions)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("one_thread", [True, False])
def test_a_process_forked_after_a_parallel_round_runs_the_kernel(monkeypatch, one_thread, kind):
    """A sweep's workers are forked (Linux): after the parent ran the parallel functions, a child
    runs the kernel, serial (a worker) or parallel, without hanging, to the same bytes."""
    _threads(monkeypatch, 2, kind)
    rng = np.random.default_rng(2)
    n = 260
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
    here = B.bdm_issue(x, c, s, {**B.DEFAULTS, "rounds": 2}, kernel=kind).positions
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_forked_run, args=(x, c, s, one_thread, kind, out))
    child.start()
    there = out.get(timeout=120)
    child.join(timeout=30)
    assert child.exitcode == 0
    np.testing.assert_array_equal(there, here)


def test_the_pool_of_the_numpy_part_is_kept_per_process_and_count():
    first = bdm_kernel.pool(2)
    assert bdm_kernel.pool(2) is first
    assert bdm_kernel.pool(3) is not first
