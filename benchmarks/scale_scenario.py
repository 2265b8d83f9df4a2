"""Write a large, valid scenario for the speed benchmarks: N actors on M issues, seeded.

Run: ``python benchmarks/scale_scenario.py OUT.json [--actors 600] [--issues 3] [--seed 0]
[--third-parties 52 [--side-size 4]]``. With ``--third-parties`` the scenario also has a
``conflict:`` section in the shape of the default scenario's (second_opium_war.yaml): two sides,
the stakes, the third parties, each actor's distance to the theatre, costs of fighting and of
brokering, the loser's weight and exclusive issues (with a status quo), for ``tertius broker``.
Every number is a synthetic benchmark input (uniform draws from a seeded generator), and each
says so in its source or assumption: the file measures speed and memory, it forecasts nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def scale_scenario(actors: int, issues: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    src = f"assumption: synthetic benchmark input, benchmarks/scale_scenario.py seed {seed}"
    actor_ids = [f"a{i:04d}" for i in range(actors)]
    issue_ids = [f"issue{k}" for k in range(issues)]
    capability = rng.uniform(0.05, 1.0, actors)
    position = rng.uniform(0.0, 100.0, (actors, issues))
    salience = rng.uniform(0.05, 1.0, (actors, issues))
    return {
        "id": f"scale-{actors}x{issues}",
        "title": f"Synthetic scenario for the speed benchmarks: {actors} actors, {issues} issues",
        "sources": {"synthetic": src},
        "salience_scale": 1.0,
        "actors": [{"id": a, "name": a, "capability": {"value": round(float(c), 6), "source": src}}
                   for a, c in zip(actor_ids, capability, strict=True)],
        "issues": [{"id": k, "description": "synthetic issue", "scale": {"min": 0, "max": 100}} for k in issue_ids],
        "stances": [{"actor": a, "issue": k, "position": {"value": round(float(position[i, j]), 4), "source": src},
                     "salience": {"value": round(float(salience[i, j]), 4), "source": src}}
                    for i, a in enumerate(actor_ids) for j, k in enumerate(issue_ids)],
    }


def add_conflict(scenario: dict[str, Any], third_parties: int, side_size: int, seed: int) -> dict[str, Any]:
    """The scenario with a ``conflict:`` section: the first ``side_size`` actors are side A, the
    next ``side_size`` side B, the next ``third_parties`` the third parties; every issue is a stake,
    the first half of them exclusive, and each issue gets a status quo."""
    actor_ids = [a["id"] for a in scenario["actors"]]
    need = 2 * side_size + third_parties
    if side_size < 1 or third_parties < 0 or need > len(actor_ids):
        raise SystemExit(f"--side-size {side_size} and --third-parties {third_parties} need {need} actors; "
                         f"the scenario has {len(actor_ids)}: use more --actors")
    rng = np.random.default_rng([seed, 1])  # a stream of its own: the plain scenario stays as it was
    why = f"synthetic benchmark assumption, benchmarks/scale_scenario.py seed {seed}"
    miles = rng.uniform(0.0, 8000.0, len(actor_ids))
    for a, d in zip(scenario["actors"], miles, strict=True):
        a["distance"] = {"value": round(float(d), 1), "assumption": why}
    issue_ids = [i["id"] for i in scenario["issues"]]
    for i, sq in zip(scenario["issues"], rng.uniform(0.0, 100.0, len(issue_ids)), strict=True):
        i["status_quo"] = {"value": round(float(sq), 4), "assumption": why}
    side_a, side_b = actor_ids[:side_size], actor_ids[side_size:2 * side_size]
    third = actor_ids[2 * side_size:need]
    fighting = side_a + side_b + third
    costs = rng.uniform(0.02, 0.2, len(fighting))
    broker_costs = rng.uniform(0.02, 0.2, len(third))
    scenario["id"] += f"-conflict{third_parties}"
    scenario["title"] += f", a war with {third_parties} third parties"
    scenario["conflict"] = {
        "side_a": {"name": "side A", "actors": side_a},
        "side_b": {"name": "side B", "actors": side_b},
        "stakes": issue_ids,
        "third_parties": third,
        "contest": "war-trap",
        "miles_per_day": 250,
        "costs": {a: {"value": round(float(c), 4), "assumption": why} for a, c in zip(fighting, costs, strict=True)},
        "broker_costs": {a: {"value": round(float(c), 4), "assumption": why}
                         for a, c in zip(third, broker_costs, strict=True)},
        "loser_weight": {"value": 0.1, "assumption": why},
        "exclusive": issue_ids[:len(issue_ids) // 2],
    }
    return scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--actors", type=int, default=600)
    ap.add_argument("--issues", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--third-parties", type=int, default=None, help="add a conflict with this many third parties")
    ap.add_argument("--side-size", type=int, default=4, help="actors on each side of the conflict")
    args = ap.parse_args()
    scenario = scale_scenario(args.actors, args.issues, args.seed)
    if args.third_parties is not None:
        scenario = add_conflict(scenario, args.third_parties, args.side_size, args.seed)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(scenario))
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
