"""Forward splits of the training tables: the plain logit and the choice model fitted on the earlier
wars or disputes and scored on the later ones (docs/choicemodel.md, "Forward in time").

    .venv/bin/python scripts/forward_split.py [--shared ../shared] [--cut 1860 1870 1880 1890]

For each table and each cut year, the rows whose war or dispute starts in or before the cut are
the training rows and the later ones the test rows, so every test row is later than every training
row, as the held-back parts of the tables are. Each model is fitted as the shipped procedure fits
it on the tables (``choicemodel.fit_selected``: penalties by the grouped inner CV of the training
rows, game terms at the cost of ``fitted.json``), without the casebook. Prints JSON: per table and
cut, the rows and joiners on each side of the cut, and each model's log loss and AUC on the later
rows beside the earlier rows' base rates. A diagnostic: nothing shipped is chosen on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tertius.conflict import choicemodel as cm
from tertius.conflict.choice import fitted
from tertius.conflict.score import auc, choice_design, solve
from tertius.io.thirdparty_table import Case, read_decision_table

ROOT = Path(__file__).resolve().parents[1]
TABLES = {"war": "cow-third-party/train.csv", "dispute": "mid-third-party/train.csv"}


def _design(layout: str, cases: list[Case], theory: bool, cost: float) -> cm.Design:
    d = choice_design([solve(c, cost) for c in cases] if theory else None, cases)
    return replace(d, groups=[f"{layout}/{c.group}" for c in cases for _ in c.joined])


def _score(train: cm.Design, test: cm.Design) -> dict[str, Any]:
    model = cm.fit_selected(train, cm.INNER_K, 0, errors=False)
    keep = test.y >= 0
    p = cm.class_probabilities(cm.option_probabilities(test.take(keep), model))
    joined = test.y[keep] < 2
    return {"log_loss": cm.log_loss(test, model), "auc": auc(p[:, 0] + p[:, 1], joined),
            "game_alpha": model.get("game_alpha")}


def split(layout: str, table: list[Case], cut: int, cost: float) -> dict[str, Any]:
    early = [c for c in table if int(c.info.get("start_year", 0)) <= cut]
    late = [c for c in table if int(c.info.get("start_year", 0)) > cut]
    codes = {"A": 0, "B": 1, "none": 2}
    y_early = np.array([codes[c.joined[t]] for c in early for t in c.joined if c.joined[t]], dtype=int)
    y_late = np.array([codes[c.joined[t]] for c in late for t in c.joined if c.joined[t]], dtype=int)
    share = np.bincount(y_early, minlength=3) / max(len(y_early), 1)
    out: dict[str, Any] = {"cut": cut, "earlier": {"groups": len(early), "rows": len(y_early),
                                                   "joiners": int((y_early < 2).sum())},
                           "later": {"groups": len(late), "rows": len(y_late), "joiners": int((y_late < 2).sum())},
                           "base_rates": float(-np.mean(np.log(np.maximum(share[y_late], cm.EPS))))}
    for name, theory in (("plain_logit", False), ("choice_model", True)):
        out[name] = _score(_design(layout, early, theory, cost), _design(layout, late, theory, cost))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--cut", type=int, nargs="+", default=[1860, 1870, 1880, 1890])
    args = ap.parse_args()
    cost = fitted()["cost"]
    result = {}
    for layout, rel in TABLES.items():
        _, table = read_decision_table(Path(args.shared) / "data" / rel)
        result[layout] = [split(layout, table, cut, cost) for cut in args.cut]
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
