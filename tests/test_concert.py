"""Concerts, agents and agendas (docs/thirdparty.md, "Concerts and agents"): each can be the
equilibrium, and is not when its condition fails. The cases are small conflicts built here."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tertius.conflict.game import best_response_path, payoffs
from tertius.conflict.war import OPTIONS, ROLE, build_war
from tertius.errors import ScenarioProblem
from tertius.scenario import Scenario


def _base(pt: float = 90, pu: float = 10, pv: float = 0.5) -> dict[str, Any]:
    """Two sides at war over 'x'; two powers 't' and 'u' on opposite sides of the middle, each a
    chair that values peace."""
    return {
        "id": "c",
        "actors": [{"id": "a", "capability": 1.0, "distance": 0}, {"id": "b", "capability": 1.0, "distance": 0},
                   {"id": "t", "capability": 0.5, "distance": 0}, {"id": "u", "capability": 0.5, "distance": 0}],
        "issues": [{"id": "x", "status_quo": 50}, {"id": "y", "status_quo": 0}],
        "stances": [
            {"actor": "a", "issue": "x", "position": 100, "salience": 1},
            {"actor": "b", "issue": "x", "position": 0, "salience": 1},
            {"actor": "b", "issue": "y", "position": 0, "salience": 0.1},
            {"actor": "t", "issue": "x", "position": pt, "salience": 1},
            {"actor": "u", "issue": "x", "position": pu, "salience": 1},
        ],
        "conflict": {"side_a": {"name": "A", "actors": ["a"]}, "side_b": {"name": "B", "actors": ["b"]},
                     "stakes": ["x"], "third_parties": ["t", "u"], "contest": "war-trap",
                     "costs": {"a": 0.2, "b": 0.2, "t": 0.3, "u": 0.3}, "broker_costs": {"t": 0.02, "u": 0.02},
                     "brokers": [{"actor": "t", "kind": "chair", "peace_value": pv, "source": "test"},
                                 {"actor": "u", "kind": "chair", "peace_value": pv, "source": "test"}],
                     "concerts": [{"id": "powers", "members": ["t", "u"], "source": "test"}]},
    }


def _war(data: dict[str, Any]):
    return build_war(Scenario.model_validate(copy.deepcopy(data)))


def _play(war, t: str, u: str):
    roles = np.array(war.side, dtype=np.int8)
    roles[war.index("t")], roles[war.index("u")] = ROLE[t], ROLE[u]
    return payoffs(war, roles[None])


def test_a_concert_brokers_as_one_body_with_the_members_compromise_and_combined_leverage():
    war = _war(_base())
    both, alone = _play(war, "broker", "broker"), _play(war, "broker", "neutral")
    assert both.deal[0, 0, 0] == pytest.approx(50)  # the members' compromise: (90 + 10) / 2
    assert alone.deal[0, 0, 0] > 50  # t alone pulls towards its own 90
    # one body, one threat: π of the concert (combined strength), not 1 - Π(1 - π_k)
    plain = _war({**_base(), "conflict": {**_base()["conflict"], "concerts": []}})
    assert both.pi[0, 0] > alone.pi[0, 0]
    assert both.pi[0, 0] < _play(plain, "broker", "broker").pi[0, 0]


def test_the_concert_is_the_equilibrium_and_leaving_it_is_a_deviation_that_does_not_pay():
    war = _war(_base())
    profile, ok, vals = best_response_path(war)
    assert ok[0] and [OPTIONS[profile[0, war.index(k)]] for k in ("t", "u")] == ["broker", "broker"]
    # each member's best response is to stay in: leaving (any other option) is worth less
    for j in range(2):
        assert vals[0, j].argmax() == ROLE["broker"]


def test_without_the_value_of_peace_the_members_do_not_broker():
    war = _war(_base(pv=0.0))
    profile, ok, _ = best_response_path(war)
    assert ok[0] and ROLE["broker"] not in [profile[0, war.index(k)] for k in ("t", "u")]


def test_unanimity_a_member_that_leaves_breaks_the_concert():
    war = _war(_base())
    alone = _play(war, "broker", "neutral")
    solo = _war({**_base(), "conflict": {**_base()["conflict"], "concerts": []}})
    ref = _play(solo, "broker", "neutral")
    np.testing.assert_allclose(alone.deal, ref.deal)  # t brokers on its own, with its own stance
    np.testing.assert_allclose(alone.pi, ref.pi)


def test_a_concert_s_deal_holds_only_where_each_belligerent_prefers_it_to_war():
    ok = _play(_war(_base()), "broker", "broker")
    assert ok.accepted[0, 0] and ok.pi[0, 0] > 0
    assert (ok.value[0, 0, :2] >= ok.war_value[0, 0, :2] - 1e-12).all()
    # both powers for side a, with all their weight: side b prefers war to the concert's terms
    data = _base(pt=100, pu=100)
    data["conflict"]["costs"] = {"a": 0.0, "b": 0.0, "t": 0.3, "u": 0.3}
    data["actors"][2]["capability"] = data["actors"][3]["capability"] = 3.0
    war = _war(data)
    bad = _play(war, "broker", "broker")
    assert bad.deal[0, 0, 0] > 50
    assert not bad.accepted[0, 0] and bad.pi[0, 0] == 0
    profile, _, _ = best_response_path(war)
    assert [OPTIONS[profile[0, war.index(k)]] for k in ("t", "u")] != ["broker", "broker"]


def _agent(pv: float) -> dict[str, Any]:
    data = _base(pt=50, pu=50)
    data["stances"] = [st for st in data["stances"] if st["actor"] != "t"]
    data["conflict"]["third_parties"] = ["t"]
    data["conflict"]["concerts"] = []
    data["conflict"]["brokers"] = [{"actor": "t", "kind": "agent", "side": "b", "peace_value": pv, "source": "test"}]
    return data


def test_an_agent_carries_its_side_s_terms_and_is_the_equilibrium_when_both_sides_accept():
    war = _war(_agent(0.3))
    play = _play(war, "broker", "neutral")
    assert play.deal[0, 0, 0] < 50  # pulled towards side b's 0, though t has no terms of its own
    profile, ok, _ = best_response_path(war)
    assert ok[0] and OPTIONS[profile[0, war.index("t")]] == "broker"


def test_an_agent_whose_side_s_terms_the_other_side_refuses_does_not_broker():
    data = _agent(0.3)
    data["actors"][2]["capability"] = 5.0  # so much weight that side a prefers war to b's terms
    data["conflict"]["costs"] = {"a": 0.0, "b": 0.0, "t": 0.3}
    war = _war(data)
    play = _play(war, "broker", "neutral")
    assert not play.accepted[0, 0]
    profile, _, _ = best_response_path(war)
    assert OPTIONS[profile[0, war.index("t")]] != "broker"


def test_an_agenda_keeps_every_other_issue_closed():
    data = _base()
    data["stances"].append({"actor": "t", "issue": "y", "position": 100, "salience": 0.5})
    data["conflict"]["phases"] = [{"id": "p", "agenda": []}]
    war = build_war(Scenario.model_validate(data), Scenario.model_validate(data).conflict.phases[0])
    assert war.closed.tolist() == [False, True]  # the stake stays open, 'y' is closed
    assert _play(war, "broker", "broker").deal[0, 0, 1] == 0  # the status quo
    data["conflict"]["phases"] = [{"id": "p", "agenda": ["y"]}]
    s = Scenario.model_validate(data)
    war = build_war(s, s.conflict.phases[0])
    assert _play(war, "broker", "broker").deal[0, 0, 1] > 0


def test_an_agenda_issue_is_decided_by_the_war_as_well_as_by_a_deal():
    """An issue on the agenda is open in this phase: without a deal the war decides it (here b,
    which cares about 'y', has its way when it wins); off the agenda it keeps its status quo."""
    data = _base()
    data["stances"][2]["salience"] = 0.5  # b's claim on 'y' (status quo 0) is b's position 0: move it
    data["stances"][2]["position"] = 100
    data["conflict"]["phases"] = [{"id": "p", "agenda": ["y"]}]
    s = Scenario.model_validate(data)
    war = build_war(s, s.conflict.phases[0])
    assert war.opened.tolist() == [False, True]
    war_only = _play(war, "neutral", "neutral")
    assert war_only.b_wins[0, 0, 1] == pytest.approx(100) and war_only.a_wins[0, 0, 1] > 0
    data["conflict"]["phases"] = [{"id": "p", "agenda": []}]
    s = Scenario.model_validate(data)
    closed = build_war(s, s.conflict.phases[0])
    assert _play(closed, "neutral", "neutral").b_wins[0, 0, 1] == 0  # not on the agenda: the status quo



def test_an_agenda_reopens_an_issue_a_followed_phase_settled_and_only_then():
    """A phase that follows another starts from its settlement: 'y', recorded there at 20, is
    the status quo. On this phase's agenda it is open (a deal and the war can move it); off the
    agenda it keeps that settlement in every outcome (docs/thirdparty.md, "Mechanisms", 5 and 10)."""
    data = _base()
    data["stances"][2]["salience"] = 0.5
    data["stances"][2]["position"] = 100
    data["stances"].append({"actor": "t", "issue": "y", "position": 100, "salience": 0.5})
    first = {"id": "p1", "observed": {"x": {"value": 50, "source": "test"}, "y": {"value": 20, "source": "test"}}}
    for agenda, is_open in ((["y"], True), ([], False)):
        data["conflict"]["phases"] = [first, {"id": "p2", "follows": "p1", "agenda": agenda}]
        s = Scenario.model_validate(copy.deepcopy(data))
        war = build_war(s, s.conflict.phases[1])
        assert war.status_quo[1] == 20  # the followed phase's settlement
        assert war.closed.tolist() == [False, not is_open]
        deal, fought = _play(war, "broker", "broker"), _play(war, "neutral", "neutral")
        if is_open:
            assert deal.deal[0, 0, 1] > 20 and fought.b_wins[0, 0, 1] == pytest.approx(100)
        else:
            assert deal.deal[0, 0, 1] == 20 and fought.b_wins[0, 0, 1] == 20

def _coordination() -> dict[str, Any]:
    """Each power alone pulls the deal towards its own extreme, which one side refuses, so a lone
    broker gets no deal: everyone out is an equilibrium. Together their compromise (50) is
    accepted, and each values the peace: the concert is an equilibrium too, better for both."""
    data = _base(pt=100, pu=0, pv=0.5)
    for k in (2, 3):
        data["actors"][k]["capability"] = 3.0
    data["conflict"]["costs"] = {"a": 0.0, "b": 0.0, "t": 0.3, "u": 0.3}
    return data


def test_a_concert_that_can_agree_on_a_joint_move_is_selected_over_everyone_out():
    war = _war(_coordination())
    out = _play(war, "neutral", "neutral")
    lone = _play(war, "broker", "neutral")
    assert not lone.accepted[0, 0]  # a lone broker gets no deal: staying out is a best response
    assert lone.value[0, 0, war.index("t")] < out.value[0, 0, war.index("t")]
    both = _play(war, "broker", "broker")
    assert both.accepted[0, 0]
    for k in ("t", "u"):
        assert both.value[0, 0, war.index(k)] > out.value[0, 0, war.index(k)]
    profile, ok, _ = best_response_path(war)
    assert ok[0] and [OPTIONS[profile[0, war.index(k)]] for k in ("t", "u")] == ["broker", "broker"]


def test_without_a_declared_concert_the_powers_do_not_move_together_to_broker():
    data = _coordination()
    data["conflict"]["concerts"] = []
    war = _war(data)
    profile, ok, _ = best_response_path(war)
    assert ok[0] and [OPTIONS[profile[0, war.index(k)]] for k in ("t", "u")] != ["broker", "broker"]


def test_a_concert_equilibrium_that_a_member_likes_less_is_not_selected():
    data = _coordination()
    data["conflict"]["brokers"][1]["peace_value"] = 0.0  # u gains nothing from peace, and pays to broker
    war = _war(data)
    profile, ok, vals = best_response_path(war)
    assert ok[0] and OPTIONS[profile[0, war.index("u")]] != "broker"


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["conflict"]["concerts"][0]["members"].append("zz"), "members", "unknown actor 'zz'"),
    (lambda d: d["conflict"]["concerts"][0]["members"].append("a"), "members", "'a' is on a side"),
    (lambda d: d["conflict"].__setitem__("third_parties", ["t"]), "members", "'u' is not a third party here"),
    (lambda d: d["conflict"]["concerts"][0]["members"].append("t"), "members", "'t' is already in concert"),
    (lambda d: d["conflict"]["brokers"].__setitem__(0, {"actor": "t", "kind": "agent", "source": "s"}), "side",
     "declares no side"),
    (lambda d: d["conflict"].__setitem__("phases", [{"id": "p", "agenda": ["nope"]}]), "agenda",
     "unknown issue 'nope'"),
])
def test_hostile_declarations_give_one_line_errors_naming_the_field(change, field, words):
    data = _base()
    change(data)
    with pytest.raises(ScenarioProblem) as err:
        Scenario.model_validate(data)
    text = f"{err.value.path} {err.value.message} {err.value.fix}"
    assert field in err.value.path and words in text and err.value.fix and "\n" not in text


def test_an_exchange_concert_trades_across_issues_and_both_members_gain_over_the_compromise():
    data = _base(pt=90, pu=10)
    data["issues"].append({"id": "z", "status_quo": 50})
    data["stances"] = [st for st in data["stances"] if st["actor"] not in ("t", "u")] + [
        {"actor": "t", "issue": "x", "position": 90, "salience": 1.0},
        {"actor": "t", "issue": "z", "position": 0, "salience": 0.2},
        {"actor": "u", "issue": "x", "position": 10, "salience": 0.2},
        {"actor": "u", "issue": "z", "position": 100, "salience": 1.0},
    ]
    from tertius.conflict.concert import concert_stance
    from tertius.forecast import closeness

    war = _war(data)
    idx = [war.index("t"), war.index("u")]
    plain = concert_stance(war, idx, "compromise")[0]
    traded = concert_stance(war, idx, "exchange")[0]
    xi, zi = war.issue_ids.index("x"), war.issue_ids.index("z")
    assert traded[xi] > plain[xi] and traded[zi] > plain[zi]  # u yields on x, t on z

    def u(k: int, o: np.ndarray) -> float:
        x, s = war.position[0, k], war.salience[0, k]
        return float(np.nansum(s * closeness(x, o, war.span)))

    for k in idx:  # the trade leaves each member better off than the compromise
        assert u(k, traded) > u(k, plain)
    before = _play(war, "broker", "broker").deal[0, 0]
    data["conflict"]["concerts"][0]["model"] = "exchange"
    after = _play(_war(data), "broker", "broker").deal[0, 0]
    assert after[xi] > before[xi] and after[zi] > before[zi]  # the deal moves with the concert's stance


@given(st.lists(st.floats(0, 100), min_size=4, max_size=4), st.lists(st.floats(0.05, 1), min_size=4, max_size=4),
       st.lists(st.floats(0.1, 3), min_size=2, max_size=2), st.sampled_from(["compromise", "exchange"]))
@settings(max_examples=40, deadline=None)
def test_property_a_concert_never_leaves_a_belligerent_below_its_war_value_and_needs_every_member(pos, sal, caps,
                                                                                                  model):
    data = _base()
    for k, (actor, issue) in enumerate((("t", "x"), ("u", "x"), ("t", "y"), ("u", "y"))):
        data["stances"] = [s for s in data["stances"] if (s["actor"], s["issue"]) != (actor, issue)]
        data["stances"].append({"actor": actor, "issue": issue, "position": pos[k], "salience": sal[k]})
    data["actors"][2]["capability"], data["actors"][3]["capability"] = caps
    data["conflict"]["concerts"][0]["model"] = model
    war = _war(data)
    both = _play(war, "broker", "broker")
    fight = war.side > 0
    if both.accepted[0, 0]:
        assert (both.value[0, 0, fight] >= both.war_value[0, 0, fight] - 1e-9).all()
    else:
        assert both.pi[0, 0] == 0
    plain = _war({**data, "conflict": {**data["conflict"], "concerts": []}})
    for roles in (("broker", "neutral"), ("neutral", "broker"), ("join-a", "broker")):
        np.testing.assert_allclose(_play(war, *roles).value, _play(plain, *roles).value)


def test_a_guarantor_in_a_concert_raises_the_deal_s_chance_of_holding_as_it_does_alone():
    data = _base()
    data["conflict"]["brokers"][0] = {"actor": "t", "kind": "guarantor", "guarantee": 0.5, "source": "test"}
    war = _war(data)
    plain = _war({**data, "conflict": {**data["conflict"], "brokers": [data["conflict"]["brokers"][1]]}})
    both, without = _play(war, "broker", "broker"), _play(plain, "broker", "broker")
    assert both.accepted[0, 0] and without.accepted[0, 0]
    assert both.pi[0, 0] == pytest.approx(1 - (1 - without.pi[0, 0]) * 0.5)
    data["conflict"]["brokers"][0]["guarantee"] = 0.0  # no guarantee: no change
    assert _play(_war(data), "broker", "broker").pi[0, 0] == pytest.approx(without.pi[0, 0])
