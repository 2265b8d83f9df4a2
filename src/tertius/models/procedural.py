"""A spatial model of the EU legislative procedure, and capabilities derived from the rules.

``procedural`` (one issue at a time, on its own scale, from the reference point q):

* The Council's qualified-majority win set of q: a member prefers x to q when x is closer to its
  position. Sorting the members by position from the top, the pivot p_hi is the member at which
  their votes first reach the threshold; every x in (q, 2 p_hi - q) beats q for a qualified
  majority, and likewise below with p_lo. Under unanimity the threshold is all the votes. Members
  without a stated position abstain, and the threshold is taken as the same share of the votes of
  the members that take one.
* Co-decision: the Parliament must also prefer the outcome to q (its win set is the interval from
  q to 2 ep - q). Consultation: the Council can amend a proposal by unanimity, so the outcome lies
  between the most extreme members (the unanimity core).
* The Commission proposes the point of the resulting set closest to its own position; with no
  such point, q stays.

Steunenberg (1994), "Decision making under different institutional arrangements: legislation
by the European Community", *JITE* 150; Tsebelis & Garrett (1996, 2000), *International
Organization* 54(1); Crombez (1996), "Legislative procedures in the European Community", *BJPolS*
26. Without a reference point (or a procedure) the forecast is the Council's vote-weighted median,
the point a qualified majority can always be assembled around (documented fallback).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tertius.forecast import Forecast, utilities
from tertius.institutions import capabilities as rule_weights
from tertius.models.central import weighted_median
from tertius.models.registry import register
from tertius.scenario import Actor, Quantity, Scenario


def with_rule_capabilities(scenario: Scenario, index: str = "shapley", institutions: str = "institutional") -> Scenario:
    """A copy of the scenario whose capabilities come from its procedure's rules
    (:func:`tertius.institutions.capabilities`); unchanged when it declares no procedure."""
    p = scenario.procedure
    if p is None or not p.council:
        return scenario
    caps = rule_weights(scenario.actor_ids, p.council, p.quota if p.rule == "qmv" else None, p.kind, index,
                        institutions)
    note = f"{index} index of the Council votes in force ({p.source}); Commission and Parliament: {institutions}"
    actors = [Actor(**{**a.model_dump(), "capability": Quantity(value=float(c), source=note)})
              for a, c in zip(scenario.actors, caps, strict=True)]
    return Scenario.model_validate({**scenario.to_data(), "actors": [a.model_dump() for a in actors]})


def _pivot(x: np.ndarray, w: np.ndarray, share: float, top: bool) -> float:
    order = np.argsort(-x if top else x, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.argmax(cum >= share * w.sum() - 1e-12))
    return float(x[order][k])


def procedure_outcome(x: np.ndarray, votes: np.ndarray, q: float, share: float, proposer: float | None,
                      chamber: float | None, consultation: bool) -> float:
    """The outcome of one issue: positions ``x`` and votes of the Council members taking one."""
    hi, lo = _pivot(x, votes, share, True), _pivot(x, votes, share, False)
    upper = 2 * hi - q if hi > q else q
    lower = 2 * lo - q if lo < q else q
    if chamber is not None:
        upper = min(upper, max(q, 2 * chamber - q))
        lower = max(lower, min(q, 2 * chamber - q))
    if consultation:
        upper, lower = min(upper, max(x.max(), q)), max(lower, min(x.min(), q))
    if upper < lower:
        return q
    target = proposer if proposer is not None else float(weighted_median(x[:, None], votes[:, None])[0])
    return float(np.clip(target, lower, upper))


@register("procedural", summary="The EU legislative procedure: the Commission proposes within what a qualified "
                                "majority (or unanimity) and, under co-decision, the Parliament prefer to the "
                                "reference point.",
          citation="Steunenberg (1994); Tsebelis & Garrett (2000); Crombez (1996).",
          tags=("deterministic", "status-quo"))
def procedural(scenario: Scenario, params: dict[str, Any], rng: np.random.Generator) -> Forecast:
    arr = scenario.arrays
    p = scenario.procedure
    out = np.empty(len(arr.issue_ids))
    for i in range(len(arr.issue_ids)):
        present = arr.present[:, i]
        votes = np.array([float(p.council.get(a, 0)) if p is not None else 0.0 for a in arr.actor_ids])
        member = present & (votes > 0)
        q = arr.status_quo[i]
        if p is None or not member.any():
            w = arr.capability * arr.salience[:, i]
            out[i] = float(weighted_median(arr.position[:, i:i + 1], w[:, None])[0])
            continue
        x, v = arr.position[member, i], votes[member]
        if np.isnan(q):
            out[i] = float(weighted_median(x[:, None], v[:, None])[0])
            continue
        share = 1.0 if p.rule == "unanimity" else (p.quota or 0) / sum(p.council.values())
        pos = {a: arr.position[k, i] for k, a in enumerate(arr.actor_ids) if present[k]}
        out[i] = procedure_outcome(x, v, float(q), share, pos.get(p.proposer) if p.proposer else None,
                                   pos.get(p.chamber) if p.chamber else None, p.kind == "CNS")
    out = np.clip(out, arr.lo, arr.hi)
    return Forecast(scenario_id=scenario.id, actor_ids=tuple(arr.actor_ids),
                    issue_ids=tuple(arr.issue_ids), outcome=out, utility=utilities(arr, out), params=params)
