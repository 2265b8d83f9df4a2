"""Fit the third-party choice model on the training tables and write its coefficients into the package.

    .venv/bin/python scripts/fit_choice.py [--shared ../shared] [--check]

Both training tables together (COW wars, MID disputes), every recorded third party a row. Two
fits (docs/choicemodel.md): the plain side-symmetric logit on the tables' covariates
(``plain``, the declared baseline) and the model with the game's terms (``theory``), at the
shipped cost of ``fitted.json`` on the tables, fitted on the tables and the casebook's recorded
decisions together (``casebook/``; groups: wars, disputes and cases). The ridge penalty is
chosen by 3-fold cross-validation grouped by war, dispute or case (seed 0), its log loss
averaged over ``cm.INNER_REPEATS`` deals of the groups into folds: α for the covariates
with the game's terms left out, then, at that α, the game's join terms' own penalty (or none of
them; docs/choicemodel.md, "Fitting"); the call threshold
by the F1 of the join calls on the training rows; standard errors come from the penalised
Hessian. Writes ``src/tertius/conflict/choicemodel.json`` with the files' sha256 and the tables'
year range. ``--check`` refits and fails if the shipped
coefficients differ by more than 1e-4 (relative).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from tertius.conflict import choicemodel as cm
from tertius.conflict.choice import fitted
from tertius.conflict.score import choice_design, sha256, solve
from tertius.io import load_scenario
from tertius.io.thirdparty_table import read_decision_table

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "tertius" / "conflict" / "choicemodel.json"
TABLES = {"war": "cow-third-party/train.csv", "dispute": "mid-third-party/train.csv"}
SEED = 0


def refit(data: Path) -> dict[str, Any]:
    """The shipped file's content, refitted from the tables under ``data``."""
    cases, files = [], {}
    for layout, rel in TABLES.items():
        path = data / rel
        got, table = read_decision_table(path)
        assert got == layout, (path, got)
        years = [int(c.info["start_year"]) for c in table if "start_year" in c.info]
        files[layout] = {"file": f"shared/data/{rel}", "sha256": sha256(path),
                         "years": [min(years), max(years)] if years else None, "groups": len(table),
                         "rows": sum(len(c.joined) for c in table)}
        cases.extend((layout, c) for c in table)
    groups = [f"{layout}/{c.group}" for layout, c in cases for _ in c.joined]
    cost = fitted()["cost"]
    plain = replace(choice_design(None, [c for _, c in cases]), groups=groups)
    theory = replace(choice_design([solve(c, cost) for _, c in cases], [c for _, c in cases]), groups=groups)
    book = sorted((ROOT / "casebook").glob("*.yaml"))
    casebook = cm.casebook_design([load_scenario(f) for f in book])
    files["casebook"] = {"files": {f"casebook/{f.name}": sha256(f) for f in book}, "rows": len(casebook.rows),
                         "groups": len(set(casebook.groups))}
    theory = cm.concat([theory, casebook])
    out: dict[str, Any] = {"cost": cost, "seed": SEED, "inner_k": cm.INNER_K, "inner_repeats": cm.INNER_REPEATS,
                           "alphas": list(cm.ALPHAS),
                           "game_alphas": [g if math.isfinite(g) else "left out" for g in cm.GAME_ALPHAS],
                           "fitted_on": files,
                           "method": "docs/choicemodel.md: two-stage conditional logit (take up arms and which side; "
                                     "then how to stay out), side-symmetric, ridge penalties by CV grouped by "
                                     "war or dispute, trust-region Newton (scipy)"}
    for name, d in (("plain", plain), ("theory", theory)):
        model = cm.fit_selected(d, cm.INNER_K, SEED)
        model["coefficients"] = cm.coefficients(model)
        out[name] = model
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--check", action="store_true", help="refit and compare with the shipped file")
    args = ap.parse_args()
    out = refit(Path(args.shared) / "data")
    if args.check:
        old = json.loads(TARGET.read_text())
        same = all(abs(a - b) <= 1e-4 * (1 + abs(b)) for name in ("plain", "theory")
                   for a, b in zip(old[name]["beta"], out[name]["beta"], strict=True))
        print("choicemodel.json matches a refit" if same else "choicemodel.json differs from a refit")
        return 0 if same else 1
    from tertius.io.files import write_text_atomic

    write_text_atomic(TARGET, json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(json.dumps({name: out[name]["coefficients"] for name in ("plain", "theory")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
