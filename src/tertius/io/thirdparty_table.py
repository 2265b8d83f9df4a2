"""Third-party decision tables (COW inter-state wars, GML militarized disputes) as scenarios.

The mapping from a row to a scenario is fixed in docs/thirdparty-data.md: one scenario per war
or dispute, the original belligerents of each side as one actor, every candidate state as a third
party, one issue ``outcome`` (side A at 100, side B at 0), candidate positions from alliance ties
and strategic rivalries (revision 3; :mod:`tertius.io.rivalries`), saliences and strengths from
the War Trap loss-of-strength gradient, one fixed cost of fighting for every actor (written as a
share of its stake). The two layouts are told apart by their columns.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tertius.errors import InputError
from tertius.io.rivalries import is_rival
from tertius.scenario import Scenario

KM_PER_MILE = 1.609344
#: Columns each layout needs; the id column tells the layouts apart.
LAYOUTS = {
    "war": ("war_num", ("war_num", "start_year", "ccode", "abb", "joined", "cinc", "cinc_a", "cinc_b",
                        "dist_a_km", "dist_b_km", "ally_a", "ally_b", "defense_a", "defense_b")),
    "dispute": ("dispnum", ("dispnum", "start_year", "ccode", "abb", "joined", "cinc", "cinc_a", "cinc_b",
                            "dist_a_km", "dist_b_km", "ally_a", "ally_b", "defense_a", "defense_b")),
}
JOINED = ("A", "B", "none")
#: The columns a case is built from (:func:`_case`): the layouts' own and the optional ones it reads.
READ = frozenset(c for _, needed in LAYOUTS.values() for c in needed) | {
    "major", "war_name", "initiator_side", "orig_a", "orig_b", "join_lag_days", "join_day_known"}


@dataclass(frozen=True)
class Case:
    """One war or dispute: its scenario and the recorded choice of each third party."""

    group: str  # war or dispute id
    name: str
    scenario: Scenario
    joined: dict[str, str]  # third party id -> 'A' | 'B' | 'none' ('' when not recorded)
    ccode: dict[str, str]
    imputed: int  # cells filled in by the documented rule for missing values
    ally: dict[str, tuple[bool, bool]]  # ATOP tie of any kind to side A's, side B's originals
    #: The table's own columns per third party, as numbers (after the missing-value rule), for
    #: the choice model: dist_a_km, dist_b_km, ally_a, ally_b, defense_a, defense_b, cinc, major
    #: (NaN where the table has no such column).
    covariates: dict[str, dict[str, float]] = field(default_factory=dict)
    #: The group's columns: start_year, cinc_a, cinc_b, n_orig_a, n_orig_b, initiator_a (1 if
    #: side A started it, 0 if side B, NaN where the table does not say).
    info: dict[str, float] = field(default_factory=dict)
    #: Strategic rivalry (Thompson & Dreyer) with any of side A's, side B's originals in the start
    #: year (docs/thirdparty-data.md, revision 3).
    rival: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    #: The cells ``join_lag_days`` and ``join_day_known`` of each third party, as text (stripped),
    #: where the table has a ``join_lag_days`` column (empty otherwise): the order of entry
    #: (:mod:`tertius.conflict.entry`) reads and checks them; the other models do not.
    entry: dict[str, tuple[str, str]] = field(default_factory=dict)


def table_layout(path: Path, header: list[str]) -> str:
    for layout, (key, needed) in LAYOUTS.items():
        if key in header:
            missing = [c for c in needed if c not in header]
            if missing:
                raise InputError(f"a {layout} table without the column(s) {', '.join(missing)}", file=str(path),
                                 line=1, fix="use the columns of shared/data/*-third-party/train.csv")
            return layout
    raise InputError("not a third-party decision table (no 'war_num' or 'dispnum' column)", file=str(path), line=1,
                     fix="use the layout of shared/data/cow-third-party/train.csv or mid-third-party/train.csv")


def looks_like_decision_table(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            header = next(csv.reader(f), [])
    except (OSError, csv.Error):  # not readable as CSV: the format's own reader says why
        return False
    return "joined" in header and ("war_num" in header or "dispnum" in header)


def miles_per_day(year: int) -> float:
    """War Trap p. 105: 250 miles a day before 1918, 375 for 1918-1945, 500 after."""
    return 250.0 if year < 1918 else 375.0 if year <= 1945 else 500.0


def _salience(miles: float, per_day: float) -> float:
    """The ratio of the War Trap exponents at home and at this distance (docs/thirdparty-data.md)."""
    return math.log10(10 - math.e) / math.log10(miles / per_day + 10 - math.e)


def read_decision_table(path: str | Path, cost: float = 0.0) -> tuple[str, list[Case]]:
    """Read a COW or MID third-party table: its layout ('war' or 'dispute') and one case per group."""
    layout, cases = decision_table_cases(path, cost)
    return layout, list(cases)


#: The line breaks of :meth:`str.splitlines`, so that :func:`_lines` splits as it does.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as :meth:`str.splitlines` gives them, one at a time (no list of them)."""
    start = 0
    for m in _LINE_BREAK.finditer(text):
        yield text[start:m.start()]
        start = m.end()
    if start < len(text):
        yield text[start:]


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    try:
        yield from enumerate(csv.reader(_lines(text)), start=1)
    except csv.Error as e:
        raise InputError(f"malformed CSV ({e})", file=str(path), fix="save the table as plain CSV") from None


def decision_table_cases(path: str | Path, cost: float = 0.0) -> tuple[str, Iterator[Case]]:
    """The layout of a COW or MID third-party table and its cases, one per group, built one at a
    time as the iterator is read (the order and the errors of :func:`read_decision_table`).

    A first pass checks every row (the row errors come before any group's) and notes the last
    line of each group; the second builds a group's case once its last line is read, so only the
    groups still open are held: one at a time in a table sorted by group."""

    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise InputError(f"cannot read the file ({e.strerror})", file=str(path), fix="check the path") from None
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})", file=str(path), fix="save the table as UTF-8 CSV") from None
    header: list[str] | None = None
    key, col, error = "", {}, None
    last: dict[str, int] = {}  # group -> its last line, in the order the groups first appear
    for line, row in _records(path, text):  # a malformed line anywhere is the error, as it comes first
        if header is None:
            header = [h.strip() for h in row]
            try:
                layout = table_layout(path, header)
            except InputError as e:
                error = e
                continue
            key = LAYOUTS[layout][0]
            col = {h: k for k, h in enumerate(header)}
        elif error is None:
            try:
                group = _check(path, line, row, col, key)
            except InputError as e:
                error = e
                continue
            if group is not None:
                last[group] = line
    if header is None:
        raise InputError("the file is empty", file=str(path), fix="use a table with a header row")
    if error is not None:
        raise error
    if not last:
        raise InputError("the table has no rows", file=str(path), fix="add one row per candidate state")
    return layout, _cases(path, text, layout, col, key, last, cost)


def _check(path: Path, line: int, row: list[str], col: dict[str, int], key: str) -> str | None:
    """One row's group (None for a blank row), or the row's error; only the cells the check
    needs are read (the first pass of :func:`decision_table_cases` runs this on every row)."""
    if not any(cell.strip() for cell in row):
        return None
    if len(row) != len(col):
        raise InputError(f"{len(row)} fields where the header has {len(col)}", file=str(path), line=line,
                         fix="give every row one value per column")
    group = row[col[key]].strip()
    if not group:
        raise InputError(f"empty '{key}'", file=str(path), line=line, fix="name the war or dispute of every row")
    joined = row[col["joined"]].strip()
    if joined not in JOINED + ("",):
        raise InputError(f"joined is '{joined}'", file=str(path), line=line, fix="use A, B or none")
    return group


def _record(path: Path, line: int, row: list[str], col: dict[str, int], key: str,
            read: dict[str, int]) -> dict[str, str] | None:
    """The row's cells (stripped) of the columns ``read`` (name -> index) that a case is built
    from (None for a blank row), or the row's error."""
    if _check(path, line, row, col, key) is None:
        return None
    return {h: row[k].strip() for h, k in read.items()}


def _cases(path: Path, text: str, layout: str, col: dict[str, int], key: str, last: dict[str, int],
           cost: float) -> Iterator[Case]:
    order = iter(last)  # the groups in the order they first appear
    turn = next(order, None)
    open_: dict[str, list[tuple[int, dict[str, str]]]] = {}
    done: dict[str, list[tuple[int, dict[str, str]]]] = {}
    records = _records(path, text)
    next(records)  # the header
    read = {h: k for h, k in col.items() if h in READ}  # the other columns are never read
    for line, row in records:
        rec = _record(path, line, row, col, key, read)
        if rec is None:
            continue
        group = rec[key]
        open_.setdefault(group, []).append((line, rec))
        if line == last[group]:
            done[group] = open_.pop(group)
            while turn is not None and turn in done:
                yield _case(path, layout, turn, done.pop(turn), cost)
                turn = next(order, None)


def _num(path: Path, line: int, rec: dict[str, str], name: str, missing: float | None) -> tuple[float, bool]:
    text = rec[name]
    try:  # the common case first: a number, finite, 0 or more ("nan" fails the test and is missing below)
        value = float(text)
        if 0 <= value < math.inf:
            return value, False
    except ValueError:
        pass
    if text in ("", "NA", "nan", "NaN"):
        if missing is None:
            raise InputError(f"'{name}' is empty", file=str(path), line=line, fix=f"give a number for {name}")
        return missing, True
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"'{name}' is '{text[:40]}', not a number", file=str(path), line=line,
                         fix=f"write {name} as a number") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"'{name}' is {text[:40]}", file=str(path), line=line,
                         fix=f"{name} is a finite number, 0 or more")
    return value, False


def _case(path: Path, layout: str, group: str, recs: list[tuple[int, dict[str, str]]], cost: float) -> Case:
    line0, first = recs[0]
    year = int(_num(path, line0, first, "start_year", None)[0])
    per_day = miles_per_day(year)
    cinc_a = _num(path, line0, first, "cinc_a", 0.0)[0]
    cinc_b = _num(path, line0, first, "cinc_b", 0.0)[0]
    imputed = 0
    dists = []
    for line, rec in recs:  # the largest distance in the group stands in for a missing one
        for c in ("dist_a_km", "dist_b_km"):
            v, miss = _num(path, line, rec, c, math.nan)
            if not miss:
                dists.append(v)
    far = max(dists) if dists else 0.0
    actors = [{"id": "side-a", "name": "side A (originals)", "capability": cinc_a, "distance": 0.0},
              {"id": "side-b", "name": "side B (originals)", "capability": cinc_b, "distance": 0.0}]
    stances: list[dict[str, Any]] = [{"actor": "side-a", "issue": "outcome", "position": 100, "salience": 1},
               {"actor": "side-b", "issue": "outcome", "position": 0, "salience": 1}]
    joined, ccode, ally, covariates, rival, entry, seen = {}, {}, {}, {}, {}, {}, set()
    originals = [[c for c in first.get(f"orig_{s}", "").split(";") if c.strip()] for s in ("a", "b")]
    for line, rec in recs:
        cinc, m1 = _num(path, line, rec, "cinc", 0.0)
        da, m2 = _num(path, line, rec, "dist_a_km", far)
        db, m3 = _num(path, line, rec, "dist_b_km", far)
        ties = [_num(path, line, rec, c, 0.0) for c in ("ally_a", "ally_b", "defense_a", "defense_b")]
        for c in ("cinc_a", "cinc_b"):  # the group's values are taken from its first row; all must be numbers
            _num(path, line, rec, c, 0.0)
        imputed += m1 + m2 + m3 + sum(t[1] for t in ties)
        aa, ab, fa, fb = (t[0] for t in ties)
        aid = rec["abb"] or f"ccode-{rec['ccode']}"
        if aid in seen or aid in ("side-a", "side-b"):
            aid = f"{aid}-{rec['ccode']}"
        k = 2
        while aid in seen:  # a repeated row is kept as a candidate of its own
            aid, k = f"{aid.rsplit('#', 1)[0]}#{k}", k + 1
        seen.add(aid)
        miles = min(da, db) / KM_PER_MILE
        ra, rb = (is_rival(rec["ccode"], orig, year) for orig in originals)
        position = min(100.0, max(0.0, 50 + 25 * (aa - ab) + 25 * (fa - fb) + 25 * (rb - ra)))
        actors.append({"id": aid, "name": rec["abb"] or aid, "capability": cinc, "distance": miles})
        stances.append({"actor": aid, "issue": "outcome", "position": position,
                        "salience": _salience(miles, per_day)})
        joined[aid] = rec["joined"]
        ccode[aid] = rec["ccode"]
        ally[aid] = (aa > 0, ab > 0)
        rival[aid] = (ra, rb)
        if "join_lag_days" in rec:
            entry[aid] = (rec["join_lag_days"], rec.get("join_day_known", ""))
        covariates[aid] = {"dist_a_km": da, "dist_b_km": db, "ally_a": aa, "ally_b": ab, "defense_a": fa,
                           "defense_b": fb, "cinc": cinc, "major": _flag(rec.get("major", ""))}
    name = first.get("war_name") or f"{layout} {group}"
    data = {
        "id": f"{layout}-{group}", "title": f"{name} ({year})",
        "notes": ["Built from a third-party decision table by the mapping of docs/thirdparty-data.md."],
        "actors": actors,
        "issues": [{"id": "outcome", "name": "Outcome of the war", "scale": {"min": 0, "max": 100,
                                                                             "anchors": {0: "side B wins", 100: "side A wins"}}}],
        "stances": stances,
        "conflict": {"side_a": {"name": "side A", "actors": ["side-a"]}, "side_b": {"name": "side B", "actors": ["side-b"]},
                     "stakes": ["outcome"], "third_parties": list(joined), "contest": "war-trap",
                     "miles_per_day": per_day,
                     "costs": {st["actor"]: cost / st["salience"] for st in stances if st["salience"] > 0},
                     "broker_costs": {st["actor"]: cost / st["salience"] for st in stances if st["salience"] > 0}},
    }
    try:
        scenario = Scenario.model_validate(data)
    except Exception as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f"{layout} {group} does not make a valid scenario ({msg})", file=str(path), line=line0,
                         fix="check its rows' numbers") from None
    side = first.get("initiator_side", "")
    info = {"start_year": float(year), "cinc_a": cinc_a, "cinc_b": cinc_b,
            "n_orig_a": float(len(originals[0])), "n_orig_b": float(len(originals[1])),
            "initiator_a": 1.0 if side == "A" else 0.0 if side == "B" else math.nan}
    return Case(group=group, name=name, scenario=scenario, joined=joined, ccode=ccode, imputed=imputed, ally=ally,
                covariates=covariates, info=info, rival=rival, entry=entry)


def _flag(text: str) -> float:
    """A 0/1 column read leniently (NaN where absent or unreadable: the choice model fills it in)."""
    try:
        return float(text)
    except ValueError:
        return math.nan
