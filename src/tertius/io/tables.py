"""Scenarios as spreadsheets: an Excel workbook (``.xlsx``) or a folder of CSV files, one sheet or
file per table. The layout is the same in both:

``scenario``
    two columns, key and value: ``id``, ``title``, ``period``, ``summary``, ``salience_scale``.
``actors``
    one row per actor: ``id``, ``name``, ``capability``, ``capability source``,
    ``capability assumption``, ``group``, ``description``.
``issues``
    one row per issue: ``id``, ``name``, ``min``, ``max``, ``status quo``, ``status quo source``,
    ``status quo assumption``, ``observed``, ``observed source``, ``observed assumption``,
    ``anchors`` (``0=none; 100=all``), ``description``.
``stances``
    actor × issue blocks. A block starts with a row whose first cell names it (``position``,
    ``salience``, ``position source``, ``salience source``, ``source``) and whose other cells are
    issue ids; each following row is an actor id and its cells, until a blank row or the next
    block. A blank position cell means the actor takes no stance on that issue. In the source
    blocks, text that starts with ``assumption:`` is an assumption, anything else a source.
``other`` (optional)
    a YAML document in the first column, one line per row, holding every section the tables do
    not (a conflict, a perturbation, a procedure, notes, sources, actors' locations), so that a
    scenario survives a round trip unchanged.

Only ``actors``, ``issues`` and ``stances`` are required. Column names are matched without
regard to case, spaces or underscores. An error names the file, the sheet, the row and the
column, and the fix.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import yaml

from tertius.errors import InputError, format_path, require
from tertius.io.files import MAX_INPUT_BYTES, read_bytes, read_text
from tertius.io.yaml_io import scenario_from_data
from tertius.scenario import Scenario

SHEETS = ("scenario", "actors", "issues", "stances", "other")
ACTOR_COLUMNS = ("id", "name", "capability", "capability source", "capability assumption", "group", "description")
ISSUE_COLUMNS = ("id", "name", "min", "max", "status quo", "status quo source", "status quo assumption", "observed",
                 "observed source", "observed assumption", "anchors", "description")
BLOCKS = ("position", "salience", "position source", "salience source", "source")
SCENARIO_KEYS = ("id", "title", "period", "summary", "salience_scale")
#: Cells in one workbook or folder, beyond which the file is refused (a bound on memory).
MAX_CELLS = 2_000_000

Cell = str | float | int | None
Sheet = list[list[Cell]]


def _key(text: Any) -> str:
    return " ".join(str(text or "").strip().lower().replace("_", " ").split())


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


class _Where:
    """Where a value came from, for errors: file, sheet, row (1-based) and column name."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.paths: dict[tuple, tuple[str, int, str]] = {}

    def error(self, sheet: str, row: int, column: str, message: str, fix: str) -> InputError:
        return InputError(f"{message} (sheet '{sheet}', column '{column}')", file=self.file, line=row, fix=fix)

    def number(self, cell: Cell, sheet: str, row: int, column: str) -> float:
        if isinstance(cell, bool):
            raise self.error(sheet, row, column, f"'{cell}' is not a number", "write a number")
        if isinstance(cell, (int, float)):
            value = float(cell)
        else:
            try:
                value = float(_text(cell).replace("\u2212", "-"))
            except ValueError:
                raise self.error(sheet, row, column, f"'{_text(cell)[:40]}' is not a number",
                                 "write a number, with a point for decimals") from None
        if not math.isfinite(value):
            raise self.error(sheet, row, column, "the value is NaN or infinite", "write a finite number")
        return value


def _quantity(where: _Where, sheet: str, row: int, column: str, value: Cell, source: Cell, assumption: Cell) -> Any:
    number = where.number(value, sheet, row, column)
    out: dict[str, Any] = {"value": number}
    if not _blank(source):
        out["source"] = _text(source)
    if not _blank(assumption):
        out["assumption"] = _text(assumption)
    return out if len(out) > 1 else number


def _records(sheet: Sheet, name: str, where: _Where, known: tuple[str, ...]) -> list[tuple[int, dict[str, Cell]]]:
    rows = [(k + 1, r) for k, r in enumerate(sheet) if any(not _blank(c) for c in r)]
    if not rows:
        raise InputError(f"the '{name}' sheet is empty", file=where.file, fix=f"add a header row: {', '.join(known[:4])}, ...")
    header_row, header = rows[0]
    keys = [_key(h) for h in header]
    unknown = [h for h, k in zip(header, keys, strict=True) if k and k not in known]
    if unknown:
        import difflib

        guess = difflib.get_close_matches(_key(unknown[0]), known, n=1)
        raise InputError(f"unknown column '{_text(unknown[0])}' in the '{name}' sheet", file=where.file, line=header_row,
                         fix=(f"did you mean '{guess[0]}'? " if guess else "") + f"use: {', '.join(known)}")
    if "id" not in keys:
        raise InputError(f"the '{name}' sheet has no 'id' column", file=where.file, line=header_row,
                         fix=f"name the first column 'id'; the columns are: {', '.join(known)}")
    out = []
    for number, row in rows[1:]:
        record = {k: (row[j] if j < len(row) else None) for j, k in enumerate(keys) if k}
        out.append((number, record))
    return out


def scenario_from_tables(sheets: dict[str, Sheet], file: str) -> Scenario:
    """Build and validate a scenario from its tables (see the module docstring)."""
    where = _Where(file)
    named = {_key(k): v for k, v in sheets.items()}
    for required in ("actors", "issues", "stances"):
        if required not in named:
            raise InputError(f"no '{required}' sheet", file=file,
                             fix=f"add sheets (or files) named {', '.join(SHEETS[1:4])}; see 'docs/spreadsheets.md'")
    data: dict[str, Any] = {}
    for k, row in enumerate(named.get("scenario", []), start=1):
        if k == 1 and row and _key(row[0]) == "key":
            continue  # the header row
        if len(row) >= 2 and not _blank(row[0]):
            key = _key(row[0]).replace(" ", "_")
            if key not in SCENARIO_KEYS:
                raise where.error("scenario", k, "key", f"unknown key '{_text(row[0])}'", f"use: {', '.join(SCENARIO_KEYS)}")
            data[key] = where.number(row[1], "scenario", k, "value") if key == "salience_scale" else _text(row[1])
    data.setdefault("id", Path(file).stem or "scenario")
    actors = []
    for k, (line, r) in enumerate(_records(named["actors"], "actors", where, ACTOR_COLUMNS)):
        if _blank(r.get("capability")):
            raise where.error("actors", line, "capability", "the capability is missing", "give every actor a capability")
        actor: dict[str, Any] = {"id": _text(r.get("id")), "capability": _quantity(
            where, "actors", line, "capability", r.get("capability"), r.get("capability source"), r.get("capability assumption"))}
        for key in ("name", "group", "description"):
            if not _blank(r.get(key)):
                actor[key] = _text(r.get(key))
        where.paths[("actors", k)] = ("actors", line, "id")
        actors.append(actor)
    issues = []
    for k, (line, r) in enumerate(_records(named["issues"], "issues", where, ISSUE_COLUMNS)):
        issue: dict[str, Any] = {"id": _text(r.get("id"))}
        if not _blank(r.get("name")):
            issue["name"] = _text(r.get("name"))
        if not _blank(r.get("description")):
            issue["description"] = _text(r.get("description"))
        scale: dict[str, Any] = {}
        for key in ("min", "max"):
            if not _blank(r.get(key)):
                scale[key] = where.number(r.get(key), "issues", line, key)
        if not _blank(r.get("anchors")):
            anchors = {}
            for part in _text(r.get("anchors")).split(";"):
                point, sep, label = part.partition("=")
                if not part.strip():
                    continue
                if not sep:
                    raise where.error("issues", line, "anchors", f"'{part.strip()[:30]}' has no '='",
                                      "write anchors as 0=none; 100=all")
                anchors[where.number(point, "issues", line, "anchors")] = label.strip()
            scale["anchors"] = anchors
        if scale:
            issue["scale"] = scale
        for key, field in (("status quo", "status_quo"), ("observed", "observed")):
            if not _blank(r.get(key)):
                issue[field] = _quantity(where, "issues", line, key, r.get(key), r.get(f"{key} source"),
                                         r.get(f"{key} assumption"))
        where.paths[("issues", k)] = ("issues", line, "id")
        issues.append(issue)
    data["actors"], data["issues"] = actors, issues
    data["stances"] = _stances(named["stances"], where)
    if "other" in named:
        text = "\n".join(str(r[0]).rstrip() if r and r[0] is not None else "" for r in named["other"])
        try:
            extra = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise InputError(f"the 'other' sheet is not valid YAML: {getattr(e, 'problem', None) or e}", file=file,
                             line=None if mark is None else mark.line + 1, fix="check its indentation") from None
        if not isinstance(extra, dict):
            raise InputError("the 'other' sheet is not a YAML mapping", file=file, fix="write 'conflict:', 'notes:' ...")
        _merge_details(data, extra, file)
    try:
        return scenario_from_data(data, file=file)
    except InputError as e:
        for n in range(len(e.path), 0, -1):
            hit = where.paths.get(tuple(e.path[:n]))
            if hit is not None:
                sheet, e.line, _ = hit
                e.message = f"{e.message} (sheet '{sheet}', at {format_path(e.path)})"
                break
        raise


def _merge_details(data: dict[str, Any], extra: dict[str, Any], file: str) -> None:
    """Fold the 'other' sheet in: top-level sections, and per-actor or per-issue details."""
    for kind in ("actor_details", "issue_details"):
        details = extra.pop(kind, None) or {}
        items = {x["id"]: x for x in data["actors" if kind == "actor_details" else "issues"]}
        if not isinstance(details, dict):
            raise InputError(f"'{kind}' in the 'other' sheet is not a mapping", file=file, fix="map ids to fields")
        for ident, fields in details.items():
            if str(ident) not in items or not isinstance(fields, dict):
                raise InputError(f"'{kind}' names '{ident}', which is not in the tables", file=file,
                                 fix="use the ids of the actors and issues sheets")
            for key, value in fields.items():
                if kind == "issue_details" and key == "anchors":
                    items[str(ident)].setdefault("scale", {})["anchors"] = value
                else:
                    items[str(ident)][key] = value
    for key, value in extra.items():
        if key in ("actors", "issues", "stances"):
            raise InputError(f"the 'other' sheet repeats '{key}'", file=file, fix=f"keep {key} in their own sheet")
        data[key] = value


def _stances(sheet: Sheet, where: _Where) -> list[dict[str, Any]]:
    blocks: dict[str, dict[tuple[str, str], tuple[Cell, int, str]]] = {}
    current: str | None = None
    columns: list[str] = []
    for k, row in enumerate(sheet, start=1):
        if not row or all(_blank(c) for c in row):
            current = None
            continue
        head = _key(row[0])
        if head in BLOCKS:
            current = head
            columns = [_text(c) for c in row[1:]]
            if current in blocks:
                raise where.error("stances", k, _text(row[0]), f"a second '{head}' block", "keep one block of each kind")
            blocks[current] = {}
            continue
        if current is None:
            raise InputError(f"row {k} of the 'stances' sheet is outside a block", file=where.file, line=k,
                             fix="start each block with a row: position (or salience, ...), then the issue ids")
        actor = _text(row[0])
        for j, cell in enumerate(row[1:]):
            if j >= len(columns) or _blank(cell):
                continue
            if not columns[j]:
                raise where.error("stances", k, f"#{j + 2}", "a value under a column without an issue id",
                                  "put the issue id in the block's first row")
            blocks[current][(actor, columns[j])] = (cell, k, columns[j])
    if "position" not in blocks or "salience" not in blocks:
        raise InputError("the 'stances' sheet needs a 'position' block and a 'salience' block", file=where.file,
                         fix="start a block with a row whose first cell is 'position', then one with 'salience'")
    out: list[dict[str, Any]] = []
    for (actor, issue), (cell, line, column) in blocks["position"].items():
        if (actor, issue) not in blocks["salience"]:
            raise where.error("stances", line, column, f"{actor} has a position on {issue} but no salience",
                              "fill the cell in the salience block, or clear the position")
        sal, srow, scol = blocks["salience"][(actor, issue)]
        stance: dict[str, Any] = {"actor": actor, "issue": issue}
        for field, value, r, c in (("position", cell, line, column), ("salience", sal, srow, scol)):
            note = blocks.get(f"{field} source", {}).get((actor, issue))
            src, asm = _source_text(note[0] if note else None)
            stance[field] = _quantity(where, "stances", r, f"{field}, {c}", value, src, asm)
        note = blocks.get("source", {}).get((actor, issue))
        src, asm = _source_text(note[0] if note else None)
        if src:
            stance["source"] = src
        if asm:
            stance["assumption"] = asm
        where.paths[("stances", len(out))] = ("stances", line, column)
        out.append(stance)
    for (actor, issue), (_, line, column) in blocks["salience"].items():
        if (actor, issue) not in blocks["position"]:
            raise where.error("stances", line, column, f"{actor} has a salience on {issue} but no position",
                              "fill the cell in the position block, or clear the salience")
    return out


def _source_text(cell: Cell) -> tuple[str | None, str | None]:
    text = _text(cell)
    if not text:
        return None, None
    if text.lower().startswith("assumption:"):
        return None, text.split(":", 1)[1].strip()
    return text, None


# ------------------------------------------------------------------ writing
def _num_cell(q: Any) -> Cell:
    return q["value"] if isinstance(q, dict) else q


def _meta(q: Any, key: str) -> Cell:
    return q.get(key) if isinstance(q, dict) else None


def tables_of(scenario: Scenario) -> dict[str, Sheet]:
    """The scenario as tables; nothing is lost (what the tables cannot hold goes to 'other')."""
    data = scenario.to_data()
    sheets: dict[str, Sheet] = {"scenario": [["key", "value"]]}
    for key in SCENARIO_KEYS:
        if data.get(key) is not None and (key != "salience_scale" or data[key] != 1.0):
            sheets["scenario"].append([key, data[key]])
    sheets["actors"] = [list(ACTOR_COLUMNS)]
    actor_details: dict[str, Any] = {}
    for a in data["actors"]:
        cap = a["capability"]
        sheets["actors"].append([a["id"], a.get("name", ""), _num_cell(cap), _meta(cap, "source"),
                                 _meta(cap, "assumption"), a.get("group"), a.get("description")])
        rest = {k: v for k, v in a.items() if k not in ("id", "name", "capability", "group", "description")}
        if rest:
            actor_details[a["id"]] = rest
    sheets["issues"] = [list(ISSUE_COLUMNS)]
    issue_details: dict[str, Any] = {}
    for i in data["issues"]:
        sq, obs = i.get("status_quo"), i.get("observed")
        labels = i["scale"].get("anchors", {})
        anchors = "; ".join(f"{k}={v}" for k, v in labels.items())
        if any(";" in str(v) or "\n" in str(v) for v in labels.values()):
            issue_details[i["id"]] = {"anchors": labels}  # labels the column cannot hold: kept in 'other'
            anchors = ""
        sheets["issues"].append([i["id"], i.get("name", ""), i["scale"]["min"], i["scale"]["max"],
                                 _num_cell(sq), _meta(sq, "source"), _meta(sq, "assumption"),
                                 _num_cell(obs), _meta(obs, "source"), _meta(obs, "assumption"),
                                 anchors or None, i.get("description")])
    issue_ids = [i["id"] for i in data["issues"]]
    actor_ids = [a["id"] for a in data["actors"]]
    cells: dict[str, dict[tuple[str, str], Cell]] = {b: {} for b in BLOCKS}
    for st in data["stances"]:
        pair = (st["actor"], st["issue"])
        for field in ("position", "salience"):
            cells[field][pair] = _num_cell(st[field])
            src, asm = _meta(st[field], "source"), _meta(st[field], "assumption")
            if src or asm:
                cells[f"{field} source"][pair] = src if src else f"assumption: {asm}"
        if st.get("source") or st.get("assumption"):
            cells["source"][pair] = st["source"] if st.get("source") else f"assumption: {st['assumption']}"
    stances: Sheet = []
    for block in BLOCKS:
        if not cells[block]:
            continue
        if stances:
            stances.append([])
        stances.append([block, *issue_ids])
        for a in actor_ids:
            if any((a, i) in cells[block] for i in issue_ids):
                stances.append([a, *[cells[block].get((a, i)) for i in issue_ids]])
    sheets["stances"] = stances
    other = {k: v for k, v in data.items() if k not in (*SCENARIO_KEYS, "actors", "issues", "stances")}
    if actor_details:
        other["actor_details"] = actor_details
    if issue_details:
        other["issue_details"] = issue_details
    if other:
        text = yaml.safe_dump(other, sort_keys=False, allow_unicode=True, width=100)
        sheets["other"] = [[line] for line in text.splitlines()]
    return sheets


# ------------------------------------------------------------------ xlsx
def read_xlsx(path: str | Path) -> Scenario:
    path = Path(path)
    openpyxl = require("openpyxl", "read .xlsx workbooks")
    data = read_bytes(path)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a damaged or foreign file
        raise InputError(f"not a readable .xlsx workbook ({type(e).__name__})", file=str(path),
                         fix="save it from the spreadsheet program as an Excel workbook (.xlsx)") from None
    sheets: dict[str, Sheet] = {}
    cells = 0
    try:
        for ws in book.worksheets:
            rows: Sheet = []
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
                if cells > MAX_CELLS:
                    raise InputError(f"more than {MAX_CELLS:,} cells", file=str(path), fix="split the workbook")
                rows.append([c if isinstance(c, (str, int, float)) or c is None else str(c) for c in row])
            sheets[ws.title] = rows
    finally:
        book.close()
    return scenario_from_tables(sheets, str(path))


def write_xlsx(scenario: Scenario) -> bytes:
    openpyxl = require("openpyxl", "write .xlsx workbooks")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tables_of(scenario).items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(list(row))
        if rows and name != "other":
            for cell in ws[1]:
                cell.font = openpyxl.styles.Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ a folder of CSV files
def looks_like_tables_folder(path: Path) -> bool:
    return path.is_dir() and all((path / f"{name}.csv").is_file() for name in ("actors", "issues", "stances"))


def read_tables_folder(path: str | Path) -> Scenario:
    path = Path(path)
    sheets: dict[str, Sheet] = {}
    total = 0
    for name in SHEETS:
        file = path / f"{name}.csv"
        if not file.is_file():
            continue
        total += file.stat().st_size
        if total > MAX_INPUT_BYTES:
            raise InputError("the CSV files are too large", file=str(path), fix="split the scenario")
        sheets[name] = [[c if c.strip() else None for c in row] for row in csv.reader(read_text(file).splitlines())]
    if not looks_like_tables_folder(path):
        raise InputError("the folder needs actors.csv, issues.csv and stances.csv", file=str(path),
                         fix="write one CSV file per table (see docs/spreadsheets.md)")
    return scenario_from_tables(sheets, str(path))


def write_tables_folder(scenario: Scenario) -> dict[str, str]:
    """The CSV files of the folder layout, by file name."""
    out = {}
    for name, rows in tables_of(scenario).items():
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for row in rows:
            writer.writerow(["" if c is None else (repr(c) if isinstance(c, float) and not c.is_integer() else
                                                   _text(c) if isinstance(c, float) else c) for c in row])
        out[f"{name}.csv"] = buf.getvalue()
    return out
