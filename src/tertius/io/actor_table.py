"""Read a one-issue actor table: one row per actor with capability, position and salience.

This is the layout of the expected-utility-model inputs in ``shared/data/bdm/`` (Bueno de
Mesquita 1994; Scholz et al. 2011 and the open replications): a header row naming the columns
(``Actor``/``Stakeholder``/``name``, ``Capability``/``Resources``/``capabilities``/``Clout``,
``Position``, ``Salience``, in any order and case; other columns are ignored), then one row per
actor. Columns are separated by commas, or by semicolons (the spreadsheet export of locales
with a decimal comma, whose ``0,5`` is then read as 0.5). Saliences above 1 are read as a 0-100
scale. The table has no scale of its own: the range of the positions is used unless ``scale`` is
given.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from tertius.errors import InputError, ScenarioProblem
from tertius.io.files import read_text
from tertius.scenario import Actor, Issue, Quantity, Scale, Scenario, Stance

NAME = ("actor", "stakeholder", "name")
CAPABILITY = ("capability", "capabilities", "resources", "clout", "power")
POSITION = ("position",)
SALIENCE = ("salience",)


def separator(header: str) -> str:
    """The column separator of a table from its header line: a semicolon when the line has
    semicolons and no commas, else a comma."""
    return ";" if ";" in header and "," not in header else ","


def looks_like_actor_table(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8-sig") as f:
            for line in f:
                if line.strip():
                    head = [h.strip().lower() for h in line.split(separator(line))]
                    return any(h in POSITION for h in head) and any(h in SALIENCE for h in head)
    except (OSError, UnicodeDecodeError):
        return False
    return False


def _column(header: list[str], names: tuple[str, ...], file: str, what: str) -> int:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise InputError(f"no {what} column (looked for {', '.join(names)})", file=file, line=1,
                     fix="name the columns Actor, Capability, Position, Salience")


def read_actor_table(path: str | Path, *, scale: tuple[float, float] | None = None,
                     issue_id: str = "issue") -> Scenario:
    path = Path(path)
    file = str(path)
    text = read_text(path)
    lines = text.splitlines()
    sep = separator(next((x for x in lines if x.strip()), ""))
    rows = list(csv.reader(lines, delimiter=sep))
    if not rows:
        raise InputError("the file is empty", file=file, fix="add a header and one row per actor")
    header = rows[0]
    cols = {k: _column(header, names, file, k) for k, names in
            (("name", NAME), ("capability", CAPABILITY), ("position", POSITION), ("salience", SALIENCE))}
    records = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(f.strip() for f in row):
            continue
        values = {}
        for key in ("capability", "position", "salience"):
            cell = row[cols[key]].strip() if cols[key] < len(row) else ""
            try:
                values[key] = float(cell.replace(",", ".") if sep == ";" else cell)
            except ValueError:
                raise InputError(f"{key} '{cell}' is not a number", file=file, line=line,
                                 fix=f"write the {key} as a decimal number") from None
            if not math.isfinite(values[key]):
                raise InputError(f"{key} is NaN or infinite", file=file, line=line, fix="write a finite number")
        name = row[cols["name"]].strip() if cols["name"] < len(row) else ""
        if not name:
            raise InputError("an actor without a name", file=file, line=line, fix="name every actor")
        records.append((line, name, values))
    if not records:
        raise InputError("no actor rows", file=file, line=2, fix="add one row per actor")
    # Tables of stakeholders sometimes repeat a label for distinct actors: number the repeats.
    seen: dict[str, int] = {}
    renamed = []
    for k, (line, name, values) in enumerate(records):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            records[k] = (line, f"{name} ({seen[name]})", values)
            renamed.append(f"row {line}: '{name}' -> '{name} ({seen[name]})'")
    percent = any(v["salience"] > 1 for _, _, v in records)
    positions = [v["position"] for _, _, v in records]
    lo, hi = scale if scale is not None else (min(positions), max(positions))
    if hi <= lo:
        hi = lo + 1.0
    source = f"{path.name}"
    try:
        return Scenario(
            id=path.stem.replace("_", "-").lower(),
            title=path.stem,
            sources={"input": f"actor table {path.name}"},
            salience_scale=100 if percent else 1,
            notes=([] if scale is not None else
                   [f"The table gives no scale; the range of the positions, [{lo:g}, {hi:g}], is used."])
            + ([f"Repeated actor names were numbered: {'; '.join(renamed)}."] if renamed else []),
            actors=[Actor(id=name, name=name, capability=Quantity(value=v["capability"], source=f"{source} row {line}"))
                    for line, name, v in records],
            issues=[Issue(id=issue_id, name=issue_id, scale=Scale(min=lo, max=hi))],
            stances=[Stance(actor=name, issue=issue_id,
                            position=Quantity(value=v["position"], source=f"{source} row {line}"),
                            salience=Quantity(value=v["salience"], source=f"{source} row {line}"))
                     for line, name, v in records],
        )
    except ScenarioProblem as p:
        index = p.path[1] if len(p.path) > 1 and isinstance(p.path[1], int) else None
        at = records[index][0] if index is not None and index < len(records) else None
        raise InputError(p.message, file=file, line=at, fix=p.fix) from None


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
