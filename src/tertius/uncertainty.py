"""How far each input of a scenario may move: a range for every number that carries a provenance.

The inputs are found by walking the scenario's data, so a number added to the format later is
covered without a change here: every ``{value: ..., source: ...}`` or ``{value: ...,
assumption: ...}`` mapping is an input (observed outcomes are not: they are what forecasts are
scored against), and so are the conflict's plain numbers ``miles_per_day`` (War Trap contest) and
``decisiveness`` (Tullock contest).

The range of an input is, in this order:

1. the one declared beside the number: ``range: [lo, hi]`` or ``plus_minus: h`` (``value ± h``);
2. else a default rule for its kind of input (:data:`RULES`): an assumption moves widely, a
   sourced number by its measurement error only. Every range is clipped to the values the
   scenario format allows (a probability to [0, 1], a position to its issue's scale, ...).

The rules, by the key the number sits under (the last key of its path):

============================  ===========================  ==========================
kind                          assumption                   sourced
============================  ===========================  ==========================
costs, broker_costs, prices   value × [1/4, 3]             value × [0.8, 1.25]
loser_weight, guarantee       value × [1/4, 3], in [0, 1]  value × [0.8, 1.25]
capability                    value × [1/2, 2]             ± 10 %
distance, miles_per_day       ± 40 %                       ± 10 %
decisiveness                  value × [1/2, 2]             value × [0.8, 1.25]
position, status_quo          ± 15 % of the issue scale    ± 5 % of the issue scale
salience                      ± 50 %                       ± 20 %
any other number              value × [1/2, 2]             ± 10 %
============================  ===========================  ==========================

The multiplicative rules give a zero value the absolute widths [0, 0.1] (assumed) or [0, 0.02]
(sourced) on the same scale: an assumed zero cost may be a small one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tertius.scenario import Scenario

Path = tuple[str | int, ...]

#: (assumed, sourced) default rules per kind: ("times", lo, hi) multiplies the value,
#: ("rel", h) is ± h of the value, ("scale", h) is ± h of the issue's scale.
RULES: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {
    "cost": (("times", 0.25, 3.0), ("times", 0.8, 1.25)),
    "share": (("times", 0.25, 3.0), ("times", 0.8, 1.25)),
    "capability": (("times", 0.5, 2.0), ("rel", 0.1)),
    "distance": (("rel", 0.4), ("rel", 0.1)),
    "decisiveness": (("times", 0.5, 2.0), ("times", 0.8, 1.25)),
    "position": (("scale", 0.15), ("scale", 0.05)),
    "salience": (("rel", 0.5), ("rel", 0.2)),
    "other": (("times", 0.5, 2.0), ("rel", 0.1)),
}
KIND = {"costs": "cost", "broker_costs": "cost", "price": "cost", "prices": "cost", "loser_weight": "share",
        "guarantee": "share", "peace_value": "cost", "capability": "capability", "capabilities": "capability",
        "distance": "distance", "miles_per_day": "distance", "decisiveness": "decisiveness",
        "position": "position", "status_quo": "position", "salience": "salience"}
#: Keys whose numbers are probabilities or shares, so their ranges stay within [0, 1].
UNIT = {"loser_weight", "guarantee", "costs", "broker_costs"}
#: Parts of the data that hold no inputs of the models.
SKIP = {"observed", "perturbation", "notes", "sources", "procedure", "procedures", "anchors", "theatre", "location"}


@dataclass(frozen=True)
class Input:
    """One number of the scenario that may move, and how far."""

    path: Path
    value: float
    lo: float
    hi: float
    assumed: bool
    declared: bool  # the range is the scenario's own, not a default rule
    why: str  # the source or the assumption
    kind: str

    @property
    def key(self) -> str:
        """The path written with dots, e.g. ``conflict.costs.russia``."""
        return ".".join(str(p) for p in self.path)

    def to_data(self) -> dict[str, Any]:
        return {"input": self.key, "value": self.value, "range": [self.lo, self.hi], "assumed": self.assumed,
                "declared_range": self.declared, "kind": self.kind, "why": self.why}


def _kind(path: Path) -> str:
    for p in reversed(path):
        if isinstance(p, str) and p in KIND:
            return KIND[p]
    return "other"


def _scale(scenario: Scenario, path: Path, data: dict[str, Any], node: dict[str, Any]) -> tuple[float, float]:
    """The issue scale a position refers to (the owner's ``issue`` key, or the path's issue id)."""
    if isinstance(node, dict) and isinstance(node.get("scale"), dict):  # an issue's own status quo
        sc = node["scale"]
        return float(sc.get("min", 0.0)), float(sc.get("max", 100.0))
    issue = node.get("issue") if isinstance(node, dict) else None
    if issue is None:
        issue = next((p for p in reversed(path) if isinstance(p, str) and p in scenario.issue_ids), None)
    if issue is None:
        return -np.inf, np.inf
    sc = scenario.issue(str(issue)).scale
    return sc.min, sc.max


def default_range(kind: str, value: float, assumed: bool, scale: tuple[float, float] = (-np.inf, np.inf)
                  ) -> tuple[float, float]:
    """The default rule's range for a number of this kind (:data:`RULES`)."""
    rule = RULES[kind][0 if assumed else 1]
    if rule[0] == "times":
        if value == 0:
            return (0.0, 0.1 if assumed else 0.02)
        a, b = sorted((value * rule[1], value * rule[2]))
        return a, b
    if rule[0] == "rel":
        h = abs(value) * rule[1]
        return value - h, value + h
    span = scale[1] - scale[0]
    h = rule[1] * span if np.isfinite(span) else rule[1] * max(abs(value), 1.0)
    return value - h, value + h


def inputs(scenario: Scenario) -> list[Input]:
    """Every input of the scenario that carries a provenance, with its range."""
    data = scenario.to_data()
    found: list[Input] = []
    unit_sal = 1.0 * scenario.salience_scale

    def visit(node: Any, path: Path, owner: Any) -> None:
        if isinstance(node, dict):
            if "value" in node and isinstance(node["value"], (int, float)) and (
                    "source" in node or "assumption" in node or "range" in node or "plus_minus" in node):
                found.append(_input(node, path, owner))
                return
            for k, v in node.items():
                if k not in SKIP:
                    visit(v, path + (k,), node)
        elif isinstance(node, list):
            for k, v in enumerate(node):
                visit(v, path + (k,), owner)

    def _input(node: dict[str, Any], path: Path, owner: Any) -> Input:
        value = float(node["value"])
        assumed = "source" not in node
        kind = _kind(path)
        scale = _scale(scenario, path, data, owner)
        declared = "range" in node or "plus_minus" in node
        if "range" in node:
            lo, hi = (float(x) for x in node["range"])
        elif "plus_minus" in node:
            lo, hi = value - float(node["plus_minus"]), value + float(node["plus_minus"])
        else:
            lo, hi = default_range(kind, value, assumed, scale)
        # the values the format allows
        floor, ceil = -np.inf, np.inf
        if kind in ("cost", "share", "capability", "distance", "decisiveness"):
            floor = 0.0
        if path[-1] in UNIT or (len(path) > 1 and path[-2] in UNIT):
            floor, ceil = 0.0, 1.0
        if kind == "salience":
            floor, ceil = 0.0, unit_sal
        if kind == "position":
            floor, ceil = scale
        lo, hi = max(lo, floor), min(hi, ceil)
        why = node.get("assumption") or node.get("source") or ""
        return Input(path=path, value=value, lo=lo, hi=hi, assumed=assumed, declared=declared, why=str(why),
                     kind=kind)

    visit(data, (), None)
    c = scenario.conflict
    if c is not None:  # the conflict's plain numbers: assumptions of the contest
        if c.contest == "war-trap":
            v = float(c.miles_per_day)
            lo, hi = default_range("distance", v, True)
            found.append(Input(("conflict", "miles_per_day"), v, lo, hi, True, False,
                               "the War Trap's march rate (250 miles a day before 1918)", "distance"))
        else:
            v = float(c.decisiveness)
            lo, hi = default_range("decisiveness", v, True)
            found.append(Input(("conflict", "decisiveness"), v, lo, hi, True, False,
                               "the contest's decisiveness", "decisiveness"))
    return found


def set_value(data: dict[str, Any], path: Path, value: float) -> None:
    """Write ``value`` at ``path`` in the scenario's data (a provenance mapping keeps its other keys;
    a declared range is dropped, since the value may be tried outside it)."""
    node: Any = data
    for p in path[:-1]:
        node = node[p]
    last = path[-1]
    if isinstance(node[last], dict):
        node[last] = {k: v for k, v in node[last].items() if k not in ("range", "plus_minus")} | {"value": value}
    else:
        node[last] = value


def with_value(scenario: Scenario, path: Path, value: float) -> Scenario:
    """The scenario with one input set to ``value``."""
    data = scenario.to_data()
    set_value(data, path, value)
    return Scenario.model_validate(data)


def draw_values(found: list[Input], rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` uniform draws of every input within its range: (size, len(found))."""
    lo = np.array([i.lo for i in found])
    hi = np.array([i.hi for i in found])
    return lo + (hi - lo) * rng.uniform(size=(size, len(found)))


__all__ = ["KIND", "LEVEL", "LEVELS", "RULES", "Input", "default_range", "draw_values", "label", "labeller",
           "copy_data", "inputs", "moved_in_draws", "set_value",
           "with_value"]


#: Levels of a drawn conflict input: each draw takes the midpoint of one of LEVELS equal bins of
#: the range (stratified, so every bin is drawn about equally often). Plain numbers of a war
#: (``loser_weight``) are shared by a batch of the game, so draws are grouped by their levels.
LEVELS = 8


def moved_in_draws(scenario: Scenario) -> list[Input]:
    """The inputs the robustness draws move besides positions, saliences and capabilities (which
    the scenario's perturbation moves): every conflict input and every distance, within its range."""
    return [i for i in inputs(scenario) if i.lo < i.hi and (
        (i.path[0] == "conflict" and not {"stances", "capabilities", "status_quo"} & set(map(str, i.path)))
        or (i.path[0] == "actors" and i.path[-1] == "distance"))]


def copy_data(node: Any) -> Any:
    """A copy of scenario data (dicts and lists copied, numbers and strings shared)."""
    if isinstance(node, dict):
        return {k: copy_data(v) for k, v in node.items()}
    if isinstance(node, list):
        return [copy_data(v) for v in node]
    return node


#: The share of draws an interval holds (the summary's 80 % interval: the 10th to the 90th percentile).
LEVEL = 0.8


def label(scenario: Scenario, inp: Input) -> str:
    """A reader's name for an input: "Russia: cost of fighting", "UK on ports: salience"."""
    return labeller(scenario)(inp)


def labeller(scenario: Scenario) -> Callable[[Input], str]:
    """:func:`label` for many inputs of one scenario: its data and names are read once, not once
    per input (which made labelling every input of a large scenario quadratic in its size)."""
    data = scenario.to_data()
    names = {a.id: a.name or a.id for a in scenario.actors}
    issues = {i.id: i.name or i.id for i in scenario.issues}
    return lambda inp: _label(data, names, issues, inp)


def _label(data: dict[str, Any], names: dict[str, str], issues: dict[str, str], inp: Input) -> str:
    path = inp.path
    what = str(path[-1]).replace("_", " ")
    if path[0] == "conflict" and len(path) == 3 and path[1] in ("costs", "broker_costs"):
        return f"{names.get(str(path[2]), path[2])}: {'cost of brokering' if path[1] == 'broker_costs' else 'cost of fighting'}"
    node: Any = data
    owner: Any = None
    for p in path[:-1]:
        node = node[p]
        if isinstance(node, dict) and ("actor" in node or "id" in node):
            owner = node
    prefix = ""
    if path[0] == "conflict" and len(path) > 2 and path[1] == "phases":
        ph = data["conflict"]["phases"][path[2]]
        prefix = f"{ph.get('id')}, "
    if isinstance(owner, dict) and "actor" in owner and "issue" in owner:
        return f"{prefix}{names.get(owner['actor'], owner['actor'])} on {issues.get(owner['issue'], owner['issue'])}: {what}"
    if isinstance(owner, dict) and "actor" in owner:
        return f"{prefix}{names.get(owner['actor'], owner['actor'])}: {what}"
    if path[0] == "actors" and isinstance(owner, dict):
        return f"{names.get(str(owner.get('id')), str(owner.get('id')))}: {what}"
    if path[0] == "issues" and isinstance(owner, dict):
        return f"{issues.get(str(owner.get('id')), str(owner.get('id')))}: {what}"
    if len(path) >= 2 and isinstance(path[-1], str) and path[-1] in names:
        return f"{prefix}{names[path[-1]]}: {str(path[-2]).replace('_', ' ')}"
    if path[0] == "conflict" and len(path) == 2:
        return f"conflict: {what}"
    return prefix + inp.key.replace("_", " ")


