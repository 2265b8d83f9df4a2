"""Stokman's exchange model: reference tests against Decide's published runs, determinism.

References: shared/data/decide/reference/CoP21.compare.csv (the 128 round-1 exchanges of the
2016 Decide code on CoP21); the seed-independent ("fixed") round-1 voting outcomes in
shared/reference/decide-exchange-model.md section 6; and tests/data/decide/*.json, round 1 of
decide-exchange-model 2025.3.1 (with and without its move-history bug patched) on CoP21,
Copenhagen and the 2012 Dutch election, recorded by scripts/decide_reference.py.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tertius.io import load_scenario
from tertius.models import run_model
from tests.conftest import DECIDE_INPUT, SHARED, need
from tests.strategies import build, scenario_data

REFERENCE = SHARED / "data" / "decide" / "reference" / "CoP21.compare.csv"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _actor(text: str) -> str:
    return {"ldc": "ldcsbgd"}.get(_norm(text), _norm(text))


FIXTURES = Path(__file__).parent / "data" / "decide"
FIXED = [  # seed-independent ("fixed") round-1 voting outcomes of Decide 2025.3.1, study section 6
    ("cop21", "adapt_inst", 67.35), ("cop21", "ld", 11.43), ("cop21", "amb2100", 94.30),
    ("copenhagen", "Commitments", 19.06), ("copenhagen", "Control", 68.54), ("copenhagen", "Extra", 95.48),
    ("verkiezing_2012", "hypotheek", 20.07), ("verkiezing_2012", "huur", 12.26), ("verkiezing_2012", "zorg", 54.46),
    ("verkiezing_2012", "vreemd", 31.13), ("verkiezing_2012", "duur", 93.38), ("verkiezing_2012", "Europa", 41.05),
    ("verkiezing_2012", "belasting", 43.26), ("verkiezing_2012", "ontwikkeling", 59.45),
    ("verkiezing_2012", "bezuinig", 89.26),
]
#: the fixed values that the default, corrected bookkeeping also gives
UNMOVED = {("cop21", "ld"), ("copenhagen", "Commitments"), ("copenhagen", "Control"), ("copenhagen", "Extra"),
           ("verkiezing_2012", "duur"), ("verkiezing_2012", "ontwikkeling"), ("verkiezing_2012", "bezuinig")}


def _round1(data: str, **params):
    return run_model(load_scenario(need(DECIDE_INPUT / f"{data}.csv")), "exchange", {"rounds": 1, **params})


def _pairs(exchanges: list[dict]) -> list[tuple[frozenset, float]]:
    return [(frozenset({(e["supplier_p"], e["issue_p"]), (e["demander_p"], e["issue_q"])}), e["gain"])
            for e in exchanges]


def _walk(ref: list, ours: list, tol: float = 1e-9) -> tuple[int, str]:
    """How far two exchange lists agree (same actor-issue pairs, gains within ``tol``), and why
    they stop: 'end'; 'tie' when the two exchanges at the first difference have the same gain
    (both were best, and which goes first is a tie-break); or 'differ'."""
    for k, (a, b) in enumerate(zip(ref, ours, strict=False)):  # the lists may differ in length
        if a[0] != b[0] or abs(a[1] - b[1]) > tol:
            return k, "tie" if abs(a[1] - b[1]) <= tol else "differ"
    return min(len(ref), len(ours)), "end"


def _decide(data: str, variant: str) -> dict:
    """Round 1 of Decide 2025.3.1 without its coin flip, as recorded by
    scripts/decide_reference.py: ``decide`` is the release, ``patched`` the release with its
    move-history bug patched."""
    run = json.loads(need(FIXTURES / f"{data}.json").read_text())[variant]
    run["pairs"] = [(frozenset({(e["i"], e["i_supplies"]), (e["j"], e["j_supplies"])}), e["gain"])
                    for e in run["exchanges"]]
    return run


@pytest.fixture(scope="module")
def cop21_round1():
    f = run_model(load_scenario(need(DECIDE_INPUT / "CoP21_2019.csv")), "exchange", {"rounds": 1})
    ours = [(frozenset({(_actor(a), _norm(i)) for a, i in pair}), gain)
            for pair, gain in _pairs(f.details["exchanges"][0])]
    ref = []
    with need(REFERENCE).open() as fh:
        for r in csv.reader(fh, delimiter=";"):
            if r and r[0]:
                ref.append((frozenset({(_actor(r[0]), _norm(r[1])), (_actor(r[2]), _norm(r[3]))}), float(r[4])))
    return ref, ours


def test_cop21_round1_follows_the_2016_list(cop21_round1):
    """The first 56 exchanges are the 2016 reference's, in order, with the same gains (the
    file gives 6 significant digits; #k counts from 0, as in the study). At #56 we realise
    AOSIS/amb2050 <-> EU28/finance_vol (gain 0.17485), as Decide 2025.3.1 does with its
    bookkeeping patched (tests below). The
    2016 list has that pair only at #98, with gain 0.0327, because the 2016 code capped AOSIS's
    move on amb2050: it measured the outcome before a supplier's move without that supplier's
    own earlier moves this round (AOSIS had moved towards EIG at #32), where the 2025 code and
    ours count the supplier at its current voting position (study section 5.2, step 6). With
    that one change (tried, not shipped) our list follows the 2016 one for 58 exchanges, up to
    the exact tie at #58 that the study also reports."""
    ref, ours = cop21_round1
    assert _walk(ref, ours, tol=5e-6) == (56, "differ")
    assert ours[56][0] == frozenset({("aosis", "amb2050"), ("eu28", "financevol")})
    assert [g for pair, g in ref if pair == ours[56][0]] == [pytest.approx(0.0327066, abs=1e-6)]


def test_cop21_round1_exchanges_as_a_set(cop21_round1):
    """As sets (the pair of actor-issues, and the gain within 5e-6), 121 of the reference's 128
    exchanges are ours; we realise 129. The 7 missing all come after #56, whose difference
    (explained above) changes the positions and outcomes that later candidates start from."""
    ref, ours = cop21_round1
    unmatched = list(ours)
    matched = []
    for k, (pair, gain) in enumerate(ref):
        hit = next((u for u in unmatched if u[0] == pair and abs(u[1] - gain) < 5e-6), None)
        if hit is not None:
            unmatched.remove(hit)
            matched.append(k)
    assert len(ref) == 128 and len(ours) == 129
    assert len(matched) == 121
    assert set(range(56)) <= set(matched)


def test_round1_voting_outcomes_implied_by_decides_2016_list():
    """The voting outcome after round 1 follows from the 2016 list (each actor-issue takes the
    voting position of its last exchange). On the 7 issues that the difference at #56 does not
    reach, ours equals it within 0.01. For adapt_inst this is 66.30, where Decide 2025.3.1 gives
    67.35: the 2025 release departs from Decide's own 2016 result there through its stale move
    lists (study section 5.4)."""
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
    for issue in ("differentiation", "legal", "adapt_legal", "adapt_inst", "ld", "amb2100", "eaa"):
        assert ours[issue] == pytest.approx(implied[arr.issue_ids.index(issue)], abs=0.01), issue
    assert ours["adapt_inst"] == pytest.approx(66.30, abs=0.01)


@pytest.mark.parametrize("data,issue,expected", FIXED)
def test_decide_bookkeeping_reproduces_the_fixed_round1_values(data, issue, expected):
    """With bookkeeping=decide all 15 seed-independent round-1 voting outcomes of the study's
    section 6 match within 0.01."""
    voting = _round1(data, bookkeeping="decide").details["round1_voting"]
    assert voting[issue] == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("data,issue,expected", [f for f in FIXED if f[:2] in UNMOVED])
def test_fixed_round1_values_that_the_bookkeeping_fix_leaves_alone(data, issue, expected):
    """With the default, corrected bookkeeping 7 of the 15 fixed values still match. The other 8
    move because Decide's stale move lists reject exchanges that are valid: we realise 129
    exchanges on CoP21 (Decide 126) and 77 on the election (Decide 73). CoP21 adapt_inst is
    then 66.30, which is also what Decide's own 2016 list gives (test above)."""
    assert _round1(data).details["round1_voting"][issue] == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("data,exact", [("copenhagen", 48), ("verkiezing_2012", 27), ("cop21", 46)])
def test_decide_bookkeeping_is_decide_2025_up_to_ties(data, exact):
    """bookkeeping=decide realises Decide 2025.3.1's round-1 exchanges, in order, until the two
    first break an exact tie differently (Decide takes the first of its sorted list, with gains
    in decimal arithmetic; we take the candidate created first). Copenhagen has no such tie, and
    the whole round, voting outcome included, is Decide's. Every third actor's externality
    equals that of Decide's externality observer over the common exchanges."""
    ref = _decide(data, "decide")
    ours = _round1(data, bookkeeping="decide")
    exchanges = ours.details["exchanges"][0]
    k, why = _walk(ref["pairs"], _pairs(exchanges))
    assert k == exact and why == ("end" if data == "copenhagen" else "tie")
    for r, o in zip(ref["exchanges"][:k], exchanges[:k], strict=True):
        assert set(r["externalities"]) == set(o["externalities"])
        for actor, (value, _inner) in r["externalities"].items():
            assert o["externalities"][actor] == pytest.approx(value, abs=1e-9)
    if why == "end":
        assert len(exchanges) == len(ref["exchanges"])
        for issue, v in ref["voting"].items():
            assert ours.details["round1_voting"][issue] == pytest.approx(v, abs=1e-9)


@pytest.mark.parametrize("data,exact", [("copenhagen", 49), ("verkiezing_2012", 28), ("cop21", 94)])
def test_default_is_decide_2025_with_its_bookkeeping_patched_up_to_ties(data, exact):
    """The default bookkeeping realises the exchanges of Decide 2025.3.1 with its move-history
    bug patched, in order, until the two first break an exact tie differently. (One more fix
    separates them later on the election: when a supplier has already moved towards the same
    demander this round, Decide sizes a capped move from the supplier's earlier position, so
    the outcome overshoots the demander's position; ours stops exactly on it, step 5.)"""
    ref = _decide(data, "patched")
    exchanges = _round1(data).details["exchanges"][0]
    k, why = _walk(ref["pairs"], _pairs(exchanges))
    assert k == exact and why == ("end" if data == "copenhagen" else "tie")


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
    assert summary["outer_negative"] <= 0 <= summary["outer_positive"]
    third = sum(v for x in f.details["exchanges"][0] for v in x["externalities"].values())
    assert third == pytest.approx(sum(v for key, v in summary.items() if key != "own"))


#: Decide 2025.3.1's REX on Copenhagen (study section 5.3): mean and s.d. of the voting outcome
#: over 10 repetitions, after round 1 and after round 10, for p = 0.5 and p = 1
DECIDE_REX = {
    (0.5, 0): {"Newtreaty": (52.7, 1.7), "Control": (67.4, 2.1), "Commitments": (19.1, 0.0)},
    (1.0, 0): {"Newtreaty": (52.8, 2.1), "Control": (67.8, 1.2), "Commitments": (19.1, 0.0)},
    (0.5, 9): {"Newtreaty": (60.6, 2.6), "Domestred": (33.9, 3.0), "Control": (77.4, 3.1), "Commitments": (16.1, 3.3)},
    (1.0, 9): {"Newtreaty": (61.5, 3.1), "Domestred": (34.0, 1.8), "Control": (80.3, 3.1), "Commitments": (14.9, 1.5)},
}


@pytest.mark.parametrize("p", [0.5, 1.0])
def test_rex_agrees_with_decides_published_rex_runs(p):
    """REX with Decide's bookkeeping and random ties, 30 repetitions, against Decide's 10
    (study section 5.3): every mean lies within 3 standard errors of the difference (plus 0.05
    for the table's rounding). Left out: Domestred after round 1, where Decide's spread comes
    mostly from its tie-break (38.0 ± 1.6 already at p = 0, against our 37.0 ± 0.1): when its
    coin keeps the first of two tied candidates it appends the runner-up to its list a second
    time, so that candidate is recomputed twice and its move list gains another stale entry,
    which we do not emulate."""
    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    f = run_model(s, "exchange", {"rounds": 10, "p": p, "repetitions": 30, "ties": "random", "bookkeeping": "decide"},
                  seed=0)
    for (pp, rnd), ref in DECIDE_REX.items():
        if pp != p:
            continue
        ours = f.details["rex"]["round1_voting" if rnd == 0 else "final_voting"]
        for issue, (mean, sd) in ref.items():
            se = (ours[issue]["sd"] ** 2 / 30 + sd ** 2 / 10) ** 0.5
            assert abs(ours[issue]["mean"] - mean) <= 3 * se + 0.05, (issue, rnd, ours[issue]["mean"], mean)


def _overshoots(f, scenario) -> list[tuple[int, str, str]]:
    """Exchanges whose move carries an outcome past the demander's position (step 5 forbids
    it): the demander's round-start position lies strictly between the outcome before and after."""
    arr = scenario.arrays
    found = []
    for r, exchanges in enumerate(f.details["exchanges"]):
        start = f.rounds[r]
        for e in exchanges:
            for demander, issue, (before, after) in ((e["demander_p"], e["issue_p"], e["outcome_p"]),
                                                      (e["supplier_p"], e["issue_q"], e["outcome_q"])):
                k = arr.issue_ids.index(issue)
                x = start[arr.actor_ids.index(demander), k]
                tol = 1e-9 * arr.span[k]
                if min(before, after) + tol < x < max(before, after) - tol:
                    found.append((r, demander, issue))
    return found


@given(data=scenario_data())
def test_no_move_carries_the_outcome_past_the_demanders_position(data):
    """Step 5's cap holds for every exchange of every round (property over generated scenarios)."""
    s = build(data)
    f = run_model(s, "exchange", {"rounds": 3})
    assert _overshoots(f, s) == []


@pytest.mark.parametrize("data", ["cop21", "copenhagen", "verkiezing_2012"])
def test_no_move_carries_the_outcome_past_the_demanders_position_on_decides_data(data):
    s = load_scenario(need(DECIDE_INPUT / f"{data}.csv"))
    assert _overshoots(run_model(s, "exchange", {"rounds": 10}), s) == []


def test_externalities_by_actor_are_decides_on_copenhagen():
    """Per actor over round 1 (Decide's externality report: own gains; inner/outer,
    positive/negative effects of others' exchanges), with bookkeeping=decide, equal the totals
    of the exchanges recorded from Decide 2025.3.1 within 1e-9."""
    ref = _decide("copenhagen", "decide")
    expected: dict[str, dict[str, float]] = {}
    for e in ref["exchanges"]:
        for trader in (e["i"], e["j"]):
            expected.setdefault(trader, {}).setdefault("own", 0.0)
            expected[trader]["own"] += e["gain"]
        for actor, (value, inner) in e["externalities"].items():
            key = ("inner" if inner else "outer") + ("_positive" if value > 0 else "_negative")
            expected.setdefault(actor, {}).setdefault(key, 0.0)
            expected[actor][key] += value
    ours = _round1("copenhagen", bookkeeping="decide").details["externalities_by_actor"][0]
    assert set(ours) >= set(expected)
    for actor, row in ours.items():
        for key, value in row.items():
            assert value == pytest.approx(expected.get(actor, {}).get(key, 0.0), abs=1e-9), (actor, key)


def _both_paths(s, params, seed=0):
    """The forecast with the compiled round loop (the ``fast`` extra) and with the numpy one."""
    from tertius.models import exchange as ex

    if ex._kernel() is None:
        pytest.skip("numba is not installed (pip install 'tertius[fast]')")
    fast = run_model(s, "exchange", params, seed=seed)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(ex, "_kernel", lambda: None)
        slow = run_model(s, "exchange", params, seed=seed)
    return fast, slow


@pytest.mark.parametrize("data", ["cop21", "copenhagen", "verkiezing_2012"])
@pytest.mark.parametrize("ties", ["first", "random"])
def test_compiled_loop_gives_the_numpy_loops_bytes(data, ties):
    """The numba loop (_greedy) is the numpy loop's arithmetic in the same order: every number
    of the forecast, exchanges and externalities included, is the same double."""
    s = load_scenario(need(DECIDE_INPUT / f"{data}.csv"))
    fast, slow = _both_paths(s, {"rounds": 10, "ties": ties}, seed=5)
    assert json.dumps(fast.to_dict()) == json.dumps(slow.to_dict())
    assert sum(len(r) for r in fast.details["exchanges"]) > 50


@given(data=scenario_data(), ties=st.sampled_from(["first", "random"]))
def test_compiled_loop_gives_the_numpy_loops_bytes_on_generated_scenarios(data, ties):
    fast, slow = _both_paths(build(data), {"rounds": 3, "ties": ties}, seed=len(data["actors"]))
    assert json.dumps(fast.to_dict()) == json.dumps(slow.to_dict())


def test_compiled_loop_is_left_out_where_it_does_not_apply(monkeypatch):
    """bookkeeping="decide" and REX run the numpy loop; the kernel is not called."""
    from tertius.models import exchange as ex

    def refuse(*_args):
        raise AssertionError("the compiled loop ran")

    monkeypatch.setattr(ex, "_kernel", lambda: ex.Kernel(refuse, refuse, refuse))
    monkeypatch.setattr(ex, "COMPILE_FROM", 0)
    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    assert run_model(s, "exchange", {"rounds": 2, "bookkeeping": "decide"}).details["exchanges"][0]
    assert run_model(s, "exchange", {"rounds": 2, "p": 0.5}, seed=1).details["exchanges"][0]
    with pytest.raises(AssertionError, match="compiled loop ran"):
        run_model(s, "exchange", {"rounds": 1})


def test_past_the_budget_each_exchange_gives_its_third_actors_sum(monkeypatch):
    """MAP_ENTRIES bounds the per-exchange maps (memory at 600 actors): the rounds past it give
    each exchange the sum over its third actors instead, say so, and change nothing else."""
    from tertius.models import exchange as ex

    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    full = run_model(s, "exchange", {"rounds": 3})
    assert "externalities_left_out" not in full.details
    monkeypatch.setattr(ex, "MAP_ENTRIES", sum(len(e["externalities"]) for e in full.details["exchanges"][0]))
    cut = run_model(s, "exchange", {"rounds": 3})
    assert cut.details["exchanges"][0] == full.details["exchanges"][0]
    assert "rounds 2-3" in cut.details["externalities_left_out"]
    for whole, part in zip(full.details["exchanges"][1:], cut.details["exchanges"][1:], strict=True):
        assert len(whole) == len(part) > 0
        for e, f in zip(whole, part, strict=True):
            assert f["externalities_total"] == pytest.approx(sum(e.pop("externalities").values()), abs=1e-9)
            assert "externalities" not in f
            f.pop("externalities_total")
            assert e == f
    for key in ("externalities_by_actor", "externalities_by_round", "voting_by_round"):
        assert cut.details[key] == full.details[key]


def test_report_shows_the_sum_past_the_budget(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tertius.cli import app
    from tertius.models import exchange as ex

    monkeypatch.setattr(ex, "MAP_ENTRIES", 0)
    r = CliRunner().invoke(app, ["run", str(need(DECIDE_INPUT / "copenhagen.csv")), "-m", "exchange", "--out",
                                 str(tmp_path), "--format", "json", "--draws", "5"])
    assert r.exit_code == 0, r.output
    first = json.loads(r.stdout)["forecasts"]["exchange"]["details"]["exchanges"][0]
    assert first and all("externalities_total" in e and "externalities" not in e for e in first)
    html = (tmp_path / "report.html").read_text()
    assert "exchange: the largest exchanges of round 1" in html


def test_a_small_run_in_a_fresh_process_takes_the_numpy_loop(monkeypatch):
    """Loading numba costs more than the compiled loop saves on a small run (COMPILE_FROM): a
    process that has not loaded numba runs Copenhagen on the numpy loop; 600 actors would not."""
    import sys

    from tertius.models import exchange as ex

    def refuse(*_args):
        raise AssertionError("the compiled loop ran")

    monkeypatch.setattr(ex, "_kernel", lambda: ex.Kernel(refuse, refuse, refuse))
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    s = load_scenario(need(DECIDE_INPUT / "copenhagen.csv"))
    assert run_model(s, "exchange", {"rounds": 10}).details["exchanges"][0]
    monkeypatch.setattr(ex, "COMPILE_FROM", 3300)  # Copenhagen's candidate rows x 10 rounds
    with pytest.raises(AssertionError, match="compiled loop ran"):
        run_model(s, "exchange", {"rounds": 10})
