"""Record Decide's round 1 (decide-exchange-model 2025.3.1) as test fixtures for tertius.

Run with the interpreter of the virtual environment that ``benchmarks/bench_exchange.py``
builds (Python 3.13 with decide-exchange-model==2025.3.1)::

    benchmarks/.decide-venv/bin/python scripts/decide_reference.py ../shared/data/decide/input tests/data/decide

For each of CoP21, Copenhagen and the 2012 Dutch election it writes ``<set>.json`` with two
runs of round 1 of Decide's equal-gain model, ties broken without its coin flip
(``EqualGainModel.ALLOW_RANDOM = False``, so the first candidate in its sorted list wins):

* ``decide``: the release as it is;
* ``patched``: the same with its move-history bug (study section 5.4) patched in this driver:
  a candidate that shares a supplier with a realised exchange records the realised move in
  place of its own stale one.

Each run lists the realised exchanges in order (actors, supply issues, gain, start and voting
positions, and every third actor's externality with its inner/outer class, as Decide's
externality observer computes them), and the voting outcome after the round. Only Decide's
public classes are called; the patch is a replacement method written here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from decide.data.modelfactory import ModelFactory
from decide.data.reader import InputDataFile
from decide.model import base, calculations
from decide.model.equalgain import EqualGainModel

SETS = ("cop21", "copenhagen", "verkiezing_2012")
RELEASED = base.AbstractExchange.invalidate_exchange_by_supply


def realised_history(self, exchange) -> bool:
    """A candidate half whose supplier and supply issue are a realised exchange's takes that
    exchange's voting position, and its move list ends with the realised move (the release
    keeps its stale move instead); the caller then recalculates the candidate."""
    hits = {}
    for half in ("i", "j"):
        me = getattr(self, half)
        for other in (exchange.i, exchange.j):
            if me.equals_actor_supply_issue(other):
                me.supply.position = other.y
                hits[half] = other.moves[-1]
                break
    if hits:
        self.i.moves.pop()
        self.j.moves.pop()
        for half, move in hits.items():
            getattr(self, half).moves.append(move)
    return bool(hits)


def round1(path: Path, patched: bool) -> dict:
    base.AbstractExchange.invalidate_exchange_by_supply = realised_history if patched else RELEASED
    EqualGainModel.ALLOW_RANDOM = False
    model = ModelFactory(InputDataFile.open(path))(model_klass=EqualGainModel, randomized_value=0)
    model.calc_nbs()
    model.determine_positions()
    model.calc_combinations()
    model.determine_groups_and_calculate_exchanges()
    realised, records = [], []
    while model.exchanges:
        best = model.highest_gain()
        if best and best.is_valid:
            model.remove_invalid_exchanges(best)
            realised.append(best)
            key = model.create_existing_issue_set_key(best.p, best.q)
            inner = best.get_inner_groups()
            third = {}
            for actor in model.actors.values():
                if actor in (best.i.actor, best.j.actor):
                    continue
                if actor in model.actor_issues[best.p] and actor in model.actor_issues[best.q]:
                    third[actor.name] = [float(calculations.actor_externalities(actor, model, best)),
                                         bool(model.is_inner_group_member(actor, inner, key))]
            records.append({
                "i": best.i.actor.name, "i_supplies": best.i.supply.issue.name,
                "j": best.j.actor.name, "j_supplies": best.j.supply.issue.name,
                "gain": float(best.gain),
                "i_start": float(best.i.supply.position), "i_voting": float(best.i.y),
                "j_start": float(best.j.supply.position), "j_voting": float(best.j.y),
                "externalities": third,
            })
    for e in realised:  # the voting positions, as at the end of Decide's loop
        model.actor_issues[e.i.supply.issue][e.i.actor].position = e.i.y
        model.actor_issues[e.j.supply.issue][e.j.actor].position = e.j.y
    model.calc_nbs()
    return {"exchanges": records, "voting": {issue.name: float(v) for issue, v in model.nbs.items()}}


if __name__ == "__main__":
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    dst.mkdir(parents=True, exist_ok=True)
    for name in SETS:
        out = {"source": f"decide-exchange-model 2025.3.1, round 1 of {name}.csv, ALLOW_RANDOM = False; "
                          "written by scripts/decide_reference.py"}
        for variant in ("decide", "patched"):
            out[variant] = round1(src / f"{name}.csv", variant == "patched")
        (dst / f"{name}.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
