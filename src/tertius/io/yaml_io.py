"""Read and write the canonical YAML scenario format, with line numbers in errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tertius.errors import InputError, ScenarioProblem
from tertius.io.files import read_text
from tertius.scenario import Scenario

#: Limits that keep a hostile YAML file from exhausting the stack or the memory.
MAX_DEPTH = 50
MAX_ALIASES = 1000


class YamlLimit(yaml.YAMLError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


class _Loader(yaml.SafeLoader):
    """The safe loader, with a bound on nesting and aliases, and duplicate keys refused."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlLimit(f"more than {MAX_ALIASES} aliases", self.peek_event().start_mark.line + 1)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlLimit(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise YamlLimit("a mapping key that is not a plain value", key_node.start_mark.line + 1) from None
            if key in seen:
                raise YamlLimit(f"duplicate key '{key}' (first on line {seen[key]})", key_node.start_mark.line + 1)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None, seen: set | None = None) -> dict[tuple, int]:
    """Map every field path in a composed YAML document to its 1-based line. An aliased node is
    walked once, so anchors cannot make this blow up."""
    if out is None:
        out, seen = {}, set()
    assert seen is not None
    out.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            out[path + (k,)] = key.start_mark.line + 1
            _line_map(value, path + (k,), out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for k, item in enumerate(node.value):
            _line_map(item, path + (k,), out, seen)
    return out


def _surrogate(data: Any, path: tuple = ()) -> tuple | None:
    """The path of the first string with a lone surrogate (not encodable as UTF-8), if any."""
    stack = [(data, path)]
    seen: set[int] = set()
    while stack:
        item, p = stack.pop()
        if isinstance(item, (dict, list)):
            if id(item) in seen:  # an alias: its contents were checked already
                continue
            seen.add(id(item))
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return p
        elif isinstance(item, dict):
            for k, v in item.items():
                stack.append((k, p))
                stack.append((v, p + (k,)))
        elif isinstance(item, list):
            stack.extend((v, p + (k,)) for k, v in enumerate(item))
    return None


def _line_for(lines: dict[tuple, int], path: tuple) -> int | None:
    key = tuple(str(p) if not isinstance(p, int) else p for p in path)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return lines.get(())


def _fields_at(loc: tuple) -> list[str]:
    """The field names of the model at a location in the scenario (for 'did you mean')."""
    import typing

    from pydantic import BaseModel

    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        ann = field.annotation
        for _ in range(3):  # list[X], X | None, dict[str, X]
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                break
            ann = args[-1] if args else ann
        model = ann
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _did_you_mean(word: str, loc: tuple) -> str:
    import difflib

    guess = difflib.get_close_matches(str(word), _fields_at(loc), n=1, cutoff=0.6)
    return f"did you mean '{guess[0]}'?" if guess else ""


def _expand_stances(data: dict[str, Any], lines: dict[tuple, int], file: str) -> dict[str, Any]:
    """The compact stance notation, one mapping per issue::

        stances:
          legations: {uk: [100, 0.8], france: [50, 0.5]}
          ports:
            uk: [10, 0.7]
            france: {position: 7, salience: {value: 0.5, source: ...}}

    becomes the long list; each expanded entry keeps the YAML line of its actor."""
    compact = data.get("stances")
    if not isinstance(compact, dict):
        return data
    out: list[dict[str, Any]] = []
    for issue, by_actor in compact.items():
        where = ("stances", str(issue))
        if not isinstance(by_actor, dict):
            raise InputError(f"stances of '{issue}' are not a mapping of actors", file=file,
                             line=_line_for(lines, where), path=where,
                             fix=f"write {issue}: {{actor: [position, salience], ...}}")
        for actor, value in by_actor.items():
            here = (*where, str(actor))
            k = len(out)
            if isinstance(value, list):
                if len(value) != 2:
                    raise InputError(f"'{actor}' on '{issue}' has {len(value)} numbers", file=file,
                                     line=_line_for(lines, here), path=here, fix="write [position, salience]")
                item = {"actor": str(actor), "issue": str(issue), "position": value[0], "salience": value[1]}
                for j, name in enumerate(("position", "salience")):
                    if (*here, j) in lines:
                        lines[("stances", k, name)] = lines[(*here, j)]
            elif isinstance(value, dict):
                item = {"actor": str(actor), "issue": str(issue), **value}
                for name in value:
                    if (*here, str(name)) in lines:
                        lines[("stances", k, str(name))] = lines[(*here, str(name))]
            else:
                raise InputError(f"'{actor}' on '{issue}' is neither [position, salience] nor a mapping", file=file,
                                 line=_line_for(lines, here), path=here, fix="write [position, salience]")
            if here in lines:
                lines[("stances", k)] = lines[here]
            out.append(item)
    return {**data, "stances": out}


def scenario_from_data(data: Any, *, file: str, lines: dict[tuple, int] | None = None) -> Scenario:
    """Validate plain data into a :class:`Scenario`, raising a located :class:`InputError`."""
    lines = dict(lines or {})
    if not isinstance(data, dict):
        raise InputError("the file does not hold a scenario mapping", file=file, line=1,
                         fix="start the file with 'id:', 'actors:', 'issues:' and 'stances:'")
    data = _expand_stances(data, lines, file)
    try:
        return Scenario.model_validate(data)
    except ScenarioProblem as p:
        raise InputError(p.message, file=file, line=_line_for(lines, p.path), path=p.path, fix=p.fix) from None
    except ValidationError as e:
        def clean(x: Any) -> tuple:
            loc = tuple(p for p in x["loc"] if p not in ("function-after[_check(), Scenario]",))
            # Quantity accepts a bare number or a mapping; report the simpler of the two failures.
            return tuple(p for p in loc if not (isinstance(p, str) and p.startswith(("function-", "float"))))

        errors = e.errors()
        err = errors[0]
        loc = clean(err)
        if err["type"] == "missing":  # a misspelt key shows as missing; report the misspelling
            extra = [x for x in errors if x["type"] == "extra_forbidden" and clean(x)[:-1] == loc[:-1]]
            if extra:
                err, loc = extra[0], clean(extra[0])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown field '{loc[-1]}'"
            guess = _did_you_mean(str(loc[-1]), loc[:-1])
            fix = guess or "check the spelling against 'tertius schema'"
        elif err["type"] == "missing":
            msg = f"missing field '{loc[-1]}'"
            fix = "add it (see 'tertius schema')"
        elif err["type"] == "finite_number":
            msg = "the value is NaN or infinite"
            fix = "write a finite number"
        elif err["type"] == "string_too_short":
            msg = "it is empty"
            fix = "give it a value"
        elif err["type"] in ("float_parsing", "float_type", "int_parsing", "int_type"):
            msg = f"'{err.get('input')}' is not a number" if len(str(err.get("input"))) < 40 else "this is not a number"
            fix = "write a number, or {value: 0.4, source: ...}"
        elif err["type"] in ("string_type",):
            msg = "this is not text"
            fix = "write a quoted string"
        elif err["type"] in ("model_type", "model_attributes_type") and isinstance(err.get("input"), str):
            msg = f"'{str(err['input'])[:40]}' is not a number"
            fix = "write a number, or {value: 0.4, source: ...}"
        elif err["type"] in ("list_type", "dict_type", "model_type", "model_attributes_type"):
            msg = "this is not " + ("a list" if err["type"] == "list_type" else "a mapping")
            fix = "see 'tertius schema' for the layout"
        elif err["type"] == "literal_error":
            msg = f"'{err.get('input')}' is not allowed here"
            fix = err["msg"].replace("Input should be", "use")
        else:
            fix = "see 'tertius schema' for the expected type"
        raise InputError(msg, file=file, line=_line_for(lines, loc), path=loc, fix=fix) from None


def read_yaml(path: str | Path) -> Scenario:
    path = Path(path)
    text = read_text(path)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except YamlLimit as e:
        raise InputError(f"YAML {e.message}", file=str(path), line=e.line,
                         fix="write each key once, and keep the file flat (no deep nesting or alias chains)") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"not valid YAML: {problem}", file=str(path),
                         line=None if mark is None else mark.line + 1,
                         fix="check indentation and quoting") from None
    finally:
        loader.dispose()
    lines = _line_map(node) if node is not None else {}
    bad = _surrogate(data)
    if bad is not None:
        raise InputError("a string holds a lone surrogate (an escape such as \\ud800 that is not a character)",
                         file=str(path), line=_line_for(lines, bad), path=bad, fix="remove the escape")
    return scenario_from_data(data, file=str(path), lines=lines)


def dump_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.to_data(), sort_keys=False, allow_unicode=True, width=100)

