"""Probabilities of a third party's options, and the parameters fitted on decision tables.

A third party's options get probabilities by the logit (quantal response; McKelvey & Palfrey
1995) with a constant α for taking up arms (the mean of the unobserved utility of going to war,
as in a conditional logit; McFadden 1974, Signorino 1999):
P(o) = exp(λ EU(o) + α [o joins a side]) / Σ_o' exp(λ EU(o') + α [o' joins a side]), with the
others at the selected equilibrium. λ ("precision"), α ("join_constant") and the fixed cost used
where a table has no costs were fitted by
``scripts/fit_thirdparty.py`` on the training tables (docs/thirdparty-data.md) and ship in
``fitted.json`` beside this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tertius.conflict.war import OPTIONS, UNAVAILABLE
from tertius.scenario import OPTION_TABLE

#: The classes of the decision tables, and the options that count as each (the side an option
#: joins, from :data:`tertius.scenario.OPTION_TABLE`; "none" for the options that join no side).
CLASSES = ("A", "B", "none")
CLASS_OF = {o.code: o.joins.upper() if o.joins else "none" for o in OPTION_TABLE}


@cache
def fitted() -> dict[str, Any]:
    """The parameters fitted on the training tables (precision, cost, base rates, provenance)."""
    text = (resources.files("tertius.conflict") / "fitted.json").read_text(encoding="utf-8")
    return json.loads(text)


#: The game's setting and logit selected on the bundled casebook (``scripts/fit_casebook.py``;
#: docs/casebook.md, "Scoring"), read by :func:`casebook_fitted`.
CASEBOOK_FITTED = Path(__file__).with_name("casebook_fit.json")


@cache
def _casebook_fit_text() -> str:
    return CASEBOOK_FITTED.read_text(encoding="utf-8")


def casebook_fitted() -> dict[str, Any]:
    """The setting selected on the bundled casebook (join cost, pivotal deterrence, convening),
    the logit fitted there, and the sha256 of each case file it was selected on: a fresh copy
    each call, of a file read once per process (an analysis asks for it in every phase)."""
    return dict(json.loads(_casebook_fit_text()))


def casebook_setting() -> dict[str, Any]:
    """The setting of the game selected on the bundled casebook: ``join_cost``, ``pivotal`` and
    ``convening`` of :func:`casebook_fitted` (docs/casebook.md, "Scoring")."""
    fit = casebook_fitted()
    return {"join_cost": float(fit["join_cost"]), "pivotal": bool(fit["pivotal"]), "convening": bool(fit["convening"])}


def is_casebook_setting(setting: Mapping[str, Any]) -> bool:
    """Whether a game's setting (``join_cost``, ``pivotal``, ``convening``; other keys ignored) is
    the one selected on the casebook."""
    return {k: setting[k] for k in ("join_cost", "pivotal", "convening")} == casebook_setting()


def game_logit(setting: Mapping[str, Any]) -> dict[str, float]:
    """The game logit's parameters (``precision``, ``join_constant``, ``broker_constant``) for a
    game played at ``setting`` (``join_cost``, ``pivotal``, ``convening``): at the setting selected
    on the casebook, the logit fitted on the casebook at that setting (docs/casebook.md, "The logit
    of the selected setting"), whose option values carry its join cost; elsewhere the tables'
    (``fitted.json``, which has no broker constant)."""
    if is_casebook_setting(setting):
        fit = casebook_fitted()["logit"]
        return {k: float(fit[k]) for k in ("precision", "join_constant", "broker_constant")}
    tables = fitted()
    return {"precision": float(tables["precision"]), "join_constant": float(tables["join_constant"]),
            "broker_constant": 0.0}


#: Which options take up arms (they carry the constant α).
JOINS = np.array([CLASS_OF[o] != "none" for o in OPTIONS])
#: Which option is brokering (it carries the constant β of the casebook's logit, docs/casebook.md;
#: the tables record brokering and staying neutral as one class, so their fit has no β).
BROKERS = np.array([o == "broker" for o in OPTIONS])


def probabilities(values: np.ndarray, precision: float | None = None, join_constant: float | None = None,
                  broker_constant: float = 0.0) -> np.ndarray:
    """Logit probabilities of the options (last axis, :data:`OPTIONS` order), with the constant
    ``broker_constant`` (β) on brokering where a fit has one (the tables' has not: 0). An option the
    third party does not have (value :data:`~tertius.conflict.war.UNAVAILABLE`: brokering without
    a stake or a declared instrument) gets exactly 0, whatever λ."""
    lam = fitted()["precision"] if precision is None else precision
    alpha = fitted()["join_constant"] if join_constant is None else join_constant
    values = np.asarray(values, dtype=float)
    open_ = values > UNAVAILABLE / 2
    z = np.where(open_, lam * values + alpha * JOINS + broker_constant * BROKERS, -np.inf)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def as_classes(p: np.ndarray) -> np.ndarray:
    """Option probabilities (..., options) as the tables' classes (..., 3): A, B, none."""
    return np.stack([p[..., [k for k, o in enumerate(OPTIONS) if CLASS_OF[o] == c]].sum(-1) for c in CLASSES], axis=-1)


def call_scores(tp: int, called: int, actual: int) -> dict[str, Any]:
    """Precision, recall and F1 of join calls: ``tp`` right calls of ``called``, ``actual`` joiners."""
    precision = tp / called if called else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"calls": called, "right": tp, "precision": precision, "recall": recall, "f1": f1}


__all__ = ["BROKERS", "CASEBOOK_FITTED", "CLASSES", "CLASS_OF", "as_classes", "call_scores", "casebook_fitted",
           "casebook_setting", "fitted", "game_logit", "is_casebook_setting", "probabilities"]
