"""Read and write Decide's exchange-model input format (``#A``/``#P``/``#M``/``#D`` rows).

The format is described in ``shared/reference/decide-exchange-model.md`` section 4: one record
per row, the first field a tag; ``#A`` actor, ``#P`` issue, ``#M`` a labelled scale point (the
smallest and largest ``#M`` of an issue are its bounds, 0-100 without any), ``#D`` an actor's
position, salience and power on an issue, ``#/`` and ``#O`` comments. Files are separated by
tabs, semicolons or commas, with fields optionally quoted by ``'`` or ``"``.

Unlike Decide itself, this reader refuses what the model cannot use, with the row named:
unknown tags and ids, positions off the scale, saliences outside [0, 1], negative or
inconsistent powers, duplicate rows, unreadable numbers. Decide's XML project files
(``.xdf``) are read by :func:`read_xdf`.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from tertius.errors import InputError, ScenarioProblem
from tertius.io.files import read_bytes, read_text
from tertius.scenario import Actor, Issue, Quantity, Scale, Scenario, Stance

_TAGS = {"#A", "#P", "#M", "#D", "#/", "#O", "#0"}


def _sniff(text: str) -> tuple[str, str]:
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    counts = {d: sum(ln.count(d) for ln in lines) for d in ("\t", ";", ",")}
    # Rows start with the tag, so the separator is what follows the tag on most rows.
    after_tag: dict[str, int] = {}
    for ln in lines:
        s = ln.lstrip("'\"")
        if s.startswith("#") and len(s) > 2:
            rest = s[2:].lstrip("'\"")
            if rest[:1] in counts:
                after_tag[rest[:1]] = after_tag.get(rest[:1], 0) + 1
    delim = max(after_tag, key=lambda d: after_tag[d]) if after_tag else max(counts, key=lambda d: counts[d])
    quote = "'" if sum(ln.startswith("'") for ln in lines) > len(lines) // 2 else '"'
    return delim, quote


def _number(text: str, *, file: str, line: int, what: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise InputError(f"{what} '{text}' is not a number", file=file, line=line,
                         fix="write a decimal number such as 0.5") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"{what} is NaN or infinite", file=file, line=line, fix="write a finite number")
    return value


def read_decide_csv(path: str | Path) -> Scenario:
    path = Path(path)
    file = str(path)
    text = read_text(path, fallback="latin-1")  # Decide's own files are often Latin-1
    delim, quote = _sniff(text)
    actors: dict[str, tuple[str, int]] = {}
    issues: dict[str, tuple[str, int]] = {}
    marks: dict[str, list[tuple[float, str]]] = {}
    rows: list[tuple[int, str, str, float, float, float, str]] = []
    title = ""
    comments: list[str] = []
    for line, row in enumerate(csv.reader(io.StringIO(text), delimiter=delim, quotechar=quote), start=1):
        row = [f.strip() for f in row]
        while row and row[-1] == "":
            row.pop()
        if not row:
            continue
        tag = row[0].strip("'\"")
        if tag not in _TAGS:
            raise InputError(f"unknown row tag '{row[0][:20]}'", file=file, line=line,
                             fix="start each row with #A, #P, #M, #D, #/ or #O")
        fields = row[1:]
        if tag in ("#/", "#O", "#0"):
            if tag != "#/" and not title:
                title = " ".join(fields)
            elif fields:
                comments.append(" ".join(f for f in fields if f))
            continue
        need = {"#A": 1, "#P": 1, "#M": 2, "#D": 5}[tag]
        if len(fields) < need:
            raise InputError(f"{tag} row has {len(fields)} fields, needs {need}", file=file, line=line,
                             fix={"#A": "#A;id;name", "#P": "#P;id;description", "#M": "#M;issue;position;meaning",
                                  "#D": "#D;actor;issue;position;salience;power"}[tag])
        if not fields[0]:
            raise InputError(f"{tag} row has an empty id", file=file, line=line, fix="give every actor and issue an id")
        if tag == "#A":
            if fields[0] in actors:
                raise InputError(f"actor '{fields[0]}' is declared twice (first on line {actors[fields[0]][1]})",
                                 file=file, line=line, fix="remove the second #A row")
            actors[fields[0]] = (fields[1] if len(fields) > 1 and fields[1] else fields[0], line)
        elif tag == "#P":
            if fields[0] in issues:
                raise InputError(f"issue '{fields[0]}' is declared twice (first on line {issues[fields[0]][1]})",
                                 file=file, line=line, fix="remove the second #P row")
            issues[fields[0]] = (fields[1] if len(fields) > 1 and fields[1] else fields[0], line)
        elif tag == "#M":
            if fields[0] not in issues:
                raise InputError(f"#M row names issue '{fields[0]}', which has no #P row", file=file, line=line,
                                 fix="declare the issue with #P before its #M rows")
            value = _number(fields[1], file=file, line=line, what="scale point")
            marks.setdefault(fields[0], []).append((value, fields[2] if len(fields) > 2 else ""))
        else:
            actor, issue = fields[0], fields[1]
            if actor not in actors:
                raise InputError(f"#D row names actor '{actor}', which has no #A row", file=file, line=line,
                                 fix="declare the actor with #A, or correct the id")
            if issue not in issues:
                raise InputError(f"#D row names issue '{issue}', which has no #P row", file=file, line=line,
                                 fix="declare the issue with #P, or correct the id")
            rows.append((
                line, actor, issue,
                _number(fields[2], file=file, line=line, what="position"),
                _number(fields[3], file=file, line=line, what="salience"),
                _number(fields[4], file=file, line=line, what="power"),
                " ".join(fields[5:]),
            ))
    if not actors:
        raise InputError("no #A (actor) rows found", file=file, line=1,
                         fix="is this a Decide input file? rows look like '#A;id;name'")

    scales: dict[str, Scale] = {}
    for issue in issues:
        pts = marks.get(issue, [])
        if pts:
            lo, hi = min(v for v, _ in pts), max(v for v, _ in pts)
            if hi == lo:
                lo, hi = min(lo, 0.0), max(hi, 100.0)
            scales[issue] = Scale(min=lo, max=hi, anchors={v: m for v, m in pts if m})
        else:
            scales[issue] = Scale(min=0, max=100)

    power: dict[str, tuple[float, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    stances: list[Stance] = []
    for line, actor, issue, pos, sal, pw, comment in rows:
        if (actor, issue) in seen:
            raise InputError(f"second #D row for '{actor}' on '{issue}' (first on line {seen[actor, issue]})",
                             file=file, line=line, fix="keep one #D row per actor and issue")
        seen[actor, issue] = line
        sc = scales[issue]
        if not sc.min <= pos <= sc.max:
            raise InputError(f"position {pos:g} of '{actor}' on '{issue}' is outside the issue's scale "
                             f"[{sc.min:g}, {sc.max:g}]", file=file, line=line,
                             fix="correct the position, or add #M rows that widen the scale")
        if not 0 <= sal <= 1:
            fix = "Decide saliences lie in [0, 1]: divide 0-100 saliences by 100" if sal <= 100 else \
                "use a salience between 0 and 1"
            raise InputError(f"salience {sal:g} of '{actor}' on '{issue}' is outside [0, 1]",
                             file=file, line=line, fix=fix)
        if pw < 0:
            raise InputError(f"power {pw:g} of '{actor}' is negative", file=file, line=line,
                             fix="powers are non-negative")
        if actor in power and abs(power[actor][0] - pw) > 1e-12 * max(1.0, abs(pw)):
            raise InputError(f"power {pw:g} of '{actor}' differs from {power[actor][0]:g} on line {power[actor][1]}",
                             file=file, line=line, fix="tertius uses one power (capability) per actor; make them equal")
        power.setdefault(actor, (pw, line))
        stances.append(Stance(actor=actor, issue=issue, position=Quantity(value=pos),
                              salience=Quantity(value=sal), source=comment or None))

    used_issues = [i for i in issues if any(st.issue == i for st in stances)]
    notes = list(comments)
    dropped = [i for i in issues if i not in used_issues]
    if dropped:
        notes.append(f"Issues without any #D row in {path.name} were left out: {', '.join(dropped)}.")
    silent = [a for a in actors if a not in power]
    if silent:
        notes.append(f"Actors without any #D row (capability set to 0): {', '.join(silent)}.")
    try:
        return Scenario(
            id=path.stem,
            title=title or path.stem,
            sources={"input": f"Decide exchange-model input file {path.name}"},
            notes=notes,
            actors=[Actor(id=a, name=name, capability=Quantity(value=power.get(a, (0.0, 0))[0], source="input"))
                    for a, (name, _) in actors.items()],
            issues=[Issue(id=i, name=issues[i][0], scale=scales[i]) for i in used_issues],
            stances=stances,
        )
    except ScenarioProblem as p:
        raise InputError(p.message, file=file, path=p.path, fix=p.fix) from None


def write_decide_csv(scenario: Scenario) -> str:
    """Render a scenario in Decide's ``;``-separated format (sources and assumptions are dropped)."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["#O", scenario.title or scenario.id])
    for note in scenario.notes:
        w.writerow(["#/", note])
    arr = scenario.arrays
    for a in scenario.actors:
        w.writerow(["#A", a.id, a.name or a.id])
    for i in scenario.issues:
        w.writerow(["#P", i.id, i.name or i.id])
        anchors = dict(i.scale.anchors)
        anchors.setdefault(i.scale.min, "")
        anchors.setdefault(i.scale.max, "")
        for v in sorted(anchors):
            w.writerow(["#M", i.id, f"{v:g}", anchors[v]])
    for st in scenario.stances:
        cap = arr.capability[arr.actor_ids.index(st.actor)]
        w.writerow(["#D", st.actor, st.issue, repr(st.position.value),
                    repr(st.salience.value / scenario.salience_scale), repr(float(cap))])
    return out.getvalue()


def read_xdf(path: str | Path, dataset: str | None = None) -> Scenario:
    """Read one data set from an XML project file of the original Decide program (``.xdf``).

    The file holds several data sets; the first is read unless ``dataset`` names another.
    Each ``<issue>`` lists its ``<position>`` scale points; each ``<actor>`` holds
    ``<actorIssueLink issueRef position salience power>`` elements.
    """
    path = Path(path)
    file = str(path)
    try:
        root = ET.fromstring(read_bytes(path))
    except ET.ParseError as e:
        raise InputError(f"not a readable XML file ({e})", file=file, fix="check the file") from None
    sets = root.findall("dataset")
    if not sets:
        raise InputError("no <dataset> element", file=file, fix="is this a Decide .xdf project file?")
    names = [d.get("name", "") for d in sets]
    if dataset is None:
        ds = sets[0]
    elif dataset in names:
        ds = sets[names.index(dataset)]
    else:
        raise InputError(f"no data set named '{dataset}'", file=file, fix=f"use one of: {'; '.join(names)}")
    def num(el: ET.Element, attr: str, what: str, default: str | None = None) -> float:
        text = el.get(attr, default)
        try:
            value = float(text) if text is not None else float("nan")
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or (attr in ("power", "salience") and value < 0):
            raise InputError(f"{what}: {attr}={text!r} is not a usable number", file=file,
                             fix=f"give <{el.tag}> a finite {attr}" + (", 0 or more" if attr != "position" else ""))
        return value

    def key(el: ET.Element) -> str:
        k = (el.get("key") or "").strip()
        if not k:
            raise InputError(f"an <{el.tag}> without a key", file=file, fix=f"give every <{el.tag}> a key attribute")
        return k

    issues = []
    for el in ds.findall("issue"):
        pts = [(num(p, "value", f"issue '{key(el)}'"), (p.text or p.get("key") or "").strip())
               for p in el.iter("position")]
        lo = min((v for v, _ in pts), default=0.0)
        hi = max((v for v, _ in pts), default=100.0)
        if hi <= lo:
            lo, hi = 0.0, 100.0
        issues.append(Issue(id=key(el), name=el.get("name") or key(el),
                            scale=Scale(min=lo, max=hi, anchors={v: t for v, t in pts})))
    actors, stances = [], []
    for el in ds.findall("actor"):
        aid = key(el)
        links = el.findall("actorIssueLink")
        powers = {num(ln, "power", f"actor '{aid}'", "0") for ln in links}
        cap = powers.pop() if len(powers) == 1 else num(el, "power", f"actor '{aid}'", "0")
        actors.append(Actor(id=aid, name=el.get("name") or aid, capability=Quantity(value=cap, source="input")))
        for ln in links:
            ref = (ln.get("issueRef") or "").strip()
            if not ref:
                raise InputError(f"actor '{aid}': a link without an issueRef", file=file,
                                 fix="give every <actorIssueLink> an issueRef")
            stances.append(Stance(actor=aid, issue=ref,
                                  position=Quantity(value=num(ln, "position", f"actor '{aid}', issue '{ref}'")),
                                  salience=Quantity(value=num(ln, "salience", f"actor '{aid}', issue '{ref}'"))))
    covered = {st.issue for st in stances}
    dropped = [i.id for i in issues if i.id not in covered]
    try:
        return Scenario(
            id=f"{path.stem}",
            title=ds.get("name", path.stem),
            sources={"input": f"Decide project file {path.name}, data set '{ds.get('name', '')}'"},
            notes=[f"Issues without data left out: {', '.join(dropped)}."] if dropped else [],
            actors=actors,
            issues=[i for i in issues if i.id in covered],
            stances=stances,
        )
    except ScenarioProblem as p:
        raise InputError(p.message, file=file, path=p.path, fix=p.fix) from None


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
