"""The casebook's two rules (docs/casebook.md, "Two rules"), on tiny hand-made cases.

Rule 1: a phase's ``observed`` is the state at its end, so a gain made through a later choice is
scored in the phase of that choice, not in the earlier one. Rule 2: a third party's gains are
scored on the issues it holds a claim on (``claims:``), not on every issue it has a view on."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tertius.cli import app
from tertius.conflict.casebook import claimed, own_issues, score_case
from tertius.conflict.game import best_response_path, payoffs
from tertius.conflict.war import OPTIONS, build_war, has_stake
from tertius.scenario import Scenario
from tests.test_mechanisms import _base

runner = CliRunner()


def _with_view() -> dict[str, Any]:
    """The mechanisms' war over 'x' (tests/test_mechanisms.py), where 't' claims 'own' and also
    holds a view on 'view', an issue between others (say, an ally's frontier): the phase records
    't' staying out, 'own' unchanged and 'view' moved to 100 by others."""
    data = _base()
    data["issues"].append({"id": "view", "status_quo": 0})
    data["stances"] += [{"actor": "a", "issue": "view", "position": 100, "salience": 0.3},
                        {"actor": "t", "issue": "view", "position": 100, "salience": 0.5}]
    data["conflict"]["phases"] = [{"id": "p", "actual": {"t": "neutral"}, "observed": {"own": 0, "view": 100}}]
    return data


def _own(data: dict[str, Any], phase: int = 0) -> list[str]:
    s = Scenario.model_validate(copy.deepcopy(data))
    ph = s.conflict.phases[phase]
    war = build_war(s, ph)
    return [war.issue_ids[i] for i in own_issues(s, ph, war.stakes, war.index("t"))]


def test_an_issue_without_a_claim_is_not_scored():
    data = _with_view()
    data["conflict"]["claims"] = [{"actor": "t", "issues": ["own"], "source": "test"}]
    assert _own(data) == ["own"]
    row = score_case(Scenario.model_validate(data), "rule2")[0]
    # 'view' moved by others (100) while the war leaves it at 0: a 100-point error, not t's gain
    assert row["gain_error_recorded"] == pytest.approx(0.0)


def test_a_case_without_claims_is_scored_as_before_on_every_issue_it_cares_about():
    data = _with_view()
    assert _own(data) == ["own", "view"]
    s = Scenario.model_validate(data)
    assert claimed(s, s.conflict.phases[0], "t") is None
    assert score_case(s, "legacy")[0]["gain_error_recorded"] == pytest.approx(50.0)  # (0 + 100) / 2


def test_a_third_party_no_claims_list_names_has_no_gains_scored():
    data = _with_view()
    data["actors"].append({"id": "u", "capability": 0.1, "distance": 0})
    data["stances"].append({"actor": "u", "issue": "own", "position": 100, "salience": 0.5})
    data["conflict"]["third_parties"].append("u")
    data["conflict"]["phases"][0]["actual"]["u"] = "neutral"
    data["conflict"]["claims"] = [{"actor": "t", "issues": ["own"], "source": "test"}]
    rows = {r["third_party"]: r for r in score_case(Scenario.model_validate(data), "rule2")}
    assert rows["t"]["gain_error_recorded"] is not None
    assert rows["u"]["gain_error"] is None and rows["u"]["gain_error_recorded"] is None


def test_a_phase_s_claims_replace_the_conflict_s():
    data = _with_view()
    data["conflict"]["claims"] = [{"actor": "t", "issues": ["own"], "source": "test"}]
    data["conflict"]["phases"][0]["claims"] = [{"actor": "t", "issues": ["view"], "assumption": "test"}]
    assert _own(data) == ["view"]
    data["conflict"]["phases"][0]["claims"] = []
    assert _own(data) == []


def test_claims_in_one_phase_make_the_declaration_complete_for_the_others():
    data = _with_view()
    data["conflict"]["phases"].append({"id": "q", "follows": "p", "actual": {"t": "neutral"},
                                       "observed": {"own": 0, "view": 100},
                                       "claims": [{"actor": "t", "issues": ["own"], "source": "test"}]})
    assert _own(data, 0) == [] and _own(data, 1) == ["own"]


def _two_phases(gain_in_first: bool) -> dict[str, Any]:
    """'t' stays out in phase 'p' and brokers in phase 'q', which follows it; it gains 'own' (to 50)
    through its mediation in 'q'. Rule 1: 'p' records the state at its end (0); the old convention
    recorded the later gain in 'p' too."""
    data = _base()
    data["conflict"]["claims"] = [{"actor": "t", "issues": ["own"], "source": "test"}]
    data["conflict"]["phases"] = [
        {"id": "p", "actual": {"t": "neutral"}, "observed": {"x": 50, "own": 50 if gain_in_first else 0}},
        {"id": "q", "follows": "p", "actual": {"t": "broker"}, "observed": {"x": 50, "own": 50}},
    ]
    return data


def test_a_gain_made_by_a_later_choice_is_scored_in_the_phase_of_that_choice():
    s = Scenario.model_validate(_two_phases(gain_in_first=False))
    first, second = score_case(s, "rule1")
    assert first["phase"] == "p" and second["phase"] == "q"
    # 'p' is scored on the state at its end: a war in which 't' stays out leaves 'own' at 0
    assert first["gain_error_recorded"] == pytest.approx(0.0)
    assert second["gain_error_recorded"] is not None  # the gain is scored where it was made
    # the old convention charged the phase before the choice with a gain no play of it produces
    old = score_case(Scenario.model_validate(_two_phases(gain_in_first=True)), "old")[0]
    assert old["gain_error_recorded"] == pytest.approx(50.0)


def _cli_error(tmp_path: Path, claims: list[dict[str, Any]]) -> str:
    data = _with_view()
    data["conflict"]["claims"] = claims
    f = tmp_path / "case" / "c.yaml"
    f.parent.mkdir()
    f.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(f.parent)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(f) in lines[0], result.stderr
    return lines[0]


@pytest.mark.parametrize(("claims", "words"), [
    ([{"actor": "a", "issues": ["own"], "source": "s"}], ["claims", "'a' is not a third party"]),
    ([{"actor": "t", "issues": ["nowhere"], "source": "s"}], ["claims", "unknown issue 'nowhere'"]),
    ([{"actor": "t", "issues": ["own"]}], ["claims", "no source", "assumption"]),
    ([{"actor": "t", "issues": []}], ["claims"]),
])
def test_a_bad_claim_is_one_line_naming_the_field_and_the_fix(tmp_path, claims, words):
    line = _cli_error(tmp_path, claims)
    for w in words:
        assert w in line, line


CASEBOOK = Path(__file__).resolve().parents[1] / "casebook"
CASES = sorted(CASEBOOK.glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_case_declares_the_claims_and_each_claim_is_on_an_issue_its_holder_cares_about(path):
    """Rule 2 applied to the whole casebook: each case says which issues its third parties claim
    (``claims: []`` where none does), in its conflict or in every one of its phases (a phase's list
    is the one in force there), and a claim is on an issue the claimant has a stance on."""
    from tertius.io import load_scenario
    s = load_scenario(path)
    assert s.conflict is not None, f"{path.name} has no conflict"
    declared = s.conflict.claims is not None or all(ph.claims is not None for ph in s.conflict.phases)
    assert declared, f"{path.name} declares no claims for some phase:"
    stances = {(st.actor, st.issue) for st in s.stances if st.salience.value > 0}
    stances |= {(st.actor, st.issue) for ph in s.conflict.phases for st in ph.stances if st.salience.value > 0}
    for ph in [None, *s.conflict.phases]:
        for cl in (s.conflict.claims if ph is None else ph.claims) or []:
            for i in cl.issues:
                assert (cl.actor, i) in stances, f"{path.name}: {cl.actor} claims {i} without caring about it"


def _paid_for_neutrality(claims: list[str] | None) -> tuple[str, float]:
    """The wedge's war (tests/test_mechanisms.py): side b controls 'own', which 't' wants; with
    ``claims`` declared, 't' holds a claim on those issues only."""
    data = _base()
    data["stances"].append({"actor": "t", "issue": "x", "position": 100, "salience": 0.3})
    data["conflict"]["controls"] = [{"actor": "b", "issues": ["own"], "source": "test"}]
    if claims is not None:
        data["conflict"]["claims"] = [{"actor": "t", "issues": claims, "source": "test"}]
    war = build_war(Scenario.model_validate(data))
    profile, _, _ = best_response_path(war)
    k = war.index("t")
    return OPTIONS[profile[0, k]], float(payoffs(war, profile).price[0, 0, k])


def test_the_wedge_pays_a_third_party_on_what_it_claims_and_not_on_a_view():
    """Rule 2 in the game: a side buys a neutral's neutrality with the issues the neutral holds a
    claim on. Declared as a claim (or with no claims declared, as before) 'own' pays for 't''s
    neutrality; where 't' is declared to claim only the stake, its wish for 'own' is a view on b's
    issue, which b does not pay with, and 't' joins a side instead."""
    for claims in (None, ["own"]):
        option, price = _paid_for_neutrality(claims)
        assert option == "neutral" and price > 0
    option, price = _paid_for_neutrality(["x"])
    assert option in ("join-a", "join-b") and price == 0


def test_a_view_off_the_stakes_is_no_stake_and_a_claim_is():
    """'A stake before a choice': a third party halfway between the sides on the stake, with a
    view on another issue, has a stake only where that view is its claim (or no claims are
    declared); without one it may not broker."""
    data = _base()
    data["stances"].append({"actor": "t", "issue": "x", "position": 50, "salience": 0.3})
    for claims, stake in ((None, True), (["own"], True), (["x"], False)):
        d = copy.deepcopy(data)
        if claims is not None:
            d["conflict"]["claims"] = [{"actor": "t", "issues": claims, "source": "test"}]
        war = build_war(Scenario.model_validate(d))
        assert bool(has_stake(war)[0, war.index("t")]) is stake
