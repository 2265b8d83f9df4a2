"""Read and write a scenario as JSON, in the YAML layout (:mod:`tertius.io.yaml_io`); a JSON
list holds several scenarios."""

from __future__ import annotations

import json
from pathlib import Path

from tertius.errors import InputError
from tertius.io.files import read_text
from tertius.io.yaml_io import scenario_from_data
from tertius.scenario import Scenario


def read_json(path: Path) -> list[Scenario]:
    """A scenario as JSON, in the YAML layout; a JSON list holds several."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {e.msg}", file=str(path), line=e.lineno,
                         fix="check the brackets, commas and quotes") from None
    if isinstance(data, list):
        if not data:
            raise InputError("the JSON list is empty", file=str(path), fix="give one scenario object or a list of them")
        return [scenario_from_data(d, file=f"{path} (scenario {k + 1})") for k, d in enumerate(data)]
    return [scenario_from_data(data, file=str(path))]


def write_json(s: Scenario) -> str:
    return json.dumps(s.to_data(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
