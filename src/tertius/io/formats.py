"""The one table of scenario formats: for each, its name (``--input-format``, ``--to``), the
suffixes it is known by, an optional test of the content, its reader and writer, and what it
carries. Detection, reading, writing, the help texts and the upload suffixes all go through
:data:`FORMATS`; a new format is one module with its reader and writer and one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tertius.errors import InputError
from tertius.io.actor_table import looks_like_actor_table, read_actor_table, write_actor_table
from tertius.io.decide_csv import read_decide_csv, read_xdf, write_decide_csv, write_xdf
from tertius.io.deu import read_deu, write_deu
from tertius.io.json_io import read_json, write_json
from tertius.io.tables import looks_like_tables_folder, read_tables_folder, read_xlsx, write_tables_folder, write_xlsx
from tertius.io.yaml_io import dump_yaml, read_yaml
from tertius.scenario import Scenario

Written = str | bytes | dict[str, str]


@dataclass(frozen=True)
class Format:
    """One scenario format."""

    name: str
    #: how the help texts name it
    shown: str
    #: the suffixes (lower case) that select it; empty for a folder
    suffixes: tuple[str, ...]
    read: Callable[[Path], list[Scenario]]
    #: text, the bytes of a workbook, or a folder's files by name
    write: Callable[[Scenario], Written]
    #: what it carries besides actors, issues, positions and saliences; None: every field
    keeps: frozenset[str] | None = None
    #: what it always drops, in words, after the fields :func:`tertius.io.writers.lost_fields` names
    drops: tuple[str, ...] = ()
    #: a test of the content; a format with one is chosen by suffix only when the test passes
    sniff: Callable[[Path], bool] | None = None
    folder: bool = False


def _one(read: Callable[[Path], Scenario]) -> Callable[[Path], list[Scenario]]:
    return lambda path: [read(path)]


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("yaml", ".yaml", (".yaml", ".yml"), _one(read_yaml), dump_yaml),
    Format("json", ".json", (".json",), read_json, write_json),
    Format("xlsx", ".xlsx", (".xlsx",), _one(read_xlsx), write_xlsx),
    Format("tables", "a folder of CSV tables (actors.csv, issues.csv, stances.csv)", (), _one(read_tables_folder),
           write_tables_folder, sniff=looks_like_tables_folder, folder=True),
    Format("decide", ".csv (Decide or an actor table), .txt (Decide)", (".csv", ".txt"), _one(read_decide_csv),
           write_decide_csv, keeps=frozenset({"title", "notes", "anchors", "actor names", "issue names", "capabilities"})),
    Format("actors", "", (".csv",), _one(read_actor_table), write_actor_table,
           keeps=frozenset({"actor names", "capabilities", "salience scale"}), drops=("the issues' scales",),
           sniff=looks_like_actor_table),
    Format("xdf", ".xdf (Decide project)", (".xdf",), _one(read_xdf), write_xdf,
           keeps=frozenset({"title", "anchors", "actor names", "issue names", "capabilities"})),
    Format("deu", ".tsv (DEU)", (".tsv",), read_deu, write_deu,
           keeps=frozenset({"id", "title", "period", "status quo", "observed", "procedure", "salience scale"}),
           drops=("the scales (the DEU file is on 0 to 100)",)),
)}
#: the formats that hold every field of a scenario
LOSSLESS = tuple(f.name for f in FORMATS.values() if f.keeps is None)
_shown = [f.shown for f in FORMATS.values() if f.shown]
FORMAT_HELP = f"use {', '.join(_shown[:-1])} or {_shown[-1]}, or pass --input-format"
NAMES = ", ".join(FORMATS)


def detect(path: Path) -> Format:
    """The format of a file or folder: among the formats its suffix (or being a folder) fits,
    those with a content test first."""
    folder = path.is_dir()
    suffix = path.suffix.lower()
    fits = [f for f in FORMATS.values() if f.folder == folder and (folder or suffix in f.suffixes)]
    for f in sorted(fits, key=lambda f: f.sniff is None):
        if f.sniff is None or f.sniff(path):
            return f
    if folder:
        raise InputError("the folder is not a scenario", file=str(path),
                         fix="a scenario folder holds actors.csv, issues.csv and stances.csv (docs/spreadsheets.md)")
    raise InputError(f"unknown file type '{suffix or path.name}'", file=str(path), fix=FORMAT_HELP)


def for_target(target: Path) -> Format | None:
    """The format a file about to be written is named for: a name without a suffix is a folder;
    a suffix picks the first format that claims it without a content test."""
    if not target.suffix:
        return next(f for f in FORMATS.values() if f.folder)
    suffix = target.suffix.lower()
    return next((f for f in FORMATS.values() if not f.folder and f.sniff is None and suffix in f.suffixes), None)


def lookup(name: str, *, file: str | None = None, writing: bool = False) -> Format:
    """The format called ``name`` (``--input-format``, ``--to``)."""
    if name in FORMATS:
        return FORMATS[name]
    if writing:
        raise InputError(f"cannot write format '{name}'", fix=f"write one of: {NAMES}")
    raise InputError(f"unknown input format '{name}'", file=file, fix=f"use one of: {NAMES}")


#: every suffix a file of some format may have, each once, in the table's order
SUFFIXES = tuple(dict.fromkeys(s for f in FORMATS.values() for s in f.suffixes))
_files = [f.shown for f in FORMATS.values() if f.shown and not f.folder]
#: the fix for a file whose suffix no format reads, where only a file (not a folder) can be given
UPLOAD_HELP = f"upload {', '.join(_files[:-1])} or {_files[-1]}"
