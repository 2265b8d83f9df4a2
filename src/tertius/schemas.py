"""JSON Schemas of what tertius saves: ``results.json`` (``tertius run``) and ``summary.json``
(``tertius sweep``), beside the scenario schema. ``tertius schema --of results`` prints one; the
tests validate saved files against them with the ``jsonschema`` library."""

from __future__ import annotations

from typing import Any

from tertius.scenario import OPTION_CODES, Scenario
from tertius.version import __version__

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_NUM = {"type": ["number", "null"]}
_ISSUE_MAP = {"type": "object", "additionalProperties": _NUM}

FORECAST = {
    "type": "object",
    "required": ["model", "scenario", "params", "issues", "details"],
    "properties": {
        "model": {"type": "string"},
        "scenario": {"type": "string"},
        "params": {"type": "object"},
        "issues": {"type": "array", "items": {
            "type": "object", "required": ["id", "outcome", "utility"],
            "properties": {"id": {"type": "string"}, "outcome": _NUM, "utility": _ISSUE_MAP,
                           "rounds": {"type": "array", "items": _ISSUE_MAP}},
        }},
        "details": {"type": "object"},
        "columns": {"type": "object", "additionalProperties": {"type": "string"}},
        "line": {"type": "object", "required": ["label", "values"],
                 "properties": {"label": {"type": "string"},
                                "values": {"type": "object", "additionalProperties": {"type": "array",
                                                                                     "items": {"type": "number"}}}}},
    },
}

OPTION = {"type": "object", "required": ["expected_utility", "probability", "p_a_wins", "settlements"],
          "properties": {"expected_utility": {"type": "number"}, "probability": {"type": "number"},
                         "p_a_wins": {"type": "number"}, "settlements": {"type": "object"},
                         "leverage": {"type": "number"}, "deal_probability": {"type": "number"}}}

THIRD_PARTIES = {
    "type": ["object", "null"],
    "required": ["scenario", "options", "params", "phases"],
    "properties": {
        "options": {"type": "array", "items": {"enum": list(OPTION_CODES)}},
        "params": {"type": "object", "required": ["precision", "join_constant"]},
        "phases": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "sides", "selected", "converged", "equilibria", "third_parties"],
            "properties": {
                "sides": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
                "selected": {"type": "object"},
                "converged": {"type": "boolean"},
                "equilibria": {"type": ["array", "null"]},
                "third_parties": {"type": "array", "items": {
                    "type": "object",
                    "required": ["third_party", "ranking", "best", "equilibrium", "probabilities", "options",
                                 "perturbation", "explanation"],
                    "properties": {"options": {"type": "object", "additionalProperties": OPTION},
                                   "explanation": {"type": "string"}},
                }},
            },
        }},
    },
}


def results_schema() -> dict[str, Any]:
    """The schema of ``results.json``."""
    return {
        "$schema": DRAFT, "$id": "https://tertius.invalid/schemas/results.json", "version": __version__,
        "title": "tertius run results", "type": "object",
        "required": ["tertius_version", "seed", "scenario", "models", "forecasts", "scores", "sensitivity", "third_parties"],
        "properties": {
            "tertius_version": {"type": "string"},
            "seed": {"type": "integer"},
            "scenario": {"type": "object", "required": ["id", "actors", "issues", "stances"]},
            "models": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["summary", "citation"]}},
            "refused": {"type": "object", "additionalProperties": {"type": "string"}},
            "forecasts": {"type": "object", "additionalProperties": FORECAST},
            "scores": {"type": "object", "required": ["models", "issues"]},
            "sensitivity": {"type": "array", "items": {
                "type": "object", "required": ["actor", "factor", "model", "issue", "outcome"]}},
            "third_parties": THIRD_PARTIES,
            "breakeven": {"anyOf": [{"type": "null"}, {"type": "object", "required": ["questions"], "properties": {
                "questions": {"type": "array", "items": {"type": "object", "required": [
                    "phase", "third_party", "answer", "question", "inputs", "safe"]}}}}]},
            "inputs": {"type": "array", "items": {"type": "object", "required": ["input", "value", "range", "assumed"]}},
            "breakeven_forecasts": {"type": "object", "required": ["models", "questions"]},
            "intervals": {"type": "object", "required": ["level", "draws", "models"]},
        },
        "$comment": "the scenario inside follows the scenario schema ('tertius schema')",
    }


def summary_schema() -> dict[str, Any]:
    """The schema of a sweep's ``summary.json``."""
    quantile = {"type": "object", "required": ["q05", "q25", "q50", "q75", "q95", "mean", "n"],
                "properties": {k: _NUM for k in ("q05", "q25", "q50", "q75", "q95", "mean")} | {"n": {"type": "integer"}}}
    return {
        "$schema": DRAFT, "$id": "https://tertius.invalid/schemas/summary.json", "version": __version__,
        "title": "tertius sweep summary", "type": "object",
        "required": ["scenario", "model", "params", "seed", "n", "chunk_size", "perturbation", "quantiles", "failed",
                     "third_party_shares"],
        "properties": {
            "seed": {"type": "integer"}, "n": {"type": "integer"}, "chunk_size": {"type": "integer"},
            "quantiles": {"type": "object", "additionalProperties": quantile},
            "failed": {"type": "array", "items": {"type": "object", "required": ["draw", "seed", "chunk", "error"]}},
            "third_party_shares": {"type": "object"},
            "title": {"type": "string"},
            "issues": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["name", "min", "max"],
                "properties": {"name": {"type": "string"}, "min": {"type": "number"}, "max": {"type": "number"}}}},
            "unperturbed": {"type": "object", "additionalProperties": _NUM},
            "phases": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["name", "sides"],
                "properties": {"name": {"type": "string"}, "sides": {"type": "array", "items": {"type": "string"}}}}},
            "names": {"type": "object", "additionalProperties": {"type": "string"}},
            "moved": {"type": "array", "items": {"type": "object", "required": ["input", "label", "value", "range"]}},
        },
    }


def scenario_schema() -> dict[str, Any]:
    """The schema of the scenario format, as the readers accept it (numbers may be bare)."""
    schema = Scenario.model_json_schema()
    quantity = {"anyOf": [{"type": "number"}, {"type": "object", "required": ["value"]}]}
    # the compact notation: one mapping per issue, actor -> [position, salience] or a stance mapping
    compact = {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {"anyOf": [
        {"type": "array", "prefixItems": [quantity, quantity], "minItems": 2, "maxItems": 2},
        {"type": "object", "required": ["position", "salience"],
         "properties": {"position": quantity, "salience": quantity, "source": {"type": "string"},
                        "assumption": {"type": "string"}}, "additionalProperties": False}]}}}
    schema["properties"]["stances"] = {"anyOf": [schema["properties"]["stances"], compact],
                                       "title": "Stances", "description": "a list of stances, or one mapping per issue"}
    return {"$schema": DRAFT, "$id": "https://tertius.invalid/schemas/scenario.json", "version": __version__, **schema}


SCHEMAS = {"scenario": scenario_schema, "results": results_schema, "summary": summary_schema}

__all__ = ["SCHEMAS", "results_schema", "scenario_schema", "summary_schema"]
