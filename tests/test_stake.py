"""A stake before a choice (docs/thirdparty.md, "A stake before a choice"): a third party with no
stake in the war and no declared instrument cannot broker. Its broker option is unavailable in the
game, so no equilibrium search selects it, and the game's logit and the choice model give it
probability 0; with a stake, or with a declared instrument, the same third party can broker."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from tertius.conflict import choicemodel
from tertius.conflict.choice import probabilities
from tertius.conflict.equilibrium import solve
from tertius.conflict.game import UNAVAILABLE, best_response_path, pure_equilibria
from tertius.conflict.war import ROLE, build_war, has_stake, instrument, may_broker, side_demands, with_inputs
from tertius.io.thirdparty_table import read_decision_table
from tertius.scenario import Scenario
from tests.test_conflict import conflicts

BROKER = ROLE["broker"]


def _data(position: float) -> dict[str, Any]:
    """Two equal sides at war over 'x' (side A wants 100, side B 0); a strong, close third party
    't' takes a stance on 'x' at ``position`` and claims nothing else."""
    return {
        "id": "stake",
        "actors": [{"id": "a", "capability": 1.0, "distance": 0}, {"id": "b", "capability": 1.0, "distance": 0},
                   {"id": "t", "capability": 1.0, "distance": 0}],
        "issues": [{"id": "x", "status_quo": 50}],
        "stances": [{"actor": "a", "issue": "x", "position": 100, "salience": 1},
                    {"actor": "b", "issue": "x", "position": 0, "salience": 1},
                    {"actor": "t", "issue": "x", "position": position, "salience": 1}],
        "conflict": {"side_a": {"name": "A", "actors": ["a"]}, "side_b": {"name": "B", "actors": ["b"]},
                     "stakes": ["x"], "third_parties": ["t"], "contest": "war-trap",
                     "costs": {"a": 0.3, "b": 0.3, "t": 0.3}, "broker_costs": {"t": 0.0}},
    }


def _war(data: dict[str, Any]):
    return build_war(Scenario.model_validate(copy.deepcopy(data)))


def _choice_model_broker(vals: np.ndarray, eq: str) -> float:
    """P(broker) from the shipped choice model for a candidate with these option values."""
    x = np.zeros((4, len(choicemodel.COVARIATES) + len(choicemodel.GAME_TERMS)))
    ok = choicemodel._game_terms(x[None], np.asarray(vals, dtype=float)[None], [eq])[0]
    d = choicemodel.Design(x[None], ok[None], np.array([-1]), ["g"], choicemodel.COVARIATES + choicemodel.GAME_TERMS,
                           [{}])
    return float(choicemodel.option_probabilities(d, choicemodel.shipped()["theory"])[0, BROKER])


def test_an_impartial_third_party_without_an_instrument_cannot_broker():
    """Halfway between the sides' demands, with no claim of its own and nothing declared: no stake.
    Its broker option is unavailable; every model gives it 0 and no search selects it."""
    war = _war(_data(50))
    k = war.index("t")
    assert not has_stake(war)[0, k] and not instrument(war)[k] and not may_broker(war)[0, k]
    np.testing.assert_allclose(side_demands(war)[0, :, 0], [100, 0])
    profile, ok, vals = best_response_path(war)
    assert ok[0] and profile[0, k] != BROKER
    assert vals[0, 0, BROKER] == UNAVAILABLE
    for lam in (1e-4, 1.0, 9.0, 1e3):  # exactly 0, however flat the logit
        assert probabilities(vals[0], lam, -4.5)[0, BROKER] == 0.0
    assert _choice_model_broker(vals[0, 0], "neutral") == 0.0
    roles, is_ne = pure_equilibria(war)
    assert not (roles[is_ne[0]][:, k] == BROKER).any()
    # perturbed draws of the capabilities: still never selected
    caps = np.array([[1.0, 1.0, c] for c in (0.1, 0.5, 2.0, 5.0, 20.0)])
    drawn = with_inputs(war, np.repeat(war.position, 5, 0), np.repeat(war.salience, 5, 0), caps)
    sol = solve(drawn)
    assert not (sol.profile[:, k] == BROKER).any()
    assert (probabilities(sol.values)[:, 0, BROKER] == 0).all()


def test_the_same_third_party_with_a_stake_brokers():
    """Nearer side A's demand than side B's (55 against 100 and 0): a stake. Brokering is open,
    has a positive probability in both models, and is the equilibrium for these inputs."""
    war = _war(_data(55))
    k = war.index("t")
    assert has_stake(war)[0, k] and may_broker(war)[0, k]
    profile, ok, vals = best_response_path(war)
    assert ok[0] and profile[0, k] == BROKER
    assert probabilities(vals[0])[0, BROKER] > 0.5
    assert _choice_model_broker(vals[0, 0], "broker") > 0


def test_a_declared_instrument_opens_brokering_without_a_stake():
    """The impartial third party of the first test, declared a chair that values peace: it
    brokers (the instrument, not a stake, opens the option)."""
    data = _data(50)
    data["conflict"]["brokers"] = [{"actor": "t", "kind": "chair", "peace_value": 1.0, "source": "test"}]
    war = _war(data)
    k = war.index("t")
    assert not has_stake(war)[0, k] and instrument(war)[k]
    profile, ok, vals = best_response_path(war)
    assert ok[0] and profile[0, k] == BROKER
    assert probabilities(vals[0])[0, BROKER] > 0


def test_a_side_deal_or_control_is_an_instrument():
    data = _data(50)
    data["issues"].append({"id": "own", "status_quo": 0})
    data["stances"].append({"actor": "b", "issue": "own", "position": 0, "salience": 0.2})
    data["conflict"]["side_deals"] = [{"third_party": "t", "side": "b", "option": "neutral", "issues": ["own"],
                                       "source": "test"}]
    war = _war(data)
    assert instrument(war)[war.index("t")] and may_broker(war)[0, war.index("t")]


def test_table_rows_without_ties_or_rivalries_have_no_stake(tmp_path):
    """The tables give a candidate with no alliance tie and no strategic rivalry with the sides'
    originals (or the same ties to both sides) the position halfway between the sides
    (docs/thirdparty-data.md, revision 3): no stake, so P(broker) = 0; a candidate tied to one
    side leans to it and may broker, and so may a rival of one side's originals with no tie (the
    United States, France's rival 1830-1871, Thompson & Dreyer)."""
    head = ("war_num,war_name,start_date,start_year,ccode,abb,joined,join_year,join_lag_days,cinc,cinc_a,cinc_b,"
            "dist_a_km,dist_b_km,ally_a,ally_b,defense_a,defense_b,orig_a,orig_b,initiator_side\n")
    rows = ["1,W,1850-01-01,1850,20,CAN,none,,,0.03,0.1,0.05,6000,6100,0,0,0,0,220,230,A",
            "1,W,1850-01-01,1850,3,XXX,none,,,0.03,0.1,0.05,600,500,1,1,0,0,220,230,A",
            "1,W,1850-01-01,1850,4,YYY,A,,,0.03,0.1,0.05,600,500,1,0,1,0,220,230,A",
            "1,W,1850-01-01,1850,2,USA,none,,,0.03,0.1,0.05,6000,6100,0,0,0,0,220,230,A"]
    path = tmp_path / "t.csv"
    path.write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    _, (case,) = read_decision_table(path, cost=0.1)
    war = build_war(case.scenario)
    ks = [war.index(t) for t in ("CAN", "XXX", "YYY", "USA")]
    assert may_broker(war)[0, ks].tolist() == [False, False, True, True]
    _, _, vals = best_response_path(war)
    p = probabilities(vals[0])
    assert p[0, BROKER] == 0 and p[1, BROKER] == 0 and p[2, BROKER] > 0 and p[3, BROKER] > 0


@settings(max_examples=30, deadline=None)
@given(data=conflicts(third_parties=2))
def test_without_a_stake_or_instrument_brokering_is_never_open(data):
    """For any generated conflict: a third party that may not broker gets the unavailable value,
    probability 0 and is never selected; one that may broker gets a real value."""
    war = _war(data)
    profile, _, vals = best_response_path(war)
    p = probabilities(vals)
    for j, k in enumerate(np.flatnonzero(war.third)):
        if may_broker(war)[0, k]:
            assert vals[0, j, BROKER] > UNAVAILABLE / 2
        else:
            assert vals[0, j, BROKER] == UNAVAILABLE
            assert p[0, j, BROKER] == 0.0
            assert profile[0, k] != BROKER


@pytest.mark.parametrize("position", [0.0, 50.0, 100.0])
def test_the_stake_reads_the_sides_demands_not_their_labels(position):
    """Swapping the sides keeps every actor's stake."""
    data = _data(position)
    war = _war(data)
    c = data["conflict"]
    swapped = copy.deepcopy(data)
    swapped["conflict"].update(side_a=c["side_b"], side_b=c["side_a"])
    assert (has_stake(war) == has_stake(_war(swapped))).all()
