"""Unit tests of the baseline models on hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pytest

from tertius.errors import InputError
from tertius.io import load_scenario
from tertius.models import run_model
from tertius.models.central import weighted_median
from tertius.scenario import Scenario


def one_issue(positions, saliences, capabilities, status_quo=None, lo=0, hi=100) -> Scenario:
    issue = {"id": "x", "scale": {"min": lo, "max": hi}}
    if status_quo is not None:
        issue["status_quo"] = status_quo
    return Scenario.model_validate({
        "id": "t",
        "actors": [{"id": f"a{k}", "capability": c} for k, c in enumerate(capabilities)],
        "issues": [issue],
        "stances": [{"actor": f"a{k}", "issue": "x", "position": p, "salience": s}
                    for k, (p, s) in enumerate(zip(positions, saliences, strict=True))],
    })


def test_compromise_is_the_capability_salience_weighted_mean():
    s = one_issue([0, 100], [1.0, 0.5], [1.0, 2.0])
    # weights 1 and 1 -> 50
    assert run_model(s, "compromise").outcome_of("x") == pytest.approx(50.0)
    s = one_issue([0, 60, 100], [1.0, 1.0, 1.0], [1.0, 2.0, 1.0])
    assert run_model(s, "compromise").outcome_of("x") == pytest.approx((0 + 120 + 100) / 4)


def test_mean_ignores_weights():
    s = one_issue([0, 60, 90], [1.0, 0.1, 0.1], [9.0, 1.0, 1.0])
    assert run_model(s, "mean").outcome_of("x") == pytest.approx(50.0)


def test_weighted_median_picks_the_position_with_half_the_weight():
    s = one_issue([10, 20, 90], [1.0, 1.0, 1.0], [1.0, 1.5, 2.0])
    assert run_model(s, "weighted-median").outcome_of("x") == pytest.approx(20.0)


def test_weighted_median_splits_an_exact_tie_at_the_midpoint():
    x = np.array([[10.0], [30.0], [70.0]])
    w = np.array([[1.0], [1.0], [2.0]])
    assert weighted_median(x, w)[0] == pytest.approx(50.0)


def test_weighted_median_skips_zero_weights_and_batches():
    x = np.array([[[10.0], [30.0], [70.0]], [[0.0], [50.0], [100.0]]])
    w = np.array([[[1.0], [0.0], [2.0]], [[1.0], [1.0], [1.0]]])
    np.testing.assert_allclose(weighted_median(x, w)[:, 0], [70.0, 50.0])


def test_all_zero_saliences_fall_back_to_the_plain_mean():
    s = one_issue([20, 40], [0.0, 0.0], [1.0, 1.0])
    assert run_model(s, "compromise").outcome_of("x") == pytest.approx(30.0)
    assert run_model(s, "weighted-median").outcome_of("x") == pytest.approx(30.0)


def test_nash_without_status_quo_splits_in_proportion_to_bargaining_weight():
    """Two actors at the scale's ends, no status quo: each one's disagreement is its worst
    point, so the gains are s_A(1 - o/100) and s_B o/100, and max c_A log g_A + c_B log g_B
    gives o = 100 c_B / (c_A + c_B) (Kalai 1977: shares proportional to bargaining weights)."""
    s = one_issue([0, 100], [0.8, 0.3], [1.0, 3.0])
    assert run_model(s, "nash").outcome_of("x") == pytest.approx(75.0, abs=1e-4)


def test_nash_trades_across_issues_by_salience():
    """Each actor cares most about a different issue: the Nash solution gives each its way
    there, which the issue-by-issue compromise cannot."""
    s = Scenario.model_validate({
        "id": "trade",
        "actors": [{"id": "a", "capability": 1}, {"id": "b", "capability": 1}],
        "issues": [{"id": "p"}, {"id": "q"}],
        "stances": [
            {"actor": "a", "issue": "p", "position": 0, "salience": 0.9},
            {"actor": "a", "issue": "q", "position": 0, "salience": 0.1},
            {"actor": "b", "issue": "p", "position": 100, "salience": 0.1},
            {"actor": "b", "issue": "q", "position": 100, "salience": 0.9},
        ],
    })
    f = run_model(s, "nash")
    assert f.outcome_of("p") == pytest.approx(0.0, abs=1e-3)
    assert f.outcome_of("q") == pytest.approx(100.0, abs=1e-3)


def test_nash_actor_at_the_status_quo_holds_a_veto():
    s = one_issue([0, 60, 100], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], status_quo=0)
    f = run_model(s, "nash")
    assert f.outcome_of("x") == pytest.approx(0.0, abs=1e-6)
    assert f.details["held_at_disagreement"] == ["a0", "a1", "a2"]


def test_nash_with_status_quo_between_positions_moves_towards_the_weighty():
    s = one_issue([40, 100], [1.0, 1.0], [1.0, 1.0], status_quo=0)
    # Both gain by moving right of 0 until 80 (where actor a0's gain returns to 0).
    # Gains: g0 = 40 - |40 - o|, g1 = o; maximise log g0 + log g1 on [40, 80]: (80 - o) = o -> o = 40.
    f = run_model(s, "nash")
    assert f.outcome_of("x") == pytest.approx(40.0, abs=1e-3)


def _highs_max_min_gain(x: np.ndarray, w: np.ndarray, C: np.ndarray, gainers: list[int], holders: list[int],
                        lo: np.ndarray, hi: np.ndarray) -> float:
    """The LP written afresh, dense, for scipy's HiGHS: max t s.t. C_a - Σ_i w_ai e_ai >= t for the
    gainers and >= 0 for the holders, e_ai >= |x_ai - o_i|, lo <= o <= hi; -inf if infeasible."""
    from scipy.optimize import linprog

    n, m = x.shape
    nv = m + n * m + 1  # o, e (actor-major), t
    rows, b = [], []
    for a in range(n):
        for i in range(m):
            for sign in (1.0, -1.0):  # sign (x - o) <= e
                r = np.zeros(nv)
                r[i], r[m + a * m + i] = sign, -1.0
                rows.append(r)
                b.append(sign * x[a, i])
    for a in gainers + holders:
        r = np.zeros(nv)
        r[m + a * m:m + a * m + m] = w[a]
        r[-1] = 1.0 if a in gainers else 0.0
        rows.append(r)
        b.append(C[a])
    cost = np.zeros(nv)
    cost[-1] = -1.0
    bounds = list(zip(lo, hi, strict=True)) + [(0, None)] * (n * m) + [(None, None)]
    res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(b), bounds=bounds, method="highs")
    return float(res.x[-1]) if res.status == 0 else -np.inf


@pytest.mark.parametrize("status_quo", [None, 0.0, 50.0])
def test_nash_lps_agree_with_highs(status_quo):
    """nash solves its LPs by Clarabel (an interior-point method): the largest gain all can get at
    once, and with a status quo the vetoes (the actors that cannot gain whatever the others get),
    are HiGHS's, from the LP written afresh."""
    from tertius.models import nash as N

    rng = np.random.default_rng(3)
    n = 12
    pos, sal, cap = rng.uniform(0, 100, (n, 2)).round(3), rng.uniform(0.1, 1, (n, 2)).round(3), rng.uniform(0.1, 1, n)
    if status_quo is not None:  # three actors at the first issue's status quo, caring for it alone: vetoes
        pos[:3, 0], sal[:3, 1] = status_quo, 0.0
    lo, hi, sq = np.zeros(2), np.full(2, 100.0), np.array([np.nan if status_quo is None else status_quo, np.nan])
    _, info = N.nash_bargaining(pos, sal, cap, lo, hi, sq)
    w = sal / 100.0
    C = (w * np.abs(pos - N.disagreement_positions(pos, lo, hi, sq))).sum(1)
    everyone = list(range(n))
    t = _highs_max_min_gain(pos, w, C, everyone, [], lo, hi)
    if status_quo is None:
        assert t > 1e-6 and info["max_min_gain"] == pytest.approx(t, abs=1e-9)
    else:
        veto = [a for a in everyone if _highs_max_min_gain(pos, w, C, [a], [], lo, hi) <= 1e-6]
        assert t <= 1e-6 and veto == [0, 1, 2] and info["veto"] == veto
        held = [a for a in everyone if _highs_max_min_gain(pos, w, C, [a], [b for b in everyone if b != a], lo, hi) <= 1e-6]
        assert info["held"] == held == [0, 1, 2]
        gainers = [a for a in everyone if a not in held]
        assert info["max_min_gain"] == pytest.approx(_highs_max_min_gain(pos, w, C, gainers, held, lo, hi), abs=1e-9)


def test_unknown_model_and_parameter_are_user_errors():
    s = one_issue([0, 100], [1, 1], [1, 1])
    with pytest.raises(InputError, match="unknown model"):
        run_model(s, "nope")
    with pytest.raises(InputError, match="has no parameter"):
        run_model(s, "compromise", {"rounds": 3})


def test_forecast_round_trips_through_its_dict_and_makes_a_tidy_frame():
    from tertius.forecast import Forecast
    s = one_issue([0, 60, 100], [1.0, 0.5, 0.2], [1.0, 2.0, 1.0])
    f = run_model(s, "compromise")
    g = Forecast.from_dict(f.to_dict())
    np.testing.assert_allclose(g.outcome, f.outcome)
    np.testing.assert_allclose(g.utility, f.utility)
    frame = f.to_frame(s)
    assert list(frame.columns[:6]) == ["scenario", "model", "issue", "actor", "outcome", "utility"]
    assert len(frame) == 3 and frame["position"].tolist() == [0, 60, 100]


def test_a_new_model_with_rounds_needs_no_edit_outside_its_module(tmp_path):
    """A toy model that moves every actor halfway to the mean each round, registered here: the
    forecast table, the trajectory, the results and the report show it through the generic
    output contract (rounds, line, columns), with no edit in forecast.py, cli.py or report/."""
    import json

    from typer.testing import CliRunner

    from tertius.cli import app
    from tertius.forecast import Column, Forecast, Line, utilities
    from tertius.models.registry import MODELS, register

    def toy(scenario, params, rng):
        arr = scenario.arrays
        x = arr.position.copy()
        snaps, line = [x.copy()], {i: [float(np.nanmean(x[:, k]))] for k, i in enumerate(arr.issue_ids)}
        for _ in range(3):
            x = np.where(np.isnan(x), np.nan, (x + np.nanmean(x, axis=0)) / 2)
            snaps.append(x.copy())
            for k, i in enumerate(arr.issue_ids):
                line[i].append(float(np.nanmean(x[:, k])))
        out = np.nanmean(x, axis=0)
        return Forecast(scenario_id=scenario.id, actor_ids=tuple(arr.actor_ids),
                        issue_ids=tuple(arr.issue_ids), outcome=out, utility=utilities(arr, out), params=params,
                        rounds=tuple(snaps), line=Line("toy mean", line),
                        columns={"first_mean": Column("first mean", {i: v[0] for i, v in line.items()})})

    register("toy-rounds", summary="A toy with rounds.", citation="This test.", tags=("rounds",))(toy)
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["forecast", "-m", "toy-rounds"])
        assert r.exit_code == 0, r.output
        assert "toy mean" in r.stdout and "first mean" in r.stdout and "positions by round" in r.stdout
        r = runner.invoke(app, ["run", "-m", "toy-rounds", "-m", "compromise", "--draws", "0", "--out", str(tmp_path)])
        assert r.exit_code == 0, r.output
        saved = json.loads((tmp_path / "results.json").read_text())
        assert saved["forecasts"]["toy-rounds"]["line"]["label"] == "toy mean"
        assert "first_mean" in saved["forecasts"]["toy-rounds"]["issues"][0]
        report = (tmp_path / "report.html").read_text()
        assert "toy-rounds: positions by round" in report and "toy mean" in report
    finally:
        MODELS.pop("toy-rounds")


def test_shared_runs_give_the_same_forecasts_as_separate_runs():
    from tertius.models.registry import shared_runs

    s = load_scenario()
    alone = {m: run_model(s, m).outcome for m in ("bdm", "nash", "best")}
    with shared_runs():
        together = {m: run_model(s, m).outcome for m in ("bdm", "nash", "best")}
        assert run_model(s, "bdm") is run_model(s, "bdm")  # shared inside the block
    for m in alone:
        np.testing.assert_array_equal(alone[m], together[m])
    assert run_model(s, "bdm") is not run_model(s, "bdm")  # and only there


def test_the_registry_writes_the_model_name_into_the_forecast():
    """A model function leaves ``Forecast.model`` empty; run_model fills in the registered name,
    so one function registered twice gives forecasts under each name."""
    from tertius.models.registry import MODELS, register

    s = one_issue([0, 60, 100], [1.0, 0.5, 0.2], [1.0, 2.0, 1.0])
    fn = MODELS["compromise"].fn
    assert fn(s, MODELS["compromise"].params(None), np.random.default_rng(0)).model == ""
    register("compromise-again", summary="The same function.", citation="This test.")(fn)
    try:
        assert run_model(s, "compromise-again").model == "compromise-again"
        assert {run_model(s, m).model for m in MODELS if m != "compromise-again"} == set(MODELS) - {"compromise-again"}
    finally:
        del MODELS["compromise-again"]
