"""The side-symmetric two-stage conditional logit over a third party's options (tertius.conflict.choicemodel)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tertius.conflict import choicemodel as cm
from tertius.conflict.war import OPTIONS
from tertius.io.thirdparty_table import read_decision_table

TABLE = ("war_num,war_name,start_year,ccode,abb,joined,cinc,cinc_a,cinc_b,dist_a_km,dist_b_km,ally_a,ally_b,"
         "defense_a,defense_b,orig_a,orig_b,initiator_side\n") + """1,W1,1850,2,AAA,A,0.05,0.2,0.1,300,5000,1,0,1,0,200,220,A
1,W1,1850,20,BBB,none,0.001,0.2,0.1,9000,9500,0,0,0,0,200,220,A
1,W1,1850,30,CCC,none,0.002,0.2,0.1,6000,7000,0,0,0,0,200,220,A
2,W2,1860,40,DDD,B,0.03,0.1,0.3,4000,500,0,1,0,1,300,325,B
2,W2,1860,50,EEE,none,0.001,0.1,0.3,8000,8800,0,0,0,0,300,325,B
2,W2,1860,60,FFF,none,0.004,0.1,0.3,7000,6500,0,0,0,0,300,325,B
"""


def _cases(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(TABLE)
    return read_decision_table(p)[1]


def test_covariates_are_side_symmetric_and_major_comes_from_cow(tmp_path):
    cases = _cases(tmp_path)
    d = cm.design(cases)
    a, b = 1, 2  # join-a, join-b
    row = d.x[0]
    cols = list(d.columns)
    assert row[a, cols.index("ally_own")] == 1 and row[b, cols.index("ally_other")] == 1
    assert row[a, cols.index("dist_own")] == row[b, cols.index("dist_other")] == 0.3
    assert not d.available[:, 3].any()  # no broker without the game's terms
    assert cm.is_major("200", 1850) == 1 and cm.is_major("2", 1850) == 0 and cm.is_major("2", 1900) == 1


def test_unavailable_options_get_zero_and_p_join_varies_with_covariates(tmp_path):
    cases = _cases(tmp_path)
    v = {"neutral": 0.5, "join-a": 0.6, "join-b": 0.4}  # no broker (nor any other option)
    values = [np.array([[v.get(o, -math.inf) for o in OPTIONS]] * len(c.joined)) for c in cases]
    eqs = [["neutral"] * len(c.joined) for c in cases]
    d = cm.design(cases, values, eqs)
    model = cm.fit(d, alpha=1.0)
    p = cm.option_probabilities(d, model)
    assert np.all(p[:, 3] == 0) and np.allclose(p.sum(axis=1), 1)
    p_join = p[:, 1] + p[:, 2]
    assert len(np.unique(np.round(p_join, 12))) == len(p_join)  # no floor shared by the small distant states
    assert p_join[0] > p_join[1]  # the near ally is likelier to join than the far state
    first = [j for j, c in enumerate(model["columns"]) if c not in cm.TERMS_OF_KIND["broker"]]
    assert all(np.isfinite(np.asarray(model["se"])[first]))
    # no recorded broker: the second stage (how to stay out) is not fitted and stays closed
    assert not model["broker"] and all(np.isnan(np.asarray(model["se"])[len(first):]))


def test_refitting_reproduces_the_shipped_coefficients():
    """choicemodel.json is what scripts/fit_choice.py fits on the training tables it names."""
    import importlib.util
    from pathlib import Path

    from tertius.conflict.score import sha256
    from tests.conftest import SHARED, need

    for rel in ("cow-third-party/train.csv", "mid-third-party/train.csv"):
        need(SHARED / "data" / rel)
    script = Path(__file__).resolve().parents[1] / "scripts" / "fit_choice.py"
    spec = importlib.util.spec_from_file_location("fit_choice", script)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ship = cm.shipped()
    for layout, rel in (("war", "cow-third-party/train.csv"), ("dispute", "mid-third-party/train.csv")):
        assert ship["fitted_on"][layout]["sha256"] == sha256(SHARED / "data" / rel)
    new = mod.refit(SHARED / "data")
    for name in ("plain", "theory"):
        assert new[name]["alpha"] == ship[name]["alpha"]
        assert new[name].get("game_alpha") == ship[name].get("game_alpha")
        assert np.allclose(new[name]["beta"], ship[name]["beta"], rtol=1e-4, atol=1e-6), name
        assert np.allclose(new[name]["se"], ship[name]["se"], rtol=1e-3, atol=1e-6), name
        assert all(math.isfinite(s) and s > 0 for s in ship[name]["se"][:len(cm.COVARIATES)])


def test_validate_scores_the_plain_logit_and_the_choice_model_in_the_same_folds(tmp_path):
    from tertius.conflict.score import validate_table

    p = tmp_path / "t.csv"
    p.write_text(TABLE + TABLE.split("\n", 1)[1].replace("1,W1,", "3,W3,").replace("2,W2,", "4,W4,"))
    result = validate_table(p, cv=2)
    tp = result["third_parties"]
    assert {"auc", "brier_base", "baseline_logit"} <= set(tp)
    assert {"log_loss", "brier", "auc", "f1"} <= set(tp["baseline_logit"])
    cv = result["cross_validation"]
    assert {"log_loss", "brier", "auc", "f1"} <= set(cv["third_parties"]["baseline_logit"])
    for key in ("choice_model", "baseline_logit", "base_rates"):
        assert cv[key]["n"] == tp["n"] == 12
    assert all("baseline_logit_alpha" in f and "choice_model_alpha" in f for f in cv["folds"])
    # the base rates of the training folds: a fold whose training rows hold no joiner of a side
    # gives that side 0, so its out-of-fold log loss exceeds the whole table's base rates
    assert cv["base_rates"]["log_loss"] >= tp["base_log_loss"] - 1e-12
    # how sure: the paired bootstrap over the 4 wars of the differences above, whose point values
    # are the differences of the out-of-fold scores
    cmp = cv["comparison"]
    assert cmp["groups"] == 4 and cmp["unit"] == "wars"
    pair = cmp["pairs"]["choice_model - baseline_logit"]
    for m in ("log_loss", "brier", "f1"):
        assert pair[m]["difference"] == pytest.approx(cv["choice_model"][m] - cv["baseline_logit"][m], abs=1e-12)
        assert pair[m]["low"] <= pair[m]["high"]
    assert cmp["pairs"]["choice_model - base_rates"]["log_loss"]["difference"] == pytest.approx(
        cv["choice_model"]["log_loss"] - cv["base_rates"]["log_loss"], abs=1e-12)
    from tertius.report.console import comparison_table

    console = Console(width=80, record=True)
    console.print(comparison_table(cmp, 2))
    text = console.export_text()
    assert "resampling the 4 wars" in text and "choice model − plain logit" in text and "90 % interval" in text


def test_the_casebook_records_each_option_apart():
    """casebook_design: one row per recorded decision with a located third party, coded by option
    (3 neutral, 4 broker), so the likelihood separates brokering from staying out."""
    from pathlib import Path

    from tertius.conflict.casebook import case_files
    from tertius.io import load_scenario

    files = case_files(Path(__file__).resolve().parents[1] / "casebook")[:2]
    d = cm.casebook_design([load_scenario(f) for f in files])
    assert len(d.rows) and set(d.y) <= {0, 1, 3, 4}
    assert d.columns == cm.COVARIATES + cm.GAME_TERMS
    broker = d.x[:, 3, d.columns.index("broker")]
    assert np.all(broker[d.available[:, 3]] == 1)
    model = cm.fit(d, alpha=10.0)
    p = cm.option_probabilities(d, model)
    y = d.y
    probs = cm.recorded_probability(d, model)
    assert np.allclose(probs[y == 3], p[y == 3, 0]) and np.allclose(probs[y == 4], p[y == 4, 3])


def test_with_the_game_terms_left_out_the_choice_model_is_the_plain_logit(tmp_path):
    """The game terms' own penalty nests the plain logit: at α_g = inf the choice model's class
    probabilities are the plain logit's at the same α, whatever the option values."""
    cases = _cases(tmp_path)
    v = {"neutral": 0.5, "join-a": 0.9, "join-b": 0.1, "broker": 0.7}
    values = [np.array([[v[o] for o in OPTIONS]] * len(c.joined)) for c in cases]
    eqs = [["join-a"] * len(c.joined) for c in cases]
    theory, plain = cm.design(cases, values, eqs), cm.design(cases)
    off = cm.fit(theory, alpha=1.0, game_alpha=math.inf)
    assert not off["game_terms"] and off["game_alpha"] is None
    same = cm.class_probabilities(cm.option_probabilities(plain, cm.fit(plain, alpha=1.0)))
    np.testing.assert_allclose(cm.class_probabilities(cm.option_probabilities(theory, off)), same, atol=1e-9)
    on = cm.fit(theory, alpha=1.0, game_alpha=1.0)
    assert on["game_terms"] and not np.allclose(cm.class_probabilities(cm.option_probabilities(theory, on)), same)


def test_the_game_design_on_the_plain_designs_covariates_is_the_same_design(tmp_path):
    """design(..., plain=) reuses the plain design's covariates: the same arrays to the bit, and
    predicted() gives predict_rows' numbers."""
    cases = _cases(tmp_path)
    v = {"neutral": 0.5, "join-a": 0.9, "join-b": 0.1, "broker": -1e6}
    values = [np.array([[v[o] for o in OPTIONS]] * len(c.joined)) for c in cases]
    eqs = [["join-a"] * len(c.joined) for c in cases]
    plain = cm.design(cases)
    fresh, lent = cm.design(cases, values, eqs), cm.design(cases, values, eqs, plain)
    assert fresh.x.tobytes() == lent.x.tobytes() and (fresh.available == lent.available).all()
    assert (fresh.y == lent.y).all() and fresh.rows == lent.rows and fresh.columns == lent.columns
    model = {**cm.fit(fresh, alpha=1.0), "threshold": 0.5}
    _, pc, call = cm.predicted(lent, model)
    rows = cm.predict_rows(fresh, model)
    assert [r["p"] for r in rows] == [dict(zip(cm.CLASSES, q, strict=True)) for q in pc.tolist()]
    assert [r["call"] for r in rows] == [cm.CLASSES[c] for c in call.tolist()]


@given(st.lists(st.floats(-3, 3), min_size=len(cm.COVARIATES) + len(cm.GAME_TERMS),
                max_size=len(cm.COVARIATES) + len(cm.GAME_TERMS)),
       st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1))
@settings(max_examples=50, deadline=None)
def test_closing_the_broker_option_moves_no_probability_between_joining_and_staying_out(beta, ga, gb, gbr):
    """Two stages: whether brokering is open (a stake) changes how a state stays out, not whether
    it joins. With the broker open or closed, P(join-a) and P(join-b) are the same, and
    P(neutral) + P(broker) is the same."""
    x = np.zeros((len(OPTIONS), len(beta)))
    v = np.array([{"neutral": 0.0, "join-a": ga, "join-b": gb, "broker": gbr}[o] for o in OPTIONS])
    for k, side in cm.SIDES:
        x[k, :len(cm.COVARIATES)] = np.linspace(0.1, 1.0, len(cm.COVARIATES)) * (1 if side == "a" else -1)
    ok = cm._game_terms(x[None], v[None], ["neutral"])[0]
    model = {"beta": beta, "scale": [1.0] * len(beta), "broker": True}
    closed = ok.copy()
    closed[list(np.flatnonzero(cm.SECOND))] = False
    cols = cm.COVARIATES + cm.GAME_TERMS
    p = [cm.option_probabilities(cm.Design(x[None], a[None], np.array([-1]), ["g"], cols, [{}]), model)[0]
         for a in (ok, closed)]
    assert p[0][cm.SECOND].sum() > 0 and p[1][cm.SECOND].sum() == 0
    np.testing.assert_allclose(p[0][cm.JOINING], p[1][cm.JOINING], rtol=1e-12)
    np.testing.assert_allclose(cm.class_probabilities(p[0][None]), cm.class_probabilities(p[1][None]), rtol=1e-12)


def test_option_indices_come_from_the_option_table():
    """The reference, the joins and the recorded codes follow the Option table's kinds."""
    from tertius.scenario import OPTION_TABLE

    assert OPTIONS[cm.REFERENCE] == next(o.code for o in OPTION_TABLE if o.kind == "neutral")
    assert {OPTIONS[k]: s for k, s in cm.SIDES} == {o.code: o.joins for o in OPTION_TABLE if o.kind == "join"}
    assert cm.RECORDED_CODE == {"join-a": 0, "join-b": 1, "neutral": 3, "broker": 4}


def test_out_of_fold_auc_is_computed_within_each_fold_and_averaged():
    """Each fold's model ranks its own rows perfectly, at a different level: the within-fold AUC is
    1, while pooling the folds ranks one fold's probabilities against the other's (auc_pooled < 1)."""
    from tertius.conflict.score import metrics

    def row(fold: int, p: float, joined: str) -> dict:
        return {"fold": fold, "joined": joined, "call": "none", "p": {"A": p, "B": 0.0, "none": 1 - p}}

    rows = [row(0, 0.02, "A"), row(0, 0.01, "none"), row(0, 0.011, "none"),
            row(1, 0.2, "A"), row(1, 0.1, "none"), row(1, 0.15, "none"), row(2, 0.3, "none")]
    m = metrics(rows)
    assert m["auc"] == 1.0 and m["auc_folds"] == {"0": 1.0, "1": 1.0, "2": None}
    assert m["auc_pooled"] is not None and m["auc_pooled"] < 1.0
    # rows without a fold (in-sample) keep the one AUC
    plain = metrics([{k: v for k, v in r.items() if k != "fold"} for r in rows])
    assert plain["auc"] == m["auc_pooled"] and "auc_pooled" not in plain


def test_the_penalties_are_chosen_on_the_mean_over_repeated_inner_deals(tmp_path):
    """choose_alpha averages each penalty's inner log loss over INNER_REPEATS deals of the groups
    into folds; the first deal is the single-deal choice's."""
    cases = _cases(tmp_path)
    text = TABLE + "".join(TABLE.split("\n", 1)[1].replace("1,W1,", f"{n},W{n},").replace("2,W2,", f"{n + 1},W{n + 1},")
                           for n in (3, 5))
    p = tmp_path / "t6.csv"
    p.write_text(text)
    cases = read_decision_table(p)[1]
    d = cm.design(cases)
    _, _, scores, _ = cm.choose_alpha(d, k=2, seed=0, repeats=2)
    deals = [cm.group_folds(d.groups, 2, 0, label) for label in ("alpha", "alpha-1")]
    for a in cm.ALPHAS:
        assert scores[a] == pytest.approx(np.mean([cm._cv_log_loss(d, f, 2, a, math.inf) for f in deals]))
    _, _, one, _ = cm.choose_alpha(d, k=2, seed=0, repeats=1)
    assert one[cm.ALPHAS[0]] == pytest.approx(cm._cv_log_loss(d, deals[0], 2, cm.ALPHAS[0], math.inf))


def test_the_calibration_diagnostic_reads_only_the_training_rows_it_is_given(tmp_path):
    """scripts/diagnose_choice.py: the inner out-of-fold Brier scores of a training set, against
    the inner base rates', cover every training row once per inner deal and no other row."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "diagnose_choice.py"
    spec = importlib.util.spec_from_file_location("diagnose_choice", script)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = TABLE + "".join(TABLE.split("\n", 1)[1].replace("1,W1,", f"{n},W{n},").replace("2,W2,", f"{n + 1},W{n + 1},")
                           for n in (3, 5))
    p = tmp_path / "t6.csv"
    p.write_text(text)
    d = cm.design(read_decision_table(p)[1])
    out = mod.diagnose(d, seed=0)
    assert out["rows"] == len(d.rows) and out["joiners"] == int((d.y < 2).sum())
    assert out["alpha"] in cm.ALPHAS
    assert 0 <= out["brier_inner_oof"] <= 2 and 0 <= out["brier_inner_base"] <= 2
    assert out["excess_total"] == pytest.approx(out["excess_on_joiners"] + out["excess_on_stayers"])
    assert sum(c["n"] for c in out["calibration"]) == len(d.rows) * cm.INNER_REPEATS
    assert set(out["alpha_grid"]) == {str(a) for a in mod.GRID} | {"base rates"}


def test_the_plain_logits_data_of_a_casebook_design_reads_neutral_and_broker_as_none():
    """plain_of: the covariates of the same rows, no broker option, and a recorded neutral or
    broker read as the tables' class "none" (the plain logit does not tell them apart)."""
    from pathlib import Path

    from tertius.conflict.casebook import case_files
    from tertius.io import load_scenario

    files = case_files(Path(__file__).resolve().parents[1] / "casebook")[:3]
    d = cm.casebook_design([load_scenario(f) for f in files])
    plain = cm.plain_of(d)
    assert plain.columns == cm.COVARIATES and plain.groups == d.groups
    # the joins open in the design stay open (a declared commitment may close one: the Belgian
    # case's convention of 1832 binds Britain and France to join Belgium's side together)
    assert not plain.available[:, cm.SECOND].any()
    assert np.array_equal(plain.available[:, cm.JOINING], d.available[:, cm.JOINING])
    assert set(plain.y) <= {0, 1, 2} and np.array_equal(plain.y == 2, d.y >= 3)
    joins = cm.JOINING & d.available.all(axis=0)
    assert np.array_equal(plain.x[:, joins], d.x[:, joins, :len(cm.COVARIATES)])
    model = cm.fit(plain, alpha=10.0)
    assert not model["broker"]
    assert np.allclose(cm.option_probabilities(plain, model)[:, 3], 0.0)


def test_casebook_scores_by_hand():
    """score.casebook_scores on four decisions in two folds: the option log loss, the matches of the
    most probable option, P(broker) of the recorded brokers and neutrals, and base rates that
    are the other fold's shares of the four options."""
    from tertius.conflict.score import casebook_scores

    # recorded: join-a (code 0), neutral (3), broker (4), neutral (3); OPTIONS: neutral, join-a, join-b, broker
    y = np.array([0, 3, 4, 3])
    fold = np.array([0, 0, 1, 1])
    p = np.array([[0.2, 0.7, 0.0, 0.1], [0.5, 0.1, 0.1, 0.3], [0.6, 0.0, 0.0, 0.4], [0.3, 0.1, 0.1, 0.5]])
    call = np.array([0, 2, 2, 2])
    out = casebook_scores(y, fold, {"choice_model": (p, call), "baseline_logit": (p, call)})
    m = out["choice_model"]
    assert m["option_log_loss"] == pytest.approx(-np.mean(np.log([0.7, 0.5, 0.4, 0.3])))
    assert m["matched"] == 2  # join-a and the first neutral; the broker and the last neutral are missed
    assert m["p_broker_brokers"] == pytest.approx(0.4) and m["p_broker_neutrals"] == pytest.approx(0.4)
    assert "option_log_loss" not in out["baseline_logit"]  # the plain logit has no broker option
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.7, 0.8, 1.0, 0.8])))
    base = out["base_rates"]
    # fold 0's rows get fold 1's shares (neutral 1/2, broker 1/2), fold 1's get fold 0's (join-a, neutral)
    assert base["option_log_loss"] == pytest.approx(-np.mean(np.log([1e-15, 0.5, 1e-15, 0.5])))
    assert out["decisions"] == 4 and out["brokers"] == 1


def test_adding_the_casebook_to_the_cross_validation_moves_no_fold_of_the_tables(tmp_path):
    """score.cross_validate with ``casebook``: the casebook's cases get folds of their own, so the
    game's out-of-fold scores on the tables are those without it; the casebook's decisions are
    scored apart, every one of them once."""
    from pathlib import Path

    from tertius.conflict.casebook import case_files
    from tertius.conflict.score import cross_validate
    from tertius.io import load_scenario

    p = tmp_path / "t.csv"
    p.write_text(TABLE + TABLE.split("\n", 1)[1].replace("1,W1,", "3,W3,").replace("2,W2,", "4,W4,"))
    tables = {"war": read_decision_table(p)[1]}
    files = case_files(Path(__file__).resolve().parents[1] / "casebook")[:4]
    book = cm.casebook_design([load_scenario(f) for f in files])
    without = cross_validate(tables, k=2, seed=0, grid=(0.0, 0.1))
    with_book = cross_validate(tables, k=2, seed=0, grid=(0.0, 0.1), casebook=book)
    assert with_book["tables"]["war"]["model"]["log_loss"] == without["tables"]["war"]["model"]["log_loss"]
    cb = with_book["tables"]["casebook"]
    assert cb["decisions"] == len(book.rows)
    for which in ("choice_model", "baseline_logit", "baseline_logit_casebook", "base_rates"):
        assert cb[which]["n"] == len(book.rows)
    # the declared baseline stays fitted on the tables only: its scores there do not move
    for which in ("baseline_logit", "base_rates"):
        assert with_book["tables"]["war"][which]["log_loss"] == without["tables"]["war"][which]["log_loss"]
    assert "baseline_logit_casebook" in with_book["tables"]["war"]
    assert 0 <= cb["choice_model"]["matched"] <= len(book.rows)


RIVALS = ("war_num,war_name,start_year,ccode,abb,joined,cinc,cinc_a,cinc_b,dist_a_km,dist_b_km,ally_a,ally_b,"
          "defense_a,defense_b,orig_a,orig_b,initiator_side\n") + """1,W1,1850,365,RUS,B,0.1,0.2,0.1,3000,3000,0,0,0,0,220,2,A
1,W1,1850,390,DEN,none,0.005,0.2,0.1,1000,6000,0,0,0,0,220,2,A
"""


def test_the_rivalry_stake_is_seen_from_the_side_joined(tmp_path):
    """Variant 3 (docs/choicemodel.md): the tables' rivalry rule (Thompson & Dreyer) enters the
    theory's join terms seen from the side joined; a state with no rivalry gets 0 on both, and
    the plain logit's design has no rivalry column."""
    p = tmp_path / "r.csv"
    p.write_text(RIVALS)
    cases = read_decision_table(p)[1]
    # France-Russia 1732-1894; USA-Russia only from 1945; Denmark a rival of neither
    assert list(cases[0].rival.values()) == [(True, False), (False, False)]
    v = {"neutral": 0.5, "join-a": 0.6, "join-b": 0.4}
    values = [np.array([[v.get(o, -math.inf) for o in OPTIONS]] * len(c.joined)) for c in cases]
    d = cm.design(cases, values, [["neutral"] * len(c.joined) for c in cases])
    col = {c: d.columns.index(c) for c in cm.RIVALRY_TERMS}
    a, b = 1, 2  # join-a, join-b
    russia, denmark = d.x[0], d.x[1]
    assert (russia[a, col["rival_own"]], russia[a, col["rival_other"]]) == (1.0, 0.0)
    assert (russia[b, col["rival_own"]], russia[b, col["rival_other"]]) == (0.0, 1.0)
    assert not denmark[:, list(col.values())].any()
    assert not russia[[0, 3], :][:, list(col.values())].any()  # staying out and brokering carry no join term
    assert not set(cm.RIVALRY_TERMS) & set(cm.design(cases).columns)
    assert set(cm.RIVALRY_TERMS) <= set(cm.TERMS_OF_KIND["join"])  # under the game terms' penalty, left out with them


def test_without_a_rivalry_in_the_rows_the_rivalry_terms_move_nothing(tmp_path):
    """The condition fails (no candidate is a rival of either side): the fitted rivalry
    coefficients are 0 and the probabilities are those of the design without the two columns."""
    cases = _cases(tmp_path)[1:]  # W2 only: no rivalry between 1860's Austria, Italy and its candidates
    assert all(r == (False, False) for c in cases for r in c.rival.values())
    v = {"neutral": 0.5, "join-a": 0.9, "join-b": 0.1}
    values = [np.array([[v.get(o, -math.inf) for o in OPTIONS]] * len(c.joined)) for c in cases]
    d = cm.design(cases, values, [["join-a"] * len(c.joined) for c in cases])
    model = cm.fit(d, alpha=1.0, game_alpha=1.0)
    beta = dict(zip(model["columns"], model["beta"], strict=True))
    assert beta["rival_own"] == beta["rival_other"] == 0.0
    assert beta["gain_join"] != 0.0


def test_a_scenarios_rivalries_come_from_the_cow_codes_of_its_actor_ids():
    """The default scenario in 1858: the United States is a rival of Britain (1816-1904) and of
    France (1830-1871), side A, not of China (from 1949); Russia of both sides (Britain 1778-1956,
    China 1816-1949). An id that CCODE_IDS does not list has no rivalry."""
    from tertius.conflict.war import build_war, phases_of
    from tertius.io import load_scenario
    from tertius.io.rivalries import is_rival

    scenario = load_scenario()
    phase = next(p for p in phases_of(scenario) if p is not None)
    war = build_war(scenario, phase)
    cov = cm.scenario_covariates(scenario, war)
    assert (cov["usa"][0]["rival_a"], cov["usa"][0]["rival_b"]) == (1.0, 0.0)
    assert (cov["russia"][0]["rival_a"], cov["russia"][0]["rival_b"]) == (1.0, 1.0)
    assert cm.CCODE_IDS["qing"] == "710" and cm.CCODE_IDS["russia"] == "365"
    assert cm.cow_code("tsardom") == "" and not is_rival(cm.cow_code("tsardom"), ["200", "710"], 1858)


@pytest.mark.parametrize(("actor_id", "code"), [("uk", "200"), ("Great Britain", "200"), ("UKG", "200"),
                                                ("Austria-Hungary", "300"), ("soviet union", "365"), ("365", "365"),
                                                ("Qing", "710"), ("tsardom", ""), ("", "")])
def test_an_actor_id_reads_as_its_cow_code_without_case_or_spelling(actor_id, code):
    """The id of a scenario's actor gives its COW code (rivalries and major power) whatever its
    case, spaces or hyphens; the usual other names and COW abbreviations are known; a number is
    the code itself; an unknown id gives none (no rivalry, no major power)."""
    assert cm.cow_code(actor_id) == code
    assert cm.is_major(cm.cow_code(actor_id), 1858) == float(code in ("200", "300", "365"))


def test_validate_prints_the_calibration_of_each_probability_model(tmp_path):
    """The console names the model of each calibration table: the game's logit ("tertius") and
    the choice model, each with its own deciles (the JSON's ``calibration``)."""
    from rich.console import Console

    from tertius.conflict.score import validate_table
    from tertius.report.console import thirdparty_validation_tables

    p = tmp_path / "t.csv"
    p.write_text(TABLE)
    result = validate_table(p)
    console = Console(width=200, record=True)
    for table in thirdparty_validation_tables(result):
        console.print(table)
    text = console.export_text()
    assert "calibration, tertius: P(join), deciles" in text
    assert "calibration, choice model: P(join), deciles" in text
    predicted = f"{100 * result['choice_model']['calibration'][-1]['predicted']:.1f} %"
    assert predicted in text.split("calibration, choice model")[1]


def test_the_forward_split_fits_on_the_earlier_groups_and_scores_the_later(tmp_path):
    """scripts/forward_split.py: every scored row starts after the cut, every training row in or
    before it; the two models are scored on the same later rows, beside the earlier base rates."""
    from tests.conftest import load_script

    fs = load_script("forward_split")
    text = TABLE + TABLE.split("\n", 1)[1].replace("1,W1,1850,", "3,W3,1870,").replace("2,W2,1860,", "4,W4,1880,")
    p = tmp_path / "t.csv"
    p.write_text(text)
    table = read_decision_table(p)[1]
    out = fs.split("war", table, 1860, 0.0)
    assert out["earlier"] == {"groups": 2, "rows": 6, "joiners": 2}
    assert out["later"] == {"groups": 2, "rows": 6, "joiners": 2}
    for name in ("plain_logit", "choice_model"):
        assert math.isfinite(out[name]["log_loss"]) and out[name]["log_loss"] > 0
    # the earlier rows' shares (A 1/6, B 1/6, none 4/6) on the later rows' classes (the same)
    assert math.isclose(out["base_rates"], -(2 * math.log(1 / 6) + 4 * math.log(4 / 6)) / 6)
