"""Third-party decision tables: the reader and its mapping, the scores against the tables'
published baselines, the shipped fit, and hostile tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tertius.cli import app
from tertius.conflict.choice import as_classes, fitted, probabilities
from tertius.conflict.score import (
    _loglik,
    _stack,
    ally_rule,
    base_rates,
    folds,
    metrics,
    sha256,
    solve,
    solve_cases,
    validate_table,
)
from tertius.conflict.war import OPTIONS
from tertius.errors import InputError
from tests.conftest import SHARED, need

COW = SHARED / "data" / "cow-third-party" / "train.csv"
MID = SHARED / "data" / "mid-third-party" / "train.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def cow():
    from tertius.io.thirdparty_table import read_decision_table

    return read_decision_table(need(COW))


@pytest.fixture(scope="module")
def mid():
    from tertius.io.thirdparty_table import read_decision_table

    return read_decision_table(need(MID))


def test_counts_match_the_source_notes(cow, mid):
    """shared/data/*-third-party/SOURCE.md, 'Counts (train part)'."""
    for (_, cases), groups, rows, a, b in ((cow, 38, 1402, 5, 1), (mid, 327, 11929, 48, 50)):
        assert len(cases) == groups
        joined = [j for c in cases for j in c.joined.values()]
        assert len(joined) == rows
        assert (joined.count("A"), joined.count("B")) == (a, b)
    assert cow[0] == "war" and mid[0] == "dispute"


def test_the_mapping_of_one_row(cow):
    """docs/thirdparty-data.md on the first row of the war table (war 1, the United States)."""
    case = cow[1][0]
    arr = case.scenario.arrays
    k = arr.actor_ids.index("USA")
    miles = min(6163.3, 6088.7) / 1.609344
    assert case.scenario.actor("USA").distance.value == pytest.approx(miles)
    assert arr.position[k, 0] == 50
    assert arr.salience[k, 0] == pytest.approx(math.log10(10 - math.e) / math.log10(miles / 250 + 10 - math.e))
    assert case.scenario.conflict.miles_per_day == 250
    assert arr.position[arr.actor_ids.index("side-a"), 0] == 100
    assert arr.capability[arr.actor_ids.index("side-b")] == pytest.approx(0.029989449)


def test_ally_rule_and_base_rates_reproduce_the_source_notes(mid):
    """shared/data/mid-third-party/SOURCE.md, 'Baselines': the ally rule makes 570 join calls,
    24 right, precision 0.042, recall 0.245, F1 0.072, accuracy 94.85 %; the train class shares
    give a log loss of 0.0533 and a Brier score of 0.0163."""
    m = metrics(ally_rule(mid[1]), base_rates(mid[1]))
    assert (m["calls"], m["right"]) == (570, 24)
    assert m["precision"] == pytest.approx(0.042, abs=5e-4)
    assert m["recall"] == pytest.approx(0.245, abs=5e-4)
    assert m["f1"] == pytest.approx(0.072, abs=5e-4)
    assert m["accuracy"] == pytest.approx(0.9485, abs=5e-5)
    assert m["base_log_loss"] == pytest.approx(0.0533, abs=5e-5)
    assert m["base_brier"] == pytest.approx(0.0163, abs=5e-5)


def test_the_shipped_fit_is_on_these_tables_and_is_a_local_optimum(cow, mid):
    """fitted.json names the training files by sha256; at its cost, moving λ or α away from the
    shipped values lowers the training likelihood."""
    params = fitted()
    assert params["fitted_on"]["war"]["sha256"] == sha256(COW)
    assert params["fitted_on"]["dispute"]["sha256"] == sha256(MID)
    solved = [solve(c, params["cost"]) for c in cow[1] + mid[1]]
    values, y = _stack(solved)
    best = _loglik(values, y, params["precision"], params["join_constant"])
    assert best == pytest.approx(params["loglik"], rel=1e-6)
    for lam, alpha in ((1.1, 0), (0.9, 0), (1, 0.1), (1, -0.1)):
        assert _loglik(values, y, params["precision"] * lam, params["join_constant"] + alpha) < best


def test_scores_with_the_shipped_fit_are_pinned(cow, mid):
    """Regression pins: a change in the analysis or the fit shows here (numbers as of the fit
    in fitted.json; the cross-validated ones are in fitted.json and the project notes)."""
    war = validate_table(COW)
    dispute = validate_table(MID)
    for result, n, joiners in ((war, 1402, 6), (dispute, 11929, 98)):
        tp = result["third_parties"]
        assert (tp["n"], tp["joiners"]) == (n, joiners)
        for key in ("f1", "log_loss", "base_log_loss", "brier"):
            assert key in tp
    pins = fitted()["in_sample"]
    for name, result in (("war", war), ("dispute", dispute)):
        for key, value in pins[name].items():
            assert result["third_parties"][key] == pytest.approx(value, rel=1e-6, abs=1e-9), (name, key)


def test_probabilities_are_a_distribution_and_rank_by_expected_utility():
    rows = ({"neutral": 0.5, "join-a": 0.9, "join-b": 0.1, "broker": 0.5}, dict.fromkeys(OPTIONS, 0.2))
    v = np.array([[r.get(o, -math.inf) for o in OPTIONS] for r in rows])
    p = probabilities(v, 5.0, -1.0)
    assert np.allclose(p.sum(-1), 1)
    assert p[0, 1] > p[0, 0] > p[0, 2]
    assert p[1, 1] < p[1, 0]  # the constant for taking up arms
    assert np.allclose(as_classes(p).sum(-1), 1)


def test_folds_keep_every_group_whole_and_are_seeded():
    groups = [f"g{k}" for k in range(23)]
    f1, f2 = folds(groups, 5, seed=0), folds(groups, 5, seed=0)
    assert f1 == f2 and set(f1) == set(groups)
    sizes = np.bincount(list(f1.values()))
    assert sizes.max() - sizes.min() <= 1
    assert folds(groups, 5, seed=1) != f1


def test_validate_command_on_both_layouts(cow):
    r = runner.invoke(app, ["validate", str(COW), "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    for key in ("f1", "log_loss", "base_log_loss", "brier", "n", "joiners"):
        assert key in data["third_parties"]
    assert data["layout"] == "war" and len(data["groups"]) == 38
    r = runner.invoke(app, ["validate", str(COW), "--per-issue"])
    assert r.exit_code == 0 and "ally" in r.stdout and "Crimean" in r.stdout


def test_validate_tells_the_layouts_apart_by_columns(tmp_path, mid):
    """Columns in another order, and a later dispute in the same layout, read the same way."""
    lines = need(MID).read_text().splitlines()
    header = lines[0].split(",")
    order = list(reversed(range(len(header))))
    rows = [",".join(line.split(",")[k] for k in order) for line in lines[:60]]
    f = tmp_path / "later.csv"
    f.write_text("\n".join(rows) + "\n")
    result = validate_table(f)
    assert result["layout"] == "dispute" and result["third_parties"]["n"] == 59


@pytest.mark.parametrize("text, message", [
    ("war_num,start_year\n1,1900\n", "without the column"),
    ("a,b\n1,2\n", "not a third-party decision table"),
    ("", "empty"),
])
def test_hostile_tables_get_one_line_errors(tmp_path, text, message):
    f = tmp_path / "t.csv"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        validate_table(f)


def _row_table(tmp_path: Path, change: dict[str, str]) -> Path:
    lines = need(COW).read_text().splitlines()[:4]
    header = lines[0].split(",")
    cells = lines[2].split(",")
    for k, v in change.items():
        cells[header.index(k)] = v
    f = tmp_path / "t.csv"
    f.write_text("\n".join([lines[0], lines[1], ",".join(cells), lines[3]]) + "\n")
    return f


@pytest.mark.parametrize("change, message", [
    ({"cinc": "abc"}, r"t.csv:3: 'cinc' is 'abc', not a number"),
    ({"dist_a_km": "-5"}, r"t.csv:3: 'dist_a_km' is -5"),
    ({"cinc_a": "inf"}, r"'cinc_a' is inf"),
    ({"joined": "maybe"}, r"t.csv:3: joined is 'maybe'"),
    ({"war_num": ""}, r"t.csv:3: empty 'war_num'"),
])
def test_bad_cells_name_the_line(tmp_path, change, message):
    with pytest.raises(InputError, match=message):
        validate_table(_row_table(tmp_path, change))


def test_missing_cells_follow_the_documented_rule(tmp_path):
    result = validate_table(_row_table(tmp_path, {"dist_a_km": "", "cinc": ""}))
    assert result["imputed_cells"] == 2


def test_cli_errors_on_tables(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(b"war_num,joined\n\xff\xfe,none\n")
    r = runner.invoke(app, ["validate", str(f)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = runner.invoke(app, ["validate", str(need(COW)), "--cv", "1"])
    assert r.exit_code == 2 and "--cv" in r.stderr


def test_streamed_cases_are_the_read_cases_in_order(tmp_path):
    """decision_table_cases builds the cases one at a time; with a group's rows apart (not sorted
    by group) it still gives them in the order the groups first appear, each with all its rows."""
    from tertius.io.thirdparty_table import decision_table_cases, read_decision_table

    lines = need(MID).read_text().splitlines()
    body = lines[1:121]
    f = tmp_path / "mixed.csv"
    f.write_text("\n".join([lines[0], *body[::2], *body[1::2]]) + "\n")  # every group split in two
    layout, cases = decision_table_cases(f)
    streamed = list(cases)
    _, read = read_decision_table(f)
    key = lines[0].split(",").index("dispnum")
    first_seen = list(dict.fromkeys(line.split(",")[key] for line in [*body[::2], *body[1::2]]))
    assert layout == "dispute" and [c.group for c in streamed] == first_seen == [c.group for c in read]
    assert [len(c.joined) for c in streamed] == [sum(line.split(",")[key] == g for line in body) for g in first_seen]
    assert streamed == read


def test_scores_do_not_depend_on_the_block(tmp_path, monkeypatch):
    """validate_table scores BLOCK cases at a time: one case at a time gives the same JSON."""
    from tertius.conflict import score

    lines = need(MID).read_text().splitlines()
    f = tmp_path / "part.csv"
    f.write_text("\n".join(lines[:400]) + "\n")
    whole = json.dumps(validate_table(f))
    monkeypatch.setattr(score, "BLOCK", 1)
    assert json.dumps(validate_table(f)) == whole


def test_a_row_error_comes_before_a_groups_error(tmp_path):
    """Every row is checked before any group is built: a later row's error is the one reported."""
    lines = need(COW).read_text().splitlines()[:5]
    header = lines[0].split(",")
    bad_cell, bad_row = lines[2].split(","), lines[4].split(",")
    bad_cell[header.index("cinc")] = "abc"
    bad_row[header.index("joined")] = "maybe"
    f = tmp_path / "t.csv"
    f.write_text("\n".join([lines[0], lines[1], ",".join(bad_cell), lines[3], ",".join(bad_row)]) + "\n")
    with pytest.raises(InputError, match=r"t.csv:5: joined is 'maybe'"):
        validate_table(f)


def test_cases_solved_together_are_solved_as_alone(cow, mid):
    """solve_cases runs best response once per group of same-shaped disputes: every case gets
    the same option values (to the bit), equilibrium, convergence and method as solve() alone,
    including those that best response does not settle (the repairs then run alone)."""
    cost = fitted()["cost"]
    cases = cow[1] + mid[1]
    together = solve_cases(cases, cost)
    alone = [solve(c, cost) for c in cases]
    assert len({len(c.joined) for c in cases}) < len(cases)  # some batches hold several cases
    assert not all(s.converged and s.method == "best response" for s in alone)  # and some repairs run
    for a, b in zip(together, alone, strict=True):
        assert a.case is b.case and a.third == b.third and a.values.tobytes() == b.values.tobytes()
        assert (a.equilibrium, a.converged, a.method) == (b.equilibrium, b.converged, b.method)


@pytest.mark.parametrize("table", [COW, MID])
def test_cases_read_only_the_columns_they_are_built_from(table, monkeypatch):
    """The second pass keeps only the columns of READ: reading every column builds the same cases."""
    from tertius.io import thirdparty_table as tt

    _, kept = tt.read_decision_table(need(table))
    monkeypatch.setattr(tt, "READ", frozenset(need(table).read_text().splitlines()[0].split(",")))
    _, every = tt.read_decision_table(need(table))
    assert kept == every


def test_validate_restores_the_collectors_threshold_when_calls_overlap():
    """Two validations at once (the server's threads) leave the process's threshold as it was,
    whichever finishes first."""
    import gc

    from tertius.conflict import score as sc

    before = gc.get_threshold()
    a, b = sc._fewer_collections(), sc._fewer_collections()
    a.__enter__()
    b.__enter__()
    assert gc.get_threshold()[0] == max(before[0], sc.GC_THRESHOLD)
    a.__exit__(None, None, None)  # the first in leaves first
    assert gc.get_threshold()[0] == max(before[0], sc.GC_THRESHOLD)  # b still streams
    b.__exit__(None, None, None)
    assert gc.get_threshold() == before


@pytest.mark.parametrize(("wars", "k", "fix"), [((1,), 2, "drop --cv"), ((1, 4), 3, "use --cv 2")])
def test_more_folds_than_wars_is_one_line_naming_the_file_and_the_fix(tmp_path, wars, k, fix):
    lines = need(SHARED / "data" / "cow-third-party" / "train.csv").read_text(encoding="utf-8").splitlines()
    table = tmp_path / "few.csv"
    table.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if int(ln.split(",")[0]) in wars]) + "\n",
                     encoding="utf-8")
    r = runner.invoke(app, ["validate", str(table), "--cv", str(k)])
    assert r.exit_code != 0 and "Traceback" not in r.output
    message = r.output.strip()
    assert len(message.splitlines()) == 1 or "fix:" in message
    assert str(table) in message and f"--cv {k}" in message and fix in message
