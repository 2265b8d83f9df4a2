"""The order of entry (tertius.conflict.entry): risk sets, the joined-tie covariate, side symmetry,
tables that cannot say, and reproducible cross-validated scores."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tertius.cli import app
from tertius.conflict import entry
from tertius.io.atop import ATOP_COLUMNS, ATOP_FILE, read_atop
from tertius.io.thirdparty_table import read_decision_table
from tertius.seeds import child_rng

HEADER = ("dispnum", "start_date", "start_year", "ccode", "abb", "joined", "join_lag_days", "join_day_known", "cinc",
          "cinc_a", "cinc_b", "dist_a_km", "dist_b_km", "ally_a", "ally_b", "defense_a", "defense_b", "orig_a", "orig_b")
#: One dispute (originals 100 v. 200), five candidates: X and Y join A on day 10, Z joins B on
#: day 30, W and V stay out. ATOP ties in 1850: X-Y, X-W (defence), Z-V.
ROWS = [
    ("1", "X", "A", "10", "1", 0.05, 900, 2500, 1, 0, 1, 0),
    ("2", "Y", "A", "10", "1", 0.02, 1500, 2000, 0, 0, 0, 0),
    ("3", "Z", "B", "30", "0", 0.03, 3000, 800, 0, 1, 0, 0),
    ("4", "W", "none", "", "", 0.01, 1200, 1800, 0, 0, 0, 0),
    ("5", "V", "none", "", "", 0.04, 4000, 600, 0, 0, 0, 0),
]
TIES = [(1, 2, 0), (1, 4, 1), (3, 5, 0)]


def write_table(path: Path, rows=ROWS, group: str = "1", year: int = 1850, swap: bool = False,
                header: tuple[str, ...] = HEADER) -> Path:
    """The dispute of ROWS (or rows like them) as a table; ``swap`` relabels the sides A and B."""
    new = not path.exists()
    with path.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(header)
        for code, abb, joined, lag, known, cinc, da, db, aa, ab, fa, fb in rows:
            ca, cb, oa, ob = 0.2, 0.1, "100", "200"
            if swap:
                joined = {"A": "B", "B": "A"}.get(joined, joined)
                da, db, aa, ab, fa, fb, ca, cb, oa, ob = db, da, ab, aa, fb, fa, cb, ca, ob, oa
            cells = {"dispnum": group, "start_date": f"{year}-01-01", "start_year": year, "ccode": code, "abb": abb,
                     "joined": joined, "join_lag_days": lag, "join_day_known": known, "cinc": cinc, "cinc_a": ca,
                     "cinc_b": cb, "dist_a_km": da, "dist_b_km": db, "ally_a": aa, "ally_b": ab, "defense_a": fa,
                     "defense_b": fb, "orig_a": oa, "orig_b": ob}
            w.writerow([cells[h] for h in header])
    return path


def write_atop(folder: Path, ties=TIES, years=(1850,)) -> Path:
    path = folder / ATOP_FILE
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(ATOP_COLUMNS)
        for year in years:
            for a, b, defense in ties:
                for c1, c2 in ((a, b), (b, a)):  # directed dyad-years, both directions
                    w.writerow([c1, c2, year, defense, 0, 0, 0, 1 - defense])
    return path


def the_entries(tmp_path: Path, swap: bool = False) -> entry.Entries:
    table = write_table(tmp_path / ("swapped.csv" if swap else "table.csv"), swap=swap)
    ties = read_atop(write_atop(tmp_path))
    layout, cases = read_decision_table(table)
    return entry.entries(cases, ties, str(table), layout)


def column(e: entry.Entries, name: str) -> np.ndarray:
    """The variable ``name`` of each event's alternatives as (E, candidates at risk, side)."""
    return e.x[..., e.columns.index(name)].reshape(len(e.groups), -1, 2)


def test_the_risk_set_shrinks_as_states_join(tmp_path):
    e = the_entries(tmp_path)
    # X and Y join on day 10 (two events over all five), Z on day 30 (over Z, W, V)
    assert e.days.tolist() == [10.0, 10.0, 30.0]
    assert (e.available.sum(axis=1) // 2).tolist() == [5, 5, 3]
    assert e.joining.sum(axis=1).tolist() == [2, 2, 1]
    # each event's chosen alternative is its joiner on its side: X on A, Y on A, Z (first at risk on day 30) on B
    assert [divmod(int(np.flatnonzero(c)[0]), 2) for c in e.chosen] == [(0, 0), (1, 0), (0, 1)]


def test_same_day_joiners_do_not_count_as_before_each_other(tmp_path):
    e = the_entries(tmp_path)
    own, other = column(e, "joined_tie_own"), column(e, "joined_tie_other")
    # on day 10 nobody has joined yet: Y's tie to X (who joins the same day) does not count
    assert not own[:2].any() and not other[:2].any()


def test_the_joined_tie_is_one_only_after_the_tied_state_joined(tmp_path):
    e = the_entries(tmp_path)
    own, other = column(e, "joined_tie_own"), column(e, "joined_tie_other")
    # day 30: at risk Z, W, V. W is allied with X, who joined A on day 10: own tie for joining A,
    # other-side tie for joining B. Z and V: no tie to a state that joined (V-Z: Z joins on day 30)
    assert own[2, :3].tolist() == [[0, 0], [1, 0], [0, 0]]
    assert other[2, :3].tolist() == [[0, 0], [0, 1], [0, 0]]
    # W's own defence tie to X counts on day 30 only, never on day 10 (X had not joined before it)
    assert own[:2, 3].sum() == 0


def test_the_static_variant_is_the_same_risk_sets_without_the_joined_ties(tmp_path):
    e = the_entries(tmp_path)
    s = e.select(entry.VARIANTS["static"])
    assert s.columns == entry.STATIC and "join" not in s.columns
    assert (s.available == e.available).all() and (s.chosen == e.chosen).all()
    assert np.array_equal(s.x, e.x[..., :len(entry.STATIC)])


@given(st.lists(st.floats(-2, 2), min_size=len(entry.VARIANTS["joined_ties"]),
                max_size=len(entry.VARIANTS["joined_ties"])))
def test_swapping_the_sides_mirrors_the_probabilities(tmp_path_factory, beta):
    folder = tmp_path_factory.mktemp("swap")
    e, swapped = the_entries(folder), the_entries(folder, swap=True)
    model = {"beta": beta, "scale": [1.0] * len(beta)}
    p, q = entry.probabilities(e, model), entry.probabilities(swapped, model)
    # the same candidates at risk; joining A in one labelling is joining B in the other
    assert np.allclose(p.reshape(len(p), -1, 2), q.reshape(len(q), -1, 2)[:, :, ::-1], atol=1e-12)
    assert np.allclose(p.sum(axis=1), 1.0)


def test_the_fit_recovers_a_joined_tie_effect_and_the_event_probabilities_are_the_partial_likelihoods(tmp_path):
    table, rng = tmp_path / "many.csv", child_rng(7, "entry-test")
    rows_written = many_groups(table, rng, 40)
    write_atop(tmp_path, ties=[(a, b, 0) for a in range(1, 13) for b in range(a + 1, 13) if (a + b) % 3 == 0])
    layout, cases = read_decision_table(table)
    e = entry.entries(cases, read_atop(tmp_path / ATOP_FILE), str(table), layout)
    assert rows_written and len(e.groups) > 40
    m = entry.fit(e, 1.0)
    p = entry.probabilities(e, m)
    # the log-likelihood is the sum over events of log P(event | risk set), less the ridge
    penalty = 0.5 * 1.0 * float(np.sum(np.square(m["beta"])))
    assert np.isclose(m["loglik"], np.log(p[e.chosen]).sum() - penalty)
    assert m["converged"] and np.all(np.isfinite(m["se"]))


def many_groups(table: Path, rng: np.random.Generator, n: int) -> int:
    """n disputes of 12 candidates (ccodes 1-12), a few joining in waves: a state allied to an
    earlier joiner of a side joins that side (so the joined tie carries the signal)."""
    allied = {(a, b) for a in range(1, 13) for b in range(a + 1, 13) if (a + b) % 3 == 0}
    count = 0
    for g in range(n):
        first = int(rng.integers(1, 13))
        side = "A" if rng.random() < 0.5 else "B"
        days = {first: (side, 0)}
        for c in rng.permutation(np.arange(1, 13))[:6]:
            c = int(c)
            if c != first and (min(c, first), max(c, first)) in allied and rng.random() < 0.7:
                days[c] = (side, int(rng.integers(5, 60)))
        rows = []
        for c in range(1, 13):
            joined, lag = days.get(c, ("none", ""))
            rows.append((str(c), f"S{c}", joined, str(lag), "1" if lag != "" else "", float(rng.uniform(0.001, 0.05)),
                         float(rng.uniform(100, 5000)), float(rng.uniform(100, 5000)), 0, 0, 0, 0))
        write_table(table, rows, group=str(g + 1))
        count += len(rows)
    return count


def test_the_cross_validated_scores_are_reproducible_with_the_same_seed(tmp_path):
    table = tmp_path / "many.csv"
    many_groups(table, child_rng(3, "entry-test"), 30)
    write_atop(tmp_path, ties=[(a, b, 0) for a in range(1, 13) for b in range(a + 1, 13) if (a + b) % 3 == 0])
    layout, cases = read_decision_table(table)
    fold_of = {c.group: i % 3 for i, c in enumerate(cases)}
    one = entry.order_of_entry(table, layout, cases, fold_of, 3, seed=0)
    two = entry.order_of_entry(table, layout, cases, fold_of, 3, seed=0)
    assert one["scored"] and json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    for name in entry.VARIANTS:
        v = one[name]
        assert 0 < v["mrr"] <= 1 and 0 <= v["auc"] <= 1 and v["log_loss"] > 0
        assert v["events_scored"] == one["events"]
    # the ties carry the signal here, so the model with them ranks the next joiner better
    assert one["joined_ties"]["log_loss"] < one["static"]["log_loss"]
    assert one["joined_ties"]["log_loss"] < one["uniform_log_loss"]


def test_a_table_without_join_lag_days_is_not_scored(tmp_path):
    header = tuple(h for h in HEADER if h not in ("join_lag_days", "join_day_known"))
    table = write_table(tmp_path / "nolag.csv", header=header)
    write_atop(tmp_path)
    layout, cases = read_decision_table(table)
    got = entry.order_of_entry(table, layout, cases, {"1": 0}, 2)
    assert got == {"scored": False, "reason": got["reason"]}
    assert "join_lag_days" in got["reason"] and "\n" not in got["reason"]


def test_a_negative_or_missing_lag_names_the_cell_in_one_line(tmp_path):
    for bad in ("-3", "", "abc", "inf"):
        rows = [ROWS[0][:3] + (bad,) + ROWS[0][4:]] + ROWS[1:]
        table = write_table(tmp_path / f"bad{bad}.csv", rows)
        write_atop(tmp_path)
        layout, cases = read_decision_table(table)
        got = entry.order_of_entry(table, layout, cases, {"1": 0}, 2)
        assert not got["scored"] and "\n" not in got["reason"]
        assert f"join_lag_days is '{bad}'" in got["reason"] and str(table) in got["reason"] and "fix:" in got["reason"]


def test_without_the_atop_extract_the_order_of_entry_is_not_scored(tmp_path, monkeypatch):
    monkeypatch.delenv("TERTIUS_SHARED", raising=False)
    table = write_table(tmp_path / "table.csv")
    layout, cases = read_decision_table(table)
    got = entry.order_of_entry(table, layout, cases, {"1": 0}, 2)
    assert not got["scored"] and "ATOP" in got["reason"]
    write_atop(tmp_path, years=(1849,))  # an extract that does not cover the start year
    got = entry.order_of_entry(table, layout, cases, {"1": 0}, 2)
    assert not got["scored"] and "1850" in got["reason"]
    (tmp_path / ATOP_FILE).write_text("ccode1,ccode2,year\n1,2,1850\n")  # a malformed extract
    got = entry.order_of_entry(table, layout, cases, {"1": 0}, 2)
    assert not got["scored"] and "ATOP" in got["reason"] and "atop_defense" in got["reason"] and "\n" not in got["reason"]
    (tmp_path / ATOP_FILE).write_text(",".join(ATOP_COLUMNS) + "\n1,2,1850,x,0,0,0,0\n")
    got = entry.order_of_entry(table, layout, cases, {"1": 0}, 2)
    assert not got["scored"] and f"{ATOP_FILE}:2" in got["reason"]


def test_validate_reports_the_order_of_entry_or_why_not_without_a_traceback(tmp_path):
    table = tmp_path / "many.csv"
    many_groups(table, child_rng(5, "entry-test"), 12)
    header = tuple(h for h in HEADER if h not in ("join_lag_days", "join_day_known"))
    bare = tmp_path / "bare"
    bare.mkdir()
    nolag = write_table(bare / "nolag.csv", header=header)
    write_table(nolag, header=header, group="2")  # validate --cv 2 needs two groups
    write_atop(tmp_path, ties=[(a, b, 0) for a in range(1, 13) for b in range(a + 1, 13) if (a + b) % 3 == 0])
    for path, scored in ((table, True), (nolag, False)):
        run = CliRunner().invoke(app, ["validate", str(path), "--cv", "2", "--format", "json"])
        assert run.exit_code == 0 and run.exception is None, run.output
        block = json.loads(run.stdout)["cross_validation"]["order_of_entry"]
        assert block["scored"] is scored
        text = CliRunner().invoke(app, ["validate", str(path), "--cv", "2"])
        assert text.exit_code == 0 and ("order of entry, 2-fold" if scored else "order of entry: not scored") in text.output


def test_the_tables_scores_are_the_documented_ones_and_reproducible():
    """docs/choicemodel.md, "Order of entry": the scores on the shared tables (5-fold, seed 0,
    validate's folds), the wars' twice (same seed, same bytes)."""
    from tertius.conflict.score import _order_of_entry
    from tests.conftest import SHARED, need

    got = {}
    for layout_dir in ("cow-third-party", "mid-third-party"):
        path = need(SHARED / "data" / layout_dir / "train.csv")
        layout, cases = read_decision_table(path)
        got[layout] = _order_of_entry(path, layout, cases, 5, 0)
    again = _order_of_entry(SHARED / "data" / "cow-third-party" / "train.csv", "war",
                            read_decision_table(SHARED / "data" / "cow-third-party" / "train.csv")[1], 5, 0)
    assert json.dumps(again, sort_keys=True) == json.dumps(got["war"], sort_keys=True)
    documented = {("war", "joined_ties"): (3.7368, 0.437, 0.742), ("war", "static"): (3.7368, 0.437, 0.742),
                  ("dispute", "joined_ties"): (3.1943, 0.467, 0.879), ("dispute", "static"): (3.1978, 0.503, 0.881)}
    for (layout, variant), (loss, mrr, auc) in documented.items():
        v = got[layout][variant]
        assert abs(v["log_loss"] - loss) < 1e-4 and abs(v["mrr"] - mrr) < 1e-3 and abs(v["auc"] - auc) < 1e-3
    assert (got["war"]["events"], got["war"]["entries"], got["dispute"]["events"], got["dispute"]["entries"]) == (6, 5, 98, 79)
    assert got["war"]["alternatives_with_joined_tie"] == 0 and got["dispute"]["unknown_day_joiners"] == 13


def test_joiners_in_one_group_only_leave_nothing_to_score_out_of_fold_without_a_nan(tmp_path):
    table = write_table(tmp_path / "t.csv")
    write_table(table, [r[:2] + ("none", "", "") + r[5:] for r in ROWS], group="2")  # a group with no joiner
    write_atop(tmp_path)
    run = CliRunner().invoke(app, ["validate", str(table), "--cv", "2", "--format", "json"])
    assert run.exit_code == 0 and run.exception is None, run.output
    block = json.loads(run.stdout)["cross_validation"]["order_of_entry"]
    for name in entry.VARIANTS:  # the one group's fold has no training events: nothing scored
        assert block[name]["events_scored"] == 0 and block[name]["log_loss"] is None and block[name]["mrr"] is None
    text = CliRunner().invoke(app, ["validate", str(table), "--cv", "2"])
    assert text.exit_code == 0 and "order of entry, 2-fold" in text.output
