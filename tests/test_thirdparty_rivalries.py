"""Revision 3 of the third-party tables' mapping (docs/thirdparty-data.md): a strategic rival of a
side's originals (Thompson & Dreyer 2012) stands 25 points towards the other side. The bundled
rivalry rows, the rule of shared/data/rivalries/SOURCE.md, and the position it gives."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tertius.io.rivalries import RIVALRY_COLUMNS, is_rival, rivalry_rows
from tertius.io.thirdparty_table import read_decision_table
from tests.conftest import SHARED, need

COW = SHARED / "data" / "cow-third-party" / "train.csv"
MID = SHARED / "data" / "mid-third-party" / "train.csv"
RIVALRIES = SHARED / "data" / "rivalries" / "td_rivalries.csv"
HEADER = ("war_num,war_name,start_date,start_year,ccode,abb,joined,join_year,join_lag_days,cinc,cinc_a,cinc_b,"
          "dist_a_km,dist_b_km,ally_a,ally_b,defense_a,defense_b,orig_a,orig_b,initiator_side")
TIES = ("ally_a", "ally_b", "defense_a", "defense_b")


def _row(war: int, year: int, ccode: str, abb: str, orig_a: str, orig_b: str, ties=(0, 0, 0, 0)) -> str:
    aa, ab, fa, fb = ties
    return (f"{war},War {war},{year}-01-01,{year},{ccode},{abb},none,,,0.01,0.2,0.1,900,1800,"
            f"{aa},{ab},{fa},{fb},{orig_a},{orig_b},A")


def _positions(rows: list[str]) -> dict[tuple[str, str], float]:
    """(war, candidate id) -> its position on the one stake, read from a table of these rows."""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "t.csv"
        f.write_text("\n".join([HEADER, *rows]) + "\n")
        _, cases = read_decision_table(f)
    out = {}
    for case in cases:
        arr = case.scenario.arrays
        for aid in case.joined:
            out[(case.group, aid)] = float(arr.position[arr.actor_ids.index(aid), 0])
    return out


def test_the_bundled_rows_are_the_shared_files():
    """src/tertius/io/data/td_rivalries.csv holds the shared file's rows, in its order, with the
    columns the rule needs."""
    with need(RIVALRIES).open(newline="", encoding="utf-8") as f:
        shared = [tuple(row[c] for c in RIVALRY_COLUMNS) for row in csv.DictReader(f)]
    assert len(shared) == 197
    assert list(rivalry_rows()) == shared


def test_the_rule_reproduces_the_source_notes_counts():
    """shared/data/rivalries/SOURCE.md: wars, 127 of 1,402 rows are rivals of some side and 4 of
    the 6 joiners were rivals of the side they fought; disputes, 1,238 of 11,929 and 32 of 98."""
    for table, rows, fought in ((COW, 127, 4), (MID, 1238, 32)):
        _, cases = read_decision_table(need(table))
        assert sum(any(r) for c in cases for r in c.rival.values()) == rows
        assert sum(c.rival[aid][1 if j == "A" else 0] for c in cases for aid, j in c.joined.items()
                   if j in ("A", "B")) == fought


def test_a_rival_of_side_a_in_the_first_war_stands_towards_side_b():
    """The Franco-Spanish war (1823; France side A, Spain side B): Britain has no alliance tie to
    either, and is France's rival (Britain-France 2, 1731-1904) but no longer Spain's (Britain-
    Spain 2 ended 1808): 50 − 25 = 25. Before revision 3 it stood at 50."""
    _, cases = read_decision_table(need(COW))
    case = cases[0]
    arr = case.scenario.arrays
    assert case.rival["UKG"] == (True, False)
    assert arr.position[arr.actor_ids.index("UKG"), 0] == 25
    assert case.rival["USA"] == (False, False) and arr.position[arr.actor_ids.index("USA"), 0] == 50


def test_the_position_rule_on_rows_made_for_it():
    """50 + 25 (ally_a − ally_b) + 25 (defense_a − defense_b) + 25 (rival_b − rival_a), clipped to
    [0, 100]; a rivalry counts in its first and last year, with any original, in either order."""
    p = _positions([
        # 1905, Spain (A) against the Ottoman Empire and Russia (B)
        _row(1, 1905, "200", "UKG", "230", "640;365"),  # Britain-Russia (1778-1956), the second original
        _row(1, 1905, "255", "GMY", "230", "640;365", (0, 1, 0, 1)),  # tied to B, Germany-Russia 2: 50-25-25+25
        _row(1, 1905, "740", "JPN", "230", "640;365", (1, 0, 1, 0)),  # tied to A, Japan-Russia: 125, clipped
        _row(1, 1905, "", "XXX", "230", "640;365"),  # no COW code: no rivalry
        _row(1, 1905, "abc", "YYY", "230", "640;365"),  # an unreadable code: no rivalry
        # 1850, France (A) against Russia (B)
        _row(2, 1850, "200", "UKG", "220", "365"),  # Britain-France 2 and Britain-Russia: both sides
        _row(2, 1850, "2", "USA", "220", "365"),  # France-United States (1830-1871): rival of A
        # Britain-France 2 (ccode1 200, ccode2 220; 1731-1904), the candidate France, Britain side A
        _row(3, 1904, "220", "FRN", "200", "2"),
        _row(4, 1905, "220", "FRN", "200", "2"),
        _row(5, 1905, "200", "UKG", "230", ""),  # no originals of side B: no rivalry with B
    ])
    assert p == {("1", "UKG"): 75, ("1", "GMY"): 25, ("1", "JPN"): 100, ("1", "XXX"): 50, ("1", "YYY"): 50,
                 ("2", "UKG"): 50, ("2", "USA"): 25, ("3", "FRN"): 25, ("4", "FRN"): 50, ("5", "UKG"): 50}


CODES = sorted({int(c) for row in rivalry_rows() for c in row[2:4]})[:40] + [999]


@given(st.sampled_from(CODES), st.lists(st.sampled_from(CODES), max_size=3),
       st.lists(st.sampled_from(CODES), max_size=3), st.integers(1490, 2015))
def test_is_rival_is_symmetric_and_a_union_over_originals(me, side, other, year):
    assert is_rival(str(me), [str(c) for c in side], year) == any(is_rival(str(c), [str(me)], year) for c in side)
    both = is_rival(str(me), [str(c) for c in side + other], year)
    assert both == (is_rival(str(me), [str(c) for c in side], year) or is_rival(str(me), [str(c) for c in other], year))


@given(st.sampled_from(CODES), st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
       st.lists(st.sampled_from(CODES), min_size=1, max_size=3), st.integers(1816, 2010),
       st.tuples(*[st.integers(0, 1)] * 4))
def test_swapping_the_sides_mirrors_the_position(me, side_a, side_b, year, ties):
    """Relabelling A and B (their originals and ties) puts the candidate at 100 − its position,
    and the position stays in [0, 100]."""
    aa, ab, fa, fb = ties
    orig_a, orig_b = ";".join(map(str, side_a)), ";".join(map(str, side_b))
    p = _positions([_row(1, year, str(me), "CAN", orig_a, orig_b, ties),
                    _row(2, year, str(me), "CAN", orig_b, orig_a, (ab, aa, fb, fa))])
    assert 0 <= p[("1", "CAN")] <= 100
    assert p[("2", "CAN")] == pytest.approx(100 - p[("1", "CAN")])
    rival_a, rival_b = is_rival(str(me), orig_a.split(";"), year), is_rival(str(me), orig_b.split(";"), year)
    assert p[("1", "CAN")] == min(100, max(0, 50 + 25 * (aa - ab) + 25 * (fa - fb) + 25 * (rival_b - rival_a)))
