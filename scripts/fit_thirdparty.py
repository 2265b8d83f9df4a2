"""Fit the third-party analysis's two numbers on the training tables and write them into the package.

    .venv/bin/python scripts/fit_thirdparty.py [--shared ../shared] [--check]

Follows docs/thirdparty-data.md: 5-fold cross-validation grouped by war and dispute (seed 0)
for the scores (the choice model and the plain logit fitted, in each fold, on the tables' and the
casebook's training rows together, as ``scripts/fit_choice.py`` fits them, with the casebook's
held-out decisions scored apart), then the fit on all training rows, written to
``src/tertius/conflict/fitted.json`` with the tables' sha256 and the cross-validated scores.
``--check`` refits and fails if the shipped file differs (used by the tests' slow check).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tertius.conflict import choicemodel as cm
from tertius.conflict.score import COST_GRID, base_rates, cross_validate, fit, metrics, predict, sha256, solve
from tertius.io import load_scenario
from tertius.io.thirdparty_table import read_decision_table

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "tertius" / "conflict" / "fitted.json"
TABLES = {"war": "cow-third-party/train.csv", "dispute": "mid-third-party/train.csv"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--check", action="store_true", help="refit and compare with the shipped file")
    args = ap.parse_args()
    data = Path(args.shared) / "data"
    tables, files = {}, {}
    for layout, rel in TABLES.items():
        path = data / rel
        got, cases = read_decision_table(path)
        assert got == layout, (path, got)
        tables[layout], files[layout] = cases, {"file": f"shared/data/{rel}", "sha256": sha256(path)}
    book = sorted((ROOT / "casebook").glob("*.yaml"))
    casebook = cm.casebook_design([load_scenario(f) for f in book])
    cv = cross_validate(tables, k=5, seed=0, casebook=casebook)
    by_cost = {c: [solve(case, c) for cases in tables.values() for case in cases] for c in COST_GRID}
    params = fit(by_cost)
    in_sample = {}
    for layout, cases in tables.items():
        m = metrics(predict([solve(case, params["cost"]) for case in cases], params), base_rates(cases))
        in_sample[layout] = {k: m[k] for k in ("accuracy", "calls", "right", "f1", "log_loss", "brier", "auc")}
    out = {
        "precision": round(params["precision"], 6),
        "join_constant": round(params["join_constant"], 6),
        "train_f1": round(params["train_f1"], 6),
        "cost": params["cost"],
        "loglik": round(params["loglik"], 6),
        "base_rates": {layout: base_rates(cases) for layout, cases in tables.items()},
        "in_sample": in_sample,
        "fitted_on": files,
        "method": "docs/thirdparty-data.md (revision 2): the fixed cost on the grid "
                  f"{list(COST_GRID)} by the training F1 of the equilibrium's join calls, precision and "
                  "join constant by maximum likelihood; both tables together",
        "cross_validation": {"k": cv["k"], "seed": cv["seed"], "folds": cv["folds"],
                             "tables": {name: {which: {key: v[key] for key in (
                                 "n", "joiners", "accuracy", "precision", "recall", "f1", "sides", "log_loss",
                                 "base_log_loss", "brier", "base_brier", "auc") if key in v}
                                 for which, v in t.items() if which != "comparison"}
                                 | {"comparison": t["comparison"]} for name, t in cv["tables"].items()
                                 if name != "casebook"},
                             # the casebook's decisions, a third data set of the choice model's fit
                             "casebook": {**cv["tables"]["casebook"],
                                          "files": {f"casebook/{f.name}": sha256(f) for f in book}}},
    }
    text = json.dumps(out, indent=1, sort_keys=True) + "\n"
    if args.check:
        old = json.loads(TARGET.read_text())
        same = all(abs(old[k] - out[k]) <= 1e-5 * (1 + abs(out[k])) for k in ("precision", "join_constant", "cost"))
        print("fitted.json matches a refit" if same else f"fitted.json differs from a refit: {out}")
        return 0 if same else 1
    TARGET.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
