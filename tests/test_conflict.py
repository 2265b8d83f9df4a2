"""Third parties: contest functions, the game's invariants, reachability of every option,
equilibria against brute force, and the default scenario."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from tertius.conflict import broker
from tertius.conflict.contest import great_circle_miles, projected_capability, win_probability
from tertius.conflict.game import (
    UNAVAILABLE,
    all_profiles,
    best_response_path,
    option_values,
    payoffs,
    pure_equilibria,
    ranking,
)
from tertius.conflict.war import N_OPTIONS, OPTIONS, ROLE, build_war, may_broker
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
def conflicts(draw: st.DrawFn, third_parties: int = 1, third_party_cares: bool = True) -> dict[str, Any]:
    n_a, n_b = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    m = draw(st.integers(1, 3))
    tps = [f"t{k}" for k in range(third_parties)]
    actors = [f"a{k}" for k in range(n_a)] + [f"b{k}" for k in range(n_b)] + tps
    grid = st.integers(0, 10).map(lambda v: 10.0 * v)
    stakes = [f"i{i}" for i in range(m) if i == 0 or draw(st.booleans())]
    data: dict[str, Any] = {
        "id": "g",
        "actors": [{"id": a, "capability": draw(st.floats(0.0 if a in tps else 0.05, 1.0)),
                    "distance": draw(st.integers(0, 6000))} for a in actors],
        "issues": [{"id": f"i{i}", "status_quo": draw(grid)} for i in range(m)],
        "stances": [],
        "conflict": {
            "side_a": {"name": "Side A", "actors": actors[:n_a]},
            "side_b": {"name": "Side B", "actors": actors[n_a:n_a + n_b]},
            "stakes": stakes,
            "third_parties": tps,
            "contest": draw(st.sampled_from(["war-trap", "tullock"])),
            "costs": {a: draw(st.floats(0.0, 0.5)) for a in actors},
            "broker_costs": {t: draw(st.floats(0.0, 0.3)) for t in tps},
            "exclusive": [i for i in stakes if draw(st.booleans())],
        },
    }
    for i in range(m):
        for a in actors[:n_a + n_b]:
            if f"i{i}" in stakes or a == actors[0] or draw(st.booleans()):
                data["stances"].append({"actor": a, "issue": f"i{i}", "position": draw(grid),
                                        "salience": draw(st.floats(0.05, 1.0))})
        for t in tps:
            if third_party_cares or draw(st.booleans()):
                data["stances"].append({"actor": t, "issue": f"i{i}", "position": draw(grid),
                                        "salience": draw(st.floats(0.05, 1.0)) if third_party_cares else 0.0})
    if third_parties and draw(st.booleans()):
        data["conflict"]["spillovers"] = [{"beneficiary": tps[-1], "side": "a", "issues": stakes[:1]}]
    return data


def _war(data: dict[str, Any]):
    return build_war(Scenario.model_validate(data))


def _values(data: dict[str, Any]) -> np.ndarray:
    """The single third party's option values, the others (none) as they are: (N_OPTIONS,)."""
    war = _war(data)
    profile = war.side[None].astype(np.int8)
    vals, _ = option_values(war, profile)
    return vals[0, 0]


@given(data=conflicts(third_party_cares=False))
def test_a_third_party_with_no_stake_is_indifferent(data):
    """No salience anywhere means no stake, hence no costs and nothing to gain: staying out and
    joining either side are worth the same, staying out ranks first, and without a declared role
    it cannot broker at all (a stake before a choice)."""
    data["conflict"].pop("spillovers", None)
    v = _values(data)
    assert np.ptp(v[:3]) < 1e-12
    assert v[OPTIONS.index("broker")] == UNAVAILABLE
    assert ranking(v)[0] == "neutral"


def _swap(data: dict[str, Any]) -> dict[str, Any]:
    c = data["conflict"]
    spill = [{**sp, "side": "b" if sp["side"] == "a" else "a"} for sp in c.get("spillovers", [])]
    return {**data, "conflict": {**c, "side_a": c["side_b"], "side_b": c["side_a"], "spillovers": spill}}


@given(data=conflicts())
def test_swapping_the_sides_swaps_join_a_and_join_b(data):
    v1, v2 = _values(data), _values(_swap(data))
    for o1, o2 in (("join-a", "join-b"), ("join-b", "join-a"), ("neutral", "neutral"), ("broker", "broker")):
        assert v1[ROLE[o1]] == pytest.approx(v2[ROLE[o2]], abs=1e-9)


@given(data=conflicts())
def test_a_broker_without_leverage_gains_nothing_over_staying_out(data):
    """Capability 0 means its joining moves nothing: brokering is worth staying out, less the
    costs of brokering."""
    data["actors"][-1]["capability"] = 0.0
    war = _war(data)
    v = _values(data)
    k = war.index("t0")
    stake = war.salience[0, k].sum()
    if not may_broker(war)[0, k]:  # no stake, no declared instrument: it cannot broker at all
        assert v[ROLE["broker"]] == UNAVAILABLE
        return
    assert v[ROLE["broker"]] == pytest.approx(v[ROLE["neutral"]] - war.broker_cost[k] * stake, abs=1e-9)
    assert v[ROLE["broker"]] <= v[ROLE["neutral"]] + 1e-12


@given(data=conflicts(third_parties=2), who=st.sampled_from(["t0", "t1", "both"]))
def test_brokering_never_leaves_a_belligerent_below_its_war_lottery(data, who):
    war = _war(data)
    roles = war.side.astype(np.int8).copy()
    for t in (["t0", "t1"] if who == "both" else [who]):
        roles[war.index(t)] = ROLE["broker"]
    play = payoffs(war, roles[None])
    fighting = war.side > 0
    assert np.all(play.value[0, 0, fighting] >= play.war_value[0, 0, fighting] - 1e-9)
    assert 0.0 <= play.pi[0, 0] <= 1.0


@given(data=conflicts(), factor=st.floats(1.0, 5.0))
def test_more_capability_never_lowers_a_sides_chance(data, factor):
    war = _war(data)
    boosted = {**data, "actors": [dict(x) for x in data["actors"]]}
    boosted["actors"][0]["capability"] *= factor  # a member of side A
    war2 = _war(boosted)
    profiles = all_profiles(war)
    assert np.all(payoffs(war2, profiles).p_a >= payoffs(war, profiles).p_a - 1e-12)


SEARCH = settings(max_examples=4000, database=None, derandomize=True)


@pytest.mark.parametrize("option", OPTIONS)
def test_every_option_ranks_first_for_some_inputs(option):
    """No option wins by construction: hypothesis finds inputs for which each one ranks first."""
    found = find(conflicts(), lambda d: ranking(_values(d))[0] == option, settings=SEARCH)
    v = _values(found)
    assert ranking(v)[0] == option
    assert v[ROLE[option]] > max(v[ROLE[o]] for o in OPTIONS if o != option) - 1e-12


def test_two_brokers_compete_for_one_deal():
    """Two would-be brokers who want opposite things sit at one table: each pulls the deal its
    way, so the first broker does worse with a rival than alone, and the deal is the one deal."""
    data = {
        "id": "two-brokers",
        "actors": [{"id": "A", "capability": 0.3, "distance": 0}, {"id": "B", "capability": 0.3, "distance": 0},
                   {"id": "k", "capability": 0.3, "distance": 0}, {"id": "j", "capability": 0.3, "distance": 0}],
        "issues": [{"id": "war", "status_quo": 50}],
        "stances": [
            {"actor": "A", "issue": "war", "position": 100, "salience": 1},
            {"actor": "B", "issue": "war", "position": 0, "salience": 1},
            {"actor": "k", "issue": "war", "position": 100, "salience": 1},
            {"actor": "j", "issue": "war", "position": 0, "salience": 1},
        ],
        "conflict": {"side_a": {"name": "A", "actors": ["A"]}, "side_b": {"name": "B", "actors": ["B"]},
                     "stakes": ["war"], "third_parties": ["k", "j"], "contest": "tullock",
                     "costs": {"A": 0.2, "B": 0.2}},
    }
    war = _war(data)
    k, j = war.index("k"), war.index("j")
    alone = war.side.astype(np.int8).copy()
    alone[k] = ROLE["broker"]
    both = alone.copy()
    both[j] = ROLE["broker"]
    play = payoffs(war, np.stack([alone, both])[None])
    assert play.accepted[0].all() and not play.settled_without[0].any()
    assert play.deal[0, 0, 0] > 50 + 1e-6  # alone, k pulls the deal its way
    assert play.deal[0, 1, 0] == pytest.approx(50)  # a rival pulls it back
    assert play.value[0, 1, k] < play.value[0, 0, k]


def test_a_spillover_clause_lets_a_bystander_free_ride():
    """Free riding comes from a declared clause: on an exclusive issue a bystander keeps the
    status quo, unless a clause gives it the side's terms."""
    data = {
        "id": "mfn",
        "actors": [{"id": "A", "capability": 0.6, "distance": 0}, {"id": "B", "capability": 0.3, "distance": 0},
                   {"id": "u", "capability": 0.1, "distance": 0}],
        "issues": [{"id": "ports", "status_quo": 0}],
        "stances": [{"actor": "A", "issue": "ports", "position": 100, "salience": 1},
                    {"actor": "B", "issue": "ports", "position": 0, "salience": 1},
                    {"actor": "u", "issue": "ports", "position": 100, "salience": 1}],
        "conflict": {"side_a": {"name": "A", "actors": ["A"]}, "side_b": {"name": "B", "actors": ["B"]},
                     "stakes": ["ports"], "third_parties": ["u"], "contest": "tullock",
                     "exclusive": ["ports"], "costs": {"u": 0.3}},
    }
    without = _values(data)
    clause = {**data, "conflict": {**data["conflict"], "spillovers": [
        {"beneficiary": "u", "side": "a", "issues": ["ports"], "source": "a most-favoured-nation article"}]}}
    with_clause = _values(clause)
    assert without[ROLE["neutral"]] == pytest.approx(0.0)  # keeps the status quo, 100 away from its position
    assert with_clause[ROLE["neutral"]] > without[ROLE["neutral"]] + 0.5
    assert ranking(without)[0] == "join-a" and ranking(with_clause)[0] == "neutral"
    assert with_clause[ROLE["join-a"]] == pytest.approx(without[ROLE["join-a"]])


# ---------------------------------------------------------------- equilibria
def _brute_force(war) -> set[tuple[int, ...]]:
    """Pure equilibria by looping over profiles and deviations one at a time."""
    third = list(np.nonzero(war.third)[0])
    out = set()
    for combo in itertools.product(range(N_OPTIONS), repeat=len(third)):
        roles = war.side.astype(np.int8).copy()
        roles[third] = combo
        here = payoffs(war, roles[None]).value[0, 0]
        stable = True
        for t in third:
            for o in range(N_OPTIONS):
                dev = roles.copy()
                dev[t] = o
                if payoffs(war, dev[None]).value[0, 0, t] > here[t] + 1e-9 * (1 + abs(here[t])):
                    stable = False
        if stable:
            out.add(combo)
    return out


@settings(max_examples=25)
@given(data=conflicts(third_parties=2))
def test_enumerated_equilibria_match_brute_force_and_contain_the_selected_one(data):
    war = _war(data)
    roles, ok = pure_equilibria(war)
    third = np.nonzero(war.third)[0]
    enumerated = {tuple(int(x) for x in roles[p, third]) for p in np.nonzero(ok[0])[0]}
    assert enumerated == _brute_force(war)
    profile, converged, _ = best_response_path(war)
    if converged[0]:
        assert tuple(int(x) for x in profile[0, third]) in enumerated


def test_iterated_best_response_over_draws_equals_one_draw_at_a_time():
    s = load_scenario()
    from tertius.conflict.thirdparty import war_of_draws
    from tertius.seeds import child_rng
    from tertius.sweeps.perturb import draw

    batch = draw(s, s.perturbation, child_rng(0, "test"), 12)
    war = war_of_draws(s, s.conflict.phases[0], batch)
    together, _, _ = best_response_path(war)
    for d in range(12):
        one = war_of_draws(s, s.conflict.phases[0], {k: v[d:d + 1] for k, v in batch.items()})
        alone, _, _ = best_response_path(one)
        assert np.array_equal(together[d], alone[0])


def test_pygambit_finds_the_same_pure_equilibria():
    """Optional oracle (pygambit is GPL and not a dependency): the default scenario's 1858 game
    as a strategic-form game."""
    gbt = pytest.importorskip("pygambit")
    s = load_scenario()
    war = build_war(s, s.conflict.phases[0])
    third = np.nonzero(war.third)[0]
    roles, ok = pure_equilibria(war)
    values = payoffs(war, roles).value[0][:, third].reshape(N_OPTIONS, N_OPTIONS, 2)
    g = gbt.Game.from_arrays(values[..., 0], values[..., 1])
    eqs = gbt.nash.enumpure_solve(g).equilibria
    found = {tuple(int(np.argmax([float(p[a]) for a in pl.strategies])) for pl in g.players) for p in eqs}
    assert found == {tuple(int(x) for x in roles[p, third]) for p in np.nonzero(ok[0])[0]}


# ---------------------------------------------------------------- the default scenario
@pytest.fixture(scope="module")
def opium():
    return broker(load_scenario(), draws=100, seed=7)


def test_both_phases_for_russia_and_the_us(opium):
    assert [p["id"] for p in opium["phases"]] == ["1858", "1860"]
    for phase in opium["phases"]:
        assert [t["third_party"] for t in phase["third_parties"]] == ["usa", "russia"]
        assert phase["converged"] and phase["equilibria"]
        assert phase["selected"] in phase["equilibria"]
        for t in phase["third_parties"]:
            assert sorted(t["ranking"]) == sorted(OPTIONS)
            assert math.isclose(sum(t["perturbation"]["first"].values()), 1.0)
            assert math.isclose(sum(t["probabilities"].values()), 1.0)
            assert t["equilibrium"] == phase["selected"][t["third_party"]]
            assert t["explanation"].startswith(t["answer"]) and t["answer"].startswith(f"{t['name']} should ")
            assert "With the other third parties as in the selected equilibrium" in t["explanation"]
            assert "the Allies'" in t["explanation"] and "Allies's" not in t["explanation"]


def test_the_founding_case_against_the_record(opium):
    """Computed from the inputs fixed before the analysis was run: the United States stays out
    in both phases, as recorded, thanks to its most-favoured-nation clause; Russia stays out in
    1858, paid by Qing, and brokers as the only channel in 1860; the settlement under the recorded
    choices is within 20 % of scale in each phase, the Amur and the Ussuri scored."""
    p1858, p1860 = opium["phases"]
    for phase in (p1858, p1860):
        usa, russia = phase["third_parties"]
        assert usa["equilibrium"] == "neutral" and usa["actual"]["agrees"]
        assert "most-favoured-nation" in usa["explanation"]
        assert russia["actual"]["option"] == {"1858": "neutral", "1860": "broker"}[phase["id"]]
        assert russia["actual"]["agrees"]
        assert {"amur", "ussuri"} <= {r["issue"] for r in russia["actual"]["settlement"]}
        assert russia["actual"]["mae"] < 20
    assert "pays for its neutrality" in p1858["third_parties"][1]["answer"]
    assert "only channel" in p1860["third_parties"][1]["answer"]


def test_same_seed_same_shares_and_another_seed_other_draws():
    s = load_scenario()
    a = broker(s, "russia", draws=40, seed=3)
    assert a == broker(s, "russia", draws=40, seed=3)
    assert [t["third_party"] for p in a["phases"] for t in p["third_parties"]] == ["russia", "russia"]


def test_explanations_hold_for_any_scenario():
    """No talk of costs when there are none; the sides' names throughout."""
    data = {
        "id": "plain",
        "actors": [{"id": "A", "capability": 0.5, "distance": 0}, {"id": "B", "capability": 0.4, "distance": 0},
                   {"id": "k", "capability": 0.1, "distance": 0}],
        "issues": [{"id": "x", "name": "Border", "status_quo": 50}],
        "stances": [{"actor": "A", "issue": "x", "position": 100, "salience": 1},
                    {"actor": "B", "issue": "x", "position": 0, "salience": 1},
                    {"actor": "k", "issue": "x", "position": 80, "salience": 0.5}],
        "conflict": {"side_a": {"name": "the Northern League", "actors": ["A"]},
                     "side_b": {"name": "Southland", "actors": ["B"]}, "stakes": ["x"], "third_parties": ["k"],
                     "contest": "tullock"},
    }
    result = broker(Scenario.model_validate(data), draws=0)
    item = result["phases"][0]["third_parties"][0]
    # the sentence on the casebook's setting speaks of that setting's join cost; the rest of this game
    sentence = item["casebook_setting"]["sentence"]
    assert sentence.startswith("At the setting selected on the casebook (join cost ") and sentence in item["explanation"]
    text = item["explanation"].replace(sentence, "")
    assert "cost" not in text
    assert "a win for the Northern League" in text and "Southland" in text
    assert " A " not in text and " B " not in text


def test_conflict_validation():
    base = load_scenario().to_data()
    bad = {**base, "conflict": {**base["conflict"], "third_parties": ["russia", "uk"]}}
    with pytest.raises(InputError, match="'uk' is a third party and on a side"):
        scenario_from_data(bad, file="x.yaml")
    bad = {**base, "conflict": {**base["conflict"], "stakes": ["tea"]}}
    with pytest.raises(InputError, match="conflict.stakes\\[0\\]: unknown issue 'tea'"):
        scenario_from_data(bad, file="x.yaml")
    bad = {**base, "conflict": {**base["conflict"], "spillovers": [{"beneficiary": "uk", "side": "a",
                                                                   "issues": ["ports"]}]}}
    with pytest.raises(InputError, match="spillovers\\[0\\].beneficiary: 'uk' is on a side"):
        scenario_from_data(bad, file="x.yaml")
    with pytest.raises(InputError, match="declares no conflict"):
        broker(load_scenario("eu-emissions-1994"))
    with pytest.raises(InputError, match="not a third party"):
        broker(load_scenario(), "uk", draws=0)
