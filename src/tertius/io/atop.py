"""ATOP alliance ties between states in a year, from the dyad-year extract beside the third-party tables.

The extract is ``atop5_1_ddyr_train_start_years.csv`` (ATOP 5.1 directed dyad-years, as the
peacesciencer R package gives them, reduced to five obligation flags: Leeds, Ritter, Mitchell &
Long 2002; Miller 2022), which the shared folders ``data/cow-third-party/`` and
``data/mid-third-party/`` hold beside ``train.csv``. Two states are *allies* in a year where they
share a dyad-year with any obligation (defense, offense, neutrality, non-aggression or
consultation), in either direction, and *defence allies* where one of those is a defense
obligation: the definitions of the tables' ``ally_a`` / ``defense_a`` (the folders' SOURCE.md,
"Alliances"). The extract is found beside the table, else in ``$TERTIUS_SHARED/data/<folder>/``
(the shared data's folder for the table's layout); the package ships no copy, so where neither
holds it the caller reports what needs it as not scored.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from tertius.errors import InputError

ATOP_FILE = "atop5_1_ddyr_train_start_years.csv"
#: The shared data's folder of each table layout (tertius.io.thirdparty_table.LAYOUTS).
FOLDERS = {"war": "cow-third-party", "dispute": "mid-third-party"}
ATOP_COLUMNS = ("ccode1", "ccode2", "year", "atop_defense", "atop_offense", "atop_neutral", "atop_nonagg",
                "atop_consul")


@dataclass(frozen=True)
class Ties:
    """The unordered pairs of COW codes allied in each year of the extract (any obligation), and
    those with a defense obligation."""

    ally: dict[int, frozenset[tuple[int, int]]]
    defense: dict[int, frozenset[tuple[int, int]]]
    path: str

    @property
    def years(self) -> frozenset[int]:
        return frozenset(self.ally)

    def allied(self, a: int, b: int, year: int, defense: bool = False) -> bool:
        pairs = (self.defense if defense else self.ally).get(year, frozenset())
        return (min(a, b), max(a, b)) in pairs


def find_atop(table: str | Path, layout: str) -> Path | None:
    """The ATOP extract for a table: beside it, else in the shared folder of its layout under
    ``$TERTIUS_SHARED/data``; None where neither has it."""
    beside = Path(table).parent / ATOP_FILE
    if beside.is_file():
        return beside
    shared = os.environ.get("TERTIUS_SHARED")
    if shared and layout in FOLDERS:
        there = Path(shared) / "data" / FOLDERS[layout] / ATOP_FILE
        if there.is_file():
            return there
    return None


def read_atop(path: str | Path) -> Ties:
    """The ties of an ATOP dyad-year extract; a malformed file is an InputError naming its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the ATOP extract ({e})", file=str(path),
                         fix=f"use {ATOP_FILE} of shared/data/*-third-party/") from None
    rows = csv.reader(text.splitlines())
    header = [h.strip() for h in next(rows, [])]
    missing = [c for c in ATOP_COLUMNS if c not in header]
    if missing:
        raise InputError(f"the ATOP extract has no column(s) {', '.join(missing)}", file=str(path), line=1,
                         fix=f"use the columns {', '.join(ATOP_COLUMNS)}")
    col = {h: k for k, h in enumerate(header)}
    ally: dict[int, set[tuple[int, int]]] = {}
    defense: dict[int, set[tuple[int, int]]] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            a, b, year = (int(row[col[c]]) for c in ("ccode1", "ccode2", "year"))
            flags = [float(row[col[c]]) for c in ATOP_COLUMNS[3:]]
        except (ValueError, IndexError):
            raise InputError("a code, year or obligation flag is not a number", file=str(path), line=line,
                             fix="write ccode1, ccode2, year and the flags as whole numbers") from None
        pair = (min(a, b), max(a, b))
        ally.setdefault(year, set())
        defense.setdefault(year, set())
        if any(f > 0 for f in flags):
            ally[year].add(pair)
        if flags[0] > 0:
            defense[year].add(pair)
    return Ties({y: frozenset(p) for y, p in ally.items()}, {y: frozenset(p) for y, p in defense.items()}, str(path))


__all__ = ["ATOP_FILE", "FOLDERS", "Ties", "find_atop", "read_atop"]
