"""Conflicts and third parties: who wins a fight, and whether to join, stay out or broker."""

from __future__ import annotations

from typing import Any

import numpy as np

from tertius.conflict.thirdparty import (
    OPTIONS, build_war, evaluate, explain, open_issues, phases_of, rank_shares, settlement_under, table_to_dict, third_parties_of,
)
from tertius.errors import InputError
from tertius.scenario import Scenario

DEFAULT_DRAWS = 1000


def broker(scenario: Scenario, third_party: str | None = None, draws: int = DEFAULT_DRAWS,
           seed: int = 0) -> dict[str, Any]:
    """The third-party analysis of every phase: option tables, explanations, the share of
    perturbed inputs in which each option ranks first, and, where the scenario records the
    option a third party actually took, the settlement it leads to against the observed one."""
    if scenario.conflict is None:
        raise InputError(f"scenario '{scenario.id}' declares no conflict",
                         fix="add a 'conflict:' section (see 'tertius schema'), or pick a scenario that has one")
    phases = []
    for p_index, phase in enumerate(phases_of(scenario)):
        war = build_war(scenario, phase)
        parties = third_parties_of(scenario, phase)
        if third_party is not None:
            if third_party not in parties:
                raise InputError(f"'{third_party}' is not a third party of this conflict",
                                 fix=f"use one of: {', '.join(parties)}")
            parties = [third_party]
        tables = []
        for t_index, tp in enumerate(parties):
            table = evaluate(war, tp, phase.id if phase else None)
            item = table_to_dict(war, table, explain(war, table))
            # one seed per (phase, third party), derived from the user's seed
            item["perturbation"] = {
                "draws": draws, "seed": seed,
                "first": rank_shares(war, tp, draws, seed=np.random.SeedSequence([seed, p_index, t_index])
                                     .generate_state(1)[0]) if draws > 0 else {},
            }
            actual = phase.actual.get(tp) if phase is not None else None
            if actual is not None and table.options[actual].feasible:
                forecast = settlement_under(table, actual)
                observed = dict(phase.observed) if phase is not None else {}
                rows = []
                settled = open_issues(war, war.actor_ids.index(tp))
                for k, issue_id in enumerate(war.issue_ids):
                    if not settled[k]:  # this phase's war or deal does not settle the issue
                        continue
                    q = observed.get(issue_id) or scenario.issue(issue_id).observed
                    obs = None if q is None else q.value
                    span = war.hi[k] - war.lo[k]
                    rows.append({"issue": issue_id, "forecast": float(forecast[k]), "observed": obs,
                                 "error": None if obs is None else float(forecast[k] - obs),
                                 "abs_error_pct": None if obs is None else float(abs(forecast[k] - obs) / span * 100)})
                scored = [r["abs_error_pct"] for r in rows if r["abs_error_pct"] is not None]
                item["actual"] = {"option": actual, "settlement": rows,
                                  "mae": float(np.mean(scored)) if scored else None}
            tables.append(item)
        phases.append({
            "id": phase.id if phase else None,
            "name": (phase.name or phase.id) if phase else "",
            "sides": list(war.side_names),
            "strength": {a: float(x) for a, x in zip(war.actor_ids, war.strength, strict=True)},
            "third_parties": tables,
        })
    return {"scenario": scenario.id, "options": list(OPTIONS), "phases": phases}


__all__ = ["OPTIONS", "broker", "build_war", "evaluate", "explain"]
