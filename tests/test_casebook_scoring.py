"""How the casebook compares the model's settlement with the record (docs/thirdparty.md, "The
casebook"): the forecast settlement is the likeliest outcome of the game, so a brokered deal that
the model itself gives small odds of holding is not scored as the forecast."""

from __future__ import annotations

import copy
from dataclasses import fields

import numpy as np
import pytest

from tertius.conflict.casebook import score_case
from tertius.conflict.game import Play, payoffs
from tertius.conflict.war import ROLE, build_war
from tertius.scenario import Scenario
from tests.test_mechanisms import _base


def _play(pi: float, p_a: float, paid: float = np.nan) -> Play:
    """One draw, one profile, one issue: A's terms 100, B's 0, the deal 50."""
    arrays = {f.name: np.zeros((1, 1, 1)) for f in fields(Play)}
    arrays.update(p_a=np.array([[p_a]]), pi=np.array([[pi]]), a_wins=np.full((1, 1, 1), 100.0),
                  b_wins=np.zeros((1, 1, 1)), deal=np.full((1, 1, 1), 50.0), paid=np.full((1, 1, 1), paid))
    return Play(**arrays)


@pytest.mark.parametrize(("pi", "p_a", "expected"), [
    (0.1, 0.8, 100.0),   # the war goes on nine times in ten and A wins 80 % of it: A's terms
    (0.1, 0.2, 0.0),     # likewise, B's terms
    (0.45, 0.8, 50.0),   # 0.45 >= 0.55 x 0.8: the deal is the likeliest single outcome
    (0.4, 0.8, 100.0),   # 0.40 < 0.60 x 0.8 = 0.48: A's victory is likelier than the deal
    (0.6, 0.5, 50.0),
    (1.0, 0.9, 50.0),
])
def test_the_forecast_settlement_is_the_likeliest_outcome(pi, p_a, expected):
    assert _play(pi, p_a).settlement()[0, 0, 0] == expected


def test_a_price_paid_outside_the_peace_settles_its_issue_whatever_the_deal():
    assert _play(0.1, 0.8, paid=30.0).settlement()[0, 0, 0] == 30.0
    assert _play(0.9, 0.8, paid=30.0).settlement()[0, 0, 0] == 30.0


def _weak_broker(capability: float) -> dict:
    """The mechanisms' two sides at war over 'x' (tests/test_mechanisms.py), with the third party
    't', which claims 'own', weaker and with a view on 'x'. Its deal then holds rarely; the phase
    records it brokering and 'own' unchanged."""
    data = _base()
    data["actors"][2]["capability"] = capability
    data["stances"].append({"actor": "t", "issue": "x", "position": 50, "salience": 0.5})
    data["conflict"]["phases"] = [{"id": "p", "actual": {"t": "broker"}, "observed": {"own": 0}}]
    return data


def test_a_deal_that_rarely_holds_is_not_scored_as_the_third_party_s_gain():
    """Found by the decomposition of the casebook's gains error (docs/thirdparty.md): a broker's
    deal that holds with probability 0.03 moved its own issue to 25 in the forecast, and the
    casebook scored that against the record (no gain) although the war, which the model expects
    97 times in 100, leaves the issue where it was."""
    s = Scenario.model_validate(copy.deepcopy(_weak_broker(0.05)))
    war = build_war(s, s.conflict.phases[0])
    roles = war.side[None, None].astype(np.int8).copy()
    roles[..., war.index("t")] = ROLE["broker"]
    play = payoffs(war, roles)
    own = war.issue_ids.index("own")
    assert 0 < play.pi[0, 0] < 0.1 and play.deal[0, 0, own] > 20  # the deal would pay t, rarely
    assert play.settlement()[0, 0, own] == 0  # the war's outcome: 'own' is no stake, nobody joined
    row = score_case(s, "weak")[0]
    assert row["gain_error_recorded"] == 0


def test_a_deal_that_surely_holds_is_the_forecast():
    """The contrast: the same broker made sure to hold its deal (a guarantor whose guarantee is 1;
    side b no longer minds 't' gaining 'own', so both sides accept) is the forecast, and its terms
    on the broker's claim are scored."""
    data = _weak_broker(0.05)
    data["stances"] = [st for st in data["stances"] if not (st["actor"] == "b" and st["issue"] == "own")]
    data["conflict"]["brokers"] = [{"actor": "t", "kind": "guarantor", "guarantee": 1.0, "source": "test"}]
    s = Scenario.model_validate(data)
    war = build_war(s, s.conflict.phases[0])
    roles = war.side[None, None].astype(np.int8).copy()
    roles[..., war.index("t")] = ROLE["broker"]
    play = payoffs(war, roles)
    own = war.issue_ids.index("own")
    assert play.pi[0, 0] == 1.0  # accepted by both sides, and guaranteed
    assert play.settlement()[0, 0, own] == play.deal[0, 0, own] > 20
    assert score_case(s, "weak")[0]["gain_error_recorded"] == pytest.approx(play.deal[0, 0, own])


def test_the_gains_baseline_is_the_status_quo_of_each_own_issue():
    """The baseline of the gains MAE: no third party gains anything, so its own issue stays at the
    phase's status quo (0 here). The record says 't' gained 40 on 'own': the baseline is 40 points
    off whatever the game forecasts, and the summary averages it over the same decisions as the
    model's gains."""
    from tertius.conflict.casebook import summarise

    data = _weak_broker(0.05)
    data["conflict"]["phases"][0]["observed"] = {"own": 40}
    row = score_case(Scenario.model_validate(data), "weak")[0]
    assert row["gain_error_status_quo"] == pytest.approx(40.0)
    assert row["gain_error_recorded"] == pytest.approx(40.0)  # the war leaves 'own' where it was
    unscored = dict(row, gain_error=None, gain_error_status_quo=None)
    out = summarise([row, unscored], 1)
    assert out["baseline_gains_mae"] == pytest.approx(40.0) and out["gains_scored"] == 1
    assert summarise([unscored], 1)["baseline_gains_mae"] is None


def test_how_sure_gives_the_gains_lead_over_the_status_quo():
    from tertius.conflict.casebook import how_sure

    rows = [{"case": c, "recorded": "neutral", "matched": True, "probability": 0.5,
             "gain_error": g, "gain_error_status_quo": q} for c, g, q in (
        ("x", 10.0, 30.0), ("x", None, None), ("y", 50.0, 20.0), ("z", 0.0, 0.0))]
    lead = how_sure(rows, seed=0)["gains_mae_minus_status_quo"]
    assert lead["value"] == pytest.approx(((10 - 30) + (50 - 20) + 0) / 3)
    assert lead["low"] <= lead["value"] <= lead["high"]
