"""Scenario input and output: YAML (canonical), Decide CSV and XDF, DEU TSV."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tertius.errors import InputError
from tertius.io.actor_table import looks_like_actor_table, read_actor_table
from tertius.io.decide_csv import read_decide_csv, read_xdf, write_decide_csv
from tertius.io.deu import read_deu
from tertius.io.yaml_io import dump_yaml, read_yaml, write_text_atomic
from tertius.scenario import Scenario

DEFAULT_SCENARIO = "second-opium-war"

FORMATS = {
    "yaml": (".yaml", ".yml"),
    "decide": (".csv", ".txt"),
    "actors": (),
    "xdf": (".xdf",),
    "deu": (".tsv",),
}


def bundled_scenarios() -> dict[str, Path]:
    """The scenarios shipped with tertius, by id."""
    root = resources.files("tertius") / "scenarios"
    out = {}
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name[:-5].replace("_", "-")] = Path(str(entry))
    return out


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv" and looks_like_actor_table(path):
        return "actors"
    for fmt, suffixes in FORMATS.items():
        if suffix in suffixes:
            return fmt
    raise InputError(f"unknown file type '{suffix or path.name}'", file=str(path),
                     fix="use .yaml, .csv (Decide or an actor table), .txt (Decide), .xdf (Decide project) or .tsv (DEU), "
                         "or pass --input-format")


def resolve(source: str | Path) -> Path:
    """A file path, or the path of a bundled scenario named by id."""
    path = Path(source)
    if path.exists():
        return path
    bundled = bundled_scenarios()
    if str(source) in bundled:
        return bundled[str(source)]
    raise InputError(f"no such file or bundled scenario '{source}'", file=str(source),
                     fix=f"give a path, or one of: {', '.join(bundled)}")


def load_scenarios(source: str | Path, *, input_format: str | None = None) -> list[Scenario]:
    """Load every scenario a file holds (a DEU file holds one per issue)."""
    path = resolve(source)
    fmt = input_format or detect_format(path)
    if fmt == "yaml":
        return [read_yaml(path)]
    if fmt == "decide":
        return [read_decide_csv(path)]
    if fmt == "actors":
        return [read_actor_table(path)]
    if fmt == "xdf":
        return [read_xdf(path)]
    if fmt == "deu":
        return read_deu(path)
    raise InputError(f"unknown input format '{fmt}'", file=str(path), fix=f"use one of: {', '.join(FORMATS)}")


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
                         fix="pick one with select= (--select on the command line)")
    return scenarios[0]


def render(scenario: Scenario, fmt: str) -> str:
    """Render a scenario in a writable format: ``yaml`` or ``decide``."""
    if fmt == "yaml":
        return dump_yaml(scenario)
    if fmt == "decide":
        return write_decide_csv(scenario)
    raise InputError(f"cannot write format '{fmt}'", fix="write 'yaml' or 'decide'")


__all__ = [
    "DEFAULT_SCENARIO", "bundled_scenarios", "load_scenario", "load_scenarios", "render",
    "write_text_atomic", "resolve",
]
