"""Third parties: contest functions, option tables, invariants, and the default scenario."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tertius.conflict import broker
from tertius.conflict.contest import great_circle_miles, projected_capability, win_probability
from tertius.conflict.thirdparty import OPTIONS, build_war, evaluate, p_a_wins, utility
from tertius.errors import InputError
from tertius.io import load_scenario
from tertius.io.yaml_io import scenario_from_data
from tertius.scenario import Scenario


# ---------------------------------------------------------------- contest functions
def test_tullock_toy_probabilities():
    """shared/reference/negmas-gambit-thirdparty.md section 3: capabilities A 40, B 35, C 25,
    r = 1: P(A) = 0.65 with C on A's side, 0.40 with C on B's, 0.533 with C neutral."""
    assert win_probability(40 + 25, 35) == pytest.approx(0.65)
    assert win_probability(40, 35 + 25) == pytest.approx(0.40)
    assert win_probability(40, 35) == pytest.approx(0.5333, abs=1e-4)
    assert win_probability(0, 0) == 0.5


def test_war_trap_gradient():
    """Bueno de Mesquita (1981) p. 105: at home the exponent is log10(10 − e) ≈ 0.862, so a
    share grows; far away it shrinks."""
    home = projected_capability(np.array([0.2]), np.array([0.0]))[0]
    assert home == pytest.approx(0.2 ** math.log10(10 - math.e))
    far = projected_capability(np.array([0.2]), np.array([5000.0]))[0]
    assert far < 0.2 < home


def test_great_circle():
    # London to Beijing is about 5,070 statute miles
    assert great_circle_miles(51.5074, -0.1278, 40.1906, 116.4121) == pytest.approx(5070, rel=0.01)


# ---------------------------------------------------------------- generated conflicts
@st.composite
def conflicts(draw: st.DrawFn, third_party_cares: bool = True) -> dict[str, Any]:
    n_a, n_b = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    m = draw(st.integers(1, 3))
    actors = [f"a{k}" for k in range(n_a)] + [f"b{k}" for k in range(n_b)] + ["t"]
    grid = st.integers(0, 10).map(lambda v: 10.0 * v)
    data: dict[str, Any] = {
        "id": "g",
        "actors": [{"id": a, "capability": draw(st.floats(0.05, 1.0)), "distance": draw(st.integers(0, 6000))}
                   for a in actors],
        "issues": [{"id": f"i{i}", "status_quo": draw(grid)} for i in range(m)],
        "stances": [],
        "conflict": {
            "side_a": {"name": "A", "actors": actors[:n_a]},
            "side_b": {"name": "B", "actors": actors[n_a:n_a + n_b]},
            "stakes": [f"i{i}" for i in range(m)],
            "third_parties": ["t"],
            "contest": draw(st.sampled_from(["war-trap", "tullock"])),
            "costs": {a: draw(st.floats(0.0, 0.3)) for a in actors},
            "broker_costs": {"t": draw(st.floats(0.0, 0.3))},
        },
    }
    for i in range(m):
        for a in actors[:-1]:
            data["stances"].append({"actor": a, "issue": f"i{i}", "position": draw(grid),
                                    "salience": draw(st.floats(0.05, 1.0))})
        if third_party_cares or draw(st.booleans()):
            data["stances"].append({"actor": "t", "issue": f"i{i}", "position": draw(grid),
                                    "salience": draw(st.floats(0.05, 1.0)) if third_party_cares else 0.0})
    return data


def _table(data: dict[str, Any]):
    s = Scenario.model_validate(data)
    war = build_war(s)
    return war, evaluate(war, "t")


@given(data=conflicts(third_party_cares=False))
def test_a_third_party_that_cares_about_nothing_is_indifferent(data):
    _, table = _table(data)
    values = [table.options[o].expected_utility for o in OPTIONS if table.options[o].feasible]
    assert max(values) - min(values) < 1e-9


def _swap(data: dict[str, Any]) -> dict[str, Any]:
    c = data["conflict"]
    return {**data, "conflict": {**c, "side_a": c["side_b"], "side_b": c["side_a"]}}


@given(data=conflicts())
def test_swapping_the_sides_swaps_join_a_and_join_b(data):
    _, t1 = _table(data)
    _, t2 = _table(_swap(data))
    for o1, o2 in (("join-a", "join-b"), ("join-b", "join-a"), ("neutral", "neutral")):
        assert t1.options[o1].expected_utility == pytest.approx(t2.options[o2].expected_utility, abs=1e-9)
        assert t1.options[o1].p_a == pytest.approx(1 - t2.options[o2].p_a, abs=1e-12)


@given(data=conflicts(), factor=st.floats(1.0, 5.0), member=st.integers(0, 1))
def test_more_capability_never_lowers_a_sides_chance(data, factor, member):
    war, _ = _table(data)
    k = war.actor_ids.index("t")
    a_members = [i for i, on in enumerate(war.side_a) if on]
    j = a_members[member % len(a_members)]
    boosted = dict(data)
    boosted["actors"] = [dict(x) for x in data["actors"]]
    boosted["actors"][j]["capability"] *= factor
    war2, _ = _table(boosted)
    for alignment in ("join-a", "join-b", "neutral"):
        assert p_a_wins(war2, k, alignment) >= p_a_wins(war, k, alignment) - 1e-12


@given(data=conflicts())
def test_a_brokered_deal_is_never_worse_for_a_side_than_its_war_lottery(data):
    war, table = _table(data)
    deal = table.options["broker"]
    assert deal.feasible  # the expected war settlement is always acceptable (Jensen)
    u = utility(war, deal.outcomes["deal"])
    for actor, lottery in table.war_lottery.items():
        assert u[war.actor_ids.index(actor)] >= lottery - 1e-6


def test_tree_cross_check_with_pygambit():
    """On a small three-actor game written as a tree (C chooses, then nature draws the war
    outcome), the subgame-perfect choice found by pygambit is the option ranked first.
    pygambit (GPL) is an optional test dependency."""
    gbt = pytest.importorskip("pygambit")
    data = {
        "id": "toy",
        "actors": [{"id": "A", "capability": 40, "distance": 0}, {"id": "B", "capability": 35, "distance": 0},
                   {"id": "t", "capability": 25, "distance": 0}],
        "issues": [{"id": "x", "status_quo": 50}, {"id": "y", "status_quo": 50}],
        "stances": [
            {"actor": "A", "issue": "x", "position": 100, "salience": 0.9},
            {"actor": "B", "issue": "x", "position": 0, "salience": 0.8},
            {"actor": "t", "issue": "x", "position": 70, "salience": 0.3},
            {"actor": "A", "issue": "y", "position": 0, "salience": 0.2},
            {"actor": "B", "issue": "y", "position": 0, "salience": 0.3},
            {"actor": "t", "issue": "y", "position": 100, "salience": 0.9},
        ],
        "conflict": {"side_a": {"name": "A", "actors": ["A"]}, "side_b": {"name": "B", "actors": ["B"]},
                     "stakes": ["x"], "third_parties": ["t"], "contest": "tullock",
                     "costs": {"A": 0.1, "B": 0.1, "t": 0.1}, "broker_costs": {"t": 0.05}},
    }
    war, table = _table(data)
    k = war.actor_ids.index("t")
    g = gbt.Game.new_tree(players=["C"], title="third party")
    g.append_move(g.root, "C", list(OPTIONS))
    for o in OPTIONS:
        node = g.root.children[o]
        r = table.options[o]
        if o == "broker":
            g.set_outcome(node, g.add_outcome([float(r.expected_utility)], label="deal"))
            continue
        g.append_move(node, g.players.chance, ["A wins", "B wins"])
        p = gbt.Rational(round(r.p_a * 10**6), 10**6)
        g.set_chance_probs(node.infoset, [p, 1 - p])
        cost = war.cost[k] * war.salience[k].sum() if o != "neutral" else 0.0
        for w, key in (("A wins", "a wins"), ("B wins", "b wins")):
            pay = float(utility(war, r.outcomes[key])[k] - cost)
            g.set_outcome(node.children[w], g.add_outcome([pay], label=f"{o} {w}"))
    eq = gbt.nash.enumpure_agent_solve(g).equilibria
    chosen = {o for prof in eq for o in OPTIONS if prof[g.root.infoset.actions[o]] == 1}
    assert chosen == {table.best}


# ---------------------------------------------------------------- the default scenario
@pytest.fixture(scope="module")
def opium():
    return broker(load_scenario(), draws=100, seed=7)


def test_both_phases_for_russia_and_the_us(opium):
    assert [p["id"] for p in opium["phases"]] == ["1858", "1860"]
    for phase in opium["phases"]:
        assert [t["third_party"] for t in phase["third_parties"]] == ["russia", "usa"]
        for t in phase["third_parties"]:
            assert sorted(t["ranking"]) == sorted(OPTIONS)
            assert math.isclose(sum(t["perturbation"]["first"].values()), 1.0)
            assert t["explanation"].startswith(("Russian Empire's best option", "United States's best option"))


def test_russia_brokering_and_the_actual_choices(opium):
    """The computed ranking (inputs fixed from sources before the analysis was run)."""
    p1858, p1860 = opium["phases"]
    russia_1860 = p1860["third_parties"][0]
    assert russia_1860["best"] == "broker"
    assert russia_1860["actual"]["option"] == "broker"
    assert p1858["third_parties"][0]["actual"]["option"] == "neutral"
    assert russia_1860["options"]["broker"]["settlements"]["deal"]["ussuri"] == pytest.approx(100.0, abs=1e-6)


def test_same_seed_same_shares():
    s = load_scenario()
    a = broker(s, "russia", draws=40, seed=3)
    b = broker(s, "russia", draws=40, seed=3)
    assert a == b


def test_conflict_validation():
    base = load_scenario().to_data()
    bad = {**base, "conflict": {**base["conflict"], "third_parties": ["russia", "uk"]}}
    with pytest.raises(InputError, match="'uk' is a third party and on a side"):
        scenario_from_data(bad, file="x.yaml")
    bad = {**base, "conflict": {**base["conflict"], "stakes": ["tea"]}}
    with pytest.raises(InputError, match="conflict.stakes\\[0\\]: unknown issue 'tea'"):
        scenario_from_data(bad, file="x.yaml")
    with pytest.raises(InputError, match="declares no conflict"):
        broker(load_scenario("eu-emissions-1994"))
