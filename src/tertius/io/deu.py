"""Read the DEU issue file (Decision-making in the European Union, DEU I/II/III).

The file is tab-separated with one issue per row: proposal and issue ids, procedure, then
positions ``p<actor>`` and saliences ``s<actor>`` on a 0-100 scale for the Commission
(``com``), the Parliament (``ep``) and the member states, the reference point ``rp`` (status
quo) and the decision outcome ``out``. See ``shared/data/deu/SOURCE.md``.

Each row becomes one scenario. The file carries no capabilities, so every actor gets
capability 1: the compromise model then is the salience-weighted mean, the DEU baseline of
Thomson et al. (2006). A position without a salience is read with salience 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Literal

from tertius.errors import InputError, ScenarioProblem
from tertius.institutions import era
from tertius.io.files import read_text
from tertius.scenario import Actor, Issue, Procedure, Quantity, Scale, Scenario, Stance

ACTOR_NAMES = {
    "com": "European Commission", "ep": "European Parliament", "at": "Austria", "be": "Belgium",
    "bu": "Bulgaria", "cr": "Croatia", "cy": "Cyprus", "cz": "Czech Republic", "dk": "Denmark",
    "ee": "Estonia", "fi": "Finland", "fr": "France", "de": "Germany", "el": "Greece", "hu": "Hungary",
    "ie": "Ireland", "it": "Italy", "lv": "Latvia", "lt": "Lithuania", "lu": "Luxembourg", "mt": "Malta",
    "nl": "Netherlands", "pl": "Poland", "pt": "Portugal", "ro": "Romania", "si": "Slovenia",
    "sk": "Slovakia", "es": "Spain", "se": "Sweden", "uk": "United Kingdom",
}
_REQUIRED = ("isnr", "prnr", "rp", "out")
SOURCES = {
    "deu": "Thomson, Stokman, Achen & Koenig (eds.) 2006, The European Union Decides; Thomson et al. 2012 "
           "(DEU II); Arregui & Perarnaud 2022 (DEU III). Merged issue file via github.com/blksv/predictioneers_game.",
}


def _num(text: str | None, *, file: str, line: int, column: str) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"column '{column}' holds '{text}', not a number", file=file, line=line,
                         fix="leave it empty or write a number from 0 to 100") from None
    if not math.isfinite(v):
        raise InputError(f"column '{column}' is NaN or infinite", file=file, line=line, fix="write a finite number")
    return v


def _date(text: str | None) -> dt.date | None:
    """The DEU file's dd-mm-yy dates (two-digit years: 50-99 are 19xx)."""
    try:
        d, m, y = (int(x) for x in (text or "").strip().split("-"))
        return dt.date(1900 + y if y >= 50 else 2000 + y, m, d)
    except ValueError:
        return None


def procedure_of(row: dict[str, str], present: set[str]) -> Procedure:
    """The procedure of a DEU row: proposal, procedure, voting rule, and the Council's weights in
    force on the proposal's introduction date (:mod:`tertius.institutions`)."""
    date = _date(row.get("intro"))
    weights, quota, source = era(date or dt.date(1995, 1, 1))
    kind = (row.get("proc") or "").strip().upper()
    rule: Literal["qmv", "unanimity"] = "unanimity" if (row.get("counvte") or "").strip().lower().startswith("unan") \
        else "qmv"
    return Procedure(kind=kind, rule=rule, instrument=(row.get("type") or "").strip() or None,
                     proposal=(row.get("prnr") or "").strip() or None, date=date.isoformat() if date else None,
                     proposer="com" if "com" in present else None,
                     chamber="ep" if kind == "COD" and "ep" in present else None,
                     council=dict(weights), quota=quota if rule == "qmv" else None,
                     source=f"Council weights: {source}" + ("" if date else " (introduction date unreadable)"))


def read_deu(path: str | Path) -> list[Scenario]:
    path = Path(path)
    file = str(path)
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"')
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=file, line=1,
                         fix="is this the tab-separated DEU issue file?")
    actors = [c[1:] for c in header if c.startswith("p") and c[1:] in ACTOR_NAMES and f"s{c[1:]}" in header]
    scenarios = []
    for line, row in enumerate(reader, start=2):
        stances = []
        for a in actors:
            pos = _num(row.get(f"p{a}"), file=file, line=line, column=f"p{a}")
            if pos is None:
                continue
            sal = _num(row.get(f"s{a}"), file=file, line=line, column=f"s{a}")
            stances.append(Stance(
                actor=a, issue="issue", position=Quantity(value=pos, source="deu"),
                salience=Quantity(value=0.0, assumption="salience missing in the DEU file; read as 0")
                if sal is None else Quantity(value=sal, source="deu"),
            ))
        present = {st.actor for st in stances}
        rp = _num(row.get("rp"), file=file, line=line, column="rp")
        out = _num(row.get("out"), file=file, line=line, column="out")
        isnr = (row["isnr"] or "").strip()
        if not isnr:
            raise InputError("empty issue id 'isnr'", file=file, line=line, fix="give every row its issue id")
        try:
            scenarios.append(Scenario(
                id=isnr,
                title=f"{row.get('prname', '')} ({row.get('prnr', '')}), issue {row.get('isnrnmc', '')}".strip(),
                period=row.get("intro") or None,
                summary=f"{row.get('type', '')} {row.get('proc', '')}, Council vote {row.get('counvte', '')}",
                sources=SOURCES,
                salience_scale=100,
                actors=[Actor(id=a, name=ACTOR_NAMES[a], capability=Quantity(
                    value=1.0, assumption="the DEU file has no capabilities; all actors weigh the same"))
                    for a in actors if a in present],
                issues=[Issue(id="issue", name=f"{row.get('prname', '')} {isnr}", scale=Scale(min=0, max=100),
                              status_quo=None if rp is None else Quantity(value=rp, source="deu"),
                              observed=None if out is None else Quantity(value=out, source="deu"))],
                stances=stances,
                procedure=procedure_of(row, present),
            ))
        except ScenarioProblem as p:
            raise InputError(f"issue {isnr}: {p.message}", file=file, line=line, fix=p.fix) from None
    if not scenarios:
        raise InputError("the file holds no issue rows", file=file, line=2, fix="add issue rows below the header")
    return scenarios


def write_deu(s: Scenario) -> str:
    """The DEU issue-file layout: one row per issue, positions and saliences on 0 to 100 for the
    EU actors (``com``, ``ep`` and the member states' codes)."""
    foreign = [a.id for a in s.actors if a.id not in ACTOR_NAMES]
    if foreign:
        raise InputError(f"the DEU file holds only the EU actors' codes; '{foreign[0]}' is not one",
                         fix="convert to .xlsx, a folder of CSV tables, .yaml or .json instead")
    for i in s.issues:
        if (i.scale.min, i.scale.max) != (0, 100):
            raise InputError(f"the DEU file is on a 0-100 scale; issue '{i.id}' runs {i.scale.min:g}-{i.scale.max:g}",
                             fix="rescale the issue to 0-100, or convert to .xlsx, .yaml or .json")
    codes = list(ACTOR_NAMES)
    header = ["isnr", "prnr", "prname", "type", "proc", "counvte", "intro",
              *[f"p{c}" for c in codes], *[f"s{c}" for c in codes], "rp", "out"]
    out = io.StringIO()
    w = csv.writer(out, delimiter="\t", lineterminator="\n")
    w.writerow(header)
    p = s.procedure
    scale = 100 / s.salience_scale
    prnr = p.proposal if p and p.proposal else s.id
    # a title read from a DEU file is "prname (prnr), issue N": write back the prname alone
    prname = (s.title or s.id).removesuffix(f" ({prnr}), issue").split(f" ({prnr}), issue ")[0]
    for i in s.issues:
        stances = {st.actor: st for st in s.stances if st.issue == i.id}
        row = {"isnr": i.id if len(s.issues) > 1 else s.id, "prnr": prnr,
               "prname": prname, "type": (p.instrument or "") if p else "", "proc": p.kind if p else "",
               "counvte": ("Unanimity" if p.rule == "unanimity" else "QMV") if p else "",
               "intro": s.period or "",
               "rp": "" if i.status_quo is None else repr(i.status_quo.value),
               "out": "" if i.observed is None else repr(i.observed.value)}
        for c in codes:
            st = stances.get(c)
            row[f"p{c}"] = "" if st is None else repr(st.position.value)
            row[f"s{c}"] = "" if st is None else repr(st.salience.value * scale)
        w.writerow([row[h] for h in header])
    return out.getvalue()
