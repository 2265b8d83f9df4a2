"""Writing a scenario in every format tertius reads, and saying what a format cannot hold.

YAML, JSON, the workbook (``.xlsx``) and the folder of CSV tables hold everything. Decide's CSV
and XDF files, the one-issue actor table and the DEU issue file are other programs' formats:
:func:`lost_fields` names what a scenario has that the format drops, so that ``tertius convert``
can warn before anything is lost silently.
"""

from __future__ import annotations

from typing import Any

from tertius.io.formats import FORMATS
from tertius.scenario import Scenario


def _has_notes(q: Any) -> bool:
    return isinstance(q, dict) and bool(q.get("source") or q.get("assumption"))


def lost_fields(s: Scenario, fmt: str) -> list[str]:
    """What ``s`` holds that format ``fmt`` cannot (empty for the lossless formats)."""
    keeps = FORMATS[fmt].keeps
    if keeps is None:
        return []
    d = s.to_data()
    lost = []
    noted = sum(_has_notes(a["capability"]) for a in d["actors"]) + sum(
        _has_notes(st[f]) for st in d["stances"] for f in ("position", "salience")) + sum(
        bool(st.get("source") or st.get("assumption")) for st in d["stances"]) + sum(
        _has_notes(i.get(k)) for i in d["issues"] for k in ("status_quo", "observed"))
    if noted:
        lost.append(f"the sources and assumptions of {noted} numbers")
    checks = [
        ("id", d["id"] != "", "the scenario id (it is read back from the file name)"),
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
        ("capabilities", True, "the capabilities (the DEU file has none; they read back as 1)"),  # only DEU drops them
        ("descriptions", any(x.get("description") for x in d["actors"] + d["issues"]), "descriptions"),
        ("groups", any(a.get("group") for a in d["actors"]), "actor groups"),
        ("locations", any(a.get("location") or a.get("distance") for a in d["actors"]), "actors' locations"),
        ("conflict", d.get("conflict") is not None, "the conflict section (sides, third parties, phases)"),
        ("perturbation", d.get("perturbation") is not None, "the perturbation section"),
        ("procedure", d.get("procedure") is not None, "the legislative procedure"),
    ]
    for key, present, words in checks:
        if present and key not in keeps:
            lost.append(words)
    return lost + list(FORMATS[fmt].drops)
