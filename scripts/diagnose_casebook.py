"""Why recorded brokers and joiners come out neutral in the casebook (issue 18, docs/thirdparty.md,
"Why the misses come out neutral").

    .venv/bin/python scripts/diagnose_casebook.py casebook/ [--join-cost C --pivotal --convening] [--all]

Reads the case files only. Each case is played at its fold's variant of the leave-one-case-out
cross-validation (:func:`tertius.conflict.casebook.cross_validate`: the join cost, pivotal
deterrence and the prestige of convening chosen on the other cases), or at the variant given with
``--join-cost``/``--pivotal``/``--convening``.
For every recorded decision whose selected option is ``neutral`` while the record is a broker or a
joiner (every decision with ``--all``), it prints the four option values at the selected
equilibrium (the others held at their selected options), the terms of the recorded option, the
cause that makes staying out beat it, and whether the recorded option is a best reply when the
other third parties do what they did (``best_reply_at_recorded_profile``). Everything is computed by the library
(:func:`tertius.conflict.equilibrium.solve`, :func:`tertius.conflict.game.option_values`, the
:class:`tertius.conflict.game.Play` of each deviation); the causes are counterfactuals of the same
functions (the costs set to zero) or read off the play (leverage, acceptance, π). Prints JSON.

The causes, tested in this order:

brokers
  * ``not-open``: no stake and no declared instrument (``may_broker`` false);
  * ``refused-threat-join-cost``: the deal is refused, and the armed brokers' pivotal threat
    (Crawford 2003) would make it hold (π > 0) with the fixed cost of taking up arms at 0: the join
    cost takes away the credibility of the threat to join against the side that refuses;
  * ``refused``: the deal is refused (some belligerent prefers its war value; with pivotal
    deterrence, its value of the war against the brokers where that threat is credible), and no
    pivotal threat makes it hold even at join cost 0;
  * ``blocked``: a declared channel (Burt 1992's structural hole) stays out, so no broker's deal
    forms;
  * ``no-leverage``: the deal would be accepted but its chance of holding π is 0 (a joining swing
    of 0: a decided war, costs of fighting at or above its stake, or too weak and far);
  * ``settled-without``: the sides do better settling without the broker, so it gets no share;
  * ``deal-worse``: the deal is no better for the broker than the war (peace value included);
  * ``cost``: the deal's gain π (u(deal) − V(war)) does not cover its costs of brokering
    (with the costs at zero, brokering would beat staying out);
  * ``neutral-paid``: staying out is paid a price (the wedge) worth more than the deal;
  * ``other``: none of the above.

joiners
  * ``neutral-paid``: staying out is paid (a price for its neutrality, or a price paid to another
    third party on an issue it cares about) more than what joining gains;
  * ``join-cost``: joining beats staying out with the fixed cost of taking up arms at 0;
  * ``join-cost-then-paid``: with the join cost at 0 its threat to join becomes credible, and a side
    buys its neutrality (the wedge), which then beats joining;
  * ``fighting-cost``: joining beats staying out with its declared costs of fighting at 0 as well;
  * ``decided-no-seat``: the war is decided for the side it would join: joining the victor earns
    no seat at the table;
  * ``no-gain``: even without costs, joining gains nothing over staying out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tertius.conflict.casebook import case_files, cross_validate
from tertius.conflict.equilibrium import solve
from tertius.conflict.game import Play, option_values
from tertius.conflict.war import BROKER, CHANNEL, NEUTRAL, OPTIONS, SIDE_A, SIDE_B, War, build_war, may_broker, phases_of
from tertius.forecast import closeness
from tertius.io import load_scenario
from tertius.scenario import Scenario

#: Below this an option's value difference is a tie.
EPS = 1e-9


def _u(war: War, outcome: np.ndarray, i: int) -> float:
    """Actor i's utility for ``outcome`` (m,) as a party to it (docs/thirdparty.md, step 1)."""
    x, s = war.position[0, i], war.salience[0, i]
    c = closeness(x, outcome, war.span)
    return float(np.where((s > 0) & ~np.isnan(c), s * np.nan_to_num(c), 0.0).sum())


def _at(play: Play, row: int) -> dict[str, Any]:
    return {"pi": float(play.pi[0, row]), "accepted": bool(play.accepted[0, row]),
            "settled_without": bool(play.settled_without[0, row]), "p_a": float(play.p_a[0, row])}


def _broker_terms(war: War, play: Play, row: int, k: int, profile: np.ndarray) -> dict[str, Any]:
    """The terms of third party k's brokering (deviation row ``row`` of ``play``)."""
    t = _at(play, row)
    stake = float(war.salience[0, k].sum())
    t["open"] = bool(may_broker(war)[0, k])
    t["leverage"] = float(play.leverage[0, row, k])
    t["broker_cost"] = float(war.broker_cost[k] * stake)
    t["peace_value"] = float(war.peace_value[k])
    t["war_value"] = float(play.war_value[0, row, k])
    deal = play.deal[0, row]
    roles = play.roles[0, row]
    fight = np.isin(roles, (SIDE_A, SIDE_B))
    if np.isnan(deal).all():
        t["u_deal"], t["refusers"] = None, []
        return t
    t["u_deal"] = _u(war, deal, k)  # the deal as it would be if accepted
    channel = (war.broker_kind == CHANNEL) & war.third
    t["blocked"] = bool((channel & (roles != BROKER)).any() and not (channel & (roles == BROKER)).any())
    t["refusers"] = [
        {"actor": war.actor_ids[i], "margin": round(_u(war, deal, i) - float(play.war_value[0, row, i]), 4)}
        for i in np.nonzero(fight)[0] if _u(war, deal, i) < float(play.war_value[0, row, i]) - 1e-9]
    t["others_brokering"] = [war.actor_ids[i] for i in np.nonzero(profile[0] == BROKER)[0] if i != k]
    return t


def _broker_cause(war: War, t: dict[str, Any], vals: np.ndarray, zero_cost: np.ndarray) -> str:
    if not t["open"]:
        return "not-open"
    if t["pi"] <= 0:
        if t["u_deal"] is None or t["blocked"]:
            return "blocked"
        if not t["accepted"]:
            return "refused-threat-join-cost" if t["pi_pivotal_join_cost_0"] > 0 else "refused"
        return "no-leverage"
    if t["settled_without"]:
        return "settled-without"
    if t["u_deal"] + t["peace_value"] <= t["war_value"] + EPS:
        return "deal-worse"
    if zero_cost[BROKER] > zero_cost[NEUTRAL] + EPS:
        return "cost"
    return "neutral-paid" if vals[NEUTRAL] > t["war_value"] + EPS else "other"


def _values(war: War, profile: np.ndarray, j: int) -> tuple[np.ndarray, Play]:
    vals, play = option_values(war, profile)
    return vals[0, j], play


def _join_cause(war: War, profile: np.ndarray, j: int, o: int, vals: np.ndarray, play: Play
                ) -> tuple[str, dict[str, Any]]:
    """Why staying out beats joining (option ``o``) for third party j: counterfactuals of the same
    game with the fixed cost of taking up arms at 0, then the declared costs of fighting at 0 too."""
    k = war.index(war.third_ids[j])
    free, fplay = _values(replace(war, join_cost=0.0), profile, j)
    costless, _ = _values(replace(war, join_cost=0.0, cost=np.zeros_like(war.cost)), profile, j)
    row = 4 * j + NEUTRAL
    terms = {"value_at_join_cost_0": [round(float(v), 4) for v in free],
             "value_without_costs": [round(float(v), 4) for v in costless],
             "neutral_paid": round(float(vals[NEUTRAL] - play.war_value[0, row, k]), 4),
             "neutral_paid_at_join_cost_0": round(float(free[NEUTRAL] - fplay.war_value[0, row, k]), 4),
             "decided_for": {0: None, SIDE_A: "a", SIDE_B: "b"}[war.won_by]}
    if terms["neutral_paid"] > EPS:
        return "neutral-paid", terms
    if free[o] > free[NEUTRAL] + EPS:
        return "join-cost", terms
    if terms["neutral_paid_at_join_cost_0"] > EPS and free[o] > fplay.war_value[0, row, k] + EPS:
        return "join-cost-then-paid", terms
    if costless[o] > costless[NEUTRAL] + EPS:
        return "fighting-cost", terms
    if war.won_by == o:
        return "decided-no-seat", terms
    return "no-gain", terms


def diagnose_phase(scenario: Scenario, phase: Any, join_cost: float, pivotal: bool, every: bool,
                   convening: bool = False) -> list[dict[str, Any]]:
    war = replace(build_war(scenario, phase), join_cost=join_cost, pivotal=pivotal, convening=convening)
    sol = solve(war)
    profile = sol.profile
    vals, play = option_values(war, profile)
    zero = option_values(replace(war, broker_cost=np.zeros_like(war.broker_cost)), profile)[0]
    third = war.third_ids
    out = []
    for t_id, recorded in phase.actual.items():
        if t_id not in third:
            continue
        j, k = third.index(t_id), war.index(t_id)
        selected = OPTIONS[profile[0, k]]
        miss = recorded != "neutral" and selected == "neutral"
        if not (miss or every):
            continue
        o = OPTIONS.index(recorded)
        row = {"case": scenario.id, "phase": phase.id, "third_party": t_id, "recorded": recorded,
               "selected": selected, "join_cost": join_cost, "pivotal": pivotal, "convening": convening,
               "converged": bool(sol.ok[0]),
               "method": sol.label(0),
               "values": {OPTIONS[q]: round(float(vals[0, j, q]), 4) for q in range(len(OPTIONS))},
               "profile": {a: OPTIONS[profile[0, war.index(a)]] for a in third}, "cause": None}
        rec = profile.copy()
        for a, opt in phase.actual.items():
            if a in third:
                rec[0, war.index(a)] = OPTIONS.index(opt)
        at_record = option_values(war, rec)[0][0, j]
        row["values_at_recorded_profile"] = {OPTIONS[q]: round(float(at_record[q]), 4) for q in range(len(OPTIONS))}
        row["best_reply_at_recorded_profile"] = bool(at_record[o] >= at_record.max() - EPS)
        if recorded == "broker":
            terms = _broker_terms(war, play, 4 * j + BROKER, k, profile)
            threat = option_values(replace(war, join_cost=0.0, pivotal=True), profile)[1]
            terms["pi_pivotal_join_cost_0"] = float(threat.pi[0, 4 * j + BROKER])
            row["terms"] = terms
            row["cause"] = _broker_cause(war, terms, vals[0, j], zero[0, j]) if miss else None
        elif recorded in ("join-a", "join-b"):
            cause, terms = _join_cause(war, profile, j, o, vals[0, j], play)
            row["terms"] = terms
            row["cause"] = cause if miss else None
        out.append(row)
    return out


def diagnose(folder: Path, join_cost: float | None = None, pivotal: bool = False, every: bool = False,
             convening: bool = False) -> dict[str, Any]:
    scenarios = [load_scenario(f) for f in case_files(folder)]
    if join_cost is None:
        cv = cross_validate(scenarios)
        variant = {s.id: (cv["join_cost"][s.id], cv["pivotal"][s.id], cv["convening"][s.id]) for s in scenarios}
    else:
        variant = {s.id: (join_cost, pivotal, convening) for s in scenarios}
    rows = []
    for s in scenarios:
        for phase in phases_of(s):
            if phase is not None and phase.actual:
                c, p, v = variant[s.id]
                rows.extend(diagnose_phase(s, phase, c, p, every, v))
    causes = Counter((r["recorded"] if r["recorded"] == "broker" else "join", r["cause"])
                     for r in rows if r["cause"])
    table = [{"recorded": rec, "cause": cause, "count": n,
              "decisions": [f"{r['case']}/{r['phase']}/{r['third_party']}" for r in rows
                            if r["cause"] == cause and (r["recorded"] == "broker") == (rec == "broker")]}
             for (rec, cause), n in sorted(causes.items(), key=lambda kv: (kv[0][0], -kv[1]))]
    return {"causes": table, "decisions": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--join-cost", type=float, default=None, help="a fixed variant instead of the folds'")
    ap.add_argument("--pivotal", action="store_true", help="with --join-cost: pivotal deterrence on")
    ap.add_argument("--convening", action="store_true", help="with --join-cost: the prestige of convening on")
    ap.add_argument("--all", action="store_true", help="every recorded decision, not only the misses to neutral")
    a = ap.parse_args(argv)
    json.dump(diagnose(a.folder, a.join_cost, a.pivotal, a.all, a.convening), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
