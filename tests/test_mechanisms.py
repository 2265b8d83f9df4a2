"""The third parties' mechanisms (docs/thirdparty.md, "Mechanisms"): each can be the equilibrium,
and none is chosen when its condition fails. The cases are small conflicts built here."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from tertius.conflict.casebook import validate_casebook
from tertius.conflict.game import UNAVAILABLE, best_response_path, nash_share, option_values, payoffs
from tertius.conflict.war import OPTIONS, ROLE, build_war
from tertius.scenario import Scenario


def _base() -> dict[str, Any]:
    """Two sides at war over 'x'; a strong, close third party 't' claims 'own', which side b holds."""
    return {
        "id": "m",
        "actors": [{"id": "a", "capability": 1.0, "distance": 0}, {"id": "b", "capability": 1.0, "distance": 0},
                   {"id": "t", "capability": 1.0, "distance": 0}],
        "issues": [{"id": "x", "status_quo": 50}, {"id": "own", "status_quo": 0}],
        "stances": [
            {"actor": "a", "issue": "x", "position": 100, "salience": 1},
            {"actor": "b", "issue": "x", "position": 0, "salience": 1},
            {"actor": "b", "issue": "own", "position": 0, "salience": 0.2},
            {"actor": "t", "issue": "own", "position": 100, "salience": 1},
        ],
        "conflict": {"side_a": {"name": "A", "actors": ["a"]}, "side_b": {"name": "B", "actors": ["b"]},
                     "stakes": ["x"], "third_parties": ["t"], "contest": "war-trap",
                     "costs": {"a": 0.1, "b": 0.1, "t": 0.1}, "broker_costs": {"t": 0.1}},
    }


def _solve(data: dict[str, Any]):
    war = build_war(Scenario.model_validate(copy.deepcopy(data)))
    profile, ok, vals = best_response_path(war)
    return war, profile, bool(ok[0]), vals[0, 0], payoffs(war, profile)


def test_nash_share_solves_the_bargain_and_refuses_without_surplus():
    # interior optimum of (u0 + g t)(w0 - h t): t = (g w0 - h u0) / (2 g h)
    assert nash_share(np.array(-0.2), np.array(1.0), np.array(0.6), np.array(1.0)) == pytest.approx(0.4)
    t = np.linspace(0, 1, 100001)
    assert float(t[np.argmax((-0.2 + t) * (0.6 - t))]) == pytest.approx(0.4, abs=1e-4)
    assert nash_share(np.array(-0.9), np.array(1.0), np.array(0.05), np.array(1.0)) == 0  # no t pleases both
    assert nash_share(np.array(0.0), np.array(1.0), np.array(0.0), np.array(1.0)) == 0  # the payer gains nothing
    assert nash_share(np.array(-0.1), np.array(0.0), np.array(0.5), np.array(1.0)) == 0  # nothing to pay with


def test_neutrality_for_a_price_is_the_equilibrium_when_a_side_controls_what_the_third_party_claims():
    data = _base()
    data["stances"].append({"actor": "t", "issue": "x", "position": 100, "salience": 0.3})
    data["conflict"]["controls"] = [{"actor": "b", "issues": ["own"], "source": "test"}]
    war, profile, ok, vals, play = _solve(data)
    k = war.index("t")
    assert ok and OPTIONS[profile[0, k]] == "neutral"
    assert play.price[0, 0, k] > 0 and play.payer[0, 0, k] == ROLE["join-b"]  # side b pays
    assert 0 < play.settlement()[0, 0, war.issue_ids.index("own")] <= 100
    # without the control, nobody can pay: the same third party joins a side for its claim
    del data["conflict"]["controls"]
    war, profile, ok, vals, play = _solve(data)
    assert OPTIONS[profile[0, k]] in ("join-a", "join-b") and play.price[0, 0, k] == 0


def test_no_price_is_paid_when_the_third_party_would_stay_out_anyway():
    data = _base()
    data["conflict"]["controls"] = [{"actor": "b", "issues": ["own"], "source": "test"}]
    data["conflict"]["costs"]["t"] = 5.0  # joining costs it five times its stake: no credible threat
    war, profile, ok, vals, play = _solve(data)
    k = war.index("t")
    assert OPTIONS[profile[0, k]] == "neutral" and play.price[0, 0, k] == 0


def test_a_declared_side_deal_for_neutrality_pays_like_a_control_and_nothing_without_it():
    data = _base()
    data["stances"].append({"actor": "t", "issue": "x", "position": 100, "salience": 0.3})
    war, profile, _, _, play = _solve(data)
    k = war.index("t")
    assert OPTIONS[profile[0, k]] == "join-b" and play.price[0, 0, k] == 0
    data["conflict"]["side_deals"] = [{"third_party": "t", "side": "b", "option": "neutral", "issues": ["own"],
                                       "paid": "now", "source": "test"}]
    war, profile, _, _, play = _solve(data)
    assert OPTIONS[profile[0, k]] == "neutral" and play.payer[0, 0, k] == ROLE["join-b"] and play.price[0, 0, k] > 0


def test_a_side_that_loses_from_a_third_party_joining_it_pays_nothing_for_it():
    data = _base()
    data["issues"].append({"id": "gift", "status_quo": 0})
    data["stances"] = [st for st in data["stances"] if st["actor"] != "t"] + [
        {"actor": "t", "issue": "gift", "position": 100, "salience": 1},
        {"actor": "a", "issue": "gift", "position": 0, "salience": 0.9}]
    data["actors"][2]["capability"] = 0.01  # its entry adds almost nothing to side a's chances
    data["conflict"]["side_deals"] = [{"third_party": "t", "side": "a", "option": "join-a", "issues": ["gift"],
                                       "paid": "now", "source": "test"}]
    war, profile, _, _, play = _solve(data)
    k = war.index("t")
    roles = war.side.astype(np.int8).copy()
    roles[k] = ROLE["join-a"]
    assert payoffs(war, roles[None]).price[0, 0, k] == 0


def _channel_case() -> dict[str, Any]:
    data = _base()
    data["actors"][2]["capability"] = 0.05
    data["actors"][2]["distance"] = 5000  # a weak, distant third party: no leverage to speak of
    data["conflict"]["controls"] = [{"actor": "b", "issues": ["own"], "source": "test"}]
    data["conflict"]["phases"] = [{"id": "p", "won_by": "a"}]
    return data


def test_a_channel_broker_takes_its_fee_when_the_sides_cannot_settle_without_it():
    data = _channel_case()
    data["conflict"]["phases"][0]["brokers"] = [{"actor": "t", "kind": "channel", "source": "test"}]
    s = Scenario.model_validate(data)
    war = build_war(s, s.conflict.phases[0])
    profile, ok, vals = best_response_path(war)
    k = war.index("t")
    assert OPTIONS[profile[0, k]] == "broker"
    play = payoffs(war, profile)
    assert play.fee[0, 0] > 0 and play.settlement()[0, 0, war.issue_ids.index("own")] > 0
    # every belligerent still prefers the deal to war
    fight = np.isin(war.actor_ids, ["a", "b"])
    assert np.all(play.value[0, 0, fight] >= play.war_value[0, 0, fight] - 1e-9)


def test_without_the_channel_the_same_third_party_does_not_broker():
    data = _channel_case()
    s = Scenario.model_validate(data)
    war = build_war(s, s.conflict.phases[0])
    profile, _, vals = best_response_path(war)
    assert OPTIONS[profile[0, war.index("t")]] != "broker"


def test_a_chair_with_no_stake_brokers_only_when_it_values_peace():
    data = _base()
    data["stances"] = [st for st in data["stances"] if st["actor"] != "t"]
    data["stances"].append({"actor": "t", "issue": "x", "position": 50, "salience": 0.0})
    war = build_war(Scenario.model_validate(copy.deepcopy(data)))
    vals, _ = option_values(war, war.side[None].astype(np.int8))
    assert vals[0, 0, ROLE["broker"]] == UNAVAILABLE  # no stake, no declared role
    data["conflict"]["brokers"] = [{"actor": "t", "kind": "chair", "peace_value": 1.0, "source": "test"}]
    data["conflict"]["broker_costs"]["t"] = 0.0
    war, profile, _, vals, play = _solve(data)
    assert OPTIONS[profile[0, war.index("t")]] == "broker" and play.pi[0, 0] > 0


def _pivot_case(cost: float, pivotal: bool):
    """t leans to a (60 on 'x'): it gains from joining either side, so its threat can be credible."""
    data = _base()
    data["stances"] = [st for st in data["stances"] if st["actor"] != "t"]
    data["stances"].append({"actor": "t", "issue": "x", "position": 60, "salience": 1})
    data["conflict"]["costs"]["t"] = cost
    war = replace(build_war(Scenario.model_validate(copy.deepcopy(data))), pivotal=pivotal)
    roles = war.side.astype(np.int8).copy()
    roles[war.index("t")] = ROLE["broker"]
    profile, _, vals = best_response_path(war)
    return war, OPTIONS[profile[0, war.index("t")]], payoffs(war, roles[None]), vals[0, 0]


def test_pivotal_deterrence_makes_the_armed_broker_s_deal_hold():
    # Crawford (2003): a credible threat to join against whoever refuses makes both sides accept
    war, chosen, play, vals = _pivot_case(0.1, pivotal=True)
    assert play.accepted[0, 0] and play.pi[0, 0] == 1.0
    assert chosen == "broker" and vals[ROLE["broker"]] > vals[ROLE["join-a"]]
    # without the mechanism the same deal holds only with the broker's leverage, and t joins a
    war, chosen, plain, _ = _pivot_case(0.1, pivotal=False)
    assert plain.pi[0, 0] == pytest.approx(plain.leverage[0, 0, war.index("t")]) and plain.pi[0, 0] < 1.0
    assert chosen == "join-a"


def test_pivotal_deterrence_fails_when_the_threat_is_not_credible():
    # fighting costs t 0.9 of its stake: it would rather let the war go on than carry out the threat
    war, chosen, play, _ = _pivot_case(0.9, pivotal=True)
    assert play.pi[0, 0] == pytest.approx(play.leverage[0, 0, war.index("t")]) and play.pi[0, 0] < 1.0
    assert chosen == "neutral"


def _chair_case(convening: bool, peace_value: float | None):
    """a (3) is the likelier winner over b (1) and prefers the war to any compromise (its own costs
    are 0 and the loser keeps a tenth of its weight), so every deal is refused (π = 0). t stands
    halfway between the sides (no stake of its own); with ``peace_value`` it is a declared chair."""
    data = _base()
    data["actors"][0]["capability"] = 3.0
    data["issues"] = [{"id": "x", "status_quo": 50}]
    data["stances"] = [{"actor": "a", "issue": "x", "position": 100, "salience": 1},
                       {"actor": "b", "issue": "x", "position": 0, "salience": 1},
                       {"actor": "t", "issue": "x", "position": 50, "salience": 0.2}]
    data["conflict"].update(costs={"a": 0.0, "b": 0.0, "t": 0.1}, broker_costs={"t": 0.5}, loser_weight=0.1)
    if peace_value is not None:
        data["conflict"]["brokers"] = [{"actor": "t", "kind": "chair", "peace_value": peace_value, "source": "test"}]
    war = replace(build_war(Scenario.model_validate(copy.deepcopy(data))), convening=convening)
    roles = war.side.astype(np.int8).copy()
    roles[war.index("t")] = ROLE["broker"]
    profile, ok, vals = best_response_path(war)
    return war, OPTIONS[profile[0, war.index("t")]], bool(ok[0]), payoffs(war, roles[None]), vals[0, 0]


def test_the_prestige_of_convening_makes_a_chair_broker_a_deal_that_fails():
    # Touval (1982): the chair's peace value is the standing it gains by convening the talks, so it
    # does not vanish when the deal is refused: brokering is worth V(war) + peace_value - cost
    war, chosen, ok, play, vals = _chair_case(convening=True, peace_value=0.3)
    t = war.index("t")
    assert not play.accepted[0, 0] and play.pi[0, 0] == 0.0  # a refuses every deal
    cost = 0.5 * 0.2  # broker_costs x the stake (its salience)
    assert play.value[0, 0, t] == pytest.approx(play.war_value[0, 0, t] + 0.3 - cost)
    assert ok and chosen == "broker" and vals[ROLE["broker"]] > vals[ROLE["neutral"]]
    # without the mechanism a refused deal is worth the war value less the cost: t stays out
    war, chosen, _, play, vals = _chair_case(convening=False, peace_value=0.3)
    assert play.value[0, 0, t] == pytest.approx(play.war_value[0, 0, t] - cost)
    assert chosen == "neutral"


def test_the_prestige_of_convening_needs_a_declared_value():
    # the condition fails: nothing at stake and no declared value, so the mechanism gives nothing
    war, chosen, _, _, vals = _chair_case(convening=True, peace_value=None)
    assert vals[ROLE["broker"]] == UNAVAILABLE and chosen == "neutral"
    war, chosen, _, play, vals = _chair_case(convening=True, peace_value=0.0)  # a chair that values nothing
    assert play.pi[0, 0] == 0.0 and chosen == "neutral" and vals[ROLE["broker"]] < vals[ROLE["neutral"]]
    # a declared value below the cost of brokering does not pay for the attempt either
    war, chosen, _, _, vals = _chair_case(convening=True, peace_value=0.05)
    assert chosen == "neutral" and vals[ROLE["broker"]] < vals[ROLE["neutral"]]


def test_a_guarantee_raises_the_deal_s_chance_of_holding():
    data = _base()
    war = build_war(Scenario.model_validate(copy.deepcopy(data)))
    roles = war.side.astype(np.int8).copy()
    roles[war.index("t")] = ROLE["broker"]
    plain = payoffs(war, roles[None])
    data["conflict"]["brokers"] = [{"actor": "t", "kind": "guarantor", "guarantee": 0.5, "source": "test"}]
    war = build_war(Scenario.model_validate(copy.deepcopy(data)))
    guaranteed = payoffs(war, roles[None])
    if plain.accepted[0, 0]:
        assert guaranteed.pi[0, 0] > plain.pi[0, 0]
    assert guaranteed.pi[0, 0] == pytest.approx(1 - (1 - plain.leverage[0, 0, war.index("t")]) * 0.5) or \
        not guaranteed.accepted[0, 0]


def test_a_commitment_brings_the_committed_third_party_along():
    data = _base()
    data["actors"].append({"id": "u", "capability": 0.2, "distance": 0})
    data["stances"].append({"actor": "u", "issue": "x", "position": 50, "salience": 0.1})
    data["conflict"]["third_parties"] = ["t", "u"]
    war, profile, _, _, _ = _solve(data)
    t_option = OPTIONS[profile[0, war.index("t")]]
    assert t_option.startswith("join")
    data["conflict"]["commitments"] = [{"actor": "u", "option": t_option, "when": {"actor": "t", "option": t_option},
                                        "source": "test"}]
    war, profile, ok, _, _ = _solve(data)
    if OPTIONS[profile[0, war.index("t")]] == t_option:
        assert OPTIONS[profile[0, war.index("u")]] == t_option


def test_a_following_phase_starts_from_the_earlier_settlement_and_keeps_it_closed():
    data = _base()
    data["conflict"]["phases"] = [{"id": "one", "observed": {"own": 40, "x": 70}},
                                  {"id": "two", "follows": "one", "stakes": ["x"]}]
    s = Scenario.model_validate(data)
    war = build_war(s, s.conflict.phases[1])
    assert war.status_quo.tolist() == [70, 40]
    assert war.closed.tolist() == [False, True]
    play = payoffs(war, war.side[None, None].astype(np.int8))
    assert play.settlement()[0, 0, 1] == 40


def test_the_default_scenario_reproduces_the_recorded_choices(tmp_path):
    """The seed: Russia stays out, paid by Qing, in 1858 and brokers as the only channel in 1860;
    the United States stays out in both (docs/thirdparty.md)."""
    from tertius.io import load_scenario

    (tmp_path / "seed.yaml").write_text(load_scenario().model_dump_json(), encoding="utf-8")
    result = validate_casebook(tmp_path)
    assert result["casebook"]["matched"] == 4 == result["casebook"]["decisions"]
    for phase in ("1858", "1860"):
        war_rows = [r for r in result["decisions"] if r["phase"] == phase]
        assert len(war_rows) == 2


def test_the_casebook_s_cross_validation_selects_the_variant_without_the_held_out_case():
    """Leave-one-case-out: each case is scored under the (join_cost, pivotal, convening) triple that
    matches most decisions of the other cases, so its score is out of fold."""
    from pathlib import Path

    from tertius.conflict.casebook import CONVENING_GRID, JOIN_COST_GRID, PIVOTAL_GRID, cross_validate, score_case
    from tertius.io import load_scenario

    folder = Path(__file__).resolve().parents[1] / "casebook"
    cases = [load_scenario(folder / f"{c}.yaml") for c in ("first-opium-war-1839-1844", "second-opium-war",
                                                             "spain-turkey-1940-41")]
    cv = cross_validate(cases)
    grid = [(c, p, v) for c in JOIN_COST_GRID for p in PIVOTAL_GRID for v in CONVENING_GRID]
    runs = {g: [score_case(s, s.id, *g) for s in cases] for g in grid}
    for i, s in enumerate(cases):
        def others(g, i=i):
            return sum(r["matched"] for j, rr in enumerate(runs[g]) if j != i for r in rr), -g[0], not g[1], not g[2]
        best = max(grid, key=others)
        assert (cv["join_cost"][s.id], cv["pivotal"][s.id], cv["convening"][s.id]) == best
        def calls(rows):  # the probability is the fold's logit's (tests/test_casebook_setting.py)
            return [{k: v for k, v in r.items() if k != "probability"} for r in rows]
        assert calls(r for r in cv["decisions"] if r["case"] == s.id) == calls(runs[best][i])
    assert cv["casebook"]["decisions"] == sum(len(runs[grid[0]][i]) for i in range(len(cases)))
