"""Writing a scenario in every format tertius reads, and saying what a format cannot hold.

YAML, JSON, the workbook (``.xlsx``) and the folder of CSV tables hold everything. Decide's CSV
and XDF files, the one-issue actor table and the DEU issue file are other programs' formats:
:func:`lost_fields` names what a scenario has that the format drops, so that ``tertius convert``
can warn before anything is lost silently.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

from tertius.errors import InputError
from tertius.io.deu import ACTOR_NAMES
from tertius.scenario import Scenario

#: Formats that hold every field of a scenario.
LOSSLESS = ("yaml", "json", "xlsx", "tables")
#: What each lossy format keeps, besides actors, issues, positions and saliences.
KEEPS = {
    "decide": {"title", "notes", "anchors", "actor names", "issue names", "capabilities"},
    "xdf": {"title", "anchors", "actor names", "issue names", "capabilities"},
    "actors": {"actor names", "capabilities", "salience scale"},
    "deu": {"id", "title", "period", "status quo", "observed", "procedure", "salience scale"},
}


def _has_notes(q: Any) -> bool:
    return isinstance(q, dict) and bool(q.get("source") or q.get("assumption"))


def lost_fields(s: Scenario, fmt: str) -> list[str]:
    """What ``s`` holds that format ``fmt`` cannot (empty for the lossless formats)."""
    if fmt in LOSSLESS:
        return []
    keeps = KEEPS[fmt]
    d = s.to_data()
    lost = []
    noted = sum(_has_notes(a["capability"]) for a in d["actors"]) + sum(
        _has_notes(st[f]) for st in d["stances"] for f in ("position", "salience")) + sum(
        bool(st.get("source") or st.get("assumption")) for st in d["stances"]) + sum(
        _has_notes(i.get(k)) for i in d["issues"] for k in ("status_quo", "observed"))
    if noted:
        lost.append(f"the sources and assumptions of {noted} numbers")
    checks = [
        ("id", fmt != "deu" and d["id"] != "", "the scenario id"),
        ("title", bool(d.get("title")), "the title"),
        ("period", bool(d.get("period")), "the period"),
        ("summary", bool(d.get("summary")), "the summary"),
        ("sources", bool(d.get("sources")), "the list of sources"),
        ("notes", bool(d.get("notes")), "the notes"),
        ("salience scale", d.get("salience_scale", 1.0) != 1.0, "the salience scale"),
        ("status quo", any("status_quo" in i for i in d["issues"]), "the issues' status quo"),
        ("observed", any("observed" in i for i in d["issues"]), "the observed outcomes"),
        ("anchors", any(i["scale"].get("anchors") for i in d["issues"]), "the scales' labelled anchors"),
        ("issue names", any(i.get("name") for i in d["issues"]), "the issue names"),
        ("actor names", any(a.get("name") for a in d["actors"]), "the actor names"),
        ("capabilities", True, "the capabilities"),
        ("descriptions", any(x.get("description") for x in d["actors"] + d["issues"]), "descriptions"),
        ("groups", any(a.get("group") for a in d["actors"]), "actor groups"),
        ("locations", any(a.get("location") or a.get("distance") for a in d["actors"]), "actors' locations"),
        ("conflict", d.get("conflict") is not None, "the conflict section (sides, third parties, phases)"),
        ("perturbation", d.get("perturbation") is not None, "the perturbation section"),
        ("procedure", d.get("procedure") is not None, "the legislative procedure"),
    ]
    for key, present, words in checks:
        if present and key not in keeps:
            if key == "capabilities" and fmt == "deu":
                lost.append("the capabilities (the DEU file has none; they read back as 1)")
            elif key == "id" and fmt in ("decide", "xdf", "actors"):
                lost.append("the scenario id (it is read back from the file name)")
            elif key not in ("capabilities", "id"):
                lost.append(words)
    if fmt in ("actors", "deu"):
        lost.append("the issues' scales" if fmt == "actors" else "the scales (the DEU file is on 0 to 100)")
    return lost


def write_json(s: Scenario) -> str:
    return json.dumps(s.to_data(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_xdf(s: Scenario) -> str:
    """A Decide project file with one data set (what :func:`tertius.io.decide_csv.read_xdf` reads)."""
    root = ET.Element("project")
    ds = ET.SubElement(root, "dataset", name=s.title or s.id)
    for i in s.issues:
        el = ET.SubElement(ds, "issue", key=i.id, name=i.name or i.id)
        anchors = dict(i.scale.anchors)
        anchors.setdefault(i.scale.min, "")
        anchors.setdefault(i.scale.max, "")
        for v in sorted(anchors):
            p = ET.SubElement(el, "position", value=repr(float(v)))
            p.text = anchors[v]
    by_actor: dict[str, list[Any]] = {}
    for st in s.stances:
        by_actor.setdefault(st.actor, []).append(st)
    for a in s.actors:
        el = ET.SubElement(ds, "actor", key=a.id, name=a.name or a.id, power=repr(a.capability.value))
        for st in by_actor.get(a.id, []):
            ET.SubElement(el, "actorIssueLink", issueRef=st.issue, position=repr(st.position.value),
                          salience=repr(st.salience.value / s.salience_scale), power=repr(a.capability.value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_actor_table(s: Scenario) -> str:
    """The one-issue actor table (Actor, Capability, Position, Salience)."""
    if len(s.issues) != 1:
        raise InputError(f"an actor table holds one issue; this scenario has {len(s.issues)}",
                         fix="convert to .xlsx, a folder of CSV tables, .yaml or .json instead, which hold every issue")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Actor", "Capability", "Position", "Salience"])
    caps = {a.id: a.capability.value for a in s.actors}
    for st in s.stances:
        w.writerow([st.actor, repr(caps[st.actor]), repr(st.position.value), repr(st.salience.value)])
    return out.getvalue()


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
    for i in s.issues:
        stances = {st.actor: st for st in s.stances if st.issue == i.id}
        row = {"isnr": i.id if len(s.issues) > 1 else s.id, "prnr": (p.proposal if p and p.proposal else s.id),
               "prname": s.title or s.id, "type": (p.instrument or "") if p else "", "proc": p.kind if p else "",
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
