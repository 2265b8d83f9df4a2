"""The game setting selected on the bundled casebook (scripts/fit_casebook.py) and how
``tertius validate DIR`` scores a folder of cases with it (docs/casebook.md, "Scoring")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tertius.cli import app
from tertius.conflict.casebook import (
    FITTED,
    GRID,
    _select,
    case_files,
    file_sha256,
    fit_logit,
    fitted_setting,
    score_case,
    validate_casebook,
    with_logit,
)
from tertius.conflict.thirdparty import setting_words
from tertius.io import load_scenario
from tests.conftest import load_script

#: the shipped setting in the words the answers use ("join cost 0.5, pivotal deterrence, ..."),
#: from casebook_fit.json, so a refit that selects another setting does not need the tests edited
SHIPPED = setting_words(fitted_setting())

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "casebook"


def test_the_shipped_setting_is_what_the_selection_gives_on_the_bundled_casebook():
    """casebook_fit.json is what scripts/fit_casebook.py selects on casebook/ (every case file
    with its sha256, the setting, its in-sample matches, and its logit; the logit's parameters to
    1e-5, relative: L-BFGS-B stops within its tolerance, whose last digit differs with the
    platform's numpy and scipy)."""
    refit, shipped = load_script("fit_casebook").refit(BOOK), json.loads(FITTED.read_text(encoding="utf-8"))
    assert refit.pop("logit") == pytest.approx(shipped.pop("logit"), rel=1e-5)
    assert refit == shipped


def test_the_selection_takes_the_setting_with_the_most_matches_and_the_simpler_one_on_a_tie():
    runs = {g: [[{"matched": False}]] for g in GRID}
    assert _select(runs) == (0.0, False, False)  # all tied: the smallest cost, neither variant
    runs[(0.5, True, False)] = [[{"matched": True}]]
    runs[(0.3, True, True)] = [[{"matched": True}]]
    assert _select(runs) == (0.3, True, True)  # tied on matches: the smaller cost first
    assert _select(runs, skip=0) == (0.0, False, False)  # the skipped case's matches do not count


def test_validate_scores_at_the_shipped_setting_and_names_the_cases_it_was_selected_on(tmp_path):
    fit = fitted_setting()
    case = BOOK / "second-opium-war.yaml"
    shutil.copy(case, tmp_path / case.name)
    out = validate_casebook(tmp_path)
    s = load_scenario(case)
    assert out["decisions"] == with_logit(score_case(s, s.id, fit["join_cost"], fit["pivotal"], fit["convening"]),
                                          fit["logit"])
    assert out["plain_game"]["matched"] == sum(r["matched"] for r in score_case(s, s.id))
    assert out["setting"]["in_sample"] == ["second-opium-war"]
    assert fit["cases"]["second-opium-war"] == file_sha256(case)


def test_a_case_with_other_inputs_under_a_known_id_is_out_of_sample(tmp_path):
    text = (BOOK / "second-opium-war.yaml").read_text(encoding="utf-8")
    (tmp_path / "case.yaml").write_text(text + "\n# edited\n", encoding="utf-8")
    assert validate_casebook(tmp_path)["setting"]["in_sample"] == []


def test_the_cli_says_at_which_setting_it_scored(tmp_path):
    shutil.copy(BOOK / "second-opium-war.yaml", tmp_path / "a.yaml")
    res = CliRunner().invoke(app, ["validate", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "selected on the bundled casebook/" in res.output
    assert "the plain game" in res.output
    assert "1 of the 1 cases here was among them (scored in sample)" in res.output
    assert f"the logit fitted there, λ {fitted_setting()['logit']['precision']:.3g}" in " ".join(res.output.split())


def test_every_bundled_case_file_is_in_the_shipped_setting():
    fit = fitted_setting()
    assert {load_scenario(f).id: file_sha256(f) for f in case_files(BOOK)} == fit["cases"]


def _rows(values: list[list[float | None]], recorded: list[str]) -> list[dict]:
    return [{"values": v, "recorded": o} for v, o in zip(values, recorded, strict=True)]


def test_the_casebook_logit_recovers_its_parameters_and_beats_a_wrong_one():
    """fit_logit is maximum likelihood: on decisions drawn from a logit with known λ, α, β it
    recovers them roughly, and its likelihood is above that of the tables' parameters (λ 9, α −4)."""
    rng = np.random.default_rng(7)
    lam, alpha, beta = 3.0, -0.5, 0.8
    values = rng.normal(0.0, 0.5, size=(3000, 4))
    z = lam * values + alpha * np.array([0, 1, 1, 0]) + beta * np.array([0, 0, 0, 1])
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    options = ("neutral", "join-a", "join-b", "broker")
    recorded = [options[rng.choice(4, p=q)] for q in p]
    rows = _rows(values.tolist(), recorded)
    got = fit_logit(rows)
    assert got["precision"] == pytest.approx(lam, rel=0.15)
    assert got["join_constant"] == pytest.approx(alpha, abs=0.25)
    assert got["broker_constant"] == pytest.approx(beta, abs=0.25)
    wrong = {"precision": 9.0, "join_constant": -4.0, "broker_constant": 0.0}
    ll = lambda prm: sum(np.log(r["probability"]) for r in with_logit(rows, prm))  # noqa: E731
    assert ll(got) > ll(wrong)


def test_a_closed_option_gets_no_probability_and_the_rows_are_not_changed():
    rows = _rows([[0.1, 0.0, -0.2, None], [0.0, 0.3, 0.1, None]], ["neutral", "broker"])
    out = with_logit(rows, {"precision": 3.0, "join_constant": 0.0, "broker_constant": 5.0})
    assert out[1]["probability"] == 0.0  # brokering is closed to it, whatever β
    assert 0.0 < out[0]["probability"] < 1.0
    assert "probability" not in rows[0]  # new rows; the given ones are kept


def test_the_cross_validation_fits_the_logit_on_each_folds_training_cases_only():
    """Each held-out case's probabilities come from the logit fitted on the other cases at the
    setting that fold selected, not from the shipped one."""
    from tertius.conflict.casebook import cross_validate

    scenarios = [load_scenario(BOOK / f"{c}.yaml") for c in ("second-opium-war", "falklands-1982-usa-peru",
                                                              "russo-turkish-war-1828-1829")]
    runs = {g: [score_case(s, s.id, *g) for s in scenarios] for g in GRID}
    cv = cross_validate(scenarios, runs)
    for i, s in enumerate(scenarios):
        g = (cv["join_cost"][s.id], cv["pivotal"][s.id], cv["convening"][s.id])
        train = [r for j, rr in enumerate(runs[g]) if j != i for r in rr]
        assert cv["logit"][s.id] == fit_logit(train)
        held = [r for r in cv["decisions"] if r["case"] == s.id]
        assert held == with_logit(runs[g][i], cv["logit"][s.id])
        assert cv["logit"][s.id]["decisions"] == len(train)


def test_without_training_decisions_the_logit_is_the_tables():
    from tertius.conflict.choice import fitted

    got = fit_logit([])
    assert (got["precision"], got["join_constant"], got["broker_constant"]) == (
        fitted()["precision"], fitted()["join_constant"], 0.0)
    assert got["decisions"] == 0


def test_the_base_rates_leave_the_scored_case_out():
    """Case a records neutral, neutral; case b neutral, broker: a is scored with b's shares
    (neutral 1/2, broker 1/2), b with a's (neutral 1, broker 0: counted at the floor)."""
    import math

    from tertius.conflict.casebook import FLOOR, base_rate_log_loss

    rows = [{"case": "a", "recorded": "neutral"}, {"case": "a", "recorded": "neutral"},
            {"case": "b", "recorded": "neutral"}, {"case": "b", "recorded": "broker"}]
    want = (-2 * math.log(0.5) - math.log(1.0) - math.log(FLOOR)) / 4
    assert base_rate_log_loss(rows) == pytest.approx(want)
    assert base_rate_log_loss([]) is None


def _answers(case: str) -> dict[tuple[str, str], dict]:
    from tertius.conflict import third_parties

    result = third_parties(load_scenario(BOOK / f"{case}.yaml"), draws=0)
    return {(p["id"], t["third_party"]): t for p in result["phases"] for t in p["third_parties"]}


def test_the_analysis_gives_the_answer_at_the_casebook_setting_as_validate_plays_it():
    """``tertius broker`` plays join cost 0 without either variant and says, per third party, what
    the same game gives at the setting selected on the casebook: the option ``validate DIR``
    selects there, with its mechanism; each of the three sentences can come out."""
    fit = fitted_setting()
    for case in ("falklands-1982-usa-peru", "second-opium-war"):
        s = load_scenario(BOOK / f"{case}.yaml")
        plain = {(r["phase"], r["third_party"]): r["selected"] for r in score_case(s, s.id)}
        at = {(r["phase"], r["third_party"]): r["selected"]
              for r in score_case(s, s.id, fit["join_cost"], fit["pivotal"], fit["convening"])}
        got = _answers(case)
        for key, option in plain.items():
            assert got[key]["equilibrium"] == option
            assert got[key]["casebook_setting"]["option"] == at[key]
    falklands, seed = _answers("falklands-1982-usa-peru"), _answers("second-opium-war")
    assert f"At the setting selected on the casebook ({SHIPPED}) it would instead broker a deal" \
        in falklands[("april", "usa")]["explanation"]
    # Russia in 1858 stays out either way, but at the casebook's join cost Qing no longer pays for it
    russia = seed[("1858", "russia")]
    assert "pays for its neutrality" in russia["mechanism"]
    assert "it would also stay out, but then it receives a side's terms" in russia["explanation"]
    assert "the answer is the same" in seed[("1858", "usa")]["explanation"]


def test_the_analysis_plays_the_setting_a_scenario_declares():
    """``--setting casebook`` declares the setting selected on the casebook in the scenario's
    conflict, with its source: the analysis then plays it (the options are ``validate DIR``'s at
    that setting), says so in each answer, and records it (``params.setting``); ``--setting plain``
    is the undeclared game; the declaration survives an export."""
    from tertius.conflict import third_parties, with_setting
    from tertius.conflict.war import PLAIN, build_war, phases_of
    from tertius.scenario import Scenario

    fit = fitted_setting()
    s = load_scenario(BOOK / "second-opium-war.yaml")
    at = with_setting(s, "casebook")
    assert "casebook_fit.json" in (at.conflict.join_cost.source or "")
    back = Scenario.model_validate(at.to_data())
    for scenario in (at, back):
        for ph in phases_of(scenario):
            war = build_war(scenario, ph)
            assert (war.join_cost, war.pivotal, war.convening) == (fit["join_cost"], fit["pivotal"], fit["convening"])
    want = {(r["phase"], r["third_party"]): r["selected"]
            for r in score_case(s, s.id, fit["join_cost"], fit["pivotal"], fit["convening"])}
    result = third_parties(at, draws=0)
    assert result["params"]["setting"] == {k: fit[k] for k in ("join_cost", "pivotal", "convening")}
    # its game logit is the casebook's, fitted at that setting: the probability validate DIR gives
    # each recorded option
    assert {k: result["params"][k] for k in ("precision", "join_constant", "broker_constant")} == \
        {k: fit["logit"][k] for k in ("precision", "join_constant", "broker_constant")}
    validated = {(r["phase"], r["third_party"]): r for r in with_logit(
        score_case(s, s.id, fit["join_cost"], fit["pivotal"], fit["convening"]), fit["logit"])}
    for p in result["phases"]:
        for t in p["third_parties"]:
            row = validated[(p["id"], t["third_party"])]
            assert t["game_logit"][row["recorded"]] == pytest.approx(row["probability"], rel=1e-9)
            assert t["equilibrium"] == want[(p["id"], t["third_party"])]
            assert t["casebook_setting"]["played"] and t["casebook_setting"]["option"] == t["equilibrium"]
            assert t["answer"].endswith(f"The game is played at the setting selected on the casebook ({SHIPPED}).")
    # at the casebook's setting Qing does not pay for Russia's neutrality in 1858: the wedge needs
    # a credible threat to join, which the join cost takes away (docs/casebook.md, "Scoring")
    russia = next(t for p in result["phases"] if p["id"] == "1858" for t in p["third_parties"]
                  if t["third_party"] == "russia")
    assert "pays for its neutrality" not in russia["answer"]
    plain, undeclared = third_parties(with_setting(s, "plain"), draws=0), third_parties(s, draws=0)
    assert plain["params"]["setting"] == undeclared["params"]["setting"] == PLAIN
    assert [t["answer"] for p in plain["phases"] for t in p["third_parties"]] == \
        [t["answer"] for p in undeclared["phases"] for t in p["third_parties"]]


def test_the_summary_says_which_setting_the_draws_hold():
    """The summary's last line names the setting the draws do not move: the plain game's, or the
    casebook's where the scenario declares it."""
    from tertius.analysis import analyse
    from tertius.conflict import with_setting
    from tertius.report.html import summary_of

    s = load_scenario()
    plain = summary_of(json.loads(json.dumps(analyse(s, ["compromise"], draws=10))))["setting_note"]
    at = summary_of(json.loads(json.dumps(analyse(with_setting(s, "casebook"), ["compromise"], draws=10))))
    assert plain.startswith("Draws: every assumed input moved within its range; not the game's setting (join cost "
                            "0, without pivotal deterrence or the prestige of convening). At the setting selected")
    assert at["setting_note"] == ("Draws: every assumed input moved within its range; not the game's setting, the "
                                  f"one selected on the casebook ({SHIPPED}).")


def test_the_setting_flag_is_the_declaration(tmp_path):
    """`--setting casebook` on broker, run and sweep gives what the same scenario file declaring
    that setting gives without the flag."""
    import yaml
    from typer.testing import CliRunner

    from tertius.cli import app
    from tertius.conflict import with_setting

    declared = tmp_path / "declared.yaml"
    declared.write_text(yaml.safe_dump(with_setting(load_scenario(), "casebook").to_data(), sort_keys=False))
    runner = CliRunner()

    def out(*args: str) -> dict:
        r = runner.invoke(app, list(args))
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)

    flag = out("broker", "--setting", "casebook", "--draws", "20", "--format", "json")
    assert flag == out("broker", str(declared), "--draws", "20", "--format", "json")
    assert flag["params"]["setting"]["join_cost"] == fitted_setting()["join_cost"]
    sweeps = []
    for name, args in (("flag", ["second-opium-war", "--setting", "casebook"]), ("declared", [str(declared)])):
        r = runner.invoke(app, ["sweep", *args, "-m", "compromise", "--n", "8", "-q", "--out", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        sweeps.append(json.loads((tmp_path / name / "summary.json").read_text())["third_party_shares"])
    assert sweeps[0] == sweeps[1] and sweeps[0]


def test_the_summary_line_on_the_setting_reaches_each_of_its_forms():
    """Without draws the line names no draws; where the casebook's setting changes an option it
    says which ("would instead"); where it is the setting played, it says so."""
    from tertius.analysis import analyse
    from tertius.conflict import with_setting
    from tertius.report.html import summary_of

    def note(scenario) -> str:
        return summary_of(json.loads(json.dumps(analyse(scenario, ["compromise"], draws=0))))["setting_note"]

    falklands = load_scenario(BOOK / "falklands-1982-usa-peru.yaml")
    plain = note(falklands)
    assert not plain.startswith("Draws") and "United States (april) would instead broker a deal" in plain
    assert note(with_setting(falklands, "casebook")) == f"The game's setting is the one selected on the casebook ({SHIPPED})."


def test_the_per_case_counts_add_up_to_the_casebooks(tmp_path):
    for name in ("second-opium-war.yaml", "falklands-1982-usa-peru.yaml", "russo-polish-war-spa-1920.yaml"):
        shutil.copy(BOOK / name, tmp_path / name)
    out = validate_casebook(tmp_path, cv=True)
    for part in (out, out["cross_validation"]):
        cases = part["per_case"]
        assert sorted(cases) == ["falklands-1982-usa-peru", "russo-polish-war-spa-1920", "second-opium-war"]
        for key in ("decisions", "matched", "baseline_matched", "brokers_recorded", "brokers_matched", "gains_scored"):
            assert sum(c[key] for c in cases.values()) == part["casebook"][key], key
        for case, c in cases.items():
            mine = [r for r in part["decisions"] if r["case"] == case]
            assert c["matched"] == sum(r["matched"] for r in mine) and c["cases"] == 1


def test_the_cli_prints_a_row_per_case_and_the_cross_validations_beside_it(tmp_path):
    shutil.copy(BOOK / "second-opium-war.yaml", tmp_path / "a.yaml")
    shutil.copy(BOOK / "falklands-1982-usa-peru.yaml", tmp_path / "b.yaml")
    res = CliRunner().invoke(app, ["validate", str(tmp_path), "--cv", "2"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    table = res.output.split("per case", 1)[1].split("decisions", 1)[0]
    assert "CV matched" in table
    row = next(line for line in table.splitlines() if "falklands-1982-usa-peru" in line)
    out = validate_casebook(tmp_path, cv=True)
    c, k = out["per_case"]["falklands-1982-usa-peru"], out["cross_validation"]["per_case"]["falklands-1982-usa-peru"]
    cells = [cell.strip() for cell in row.strip().strip("│").split("│")]
    assert cells == ["falklands-1982-usa-peru", f"{c['matched']}/{c['decisions']}",
                     f"{c['brokers_matched']}/{c['brokers_recorded']}", "–",
                     f"{k['matched']}/{k['decisions']}", f"{k['brokers_matched']}/{k['brokers_recorded']}", "–"]
