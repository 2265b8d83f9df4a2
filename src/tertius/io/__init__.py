"""Scenario input and output: YAML (canonical), JSON, an Excel workbook or a folder of CSV
tables (:mod:`tertius.io.tables`), Decide CSV and XDF, the one-issue actor table and the DEU
issue file. Every format that is read can be written (:mod:`tertius.io.writers`)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from tertius.errors import InputError, ScenarioProblem, require  # noqa: F401  (tertius.io.require, kept for callers)
from tertius.io.files import slug, write_text_atomic
from tertius.io.formats import FORMAT_HELP, FORMATS, Format, detect, lookup  # noqa: F401  (FORMAT_HELP, Format: re-exported)
from tertius.scenario import Scenario

DEFAULT_SCENARIO = "second-opium-war"


def bundled_scenarios() -> dict[str, Path]:
    """The scenarios shipped with tertius, by id."""
    root = resources.files("tertius") / "scenarios"
    out = {}
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name[:-5].replace("_", "-")] = Path(str(entry))
    return out


def detect_format(path: Path) -> str:
    """The name of the format of a file or folder (:func:`tertius.io.formats.detect`)."""
    return detect(path).name


def resolve(source: str | Path) -> Path:
    """A file path, or the path of a bundled scenario named by id."""
    path = Path(source)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        exists = False
    if exists:
        return path
    bundled = bundled_scenarios()
    if str(source) in bundled:
        return bundled[str(source)]
    raise InputError(f"no such file or bundled scenario '{source}'", file=str(source),
                     fix=f"give a path, or one of: {', '.join(bundled)}")


def _guarded(path: Path, read: Callable[[], list[Scenario]]) -> list[Scenario]:
    """Run a reader so that whatever a malformed file makes it raise reaches the user as one
    located InputError (the readers raise their own where they can; this is the net below)."""
    from pydantic import ValidationError

    file = str(path)
    try:
        return read()
    except InputError as e:
        if not e.file:
            e.file = file
        raise InputError(e.message, file=e.file, line=e.line, path=e.path, fix=e.fix) from None
    except ScenarioProblem as p:
        raise InputError(p.message, file=file, path=p.path, fix=p.fix) from None
    except ValidationError as e:
        err = e.errors()[0]
        loc = [x for x in err["loc"] if isinstance(x, (str, int)) and not str(x).startswith(("function-", "float"))]
        raise InputError(f"{err['msg'].lower()}", file=file, path=loc,
                         fix="check the value against the format (see 'tertius schema')") from None
    except RecursionError:
        raise InputError("the file is nested too deeply to read", file=file, fix="flatten it") from None
    except MemoryError:
        raise InputError("the file expands to more than memory holds", file=file, fix="check it is the right file") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, csv.Error) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise InputError(f"cannot read it as {detect_format(path) if path.suffix else 'a scenario'} ({first})",
                         file=file, fix="check the file against its format (README: Scenario files)") from None


def load_scenarios(source: str | Path, *, input_format: str | None = None) -> list[Scenario]:
    """Load every scenario a file holds (a DEU file holds one per issue)."""
    path = resolve(source)
    fmt = lookup(input_format, file=str(path)) if input_format else detect(path)
    return _guarded(path, lambda: fmt.read(path))


def load_scenario(source: str | Path = DEFAULT_SCENARIO, *, input_format: str | None = None,
                  select: str | None = None) -> Scenario:
    """Load one scenario; ``select`` picks one by id from a file that holds several."""
    scenarios = load_scenarios(source, input_format=input_format)
    if select is not None:
        for s in scenarios:
            if s.id == select:
                return s
        raise InputError(f"no scenario '{select}' in the file", file=str(source),
                         fix=f"use one of: {', '.join(s.id for s in scenarios[:10])}...")
    if len(scenarios) > 1:
        raise InputError(f"the file holds {len(scenarios)} scenarios", file=str(source),
                         fix="pick one with --select ID (select= in Python)")
    return scenarios[0]


def render(scenario: Scenario, fmt: str) -> str | bytes | dict[str, str]:
    """A scenario in any format tertius reads: text, the bytes of a workbook (``xlsx``), or the
    files of a folder of CSV tables by name (``tables``). See :func:`tertius.io.writers.lost_fields`
    for what the other programs' formats drop."""
    return lookup(fmt, writing=True).write(scenario)


__all__ = [
    "DEFAULT_SCENARIO", "bundled_scenarios", "load_scenario", "load_scenarios", "render",
    "write_text_atomic", "resolve", "slug",
]
