"""Benchmark: the equilibrium search where best response cycles, against plain enumeration.

Run: ``python benchmarks/bench_equilibrium.py``. On the casebook's first Balkan war (phase
``war-1912``, seven third parties, where iterated best response cycles), and on the same war with
an eighth third party added (Spain, with a capability share and no stances: benchmark input only,
an assumption, not a case), it times :func:`tertius.conflict.equilibrium.solve` (best response,
then dominance + enumeration among the third parties that matter, then the logit QRE) against
:func:`tertius.conflict.game.pure_equilibria` over all 4^T profiles, in the same process, and
prints both times, the ratio, and whether the two agree (the reported profile is one of the
enumerated equilibria, or none exists and the answer is the QRE).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bdm import best_of

from tertius.conflict.equilibrium import LOGIT_QRE, solve
from tertius.conflict.game import pure_equilibria
from tertius.conflict.war import build_war, phases_of
from tertius.io.yaml_io import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "casebook" / "first-balkan-war-london-1912.yaml"


def balkans(eighth: bool):
    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    if eighth:
        data["actors"].append({"id": "spain", "name": "Spain", "capability": {
            "value": 0.014, "assumption": "benchmark input only: a small eighth power with no stances"},
            "location": {"lat": 40.4168, "lng": -3.7038, "name": "Madrid", "source": "coordinates of the city"}})
        c = data["conflict"]
        c["third_parties"].append("spain")
        c["costs"]["spain"] = {"value": 0.1, "assumption": "as for the others"}
        c["broker_costs"]["spain"] = {"value": 0.05, "assumption": "as for the others"}
    s = scenario_from_data(data, file=CASE.name)
    return build_war(s, phases_of(s)[0])


def main() -> None:
    for eighth in (False, True):
        war = balkans(eighth)
        t = int(war.third.sum())
        third = np.nonzero(war.third)[0]
        sol = solve(war)
        fast = best_of(lambda war=war: solve(war), 3)
        start = time.perf_counter()
        roles, ne = pure_equilibria(war)
        slow = time.perf_counter() - start
        found = {tuple(int(x) for x in roles[p, third]) for p in np.nonzero(ne[0])[0]}
        agrees = (tuple(int(x) for x in sol.profile[0, third]) in found) if found else sol.method[0] == LOGIT_QRE
        print(f"first Balkan war 1912, {t} third parties: solve {fast:.2f} s ({sol.label(0)}), enumeration of "
              f"4^{t} = {4 ** t} profiles {slow:.2f} s ({len(found)} pure equilibria), ratio {slow / fast:.1f}x, "
              f"agree: {agrees}", flush=True)


if __name__ == "__main__":
    main()
