"""Rules of EU legislation: the Council's voting weights in force at a date, and capabilities
derived from them.

Council weights and qualified-majority thresholds (country codes as in the DEU file):

* to 30 Apr 2004, EU-15: Treaty establishing the European Community, Art. 205(2) as amended by
  the 1994 Act of Accession: DE FR IT UK 10, ES 8, BE EL NL PT 5, AT SE 4, DK FI IE 3, LU 2;
  62 of 87 votes.
* 1 May to 31 Oct 2004, EU-25: 2003 Act of Accession, Art. 26 (transitional): the EU-15 weights,
  PL 8, CZ HU 5, EE LV LT SK SI 3, CY MT 2; 88 of 124 votes.
* from 1 Nov 2004: Protocol on the enlargement of the EU (Treaty of Nice), Art. 3, as adjusted by
  the 2003 Act of Accession, Art. 12: DE FR IT UK 29, ES PL 27, NL 13, BE CZ EL HU PT 12, AT SE 10,
  DK FI IE LT SK 7, CY EE LV LU SI 4, MT 3; 232 of 321 votes. From 1 Jan 2007 (2005 Act of
  Accession) RO 14 and BU 10, 255 of 345; from 1 Jul 2013 (2012 Act of Accession) CR 7, 260 of 352.
* from 1 Nov 2014 the Treaty of Lisbon's double majority (TEU Art. 16(4)) applies, with the Nice
  weights on request until 31 Mar 2017. tertius keeps the Nice weights of EU-28 for these dates:
  an approximation, as the double majority needs population figures the DEU file does not carry.

Under unanimity every member is a veto player, and each has power 1/n.

Capabilities from the rules: the Council's members share a total of 1 in proportion to their
power index (Shapley & Shubik 1954, or Banzhaf 1965; :mod:`tertius.power`). The Commission and
the Parliament get weights relative to the Council as a whole that depend on the procedure: the
Commission proposes under both, the Parliament is a co-legislator under co-decision and is only
consulted under consultation (Tsebelis & Garrett 2000; Napel & Widgrén 2006 find the Council and
the Parliament about equally powerful in co-decision). The weights tertius uses are declared in
:data:`INSTITUTION_WEIGHTS`; the ``best`` model chooses among several by cross-validation.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

from tertius.power import banzhaf, shapley_shubik

EU15 = {"de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5, "at": 4, "se": 4,
        "dk": 3, "fi": 3, "ie": 3, "lu": 2}
EU25_TRANSITIONAL = {**EU15, "pl": 8, "cz": 5, "hu": 5, "ee": 3, "lv": 3, "lt": 3, "sk": 3, "si": 3, "cy": 2,
                     "mt": 2}
NICE25 = {"de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "nl": 13, "be": 12, "cz": 12, "el": 12,
          "hu": 12, "pt": 12, "at": 10, "se": 10, "dk": 7, "fi": 7, "ie": 7, "lt": 7, "sk": 7, "cy": 4, "ee": 4,
          "lv": 4, "lu": 4, "si": 4, "mt": 3}
NICE27 = {**NICE25, "ro": 14, "bu": 10}
NICE28 = {**NICE27, "cr": 7}

#: (first day, weights, qualified-majority threshold, source)
ERAS = (
    (dt.date(1995, 1, 1), EU15, 62, "TEC Art. 205(2), 1994 Act of Accession: 62 of 87"),
    (dt.date(2004, 5, 1), EU25_TRANSITIONAL, 88, "2003 Act of Accession Art. 26: 88 of 124"),
    (dt.date(2004, 11, 1), NICE25, 232, "Treaty of Nice Protocol Art. 3, 2003 Act of Accession Art. 12: 232 of 321"),
    (dt.date(2007, 1, 1), NICE27, 255, "2005 Act of Accession: 255 of 345"),
    (dt.date(2013, 7, 1), NICE28, 260, "2012 Act of Accession: 260 of 352 (kept after 1 Nov 2014, see above)"),
)

#: Weights of the Commission and the Parliament relative to the Council as a whole (1), by
#: procedure. Named variants; ``"institutional"`` is the default of ``--capability``.
INSTITUTION_WEIGHTS = {
    "council-only": {"COD": {"com": 0.0, "ep": 0.0}, "CNS": {"com": 0.0, "ep": 0.0}},
    "institutional": {"COD": {"com": 0.5, "ep": 1.0}, "CNS": {"com": 1.0, "ep": 0.25}},
    "equal-chambers": {"COD": {"com": 1.0, "ep": 1.0}, "CNS": {"com": 1.0, "ep": 1.0}},
}
INDICES = ("shapley", "banzhaf")


def era(date: dt.date) -> tuple[dict[str, int], int, str]:
    """The Council's weights, threshold and source in force on ``date`` (the first era before 1995)."""
    chosen = ERAS[0]
    for e in ERAS:
        if date >= e[0]:
            chosen = e
    return chosen[1], chosen[2], chosen[3]


@lru_cache(maxsize=64)
def _index(members: tuple[tuple[str, int], ...], quota: int, index: str) -> dict[str, float]:
    weights = [w for _, w in members]
    values = shapley_shubik(weights, quota) if index == "shapley" else banzhaf(weights, quota)
    return {m: float(v) for (m, _), v in zip(members, values, strict=True)}


def council_power(weights: dict[str, int], quota: int | None, index: str = "shapley") -> dict[str, float]:
    """Each member's power index; ``quota`` None means unanimity."""
    if index not in INDICES:
        raise ValueError(f"unknown power index {index!r}")
    members = tuple(sorted(weights.items()))
    q = sum(weights.values()) if quota is None else quota
    return _index(members, q, index)


def capabilities(actors: list[str], weights: dict[str, int], quota: int | None, procedure: str,
                 index: str = "shapley", institutions: str = "institutional") -> np.ndarray:
    """Capabilities of ``actors`` (Council members by country code, 'com', 'ep') under the rules:
    the members' power index (summing to 1 over the whole Council), and the Commission's and the
    Parliament's weights for the procedure. Members not in ``weights`` (not members on the date)
    get 0."""
    power = council_power(weights, quota, index)
    inst = INSTITUTION_WEIGHTS[institutions].get(procedure, INSTITUTION_WEIGHTS[institutions]["CNS"])
    return np.array([inst[a] if a in inst else power.get(a, 0.0) for a in actors])


__all__ = ["ERAS", "INDICES", "INSTITUTION_WEIGHTS", "capabilities", "council_power", "era"]
