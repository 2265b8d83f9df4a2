"""The bdm model: variants, multi-issue use, every shared input, and bundled provenance."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tertius.errors import InputError
from tertius.io import bundled_scenarios, load_scenario, load_scenarios, render
from tertius.io.yaml_io import scenario_from_data
from tertius.models import run_model
from tertius.models.bdm import win_probabilities
from tests.conftest import BDM_DATA, DEU_TRAIN, need

BDM_INPUTS = sorted(p for p in BDM_DATA.glob("*/*.csv")
                    if p.name not in ("belgium_quadrant_round1.csv", "risk_exponents_round1.csv",
                                      "scholz_replication_rounds.csv"))


def test_every_shared_bdm_input_is_listed():
    need(BDM_DATA)
    assert len(BDM_INPUTS) == 15


@pytest.mark.parametrize("path", BDM_INPUTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bdm_runs_on_every_shared_input(path):
    s = load_scenario(path)
    f = run_model(s, "bdm")
    arr = s.arrays
    assert np.all(f.outcome >= np.nanmin(arr.position, axis=0) - 1e-9)
    assert np.all(f.outcome <= np.nanmax(arr.position, axis=0) + 1e-9)
    assert len(f.rounds) == 11


def test_bundled_bdm_scenarios_carry_provenance_and_round_trip():
    bundled = bundled_scenarios()
    for sid in ("eu-emissions-1994", "saudi-oil-price", "greece-debt-2015", "iran-election-2013",
                "china-democratisation", "honduras-nicaragua", "ww1-july-1914", "litigation"):
        s = load_scenario(bundled[sid])
        assert s.sources
        for a in s.actors:
            assert a.capability.source and "shared/data/bdm/" in a.capability.source
        for stance in s.stances:
            assert stance.position.source and stance.salience.source
        assert scenario_from_data(yaml.safe_load(render(s, "yaml")), file="x") == s


def test_bundled_eu_scenario_gives_the_reference_trajectory():
    f = run_model(load_scenario("eu-emissions-1994"), "bdm", {"outcome": "mean"})
    assert f.details["mean"]["emission_date"][-1] == pytest.approx(7.242, abs=1e-3)
    assert f.outcome_of("emission_date") == pytest.approx(7.2421309585, abs=1e-6)


def test_bdm_on_the_default_scenario_runs_issue_by_issue():
    s = load_scenario()
    f = run_model(s, "bdm")
    assert len(f.rounds) == 11 and f.rounds[0].shape == (5, 8)
    # actors without a stance stay absent in every round
    usa, amur = s.actor_ids.index("usa"), s.issue_ids.index("amur")
    assert all(np.isnan(r[usa, amur]) for r in f.rounds)


def test_bdm_on_deu():
    scores = __import__("tertius").validate(load_scenarios(need(DEU_TRAIN)), ["bdm"])
    assert scores["models"]["bdm"]["n"] == 233
    assert 20 < scores["models"]["bdm"]["mae"] < 40


def test_local_probabilities_are_complementary():
    x = np.array([0.0, 3.0, 7.0, 10.0])
    w = np.array([0.2, 0.5, 0.3, 0.4])
    P = win_probabilities(x, w, np.ones(4), 10.0, "local")
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose((P + P.T)[off], 1.0)


def test_global_probabilities_match_the_plain_triple_sum():
    rng = np.random.default_rng(3)
    x, w, r = rng.uniform(0, 10, 6), rng.uniform(0.1, 1, 6), rng.uniform(0.5, 2, 6)
    R = float(x.max() - x.min())

    def v(k, a, b):
        return w[k] * ((abs(x[k] - b) / R) ** r[k] - (abs(x[k] - a) / R) ** r[k])

    denom = sum(abs(v(k, a, b)) for k in range(6) for a in x for b in x)
    expected = np.array([[0.0 if i == j else sum(max(0.0, v(k, x[i], x[j])) for k in range(6)) / denom
                          for j in range(6)] for i in range(6)])
    np.testing.assert_allclose(win_probabilities(x, w, r, R, "global"), expected, atol=1e-14)


def test_median_stopping_rule_stops_early():
    s = load_scenario("iran-election-2013")
    f = run_model(s, "bdm", {"stop": "median", "tolerance": 1e-6, "patience": 2, "rounds": 50})
    assert f.details["rounds_run"]["candidate"] < 50


def test_variants_run_and_bad_values_are_refused():
    s = load_scenario("eu-emissions-1994")
    for params in ({"probability": "local"}, {"risk": "neutral"}, {"offers": "nearest"}, {"q": 0.5, "t": 0.3}):
        f = run_model(s, "bdm", params)
        assert np.isfinite(f.outcome).all()
    with pytest.raises(InputError, match="probability='median'"):
        run_model(s, "bdm", {"probability": "median"})
    with pytest.raises(InputError, match="outside"):
        run_model(s, "bdm", {"q": 2})


# ------------------------------------------------------------------ settling
def test_settling_classes_fixed_points_cycles_and_runs_still_moving():
    from tertius.models.bdm import settling

    still = np.array([[0.0, 10.0], [5.0, 10.0], [5.0, 10.0]])
    assert settling(still, 10.0) == ("settled", 1)
    flip = np.array([[0.0, 10.0], [10.0, 0.0], [0.0, 10.0], [10.0, 0.0], [0.0, 10.0]])
    assert settling(flip, 10.0) == ("cycle", 2)
    three = np.array([[k % 3, 1.0] for k in range(9)], dtype=float)
    assert settling(three, 2.0) == ("cycle", 3)
    moving = np.array([[float(k), 0.0] for k in range(6)])
    assert settling(moving, 5.0) == ("unsettled", 0)


def test_the_default_scenario_flips_on_ports_and_the_run_says_so():
    s = load_scenario()
    k = s.issue_ids.index("ports")
    f10, f20, f21 = (run_model(s, "bdm", {"rounds": r}) for r in (10, 20, 21))
    assert f10.details["settling"]["ports"]["status"] == "unsettled"
    info = f20.details["settling"]["ports"]
    assert info["status"] == "cycle" and info["period"] == 2 and sorted(info["alternatives"]) == [0.0, 10.0]
    assert {f20.outcome[k], f21.outcome[k]} == {0.0, 10.0}  # the published rule flips with the rounds
    from typer.testing import CliRunner

    from tertius.cli import app

    r = CliRunner().invoke(app, ["forecast", "-m", "bdm", "-p", "rounds=20"])
    assert "cycles on ports every 2 rounds among" in r.output and "settle=cycle" in r.output


def test_settle_cycle_does_not_depend_on_the_number_of_rounds():
    s = load_scenario()
    k = s.issue_ids.index("ports")
    values = {float(run_model(s, "bdm", {"rounds": r, "settle": "cycle"}).outcome[k]) for r in range(13, 30)}
    assert values == {10.0}


def test_settle_cycle_in_the_batch_form_equals_the_loop():
    from tertius.models import MODELS
    from tertius.scenario import Perturbation
    from tertius.sweeps.perturb import apply, draw

    s = load_scenario()
    b = draw(s, Perturbation(position=3), np.random.default_rng(2), 12)
    params = MODELS["bdm"].params({"rounds": 20, "settle": "cycle"})
    batch = MODELS["bdm"].batch(s, b["position"], b["salience"], b["capability"], params)
    loop = np.array([run_model(apply(s, b["position"][d], b["salience"][d], b["capability"][d]), "bdm", params).outcome
                     for d in range(12)])
    np.testing.assert_allclose(batch, loop, rtol=0, atol=1e-9)


# ------------------------------------------------------------------ the round in blocks
_POSITIONS = st.one_of(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=60),
    st.lists(st.integers(0, 10).map(float), min_size=1, max_size=60),  # many actors on few positions
    st.lists(st.sampled_from([0.0, 1e-7, 2e-7, 50.0, 50.0 + 1e-6, 100.0]), min_size=1, max_size=60),  # clusters
)


@given(_POSITIONS)
def test_midpoint_table_counts_as_the_binary_search_does(xs):
    from tertius.models.bdm import midpoint_counts, midpoint_table

    xs = np.sort(np.array(xs))
    np.testing.assert_array_equal(midpoint_table(xs), midpoint_counts(xs))


@given(_POSITIONS, st.integers(0, 2**32 - 1), st.sampled_from(["global", "local"]),
       st.sampled_from(["scholz", "neutral"]), st.sampled_from(["scholz", "nearest"]), st.booleans())
def test_the_round_in_blocks_equals_the_round_with_whole_arrays(xs, seed, form, risk, offers, status_quo):
    """Tiny blocks, so that every case (block pairs left, right and across the diagonal, ties
    across blocks, checkpoints inside a block pair) appears with a few dozen actors."""
    from tertius.models import bdm as B

    xs = np.sort(np.array(xs))
    rng = np.random.default_rng(seed)
    ws, ss = rng.uniform(0.01, 1, xs.size), rng.uniform(0.05, 1, xs.size)
    R = float(np.ptp(xs)) or 1.0
    params = {**B.DEFAULTS, "probability": form, "risk": risk, "offers": offers}
    if status_quo:
        params.update(q=0.6, t=0.3)
    whole = B._whole_round(xs, ws, ss, R, float(np.median(xs)), params)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in (("WHOLE_MAX_ACTORS", 0), ("ROW_BLOCK", 4), ("PAIR_BLOCK", 8), ("COL_BLOCK", 8),
                            ("CHECKPOINT", 4)):
            mp.setattr(B, name, value)
        blocked = B._sorted_round(xs, ws, ss, R, float(np.median(xs)), params)
    np.testing.assert_allclose(blocked[2], whole[2], rtol=0, atol=1e-9)  # risk exponents
    np.testing.assert_allclose(blocked[0], whole[0], rtol=0, atol=1e-9 * R)  # new positions


@given(_POSITIONS, st.integers(0, 2**32 - 1), st.sampled_from(["global", "local"]))
def test_stored_utilities_give_the_bits_of_recomputed_ones(xs, seed, form):
    """The blocked probabilities read w_k u_k(a) from the first pass's stored (n, n) array up to
    STORE_MAX_ACTORS; the plain path recomputes every block's powers. Same operations on the same
    numbers in the same order: the same bits, not just close ones."""
    from tertius.models import bdm as B

    xs = np.sort(np.array(xs))
    rng = np.random.default_rng(seed)
    ws, rs = rng.uniform(0.01, 1, xs.size), rng.uniform(0.5, 2, xs.size)
    R = float(np.ptp(xs)) or 1.0
    L = B.midpoint_table(xs)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in (("PAIR_BLOCK", 8), ("COL_BLOCK", 8), ("CHECKPOINT", 4)):
            mp.setattr(B, name, value)
        stored = [(I, own.copy(), other.copy()) for I, own, other in B._blocked_probabilities(xs, ws, rs, R, form, L)]
        mp.setattr(B, "STORE_MAX_ACTORS", 0)
        plain = list(B._blocked_probabilities(xs, ws, rs, R, form, L))
    assert [I for I, _, _ in stored] == [I for I, _, _ in plain]
    for (_, own, other), (_, own0, other0) in zip(stored, plain, strict=True):
        np.testing.assert_array_equal(own, own0)
        np.testing.assert_array_equal(other, other0)


@given(_POSITIONS, st.integers(0, 2**32 - 1))
def test_the_whole_round_gives_the_same_bits_with_grid_or_binary_search_midpoints(xs, seed):
    from tertius.models import bdm as B

    xs = np.sort(np.array(xs))
    rng = np.random.default_rng(seed)
    ws, ss = rng.uniform(0.01, 1, xs.size), rng.uniform(0.05, 1, xs.size)
    R = float(np.ptp(xs)) or 1.0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(B, "GRID_MIN_ACTORS", 0)
        grid = B._whole_round(xs, ws, ss, R, float(np.median(xs)), B.DEFAULTS)
        mp.setattr(B, "GRID_MIN_ACTORS", 10**9)
        search = B._whole_round(xs, ws, ss, R, float(np.median(xs)), B.DEFAULTS)
    for a, b in zip(grid, search, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_large_issue_gives_the_same_trajectory_with_stored_or_recomputed_utilities(monkeypatch):
    from tertius.models import bdm as B

    rng = np.random.default_rng(5)
    n = 300  # above WHOLE_MAX_ACTORS: the blocked round, with the default block sizes
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
    params = {**B.DEFAULTS, "rounds": 4}
    assert B.WHOLE_MAX_ACTORS < n <= B.STORE_MAX_ACTORS
    stored = B.bdm_issue(x, c, s, params, kernel="numpy")  # the numpy path (the kernel: test_bdm_kernel.py)
    monkeypatch.setattr(B, "STORE_MAX_ACTORS", 0)
    plain = B.bdm_issue(x, c, s, params, kernel="numpy")
    assert int((np.diff(plain.positions, axis=0) != 0).sum()) > n  # the comparison is not empty
    np.testing.assert_array_equal(stored.positions, plain.positions)
    np.testing.assert_array_equal(stored.risk, plain.risk)
    np.testing.assert_array_equal(stored.partners, plain.partners)


def test_a_large_issue_runs_in_blocks_and_gives_the_whole_array_trajectory(monkeypatch):
    from tertius.models import bdm as B

    rng = np.random.default_rng(11)
    n = 300  # above WHOLE_MAX_ACTORS, several blocks with the default sizes
    x, c, s = rng.uniform(0, 100, n), rng.uniform(0.05, 1, n), rng.uniform(0.05, 1, n)
    params = {**B.DEFAULTS, "rounds": 3}
    assert n > B.WHOLE_MAX_ACTORS
    blocked = B.bdm_issue(x, c, s, params, kernel="numpy")  # the numpy path (the kernel: test_bdm_kernel.py)
    monkeypatch.setattr(B, "WHOLE_MAX_ACTORS", n)
    whole = B.bdm_issue(x, c, s, params, kernel="numpy")
    assert int((np.diff(whole.positions, axis=0) != 0).sum()) > n  # the comparison is not empty
    np.testing.assert_allclose(blocked.positions, whole.positions, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(blocked.partners, whole.partners)
