"""Write a large, valid scenario for the speed benchmarks: N actors on M issues, seeded.

Run: ``python benchmarks/scale_scenario.py OUT.json [--actors 600] [--issues 3] [--seed 0]``.
Every number is a synthetic benchmark input (uniform draws from a seeded generator), and each
says so in its source: the file measures speed and memory, it forecasts nothing.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--actors", type=int, default=600)
    ap.add_argument("--issues", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    args.out.write_text(json.dumps(scale_scenario(args.actors, args.issues, args.seed)))


if __name__ == "__main__":
    main()
