"""nash's conic programme, given to Clarabel in its standard form
(tertius.models.nash._maximise_nash_product): hand-solvable cases, the constraints and the optimum
against random feasible points (hypothesis), what happens when Clarabel fails, and the same
optimum as the programme written in cvxpy (the form it replaced; cvxpy is a test dependency only)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.io import bundled_scenarios, load_scenario
from tertius.models import nash as N

#: How close an outcome comes to the exact optimum, in points of a 0-100 scale. The Nash product is
#: flat at its peak, so Clarabel's gap of 1e-12 in the log product leaves the outcome a little off:
#: against a bounded scalar search on 200 random one-issue cases (2-8 actors), off by a median of
#: 1e-6 points, 2e-6 at the 90th percentile, 5e-4 at most (cvxpy's form: 1e-6, 3e-6, 2e-4); by 6e-5
#: in the two-actor case of test_when_clarabel_fails_the_max_min_gain_point_stands.
TOL = 1e-4


def _cvxpy_form(x: np.ndarray, w: np.ndarray, C: dict[int, float], weights: list[float], gainers: list[int],
                holders: list[int], lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
    """The form before: one cvxpy expression per actor, solved by cvxpy's Clarabel interface with
    the same tolerances."""
    o = cp.Variable(x.shape[1])

    def gain(a: int) -> Any:
        cols = np.nonzero(w[a] > 0)[0]
        return C[a] - w[a, cols] @ cp.abs(x[a, cols] - o[cols])

    problem = cp.Problem(cp.Maximize(sum(wt * cp.log(gain(a)) for wt, a in zip(weights, gainers, strict=True))),
                         [o >= lo, o <= hi] + [gain(a) >= 0 for a in holders])
    with warnings.catch_warnings():  # OPTIMAL_INACCURATE is accepted below, without a warning
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver=cp.CLARABEL, **N.CLARABEL_SETTINGS)
    return np.asarray(o.value, dtype=float) if problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) else None


def _gains(pos: np.ndarray, sal: np.ndarray, lo: np.ndarray, hi: np.ndarray, sq: np.ndarray,
           outcome: np.ndarray) -> np.ndarray:
    """Each actor's gain over disagreement at ``outcome``: Σ_i w_ai (|x_ai − d_ai| − |x_ai − o_i|)."""
    w = sal / (hi - lo)[None, :]
    d = N.disagreement_positions(pos, lo, hi, sq)
    return (w * np.abs(pos - d)).sum(1) - (w * np.abs(pos - outcome[None, :])).sum(1)


def _log_nash_product(pos: np.ndarray, sal: np.ndarray, cap: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                      sq: np.ndarray, outcome: np.ndarray, held: list[int]) -> float:
    """Σ_a c_a log(gain_a) over the bargaining actors, at the outcome (−inf where one gains nothing)."""
    gain = _gains(pos, sal, lo, hi, sq, outcome)
    bargain = [a for a in range(len(cap)) if a not in held and (sal[a] > 0).any()]
    c = cap[bargain] / cap[bargain].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(c * np.log(gain[bargain]))) if np.all(gain[bargain] > 0) else -np.inf


@st.composite
def bargains(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n, m = draw(st.integers(2, 7)), draw(st.integers(1, 3))
    grid = st.integers(0, 20).map(lambda k: 5.0 * k)
    pos = np.array(draw(st.lists(st.lists(grid, min_size=m, max_size=m), min_size=n, max_size=n)))
    sal = np.array(draw(st.lists(st.lists(st.sampled_from([0.0, 0.2, 0.5, 1.0]), min_size=m, max_size=m),
                                 min_size=n, max_size=n)))
    cap = np.array(draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 5.0]), min_size=n, max_size=n)))
    sq = np.array(draw(st.lists(st.one_of(st.just(np.nan), grid), min_size=m, max_size=m)))
    return pos, sal, cap, np.zeros(m), np.full(m, 100.0), sq


def test_two_interior_actors_split_by_their_weights() -> None:
    """By hand: A at 20 and B at 60 on [0, 100], weight 1/100 each, no status quo, so A's
    disagreement is 100 (C_A = 0.8) and B's is 0 (C_B = 0.6). On [20, 60] the gains are
    (100 − o)/100 and o/100, and max c_A log g_A + c_B log g_B gives o = 100 c_B / (c_A + c_B):
    40 for weights (0.6, 0.4); outside [20, 60] both gains fall."""
    x, w = np.array([[20.0], [60.0]]), np.full((2, 1), 0.01)
    o = N._maximise_nash_product(x, w, {0: 0.8, 1: 0.6}, [0.6, 0.4], [0, 1], [], np.zeros(1), np.full(1, 100.0))
    assert o is not None and o[0] == pytest.approx(40.0, abs=TOL)


def test_a_holder_caps_the_outcome_by_hand() -> None:
    """The case above with a holder H at 30 whose gain 0.05 − |30 − o|/100 must stay >= 0, so
    o is in [25, 35]: the Nash product is concave in o and peaks at 40, so the solution is 35."""
    x, w = np.array([[20.0], [60.0], [30.0]]), np.full((3, 1), 0.01)
    o = N._maximise_nash_product(x, w, {0: 0.8, 1: 0.6, 2: 0.05}, [0.6, 0.4], [0, 1], [2],
                                 np.zeros(1), np.full(1, 100.0))
    assert o is not None and o[0] == pytest.approx(35.0, abs=TOL)


@settings(max_examples=60, deadline=None)
@given(bargains(), st.lists(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3), min_size=1, max_size=30))
def test_the_solution_is_feasible_and_no_random_feasible_point_beats_it(case: tuple, points: list) -> None:
    """Bounds and the holders' constraints hold at the outcome, every bargaining actor gains, and
    no point of a random set in the box that keeps the holders whole has a higher Nash product
    (beyond the solver's tolerance)."""
    pos, sal, cap, lo, hi, sq = case
    outcome, info = N.nash_bargaining(*case)
    assert np.all(np.isfinite(outcome)) and np.all((lo <= outcome) & (outcome <= hi))
    if not info.get("converged"):
        return
    held = info["held"]
    gain = _gains(*(pos, sal, lo, hi, sq), outcome)
    assert np.all(gain[held] >= -1e-9)
    best = _log_nash_product(*case, outcome, held)
    assert np.isfinite(best)
    m = len(lo)
    for p in points:
        o = lo + np.asarray(p[:m]) * (hi - lo)
        if np.all(_gains(pos, sal, lo, hi, sq, o)[held] >= 0):
            assert _log_nash_product(*case, o, held) <= best + 1e-9


@settings(max_examples=40, deadline=None)
@given(bargains())
def test_the_standard_form_reaches_the_cvxpy_optimum(case: tuple) -> None:
    new, new_info = N.nash_bargaining(*case)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(N, "_maximise_nash_product", _cvxpy_form)
        old, old_info = N.nash_bargaining(*case)
    assert new_info["held"] == old_info["held"] and new_info.get("veto") == old_info.get("veto")
    if new_info.get("converged") and old_info.get("converged"):
        # the optimum's value is unique; where it is flat the outcomes may differ along the flat
        assert _log_nash_product(*case, new, new_info["held"]) == pytest.approx(
            _log_nash_product(*case, old, old_info["held"]), abs=1e-7)


@pytest.mark.parametrize("name", [s for s in bundled_scenarios() if "opium" not in s])
def test_the_bundled_scenarios_agree_with_the_cvxpy_form(name: str) -> None:
    """Every bundled scenario whose Nash solution needs the conic solve (the default scenario's
    does not: nobody can gain there) gives the cvxpy form's outcome to 1e-6 on its scale."""
    arr = load_scenario(name).arrays
    args = (arr.position, arr.salience, arr.capability, arr.lo, arr.hi, arr.status_quo)
    new, info = N.nash_bargaining(*args)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(N, "_maximise_nash_product", _cvxpy_form)
        old, _ = N.nash_bargaining(*args)
    assert info["converged"]
    np.testing.assert_allclose(new, old, rtol=0, atol=1e-6 * float(np.max(arr.hi - arr.lo)))


def test_when_clarabel_fails_the_max_min_gain_point_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    """One interior-point step cannot reach the tolerance: Clarabel stops at MaxIterations, the
    programme returns None, and nash keeps its LP's point, where every actor gains at least the
    largest gain all can get at once (max_min_gain), instead of the Nash solution (75)."""
    pos, sal, cap = np.array([[0.0], [100.0]]), np.array([[0.8], [0.3]]), np.array([1.0, 3.0])
    args = (pos, sal, cap, np.zeros(1), np.full(1, 100.0), np.full(1, np.nan))
    solved, info = N.nash_bargaining(*args)
    assert info["converged"] and solved[0] == pytest.approx(75.0, abs=TOL)
    real = N._solve_conic

    def one_step(q: np.ndarray, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, b: np.ndarray, n_exp: int,
                 options: dict[str, Any]) -> np.ndarray | None:  # the Nash product's programme only, not the LPs
        return real(q, rows, cols, vals, b, n_exp, {**options, "max_iter": 1} if n_exp else options)

    monkeypatch.setattr(N, "_solve_conic", one_step)
    assert N._maximise_nash_product(pos, sal / 100, {0: 0.8, 1: 0.3}, [0.25, 0.75], [0, 1], [],
                                    np.zeros(1), np.full(1, 100.0)) is None
    outcome, info = N.nash_bargaining(*args)
    assert info["converged"] is False and 0.0 <= outcome[0] <= 100.0
    assert np.all(_gains(*args[:2], *args[3:], outcome) >= info["max_min_gain"] - 1e-9)
    assert abs(outcome[0] - 75.0) > 1.0


def test_a_run_imports_neither_cvxpy_nor_scipy_stats_nor_scipy_optimize(tmp_path: Path) -> None:
    """'tertius run' on a scenario whose Nash solution needs the LPs and the conic solve and whose
    intervals use the order-statistic rule: Clarabel and scipy.special are loaded, cvxpy, scipy.stats
    (0.4 s to import) and scipy.optimize (0.2 s) are not."""
    code = ("import sys\nfrom tertius.cli import main\ntry:\n    main()\nfinally:\n"
            "    print(sorted(m for m in ('clarabel', 'cvxpy', 'scipy.optimize', 'scipy.special', 'scipy.stats')"
            " if m in sys.modules), file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code, "run", "honduras-nicaragua", "--out", str(tmp_path / "out"),
                        "--format", "json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "['clarabel', 'scipy.special']"
