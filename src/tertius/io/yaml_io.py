"""Read and write the canonical YAML scenario format, with line numbers in errors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tertius.errors import InputError, ScenarioProblem
from tertius.scenario import Scenario


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every field path in a composed YAML document to its 1-based line."""
    if out is None:
        out = {}
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            out[path + (k,)] = key.start_mark.line + 1
            _line_map(value, path + (k,), out)
    elif isinstance(node, yaml.SequenceNode):
        for k, item in enumerate(node.value):
            _line_map(item, path + (k,), out)
    return out


def _line_for(lines: dict[tuple, int], path: tuple) -> int | None:
    key = tuple(str(p) if not isinstance(p, int) else p for p in path)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return lines.get(())


def scenario_from_data(data: Any, *, file: str, lines: dict[tuple, int] | None = None) -> Scenario:
    """Validate plain data into a :class:`Scenario`, raising a located :class:`InputError`."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise InputError("the file does not hold a scenario mapping", file=file, line=1,
                         fix="start the file with 'id:', 'actors:', 'issues:' and 'stances:'")
    try:
        return Scenario.model_validate(data)
    except ScenarioProblem as p:
        raise InputError(p.message, file=file, line=_line_for(lines, p.path), path=p.path, fix=p.fix) from None
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(p for p in err["loc"] if p not in ("function-after[_check(), Scenario]",))
        # Quantity accepts a bare number or a mapping; report the simpler of the two failures.
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith(("function-", "float"))))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown field '{loc[-1]}'"
            fix = "check the spelling against 'tertius schema'"
        elif err["type"] == "missing":
            msg = f"missing field '{loc[-1]}'"
            fix = "add it (see 'tertius schema')"
        elif err["type"] == "finite_number":
            msg = "the value is NaN or infinite"
            fix = "write a finite number"
        else:
            fix = "see 'tertius schema' for the expected type"
        raise InputError(msg, file=file, line=_line_for(lines, loc), path=loc, fix=fix) from None


def read_yaml(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read the file ({e.strerror})", file=str(path), fix="check the path") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"not valid YAML: {problem}", file=str(path),
                         line=None if mark is None else mark.line + 1,
                         fix="check indentation and quoting") from None
    lines = _line_map(node) if node is not None else {}
    return scenario_from_data(data, file=str(path), lines=lines)


def dump_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.to_data(), sort_keys=False, allow_unicode=True, width=100)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file through a temporary file and a rename, so no half-written file is left."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_yaml(scenario: Scenario, path: str | Path) -> None:
    write_text_atomic(path, dump_yaml(scenario))
