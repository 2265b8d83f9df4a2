"""Stokman's exchange model: reference tests against Decide's published runs, determinism.

References: shared/data/decide/reference/CoP21.compare.csv (the 128 round-1 exchanges of the
2016 Decide code on CoP21) and the seed-independent ("fixed") round-1 voting outcomes in
shared/reference/decide-exchange-model.md section 6.
"""

from __future__ import annotations

import csv
import json
import re

import pytest

from tertius.io import load_scenario
from tertius.models import run_model
from tests.conftest import DECIDE_INPUT, SHARED, need

REFERENCE = SHARED / "data" / "decide" / "reference" / "CoP21.compare.csv"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _actor(text: str) -> str:
    return {"ldc": "ldcsbgd"}.get(_norm(text), _norm(text))


@pytest.fixture(scope="module")
def cop21_round1():
    s = load_scenario(need(DECIDE_INPUT / "CoP21_2019.csv"))
    f = run_model(s, "exchange", {"rounds": 1})
    ours = [(frozenset({(_actor(e["supplier_p"]), _norm(e["issue_p"])), (_actor(e["demander_p"]), _norm(e["issue_q"]))}),
             e["gain"]) for e in f.details["exchanges"][0]]
    ref = []
    with need(REFERENCE).open() as fh:
        for r in csv.reader(fh, delimiter=";"):
            if r and r[0]:
                ref.append((frozenset({(_actor(r[0]), _norm(r[1])), (_actor(r[2]), _norm(r[3]))}), float(r[4])))
    return ref, ours


def test_cop21_round1_matches_decide_up_to_the_first_exact_tie(cop21_round1):
    """The first 58 exchanges are the reference's, in order, with the same gains (the file
    gives 6 significant digits). At #58 two candidates have exactly the same gain, 0.168042:
    China/finance_who <-> EU28/eaa (the reference's pick) and China/mrv <-> EU28/eaa (ours,
    the one created first; Decide broke it with a coin flip). The study (section 5.4) finds
    the same: the identical prefix of the peer, with its bookkeeping bug patched, ends at
    the same tie. Every later difference follows from that pick: the pair realised changes
    the supply positions and outcomes that later candidates are computed from."""
    ref, ours = cop21_round1
    for k in range(58):
        assert ref[k][0] == ours[k][0], k
        assert ours[k][1] == pytest.approx(ref[k][1], rel=5e-6, abs=1e-6), k
    assert ref[58][0] != ours[58][0]
    assert ours[58][1] == pytest.approx(ref[58][1], abs=1e-6)
    assert ("china", "financewho") in ref[58][0] and ("china", "mrv") in ours[58][0]


def test_cop21_round1_exchanges_as_a_set(cop21_round1):
    """As sets (the pair of actor-issues, and the gain within 1e-5), 124 of the reference's 128
    exchanges are ours; we realise 131. The 4 missing and 7 extra all come after the tie at
    #58 (see the test above)."""
    ref, ours = cop21_round1
    unmatched = list(ours)
    matched = []
    for k, (pair, gain) in enumerate(ref):
        hit = next((u for u in unmatched if u[0] == pair and abs(u[1] - gain) < 1e-5), None)
        if hit is not None:
            unmatched.remove(hit)
            matched.append(k)
    assert len(ref) == 128 and len(ours) == 131
    assert len(matched) == 124
    assert set(range(58)) <= set(matched)


@pytest.mark.parametrize("data,issue,expected", [
    ("copenhagen.csv", "Commitments", 19.06),
    ("copenhagen.csv", "Control", 68.54),
    ("copenhagen.csv", "Extra", 95.48),
    ("cop21.csv", "ld", 11.43),
    ("verkiezing_2012.csv", "duur", 93.38),
    ("verkiezing_2012.csv", "ontwikkeling", 59.45),
])
def test_fixed_round1_voting_outcomes(data, issue, expected):
    """Seed-independent round-1 voting outcomes of Decide 2025.3.1 (study section 6), within
    0.01. (The study's other 'fixed' values for CoP21 and the 2012 election are not matched:
    our realised exchanges differ there, see the note in docs/exchange.md.)"""
    f = run_model(load_scenario(need(DECIDE_INPUT / data)), "exchange", {"rounds": 1})
    assert f.details["round1_voting"][issue] == pytest.approx(expected, abs=0.01)


def test_deterministic_and_seeded_ties():
    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    a, b = run_model(s, "exchange"), run_model(s, "exchange")
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    r1 = run_model(s, "exchange", {"ties": "random"}, seed=3)
    r2 = run_model(s, "exchange", {"ties": "random"}, seed=3)
    assert json.dumps(r1.to_dict()) == json.dumps(r2.to_dict())
    assert len(a.details["exchanges"]) == 10 and len(a.rounds) == 11


def test_json_has_round1_voting_beside_outcome():
    s = load_scenario(need(DECIDE_INPUT / "cop21.csv"))
    d = run_model(s, "exchange", {"rounds": 2}).to_dict()
    assert all({"id", "outcome", "round1_voting", "rounds"} <= set(i) for i in d["issues"])


def test_rex_repetitions_are_seeded_and_summarised():
    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    plain = run_model(s, "exchange", {"rounds": 3, "repetitions": 3})
    for q in plain.details["rex"]["final_voting"].values():
        assert q["q05"] == pytest.approx(q["q95"])  # p = 0 with deterministic ties: no spread
    a = run_model(s, "exchange", {"rounds": 3, "p": 0.5, "repetitions": 5}, seed=9)
    b = run_model(s, "exchange", {"rounds": 3, "p": 0.5, "repetitions": 5}, seed=9)
    assert a.details["rex"] == b.details["rex"]
    spread = [q["q95"] - q["q05"] for q in a.details["rex"]["final_voting"].values()]
    assert max(spread) > 0
    for k, issue in enumerate(a.issue_ids):
        assert a.outcome[k] == pytest.approx(a.details["rex"]["final_voting"][issue]["mean"])


def test_externalities_are_reported_per_exchange_and_round():
    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    f = run_model(s, "exchange", {"rounds": 2})
    e = f.details["exchanges"][0][0]
    assert e["demander_p"] not in e["externalities"] and e["supplier_p"] not in e["externalities"]
    summary = f.details["externalities_by_round"][0]
    assert set(summary) == {"own", "inner_positive", "inner_negative", "outer_positive", "outer_negative"}
    assert summary["own"] == pytest.approx(2 * sum(x["gain"] for x in f.details["exchanges"][0]))
    assert summary["inner_negative"] <= 0 <= summary["inner_positive"]


def test_round1_voting_outcomes_implied_by_decides_2016_list():
    """The voting outcome after round 1 follows from the 2016 reference list (each actor-issue
    takes the voting position of its last exchange). On the issues that the tie at #58 does not
    reach, ours equals it within 0.01. For adapt_inst this is 66.30, where Decide 2025.3.1 gives
    67.35 ('fixed' in the study's section 6): the 2025 release departs from Decide's own 2016
    result there, which is consistent with its stale move bookkeeping (study section 5.4)."""
    import numpy as np

    s = load_scenario(need(DECIDE_INPUT / "CoP21_2019.csv"))
    arr = s.arrays
    actors = {_actor(a): k for k, a in enumerate(arr.actor_ids)}
    issues = {_norm(i): k for k, i in enumerate(arr.issue_ids)}
    vote = arr.position.copy()
    with need(REFERENCE).open() as fh:
        for r in csv.reader(fh, delimiter=";"):
            if r and r[0]:
                vote[actors[_actor(r[0])], issues[_norm(r[1])]] = float(r[7])
                vote[actors[_actor(r[2])], issues[_norm(r[3])]] = float(r[11])
    w = np.where(arr.present, arr.capability[:, None] * arr.salience, 0.0)
    implied = (w * np.nan_to_num(vote)).sum(0) / w.sum(0)
    ours = run_model(s, "exchange", {"rounds": 1}).details["round1_voting"]
    for issue in ("differentiation", "adapt_legal", "adapt_inst", "finance_vol", "ld", "eaa"):
        assert ours[issue] == pytest.approx(implied[arr.issue_ids.index(issue)], abs=0.01), issue
    assert ours["adapt_inst"] == pytest.approx(66.30, abs=0.01)


@pytest.mark.parametrize("data,issue,expected", [
    ("copenhagen.csv", "Commitments", 19.06),
    ("copenhagen.csv", "Control", 68.54),
    ("copenhagen.csv", "Extra", 95.48),
    ("cop21.csv", "adapt_inst", 67.35),
    ("cop21.csv", "ld", 11.43),
    ("verkiezing_2012.csv", "huur", 12.26),
    ("verkiezing_2012.csv", "zorg", 54.46),
    ("verkiezing_2012.csv", "duur", 93.38),
    ("verkiezing_2012.csv", "ontwikkeling", 59.45),
])
def test_decide_bookkeeping_emulation_reaches_more_fixed_values(data, issue, expected):
    """With bookkeeping=decide (an emulation of Decide 2025.3.1's move lists, read from its
    source; for comparison only) these 'fixed' round-1 values of the study's section 6 match
    within 0.01, CoP21 adapt_inst among them (66.30 with correct bookkeeping). The emulation is
    not complete: five election values and CoP21 amb2100 still differ by 0.06 to 0.8."""
    f = run_model(load_scenario(need(DECIDE_INPUT / data)), "exchange", {"rounds": 1, "bookkeeping": "decide"})
    assert f.details["round1_voting"][issue] == pytest.approx(expected, abs=0.01)
